"""What change sensors and schedules compare: what the last load of an asset recorded.

A load records on its materialization what it read (a file's mtime and size, a probe's
count and cursor, a row count); a sensor or schedule asks the source for the same and
requests a run only where the two differ.
"""

from __future__ import annotations

from typing import Any

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance

from teamster.core.ssh import RemoteFile


def last_metadata(
    instance: DagsterInstance, key: AssetKey, partition: str | None = None
) -> dict[str, Any] | None:
    """The metadata values of the last materialization of ``key`` (or of one of its
    partitions); None if it was never materialized."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None),
        limit=1,
    ).records
    materialization = records[0].asset_materialization if records else None
    if materialization is None:
        return None
    return {name: value.value for name, value in materialization.metadata.items()}


def source_metadata(file: RemoteFile) -> dict[str, int]:
    """What a load of ``file`` records, as the server listed it before the download."""
    return {"source/mtime": file.mtime, "source/size": file.size}


def file_changed(last: dict[str, Any] | None, file: RemoteFile) -> bool:
    """Whether ``file`` differs from what the last load recorded (or was never loaded)."""
    seen = None if last is None else (last.get("source/mtime"), last.get("source/size"))
    return seen != (file.mtime, file.size)
