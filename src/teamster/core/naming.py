"""The one naming rule: an asset's key is where its table lives in the warehouse.

A table ``<dataset>.<name>`` has the key ``[location, *rest, name]`` where the dataset
is ``<location>`` or ``<location>_<rest>``. So ``kippnewark_powerschool.students`` (an
ingested table) is ``kippnewark/powerschool/students``, and
``kipptaf_extracts.rpt_powerschool__autocomm_students`` (a dbt model) is
``kipptaf/extracts/rpt_powerschool__autocomm_students``. Ingestion assets and dbt
nodes follow the same rule, so a dbt source over any table resolves to the asset
that writes it, in whichever code location that is.

Names that end up inside SQL, URLs or paths are checked where they are made or read
from config, against the strict rules below: BigQuery datasets and tables (letters,
digits and underscores; the same names on DuckDB), Google Cloud project ids, and the
LUIDs (UUIDs) Tableau identifies workbooks by. So a ``../``, a quote, a backtick, a
slash or a stray space or newline is refused with the place it came from, before it
could reach a query, a request or a file name.
"""

from __future__ import annotations

import re

from dagster import AssetKey

# BigQuery allows more in table names (dashes, spaces, any letter); we keep to what
# both warehouses and every tool downstream read without quoting.
_DATASET = re.compile(r"[A-Za-z0-9_]{1,1024}")
_TABLE = re.compile(r"[A-Za-z0-9_]{1,1024}")
_PROJECT = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]")
_LUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _check(pattern: re.Pattern[str], value: object, what: str, rule: str, where: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        raise ValueError(f"{where}: {shown} is not a {what} ({rule})")
    return value


def check_dataset(name: object, where: str) -> str:
    """``name`` if it is a usable dataset (schema) name; else a ValueError naming ``where``."""
    return _check(_DATASET, name, "BigQuery dataset name", "1-1024 letters, digits, _", where)


def check_table(name: object, where: str) -> str:
    """``name`` if it is a usable table name; else a ValueError naming ``where``."""
    return _check(_TABLE, name, "warehouse table name", "1-1024 letters, digits, _", where)


def check_project(name: object, where: str) -> str:
    """``name`` if it is a Google Cloud project id; else a ValueError naming ``where``."""
    rule = "6-30 lowercase letters, digits, -; a letter first, no - last"
    return _check(_PROJECT, name, "Google Cloud project id", rule, where)


def check_bucket(name: object, where: str) -> str:
    """``name`` if it is a GCS bucket name we use (no dots: no domain-named buckets)."""
    rule = "3-63 lowercase letters, digits, -, _; a letter or digit at each end"
    return _check(_BUCKET, name, "GCS bucket name", rule, where)


def check_luid(value: object, where: str) -> str:
    """``value`` if it is a Tableau LUID; else a ValueError naming ``where``."""
    rule = "a UUID such as 6b1e3f9a-0c2d-4e51-9a7b-2f4c8d1e0a11"
    return _check(_LUID, value, "Tableau LUID", rule, where)


def dataset_for(location: str, integration: str | None = None) -> str:
    dataset = location if integration is None else f"{location}_{integration}"
    return check_dataset(dataset, f"dataset of location {location!r}")


def key_for_relation(dataset: str, table: str) -> AssetKey:
    location, _, rest = dataset.partition("_")
    if not location or not table:
        raise ValueError(f"cannot name an asset for {dataset!r}.{table!r}")
    check_dataset(dataset, f"relation {dataset!r}.{table!r}")
    check_table(table, f"relation {dataset!r}.{table!r}")
    return AssetKey([location, rest, table] if rest else [location, table])


def relation_for_key(key: AssetKey) -> tuple[str, str]:
    """Inverse of ``key_for_relation``: (dataset, table), both checked."""
    path = key.path
    if len(path) == 2:
        dataset, table = path
    elif len(path) == 3:
        dataset, table = f"{path[0]}_{path[1]}", path[2]
    else:
        raise ValueError(f"asset key {key.to_user_string()} does not name a warehouse table")
    where = f"asset key {key.to_user_string()}"
    return check_dataset(dataset, where), check_table(table, where)
