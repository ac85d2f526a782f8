"""The one naming rule: an asset's key is where its table lives in the warehouse.

A table ``<dataset>.<name>`` has the key ``[location, *rest, name]`` where the dataset
is ``<location>`` or ``<location>_<rest>``. So ``kippnewark_powerschool.students`` (an
ingested table) is ``kippnewark/powerschool/students``, and
``kipptaf_extracts.rpt_powerschool__autocomm_students`` (a dbt model) is
``kipptaf/extracts/rpt_powerschool__autocomm_students``. Ingestion assets and dbt
nodes follow the same rule, so a dbt source over any table resolves to the asset
that writes it, in whichever code location that is.
"""

from __future__ import annotations

from dagster import AssetKey


def dataset_for(location: str, integration: str | None = None) -> str:
    return location if integration is None else f"{location}_{integration}"


def key_for_relation(dataset: str, table: str) -> AssetKey:
    location, _, rest = dataset.partition("_")
    if not location or not table:
        raise ValueError(f"cannot name an asset for {dataset!r}.{table!r}")
    return AssetKey([location, rest, table] if rest else [location, table])


def relation_for_key(key: AssetKey) -> tuple[str, str]:
    """Inverse of ``key_for_relation``: (dataset, table)."""
    path = key.path
    if len(path) == 2:
        return path[0], path[1]
    if len(path) == 3:
        return f"{path[0]}_{path[1]}", path[2]
    raise ValueError(f"asset key {key.to_user_string()} does not name a warehouse table")
