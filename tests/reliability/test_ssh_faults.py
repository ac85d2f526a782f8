"""The SSH and SFTP edge under faults: a download cut mid-file, an upload cut mid-file,
and a server that shows a host key known_hosts does not pin.

Each SFTP source is materialized through its real asset (i-Ready, ADP payroll, Paterson's
SIS drop). A cut that heals is retried and the table equals the files' rows; a cut that
persists fails naming the file (never a password) and leaves the warehouse table and the
landed files exactly as they were. An AutoComm push cut during its second upload leaves
the previous night's set in the inbox. A changed host key on any SSH server is refused at
once, loads nothing, and the server's own key is put back afterwards.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, AssetSpec, DagsterInstance, materialize

from sandbox.vendors import iready as iready_vendor
from support import adp_definitions
from teamster.core.locations import load_definitions
from teamster.core.settings import SSHSettings
from teamster.core.ssh import SSHConnection, SSHError
from teamster.core.warehouse import DuckDBWarehouse
from teamster.libraries.adp.assets import (
    PAY_DATES,
    files_key,
    general_ledger_key,
)
from teamster.libraries.powerschool.autocomm.assets import (
    build_autocomm_asset,
    load_autocomm_config,
)
from teamster.libraries.powerschool.autocomm.resources import AutoCommInbox

CODE_LOCATIONS = Path(__file__).parents[2] / "src" / "teamster" / "code_locations"
CUT = 1000  # bytes into a file: past the SSH login, inside the data


@dataclass
class Source:
    """One SFTP file source, as an asset reads it and as the sandbox serves it."""

    name: str
    server: str  # the sandbox's name for its SSH server
    key: AssetKey
    run: Callable[[bool], object]  # materialize it (raise_on_error)
    rows_sql: str  # the rows the asset loaded, in the warehouse
    files: Callable[[], list[Path]]  # the sandbox's copies of the files it reads
    ssh: SSHSettings


def _data_rows(paths: list[Path]) -> int:
    return sum(len(list(csv.reader(io.StringIO(p.read_text())))) - 1 for p in paths)


@pytest.fixture(scope="module")
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as shared:
        yield shared


@pytest.fixture(scope="module")
def sources(sandbox, settings, instance) -> dict[str, Source]:
    """i-Ready (kippnewark, ela), ADP (kipptaf, the first pay date) and Paterson's SIS
    export (students), each ready to materialize in the module's one instance."""

    def location_job(location: str, key: AssetKey, partition: str | None):
        job = load_definitions(location).resolve_implicit_global_asset_job_def()
        return lambda raise_on_error: job.execute_in_process(
            asset_selection=[key],
            partition_key=partition,
            instance=instance,
            raise_on_error=raise_on_error,
        )

    iready_key = AssetKey(["kippnewark", "iready", "diagnostic_results"])
    iready_file = (
        sandbox.root
        / "sftp"
        / "iready"
        / "kippnewark"
        / iready_vendor.remote_path("kippnewark", "ela").lstrip("/")
    )

    adp = adp_definitions(settings)
    adp_job = adp.resolve_implicit_global_asset_job_def()
    adp_job.execute_in_process(asset_selection=[files_key("kipptaf")], instance=instance)
    pay_date = sorted(instance.get_dynamic_partitions(PAY_DATES.name))[0]
    payroll = sandbox.root / "sftp" / "adp" / "payroll"
    stamp = pay_date.replace("-", "")

    paterson_key = AssetKey(["kipppaterson", "powerschool", "students"])
    return {
        "iready": Source(
            "i-Ready SFTP",
            "iready",
            iready_key,
            location_job("kippnewark", iready_key, "ela"),
            "select count(*) from kippnewark_iready.diagnostic_results where subject = 'Reading'",
            lambda: [iready_file],
            settings.iready_sftp["kippnewark"].ssh,
        ),
        "adp": Source(
            "ADP payroll SFTP",
            "adp",
            general_ledger_key("kipptaf"),
            lambda raise_on_error: adp_job.execute_in_process(
                asset_selection=[general_ledger_key("kipptaf")],
                partition_key=pay_date,
                instance=instance,
                raise_on_error=raise_on_error,
            ),
            "select count(*) from kipptaf_adp_payroll.general_ledger "
            f"where source_file_date = date '{pay_date}'",
            lambda: sorted(p for p in payroll.iterdir() if f"_{stamp}_" in p.name),
            settings.adp_sftp.ssh,
        ),
        "paterson": Source(
            "PowerSchool SIS SFTP drop (kipppaterson)",
            "kipppaterson",
            paterson_key,
            location_job("kipppaterson", paterson_key, None),
            "select count(*) from kipppaterson_powerschool.students",
            lambda: [sandbox.root / "sftp" / "kipppaterson" / "exports" / "students.csv"],
            settings.sis_sftp["kipppaterson"].ssh,
        ),
    }


