"""The SSH client against the sandbox's real bastion and SFTP servers."""

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import asyncssh
import psycopg
import pytest
from sqlalchemy.engine import make_url

from teamster.core.settings import SSHSettings
from teamster.core.ssh import (
    CONNECT,
    CONNECT_DEADLINE,
    ConnectPolicy,
    SSHConnection,
    SSHError,
    fetch_file,
    is_fresh,
)
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
    """The database's address, tried without the bastion, refuses the connection. The
    sandbox's name does not resolve, so it is pinned to 127.0.0.1 (``hostaddr``): a DNS
    failure must not pass for a refused route."""
    url, kwargs = _connect_kwargs(settings, "kippnewark")
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(host=url.host, hostaddr="127.0.0.1", port=url.port, **kwargs)
    message = str(refused.value)
    assert f'"127.0.0.1", port {url.port} failed: Connection refused' in message, message


def test_sis_database_answers_through_the_bastion_only(sandbox, settings):
    url, kwargs = _connect_kwargs(settings, "kippnewark")
    with SSHConnection(settings.sis_databases["kippnewark"].ssh) as ssh:
        port = ssh.forward(url.host, url.port)
        with psycopg.connect(host="127.0.0.1", port=port, **kwargs) as conn:
            (listen,) = conn.execute("show listen_addresses").fetchone()
            (count,) = conn.execute("select count(*) from students").fetchone()
    assert listen == ""  # PostgreSQL has no TCP listener at all: the socket is reached via SSH
    assert count == sandbox.truth()["students_total_by_region"]["kippnewark"]


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
    conn = SSHConnection(real.model_copy(update={"known_hosts": str(known_hosts)}))
    with pytest.raises(SSHError, match="refused: Host key is not trusted"):
        conn.__enter__()
    assert (conn.tries, conn.waited) == (1, [])  # one try, no wait: retrying cannot help


def test_wrong_key_is_refused(sandbox, settings, tmp_path):
    real = settings.sis_databases["kippnewark"].ssh
    key = tmp_path / "key"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(key))
    with (
        pytest.raises(SSHError, match="refused"),
        SSHConnection(real.model_copy(update={"private_key_file": str(key)})),
    ):
        pass


def _nowhere(tmp_path: Path, port: int) -> SSHSettings:
    (tmp_path / "kh").write_text("")
    (tmp_path / "pw").write_text("secret")
    return SSHSettings(
        host="127.0.0.1",
        port=port,
        username="x",
        known_hosts=str(tmp_path / "kh"),
        password_file=str(tmp_path / "pw"),
    )


def test_connection_refused_is_retried_then_raised(tmp_path):
    policy = ConnectPolicy(attempts=3, first_wait=0.01, deadline=5)
    conn = SSHConnection(_nowhere(tmp_path, 1), policy=policy)
    with pytest.raises(SSHError, match=r"^no SSH connection to x@127\.0\.0\.1:1: 3 attempts fa"):
        conn.__enter__()
    assert conn.tries == 3
    assert conn.waited == policy.waits() == [0.01, 0.02]  # the policy's waits, in order


@contextmanager
def _blackhole() -> Iterator[tuple[int, list[socket.socket]]]:
    """A port that accepts TCP connections and never says a word, like a host whose SSH
    daemon hangs; yields the port and the connections it has accepted."""
    server = socket.create_server(("127.0.0.1", 0), backlog=32)
    server.settimeout(0.05)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            with suppress(TimeoutError):
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def test_the_connect_bound_is_one_constant_and_its_schedule_fills_it():
    assert CONNECT.deadline == CONNECT_DEADLINE == 30
    assert CONNECT.waits() == [1.0, 2.0]
    assert CONNECT.timeout == 9.0  # three tries of 9 s, 1 s and 2 s apart
    assert CONNECT.bound == CONNECT.attempts * CONNECT.timeout + sum(CONNECT.waits()) == 30
    assert ConnectPolicy(attempts=1).waits() == [] and ConnectPolicy(attempts=1).timeout == 30
    with pytest.raises(ValueError, match="leave no time"):
        ConnectPolicy(attempts=4, first_wait=10, deadline=30)


