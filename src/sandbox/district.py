"""The running sandbox: generates a district, then serves it on 127.0.0.1.

Layout under ``<data-dir>/sandbox/``:
  truth.json            ground truth computed by the generator
  known_hosts           pinned host keys of every SSH server
  secrets/              client key and passwords (mode 0600)
  host_keys/            server host keys, kept across restarts
  sis/<region>/pgdata   PostgreSQL clusters of the SQL regions
  sftp/<region>/        the SFTP roots (Paterson's SIS drops)
"""

from __future__ import annotations

import asyncio
import csv
import json
import secrets
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from sandbox import generator, postgres, ssh

SSH_USER = "teamster"
SIS_PORT = 5432
SFTP_EXPORT_DIR = "exports"


def sis_host(region: str) -> str:
    """The name the bastion routes to a region's SIS database."""
    return f"sis.{region}.sandbox"


@dataclass(frozen=True)
class Ports:
    bastion: int
    sftp: dict[str, int]  # region -> port of its SIS SFTP drop


def _secret(path: Path) -> str:
    """Read a generated secret, creating it on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def _client_key(path: Path) -> asyncssh.SSHKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(str(path))
        path.chmod(0o600)
        key.write_public_key(str(path) + ".pub")
    return asyncssh.read_private_key(str(path))


class Sandbox:
    """Generate, start and stop the simulated district."""

    def __init__(self, data_dir: Path, ports: Ports):
        self.data_dir = Path(data_dir).resolve()
        self.root = self.data_dir / "sandbox"
        self.ports = ports
        self._databases: dict[str, postgres.SISDatabase] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncssh.SSHAcceptor] = []

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    @property
    def truth_path(self) -> Path:
        return self.root / "truth.json"

    def _sql_regions(self) -> list[str]:
        return [r for r, plan in generator.REGIONS.items() if plan["sis"] == "sql"]

    def _sftp_regions(self) -> list[str]:
        return [r for r, plan in generator.REGIONS.items() if plan["sis"] == "sftp"]

    def generate(self, seed: int, scale: float) -> dict:
        """Write a fresh district (databases, files, truth); returns the truth."""
        district = generator.generate(seed=seed, scale=scale)
        self.root.mkdir(parents=True, exist_ok=True)
        for region in self._sql_regions():
            db = self._database(region)
            db.create()
            db.start()
            try:
                db.load(district.tables[region])
            finally:
                db.stop()
        for region in self._sftp_regions():
            self._write_sis_drop(region, district.tables[region])
        truth = district.truth()
        tmp = self.truth_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(truth, indent=2, sort_keys=True))
        tmp.replace(self.truth_path)
        return truth

    def _database(self, region: str) -> postgres.SISDatabase:
        if region not in self._databases:
            password = _secret(self.secrets_dir / f"{region}_sis_password")
            self._databases[region] = postgres.SISDatabase(self.root / "sis" / region, password)
        return self._databases[region]

    def _write_sis_drop(self, region: str, tables: dict[str, list[dict]]) -> None:
        export = self.root / "sftp" / region / SFTP_EXPORT_DIR
        if export.exists():
            shutil.rmtree(export)
        export.mkdir(parents=True)
        for table, columns in postgres.SIS_DDL.items():
            tmp = export / f".{table}.csv.part"
            with tmp.open("w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(columns)
                for row in tables[table]:
                    writer.writerow([_csv_value(row[c]) for c in columns])
            tmp.replace(export / f"{table}.csv")

    def start(self) -> None:
        """Start every server; returns once all of them accept connections."""
        if self._thread is not None:
            raise RuntimeError("the sandbox is already running")
        if not self.truth_path.exists():
            raise RuntimeError(f"no district in {self.root}: generate one first")
        routes = {}
        for region in self._sql_regions():
            routes[(sis_host(region), SIS_PORT)] = self._database(region).start()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sandbox", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start_ssh(routes), self._loop).result(30)
        except BaseException:
            self.stop()
            raise

    async def _start_ssh(self, routes: dict) -> None:
        client_key = _client_key(self.secrets_dir / "ssh_client_key")
        keys = self.root / "host_keys"
        self._servers.append(
            await ssh.start_bastion(
                self.ports.bastion, keys / "bastion", SSH_USER, client_key, routes
            )
        )
        lines = [ssh.known_hosts_line(self.ports.bastion, keys / "bastion")]
        for region, port in self.ports.sftp.items():
            password = _secret(self.secrets_dir / f"{region}_sftp_password")
            self._servers.append(
                await ssh.start_sftp(
                    port, keys / f"{region}_sftp", SSH_USER, password, self.root / "sftp" / region
                )
            )
            lines.append(ssh.known_hosts_line(port, keys / f"{region}_sftp"))
        (self.root / "known_hosts").write_text("\n".join(lines) + "\n")

    def stop(self) -> None:
        """Stop every server that is running; safe to call twice."""
        if self._loop is not None:

            async def close() -> None:
                for server in self._servers:
                    server.close()
                    await server.wait_closed()

            asyncio.run_coroutine_threadsafe(close(), self._loop).result(30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(10)
            self._loop.close()
        self._servers.clear()
        self._loop = None
        self._thread = None
        for db in self._databases.values():
            db.stop()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)
