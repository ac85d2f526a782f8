"""Environments: one variable (``TEAMSTER_ENV``) picks an explicit map of settings.

``local`` (the default) is the embedded product: a DuckDB file and a landing folder
under the data dir, and the district sandbox on 127.0.0.1 (``settings.local``). ``prod``
is BigQuery, GCS and the vendors' hosts, every value from an environment variable
(``settings.prod``). Both build the same ``Settings`` (``settings.models``), with one
entry per region of the registry (``teamster.core.regions``). An unknown environment or
a missing setting raises ``SettingsError`` when a code location loads.
"""

from __future__ import annotations

import functools
import os

# the models are the package's public face: callers import them from here
from teamster.core.settings.models import (
    ADPSFTPSettings,
    ADPWorkforceNowSettings,
    BigQuerySettings,
    DeansListSettings,
    DuckDBSettings,
    EnrollmentAPISettings,
    GCSLandingSettings,
    GoogleSheetsSettings,
    LocalLandingSettings,
    LocalTableauSettings,
    Settings,
    SFTPDropSettings,
    SISDatabaseSettings,
    SSHSettings,
    TableauServerSettings,
)


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message names it."""


ENVIRONMENTS = ("local", "prod")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings for ``TEAMSTER_ENV``; raises ``SettingsError`` rather than guessing."""
    from teamster.core.settings import local, prod

    env = dict(os.environ if env is None else env)
    name = env.get("TEAMSTER_ENV", "local")
    builders = {"local": local.build, "prod": prod.build}
    if name not in builders:
        raise SettingsError(f"unknown TEAMSTER_ENV {name!r}; expected one of {ENVIRONMENTS}")
    return builders[name](env)


@functools.cache
def current() -> Settings:
    """The process's settings, read once so every code location shares them."""
    return load_settings()


__all__ = [
    "ADPSFTPSettings",
    "ADPWorkforceNowSettings",
    "BigQuerySettings",
    "DeansListSettings",
    "DuckDBSettings",
    "ENVIRONMENTS",
    "EnrollmentAPISettings",
    "GCSLandingSettings",
    "GoogleSheetsSettings",
    "LocalLandingSettings",
    "LocalTableauSettings",
    "SFTPDropSettings",
    "SISDatabaseSettings",
    "SSHSettings",
    "Settings",
    "SettingsError",
    "TableauServerSettings",
    "current",
    "load_settings",
]
