"""Expected warehouse tables: what each kipptaf mart and extract must hold, row by row.

Computed in plain Python from the rows the sandbox's systems serve on a day (a
``District``), never from anything teamster loads or from SQL. A table's expectation
is too big for truth.json at scale 1 (daily attendance is a row per student and day),
so tests compute it in process from the district's seed, scale and date
(``district_of``). Each module covers a family of models; ``all_tables`` joins them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.generator import District


@dataclass(frozen=True)
class Expected:
    """One warehouse relation's expected rows.

    ``columns`` are compared in order; the first ``key`` of them identify a row (they
    must be unique in ``rows``). Floats compare to ``tolerance``; everything else
    exactly. ``where`` filters the warehouse side when the expectation covers only part
    of the relation (say, one academic year) and must say why in ``note``."""

    relation: str
    columns: tuple[str, ...]
    key: int
    rows: list[tuple[Any, ...]]
    tolerance: float = 1e-9
    where: str | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def district_of(sandbox_root: Path) -> District:
    """The district a sandbox data dir serves now (its seed, scale and date)."""
    from sandbox import generator

    state = json.loads((sandbox_root / "state.json").read_text())
    world = generator.World(state["seed"], state["scale"], state["start_year"])
    return world.view(dt.date.fromisoformat(state["as_of"]))


def all_tables(district: District) -> list[Expected]:
    """Every relation with an expectation: the PowerSchool marts, the student filters
    and AutoComm extracts (``powerschool``), the network marts and Tableau extracts
    (``network``)."""
    from sandbox.expected import network, powerschool

    return [*powerschool.tables(district), *network.tables(district)]
