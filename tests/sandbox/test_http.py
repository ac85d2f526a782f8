"""The simulated vendor APIs answer real HTTP clients from files that may change at any time.

Each test starts its own servers on ephemeral ports over a small fixture root in tmp_path.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.http import HTTPServerThread, start_http
from teamster.core.settings.local import HTTP_SYSTEMS

API_KEY = "s3cret-enrollment-key"
KEYS = {"473": "key-newark-473", "773": "key-camden-773"}  # DeansList school id -> key
ACTIONS = [
    {"id": 11, "title": "Intent to return", "academicYear": "2027-2028"},
    {"id": 12, "title": "Lottery", "academicYear": "2027-2028"},
]
SHEET_CSV = "school,goal\nRise,0.8\nBold,0.75\n"


def _write(path: Path, text: str) -> None:
    """Write like the sandbox does: a temp file renamed over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _write_json(path: Path, value: object) -> None:
    _write(path, json.dumps(value))


def _moment(text: str) -> dict[str, object]:
    """A DeansList date object."""
    return {"date": f"{text}.000000", "timezone_type": 3, "timezone": "America/New_York"}


def _incident(ident: int, issued: str, updated: str, active: bool = True) -> dict[str, object]:
    return {
        "IncidentID": str(ident),
        "IsActive": active,
        "IssueTS": _moment(issued),
        "UpdateTS": _moment(updated),
        "Custom_Fields": [{"FieldName": "Approver"}],
        "Attachments": [],
    }


def make_root(root: Path) -> Path:
    """A sandbox dir with a little of everything the three APIs serve."""
    _write(root / "secrets" / "enrollment_api_key", f"  {API_KEY}\n")
    _write_json(root / "secrets" / "deanslist_keys.json", KEYS)
    enrollment = root / "http" / "enrollment"
    _write_json(enrollment / "actions.json", ACTIONS)
    _write_json(enrollment / "submissions" / "11.json", [{"id": i} for i in range(7)])
    # action 12 has no submissions file: 0 records
    deanslist = root / "http" / "deanslist"
    _write_json(
        deanslist / "473" / "incidents.json",
        [
            _incident(1, "2026-10-01 08:00:00", "2026-10-01 09:00:00"),
            _incident(2, "2026-10-05 11:00:00", "2026-10-07 10:00:00"),
            _incident(3, "2026-10-09 23:59:59", "2026-10-10 08:00:00"),
            _incident(4, "2026-10-06 10:00:00", "2026-10-08 12:00:00", active=False),
        ],
    )
    _write_json(
        deanslist / "473" / "behavior.json",
        [
            {"DLSAID": "a", "BehaviorDate": "2026-10-01", "DL_LASTUPDATE": "2026-10-01 15:00:00"},
            {"DLSAID": "b", "BehaviorDate": "2026-10-03", "DL_LASTUPDATE": "2026-10-06 15:00:00"},
            {"DLSAID": "c", "BehaviorDate": "2026-10-05", "DL_LASTUPDATE": "2026-10-05 15:00:00"},
            {"DLSAID": "d", "BehaviorDate": "2026-10-07", "DL_LASTUPDATE": "2026-10-07 15:00:00"},
        ],
    )
    _write_json(
        deanslist / "773" / "incidents.json",
        [_incident(99, "2026-10-02 09:00:00", "2026-10-02 09:00:00")],
    )
    # school 773 has no behavior.json: an empty list
    _write(root / "http" / "sheets" / "1networkgoals.csv", SHEET_CSV)
    return root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_root(tmp_path)


@pytest.fixture
def servers(root: Path) -> Iterator[dict[str, HTTPServerThread]]:
    started = {system: start_http(system, 0, root) for system in HTTP_SYSTEMS}
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as c:
        yield c


def _url(servers: dict[str, HTTPServerThread], system: str, path: str) -> str:
    return f"http://127.0.0.1:{servers[system].port}{path}"


AUTH = (API_KEY, "")  # the API key is the user name; the password is empty


# --- enrollment ---------------------------------------------------------------------------


def test_enrollment_requires_the_api_key_as_basic_auth_user(servers, client):
    url = _url(servers, "enrollment", "/api/v1/publishedactions")
    for auth in (None, (API_KEY, "a-password"), ("someone", ""), ("teamster", API_KEY)):
        response = client.get(url, auth=auth)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="enrollment"'
        assert "message" in response.json()  # the vendor's error shape
    response = client.get(url, auth=AUTH)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == ACTIONS  # a plain list, not paged


