"""A vendor's SFTP folder as a file source: list it, and fetch a file whole and validated.

PowerSchool's table export, i-Ready's results and ADP's payroll journals all arrive as
files in a folder on an SFTP server. Each library says which file is which and how to
read it; this is the one way they are listed and fetched: host keys checked, a dropped
transfer retried from scratch, a file the vendor is still writing waited for (it must
hold still: quiet for a few seconds and unchanged across its download), a file parsed
from a complete local copy before anything lands, and every error naming the file by a
URI that carries no secret.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import asyncssh

from teamster.core.settings import SSHSettings
from teamster.core.ssh import (
    CONNECT,
    QUIET_SECONDS,
    ConnectPolicy,
    RemoteFile,
    SSHConnection,
    fetch_file,
)

T = TypeVar("T")
K = TypeVar("K")


@dataclass(frozen=True)
class SFTPFolder:
    """One folder on one SFTP server, read as one user. ``error`` is the library's own
    error type, raised for a folder that cannot be listed and a file that is missing."""

    ssh: SSHSettings
    folder: str
    error: type[Exception] = FileNotFoundError
    attempts: int = 3  # downloads, each from scratch
    first_wait: float = 1.0  # seconds before the first retry
    quiet: float = QUIET_SECONDS  # a file modified this recently is watched before reading
    connect: ConnectPolicy = CONNECT  # one bound on connecting, however many downloads

    def path(self, name: str) -> str:
        return f"{self.folder.rstrip('/')}/{name}"

    def uri(self, path: str | None = None) -> str:
        """Where a file (or the folder) is, for messages and metadata."""
        return f"sftp://{self.ssh.username}@{self.ssh.host}:{self.ssh.port}{path or self.folder}"

    def files(self) -> list[RemoteFile]:
        """Every file in the folder, with its size and mtime."""
        try:
            with SSHConnection(self.ssh, policy=self.connect) as ssh:
                return ssh.list_files(self.folder)
        except asyncssh.SFTPError as e:
            raise self.error(f"{self.uri()}: cannot list ({e.reason})") from None

    def by_name(self, key: Callable[[str], K | None]) -> dict[K, list[RemoteFile]]:
        """The folder's files grouped by what ``key`` makes of each name (None: a file that
        is not one of ours), in name order."""
        found: dict[K, list[RemoteFile]] = {}
        for f in sorted(self.files(), key=lambda f: f.path):
            k = key(f.path.rsplit("/", 1)[-1])
            if k is not None:
                found.setdefault(k, []).append(f)
        return found

    def fetch(self, path: str, parse: Callable[[Path, str], T]) -> tuple[T, RemoteFile]:
        """Download ``path`` whole and ``parse(local copy, uri)``; returns what it made and
        the file's size and mtime, the same before and after the download (what change
        sensors compare). Only that file is looked up, not the whole folder listed again."""
        uri = self.uri(path)
        try:
            return fetch_file(
                self.ssh,
                path,
                lambda local: parse(local, uri),
                uri,
                self.attempts,
                self.first_wait,
                quiet=self.quiet,
                connect=self.connect,
            )
        except FileNotFoundError as e:
            raise self.error(str(e)) from None
