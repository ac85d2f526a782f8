"""Workbook refreshes: the local publisher, and the REST client against a stand-in.

Tableau Server cannot run here; the stand-in below answers the REST calls the client
makes (sign in, refresh, query the refresh's job, sign out) the way the documented API
does, so the client's requests, retries and errors are exercised over real HTTP. The
stricter stand-in, with sessions and jobs that fail, is ``tests/tableau_standin.py``.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from teamster.core.http import Retries
from teamster.core.settings import LocalTableauSettings, SettingsError, TableauServerSettings
from teamster.core.warehouse import DuckDBWarehouse
from teamster.libraries.tableau.assets import load_tableau_config
from teamster.libraries.tableau.resources import (
    JobPolls,
    LocalTableau,
    TableauError,
    TableauServer,
)

TOKEN = "s3cret-token-value"
WB = "6b1e3f9a-0c2d-4e51-9a7b-2f4c8d1e0a11"  # a workbook LUID


def test_local_refresh_publishes_each_model_as_an_extract(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema kipptaf_tableau")
        con.execute(
            "create table kipptaf_tableau.rpt_tableau__x as select range as n from range(5)"
        )
    tableau = LocalTableau(
        settings=LocalTableauSettings(root=str(tmp_path / "tableau")),
        warehouse=DuckDBWarehouse(path=str(path)),
    )
    result = tableau.refresh(WB, [("kipptaf_tableau", "rpt_tableau__x")])
    extract = tmp_path / "tableau" / WB / "rpt_tableau__x.parquet"
    assert result["extract_rows"] == {"rpt_tableau__x": 5}
    assert pq.read_table(extract).column("n").to_pylist() == [0, 1, 2, 3, 4]
    with duckdb.connect(str(path)) as con:
        con.execute("delete from kipptaf_tableau.rpt_tableau__x where n > 1")
    tableau.refresh(WB, [("kipptaf_tableau", "rpt_tableau__x")])
    assert pq.read_table(extract).num_rows == 2
    assert [p.name for p in extract.parent.iterdir()] == ["rpt_tableau__x.parquet"]


class _StandIn(BaseHTTPRequestHandler):
    calls: list[tuple[str, dict]] = []
    busy = 0  # answer this many refreshes with 429 first
    refuse = False

    def log_message(self, *args):
        pass

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)) or b"{}")
        type(self).calls.append((self.path, {"auth": self.headers.get("X-Tableau-Auth"), **body}))
        if self.path.endswith("/auth/signin"):
            if type(self).refuse:
                return self._reply(401, {"error": {"code": "401001"}})
            return self._reply(200, {"credentials": {"token": "tok-1", "site": {"id": "site-9"}}})
        if self.path.endswith("/refresh"):
            if type(self).busy:
                type(self).busy -= 1
                return self._reply(429, {})
            return self._reply(202, {"job": {"id": "job-7"}})
        return self._reply(204, {})

    def do_GET(self):
        # the refresh's job ("Query Job"): completed at once, successfully
        type(self).calls.append((self.path, {"auth": self.headers.get("X-Tableau-Auth")}))
        if self.path.endswith("/jobs/job-7"):
            return self._reply(
                200, {"job": {"id": "job-7", "completedAt": "now", "finishCode": "0"}}
            )
        return self._reply(404, {"error": {"code": "404000"}})


@pytest.fixture
def server(tmp_path):
    _StandIn.calls, _StandIn.busy, _StandIn.refuse = [], 0, False
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    token = tmp_path / "token"
    token.write_text(TOKEN)
    settings = TableauServerSettings(
        base_url=f"http://127.0.0.1:{httpd.server_port}",
        site="kipptaf",
        token_name="teamster",
        token_file=str(token),
    )
    yield TableauServer(
        settings=settings,
        retries=Retries(attempts=5, first_wait=0.01, max_wait=30.0),
        job_polls=JobPolls(first_wait=0.01, max_wait=0.01, timeout=0.01),
    )
    httpd.shutdown()


def test_server_refresh_signs_in_refreshes_and_signs_out(server):
    _StandIn.busy = 2
    assert server.refresh(WB, []) == {
        "tableau_job_id": "job-7",
        "tableau_job_finish_code": 0,
        "tableau_job_polls": 1,
    }
    paths = [p for p, _ in _StandIn.calls]
    assert paths[0] == "/api/3.22/auth/signin"
    assert _StandIn.calls[0][1]["credentials"]["site"] == {"contentUrl": "kipptaf"}
    assert paths[1:4] == [f"/api/3.22/sites/site-9/workbooks/{WB}/refresh"] * 3
    assert _StandIn.calls[3][1]["auth"] == "tok-1"
    assert paths[4] == "/api/3.22/sites/site-9/jobs/job-7"
    assert _StandIn.calls[4][1]["auth"] == "tok-1"
    assert paths[-1] == "/api/3.22/auth/signout"


def test_server_refused_token_is_a_clear_error_without_the_secret(server):
    _StandIn.refuse = True
    with pytest.raises(TableauError, match="HTTP 401") as info:
        server.refresh(WB, [])
    assert TOKEN not in str(info.value)
    assert [p for p, _ in _StandIn.calls] == ["/api/3.22/auth/signin"]  # 401: not retried


BAD_IDS = ["../../etc", "/tmp/x", "wb/1", "wb-1", "6b1e3f9a 0c2d", "'; drop", "`x`", "a\nb"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_workbook_id_that_is_no_luid_is_refused_at_load(tmp_path, bad):
    config = tmp_path / "tableau.yaml"
    config.write_text(
        "workbooks:\n  - name: Attendance\n"
        f"    id: {json.dumps(bad)}\n"
        "    models: [rpt_tableau__attendance]\n"
    )
    with pytest.raises(SettingsError) as info:
        load_tableau_config(config)
    message = str(info.value)
    assert message.startswith(f"{config}: invalid config"), message
    assert (
        f"workbooks.0.id\n  Value error, workbook id: {bad!r} is not a Tableau LUID" in message
    ), message


def test_the_configured_workbook_ids_are_luids():
    import teamster

    path = Path(teamster.__file__).parent / "code_locations" / "kipptaf" / "config"
    assert len(load_tableau_config(path / "tableau.yaml").workbooks) == 3


def test_the_local_publisher_refuses_a_path_for_a_workbook_id(tmp_path):
    """Called directly, not through config: the id still never becomes a path."""
    tableau = LocalTableau(
        settings=LocalTableauSettings(root=str(tmp_path / "tableau")),
        warehouse=DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb")),
    )
    with pytest.raises(ValueError, match="'../escaped' is not a Tableau LUID"):
        tableau.refresh("../escaped", [])
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "tableau").exists()
