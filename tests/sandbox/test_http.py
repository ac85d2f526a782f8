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

from sandbox.http import SYSTEMS, HTTPServerThread, start_http

PASSWORD = "s3cret-pass"
KEYS = {"101": "key-newark-101", "202": "key-camden-202"}
ACTIONS = [{"id": 11, "name": "Intent to return"}, {"id": 12, "name": "Lottery"}]
SHEET_CSV = "school,goal\nRise,0.8\nBold,0.75\n"


def _write(path: Path, text: str) -> None:
    """Write like the sandbox does: a temp file renamed over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _write_json(path: Path, value: object) -> None:
    _write(path, json.dumps(value))


def make_root(root: Path) -> Path:
    """A sandbox dir with a little of everything the three APIs serve."""
    _write(root / "secrets" / "enrollment_api_password", f"  {PASSWORD}\n")
    _write_json(root / "secrets" / "deanslist_keys.json", KEYS)
    enrollment = root / "http" / "enrollment"
    _write_json(enrollment / "actions.json", ACTIONS)
    _write_json(enrollment / "submissions" / "11.json", [{"record": i} for i in range(7)])
    # action 12 has no submissions file: 0 records
    deanslist = root / "http" / "deanslist"
    _write_json(
        deanslist / "101" / "incidents.json",
        [
            {"IncidentID": 1, "UpdateTS": "2026-10-01 08:00:00"},
            {"IncidentID": 2, "UpdateTS": "2026-10-05 11:00:00"},
            {"IncidentID": 3, "UpdateTS": "2026-10-09 23:59:59"},
        ],
    )
    _write_json(
        deanslist / "101" / "behavior.json",
        [
            {"DLSAID": "a", "BehaviorDate": "2026-10-01"},
            {"DLSAID": "b", "BehaviorDate": "2026-10-03"},
            {"DLSAID": "c", "BehaviorDate": "2026-10-05"},
            {"DLSAID": "d", "BehaviorDate": "2026-10-07"},
        ],
    )
    _write_json(
        deanslist / "202" / "incidents.json",
        [{"IncidentID": 99, "UpdateTS": "2026-10-02 09:00:00"}],
    )
    # school 202 has no behavior.json: an empty list
    _write(root / "http" / "sheets" / "1networkgoals.csv", SHEET_CSV)
    return root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_root(tmp_path)


@pytest.fixture
def servers(root: Path) -> Iterator[dict[str, HTTPServerThread]]:
    started = {system: start_http(system, 0, root) for system in SYSTEMS}
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as c:
        yield c


def _url(servers: dict[str, HTTPServerThread], system: str, path: str) -> str:
    return f"http://127.0.0.1:{servers[system].port}{path}"


AUTH = ("teamster", PASSWORD)


# --- enrollment ---------------------------------------------------------------------------


def test_enrollment_requires_basic_auth(servers, client):
    url = _url(servers, "enrollment", "/api/v1/publishedactions")
    for auth in (None, ("teamster", "wrong"), ("someone", PASSWORD)):
        response = client.get(url, auth=auth)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="enrollment"'
        assert "error" in response.json()
    response = client.get(url, auth=AUTH)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "data": ACTIONS,
        "pagination": {"page": 1, "pagesize": 50, "pagecount": 1, "totalcount": 2},
    }


def test_enrollment_paging(servers, client):
    url = _url(servers, "enrollment", "/api/v1/publishedactions/11/submissionrecords")
    pages = [
        client.get(url, params={"page": p, "pagesize": 3}, auth=AUTH).json() for p in (1, 2, 3, 4)
    ]
    assert [p["data"] for p in pages] == [
        [{"record": 0}, {"record": 1}, {"record": 2}],
        [{"record": 3}, {"record": 4}, {"record": 5}],
        [{"record": 6}],
        [],
    ]
    assert [p["pagination"] for p in pages] == [
        {"page": p, "pagesize": 3, "pagecount": 3, "totalcount": 7} for p in (1, 2, 3, 4)
    ]
    # An action without a submissions file has no records and no pages.
    empty = client.get(
        _url(servers, "enrollment", "/api/v1/publishedactions/12/submissionrecords"), auth=AUTH
    )
    assert empty.json() == {
        "data": [],
        "pagination": {"page": 1, "pagesize": 50, "pagecount": 0, "totalcount": 0},
    }


@pytest.mark.parametrize(
    "params",
    [{"pagesize": 0}, {"pagesize": 501}, {"pagesize": "ten"}, {"pagesize": ""}, {"page": 0}],
)
def test_enrollment_bad_paging_is_400(servers, client, params):
    url = _url(servers, "enrollment", "/api/v1/publishedactions/11/submissionrecords")
    response = client.get(url, params=params, auth=AUTH)
    assert response.status_code == 400
    assert "error" in response.json()


def test_enrollment_max_pagesize_is_allowed(servers, client):
    url = _url(servers, "enrollment", "/api/v1/publishedactions/11/submissionrecords")
    body = client.get(url, params={"pagesize": 500}, auth=AUTH).json()
    assert len(body["data"]) == 7 and body["pagination"]["pagecount"] == 1


def test_enrollment_unknown_action_and_paths_are_404(servers, client):
    base = _url(servers, "enrollment", "/api/v1/publishedactions")
    missing = client.get(f"{base}/13/submissionrecords", auth=AUTH)
    assert missing.status_code == 404 and "13" in missing.json()["error"]
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


def test_deanslist_key_selects_the_school(servers, client):
    url = _url(servers, "deanslist", "/api/v1/incidents")
    newark = client.get(url, params={"apikey": KEYS["101"]}).json()
    camden = client.get(url, params={"apikey": KEYS["202"]}).json()
    assert newark["rowcount"] == 3
    assert [r["IncidentID"] for r in newark["data"]] == [1, 2, 3]
    assert camden == {
        "rowcount": 1,
        "data": [{"IncidentID": 99, "UpdateTS": "2026-10-02 09:00:00"}],
    }
    behavior = _url(servers, "deanslist", "/api/v1/behavior")
    assert client.get(behavior, params={"apikey": KEYS["202"]}).json() == {
        "rowcount": 0,
        "data": [],
    }


@pytest.mark.parametrize("params", [{}, {"apikey": ""}, {"apikey": "nope"}])
def test_deanslist_bad_key_is_401(servers, client, params):
    response = client.get(_url(servers, "deanslist", "/api/v1/incidents"), params=params)
    assert response.status_code == 401
    assert "error" in response.json()


def test_deanslist_updated_since(servers, client):
    url = _url(servers, "deanslist", "/api/v1/incidents")
    params = {"apikey": KEYS["101"], "UpdatedSince": "2026-10-05"}
    body = client.get(url, params=params).json()
    assert body["rowcount"] == 2
    assert [r["IncidentID"] for r in body["data"]] == [2, 3]


def test_deanslist_behavior_date_window(servers, client):
    url = _url(servers, "deanslist", "/api/v1/behavior")
    cases = [
        ({"sdt": "2026-10-03", "edt": "2026-10-05"}, ["b", "c"]),
        ({"sdt": "2026-10-04"}, ["c", "d"]),
        ({"edt": "2026-10-01"}, ["a"]),
        ({}, ["a", "b", "c", "d"]),
    ]
    for window, expected in cases:
        body = client.get(url, params={"apikey": KEYS["101"], **window}).json()
        assert [r["DLSAID"] for r in body["data"]] == expected, window
        assert body["rowcount"] == len(expected)


@pytest.mark.parametrize(
    "path, params",
    [
        ("/api/v1/incidents", {"UpdatedSince": "10/05/2026"}),
        ("/api/v1/incidents", {"UpdatedSince": "2026-13-01"}),
        ("/api/v1/behavior", {"sdt": "yesterday"}),
        ("/api/v1/behavior", {"sdt": "2026-10-01", "edt": "20261005"}),
    ],
)
def test_deanslist_bad_date_is_400(servers, client, path, params):
    url = _url(servers, "deanslist", path)
    response = client.get(url, params={"apikey": KEYS["101"], **params})
    assert response.status_code == 400


def test_deanslist_unknown_path_is_404(servers, client):
    url = _url(servers, "deanslist", "/api/v1/students")
    assert client.get(url, params={"apikey": KEYS["101"]}).status_code == 404


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
    assert "error" in first.json()
    assert client.get(url).status_code == 401
    assert client.get(url, auth=AUTH).status_code == 200


def test_a_burst_only_hits_its_own_system(root, servers, client):
    _write_json(root / "faults.json", {"http": {"deanslist": {"status": 429, "remaining": 1}}})
    sheet = _url(servers, "sheets", "/spreadsheets/d/1networkgoals/export")
    assert client.get(sheet, params={"format": "csv"}).status_code == 200
    incidents = _url(servers, "deanslist", "/api/v1/incidents")
    statuses = [client.get(incidents, params={"apikey": KEYS["101"]}).status_code for _ in "ab"]
    assert statuses == [429, 200]


# --- files change under a running server --------------------------------------------------


def test_rewritten_files_are_picked_up(root, servers, client):
    sheet = _url(servers, "sheets", "/spreadsheets/d/1networkgoals/export")
    assert client.get(sheet, params={"format": "csv"}).text == SHEET_CSV
    _write(root / "http" / "sheets" / "1networkgoals.csv", "school,goal\nNew,1.0\n")
    assert client.get(sheet, params={"format": "csv"}).text == "school,goal\nNew,1.0\n"

    submissions = _url(servers, "enrollment", "/api/v1/publishedactions/12/submissionrecords")
    assert client.get(submissions, auth=AUTH).json()["pagination"]["totalcount"] == 0
    _write_json(root / "http" / "enrollment" / "submissions" / "12.json", [{"record": "x"}])
    assert client.get(submissions, auth=AUTH).json()["data"] == [{"record": "x"}]

    _write(root / "secrets" / "enrollment_api_password", "rotated\n")
    assert client.get(submissions, auth=AUTH).status_code == 401
    assert client.get(submissions, auth=("teamster", "rotated")).status_code == 200

    incidents = _url(servers, "deanslist", "/api/v1/incidents")
    _write_json(root / "secrets" / "deanslist_keys.json", {"101": "new-key"})
    assert client.get(incidents, params={"apikey": KEYS["101"]}).status_code == 401
    assert client.get(incidents, params={"apikey": "new-key"}).json()["rowcount"] == 3


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
