"""DeansList assets: ``<region>_deanslist.incidents`` and ``<region>_deanslist.behavior``.

Both are partitioned by fiscal year (July 1). A partition reads every configured
DeansList school (each with its own key) in date windows: incidents a month at a time
(their endpoint is not paged, so a window bounds the answer) with the deleted ones
(``IncludeDeleted=Y``), behaviour the whole year in pages. Every row is typed against
the fields in ``schema.py`` (a bad value names school, window, row and field), its DeansList
school id is translated to the PowerSchool school number through the region's
crosswalk (an id the crosswalk lacks fails the load, naming it), and all rows land as
one Parquet file that replaces exactly that fiscal year's rows. A failure anywhere
lands nothing, so the table keeps its previous good state.

What each landed column is, beside the vendor's field it comes from:
  - timestamps are UTC; an incident's date objects carry their own zone, behaviour's
    plain-text ``DL_LASTUPDATE`` is in the region's configured zone;
  - ``issue_date`` is the incident's day on the school's clock (``IssueTS``'s own date);
  - ``school_number`` is the crosswalk's, ``is_deleted`` says the row came in
    ``deleted_data``, ``fiscal_year`` (the fall year) is the partition that read it.
"""

import calendar
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, asset

from teamster.core.io_managers import Extract
from teamster.core.naming import dataset_for, key_for_relation
from teamster.core.partitions import Partition, by_value, fiscal_year_partitions
from teamster.core.resources import WAREHOUSE_POOL
from teamster.libraries.deanslist.config import DeansListConfig
from teamster.libraries.deanslist.resources import (
    ENDPOINTS,
    DeansListAPI,
    DeansListError,
    DeansListSession,
    Window,
)
from teamster.libraries.deanslist.schema import (
    DESCRIPTIONS,
    FIELDS,
    arrow_schema,
    to_batch,
)

GROUP = "deanslist"
INTEGRATION = "deanslist"


def fall_year(partition_key: str) -> int:
    """The fall year of a fiscal-year partition key (``2026-07-01`` -> 2026)."""
    start = dt.date.fromisoformat(partition_key)
    if (start.month, start.day) != (7, 1):
        raise ValueError(f"{partition_key!r} is not a fiscal-year partition key")
    return start.year


def months(year: int) -> list[Window]:
    """The twelve calendar months of fiscal year ``year`` (July to June)."""
    out = []
    for k in range(12):
        y, m = year + (6 + k) // 12, (6 + k) % 12 + 1
        out.append(Window(dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])))
    return out


def whole_year(year: int) -> list[Window]:
    return [Window(dt.date(year, 7, 1), dt.date(year + 1, 6, 30))]


def partition_for(key: str) -> Partition:
    """The rows a fiscal-year partition holds: those its windows read."""
    return by_value("fiscal_year", key, "fiscal_year", fall_year(key))


def asset_key(location: str, endpoint: str) -> AssetKey:
    return key_for_relation(dataset_for(location, INTEGRATION), endpoint)


def build_deanslist_assets(location: str, config: DeansListConfig) -> list[AssetsDefinition]:
    """The incidents and behaviour assets of ``location``'s configured schools."""
    return [_endpoint_asset(location, endpoint, config) for endpoint in FIELDS]


def _reads(
    endpoint: str, session: DeansListSession, school: int, year: int, config: DeansListConfig
) -> Iterator[tuple[Window, list[Any], bool]]:
    """(window, rows, deleted?) for every call one school's fiscal year takes."""
    if endpoint == "incidents":
        for window in months(year):
            got = session.incidents(school, window)
            yield window, got.live, False
            yield window, got.deleted, True
    else:
        for window in whole_year(year):
            yield window, session.behavior(school, window, config.behavior_page_size), False


def _endpoint_asset(location: str, endpoint: str, config: DeansListConfig) -> AssetsDefinition:
    key = asset_key(location, endpoint)
    schema = arrow_schema(endpoint)
    ident = FIELDS[endpoint][0]

    @asset(
        key=key,
        group_name=GROUP,
        kinds={"deanslist", "parquet"},
        pool=WAREHOUSE_POOL,
        partitions_def=fiscal_year_partitions(config.first_fiscal_year, config.timezone),
        description=DESCRIPTIONS[endpoint].format(location=location)
        + " One partition per fiscal year: each load replaces exactly that year's rows.",
        metadata={"deanslist_schools": ", ".join(str(s) for s in config.school_ids)},
    )
    def _asset(context: AssetExecutionContext, deanslist: DeansListAPI) -> Extract:
        year = fall_year(context.partition_key)
        by_school: dict[str, int] = {}
        deleted_rows = 0
        api = deanslist

        def batches() -> Iterator[pa.RecordBatch]:
            nonlocal deleted_rows
            seen: dict[int, str] = {}
            with api.connect(config.school_ids) as session:
                for school in config.school_ids:
                    by_school[str(school)] = 0
                    for window, rows, deleted in _reads(endpoint, session, school, year, config):
                        where = f"DeansList {ENDPOINTS[endpoint]} for school {school}, {window}"
                        batch = to_batch(
                            endpoint,
                            rows,
                            where=where,
                            config=config,
                            fiscal_year=year,
                            deleted=deleted,
                        )
                        for row_id in batch.column(ident.name).to_pylist():
                            if row_id in seen:
                                raise DeansListError(
                                    f"{where}: {ident.field} {row_id} came twice (first in "
                                    f"{seen[row_id]}); the windows overlap or the data moved"
                                )
                            seen[row_id] = where
                        by_school[str(school)] += batch.num_rows
                        deleted_rows += batch.num_rows if deleted else 0
                        yield batch
                    context.log.info(
                        f"{endpoint} {year}: {by_school[str(school)]} rows for DeansList "
                        f"school {school}"
                    )

        def metadata(_: Any) -> dict[str, Any]:
            out: dict[str, Any] = {"rows_by_deanslist_school": by_school}
            if endpoint == "incidents":
                out["deleted_rows"] = deleted_rows
            return out

        return Extract(schema, batches(), partition_for(context.partition_key), after_load=metadata)

    return _asset
