"""Per-region SIS configuration (``config/powerschool.yaml`` in a code location)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from dagster import TimeWindowPartitionsDefinition
from pydantic import BaseModel, model_validator

from teamster.core.partitions import Grain, Partition, time_partitions, time_window
from teamster.core.settings import Settings, SettingsError, load_config
from teamster.libraries.powerschool.sis.resources import PowerSchoolSIS
from teamster.libraries.powerschool.sis.sftp import SISDrop
from teamster.libraries.powerschool.sis.tables import columns


class SISTable(BaseModel):
    name: str
    # the column whose max moves when rows change; none: reloaded by the nightly schedule
    cursor: str | None = None
    # time partitions on this date/timestamp column (e.g. transaction_date), by fiscal
    # year (July 1) or, for tables too big to replace a year at a time, by month
    partition_column: str | None = None
    partition_grain: Grain = "fiscal_year"

    @model_validator(mode="after")
    def _declared(self) -> SISTable:
        declared = columns(self.name)
        for role in ("cursor", "partition_column"):
            column = getattr(self, role)
            if column is not None and column not in declared:
                raise ValueError(f"{self.name}: {role} {column!r} is not a declared column")
        if self.partition_column and declared[self.partition_column] not in ("date", "timestamp"):
            raise ValueError(f"{self.name}: partition column must be a date or timestamp")
        if self.partition_grain != "fiscal_year" and self.partition_column is None:
            raise ValueError(f"{self.name}: partition_grain needs a partition_column")
        return self

    def window(self, key: str) -> Partition:
        """The rows partition ``key`` of this table holds."""
        assert self.partition_column is not None
        return time_window(self.partition_grain, key, self.partition_column)


class SISConfig(BaseModel):
    path: Literal["sql", "sftp"]
    timezone: str = "America/New_York"
    first_fiscal_year: dt.date = dt.date(2025, 7, 1)
    tables: list[SISTable]

    def partitions(self, table: SISTable) -> TimeWindowPartitionsDefinition | None:
        """The table's partitions, from the first fiscal year on; None if unpartitioned."""
        if table.partition_column is None:
            return None
        return time_partitions(table.partition_grain, self.first_fiscal_year, self.timezone)


def load_sis_config(path: Path) -> SISConfig:
    return load_config(path, SISConfig, "sis")


def sis_resource(location: str, config: SISConfig, settings: Settings) -> PowerSchoolSIS | SISDrop:
    """The resource the SIS assets of ``location`` read through."""
    pool = settings.sis_databases if config.path == "sql" else settings.sis_sftp
    if location not in pool:
        raise SettingsError(
            f"environment {settings.environment!r} has no SIS {config.path} settings for {location}"
        )
    if config.path == "sql":
        return PowerSchoolSIS(settings.sis_databases[location])
    return SISDrop(settings.sis_sftp[location])
