"""Change detection for SIS tables: a sensor that probes, a schedule for the rest.

SQL regions: one tunnel per evaluation; for every table with a cursor (and every time
partition of a partitioned one: fiscal year or month) the sensor asks the source for
its row count and highest cursor value, and requests a run only where they differ from
what the last materialization recorded. SFTP regions: a file whose mtime or size differs
from the last load is requested. Tables without a cursor reload nightly. What a run
still in flight already loads is not requested again (``teamster.core.inflight``).
"""

from collections import defaultdict

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from teamster.core.changes import file_changed, last_metadata
from teamster.core.inflight import in_flight
from teamster.libraries.powerschool.sis.assets import table_key
from teamster.libraries.powerschool.sis.config import SISConfig
from teamster.libraries.powerschool.sis.resources import SISSource, probe, render_cursor


def changed_tables(
    context: SensorEvaluationContext, location: str, config: SISConfig, source
) -> dict[str | None, list[AssetKey]]:
    """Asset keys whose source differs from their last load, by partition key."""
    requests: dict[str | None, list[AssetKey]] = defaultdict(list)
    if config.path == "sftp":
        files = source.files()
        for table in config.tables:
            f = files.get(table.name)
            last = last_metadata(context.instance, table_key(location, table))
            if f is not None and file_changed(last, f):
                requests[None].append(table_key(location, table))
        return requests
    with source.session() as session:
        for table in config.tables:
            if table.cursor is None:
                continue
            key = table_key(location, table)
            partitions = config.partitions(table)
            if partitions is not None:
                windows = [(k, config.window(table, k)) for k in partitions.get_partition_keys()]
            else:
                windows = [(None, None)]
            for partition_key, window in windows:
                count, cursor = session.one(probe(table.name, table.cursor, window))
                last = last_metadata(context.instance, key, partition_key)
                seen = (last or {}).get("probe/count"), (last or {}).get("probe/cursor")
                if last is None or seen != (count, render_cursor(cursor)):
                    requests[partition_key].append(key)
    return requests


def build_sis_change_sensor(location: str, config: SISConfig) -> SensorDefinition:
    keys = [
        table_key(location, t)
        for t in config.tables
        if config.path == "sftp" or t.cursor is not None
    ]

    @sensor(
        name=f"{location}__powerschool_sis__changes",
        asset_selection=keys,
        minimum_interval_seconds=15 * 60,
        default_status=DefaultSensorStatus.STOPPED,
        description=f"Probes {location}'s PowerSchool SIS and loads only what changed.",
    )
    def _sensor(context: SensorEvaluationContext, powerschool_sis: SISSource):
        changed = changed_tables(context, location, config, powerschool_sis)
        if not changed:
            return SkipReason("no SIS table changed since its last load")
        busy = in_flight(context.instance)
        requests = {
            partition_key: waiting
            for partition_key, keys in changed.items()
            if (waiting := [k for k in keys if (k, partition_key) not in busy])
        }
        if not requests:
            return SkipReason("every changed SIS table is being loaded by a run in flight")
        stamp = context.cursor or "0"
        context.update_cursor(str(int(stamp) + 1))
        return [
            RunRequest(
                asset_selection=sorted(selection, key=lambda k: k.path),
                partition_key=partition_key,
                run_key=f"{stamp}:{partition_key or 'all'}",
            )
            for partition_key, selection in sorted(requests.items(), key=lambda i: str(i[0]))
        ]

    return _sensor
