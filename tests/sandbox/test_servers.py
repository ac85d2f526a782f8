"""Every sandbox server answers a real client; `advance` and each fault switch work.

This module runs its own small district (not the session one), since it changes it.
"""

import datetime as dt
import json
import shutil
import time

import httpx
import paramiko
import psycopg
import pytest

from sandbox.district import Sandbox
from support import free_port_base, make_data_dir, sis_query
from teamster.core.settings import SSHSettings
from teamster.core.settings.local import SFTP_SERVERS, sandbox_ports
from teamster.core.ssh import SSHConnection, SSHError
from teamster.libraries.powerschool.sis.schema import DropFileError, read_drop


@pytest.fixture(scope="module")
def box():
    data_dir = make_data_dir("teamster-servers-")
    sandbox = Sandbox(data_dir, sandbox_ports(free_port_base()))
    sandbox.generate(seed=11, scale=0.04, as_of=dt.date(2026, 11, 2))
    with sandbox:
        yield sandbox
    shutil.rmtree(data_dir, ignore_errors=True)


def _secret(box, name):
    return (box.secrets_dir / name).read_text().strip()


def _bastion(box) -> SSHSettings:
    return SSHSettings(
        host="127.0.0.1",
        port=box.ports.bastion,
        username="teamster",
        known_hosts=str(box.root / "known_hosts"),
        private_key_file=str(box.secrets_dir / "ssh_client_key"),
    )


def _sis_query(box, region, sql):
    return sis_query(box.root, box.ports.bastion, region, sql)


def _paramiko(box, server, user, password) -> paramiko.SFTPClient:
    client = paramiko.SSHClient()
    client.load_host_keys(str(box.root / "known_hosts"))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        "127.0.0.1",
        port=box.ports.sftp[server],
        username=user,
        password=password,
        look_for_keys=False,
        allow_agent=False,
    )
    return client.open_sftp()


def test_psycopg_through_the_tunnel_sees_every_table(box):
    truth = box.truth()
    for region in ("kippnewark", "kippcamden", "kippmiami"):
        counts = dict(
            _sis_query(
                box,
                region,
                """
            select 'students', count(*) from students union all
            select 'attendance', count(*) from attendance union all
            select 'cc', count(*) from cc union all
            select 'pgfinalgrades', count(*) from pgfinalgrades""",
            )
        )
        for table, n in counts.items():
            assert n == truth["tables_by_region"][region][table], (region, table)


def test_paramiko_reads_every_sftp_server(box):
    truth = box.truth()
    sftp = _paramiko(box, "kipppaterson", "teamster", _secret(box, "kipppaterson_sftp_password"))
    assert "students.csv" in sftp.listdir("/exports")
    sftp.close()
    sftp = _paramiko(box, "iready", "kippcamden", _secret(box, "iready_kippcamden_password"))
    from sandbox.vendors.iready import remote_path

    with sftp.open(remote_path("kippcamden", "math")) as f:
        rows = f.read().decode().splitlines()
    assert len(rows) - 1 == truth["iready_by_region"]["kippcamden"]["math"]
    sftp.close()
    sftp = _paramiko(box, "adp", "teamster", _secret(box, "adp_sftp_password"))
    assert len(sftp.listdir("/payroll")) == truth["adp_gl"]["files"]
    sftp.close()


