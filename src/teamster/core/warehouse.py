"""Warehouse loaders: replace exactly the table or partition that was landed.

DuckDB in ``local`` (schemas named like the BigQuery datasets), BigQuery in ``prod``.
A load is one transaction (DuckDB), or one truncating load job or one ``MERGE``
(BigQuery), so an interrupted load leaves the previous good state.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
from dagster import ConfigurableResource
from pydantic import PrivateAttr
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from teamster.core.landing import LandedFile
from teamster.core.partitions import Partition
from teamster.core.private import private_umask
from teamster.core.settings import BigQuerySettings, DuckDBSettings


class Warehouse(ConfigurableResource):
    """The ``warehouse`` resource: what the IO manager loads into and extracts read from.
    One type for both kinds, so assets and other resources take it as a typed parameter."""

    def replace(self, dataset: str, table: str, landed: LandedFile) -> int:
        raise NotImplementedError

    def read(self, dataset: str, table: str) -> pa.Table:
        """A whole table or view, for extracts that are small by nature (files to push)."""
        raise NotImplementedError


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class WarehouseBusy(RuntimeError):
    """Another process held the DuckDB file for longer than a load waits."""


def _locked(error: BaseException) -> bool:
    return isinstance(error, duckdb.IOException) and "Could not set lock" in str(error)


class DuckDBWarehouse(Warehouse):
    path: str  # the database file
    # DuckDB lets one process at a time open a file to write (and none to read while it
    # does): a load that finds it held (another run's load or dbt build, a DuckDB shell)
    # waits this many seconds for it, then fails naming the holder
    lock_wait: float = 600.0

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        if not read_only:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        retrying = Retrying(
            stop=stop_after_delay(self.lock_wait),
            wait=wait_exponential(multiplier=0.1, max=2),
            retry=retry_if_exception(_locked),
            reraise=True,
        )
        try:
            return retrying(duckdb.connect, self.path, read_only=read_only)
        except duckdb.IOException as e:
            if not _locked(e):
                raise
            held = re.search(r"Conflicting lock is held in (.*?)(?:\. See|$)", str(e))
            raise WarehouseBusy(
                f"the warehouse {self.path} stayed locked for {self.lock_wait:.0f} s by "
                f"{held.group(1) if held else 'another process'}: another run's load or dbt "
                "build, or a DuckDB shell, holds it; close it (or wait for the run) and retry"
            ) from None

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to write through, closed after the block; opened and used with no
        group or other bits in the umask. DuckDB creates the database file (and its
        folder), and its write-ahead log again after every checkpoint, with the umask's
        mode and takes none from us; the warehouse holds student records
        (``teamster.core.private``)."""
        with private_umask(), self.connect() as con:
            yield con

    def read(self, dataset: str, table: str) -> pa.Table:
        with self.connect(read_only=True) as con:
            return con.sql(f"SELECT * FROM {_ident(dataset)}.{_ident(table)}").to_arrow_table()

    def replace(self, dataset: str, table: str, landed: LandedFile) -> int:
        """Swap in the landed file's rows; returns the row count now in that slice."""
        target = f"{_ident(dataset)}.{_ident(table)}"
        # The landing folders look like Hive partitions (``subject=ela/``); DuckDB would add
        # (or overwrite!) a column from the folder name unless told not to.
        source = "read_parquet(?, hive_partitioning = false)"
        with self.writing() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(dataset)}")
                if landed.partition is None:
                    con.execute(
                        f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {source}", [landed.uri]
                    )
                else:
                    p = landed.partition
                    con.execute(
                        f"CREATE TABLE IF NOT EXISTS {target} AS SELECT * FROM {source} LIMIT 0",
                        [landed.uri],
                    )
                    predicate, params = p.where(_ident(p.column))
                    con.execute(f"DELETE FROM {target} WHERE {predicate}", params)
                    con.execute(
                        f"INSERT INTO {target} BY NAME SELECT * FROM {source}", [landed.uri]
                    )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return landed.rows


