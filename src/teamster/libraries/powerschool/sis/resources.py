"""The SIS database resource: an SSH tunnel plus an Arrow-native driver.

The URL is a SQLAlchemy URL as seen from the bastion (``oracle+oracledb://...`` in
prod, ``postgresql://...`` in the sandbox); the password comes from a file. Rows are
fetched as Arrow record batches by the driver itself (ADBC for PostgreSQL,
python-oracledb's DataFrame batches for Oracle), which is what keeps extraction fast
and memory bounded. Oracle's batch size (``arraysize``) comes from the settings. The
queries (extracts and change probes) are SQLAlchemy Core, compiled for the dialect.

A region whose SIS is read from PowerSchool's table export on SFTP has ``SISDrop``
instead: the same ``fetch`` of a table, from ``<remote_dir>/<table>.csv``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from dagster import ConfigurableResource
from sqlalchemy.engine import URL, Dialect, make_url

from teamster.core.partitions import Partition
from teamster.core.settings import SFTPDropSettings, SISDatabaseSettings
from teamster.core.sftp import SFTPFolder
from teamster.core.ssh import RemoteFile, SSHConnection
from teamster.libraries.powerschool.sis.schema import DropFileError, read_drop, sql_table

# What drivers say when nothing answers at the far end of the tunnel: python-oracledb's
# "cannot connect" code, and the words of a closed or refused connection.
_UNREACHABLE = ("DPY-6005", "closed the connection", "server closed", "connection refused")


class SISError(RuntimeError):
    """A SIS query failed; the message never carries the password."""


class SISSource(ConfigurableResource):
    """What a region's SIS assets and change sensor read through: ``PowerSchoolSIS`` or
    ``SISDrop``, as the registry's SIS path says. One base class, so their parameters
    can be typed once for both."""


class PowerSchoolSIS(SISSource):
    """The database behind the bastion; its config names the password's file, and the
    password is read only when a session opens."""

    settings: SISDatabaseSettings

    @property
    def url(self) -> URL:
        return make_url(self.settings.url)

    @property
    def dialect(self) -> Dialect:
        return self.url.get_dialect()()

    @property
    def where(self) -> str:
        """The database as configured and the bastion in front of it, for messages."""
        ssh = self.settings.ssh
        return (
            f"{self.url.render_as_string()} through SSH bastion "
            f"{ssh.username}@{ssh.host}:{ssh.port}"
        )

    @contextmanager
    def session(self) -> Iterator[SISSession]:
        """Open the tunnel; the session streams queries through it."""
        with SSHConnection(self.settings.ssh) as ssh:
            port = ssh.forward(
                self.url.host or "localhost", self.url.port or _default_port(self.url)
            )
            password = Path(self.settings.password_file).read_text().strip()
            session = SISSession(
                self.url.set(host="127.0.0.1", port=port),
                password,
                self.dialect,
                arraysize=self.settings.arraysize,
                where=self.where,
            )
            try:
                yield session
            finally:
                session.close()


def _default_port(url: URL) -> int:
    return 1521 if url.get_backend_name() == "oracle" else 5432


class SISSession:
    """Queries over one tunnel and one database connection, opened on first use.

    ``url`` is the tunnel's local end; ``where`` is what messages name instead (the
    database as the bastion sees it), since the local port says nothing to a reader.
    """

    def __init__(
        self,
        url: URL,
        password: str,
        dialect: sa.engine.Dialect,
        arraysize: int = 100_000,
        where: str | None = None,
    ):
        self._url = url
        self._password = password
        self.dialect = dialect
        self.arraysize = arraysize
        self.where = where or url.render_as_string()
        self._conn: Any = None

    @property
    def oracle_fetch_options(self) -> dict[str, Any]:
        """Keyword arguments of python-oracledb's ``Connection.fetch_df_batches``: ``size``
        is the batch size, and the driver sets arraysize and prefetchrows to it."""
        return {"size": self.arraysize}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> Any:
        if self._conn is None:
            backend = self._url.get_backend_name()
            try:
                self._conn = self._connect(backend)
            except SISError:
                raise
            except Exception as e:
                raise SISError(self._connect_failure(e)) from None
        return self._conn

    def _connect(self, backend: str) -> Any:
        if backend == "postgresql":
            import adbc_driver_postgresql.dbapi as adbc

            uri = self._url.set(drivername="postgresql", password=self._password)
            return adbc.connect(uri.render_as_string(hide_password=False))
        if backend == "oracle":
            import oracledb  # thin mode: no Oracle client libraries needed

            return oracledb.connect(
                user=self._url.username,
                password=self._password,
                host=self._url.host,
                port=self._url.port,
                service_name=self._url.database,
            )
        raise SISError(f"no Arrow driver for {backend!r} databases")

    def _scrub(self, text: str) -> str:
        return text.replace(self._password, "***") if self._password else text

    def _connect_failure(self, e: Exception) -> str:
        message = self._scrub(str(e))
        hint = ""
        if any(sign.lower() in message.lower() for sign in _UNREACHABLE):
            # the tunnel's local end always accepts; the failure is behind the bastion
            hint = (
                ". The bastion could not reach the database, or would not forward to it: "
                "check the URL's host, port and service name as the bastion sees them"
            )
        return f"cannot connect to {self.where}: {type(e).__name__}: {message}{hint}"

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except SISError:
            raise
        except Exception as e:  # driver errors: keep the reason, drop any secret
            raise SISError(
                f"{type(e).__name__} querying {self.where}: {self._scrub(str(e))}"
            ) from None

    def stream(self, query: sa.Select, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        """Record batches cast to ``schema`` (column names compared in lower case)."""
        sql = compile_for(query, self.dialect)
        with self._errors():
            conn = self._connection()
            if self._url.get_backend_name() == "oracle":
                for frame in conn.fetch_df_batches(statement=sql, **self.oracle_fetch_options):
                    for batch in pa.table(frame).to_batches():
                        yield _conform(batch, schema)
                return
            cursor = conn.cursor()
            try:
                cursor.execute(sql)
                for batch in cursor.fetch_record_batch():
                    yield _conform(batch, schema)
            finally:
                cursor.close()

    def one(self, query: sa.Select) -> tuple:
        """The single row of a small query (a change probe)."""
        sql = compile_for(query, self.dialect)
        with self._errors():
            cursor = self._connection().cursor()
            try:
                cursor.execute(sql)
                return tuple(cursor.fetchone())
            finally:
                cursor.close()


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    batch = batch.rename_columns([name.lower() for name in batch.schema.names])
    missing = [f.name for f in schema if f.name not in batch.schema.names]
    if missing:
        raise SISError(f"query result lacks declared columns {missing}")
    return pa.record_batch([batch.column(f.name).cast(f.type) for f in schema], schema=schema)


def _window(t: sa.Table, partition: Partition | None) -> list[sa.ColumnElement[bool]]:
    if partition is None:
        return []
    column = t.c[partition.column]
    if partition.start is None:  # the first partition: all earlier rows, and undated ones
        return [sa.or_(column < partition.end, column.is_(None))]
    return [column >= partition.start, column < partition.end]


def select_table(table: str, partition: Partition | None = None) -> sa.Select:
    """Every declared column of a table, in declared order, within a partition's window."""
    t = sql_table(table)
    return sa.select(*t.columns).where(*_window(t, partition))


