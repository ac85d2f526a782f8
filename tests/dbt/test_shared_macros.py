"""Macros kipptaf and the powerschool package both define are one definition.

kipptaf installs no packages (dbt Cloud builds it alone), so it cannot call the
powerschool package's macros and keeps its own copy of each; the copies must not drift
(a fall year typed differently in the two would not join).
"""

import pytest

from teamster.libraries.dbt.resources import DBT_ROOT

SHARED = ["fall_year.sql", "type_double.sql"]


@pytest.mark.parametrize("name", SHARED)
def test_kipptaf_copy_is_the_powerschool_macro(name: str) -> None:
    ours = DBT_ROOT / "kipptaf" / "macros" / name
    package = DBT_ROOT / "powerschool" / "macros" / name
    assert ours.read_text() == package.read_text(), f"{ours} differs from {package}"


def test_kipptaf_installs_no_packages() -> None:
    # were it to install powerschool, the copies should go and kipptaf call the package's
    assert not (DBT_ROOT / "kipptaf" / "packages.yml").exists()
    assert not (DBT_ROOT / "kipptaf" / "dependencies.yml").exists()
