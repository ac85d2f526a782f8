"""In-process SSH servers: the bastion in front of the SIS databases, and SFTP drops.

Both are asyncssh servers bound to 127.0.0.1 with their own persistent host keys.
The bastion allows nothing but ``direct-tcpip`` channels to the database names it
knows, which it connects to the clusters' Unix sockets.
"""

from __future__ import annotations

from pathlib import Path

import asyncssh


def host_key(path: Path) -> asyncssh.SSHKey:
    """Load a host key, creating it on first use so known_hosts stays valid."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(str(path))
        path.chmod(0o600)
    return asyncssh.read_private_key(str(path))


class _BastionServer(asyncssh.SSHServer):
    def __init__(self, routes: dict[tuple[str, int], Path]):
        self._routes = routes
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int):
        socket_path = self._routes.get((dest_host, dest_port))
        if socket_path is None or self._conn is None:
            raise asyncssh.ChannelOpenError(
                asyncssh.OPEN_CONNECT_FAILED, f"no route to {dest_host}:{dest_port}"
            )
        return self._conn.forward_unix_connection(str(socket_path))


async def start_bastion(
    port: int,
    host_key_path: Path,
    username: str,
    authorized_key: asyncssh.SSHKey,
    routes: dict[tuple[str, int], Path],
) -> asyncssh.SSHAcceptor:
    """Public-key login for one user; port forwarding to ``routes`` and nothing else."""
    authorized = asyncssh.import_authorized_keys(authorized_key.export_public_key().decode())

    class Server(_BastionServer):
        def begin_auth(self, user: str) -> bool:
            if user != username:
                raise asyncssh.DisconnectError(
                    asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, "unknown user"
                )
            self._conn.set_authorized_keys(authorized)
            return True

        def public_key_auth_supported(self) -> bool:
            return True

    return await asyncssh.create_server(
        lambda: Server(routes),
        "127.0.0.1",
        port,
        server_host_keys=[host_key(host_key_path)],
        allow_pty=False,
        x11_forwarding=False,
        agent_forwarding=False,
    )


async def start_sftp(
    port: int, host_key_path: Path, username: str, password: str, root: Path
) -> asyncssh.SSHAcceptor:
    """Password login for one user, chrooted SFTP to ``root``, no shell."""

    class Server(asyncssh.SSHServer):
        def begin_auth(self, user: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, user: str, given: str) -> bool:
            return user == username and given == password

    root.mkdir(parents=True, exist_ok=True)
    return await asyncssh.create_server(
        Server,
        "127.0.0.1",
        port,
        server_host_keys=[host_key(host_key_path)],
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()),
        allow_scp=False,
        allow_pty=False,
        x11_forwarding=False,
        agent_forwarding=False,
        process_factory=None,
    )


def known_hosts_line(port: int, host_key_path: Path) -> str:
    public = host_key(host_key_path).export_public_key().decode().strip()
    return f"[127.0.0.1]:{port} {public}"
