"""The registry of code locations (``code_locations/locations.yaml``): the network and its
school regions, read once.

Everything that differs by region and is not an integration's own config is here, so a
region is one block of YAML: its time zone, how its PowerSchool SIS is read, whether it
takes AutoComm files, and its schools. Settings, the sandbox, ``workspace.yaml`` and the
CLI derive their region lists from it instead of keeping their own.
"""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

REGISTRY_FILE = Path(__file__).resolve().parents[1] / "code_locations" / "locations.yaml"
# a location's name is a Python package, a dbt project and part of dataset names
_NAME = re.compile(r"[a-z][a-z0-9]*")


class RegistryError(ValueError):
    """The registry file is missing or wrong; the message names the file."""


def check_zone(value: str) -> str:
    """``value`` if it is an IANA time zone; ValueError saying so if not."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (like America/New_York)") from None
    return value


def check_name(value: str) -> str:
    """``value`` if it can name a code location; ValueError saying so if not."""
    if not _NAME.fullmatch(value):
        raise ValueError(f"{value!r} must be lower-case letters and digits, starting with a letter")
    return value


class School(BaseModel):
    """A school as PowerSchool numbers it; grades run K (0) to 12."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    number: int
    name: str
    abbreviation: str
    low_grade: int
    high_grade: int
    tracks: bool = False  # a year-round calendar with tracks A and B

    @model_validator(mode="after")
    def _grades(self) -> School:
        if not 0 <= self.low_grade <= self.high_grade <= 12:
            raise ValueError(f"school {self.number}: grades must run from 0 (K) up to 12")
        return self


class Network(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    timezone: str

    _check_name = field_validator("name")(check_name)
    _check_zone = field_validator("timezone")(check_zone)


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    city: str
    state: str
    timezone: str
    sis: Literal["sql", "sftp"]
    autocomm: bool = False
    schools: tuple[School, ...]

    _check_name = field_validator("name")(check_name)
    _check_zone = field_validator("timezone")(check_zone)

    @model_validator(mode="after")
    def _some_schools(self) -> Region:
        if not self.schools:
            raise ValueError(f"region {self.name} lists no schools")
        return self


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    network: Network
    regions: tuple[Region, ...]

    @model_validator(mode="after")
    def _unique(self) -> Registry:
        names = [self.network.name, *(r.name for r in self.regions)]
        numbers = [s.number for r in self.regions for s in r.schools]
        for what, values in (("location name", names), ("school number", numbers)):
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise ValueError(f"each {what} must be used once: {twice} appear more than once")
        return self

    @property
    def locations(self) -> tuple[str, ...]:
        """Every code location: the network first, then the regions in file order."""
        return (self.network.name, *self.region_names)

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    def region(self, name: str) -> Region:
        for r in self.regions:
            if r.name == name:
                return r
        raise RegistryError(f"{name!r} is not a region in {REGISTRY_FILE}: {self.region_names}")

    def with_sis(self, path: Literal["sql", "sftp"]) -> tuple[str, ...]:
        """The regions whose SIS is read by ``path``."""
        return tuple(r.name for r in self.regions if r.sis == path)

    @property
    def autocomm_regions(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions if r.autocomm)


def load_registry(path: Path = REGISTRY_FILE) -> Registry:
    """Read and check a registry file; any error names the file."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise RegistryError(f"{path}: cannot read the registry of code locations: {e}") from None
    try:
        return Registry.model_validate(data)
    except ValidationError as e:
        raise RegistryError(f"{path}: invalid registry of code locations: {e}") from None


# the registry this checkout ships, read once per process
REGISTRY = load_registry()
LOCATIONS = REGISTRY.locations
NETWORK = REGISTRY.network.name
REGIONS = REGISTRY.region_names
SQL_SIS_REGIONS = REGISTRY.with_sis("sql")
SFTP_SIS_REGIONS = REGISTRY.with_sis("sftp")
AUTOCOMM_REGIONS = REGISTRY.autocomm_regions
