"""Start local-bigquery with two fixes; run by the emulators' own interpreter (cloud.py).

Where local-bigquery 0.3.2 differs from BigQuery in a way teamster meets:

- BigQuery reports the table a ``CREATE TABLE ... AS SELECT`` job made as the job's
  destination; the emulator leaves it unset, and dbt-bigquery reads it after every
  table model (``client.get_table(query_job.destination)``).
- A BigQuery load job takes only the file's own columns unless hive partitioning is
  asked for; the emulator lets DuckDB detect ``name=value`` folders and add (or
  overwrite, with another type) a column from the path, which teamster's landing
  layout (``.../fiscal_year=2025-07-01/data.parquet``) would trigger.

Nothing else is changed.
"""

import re
import sys

from local_bigquery import cli
from local_bigquery.jobs import load, query

_execute = query.execute
# CREATE [OR REPLACE] TABLE, after any leading comments (dbt puts one first); not views
_CREATE_TABLE = re.compile(
    r"^\s*(?:(?:/\*.*?\*/|--[^\n]*)\s*)*create\s+(?:or\s+replace\s+)?table\b",
    re.IGNORECASE | re.DOTALL,
)


def execute(cur, project_id, job_id, config, *args, **kwargs):
    statistics, children, destination = _execute(cur, project_id, job_id, config, *args, **kwargs)
    target = getattr(statistics, "ddlTargetTable", None)
    created = getattr(statistics, "ddlOperationPerformed", None) in ("CREATE", "REPLACE")
    is_table = bool(_CREATE_TABLE.match(config.query or ""))
    if destination is None and target is not None and created and is_table:
        destination = target
    return statistics, children, destination


query.execute = execute
_hive = load._hive


def hive(config):
    return _hive(config) if config.hivePartitioningOptions else {"hive_partitioning": "false"}


load._hive = hive

if __name__ == "__main__":
    sys.exit(cli.main())
