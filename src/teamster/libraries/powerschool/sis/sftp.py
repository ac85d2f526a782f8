"""SIS tables from CSV drops on SFTP (Paterson): validated before anything lands."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from teamster.core.settings import SFTPDropSettings
from teamster.core.ssh import RemoteFile, SSHConnection, fetch_file
from teamster.libraries.powerschool.sis.tables import arrow_schema


class DropFileError(ValueError):
    """A dropped file does not match its table's declaration; names file, line, column."""


def read_drop(path: Path, table: str, display_name: str) -> pa.Table:
    """Parse a CSV drop strictly against the declared schema of ``table``."""
    schema = arrow_schema(table)
    with path.open(newline="") as f:
        header_line = f.readline()
    header = [h.strip() for h in header_line.rstrip("\r\n").split(",")] if header_line else []
    missing = [name for name in schema.names if name not in header]
    if missing:
        raise DropFileError(
            f"{display_name}, line 1: missing column(s) "
            f"{', '.join(repr(m) for m in missing)} for table {table!r}"
        )
    try:
        return (
            pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    column_types=schema,
                    include_columns=schema.names,
                    strings_can_be_null=False,
                    timestamp_parsers=["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", pacsv.ISO8601],
                ),
                parse_options=pacsv.ParseOptions(newlines_in_values=False),
            )
            .select(schema.names)
            .cast(schema)
        )
    except pa.ArrowInvalid as e:
        raise DropFileError(f"{display_name}: {_diagnose(path, schema, str(e))}") from None


def _diagnose(path: Path, schema: pa.Schema, arrow_message: str) -> str:
    """Find the first offending line and column; pyarrow's own message lacks them.

    Runs only after a failed parse, so a slow pass over the file costs nothing normally.
    """
    with path.open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        positions = {name: header.index(name) for name in schema.names}
        for line, values in enumerate(reader, start=2):
            if len(values) != len(header):
                return f"line {line}: expected {len(header)} fields, found {len(values)}"
            for field in schema:
                raw = values[positions[field.name]]
                if raw == "":
                    continue
                try:
                    pa.array([raw], pa.string()).cast(field.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    return (
                        f"line {line}, column {field.name!r}: {raw!r} is not a valid {field.type}"
                    )
    return arrow_message


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
