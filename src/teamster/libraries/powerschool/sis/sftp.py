"""SIS tables from PowerSchool's table export on SFTP (Paterson): validated, then mapped
onto the database columns before anything lands."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from teamster.core.csv_reader import US_DATE, Column, CSVFileError, read_csv
from teamster.core.settings import SFTPDropSettings
from teamster.core.sftp import SFTPFolder
from teamster.core.ssh import RemoteFile
from teamster.libraries.powerschool.sis.tables import arrow_schema, table


class DropFileError(CSVFileError):
    """A dropped file does not match its table's declaration; names file, line, column."""


def read_drop(path: Path, name: str, display_name: str) -> pa.Table:
    """Parse PowerSchool's export of table ``name`` strictly, into the declared columns.

    The export's header reads ``TABLE.FIELD``; its fields are mapped to the database
    columns (``tables.yaml``: ``export``), its MM/DD/YYYY dates parsed, and columns the
    district's instance lacks land NULL, so both SIS paths land the same columns and
    types (a date-time the export writes as a bare date lands at midnight).
    """
    declared = table(name)
    export = declared.export
    if export is None:
        raise DropFileError(f"{display_name}: PowerSchool's SFTP export has no {name!r} table")
    read = [c for c in declared.columns if c not in export.missing]
    columns = [
        Column(
            export.field(c),
            declared.columns[c],
            format=US_DATE if c in export.us_dates else None,
        )
        for c in read
    ]
    prefix = f"{name}."

    def field_name(header: str) -> str:
        return header.lower().removeprefix(prefix)

    parsed = read_csv(path, columns, display_name, header_key=field_name, error=DropFileError)
    schema = arrow_schema(name)
    landed = {c: parsed.table.column(export.field(c)) for c in read}
    return pa.table(
        [landed.get(f.name, pa.nulls(parsed.table.num_rows, f.type)) for f in schema], schema=schema
    )


@dataclass(frozen=True)
class Drop:
    table: pa.Table
    file: RemoteFile  # as listed before the download; the change sensor compares it


class SISDrop:
    """Reads one region's SIS CSV drops: ``<remote_dir>/<table>.csv``."""

    def __init__(self, settings: SFTPDropSettings):
        self.folder = SFTPFolder(settings.ssh, settings.remote_dir, DropFileError)

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
