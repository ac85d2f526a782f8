"""Per-region SIS configuration (``config/powerschool.yaml`` in a code location)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from dagster import TimeWindowPartitionsDefinition
from pydantic import BaseModel, ConfigDict, model_validator

from teamster.core.config import load_config
from teamster.core.partitions import (
    PARTITION_FMT,
    Grain,
    Partition,
    time_partitions,
    time_window,
)
from teamster.core.regions import Region
from teamster.core.settings import Settings, SettingsError
from teamster.libraries.powerschool.sis.resources import PowerSchoolSIS, SISDrop, SISSource
from teamster.libraries.powerschool.sis.schema import columns
from teamster.libraries.powerschool.sis.schema import table as declared_table


class SISTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    # time partitions on this date/timestamp column, by fiscal year (July 1) or, for
    # tables too big to replace a year at a time, by month. Pick a column that never
    # changes once a row exists (attendance's att_date): a row then stays in one
    # partition, and an edit moves the cursor of exactly that partition.
    partition_column: str | None = None
    partition_grain: Grain = "fiscal_year"

    @property
    def cursor(self) -> str | None:
        """The column whose max moves when rows change (``tables.yaml``); None: the
        table is reloaded whole by the nightly schedule."""
        return declared_table(self.name).cursor

    @model_validator(mode="after")
    def _declared(self) -> SISTable:
        declared = columns(self.name)
        column = self.partition_column
        if column is not None and column not in declared:
            raise ValueError(f"{self.name}: partition_column {column!r} is not a declared column")
        if column and declared[column] not in ("date", "timestamp"):
            raise ValueError(f"{self.name}: partition column must be a date or timestamp")
        if self.partition_grain != "fiscal_year" and column is None:
            raise ValueError(f"{self.name}: partition_grain needs a partition_column")
        return self


class SISConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # how the SIS is read and the schools' clock: the region's, from the registry
    path: Literal["sql", "sftp"]
    timezone: str
    first_fiscal_year: dt.date = dt.date(2025, 7, 1)
    tables: list[SISTable]

    @model_validator(mode="after")
    def _readable(self) -> SISConfig:
        if self.path == "sftp":
            absent = [t.name for t in self.tables if declared_table(t.name).export is None]
            if absent:
                raise ValueError(f"PowerSchool's SFTP export has no file for {absent}")
        return self

    def partitions(self, table: SISTable) -> TimeWindowPartitionsDefinition | None:
        """The table's partitions, from the first fiscal year on; None if unpartitioned."""
        if table.partition_column is None:
            return None
        return time_partitions(table.partition_grain, self.first_fiscal_year, self.timezone)

    def window(self, table: SISTable, key: str) -> Partition:
        """The rows partition ``key`` of ``table`` holds; the first partition also holds
        every earlier row and every row with no date, so none is left out."""
        assert table.partition_column is not None
        first = self.first_fiscal_year.strftime(PARTITION_FMT)
        return time_window(table.partition_grain, key, table.partition_column, first)


def load_sis_config(path: Path, region: Region) -> SISConfig:
    """``region``'s SIS config: its tables from ``path``, its SIS path and time zone from
    the registry."""
    return load_config(path, SISConfig, "sis", {"path": region.sis, "timezone": region.timezone})


def sis_resource(location: str, config: SISConfig, settings: Settings) -> SISSource:
    """The resource the SIS assets of ``location`` read through."""
    pool = settings.sis_databases if config.path == "sql" else settings.sis_sftp
    if location not in pool:
        raise SettingsError(
            f"environment {settings.environment!r} has no SIS {config.path} settings for {location}"
        )
    if config.path == "sql":
        return PowerSchoolSIS(settings=settings.sis_databases[location])
    return SISDrop(settings=settings.sis_sftp[location])