def test_enrollment_paging(servers, client):
    url = _url(servers, "enrollment", "/api/v1/publishedactions/11/submissionrecords")
    pages = [
        client.get(url, params={"page": p, "pagesize": 3}, auth=AUTH).json() for p in (1, 2, 3, 4)
    ]
    assert [p["records"] for p in pages] == [
        [{"id": 0}, {"id": 1}, {"id": 2}],
        [{"id": 3}, {"id": 4}, {"id": 5}],
        [{"id": 6}],
        [],
    ]
    assert [list(p) for p in pages] == [["metadata", "records"]] * 4  # metadata first
    assert [p["metadata"] for p in pages] == [{"pageCount": 3, "recordCount": 7}] * 4
    # An action without a submissions file has no records, and one empty page.
    empty = client.get(
        _url(servers, "enrollment", "/api/v1/publishedactions/12/submissionrecords"), auth=AUTH
    )
    assert empty.json() == {"metadata": {"pageCount": 1, "recordCount": 0}, "records": []}


@pytest.mark.parametrize(
    "params",
    [{"pagesize": 0}, {"pagesize": 1001}, {"pagesize": "ten"}, {"pagesize": ""}, {"page": 0}],
)
def test_enrollment_bad_paging_is_400(servers, client, params):
    url = _url(servers, "enrollment", "/api/v1/publishedactions/11/submissionrecords")
    response = client.get(url, params=params, auth=AUTH)
    assert response.status_code == 400
    assert "message" in response.json()


def test_enrollment_max_pagesize_is_allowed(servers, client):
    url = _url(servers, "enrollment", "/api/v1/publishedactions/11/submissionrecords")
    body = client.get(url, params={"pagesize": 1000}, auth=AUTH).json()
    assert len(body["records"]) == 7 and body["metadata"]["pageCount"] == 1


def test_enrollment_unknown_action_and_paths_are_404(servers, client):
    base = _url(servers, "enrollment", "/api/v1/publishedactions")
    missing = client.get(f"{base}/13/submissionrecords", auth=AUTH)
    assert missing.status_code == 404 and "13" in missing.json()["message"]
    for path in ("/11/submissionrecords/", "/../../secrets/x/submissionrecords", "/abc/x"):
        assert client.get(base + path, auth=AUTH).status_code == 404
    assert client.get(_url(servers, "enrollment", "/"), auth=AUTH).status_code == 404


def test_only_get_is_allowed(servers, client):
    url = _url(servers, "enrollment", "/api/v1/publishedactions")
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.request(method, url, auth=AUTH, content=b"{}")
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET"
    # The connection survives a 405 with a body: the next GET still works.
    assert client.get(url, auth=AUTH).status_code == 200


# --- deanslist ----------------------------------------------------------------------------


def _ids(body: dict, key: str = "data") -> list[str]:
    return [r["IncidentID"] for r in body[key]]


def test_deanslist_key_selects_the_school(servers, client):
    url = _url(servers, "deanslist", "/api/v1/incidents")
    newark = client.get(url, params={"apikey": KEYS["473"]}).json()
    camden = client.get(url, params={"apikey": KEYS["773"]}).json()
    assert newark["rowcount"] == 3 and _ids(newark) == ["1", "2", "3"]
    assert "deleted_data" not in newark  # deleted rows only when asked for
    assert camden["rowcount"] == 1 and _ids(camden) == ["99"]
    behavior = _url(servers, "deanslist", "/api/v1/behavior")
    assert client.get(behavior, params={"apikey": KEYS["773"]}).json() == {
        "total_count": 0,
        "total_pages": 0,
        "data": [],
    }


@pytest.mark.parametrize("params", [{}, {"apikey": ""}, {"apikey": "nope"}])
def test_deanslist_bad_key_is_401(servers, client, params):
    response = client.get(_url(servers, "deanslist", "/api/v1/incidents"), params=params)
    assert response.status_code == 401
    assert "error" in response.json()


