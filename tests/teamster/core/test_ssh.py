"""The SSH client against the sandbox's real bastion and SFTP servers."""

import json
import socket
import time
from pathlib import Path

import asyncssh
import psycopg
import pytest
from sqlalchemy.engine import make_url

from teamster.core.settings import SSHSettings
from teamster.core.ssh import SSHConnection, SSHError, fetch_file
from teamster.libraries.powerschool.sis.resources import PowerSchoolSIS, select_table
from teamster.libraries.powerschool.sis.schema import arrow_schema


def _connect_kwargs(settings, region):
    sis = settings.sis_databases[region]
    url = make_url(sis.url)
    return url, dict(
        user=url.username,
        password=Path(sis.password_file).read_text().strip(),
        dbname=url.database,
        connect_timeout=3,
    )


def test_sis_database_has_no_direct_route(sandbox, settings):
    url, kwargs = _connect_kwargs(settings, "kippnewark")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host=url.host, port=url.port, **kwargs)


def test_sis_database_answers_through_the_bastion_only(sandbox, settings):
    url, kwargs = _connect_kwargs(settings, "kippnewark")
    with SSHConnection(settings.sis_databases["kippnewark"].ssh) as ssh:
        port = ssh.forward(url.host, url.port)
        with psycopg.connect(host="127.0.0.1", port=port, **kwargs) as conn:
            (listen,) = conn.execute("show listen_addresses").fetchone()
            (count,) = conn.execute("select count(*) from students").fetchone()
    assert listen == ""  # PostgreSQL has no TCP listener at all: the socket is reached via SSH
    truth = sandbox.truth_path.read_text()
    assert f'"kippnewark": {count}' in truth


def test_bastion_refuses_unknown_destinations(sandbox, settings):
    with SSHConnection(settings.sis_databases["kippnewark"].ssh) as ssh:
        port = ssh.forward("127.0.0.1", 22)  # a real host, but not a route the bastion has
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            assert client.recv(1) == b""  # the channel was refused and the tunnel closed


def test_sis_resource_streams_declared_schema(sandbox, settings):
    sis = PowerSchoolSIS(settings=settings.sis_databases["kippcamden"])
    schema = arrow_schema("students")
    with sis.session() as session:
        batches = list(session.stream(select_table("students"), schema))
    assert all(b.schema == schema for b in batches)
    truth = json.loads(sandbox.truth_path.read_text())
    assert sum(b.num_rows for b in batches) == truth["students_total_by_region"]["kippcamden"]


def test_changed_host_key_fails_at_once_without_retries(sandbox, settings, tmp_path):
    real = settings.sis_databases["kippnewark"].ssh
    impostor = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[{real.host}]:{real.port} {impostor}\n")
    started = time.monotonic()
    with (
        pytest.raises(SSHError, match="refused"),
        SSHConnection(real.model_copy(update={"known_hosts": str(known_hosts)})),
    ):
        pass
    assert time.monotonic() - started < 2  # retries would wait 0.5 s, 1 s, 2 s...


def test_wrong_key_is_refused(sandbox, settings, tmp_path):
    real = settings.sis_databases["kippnewark"].ssh
    key = tmp_path / "key"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(key))
    with (
        pytest.raises(SSHError, match="refused"),
        SSHConnection(real.model_copy(update={"private_key_file": str(key)})),
    ):
        pass


def test_connection_refused_is_retried_then_raised(tmp_path, settings):
    closed = SSHSettings(
        host="127.0.0.1",
        port=1,
        username="x",
        known_hosts=str(tmp_path / "kh"),
        password_file=str(tmp_path / "pw"),
    )
    (tmp_path / "kh").write_text("")
    (tmp_path / "pw").write_text("secret")
    started = time.monotonic()
    with pytest.raises(OSError), SSHConnection(closed, attempts=3):
        pass
    assert time.monotonic() - started >= 1.0  # two waits of >= 0.5 s each


def test_sftp_lists_paterson_drops(sandbox, settings):
    drop = settings.sis_sftp["kipppaterson"]
    with SSHConnection(drop.ssh) as ssh:
        names = [f.path for f in ssh.list_files(drop.remote_dir)]
    from sandbox.sis import NOT_EXPORTED, TABLES

    assert names == sorted(f"/exports/{t}.csv" for t in TABLES if t not in NOT_EXPORTED)


def _iready(settings):
    from sandbox.vendors.iready import remote_path

    drop = settings.iready_sftp["kippnewark"]
    return drop.ssh, remote_path("kippnewark", "ela")


def test_fetch_file_parses_the_whole_file_and_reports_what_was_listed(sandbox, settings):
    ssh, path = _iready(settings)
    text, info = fetch_file(ssh, path, lambda local: local.read_text(), "the ela file")
    assert info.path == path and info.size == len(text.encode()) and info.mtime > 0
    assert text.endswith("\n") and text.count("\n") > 1


def test_fetch_file_names_a_missing_file(sandbox, settings):
    ssh, path = _iready(settings)
    with pytest.raises(FileNotFoundError, match="^sftp://x/none.csv does not exist$"):
        fetch_file(ssh, path.replace("ela", "none"), lambda local: None, "sftp://x/none.csv")


def test_fetch_file_retries_a_dropped_transfer_but_not_a_bad_file(sandbox, settings):
    ssh, path = _iready(settings)
    sandbox.faults.drop_after_bytes("sftp", 1000)  # every session is cut mid-file
    try:
        with pytest.raises(SSHError, match=r"^the ela file: the transfer failed 2 times \("):
            fetch_file(ssh, path, lambda local: None, "the ela file", attempts=2, first_wait=0.01)
    finally:
        sandbox.faults.drop_after_bytes("sftp", None)
    parsed: list[int] = []

    def refuse(local) -> None:
        parsed.append(1)
        raise ValueError("line 3: not a date")

    with pytest.raises(ValueError, match="line 3: not a date"):
        fetch_file(ssh, path, refuse, "the ela file", attempts=3, first_wait=0.01)
    assert parsed == [1]  # a file that does not parse is not downloaded again


def test_fetch_file_survives_a_transfer_dropped_once(sandbox, settings):
    ssh, path = _iready(settings)
    whole, _ = fetch_file(ssh, path, lambda local: local.read_bytes(), "the ela file")
    sandbox.faults.drop_after_bytes("sftp", 1000, times=1)  # the next session is cut, once
    try:
        again, _ = fetch_file(
            ssh, path, lambda local: local.read_bytes(), "the ela file", attempts=2, first_wait=0.01
        )
        assert "sftp" not in sandbox.faults.read().get("drop_after_bytes", {})  # it was used
    finally:
        sandbox.faults.drop_after_bytes("sftp", None)
    assert again == whole
