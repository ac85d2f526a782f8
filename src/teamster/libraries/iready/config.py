"""Per-region i-Ready configuration (``config/iready.yaml`` in a code location).

i-Ready names schools itself (the export's School column, not PowerSchool's name), and
puts each site's exports in a folder of its own. The region's config says which folder
is its site and maps every school name its export uses to a PowerSchool school number.
A row naming a school this crosswalk does not list fails its load, naming the school.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, PositiveInt, PrivateAttr, field_validator

from teamster.core.config import load_config

_FOLDER = re.compile(r"[A-Za-z0-9_.-]+")


class IReadySchool(BaseModel):
    """One crosswalk entry: a school as i-Ready names it, and the PowerSchool school."""

    model_config = ConfigDict(extra="forbid")

    iready_school_name: str
    school_number: PositiveInt

    @field_validator("iready_school_name")
    @classmethod
    def _named(cls, name: str) -> str:
        if name != name.strip() or not name:
            raise ValueError(f"{name!r}: give the name exactly as i-Ready writes it")
        return name


class IReadyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # the site's folder under the SFTP export directory (i-Ready's name for it)
    site_folder: str
    schools: list[IReadySchool]
    _source: str = PrivateAttr(default="i-Ready config")

    @field_validator("site_folder")
    @classmethod
    def _one_folder(cls, folder: str) -> str:
        if not _FOLDER.fullmatch(folder) or folder in (".", ".."):
            raise ValueError(f"{folder!r} is not a folder name")
        return folder

    @field_validator("schools")
    @classmethod
    def _distinct(cls, schools: list[IReadySchool]) -> list[IReadySchool]:
        if not schools:
            raise ValueError("list at least one school")
        names = [s.iready_school_name for s in schools]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"school name(s) listed twice: {twice}")
        return schools

    @property
    def crosswalk(self) -> dict[str, int]:
        """i-Ready school name -> PowerSchool school number."""
        return {s.iready_school_name: s.school_number for s in self.schools}

    @property
    def source(self) -> str:
        """Where this config came from, for errors that ask someone to edit it."""
        return self._source


def load_iready_config(path: Path) -> IReadyConfig:
    config = load_config(path, IReadyConfig, "iready")
    config._source = str(path)
    return config
