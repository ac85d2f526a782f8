"""The i-Ready SFTP resource: one region's user, host key checked against known_hosts.

The files are found by pattern, not by one fixed name: a site's export of a subject may
or may not carry ``_CONFIDENTIAL``. Two files for one subject in the folder is an error
that names both (which one is current cannot be guessed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from dagster import ConfigurableResource
from pydantic import PrivateAttr

from teamster.core.settings import Settings, SettingsError, SFTPDropSettings
from teamster.core.sftp import SFTPFolder
from teamster.core.ssh import RemoteFile
from teamster.libraries.iready.config import IReadyConfig, load_iready_config
from teamster.libraries.iready.schema import (
    CURRENT_YEAR_FOLDER,
    SUBJECTS,
    IReadyFileError,
    read_results,
    subject_of,
)


@dataclass(frozen=True)
class Results:
    table: pa.Table
    uri: str  # where it came from, for metadata and errors
    file: RemoteFile  # as listed before the download; the change sensor compares it


class IReadySFTP(ConfigurableResource):
    """Reads one region's diagnostic results files.

    Its config is the SFTP settings and the path of the region's ``iready.yaml``; the
    YAML (site folder and school crosswalk) is read from there when first needed, since
    its validated model is no Dagster config type.
    """

    settings: SFTPDropSettings
    config_file: str
    _config: IReadyConfig | None = PrivateAttr(default=None)

    @property
    def config(self) -> IReadyConfig:
        if self._config is None:
            self._config = load_iready_config(Path(self.config_file))
        return self._config

    @property
    def folder(self) -> SFTPFolder:
        """This school year's folder of the region's site."""
        root = self.settings.remote_dir.rstrip("/")
        return SFTPFolder(
            self.settings.ssh,
            f"{root}/{self.config.site_folder}/{CURRENT_YEAR_FOLDER}",
            IReadyFileError,
        )

    def files(self) -> dict[str, RemoteFile]:
        """The results file of each subject present in the folder, by partition key."""
        found = self.folder.by_name(subject_of)
        twice = {s: fs for s, fs in found.items() if len(fs) > 1}
        if twice:
            names = "; ".join(
                f"{s}: {', '.join(f.path for f in fs)}" for s, fs in sorted(twice.items())
            )
            raise IReadyFileError(
                f"{self.folder.uri()}: more than one results file for a subject ({names})"
            )
        return {s: fs[0] for s, fs in sorted(found.items())}

    def fetch(self, subject: str) -> Results:
        """Download one subject's file and return it validated (``IReadyFileError`` if not)."""
        if subject not in SUBJECTS:
            raise ValueError(f"unknown subject {subject!r}; expected one of {list(SUBJECTS)}")
        listed = self.files().get(subject)
        if listed is None:
            raise IReadyFileError(
                f"{self.folder.uri()}: no diagnostic_results_{subject}[_CONFIDENTIAL].csv"
            )
        table, info = self.folder.fetch(
            listed.path,
            lambda local, uri: read_results(
                local, subject, uri, self.config.crosswalk, self.config.source
            ),
        )
        return Results(table, self.folder.uri(listed.path), info)


def iready_resource(location: str, settings: Settings, config_file: Path) -> IReadySFTP:
    """The resource ``location``'s i-Ready asset and sensor read through; its YAML is
    read here, so a broken one fails the code location's load as it always did."""
    if location not in settings.iready_sftp:
        raise SettingsError(
            f"environment {settings.environment!r} has no i-Ready SFTP settings for {location}"
        )
    resource = IReadySFTP(settings=settings.iready_sftp[location], config_file=str(config_file))
    resource.config  # noqa: B018 (validate now)
    return resource