def test_deanslist_incidents_deleted_rows_come_apart(servers, client):
    url = _url(servers, "deanslist", "/api/v1/incidents")
    body = client.get(url, params={"apikey": KEYS["473"], "IncludeDeleted": "Y"}).json()
    assert (body["rowcount"], body["deleted_rowcount"]) == (3, 1)
    assert _ids(body) == ["1", "2", "3"] and _ids(body, "deleted_data") == ["4"]
    assert body["deleted_data"][0]["IsActive"] is False


def test_deanslist_incident_windows(servers, client):
    """StartDate/EndDate bound the day an incident happened (both ends included);
    UpdatedSince the day it last changed."""
    url = _url(servers, "deanslist", "/api/v1/incidents")
    cases = [
        ({"StartDate": "2026-10-05", "EndDate": "2026-10-09"}, ["2", "3"], ["4"]),
        ({"StartDate": "2026-10-02"}, ["2", "3"], ["4"]),
        ({"EndDate": "2026-10-01"}, ["1"], []),
        ({"UpdatedSince": "2026-10-08"}, ["3"], ["4"]),
        (
            {"StartDate": "2026-10-01", "EndDate": "2026-10-31", "UpdatedSince": "2026-10-10"},
            ["3"],
            [],
        ),
    ]
    for window, live, deleted in cases:
        params = {"apikey": KEYS["473"], "IncludeDeleted": "Y", **window}
        body = client.get(url, params=params).json()
        assert (_ids(body), _ids(body, "deleted_data")) == (live, deleted), window
        assert (body["rowcount"], body["deleted_rowcount"]) == (len(live), len(deleted))


def test_deanslist_custom_fields_and_attachments_only_when_asked(servers, client):
    url = _url(servers, "deanslist", "/api/v1/incidents")
    plain = client.get(url, params={"apikey": KEYS["773"]}).json()["data"][0]
    assert "Custom_Fields" not in plain and "Attachments" not in plain
    params = {"apikey": KEYS["773"], "cf": "Y", "attachments": "Y"}
    full = client.get(url, params=params).json()["data"][0]
    assert full["Custom_Fields"] == [{"FieldName": "Approver"}] and full["Attachments"] == []


def test_deanslist_behavior_pages_and_window(servers, client):
    url = _url(servers, "deanslist", "/api/v1/behavior")
    window = {"apikey": KEYS["473"], "StartDate": "2026-10-02", "EndDate": "2026-10-31"}
    pages = [
        client.get(url, params={**window, "page": p, "page_size": 2}).json() for p in (1, 2, 3)
    ]
    assert [[r["DLSAID"] for r in p["data"]] for p in pages] == [["b", "c"], ["d"], []]
    assert [(p["total_count"], p["total_pages"]) for p in pages] == [(3, 2)] * 3
    since = client.get(url, params={"apikey": KEYS["473"], "UpdatedSince": "2026-10-06"}).json()
    assert [r["DLSAID"] for r in since["data"]] == ["b", "d"]


@pytest.mark.parametrize(
    "path, params",
    [
        ("/api/v1/incidents", {"UpdatedSince": "10/05/2026"}),
        ("/api/v1/incidents", {"StartDate": "2026-13-01"}),
        ("/api/v1/incidents", {"StartDate": "2026-10-05", "EndDate": "2026-10-01"}),
        ("/api/v1/behavior", {"StartDate": "yesterday"}),
        ("/api/v1/behavior", {"StartDate": "2026-10-01", "EndDate": "20261005"}),
        ("/api/v1/behavior", {"page_size": "0"}),
    ],
)
def test_deanslist_bad_parameter_is_400(servers, client, path, params):
    url = _url(servers, "deanslist", path)
    response = client.get(url, params={"apikey": KEYS["473"], **params})
    assert response.status_code == 400


def test_deanslist_unknown_path_is_404(servers, client):
    url = _url(servers, "deanslist", "/api/v1/students")
    assert client.get(url, params={"apikey": KEYS["473"]}).status_code == 404


# --- sheets -------------------------------------------------------------------------------


def test_sheets_csv_export(servers, client):
    url = _url(servers, "sheets", "/spreadsheets/d/1networkgoals/export")
    response = client.get(url, params={"format": "csv", "gid": 0})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.text == SHEET_CSV