def test_a_host_that_never_answers_fails_within_one_connect_bound(tmp_path):
    """Connecting is retried inside one bound; a download retried after a failed connect
    would multiply it (3 downloads x 4 connects x 15 s was 3 minutes), so it is not."""
    policy = ConnectPolicy(attempts=3, first_wait=0.05, deadline=1.5)
    with _blackhole() as (port, accepted):
        with pytest.raises(
            SSHError,
            match=rf"^no SSH connection to x@127\.0\.0\.1:{port}: 3 attempts failed within "
            r"the 1\.5 s connect bound \(last: TimeoutError",
        ):
            fetch_file(
                _nowhere(tmp_path, port),
                "/x.csv",
                lambda local: None,
                "the x file",
                attempts=3,
                first_wait=0.01,
                connect=policy,
            )
        assert len(accepted) == policy.attempts == 3  # not 3 downloads x 3 connects
    assert policy.timeout == pytest.approx(0.45) and policy.waits() == [0.05, 0.1]


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


# --- a file the vendor is still writing ------------------------------------------------


def _scratch(sandbox, settings, name: str) -> tuple[SSHSettings, str, Path]:
    """A file of the test's own in the root of i-Ready's kippnewark user, beside the
    folders the assets read: its login, remote path and the sandbox's copy."""
    local = sandbox.root / "sftp" / "iready" / "kippnewark" / name
    return settings.iready_sftp["kippnewark"].ssh, f"/{name}", local


@contextmanager
def _vendor_writing(path: Path, lines: int | None) -> Iterator[None]:
    """The vendor writes ``path`` in place, a line every 20 ms: ``lines`` lines, or until
    the block ends (None)."""
    stop = threading.Event()

    def write() -> None:
        n = 0
        with path.open("a") as f:
            while not stop.is_set() and (lines is None or n < lines):
                f.write(f"{n},row {n}\n")
                f.flush()
                n += 1
                stop.wait(0.02)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def test_a_file_still_being_written_is_retried_then_refused_naming_it(sandbox, settings):
    ssh, remote, local = _scratch(sandbox, settings, "growing.csv")
    local.write_text("n,row\n")
    parsed: list[Path] = []
    try:
        with (
            _vendor_writing(local, lines=None),
            pytest.raises(
                SSHError,
                match=r"^the growing file: still being written: its size or mtime changed "
                r"while it was read, on each of 3 attempts \(last: \d+ bytes, then \d+\)",
            ),
        ):
            fetch_file(
                ssh,
                remote,
                parsed.append,
                "the growing file",
                attempts=3,
                first_wait=0.01,
                quiet=0.3,
            )
    finally:
        local.unlink()
    assert parsed == []  # no part of it was parsed


def test_a_file_being_written_is_read_once_it_is_whole(sandbox, settings):
    ssh, remote, local = _scratch(sandbox, settings, "growing.csv")
    local.write_text("n,row\n")
    try:
        with _vendor_writing(local, lines=25):  # the vendor writes for about 0.5 s
            text, info = fetch_file(
                ssh,
                remote,
                lambda p: p.read_text(),
                "the growing file",
                attempts=5,
                first_wait=0.05,
                quiet=0.5,
            )
        whole = local.read_text()
    finally:
        local.unlink()
    assert text.count("\n") == 26 and text == whole
    assert info.size == len(whole.encode())


def test_a_file_is_fresh_while_its_whole_second_mtime_may_be_within_the_quiet_time():
    # a listed mtime is whole seconds: 100 may mean 100.9, so at 103.5 it is 2.6 s old
    assert is_fresh(mtime=100, now=103.5, quiet=3)
    assert not is_fresh(mtime=100, now=104.0, quiet=3)
    assert is_fresh(mtime=200, now=103.0, quiet=3)  # a server clock ahead of ours
    assert not is_fresh(mtime=100, now=103.5, quiet=0)
