"""In-process SSH servers: the bastion in front of the SIS databases, and SFTP.

All are asyncssh servers bound to 127.0.0.1 with persistent host keys. The bastion
allows nothing but ``direct-tcpip`` channels to the database names it knows, and
pipes each to that cluster's Unix socket. Faults (``faults.json``) can cut a tunnel
(the whole bastion connection) or an SFTP session after a number of bytes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import asyncssh

from teamster.core.private import private_dir, write_private

FaultLookup = Callable[[str], int | None]  # kind ("bastion"/"sftp") -> byte limit or None
DropReport = Callable[[str], None]  # told of each cut, so a fault can be for N cuts only


def host_key(path: Path) -> asyncssh.SSHKey:
    """Load a host key, creating it on first use so known_hosts stays valid (0600 from
    its first byte, in a 0700 folder: a private key never sits open to a later chmod)."""
    if not path.exists():
        private_dir(path.parent, tighten=True)
        key = asyncssh.generate_private_key("ssh-ed25519")
        write_private(path, key.export_private_key())
    return asyncssh.read_private_key(str(path))


def known_hosts_line(port: int, host_key_path: Path) -> str:
    public = host_key(host_key_path).export_public_key().decode().strip()
    return f"[127.0.0.1]:{port} {public}"


class _Tunnel:
    """What one bastion connection has carried to its client, over all its channels.

    A network that drops cuts the whole SSH connection, whichever channel is busy, so
    the byte limit counts every channel of the connection together (a database driver
    may open more than one: ADBC's reads the catalog on one, then queries on another).
    """

    def __init__(self, conn: asyncssh.SSHServerConnection, limit: int | None):
        self.conn, self.limit = conn, limit
        self.sent = 0
        self.cut = False


class _SocketPipe(asyncssh.SSHTCPSession):
    """One forwarded channel, piped to a Unix socket; its tunnel may be cut after N bytes."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        tunnel: _Tunnel,
        dropped: DropReport,
    ):
        self._reader, self._writer, self._tunnel = reader, writer, tunnel
        self._dropped = dropped
        self._chan: asyncssh.SSHTCPChannel | None = None
        self._can_write = asyncio.Event()
        self._can_write.set()

    def connection_made(self, chan: asyncssh.SSHTCPChannel) -> None:
        self._chan = chan
        self._task = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        assert self._chan is not None
        tunnel = self._tunnel
        try:
            while data := await self._reader.read(65536):
                await self._can_write.wait()
                if tunnel.limit is not None and tunnel.sent + len(data) > tunnel.limit:
                    self._chan.write(data[: max(0, tunnel.limit - tunnel.sent)])
                    tunnel.sent = tunnel.limit
                    if not tunnel.cut:  # the fault: the connection drops mid-stream
                        tunnel.cut = True
                        self._dropped("bastion")
                    tunnel.conn.abort()
                    break
                tunnel.sent += len(data)
                self._chan.write(data)
            else:
                self._chan.write_eof()
        except (OSError, asyncssh.Error):
            self._chan.abort()
        finally:
            self._writer.close()

    def data_received(self, data: bytes, datatype: int | None) -> None:
        self._writer.write(data)

    def eof_received(self) -> bool:
        if self._writer.can_write_eof():
            self._writer.write_eof()
        return True

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self._writer.close()


async def start_bastion(
    port: int,
    host_key_path: Path,
    username: str,
    authorized_key: asyncssh.SSHKey,
    routes: dict[tuple[str, int], Path],
    faults: FaultLookup,
    dropped: DropReport,
) -> asyncssh.SSHAcceptor:
    """Public-key login for one user; port forwarding to ``routes`` and nothing else."""
    authorized = asyncssh.import_authorized_keys(authorized_key.export_public_key().decode())

    class Server(asyncssh.SSHServer):
        def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
            self._conn = conn
            self._tunnel: _Tunnel | None = None

        def begin_auth(self, user: str) -> bool:
            if user != username:
                raise asyncssh.DisconnectError(
                    asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, "unknown user"
                )
            self._conn.set_authorized_keys(authorized)
            return True

        def public_key_auth_supported(self) -> bool:
            return True

        def connection_requested(
            self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
        ):
            socket_path = routes.get((dest_host, dest_port))
            if socket_path is None:
                raise asyncssh.ChannelOpenError(
                    asyncssh.OPEN_CONNECT_FAILED, f"no route to {dest_host}:{dest_port}"
                )

            if self._tunnel is None:  # the limit in force when the first channel opens
                self._tunnel = _Tunnel(self._conn, faults("bastion"))
            tunnel = self._tunnel

            async def open_pipe() -> _SocketPipe:
                reader, writer = await asyncio.open_unix_connection(str(socket_path))
                return _SocketPipe(reader, writer, tunnel, dropped)

            return open_pipe()

    return await asyncssh.create_server(
        Server,
        "127.0.0.1",
        port,
        server_host_keys=[host_key(host_key_path)],
        allow_pty=False,
        x11_forwarding=False,
        agent_forwarding=False,
    )