def _rows(settings, sql: str) -> int:
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def _table(settings, key: AssetKey) -> list[tuple]:
    relation = f"{key.path[0]}_{'_'.join(key.path[1:-1])}.{key.path[-1]}"
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        return sorted(con.execute(f"select * from {relation}").fetchall(), key=repr)


def _landed(settings, key: AssetKey) -> dict[str, bytes]:
    folder = settings.landing.root.joinpath(*key.path)
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _snapshot(settings, source: Source) -> tuple[list[tuple], dict[str, bytes]]:
    """The whole warehouse table (every partition) and every landed file's bytes."""
    return _table(settings, source.key), _landed(settings, source.key)


def _failure(result) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.error.cause.message


def _secrets(settings) -> list[str]:
    files = [
        settings.iready_sftp["kippnewark"].ssh.password_file,
        settings.adp_sftp.ssh.password_file,
        settings.sis_sftp["kipppaterson"].ssh.password_file,
        settings.autocomm["kippnewark"].ssh.password_file,
    ]
    return [Path(f).read_text().strip() for f in files]


def _leaks(settings, message: str) -> int:
    return sum(secret in message for secret in _secrets(settings))


SFTP_SOURCES = ["iready", "adp", "paterson"]


@pytest.mark.parametrize("name", SFTP_SOURCES)
def test_a_download_cut_once_is_retried_and_loads_the_files_rows(
    sandbox, settings, sources, ledger, name
):
    source = sources[name]
    with ledger.fault(f"{source.name}: connection cut mid-download, once"):
        sandbox.faults.drop_after_bytes("sftp", CUT, times=1)
        try:
            source.run(True)
            used = "sftp" not in sandbox.faults.read().get("drop_after_bytes", {})
        finally:
            sandbox.faults.drop_after_bytes("sftp", None)
        assert used  # the cut happened, and the retry got past it
        rows = _rows(settings, source.rows_sql)
        truth = _data_rows(source.files())
        ledger.lost(truth - rows)
        assert rows == truth


@pytest.mark.parametrize("name", SFTP_SOURCES)
def test_a_download_cut_every_time_fails_naming_the_file_and_keeps_the_last_load(
    sandbox, settings, sources, ledger, name
):
    source = sources[name]
    source.run(True)
    before = _snapshot(settings, source)
    with ledger.fault(f"{source.name}: connection cut mid-download, every time"):
        sandbox.faults.drop_after_bytes("sftp", CUT)
        try:
            failed = source.run(False)
        finally:
            sandbox.faults.drop_after_bytes("sftp", None)
        assert not failed.success
        message = _failure(failed)
        [file] = [f.name for f in source.files()][:1]
        assert f"@127.0.0.1:{source.ssh.port}/" in message and file in message, message
        assert "the transfer failed 3 times (ConnectionLost" in message, message
        leaks = _leaks(settings, message)
        ledger.leaked(leaks)
        assert leaks == 0
        assert _snapshot(settings, source) == before  # table and landed bytes untouched
        rows = _rows(settings, source.rows_sql)
        ledger.lost(_data_rows(source.files()) - rows)
        assert rows == _data_rows(source.files())


# --- AutoComm: an upload cut mid-file ---------------------------------------------------