def test_iready_and_adp_serve_the_real_names_and_layout(box):
    """i-Ready: each site's Current_Year folder, a file per subject (some _CONFIDENTIAL);
    ADP: a payroll file per pay date and group, ADP_Payroll_/adp_payroll_ names."""
    from sandbox.vendors.iready import SITE_FOLDERS

    names = {}
    for region, site in SITE_FOLDERS.items():
        sftp = _paramiko(box, "iready", region, _secret(box, f"iready_{region}_password"))
        names[region] = sorted(sftp.listdir(f"/exports/{site}/Current_Year"))
        sftp.close()
    assert names["kippnewark"] == [
        "diagnostic_results_ela_CONFIDENTIAL.csv",
        "diagnostic_results_math_CONFIDENTIAL.csv",
    ]
    assert names["kippcamden"] == ["diagnostic_results_ela.csv", "diagnostic_results_math.csv"]
    sftp = _paramiko(box, "adp", "teamster", _secret(box, "adp_sftp_password"))
    payroll = sftp.listdir("/payroll")
    sftp.close()
    assert any(n.startswith("ADP_Payroll_") for n in payroll)
    assert any(n.startswith("adp_payroll_") for n in payroll)
    dates = {n.split("_")[2] for n in payroll}
    assert len(dates) == box.truth()["adp_gl"]["pay_dates"]
    assert all(len(d) == 8 and dt.datetime.strptime(d, "%Y%m%d") for d in dates)


def test_adp_workforce_now_serves_workers_behind_oauth(box):
    base = f"http://127.0.0.1:{box.ports.http['adp_workforce_now']}"
    client = (_secret(box, "adp_wfn_client_id"), _secret(box, "adp_wfn_client_secret"))
    grant, token_url = {"grant_type": "client_credentials"}, f"{base}/auth/oauth/v2/token"
    assert httpx.post(token_url, auth=(client[0], "x"), data=grant).status_code == 401
    token = httpx.post(token_url, auth=client, data=grant).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert httpx.get(f"{base}/hr/v2/workers").status_code == 401
    workers, skip = [], 0
    while (
        page := httpx.get(f"{base}/hr/v2/workers", headers=headers, params={"$skip": skip})
    ).status_code == 200:
        workers += page.json()["workers"]
        skip += len(page.json()["workers"])
    assert page.status_code == 204
    assert len(workers) == box.truth()["adp_workers"]
    assert all(w["workAssignments"][0]["positionID"] for w in workers)


def test_autocomm_inbox_records_what_it_receives(box, tmp_path):
    assert set(SFTP_SERVERS) >= {"autocomm_kippnewark", "autocomm_kippmiami"}
    sftp = _paramiko(
        box, "autocomm_kippnewark", "teamster", _secret(box, "autocomm_kippnewark_password")
    )
    sftp.putfo(__import__("io").BytesIO(b"student_number\n1\n"), "/students.csv.part")
    sftp.posix_rename("/students.csv.part", "/students.csv")
    sftp.close()
    log = [
        json.loads(line)
        for line in (box.root / "autocomm" / "kippnewark.jsonl").read_text().splitlines()
    ]
    assert [e["event"] for e in log[-2:]] == ["write", "rename"]
    assert log[-1]["path"] == "/students.csv" and log[-1]["bytes"] == 17
    assert (box.root / "sftp" / "autocomm" / "kippnewark" / "students.csv").exists()


def test_httpx_reads_every_api(box):
    truth = box.truth()
    base = f"http://127.0.0.1:{box.ports.http['enrollment']}/api/v1/publishedactions"
    auth = (_secret(box, "enrollment_api_key"), "")  # the key is the basic-auth user
    actions = httpx.get(base, auth=auth).json()
    action = actions[0]["id"]
    got, page = [], 1
    while True:
        body = httpx.get(
            f"{base}/{action}/submissionrecords", auth=auth, params={"page": page, "pagesize": 7}
        ).json()
        got += body["records"]
        if page >= body["metadata"]["pageCount"]:
            break
        page += 1
    assert len(got) == truth["enrollment_records_by_action"][str(action)]
    assert httpx.get(base, auth=("teamster", "wrong")).status_code == 401

    keys = json.loads((box.secrets_dir / "deanslist_keys.json").read_text())
    dl = f"http://127.0.0.1:{box.ports.http['deanslist']}/api/v1/incidents"
    total = sum(
        httpx.get(dl, params={"apikey": keys[school]}).json()["rowcount"]
        for school in truth["deanslist_crosswalk"]["kippcamden"]
    )  # Camden's DeansList schools
    assert total == truth["deanslist_by_region"]["kippcamden"]["incidents"]

    sheets = f"http://127.0.0.1:{box.ports.http['sheets']}/spreadsheets/d/1networkgoals/export"
    csv_text = httpx.get(sheets, params={"format": "csv", "gid": 0}).text
    assert len(csv_text.splitlines()) - 1 == truth["sheets_rows"]["1networkgoals"]