class _SFTP(asyncssh.SFTPServer):
    """Chrooted SFTP that can record what it receives and drop after N bytes read or written."""

    def __init__(
        self,
        chan: asyncssh.SSHServerChannel,
        root: Path,
        faults: FaultLookup,
        dropped: DropReport,
        received_log: Path | None,
    ):
        root.mkdir(parents=True, exist_ok=True)
        super().__init__(chan, chroot=str(root).encode())
        self._root = root
        self._limit = faults("sftp")
        self._dropped = dropped
        self._read = 0
        self._received_log = received_log
        self._writing: dict[int, bytes] = {}

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs):
        file_obj = super().open(path, pflags, attrs)
        if pflags & asyncssh.FXF_WRITE:
            self._writing[id(file_obj)] = path
        return file_obj

    def read(self, file_obj: object, offset: int, size: int):
        data = super().read(file_obj, offset, size)
        self._read += len(data)
        if self._limit is not None and self._read > self._limit:
            self.connection.abort()  # the fault: the session drops mid-transfer
            self._dropped("sftp")
            self._limit = None  # one cut per session, however many reads are in flight
        return data

    def write(self, file_obj: object, offset: int, data: bytes):
        # an upload counts against the same limit, so a push can be cut mid-file too
        written = super().write(file_obj, offset, data)
        self._read += len(data)
        if self._limit is not None and self._read > self._limit:
            self.connection.abort()
            self._dropped("sftp")
            self._limit = None
        return written

    def close(self, file_obj: object) -> None:
        path = self._writing.pop(id(file_obj), None)
        super().close(file_obj)
        if path is not None and self._received_log is not None:
            self._record(path)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        super().posix_rename(oldpath, newpath)
        if self._received_log is not None:
            self._record(newpath, renamed_from=oldpath)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        super().rename(oldpath, newpath)
        if self._received_log is not None:
            self._record(newpath, renamed_from=oldpath)

    def _record(self, path: bytes, renamed_from: bytes | None = None) -> None:
        local = Path(self.map_path(path).decode())
        entry = {
            "path": "/" + str(local.relative_to(self._root)),
            "event": "rename" if renamed_from is not None else "write",
            "bytes": local.stat().st_size if local.exists() else None,
            "sha256": hashlib.sha256(local.read_bytes()).hexdigest() if local.exists() else None,
            "received_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        if renamed_from is not None:
            entry["renamed_from"] = renamed_from.decode()
        assert self._received_log is not None
        self._received_log.parent.mkdir(parents=True, exist_ok=True)
        with self._received_log.open("a") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())


async def start_sftp(
    port: int,
    host_key_path: Path,
    users: dict[str, tuple[str, Path]],
    faults: FaultLookup,
    dropped: DropReport,
    received_log: Path | None = None,
) -> asyncssh.SSHAcceptor:
    """Password logins, each user chrooted to its own folder; no shell.

    ``users`` maps a user name to (password, root). With ``received_log``, every file
    written or renamed into place is appended there (path, size, sha256, time).
    """

    class Server(asyncssh.SSHServer):
        def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
            self._conn = conn
            self._tunnel: _Tunnel | None = None

        def begin_auth(self, user: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, user: str, given: str) -> bool:
            ok = user in users and given == users[user][0]
            if ok:
                self._conn.set_extra_info(sftp_root=str(users[user][1]))
            return ok

    def sftp_factory(chan: asyncssh.SSHServerChannel) -> _SFTP:
        root = Path(chan.get_connection().get_extra_info("sftp_root"))
        return _SFTP(chan, root, faults, dropped, received_log)

    return await asyncssh.create_server(
        Server,
        "127.0.0.1",
        port,
        server_host_keys=[host_key(host_key_path)],
        sftp_factory=sftp_factory,
        allow_scp=False,
        allow_pty=False,
        x11_forwarding=False,
        agent_forwarding=False,
    )
