"""Per-region SIS configuration (``config/powerschool.yaml`` in a code location)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ValidationError

from teamster.core.settings import Settings, SettingsError
from teamster.libraries.powerschool.sis.resources import PowerSchoolSIS
from teamster.libraries.powerschool.sis.sftp import SISDrop


class SISConfig(BaseModel):
    path: Literal["sql", "sftp"]
    tables: list[str]


def load_sis_config(path: Path) -> SISConfig:
    try:
        return SISConfig.model_validate(yaml.safe_load(path.read_text())["sis"])
    except (KeyError, TypeError, ValidationError) as e:
        raise SettingsError(f"{path}: invalid `sis` section: {e}") from None


def sis_resource(location: str, config: SISConfig, settings: Settings) -> PowerSchoolSIS | SISDrop:
    """The resource the SIS assets of ``location`` read through."""
    pool = settings.sis_databases if config.path == "sql" else settings.sis_sftp
    if location not in pool:
        raise SettingsError(
            f"environment {settings.environment!r} has no SIS {config.path} settings for {location}"
        )
    if config.path == "sql":
        return PowerSchoolSIS(settings.sis_databases[location])
    return SISDrop(settings.sis_sftp[location])
