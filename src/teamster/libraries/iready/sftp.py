"""The i-Ready SFTP resource: one region's user, host key checked against known_hosts."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from teamster.core.settings import Settings, SettingsError, SFTPDropSettings
from teamster.core.ssh import RemoteFile, SSHConnection, fetch_file
from teamster.libraries.iready.files import SUBJECTS, IReadyFileError, file_name, read_results


@dataclass(frozen=True)
class Results:
    table: pa.Table
    uri: str  # where it came from, for metadata and errors
    file: RemoteFile  # as listed before the download; the change sensor compares it


class IReadySFTP:
    """Reads one region's diagnostic results files."""

    def __init__(self, settings: SFTPDropSettings):
        self.settings = settings

    def remote_path(self, subject: str) -> str:
        return f"{self.settings.remote_dir.rstrip('/')}/{file_name(subject)}"

    def uri(self, subject: str) -> str:
        ssh = self.settings.ssh
        return f"sftp://{ssh.username}@{ssh.host}:{ssh.port}{self.remote_path(subject)}"

    def files(self) -> dict[str, RemoteFile]:
        """The results files present in the folder, by subject (partition key)."""
        with SSHConnection(self.settings.ssh) as ssh:
            listing = {f.path: f for f in ssh.list_files(self.settings.remote_dir)}
        return {s: listing[self.remote_path(s)] for s in SUBJECTS if self.remote_path(s) in listing}

    def fetch(self, subject: str) -> Results:
        """Download one subject's file and return it validated (``IReadyFileError`` if not)."""
        uri = self.uri(subject)
        try:
            table, info = fetch_file(
                self.settings.ssh,
                self.remote_path(subject),
                lambda local: read_results(local, subject, uri),
                uri,
            )
        except FileNotFoundError as e:
            raise IReadyFileError(str(e)) from None
        return Results(table, uri, info)


def iready_resource(location: str, settings: Settings) -> IReadySFTP:
    """The resource ``location``'s i-Ready asset and sensor read through."""
    if location not in settings.iready_sftp:
        raise SettingsError(
            f"environment {settings.environment!r} has no i-Ready SFTP settings for {location}"
        )
    return IReadySFTP(settings.iready_sftp[location])
