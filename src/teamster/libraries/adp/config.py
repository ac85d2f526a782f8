"""kipptaf's ADP crosswalk (``code_locations/kipptaf/config/adp.yaml``).

ADP knows neither our code locations nor PowerSchool's schools. Its payroll groups
(company codes: the group in a general-ledger file's name, ``payrollGroupCode`` on a
work assignment) are legal entities, one per region plus the network; its locations
(``LOCATION_ID`` in the ledger, ``homeWorkLocation`` on a work assignment) are sites. A
site is one school, an office that is no school, or a campus shared by schools, where
the home department (``DEPT_ID``, the ``Department`` organisational unit) says which.

Loads translate through this crosswalk and fail, naming the value and the file, when a
group, location or campus department is not in it; nothing joins to NULL later.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    PositiveInt,
    PrivateAttr,
    field_validator,
    model_validator,
)

from teamster.core.config import load_config
from teamster.core.regions import LOCATIONS

_CODE = re.compile(r"[0-9]+")
_GROUP = re.compile(r"[A-Za-z0-9]+")


class Location(BaseModel):
    """An ADP location: one school (``school_number``), no school (``school_number:
    null``, said explicitly), or a shared campus (``departments``: department code ->
    school number)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    school_number: PositiveInt | None = None
    departments: dict[str, PositiveInt] | None = None

    @model_validator(mode="after")
    def _one_way_to_a_school(self) -> Location:
        says_school = "school_number" in self.model_fields_set
        if says_school == (self.departments is not None):
            raise ValueError(
                "give either school_number (null for an office) or departments, not both"
            )
        for code in self.departments or {}:
            if not _CODE.fullmatch(code):
                raise ValueError(f"department code {code!r} is not a number")
        return self


class UnknownSite(LookupError):
    """A location (or a campus department) the crosswalk does not list."""


class ADPConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payroll_groups: dict[str, str]  # payroll group code -> code location
    locations: dict[str, Location]  # location code -> its school
    _source: str = PrivateAttr(default="ADP config")

    @field_validator("payroll_groups")
    @classmethod
    def _known_locations(cls, groups: dict[str, str]) -> dict[str, str]:
        if not groups:
            raise ValueError("list at least one payroll group")
        for code, location in groups.items():
            if not _GROUP.fullmatch(code):
                raise ValueError(f"payroll group {code!r} is not letters and digits")
            if location not in LOCATIONS:
                raise ValueError(f"payroll group {code}: {location!r} is not one of {LOCATIONS}")
        return groups

    @field_validator("locations")
    @classmethod
    def _numeric_codes(cls, locations: dict[str, Location]) -> dict[str, Location]:
        if not locations:
            raise ValueError("list at least one location")
        bad = [code for code in locations if not _CODE.fullmatch(code)]
        if bad:
            raise ValueError(f"location code(s) {bad} are not numbers (quote them in YAML)")
        return locations

    @property
    def source(self) -> str:
        """Where this config came from, for errors that ask someone to edit it."""
        return self._source

    def code_location(self, group: str) -> str:
        """The code location of a payroll group; ``KeyError`` when it is not listed."""
        return self.payroll_groups[group]

    def school_number(self, location: str | None, department: str | None) -> int | None:
        """The PowerSchool school of a location (and department, at a shared campus):
        None for an office; ``UnknownSite`` when the crosswalk cannot say."""
        if location is None:
            return None
        site = self.locations.get(location)
        if site is None:
            raise UnknownSite(f"location {location!r} is not in {self.source} (`locations`)")
        if site.departments is None:
            return site.school_number
        if department not in site.departments:
            raise UnknownSite(
                f"department {department!r} of shared location {location} ({site.name}) is "
                f"not in {self.source} (`locations.{location}.departments`)"
            )
        return site.departments[department]


def load_adp_config(path: Path) -> ADPConfig:
    config = load_config(path, ADPConfig, "adp")
    config._source = str(path)
    return config
