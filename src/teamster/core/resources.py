"""Resources every code location shares, built from the process's settings."""

from __future__ import annotations

from typing import Any

from teamster.core.landing import LandingZone
from teamster.core.settings import Settings
from teamster.core.warehouse import warehouse_for

# Every step that writes the warehouse runs in this pool; in `local` its limit is 1
# because DuckDB allows one writing process per file.
WAREHOUSE_POOL = "warehouse"


def shared_resources(settings: Settings) -> dict[str, Any]:
    return {
        "landing": LandingZone(settings.landing),
        "warehouse": warehouse_for(settings.warehouse),
    }