class BigQueryWarehouse(Warehouse):
    """Loads landed GCS files with BigQuery load jobs.

    A whole table: one truncating load job into the table. A partition: a load into a
    scratch table, then one ``MERGE`` that deletes the window's old rows and inserts the
    new ones in a single statement, so readers see the old rows or the new ones, never
    a mix. The scratch table is dropped whatever happens (and expires on its own after
    a day should the process die first).
    """

    SCRATCH_TTL: ClassVar[dt.timedelta] = dt.timedelta(days=1)

    project: str
    location: str
    api_endpoint: str | None = None  # an emulator's, in tests
    _client: Any = PrivateAttr(default=None)
    # known to exist: one API call each, not per load
    _datasets: set[str] = PrivateAttr(default_factory=set)

    @property
    def client(self):
        if self._client is None:
            from teamster.core.google import bigquery_client  # the ``prod`` extra

            self._client = bigquery_client(self.project, self.location, self.api_endpoint)
        return self._client

    def _ref(self, dataset: str, table: str) -> str:
        return f"{self.project}.{dataset}.{table}"

    def read(self, dataset: str, table: str) -> pa.Table:
        # extracts are small: the REST API, not the Storage Read API, reads them
        sql = f"SELECT * FROM {_bq_ident(self._ref(dataset, table))}"
        return self.client.query(sql).to_arrow(create_bqstorage_client=False)

    def replace(self, dataset: str, table: str, landed: LandedFile) -> int:
        """Swap in the landed file's rows; returns the row count landed."""
        from google.cloud import bigquery

        if dataset not in self._datasets:
            self.client.create_dataset(f"{self.project}.{dataset}", exists_ok=True)
            self._datasets.add(dataset)
        target = self._ref(dataset, table)
        if landed.partition is None:
            self._load(landed.uri, target)
            return landed.rows
        scratch = self._ref(dataset, f"{table}__load_{uuid.uuid4().hex[:12]}")
        try:
            loaded = self._load(landed.uri, scratch)
            loaded.expires = dt.datetime.now(dt.UTC) + self.SCRATCH_TTL
            self.client.update_table(loaded, ["expires"])
            self.client.create_table(bigquery.Table(target, schema=loaded.schema), exists_ok=True)
            sql, parameters = partition_merge(target, scratch, loaded.schema, landed.partition)
            config = bigquery.QueryJobConfig(
                query_parameters=[bigquery.ScalarQueryParameter(*p) for p in parameters]
            )
            self.client.query(sql, job_config=config).result()
        finally:
            self.client.delete_table(scratch, not_found_ok=True)
        return landed.rows

    def _load(self, uri: str, destination: str):
        from google.cloud import bigquery

        self.client.load_table_from_uri(
            uri,
            destination,
            job_config=bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.PARQUET,
                write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                create_disposition=bigquery.CreateDisposition.CREATE_IF_NEEDED,
            ),
        ).result()
        return self.client.get_table(destination)


def _bq_ident(name: str) -> str:
    if "`" in name or "\\" in name:
        raise ValueError(f"not a usable BigQuery name: {name!r}")
    return f"`{name}`"


def partition_merge(
    target: str, scratch: str, schema: list, partition: Partition
) -> tuple[str, list[tuple[str, str, object]]]:
    """One ``MERGE`` that replaces ``partition``'s rows of ``target`` with ``scratch``.

    ``ON FALSE`` matches nothing: every old row of the window is deleted ("not matched
    by source") and every new row inserted ("not matched"), in one atomic statement.
    Columns are listed by name, so a column order that differs between the landed file
    and the table cannot shift values. Returns the SQL and its query parameters as
    ``(name, BigQuery type, value)``; each is cast to the partition column's type.
    """
    types = {field.name: field.field_type for field in schema}
    column = partition.column
    if column not in types:
        raise ValueError(f"partition column {column!r} is not in the landed file")
    predicate, values = partition.where(f"t.{_bq_ident(column)}")
    parameters = []
    for i, value in enumerate(values):
        name = f"p{i}"
        cast = f"CAST(@{name} AS {_CAST_TYPES.get(types[column], types[column])})"
        predicate = predicate.replace("?", cast, 1)
        parameters.append((name, _parameter_type(value), value))
    columns = ", ".join(_bq_ident(field.name) for field in schema)
    values_list = ", ".join(f"s.{_bq_ident(field.name)}" for field in schema)
    sql = (
        f"MERGE {_bq_ident(target)} AS t\n"
        f"USING {_bq_ident(scratch)} AS s\n"
        "ON FALSE\n"
        f"WHEN NOT MATCHED BY SOURCE AND {predicate} THEN DELETE\n"
        f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values_list})"
    )
    return sql, parameters


# load jobs report legacy type names; CAST takes the standard ones
_CAST_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL"}


def _parameter_type(value: object) -> str:
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, dt.datetime):
        return "DATETIME"
    if isinstance(value, dt.date):
        return "DATE"
    return "STRING"


def warehouse_for(settings: DuckDBSettings | BigQuerySettings) -> Warehouse:
    """The environment's warehouse resource."""
    if isinstance(settings, DuckDBSettings):
        return DuckDBWarehouse(path=str(settings.path))
    return BigQueryWarehouse(
        project=settings.project, location=settings.location, api_endpoint=settings.api_endpoint
    )