def probe(table: str, cursor: str, partition: Partition | None = None) -> sa.Select:
    """Row count and highest cursor value: what changes when the table changes."""
    t = sql_table(table)
    return sa.select(sa.func.count().label("n"), sa.func.max(t.c[cursor]).label("cursor")).where(
        *_window(t, partition)
    )


def compile_for(query: sa.Select, dialect: Dialect) -> str:
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def render_cursor(value: object) -> str:
    """Cursor values compared as text: one rendering on both sides of a probe."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return value.isoformat() if isinstance(value, dt.date) else str(value)


@dataclass(frozen=True)
class Drop:
    table: pa.Table
    file: RemoteFile  # as listed before the download; the change sensor compares it


class SISDrop(SISSource):
    """Reads one region's SIS CSV drops: ``<remote_dir>/<table>.csv``."""

    settings: SFTPDropSettings

    @property
    def folder(self) -> SFTPFolder:
        return SFTPFolder(self.settings.ssh, self.settings.remote_dir, DropFileError)

    def files(self) -> dict[str, RemoteFile]:
        """The drop folder's CSV files by table name."""
        listed = self.folder.by_name(
            lambda name: name.removesuffix(".csv") if name.endswith(".csv") else None
        )
        return {table: files[0] for table, files in listed.items()}

    def fetch(self, table: str) -> Drop:
        """Download ``<remote_dir>/<table>.csv`` and return it validated."""
        parsed, info = self.folder.fetch(
            self.folder.path(f"{table}.csv"), lambda local, uri: read_drop(local, table, uri)
        )
        return Drop(parsed, info)