def _autocomm_warehouse(folder: Path, night: int, teachers: int) -> DuckDBWarehouse:
    """Newark's three AutoComm wrapper models, as one night's dbt would leave them."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema kippnewark_extracts")
        for model, select in (
            ("students", f"select {night} * 1000 + i as student_number"),
            ("teachers", f"select 'Teacher ' || lpad(cast(i as varchar), 5, '0') || '-{night}'"),
            ("students_iep", f"select {night} * 1000 + i as student_number, i % 2 = 0 as iep"),
        ):
            count = teachers if model == "teachers" else 20
            con.execute(
                f"create table kippnewark_extracts.rpt_powerschool__autocomm_{model} as "
                f"select *, 'kippnewark' as code_location from "
                f"(select i from range(1, {count + 1}) t(i)), lateral ({select})"
            )
    return DuckDBWarehouse(path=str(path))


def _inbox(sandbox) -> dict[str, bytes]:
    inbox = sandbox.root / "sftp" / "autocomm" / "kippnewark"
    return {p.name: p.read_bytes() for p in sorted(inbox.iterdir())}


def _push_asset():
    config = load_autocomm_config(CODE_LOCATIONS / "kippnewark" / "config" / "autocomm.yaml")
    spec = AssetSpec(
        AssetKey(["kippnewark", config.exposure]),
        deps=[AssetKey(["kippnewark", "extracts", f.model]) for f in config.files],
    )
    return build_autocomm_asset("kippnewark", config, {config.exposure: spec})


def _push(settings, asset, warehouse: DuckDBWarehouse, raise_on_error: bool = True):
    return materialize(
        [asset],
        resources={
            "warehouse": warehouse,
            "powerschool_autocomm": AutoCommInbox(settings=settings.autocomm["kippnewark"]),
        },
        raise_on_error=raise_on_error,
    )


def test_an_upload_cut_mid_push_leaves_the_previous_nights_files(
    sandbox, settings, tmp_path, ledger
):
    asset = _push_asset()
    _push(settings, asset, _autocomm_warehouse(tmp_path / "night1", 1, 20))
    last_night = _inbox(sandbox)
    assert {"students.txt", "teachers.txt", "students_iep.txt"} <= set(last_night)
    with ledger.fault("AutoComm inbox: connection cut during the second file's upload"):
        # students.txt (20 short rows) goes first; the cut lands inside teachers.txt
        sandbox.faults.drop_after_bytes("sftp", 20_000, times=1)
        try:
            failed = _push(
                settings, asset, _autocomm_warehouse(tmp_path / "night2", 2, 4000), False
            )
            used = "sftp" not in sandbox.faults.read().get("drop_after_bytes", {})
        finally:
            sandbox.faults.drop_after_bytes("sftp", None)
        assert used and not failed.success
        message = _failure(failed)
        assert "teachers.txt failed" in message and "nothing was replaced" in message, message
        leaks = _leaks(settings, message)
        ledger.leaked(leaks)
        assert leaks == 0
        assert _inbox(sandbox) == last_night  # every old file, byte for byte; no temp file

        _push(settings, asset, _autocomm_warehouse(tmp_path / "night2b", 2, 4000))
        pushed = _inbox(sandbox)["teachers.txt"].decode().splitlines()
        ledger.lost(4000 - (len(pushed) - 1))
        assert len(pushed) - 1 == 4000 and pushed[1].endswith("-2")


# --- a changed host key on every SSH server ---------------------------------------------


@contextmanager
def _host_key_changed(sandbox, server: str, ssh: SSHSettings) -> Iterator[None]:
    """The fault: ``server`` shows a new host key; afterwards its own key is put back
    and the block waits until the server answers with it again."""
    path = sandbox.root / "host_keys" / server
    original = path.read_bytes()
    sandbox.change_host_key(server)
    try:
        yield
    finally:
        path.write_bytes(original)  # the sandbox restarts the server with its pinned key
        deadline = time.monotonic() + 15  # a bound on the wait, not on what is tested
        while True:
            try:
                with SSHConnection(ssh, attempts=1):
                    break
            except SSHError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def test_a_changed_host_key_is_refused_at_once_by_every_ssh_client(
    sandbox, settings, sources, tmp_path, ledger
):
    sis_key = AssetKey(["kippnewark", "powerschool", "schools"])
    sis_job = load_definitions("kippnewark").resolve_implicit_global_asset_job_def()

    def sis(raise_on_error: bool):
        return sis_job.execute_in_process(
            asset_selection=[sis_key],
            instance=DagsterInstance.ephemeral(),
            raise_on_error=raise_on_error,
        )

    bastion = settings.sis_databases["kippnewark"].ssh
    clients = [
        ("SIS SQL bastion", "bastion", bastion, sis, sis_key),
        *(
            (s.name, s.server, s.ssh, s.run, s.key)
            for s in (sources["paterson"], sources["iready"], sources["adp"])
        ),
    ]
    for name, server, ssh, run, key in clients:
        run(True)
        before = _snapshot(settings, Source(name, server, key, run, "", list, ssh))
        with ledger.fault(f"{name}: the server shows a host key known_hosts does not pin"):
            with _host_key_changed(sandbox, server, ssh):
                failed = run(False)
                probe = SSHConnection(ssh)
                with pytest.raises(SSHError, match="refused: Host key is not trusted"):
                    probe.__enter__()
            assert probe.tries == 1  # refused at once: no retry, no wait
            assert not failed.success
            message = _failure(failed)
            assert "refused: Host key is not trusted" in message, message
            assert f":{ssh.port}" in message, message
            assert _snapshot(settings, Source(name, server, key, run, "", list, ssh)) == before
            run(True)  # the pinned key is back: the source loads again

    asset = _push_asset()
    _push(settings, asset, _autocomm_warehouse(tmp_path / "night1", 1, 20))
    last_night = _inbox(sandbox)
    inbox = settings.autocomm["kippnewark"].ssh
    with ledger.fault("AutoComm inbox: the server shows a host key known_hosts does not pin"):
        with _host_key_changed(sandbox, "autocomm_kippnewark", inbox):
            failed = _push(settings, asset, _autocomm_warehouse(tmp_path / "night2", 2, 20), False)
        assert not failed.success
        message = _failure(failed)
        assert "refused: Host key is not trusted" in message and "nothing was replaced" in message
        assert "could not remove" not in message, message  # nothing had been staged
        assert _inbox(sandbox) == last_night
