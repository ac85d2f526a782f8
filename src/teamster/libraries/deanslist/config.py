"""Per-region DeansList configuration (``config/deanslist.yaml`` in a code location).

DeansList numbers its schools itself (``SchoolID`` on incidents, ``DLSchoolID`` on
behaviour). The region's config is the crosswalk from those ids to PowerSchool school
numbers, maintained by a data engineer when a school opens or closes; the keys file (a
secret, maintained by whoever holds DeansList admin) holds one key per DeansList
school id. A row naming a DeansList school this crosswalk does not list fails its load.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, PositiveInt, PrivateAttr, field_validator

from teamster.core.config import load_config


class DeansListSchool(BaseModel):
    """One crosswalk entry: a DeansList school and the PowerSchool school it is."""

    model_config = ConfigDict(extra="forbid")

    deanslist_school_id: PositiveInt
    school_number: PositiveInt


class DeansListConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # the schools' wall clock (the region's, from the registry): DeansList's plain-text
    # times are in it, and the nightly reload runs by it
    timezone: str
    # the first school year (July 1) loaded; each fiscal year is a partition
    first_fiscal_year: dt.date = dt.date(2025, 7, 1)
    # rows per behaviour page (DeansList's `page_size`)
    behavior_page_size: PositiveInt = 5000
    schools: list[DeansListSchool]
    _source: str = PrivateAttr(default="DeansList config")

    @field_validator("first_fiscal_year")
    @classmethod
    def _july_first(cls, day: dt.date) -> dt.date:
        if (day.month, day.day) != (7, 1):
            raise ValueError(f"a fiscal year starts on July 1, not {day}")
        return day

    @field_validator("schools")
    @classmethod
    def _distinct(cls, schools: list[DeansListSchool]) -> list[DeansListSchool]:
        if not schools:
            raise ValueError("list at least one school")
        ids = [s.deanslist_school_id for s in schools]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"DeansList school id(s) listed twice: {twice}")
        return schools

    @property
    def school_ids(self) -> list[int]:
        """The DeansList school ids, in config order: one API key and call each."""
        return [s.deanslist_school_id for s in self.schools]

    @property
    def crosswalk(self) -> dict[int, int]:
        """DeansList school id -> PowerSchool school number."""
        return {s.deanslist_school_id: s.school_number for s in self.schools}

    @property
    def source(self) -> str:
        """Where this config came from, for errors that ask someone to edit it."""
        return self._source


def load_deanslist_config(path: Path, timezone: str) -> DeansListConfig:
    """A region's DeansList config from ``path``; ``timezone`` is the region's (registry)."""
    config = load_config(path, DeansListConfig, "deanslist", {"timezone": timezone})
    config._source = str(path)
    return config
