"""What is being loaded right now, so a sensor does not ask for it a second time.

A change sensor compares the source with the last materialization. While a run for a
change is queued or running, the last materialization is still the old one, so the
next tick would see the same change and request it again. Sensors drop what an
in-flight run already covers; once that run ends (materialized, failed or canceled)
the comparison decides again, so a failed load is retried at the next tick.
"""

from dagster import AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter

IN_FLIGHT = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]
PARTITION_TAG = "dagster/partition"


def in_flight(instance: DagsterInstance) -> set[tuple[AssetKey, str | None]]:
    """(asset key, partition key or None) of every asset an unfinished run targets."""
    runs = instance.get_runs(filters=RunsFilter(statuses=IN_FLIGHT))
    return {(key, run.tags.get(PARTITION_TAG)) for run in runs for key in run.asset_selection or ()}
