"""Warehouse loaders: replace exactly the table or partition that was landed.

DuckDB in ``local`` (schemas named like the BigQuery datasets), BigQuery in ``prod``.
A load is one transaction (DuckDB) or one truncating load job (BigQuery), so an
interrupted load leaves the previous good state.
"""

from __future__ import annotations

from typing import Protocol

import duckdb
import pyarrow as pa

from teamster.core.landing import LandedFile
from teamster.core.settings import BigQuerySettings, DuckDBSettings


class Warehouse(Protocol):
    def replace(self, dataset: str, table: str, landed: LandedFile) -> int: ...

    def read(self, dataset: str, table: str) -> pa.Table:
        """A whole table or view, for extracts that are small by nature (files to push)."""
        ...


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBWarehouse:
    def __init__(self, settings: DuckDBSettings):
        self.path = settings.path

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(self.path), read_only=read_only)

    def read(self, dataset: str, table: str) -> pa.Table:
        with self.connect(read_only=True) as con:
            return con.sql(f"SELECT * FROM {_ident(dataset)}.{_ident(table)}").to_arrow_table()

    def replace(self, dataset: str, table: str, landed: LandedFile) -> int:
        """Swap in the landed file's rows; returns the row count now in that slice."""
        target = f"{_ident(dataset)}.{_ident(table)}"
        # The landing folders look like Hive partitions (``subject=ela/``); DuckDB would add
        # (or overwrite!) a column from the folder name unless told not to.
        source = "read_parquet(?, hive_partitioning = false)"
        with self.connect() as con:
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


class BigQueryWarehouse:
    """Loads landed GCS files: a truncating load job for a whole table; for a partition,
    a load into a scratch table and one multi-statement transaction that swaps the
    window's rows, so readers see the old rows or the new ones, never a mix."""

    def __init__(self, settings: BigQuerySettings):
        self.settings = settings

    def read(self, dataset: str, table: str) -> pa.Table:
        from google.cloud import bigquery  # installed with the ``prod`` extra

        client = bigquery.Client(project=self.settings.project, location=self.settings.location)
        return client.query(f"SELECT * FROM `{self.settings.project}.{dataset}.{table}`").to_arrow()

    def replace(self, dataset: str, table: str, landed: LandedFile) -> int:
        from google.cloud import bigquery  # installed with the ``prod`` extra

        client = bigquery.Client(project=self.settings.project, location=self.settings.location)
        target = f"{self.settings.project}.{dataset}.{table}"
        p = landed.partition
        destination = target if p is None else f"{target}__load_{p.key.replace('-', '')}"
        client.load_table_from_uri(
            landed.uri,
            destination,
            job_config=bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.PARQUET,
                write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                create_disposition=bigquery.CreateDisposition.CREATE_IF_NEEDED,
            ),
        ).result()
        if p is not None:
            predicate, params = p.where(f"`{p.column}`")
            names = [f"p{i}" for i in range(len(params))]
            for name in names:
                predicate = predicate.replace("?", f"@{name}", 1)
            parameters = [
                bigquery.ScalarQueryParameter(name, _bigquery_type(value), value)
                for name, value in zip(names, params, strict=True)
            ]
            client.query(
                f"CREATE TABLE IF NOT EXISTS `{target}` LIKE `{destination}`;\n"
                "BEGIN TRANSACTION;\n"
                f"DELETE FROM `{target}` WHERE {predicate};\n"
                f"INSERT INTO `{target}` SELECT * FROM `{destination}`;\n"
                "COMMIT TRANSACTION;",
                job_config=bigquery.QueryJobConfig(query_parameters=parameters),
            ).result()
            client.delete_table(destination, not_found_ok=True)
        return landed.rows


def _bigquery_type(value: object) -> str:
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    return "DATETIME" if hasattr(value, "isoformat") else "STRING"


def warehouse_for(settings: DuckDBSettings | BigQuerySettings) -> Warehouse:
    if isinstance(settings, DuckDBSettings):
        return DuckDBWarehouse(settings)
    return BigQueryWarehouse(settings)
