"""A region's AutoComm inbox: the SFTP folder PowerSchool imports from.

PowerSchool imports whatever files are in the inbox when its AutoComm job runs, so the
files must change together: a push uploads every file under a hidden temporary name
first and checks each one's size, and only then renames them over the old files, one
after another with nothing in between. If any upload fails, the staged files are removed
(over a new connection: the old one may be what failed) and every old file stays.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import asyncssh
from dagster import ConfigurableResource

from teamster.core.settings import SFTPDropSettings
from teamster.core.ssh import SSHConnection


class AutoCommPushError(RuntimeError):
    """The push did not replace the inbox's files; the message says what it holds."""


class AutoCommInbox(ConfigurableResource):
    """The inbox's SFTP settings as config; the password stays in its file."""

    settings: SFTPDropSettings

    @property
    def folder(self) -> str:
        return self.settings.remote_dir.rstrip("/")

    @property
    def uri(self) -> str:
        """Where the inbox is, for messages: no secret in it."""
        s = self.settings.ssh
        return f"sftp://{s.username}@{s.host}:{s.port}{self.folder}/"

    def push(self, files: list[tuple[Path, str]]) -> list[str]:
        """Replace the inbox's ``files`` (local path, name in the inbox) as one set, as
        nearly as SFTP allows; returns their remote paths."""
        token = uuid.uuid4().hex[:12]  # two pushes at once never share a temp name
        staged = {name: f"{self.folder}/.{name}.{token}.part" for _, name in files}
        final = {name: f"{self.folder}/{name}" for _, name in files}
        started: list[str] = []  # uploads begun: these may have left a staged file
        replaced: list[str] = []
        current = ""

        async def stage_then_replace(sftp: asyncssh.SFTPClient) -> None:
            nonlocal current
            for local, name in files:
                current = name
                started.append(name)
                await sftp.put(str(local), staged[name])
                size, expected = (await sftp.stat(staged[name])).size, local.stat().st_size
                if size != expected:
                    raise AutoCommPushError(f"the inbox holds {size} of its {expected} bytes")
            for _, name in files:  # all staged: now swap them in, back to back
                current = name
                await sftp.posix_rename(staged[name], final[name])
                replaced.append(name)

        try:
            with SSHConnection(self.settings.ssh) as conn:
                conn.sftp(stage_then_replace)
        except Exception as e:
            left = self._remove([staged[n] for n in started if n not in replaced])
            cause = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            if replaced:
                kept = [n for _, n in files if n not in replaced]
                state = (
                    f"replaced {replaced}, not {kept}: the inbox holds files from two pushes "
                    "until the next one"
                )
            else:
                state = "nothing was replaced: the inbox keeps every previous file"
            leftover = f"; staged files it could not remove: {left}" if left else ""
            step = f"{current} failed" if current else "connecting failed"
            raise AutoCommPushError(
                f"AutoComm push to {self.uri}: {step} ({cause}); {state}{leftover}"
            ) from None
        return list(final.values())

    def _remove(self, paths: list[str]) -> list[str]:
        """Delete staged files, over a connection of their own; returns those it could
        not (a name that is not there is gone already)."""
        if not paths:
            return []

        async def remove(sftp: asyncssh.SFTPClient) -> list[str]:
            left = []
            for path in paths:
                try:
                    await sftp.remove(path)
                except asyncssh.SFTPNoSuchFile:
                    pass
                except asyncssh.SFTPError:
                    left.append(path)
            return left

        with contextlib.suppress(Exception), SSHConnection(self.settings.ssh) as conn:
            return conn.sftp(remove)
        return paths