def test_sheets_errors(servers, client):
    base = _url(servers, "sheets", "/spreadsheets/d")
    assert client.get(f"{base}/nosuchsheet/export", params={"format": "csv"}).status_code == 404
    assert client.get(f"{base}/..%2Fsecrets/export", params={"format": "csv"}).status_code == 404
    assert client.get(f"{base}/1networkgoals/export", params={"format": "xlsx"}).status_code == 400
    assert client.get(f"{base}/1networkgoals", params={"format": "csv"}).status_code == 404


# --- faults -------------------------------------------------------------------------------


def test_429_burst_fires_exactly_twice_and_keeps_other_faults(root, servers, client):
    faults = {
        "drop_after_bytes": {"sftp": 1000},
        "http": {
            "sheets": {"status": 429, "remaining": 2},
            "deanslist": {"status": 500, "remaining": 5},
        },
    }
    _write_json(root / "faults.json", faults)
    url = _url(servers, "sheets", "/spreadsheets/d/1networkgoals/export")
    responses = [client.get(url, params={"format": "csv"}) for _ in range(3)]
    assert [r.status_code for r in responses] == [429, 429, 200]
    assert [r.headers.get("Retry-After") for r in responses] == ["1", "1", None]
    assert "error" in responses[0].json()
    assert responses[2].text == SHEET_CSV
    after = json.loads((root / "faults.json").read_text())
    assert after["drop_after_bytes"] == {"sftp": 1000}
    assert after["http"]["deanslist"] == {"status": 500, "remaining": 5}
    assert after["http"].get("sheets", {"remaining": 0})["remaining"] == 0


def test_500_burst_applies_before_auth(root, servers, client):
    _write_json(root / "faults.json", {"http": {"enrollment": {"status": 500, "remaining": 1}}})
    url = _url(servers, "enrollment", "/api/v1/publishedactions")
    first = client.get(url)  # no credentials: the fault answers before auth would
    assert first.status_code == 500 and "Retry-After" not in first.headers
    assert "message" in first.json()
    assert client.get(url).status_code == 401
    assert client.get(url, auth=AUTH).status_code == 200


def test_a_burst_only_hits_its_own_system(root, servers, client):
    _write_json(root / "faults.json", {"http": {"deanslist": {"status": 429, "remaining": 1}}})
    sheet = _url(servers, "sheets", "/spreadsheets/d/1networkgoals/export")
    assert client.get(sheet, params={"format": "csv"}).status_code == 200
    incidents = _url(servers, "deanslist", "/api/v1/incidents")
    statuses = [client.get(incidents, params={"apikey": KEYS["473"]}).status_code for _ in "ab"]
    assert statuses == [429, 200]


# --- files change under a running server --------------------------------------------------


def test_rewritten_files_are_picked_up(root, servers, client):
    sheet = _url(servers, "sheets", "/spreadsheets/d/1networkgoals/export")
    assert client.get(sheet, params={"format": "csv"}).text == SHEET_CSV
    _write(root / "http" / "sheets" / "1networkgoals.csv", "school,goal\nNew,1.0\n")
    assert client.get(sheet, params={"format": "csv"}).text == "school,goal\nNew,1.0\n"

    submissions = _url(servers, "enrollment", "/api/v1/publishedactions/12/submissionrecords")
    assert client.get(submissions, auth=AUTH).json()["metadata"]["recordCount"] == 0
    _write_json(root / "http" / "enrollment" / "submissions" / "12.json", [{"id": 5}])
    assert client.get(submissions, auth=AUTH).json()["records"] == [{"id": 5}]

    _write(root / "secrets" / "enrollment_api_key", "rotated\n")
    assert client.get(submissions, auth=AUTH).status_code == 401
    assert client.get(submissions, auth=("rotated", "")).status_code == 200

    incidents = _url(servers, "deanslist", "/api/v1/incidents")
    _write_json(root / "secrets" / "deanslist_keys.json", {"473": "new-key"})
    assert client.get(incidents, params={"apikey": KEYS["473"]}).status_code == 401
    assert client.get(incidents, params={"apikey": "new-key"}).json()["rowcount"] == 3


# --- ADP Workforce Now --------------------------------------------------------------------

ADP_CLIENT = ("adp-client-id", "adp-client-secret")
ADP_GRANT = {"grant_type": "client_credentials"}


