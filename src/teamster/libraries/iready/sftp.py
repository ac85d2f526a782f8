"""The i-Ready SFTP resource: one region's user, host key checked against known_hosts.

The files are found by pattern, not by one fixed name: a site's export of a subject may
or may not carry ``_CONFIDENTIAL``. Two files for one subject in the folder is an error
that names both (which one is current cannot be guessed).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncssh
import pyarrow as pa

from teamster.core.settings import Settings, SettingsError, SFTPDropSettings
from teamster.core.ssh import RemoteFile, SSHConnection, fetch_file
from teamster.libraries.iready.config import IReadyConfig
from teamster.libraries.iready.files import (
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
        self.settings = settings
        self.config = config

    @property
    def folder(self) -> str:
        """This school year's folder of the region's site."""
        root = self.settings.remote_dir.rstrip("/")
        return f"{root}/{self.config.site_folder}/{CURRENT_YEAR_FOLDER}"

    def uri(self, path: str) -> str:
        ssh = self.settings.ssh
        return f"sftp://{ssh.username}@{ssh.host}:{ssh.port}{path}"

    def files(self) -> dict[str, RemoteFile]:
        """The results file of each subject present in the folder, by partition key."""
        try:
            with SSHConnection(self.settings.ssh) as ssh:
                listing = ssh.list_files(self.folder)
        except asyncssh.SFTPError as e:
            raise IReadyFileError(f"{self.uri(self.folder)}: cannot list ({e.reason})") from None
        found: dict[str, list[RemoteFile]] = {}
        for f in listing:
            subject = subject_of(f.path.rsplit("/", 1)[-1])
            if subject is not None:
                found.setdefault(subject, []).append(f)
        twice = {s: fs for s, fs in found.items() if len(fs) > 1}
        if twice:
            names = "; ".join(
                f"{s}: {', '.join(f.path for f in fs)}" for s, fs in sorted(twice.items())
            )
            raise IReadyFileError(
                f"{self.uri(self.folder)}: more than one results file for a subject ({names})"
            )
        return {s: fs[0] for s, fs in sorted(found.items())}

    def fetch(self, subject: str) -> Results:
        """Download one subject's file and return it validated (``IReadyFileError`` if not)."""
        if subject not in SUBJECTS:
            raise ValueError(f"unknown subject {subject!r}; expected one of {list(SUBJECTS)}")
        listed = self.files().get(subject)
        if listed is None:
            raise IReadyFileError(
                f"{self.uri(self.folder)}: no diagnostic_results_{subject}[_CONFIDENTIAL].csv"
            )
        uri = self.uri(listed.path)
        try:
            table, info = fetch_file(
                self.settings.ssh,
                listed.path,
                lambda local: read_results(
                    local, subject, uri, self.config.crosswalk, self.config.source
                ),
                uri,
            )
        except FileNotFoundError as e:
            raise IReadyFileError(str(e)) from None
        return Results(table, uri, info)


def iready_resource(location: str, settings: Settings, config: IReadyConfig) -> IReadySFTP:
    """The resource ``location``'s i-Ready asset and sensor read through."""
    if location not in settings.iready_sftp:
        raise SettingsError(
            f"environment {settings.environment!r} has no i-Ready SFTP settings for {location}"
        )
    return IReadySFTP(settings.iready_sftp[location], config)
