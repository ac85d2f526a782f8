"""The Oracle branch of the SIS resource, everything short of an Oracle server.

No Oracle database can run here, so these tests stop where one would answer: the
driver branch runs through the sandbox's real SSH bastion and python-oracledb's thin
mode really dials (its TNS connect packet is read off a socket), every table's Oracle
SQL parses in sqlglot's Oracle dialect, and ``arraysize`` travels from a prod variable
to the keyword arguments of python-oracledb's ``fetch_df_batches``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import socket
import threading
from pathlib import Path

import oracledb
import pytest
import sqlglot
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlglot import exp

from support import prod_settings
from teamster.core.partitions import Partition, fiscal_year_window, month_window
from teamster.core.regions import REGISTRY, SQL_SIS_REGIONS
from teamster.core.settings import Settings, SettingsError, SISDatabaseSettings
from teamster.libraries.powerschool.sis.config import load_sis_config
from teamster.libraries.powerschool.sis.resources import (
    PowerSchoolSIS,
    SISError,
    SISSession,
    compile_for,
    probe,
    select_table,
)
from teamster.libraries.powerschool.sis.schema import arrow_schema, columns, declarations

PASSWORD = "Orcl-pw-9f3Kq7zXw2"  # distinctive: any leak of it is found by substring
ORACLE = make_url("oracle+oracledb://psnavigator@h:1521/PSPRODDB").get_dialect()()
CODE_LOCATIONS = Path(__file__).parents[4] / "src/teamster/code_locations"


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _oracle_behind_bastion(settings, tmp_path: Path, port: int, **extra: str) -> Settings:
    """prod settings whose kippnewark SIS is Oracle at 127.0.0.1:``port`` as the sandbox's
    bastion sees it, with a password file holding ``PASSWORD``."""
    bastion = settings.sis_databases["kippnewark"].ssh
    password = tmp_path / "oracle_password"
    password.write_text(PASSWORD + "\n")
    p = "TEAMSTER_KIPPNEWARK_SIS"
    return prod_settings(
        {
            "TEAMSTER_KNOWN_HOSTS_FILE": str(bastion.known_hosts),
            f"{p}_URL": f"oracle+oracledb://psnavigator@127.0.0.1:{port}/PSPRODDB",
            f"{p}_PASSWORD_FILE": str(password),
            f"{p}_SSH_HOST": bastion.host,
            f"{p}_SSH_PORT": str(bastion.port),
            f"{p}_SSH_USER": bastion.username,
            f"{p}_SSH_KEY_FILE": str(bastion.private_key_file),
            **extra,
        }
    )


# --- the driver branch, up to the connection attempt ------------------------------------


def test_oracle_through_the_bastion_fails_clearly_and_without_the_password(
    sandbox, settings, tmp_path
):
    port = _closed_port()
    prod = _oracle_behind_bastion(settings, tmp_path, port)
    sis = PowerSchoolSIS(settings=prod.sis_databases["kippnewark"])
    bastion = settings.sis_databases["kippnewark"].ssh

    with pytest.raises(SISError) as info, sis.session() as session:
        list(session.stream(select_table("schools"), arrow_schema("schools")))

    message = str(info.value)
    # the database as the bastion sees it, and the bastion, not the tunnel's local port
    assert f"psnavigator@127.0.0.1:{port}/PSPRODDB" in message
    assert f"SSH bastion teamster@127.0.0.1:{bastion.port}" in message
    # thin mode dialled the tunnel; the bastion refused the channel, so the far side closed
    assert "DPY-6005" in message and "closed the connection" in message
    assert "could not reach the database, or would not forward to it" in message
    assert oracledb.is_thin_mode()
    assert PASSWORD not in message and PASSWORD not in repr(info.value.args)
    assert info.value.__cause__ is None and info.value.__suppress_context__


class _Listener:
    """A socket that reads the first TNS packet a client sends, then hangs up: what an
    Oracle listener receives, without an Oracle listener."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.packet = b""
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.settimeout(10)
            data = b""
            while len(data) < 8 or len(data) < int.from_bytes(data[:2], "big"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.packet = data

    def close(self) -> None:
        self._thread.join(10)
        self.server.close()


def _direct_session(port: int) -> SISSession:
    url = make_url(f"oracle+oracledb://psnavigator@127.0.0.1:{port}/PSPRODDB")
    return SISSession(url, PASSWORD, url.get_dialect()(), where=f"PSPRODDB at 127.0.0.1:{port}")


def test_thin_mode_sends_a_connect_packet_for_the_configured_service():
    listener = _Listener()
    session = _direct_session(listener.port)
    try:
        with pytest.raises(SISError) as info:
            list(session.stream(select_table("schools"), arrow_schema("schools")))
    finally:
        listener.close()
    packet = listener.packet
    assert packet[4] == 1, "TNS packet type 1 is CONNECT"
    assert b"(SERVICE_NAME=PSPRODDB)" in packet
    assert f"(HOST=127.0.0.1)(PORT={listener.port})".encode() in packet
    assert PASSWORD.encode() not in packet  # the password waits for authentication
    message = str(info.value)
    assert f"cannot connect to PSPRODDB at 127.0.0.1:{listener.port}" in message
    assert "DPY-6005" in message and PASSWORD not in message


def test_a_closed_port_is_a_refused_connection_not_a_hang():
    port = _closed_port()
    with pytest.raises(SISError) as info:
        _direct_session(port).one(probe("students", "transaction_date"))
    message = str(info.value)
    assert "DPY-6005" in message and "Connection refused" in message
    assert f"127.0.0.1:{port}" in message and PASSWORD not in message


# --- every table's Oracle SQL ------------------------------------------------------------

ORACLE_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"  # sqlglot's reading of 'YYYY-MM-DD HH24:MI:SS'


def _parse(query) -> tuple[str, exp.Select]:
    sql = compile_for(query, ORACLE)
    tree = sqlglot.parse_one(sql, read="oracle")
    assert isinstance(tree, exp.Select), sql
    return sql, tree


def _bounds(tree: exp.Select) -> set[dt.datetime]:
    """The dates in the WHERE clause, read back from Oracle ``TO_DATE`` calls."""
    where = tree.args["where"]
    assert not list(where.find_all(exp.Cast)), "a cast, not an Oracle date literal"
    calls = list(where.find_all(exp.StrToDate, exp.StrToTime))
    assert all(c.args["format"].name == ORACLE_DATE_FORMAT for c in calls)
    return {dt.datetime.strptime(c.this.name, ORACLE_DATE_FORMAT) for c in calls}


def _windows(column: str) -> list[Partition]:
    """A fiscal year, a month, and a first partition (open start, NULLs included)."""
    year = fiscal_year_window("2025-07-01", column)
    return [year, month_window("2026-02-01", column), dataclasses.replace(year, start=None)]


def _check_select(table: str, partition: Partition | None) -> None:
    sql, tree = _parse(select_table(table, partition))
    assert "::" not in sql  # PostgreSQL's cast syntax
    assert [t.name for t in tree.find_all(exp.Table)] == [table]
    assert [c.alias_or_name for c in tree.expressions] == list(columns(table))
    if partition is None:
        assert tree.args.get("where") is None
        return
    where = tree.args["where"]
    assert {c.name for c in where.find_all(exp.Column)} == {partition.column}
    if partition.start is None:
        assert _bounds(tree) == {partition.end}
        assert isinstance(where.this, exp.Or) and list(where.find_all(exp.Is))
    else:
        assert _bounds(tree) == {partition.start, partition.end}
        assert isinstance(where.this, exp.And)


@pytest.mark.parametrize("table", sorted(declarations()))
def test_every_table_compiles_to_oracle_sql_that_parses(table):
    _check_select(table, None)  # a full load
    dated = [c for c, kind in columns(table).items() if kind in ("date", "timestamp")]
    for column in dated:
        for window in _windows(column):
            _check_select(table, window)
    cursor = declarations()[table].cursor
    if cursor is not None:  # the change sensor's probe, whole and per partition
        for window in [None, *(_windows(dated[0]) if dated else [])]:
            _, tree = _parse(probe(table, cursor, window))
            assert [e.alias for e in tree.expressions] == ["n", "cursor"]
            assert isinstance(tree.expressions[1].this, exp.Max)
            assert tree.expressions[1].this.this.name == cursor


@pytest.mark.parametrize("location", SQL_SIS_REGIONS)
def test_each_regions_partitions_compile_to_oracle_sql_that_parses(location):
    config = load_sis_config(
        CODE_LOCATIONS / location / "config" / "powerschool.yaml", REGISTRY.region(location)
    )
    partitioned = [t for t in config.tables if t.partition_column]
    assert partitioned, "a region with no partitioned table tests nothing here"
    for table in partitioned:
        keys = config.partitions(table).get_partition_keys()
        for key in keys:
            _check_select(table.name, config.window(table, key))


# --- arraysize: from a prod variable to python-oracledb -----------------------------------


def test_arraysize_from_prod_settings_reaches_fetch_df_batches(sandbox, settings, tmp_path):
    prod = _oracle_behind_bastion(
        settings, tmp_path, _closed_port(), TEAMSTER_KIPPNEWARK_SIS_ARRAYSIZE="2500"
    )
    assert prod.sis_databases["kippnewark"].arraysize == 2500
    assert prod.sis_databases["kippcamden"].arraysize == 100_000  # unset: the default

    with PowerSchoolSIS(settings=prod.sis_databases["kippnewark"]).session() as session:
        options = session.oracle_fetch_options
    # the options are arguments python-oracledb's fetch_df_batches really takes ...
    call = inspect.signature(oracledb.Connection.fetch_df_batches).bind(
        None, statement="select 1 from dual", **options
    )
    assert call.arguments["size"] == 2500
    # ... and the installed driver sets the cursor's arraysize and prefetch from size
    source = inspect.getsource(oracledb.Connection._fetch_df_first_batch)
    assert "cursor.arraysize = size" in source, "python-oracledb changed how size applies"
    assert "cursor.prefetchrows = cursor.arraysize" in source


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1e5"])
def test_a_bad_arraysize_variable_is_named(value, tmp_path):
    with pytest.raises(SettingsError, match=f"TEAMSTER_KIPPMIAMI_SIS_ARRAYSIZE .*{value!r}"):
        prod_settings({"TEAMSTER_KIPPMIAMI_SIS_ARRAYSIZE": value})


def test_arraysize_must_be_positive_in_code_too(tmp_path):
    ssh = dict(host="h", port=22, username="u", known_hosts=str(tmp_path / "k"))
    base = dict(url="oracle+oracledb://u@h/S", password_file=str(tmp_path / "p"), ssh=ssh)
    assert SISDatabaseSettings(**base, arraysize=1).arraysize == 1
    with pytest.raises(ValidationError, match="arraysize must be a positive number"):
        SISDatabaseSettings(**base, arraysize=0)
