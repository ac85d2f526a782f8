"""SIS tables from PowerSchool's table export on SFTP (Paterson): validated, then mapped
onto the database columns before anything lands."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from teamster.core.csv_reader import US_DATE, Column, CSVFileError, read_csv
from teamster.core.settings import SFTPDropSettings
from teamster.core.ssh import RemoteFile, SSHConnection, fetch_file
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
    """Reads one region's SIS CSV drops."""

    def __init__(self, settings: SFTPDropSettings):
        self.settings = settings

    def remote_path(self, table: str) -> str:
        return f"{self.settings.remote_dir.rstrip('/')}/{table}.csv"

    def files(self) -> dict[str, RemoteFile]:
        """The drop folder's CSV files by table name."""
        with SSHConnection(self.settings.ssh) as ssh:
            listing = ssh.list_files(self.settings.remote_dir)
        return {
            f.path.rsplit("/", 1)[-1].removesuffix(".csv"): f
            for f in listing
            if f.path.endswith(".csv")
        }

    def fetch(self, table: str) -> Drop:
        """Download ``<remote_dir>/<table>.csv`` and return it validated."""
        remote = self.remote_path(table)
        display = f"sftp://{self.settings.ssh.host}:{self.settings.ssh.port}{remote}"
        try:
            parsed, info = fetch_file(
                self.settings.ssh, remote, lambda local: read_drop(local, table, display), display
            )
        except FileNotFoundError as e:
            raise DropFileError(str(e)) from None
        return Drop(parsed, info)
