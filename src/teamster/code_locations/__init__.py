"""One Dagster code location per school network region, plus kipptaf (the CMO)."""
