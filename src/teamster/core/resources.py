"""Resources every code location shares, built from the process's settings."""

from __future__ import annotations

from typing import Any

from teamster.core.io_managers import LandingIOManager
from teamster.core.landing import LandingZone
from teamster.core.settings import Settings
from teamster.core.warehouse import warehouse_for

# Every step that writes the warehouse runs in this pool; in `local` its limit is 1
# because DuckDB allows one writing process per file.
WAREHOUSE_POOL = "warehouse"


def shared_resources(settings: Settings) -> dict[str, Any]:
    """``warehouse`` for assets that read tables; ``io_manager`` lands what assets return."""
    warehouse = warehouse_for(settings.warehouse)
    return {
        "warehouse": warehouse,
        "io_manager": LandingIOManager(LandingZone(settings.landing), warehouse),
    }
