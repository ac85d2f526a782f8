"""Sheets a code location ingests (``config/google_sheets.yaml``): id, tab, table, columns."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from teamster.core.arrow_types import arrow_type
from teamster.core.config import load_config
from teamster.core.csv_reader import Column, schema_of


class SheetTable(BaseModel):
    """One tab of one spreadsheet, landed as ``<location>_google_sheets.<table>``."""

    model_config = ConfigDict(extra="forbid")
    table: str
    sheet_id: str
    gid: int = 0
    description: str | None = None
    columns: dict[str, str]  # header name -> column type (int64, string, date, ...)
    required: list[str] = []  # columns whose every cell must hold a value

    @field_validator("columns")
    @classmethod
    def _types_known(cls, columns: dict[str, str]) -> dict[str, str]:
        for name, kind in columns.items():
            try:
                arrow_type(kind)
            except ValueError as e:
                raise ValueError(f"column {name!r}: {e}") from None
        return columns

    @model_validator(mode="after")
    def _required_declared(self) -> SheetTable:
        unknown = [c for c in self.required if c not in self.columns]
        if unknown:
            raise ValueError(f"{self.table}: required columns {unknown} are not declared")
        return self

    @property
    def csv_columns(self) -> list[Column]:
        """The tab's columns as the CSV reader declares them; headers match as written."""
        return [Column(n, kind, required=n in self.required) for n, kind in self.columns.items()]

    @property
    def schema(self) -> pa.Schema:
        return schema_of(self.csv_columns)


class GoogleSheetsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sheets: list[SheetTable]

    @model_validator(mode="after")
    def _unique_tables(self) -> GoogleSheetsConfig:
        tables = [s.table for s in self.sheets]
        if len(set(tables)) != len(tables):
            raise ValueError(f"a table is declared twice: {tables}")
        return self


def load_sheets_config(path: Path) -> GoogleSheetsConfig:
    return load_config(path, GoogleSheetsConfig, "google_sheets")
