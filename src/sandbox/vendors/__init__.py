"""The systems other than the SIS: DeansList, i-Ready, ADP, Google Sheets, Enrollment.

Each vendor module draws its whole year from its own seeded generator (so a later
view repeats the same draws), keeps what has happened by ``as_of``
(``generate``), writes what its server serves (``publish``) and says what a
correct warehouse must hold of it (``truth``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.vendors import adp, deanslist, enrollment, iready, sheets

if TYPE_CHECKING:
    from sandbox.generator import District, World

MODULES = (deanslist, iready, adp, sheets, enrollment)


def fill(world: World, district: District) -> None:
    for module in MODULES:
        module.generate(world, district)


def publish(district: District, root: Path) -> None:
    for module in MODULES:
        module.publish(district, root)


def truth(district: District) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for module in MODULES:
        out.update(module.truth(district))
    return out