def _adp(root: Path, workers: int) -> None:
    _write(root / "secrets" / "adp_wfn_client_id", ADP_CLIENT[0] + "\n")
    _write(root / "secrets" / "adp_wfn_client_secret", ADP_CLIENT[1] + "\n")
    rows = [{"associateOID": f"G3{i:04d}"} for i in range(workers)]
    _write_json(root / "http" / "adp_workforce_now" / "workers.json", rows)


def _adp_token(servers, client) -> dict[str, str]:
    url = _url(servers, "adp_workforce_now", "/auth/oauth/v2/token")
    body = client.post(url, auth=ADP_CLIENT, data=ADP_GRANT).json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_adp_token_needs_the_client_and_the_grant(root, servers, client):
    _adp(root, 3)
    url = _url(servers, "adp_workforce_now", "/auth/oauth/v2/token")
    assert client.post(url, data=ADP_GRANT).status_code == 401
    assert client.post(url, auth=(ADP_CLIENT[0], "x"), data=ADP_GRANT).status_code == 401
    refused = client.post(url, auth=ADP_CLIENT, data={"grant_type": "password"})
    assert refused.status_code == 400 and ADP_CLIENT[1] not in refused.text
    assert client.get(url, auth=ADP_CLIENT).status_code == 404  # the token is a POST
    other = _url(servers, "adp_workforce_now", "/hr/v2/workers")
    assert client.post(other, auth=ADP_CLIENT, data=ADP_GRANT).status_code == 404
    # other systems still take no POST
    sheets = _url(servers, "sheets", "/spreadsheets/d/1networkgoals/export")
    assert client.post(sheets, data=ADP_GRANT).status_code == 405


def test_adp_workers_page_by_top_and_skip_then_204(root, servers, client):
    _adp(root, 230)
    url = _url(servers, "adp_workforce_now", "/hr/v2/workers")
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer 9999999999.forged"}).status_code == 401
    headers = _adp_token(servers, client)
    first = client.get(url, headers=headers, params={"$top": 1000})
    assert len(first.json()["workers"]) == 100  # at most 100 a page, whatever is asked
    assert [w["associateOID"] for w in first.json()["workers"]][:2] == ["G30000", "G30001"]
    last = client.get(url, headers=headers, params={"$top": 100, "$skip": 200})
    assert len(last.json()["workers"]) == 30
    after = client.get(url, headers=headers, params={"$top": 100, "$skip": 230})
    assert after.status_code == 204 and after.content == b""
    assert client.get(url, headers=headers, params={"$skip": -1}).status_code == 400


def test_adp_expired_token_is_refused(root, servers, client):
    """A token signed right but an hour old, as the server would have issued it then."""
    import time

    from sandbox.http import _adp_signature

    _adp(root, 1)
    url = _url(servers, "adp_workforce_now", "/hr/v2/workers")
    assert client.get(url, headers=_adp_token(servers, client)).status_code == 200
    for expires, status in ((int(time.time()) + 60, 200), (int(time.time()) - 1, 401)):
        token = f"{expires}.{_adp_signature(root, str(expires))}"
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == status


def test_adp_bursts_hit_the_token_endpoint_too(root, servers, client):
    from sandbox.faults import Faults

    _adp(root, 1)
    Faults(root / "faults.json").http_burst("adp_workforce_now", 429, 1)
    url = _url(servers, "adp_workforce_now", "/auth/oauth/v2/token")
    burst = client.post(url, auth=ADP_CLIENT, data=ADP_GRANT)
    assert burst.status_code == 429 and burst.headers["Retry-After"] == "1"
    assert client.post(url, auth=ADP_CLIENT, data=ADP_GRANT).status_code == 200


# --- lifecycle ----------------------------------------------------------------------------


def test_stop_is_idempotent_and_frees_the_port(root, client):
    server = start_http("sheets", 0, root)
    port = server.port
    assert port > 0
    url = f"http://127.0.0.1:{port}/spreadsheets/d/1networkgoals/export?format=csv"
    assert client.get(url).status_code == 200  # leaves a keep-alive connection in the pool
    server.stop()
    server.stop()
    with pytest.raises(httpx.TransportError):
        client.get(url)
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    again = start_http("sheets", port, root)
    try:
        assert again.port == port
        assert client.get(url).text == SHEET_CSV
    finally:
        again.stop()


def test_unknown_system_is_rejected(root):
    with pytest.raises(ValueError, match="unknown"):
        start_http("powerschool", 0, root)
