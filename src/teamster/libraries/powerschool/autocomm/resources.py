"""A region's AutoComm inbox: the SFTP folder PowerSchool imports from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import ConfigurableResource

from teamster.core.settings import SFTPDropSettings
from teamster.core.ssh import SSHConnection


class AutoCommInbox(ConfigurableResource):
    """The inbox's SFTP settings as config; the password stays in its file."""

    settings: SFTPDropSettings

    @contextmanager
    def connect(self) -> Iterator[AutoCommSession]:
        with SSHConnection(self.settings.ssh) as conn:
            yield AutoCommSession(conn, self.settings.remote_dir)


class AutoCommSession:
    """One SSH connection to the inbox."""

    def __init__(self, conn: SSHConnection, remote_dir: str):
        self._conn = conn
        self._dir = remote_dir.rstrip("/")

    def push(self, local_path: Path, name: str) -> str:
        """Replace ``name`` in the inbox atomically; returns its remote path."""
        remote = f"{self._dir}/{name}"
        self._conn.upload_atomic(str(local_path), remote)
        return remote
