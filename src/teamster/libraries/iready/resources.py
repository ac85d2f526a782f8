"""The i-Ready SFTP resource: one region's user, host key checked against known_hosts.

The files are found by pattern, not by one fixed name: a site's export of a subject may
or may not carry ``_CONFIDENTIAL``. Two files for one subject in the folder is an error
that names both (which one is current cannot be guessed).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from teamster.core.settings import Settings, SettingsError, SFTPDropSettings
from teamster.core.sftp import SFTPFolder
from teamster.core.ssh import RemoteFile
from teamster.libraries.iready.config import IReadyConfig
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


class IReadySFTP:
    """Reads one region's diagnostic results files."""

    def __init__(self, settings: SFTPDropSettings, config: IReadyConfig):
        self.config = config
        # this school year's folder of the region's site
        root = settings.remote_dir.rstrip("/")
        self.folder = SFTPFolder(
            settings.ssh, f"{root}/{config.site_folder}/{CURRENT_YEAR_FOLDER}", IReadyFileError
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


def iready_resource(location: str, settings: Settings, config: IReadyConfig) -> IReadySFTP:
    """The resource ``location``'s i-Ready asset and sensor read through."""
    if location not in settings.iready_sftp:
        raise SettingsError(
            f"environment {settings.environment!r} has no i-Ready SFTP settings for {location}"
        )
    return IReadySFTP(settings.iready_sftp[location], config)
