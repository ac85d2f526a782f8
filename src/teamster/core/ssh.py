"""SSH client: tunnels and SFTP over one verified connection.

asyncssh runs on a private event loop thread so synchronous Dagster code can hold a
tunnel open for a whole extraction. Host keys are always checked against the
configured known_hosts file. Connecting retries network failures inside one bound,
``CONNECT_DEADLINE`` (a host that is down fails after it, never later); a refused login
or an unknown host key fails at once. ``fetch_file`` is how every vendor file is read:
downloaded whole, checked against its listing (the bytes received equal the listed size,
and the file did not change while it was read), retried from scratch if the connection
drops or the vendor is still writing it, then parsed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncssh

from teamster.core.settings import SSHSettings

T = TypeVar("T")

# the most that connecting to one host may take, every try and wait included
CONNECT_DEADLINE = 30.0
# a file modified less than this many seconds ago may still be growing: it is watched
# this long (listed again, unchanged) before it is read
QUIET_SECONDS = 3.0

# what may go away by itself while connecting: the host is down, restarting, unreachable
CONNECT_ERRORS = (OSError, asyncssh.ConnectionLost)
# a connection lost mid-transfer: the download is tried again from scratch
DROPPED = (
    ConnectionResetError,
    BrokenPipeError,
    TimeoutError,
    asyncssh.ConnectionLost,
    asyncssh.SFTPConnectionLost,
)
FATAL = (asyncssh.PermissionDenied, asyncssh.HostKeyNotVerifiable)


class SSHError(RuntimeError):
    """A connection or transfer failed, and retrying (more) cannot fix it."""


@dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int
    mtime: int


@dataclass(frozen=True)
class ConnectPolicy:
    """How connecting is retried inside one bound, so that no caller multiplies it.

    ``attempts`` tries, ``first_wait`` seconds before the second and doubling after;
    each try (TCP, SSH handshake and login) may take ``timeout``: the deadline less the
    waits, shared evenly. A host that never answers fails after exactly ``bound`` s.
    """

    attempts: int = 3
    first_wait: float = 1.0
    deadline: float = CONNECT_DEADLINE

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"a connect policy needs at least 1 attempt, not {self.attempts}")
        if self.timeout <= 0:
            raise ValueError(
                f"{self.attempts} attempts with waits of {self.waits()} s leave no time to "
                f"connect within {self.deadline:g} s"
            )

    def waits(self) -> list[float]:
        """The pause before each try after the first."""
        return [self.first_wait * 2**i for i in range(self.attempts - 1)]

    @property
    def timeout(self) -> float:
        return (self.deadline - sum(self.waits())) / self.attempts

    @property
    def bound(self) -> float:
        return self.attempts * self.timeout + sum(self.waits())


CONNECT = ConnectPolicy()


def _describe(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


class SSHConnection:
    """A context manager around one SSH connection on a background loop.

    ``tries`` and ``waited`` say what connecting did (for messages and tests);
    ``attempts`` overrides the policy's number of tries within the same bound.
    """

    def __init__(
        self, settings: SSHSettings, attempts: int | None = None, policy: ConnectPolicy = CONNECT
    ):
        self.settings = settings
        self.policy = policy if attempts is None else dataclasses.replace(policy, attempts=attempts)
        self.tries = 0
        self.waited: list[float] = []
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
        s, policy = self.settings, self.policy
        where = f"{s.username}@{s.host}:{s.port}"
        if not Path(s.known_hosts).exists():
            raise SSHError(f"known_hosts file {s.known_hosts} does not exist")
        options: dict[str, Any] = dict(
            username=s.username, known_hosts=str(s.known_hosts), connect_timeout=policy.timeout
        )
        if s.private_key_file is not None:
            options["client_keys"] = [str(s.private_key_file)]
        if s.password_file is not None:
            options["password"] = _read_secret(s.password_file)
            options["client_keys"] = None
        last: BaseException | None = None
        for wait in [0.0, *policy.waits()]:
            if wait:
                self.waited.append(wait)
                await asyncio.sleep(wait)
            self.tries += 1
            try:
                return await asyncssh.connect(s.host, s.port, **options)
            except FATAL as e:
                raise SSHError(f"SSH to {where} refused: {e.reason}") from None
            except CONNECT_ERRORS as e:
                last = e
            except asyncssh.Error as e:
                raise SSHError(f"SSH to {where} failed: {e.reason}") from None
        assert last is not None
        raise SSHError(
            f"no SSH connection to {where}: {self.tries} attempts failed within the "
            f"{policy.bound:g} s connect bound (last: {_describe(last)})"
        )

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

    def stat(self, remote_path: str, display: str) -> RemoteFile:
        """The file's size and mtime now; ``FileNotFoundError`` naming ``display`` if it is
        not there or is not a file."""

        async def stat() -> asyncssh.SFTPAttrs:
            assert self._conn is not None
            async with self._conn.start_sftp_client() as sftp:
                return await sftp.stat(remote_path)

        try:
            attrs = self._run(stat())
        except asyncssh.SFTPNoSuchFile:
            raise FileNotFoundError(f"{display} does not exist") from None
        if attrs.type != asyncssh.FILEXFER_TYPE_REGULAR:
            raise FileNotFoundError(f"{display} is not a file")
        return RemoteFile(remote_path, attrs.size or 0, attrs.mtime or 0)

    def sftp(self, work: Callable[[asyncssh.SFTPClient], Awaitable[T]]) -> T:
        """Run ``work`` in one SFTP session of this connection (a push that stages and
        renames several files uses one session for all of it)."""

        async def run() -> T:
            assert self._conn is not None
            async with self._conn.start_sftp_client() as sftp:
                return await work(sftp)

        return self._run(run())


def _read_secret(path: Any) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        raise SSHError(f"secret file {path} does not exist") from None


class _StillWriting(Exception):
    """The file changed between its listing and the end of its download."""

    def __init__(self, before: int, after: int):
        super().__init__(f"{before} bytes, then {after}")


def is_fresh(mtime: int, now: float, quiet: float) -> bool:
    """Whether a file listed with ``mtime`` (whole seconds, so up to a second later than
    it says) may have been written within the last ``quiet`` seconds. A server clock
    ahead of ours makes a file look fresh: it is then watched once, never skipped."""
    return quiet > 0 and now - (mtime + 1) < quiet


def _download_whole(
    ssh: SSHConnection, remote_path: str, local: Path, display: str, quiet: float
) -> RemoteFile:
    """Download a file only once it holds still: a fresh one is watched ``quiet`` seconds
    first; the bytes received must equal its listed size, and it must list the same after
    the download as before. A vendor writing in place fails this (``_StillWriting``)."""
    listed = ssh.stat(remote_path, display)
    if is_fresh(listed.mtime, time.time(), quiet):
        time.sleep(quiet)
        again = ssh.stat(remote_path, display)
        if again != listed:
            raise _StillWriting(listed.size, again.size)
    ssh.download(remote_path, str(local))
    received = local.stat().st_size
    if received != listed.size:
        raise _StillWriting(listed.size, received)
    after = ssh.stat(remote_path, display)
    if after != listed:
        raise _StillWriting(listed.size, after.size)
    return listed


def fetch_file(
    settings: SSHSettings,
    remote_path: str,
    parse: Callable[[Path], T],
    display: str,
    attempts: int = 3,
    first_wait: float = 1.0,
    *,
    quiet: float = QUIET_SECONDS,
    connect: ConnectPolicy = CONNECT,
) -> tuple[T, RemoteFile]:
    """Download ``remote_path`` whole and parse the local copy.

    Returns what ``parse`` made and the file's size and mtime as listed around the
    download (what change sensors compare). A connection lost mid-transfer, or a file
    that changed while it was read (the vendor is still writing it), is tried again from
    scratch, ``attempts`` times in all, ``first_wait`` s apart and doubling (at most 8 s);
    then it fails naming ``display`` (a location without secrets). Connecting is not
    retried here: ``connect`` bounds it once, so a host that is down fails within that
    bound. A file that is not there raises ``FileNotFoundError``; ``parse`` errors pass
    through untouched, and a file is never parsed twice.
    """
    name = remote_path.rsplit("/", 1)[-1]
    last: BaseException | None = None
    changed = 0  # attempts that found the file moving
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / name
        for attempt in range(attempts):
            if attempt:
                time.sleep(min(first_wait * 2 ** (attempt - 1), 8.0))
            try:
                with SSHConnection(settings, policy=connect) as ssh:
                    info = _download_whole(ssh, remote_path, local, display, quiet)
            except (*DROPPED, _StillWriting) as e:
                last = e
                changed += isinstance(e, _StillWriting)
                continue
            return parse(local), info  # outside the try: a parse error is never retried
    if isinstance(last, _StillWriting):
        each = f"each of {attempts}" if changed == attempts else f"{changed} of {attempts}"
        raise SSHError(
            f"{display}: still being written: its size or mtime changed while it was read, "
            f"on {each} attempts (last: {last})"
        )
    assert last is not None
    raise SSHError(f"{display}: the transfer failed {attempts} times ({_describe(last)})")
