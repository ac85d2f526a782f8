"""Google Sheets assets: one table per declared tab, typed by the declared columns.

A tab's header must name exactly the declared columns (any order): a missing or extra
column, a value of the wrong type or an empty required cell fails the run naming the
sheet, line and column, and the previous table stays as it was.
"""

import hashlib

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Output,
    asset,
)

from teamster.core.csv_reader import read_csv
from teamster.core.io_managers import Extract
from teamster.core.naming import dataset_for, key_for_relation
from teamster.core.resources import WAREHOUSE_POOL
from teamster.libraries.google_sheets.config import GoogleSheetsConfig, SheetTable
from teamster.libraries.google_sheets.resources import GoogleSheets

INTEGRATION = "google_sheets"
# People edit sheets during the working day; reload them every hour of it.


def sheet_key(location: str, sheet: SheetTable) -> AssetKey:
    return key_for_relation(dataset_for(location, INTEGRATION), sheet.table)


def build_google_sheet_assets(location: str, config: GoogleSheetsConfig) -> list[AssetsDefinition]:
    return [_sheet_asset(location, sheet) for sheet in config.sheets]


def _sheet_asset(location: str, sheet: SheetTable) -> AssetsDefinition:
    dataset = dataset_for(location, INTEGRATION)
    key = sheet_key(location, sheet)
    schema = sheet.schema
    columns = sheet.csv_columns

    @asset(
        key=key,
        group_name=INTEGRATION,
        kinds={"googlesheets", "parquet"},
        pool=WAREHOUSE_POOL,
        description=(sheet.description or f"Google Sheet tab `{sheet.table}`.")
        + f" Sheet `{sheet.sheet_id}`, gid {sheet.gid}; replaced whole on every load.",
        metadata={"sheet_id": sheet.sheet_id, "gid": sheet.gid},
    )
    def _asset(context: AssetExecutionContext, google_sheets: GoogleSheets) -> Output[Extract]:
        sheets = google_sheets
        with sheets.connect() as client:
            body = client.export_csv(sheet.sheet_id, sheet.gid)
        # Google's export leaves off the last row's line ending; the client has the whole
        # body by then, so give it one rather than have it refused as truncated.
        complete = body if body.endswith((b"\n", b"\r")) else body + b"\n"
        table = read_csv(
            complete,
            columns,
            f"Google Sheet {sheet.sheet_id!r} ({dataset}.{sheet.table}, gid {sheet.gid})",
            extra="error",
        ).table
        return Output(
            Extract(schema, table.to_batches()),
            metadata={"source/sha256": hashlib.sha256(body).hexdigest()},
        )

    return _asset
