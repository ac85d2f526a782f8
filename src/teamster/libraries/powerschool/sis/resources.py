"""The SIS database resource: an SSH tunnel plus an Arrow-native driver.

The URL is a SQLAlchemy URL as seen from the bastion (``oracle+oracledb://...`` in
prod, ``postgresql://...`` in the sandbox); the password comes from a file. Rows are
fetched as Arrow record batches by the driver itself (ADBC for PostgreSQL,
python-oracledb's DataFrame batches for Oracle), which is what keeps extraction fast
and memory bounded. Oracle's batch size (``arraysize``) comes from the settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from teamster.core.settings import SISDatabaseSettings
from teamster.core.ssh import SSHConnection
from teamster.libraries.powerschool.sis.queries import compile_for

# What drivers say when nothing answers at the far end of the tunnel: python-oracledb's
# "cannot connect" code, and the words of a closed or refused connection.
_UNREACHABLE = ("DPY-6005", "closed the connection", "server closed", "connection refused")


class SISError(RuntimeError):
    """A SIS query failed; the message never carries the password."""


class PowerSchoolSIS:
    def __init__(self, settings: SISDatabaseSettings):
        self.settings = settings
        self.url = make_url(settings.url)
        self.dialect = self.url.get_dialect()()

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
            password = self.settings.password_file.read_text().strip()
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
