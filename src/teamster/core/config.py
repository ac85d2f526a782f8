"""A code location's YAML config files, read into pydantic models with errors that name
the file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from teamster.core.settings import SettingsError

ConfigModel = TypeVar("ConfigModel", bound=BaseModel)


def load_config(
    path: Path,
    model: type[ConfigModel],
    section: str | None = None,
    registry: Mapping[str, Any] | None = None,
) -> ConfigModel:
    """A code location's YAML config (or one top-level section of it) as ``model``; any
    error names the file and section.

    ``registry`` holds the fields the registry of code locations decides for the region
    (its time zone, its SIS path): they are filled in from there, and a file that sets
    one too is refused, so a region's facts live in one place.
    """
    what = f"`{section}` section" if section else "config"
    try:
        with path.open() as stream:  # a stream, so YAML's own errors name the file
            data = yaml.safe_load(stream)
    except OSError as e:
        raise SettingsError(f"{path}: cannot read the {what}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise SettingsError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        wanted = f"a mapping with a top-level `{section}:`" if section else "a mapping"
        raise SettingsError(f"{path}: expected {wanted}, found {found}")
    if section and section not in data:
        raise SettingsError(f"{path}: no top-level `{section}:` (found {sorted(data)})")
    values = data[section] if section else data
    if not isinstance(values, dict):
        raise SettingsError(f"{path}: the {what} must be a mapping, not {values!r}")
    doubled = sorted(set(registry or {}) & set(values))
    if doubled:
        raise SettingsError(
            f"{path}: {', '.join(doubled)} is the region's, set in "
            "src/teamster/code_locations/locations.yaml; remove it here"
        )
    try:
        return model.model_validate({**values, **(registry or {})})
    except ValidationError as e:
        raise SettingsError(f"{path}: invalid {what}: {e}") from None
