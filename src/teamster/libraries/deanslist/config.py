"""Per-region DeansList configuration (``config/deanslist.yaml`` in a code location).

The region's schools are listed here, by PowerSchool school number, because that is
what a data engineer maintains when a school opens or closes; the keys file (a
secret, maintained by whoever holds DeansList admin) only has to hold a key for each.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, field_validator

from teamster.core.settings import load_config


class DeansListConfig(BaseModel):
    timezone: str = "America/New_York"
    schools: list[int]

    @field_validator("schools")
    @classmethod
    def _distinct(cls, schools: list[int]) -> list[int]:
        if not schools:
            raise ValueError("list at least one school")
        if len(set(schools)) != len(schools):
            raise ValueError("a school is listed twice")
        return schools


def load_deanslist_config(path: Path) -> DeansListConfig:
    return load_config(path, DeansListConfig, "deanslist")
