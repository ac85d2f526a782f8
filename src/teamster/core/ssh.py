"""SSH client: tunnels and SFTP over one verified connection.

asyncssh runs on a private event loop thread so synchronous Dagster code can hold a
tunnel open for a whole extraction. Host keys are always checked against the
configured known_hosts file. Connecting retries only transient network failures;
a refused login or an unknown host key fails at once. ``fetch_file`` is how every
vendor file is read: downloaded whole, retried from scratch if the connection drops
mid-transfer, then parsed.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncssh
from tenacity import (
    Retrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.asyncio import AsyncRetrying

from teamster.core.settings import SSHSettings

T = TypeVar("T")

TRANSIENT = (ConnectionRefusedError, ConnectionResetError, TimeoutError, asyncssh.ConnectionLost)
FATAL = (asyncssh.PermissionDenied, asyncssh.HostKeyNotVerifiable)


class SSHError(RuntimeError):
    """A connection failed for a reason retries cannot fix."""


@dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int
    mtime: int


class SSHConnection:
    """A context manager around one SSH connection on a background loop."""

    def __init__(self, settings: SSHSettings, attempts: int = 4):
        self.settings = settings
        self.attempts = attempts
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name=f"ssh-{settings.host}:{settings.port}"
        )
        self._conn: asyncssh.SSHClientConnection | None = None
        self._listeners: list[asyncssh.SSHListener] = []

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def __enter__(self) -> SSHConnection:
        self._thread.start()
        try:
            self._conn = self._run(self._connect())
        except BaseException:
            self._shutdown()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._conn is not None:
                self._run(self._close())
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _connect(self) -> asyncssh.SSHClientConnection:
        s = self.settings
        if not Path(s.known_hosts).exists():
            raise SSHError(f"known_hosts file {s.known_hosts} does not exist")
        options: dict[str, Any] = dict(
            username=s.username, known_hosts=str(s.known_hosts), connect_timeout=15
        )
        if s.private_key_file is not None:
            options["client_keys"] = [str(s.private_key_file)]
        if s.password_file is not None:
            options["password"] = _read_secret(s.password_file)
            options["client_keys"] = None
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(initial=0.5, max=8),
            retry=retry_if_exception_type(TRANSIENT) & retry_if_not_exception_type(FATAL),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await asyncssh.connect(s.host, s.port, **options)
        except FATAL as e:
            raise SSHError(f"SSH to {s.username}@{s.host}:{s.port} refused: {e.reason}") from None
        raise AssertionError("unreachable")

    async def _close(self) -> None:
        for listener in self._listeners:
            listener.close()
        assert self._conn is not None
        self._conn.close()
        await self._conn.wait_closed()

    def forward(self, remote_host: str, remote_port: int) -> int:
        """Open a local port on 127.0.0.1 that tunnels to remote_host:remote_port."""

        async def start() -> int:
            assert self._conn is not None
            listener = await self._conn.forward_local_port("127.0.0.1", 0, remote_host, remote_port)
            self._listeners.append(listener)
            return listener.get_port()

        return self._run(start())

    def list_files(self, directory: str) -> list[RemoteFile]:
        async def listdir() -> list[RemoteFile]:
            assert self._conn is not None
            async with self._conn.start_sftp_client() as sftp:
                entries = await sftp.readdir(directory)
            return sorted(
                (
                    RemoteFile(
                        f"{directory.rstrip('/')}/{e.filename}",
                        e.attrs.size or 0,
                        e.attrs.mtime or 0,
                    )
                    for e in entries
                    if e.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
                    and not e.filename.startswith(".")
                ),
                key=lambda f: f.path,
            )

        return self._run(listdir())

    def download(self, remote_path: str, local_path: str) -> None:
        async def get() -> None:
            assert self._conn is not None
            async with self._conn.start_sftp_client() as sftp:
                await sftp.get(remote_path, local_path)

        self._run(get())

    def upload_atomic(self, local_path: str, remote_path: str) -> None:
        """Put a file where readers see the old one or the whole new one, never a part.

        Writes a dot-file beside the target (readers skip dot-files), then renames it
        over the target with the POSIX rename extension, which replaces atomically.
        """
        directory, _, name = remote_path.rpartition("/")
        partial = f"{directory}/.{name}.part"

        async def put() -> None:
            assert self._conn is not None
            async with self._conn.start_sftp_client() as sftp:
                try:
                    await sftp.put(local_path, partial)
                    await sftp.posix_rename(partial, remote_path)
                except BaseException:
                    with contextlib.suppress(asyncssh.SFTPError, OSError):
                        await sftp.remove(partial)
                    raise

        self._run(put())


def _read_secret(path: Any) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        raise SSHError(f"secret file {path} does not exist") from None


def fetch_file(
    settings: SSHSettings,
    remote_path: str,
    parse: Callable[[Path], T],
    display: str,
    attempts: int = 3,
    first_wait: float = 1.0,
) -> tuple[T, RemoteFile]:
    """Download ``remote_path`` whole and parse the local copy.

    Returns what ``parse`` made and the file's size and mtime as listed just before the
    download (what change sensors compare). A connection lost mid-transfer is retried
    from scratch, then named with ``display`` (a location without secrets); a file that
    is not there raises ``FileNotFoundError``; ``parse`` errors pass through untouched.
    """
    directory = remote_path.rpartition("/")[0] or "/"

    def once() -> tuple[T, RemoteFile]:
        with tempfile.TemporaryDirectory() as tmp, SSHConnection(settings) as ssh:
            info = next((f for f in ssh.list_files(directory) if f.path == remote_path), None)
            if info is None:
                raise FileNotFoundError(f"{display} does not exist")
            local = Path(tmp) / remote_path.rsplit("/", 1)[-1]
            ssh.download(remote_path, str(local))
            return parse(local), info

    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential_jitter(initial=first_wait, max=8),
        retry=retry_if_exception_type(TRANSIENT),
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                return once()
    except TRANSIENT as e:
        raise SSHError(
            f"{display}: the transfer failed {attempts} times ({type(e).__name__}: {e})"
        ) from None
    raise AssertionError("unreachable")