def test_advance_changes_what_an_incremental_load_sees(box):
    before_truth = box.truth()
    [(latest, attendance)] = _sis_query(
        box, "kippnewark", "select max(transaction_date), count(*) from attendance"
    )
    files_before = set((box.root / "sftp" / "adp" / "payroll").iterdir())
    truth = box.advance(days=10)
    assert truth["as_of"] > before_truth["as_of"]
    [(changed, total)] = _sis_query(
        box,
        "kippnewark",
        f"select count(*), (select count(*) from attendance) from attendance "
        f"where transaction_date > '{latest}'",
    )
    assert changed > 0 and total > attendance
    assert total == truth["tables_by_region"]["kippnewark"]["attendance"]
    [(edited,)] = _sis_query(
        box, "kippnewark", f"select count(*) from students where transaction_date > '{latest}'"
    )
    assert edited > 0
    assert set((box.root / "sftp" / "adp" / "payroll").iterdir()) > files_before
    assert sum(truth["enrollment_submitted_by_action"].values()) > sum(
        before_truth["enrollment_submitted_by_action"].values()
    )


def test_fault_drop_tunnel_after_bytes(box):
    box.faults.drop_after_bytes("bastion", 4096)
    try:
        with pytest.raises(psycopg.OperationalError):
            _sis_query(box, "kippmiami", "select * from attendance")
    finally:
        box.faults.drop_after_bytes("bastion", None)
    assert _sis_query(box, "kippmiami", "select count(*) from attendance")[0][0] > 0


def test_fault_drop_sftp_after_bytes(box):
    box.faults.drop_after_bytes("sftp", 1000)
    try:
        sftp = _paramiko(
            box, "kipppaterson", "teamster", _secret(box, "kipppaterson_sftp_password")
        )
        with (
            pytest.raises((OSError, EOFError, paramiko.SSHException)),
            sftp.open("/exports/attendance.csv") as f,
        ):
            f.read()
    finally:
        box.faults.drop_after_bytes("sftp", None)


def test_fault_http_burst(box):
    url = f"http://127.0.0.1:{box.ports.http['sheets']}/spreadsheets/d/1schoolleaders/export"
    box.faults.http_burst("sheets", 429, 2)
    statuses = [httpx.get(url, params={"format": "csv"}).status_code for _ in range(3)]
    assert statuses == [429, 429, 200]
    box.faults.http_burst("sheets", 500, 1)
    assert [httpx.get(url, params={"format": "csv"}).status_code for _ in range(2)] == [500, 200]


@pytest.mark.parametrize("how", ["malformed", "truncate"])
def test_fault_bad_file(box, how, tmp_path):
    from sandbox.faults import corrupt_file

    drop = box.root / "sftp" / "kipppaterson" / "exports" / "students.csv"
    original = drop.read_bytes()
    try:
        corrupt_file(drop, how)
        local = tmp_path / "students.csv"
        local.write_bytes(drop.read_bytes())
        with pytest.raises(DropFileError, match=r"students\.csv[:,] line \d+"):
            read_drop(local, "students", "students.csv")
    finally:
        drop.write_bytes(original)


def test_fault_changed_host_key(box):
    known_hosts = (box.root / "known_hosts").read_text()
    key = box.root / "host_keys" / "bastion"
    original = key.read_bytes()
    box.change_host_key("bastion")
    try:
        with pytest.raises(SSHError, match="refused"), SSHConnection(_bastion(box), attempts=1):
            pass
        assert (box.root / "known_hosts").read_text() == known_hosts
    finally:
        key.write_bytes(original)  # the server picks its pinned key up again
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with SSHConnection(_bastion(box), attempts=1):
                    break
            except SSHError:
                time.sleep(0.2)
