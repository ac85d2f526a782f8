"""The running sandbox: publishes a district view, serves it on 127.0.0.1, advances it.

Layout under ``<data-dir>/sandbox/``:
  state.json            seed, scale and the day the district shows (as_of)
  truth.json            ground truth computed by the generator for that day
  known_hosts           pinned host keys of every SSH server
  secrets/              client key, passwords, DeansList keys (0600, in a 0700 folder,
                        both so from creation: ``teamster.core.private``)
  host_keys/            server host keys, kept across restarts (likewise)
  run.json              the daemon's pid and start time while ``python -m sandbox serve`` runs
  faults.json           fault switches read by the servers (see ``faults``)
  sis/<region>/pgdata_path  where the region's PostgreSQL cluster is: ``pgdata`` beside
                        it, or, under root, a folder of the server user's outside
                        the data dir (``sandbox.postgres`` says why)
  sftp/...              SFTP roots: Paterson SIS drops, i-Ready, ADP, AutoComm inboxes
  autocomm/<region>.jsonl  what each AutoComm inbox received
  http/...              what the HTTP APIs serve
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import asyncssh

from sandbox import faults, generator, http, postgres, sis, ssh, vendors
from sandbox.files import json_bytes, secret, write_if_changed
from teamster.core.private import private_dir, write_private
from teamster.core.regions import AUTOCOMM_REGIONS, REGIONS, SFTP_SIS_REGIONS, SQL_SIS_REGIONS
from teamster.core.settings.local import (
    HTTP_SYSTEMS,
    SFTP_SERVERS,
    SSH_USER,
    SandboxPorts,
)

# What a data dir's district was made by: raised whenever the systems' shapes change,
# so an old district is regenerated rather than half updated.
FORMAT = 3  # 3: the untidy district (stints, twins, deleted absences, ...)
SIS_PORT = 5432
SFTP_EXPORT_DIR = "exports"


def sis_host(region: str) -> str:
    """The name the bastion routes to a region's SIS database."""
    return f"sis.{region}.sandbox"


def _client_key(path: Path) -> asyncssh.SSHKey:
    """The key teamster logs in to the bastion with, made on first use (0600 from the
    first byte, in a 0700 folder: never written open and chmod-ed after)."""
    if not path.exists():
        private_dir(path.parent, tighten=True)
        key = asyncssh.generate_private_key("ssh-ed25519")
        write_private(path, key.export_private_key())
        write_private(path.with_name(path.name + ".pub"), key.export_public_key())
    return asyncssh.read_private_key(str(path))


def process_start(pid: int) -> str | None:
    """When process ``pid`` started, as a stamp no later process with the same pid has
    (boot id and start tick from /proc; ``ps``'s start time where there is no /proc);
    None if no such process runs. ``sandbox down`` signals a pid only with its stamp."""
    proc = Path("/proc")
    if (proc / "self" / "stat").exists():
        try:
            stat = (proc / str(pid) / "stat").read_text()
            boot = (proc / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
        except (FileNotFoundError, ProcessLookupError):
            return None
        # the command name (field 2) may hold spaces and parentheses: count after it;
        # field 22 is the start time, in clock ticks since boot
        fields = stat.rsplit(")", 1)[1].split()
        return None if fields[0] in ("Z", "X") else f"{boot}:{fields[19]}"
    ps = subprocess.run(["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True, text=True)
    return " ".join(ps.stdout.split()) or None


class Sandbox:
    """Generate, publish, start, advance and stop the simulated district."""

    def __init__(self, data_dir: Path, ports: SandboxPorts):
        self.data_dir = Path(data_dir).resolve()
        self.root = self.data_dir / "sandbox"
        self.ports = ports
        self.faults = faults.Faults(self.root / "faults.json")
        self._databases: dict[str, postgres.SISDatabase] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptors: dict[str, asyncssh.SSHAcceptor] = {}
        self._key_mtimes: dict[str, float] = {}
        self._http: list[http.HTTPServerThread] = []
        self._watcher: asyncio.Task | None = None
        self._routes: dict[tuple[str, int], Path] = {}

    # --- paths and state --------------------------------------------------------------

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    @property
    def truth_path(self) -> Path:
        return self.root / "truth.json"

    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    @property
    def running(self) -> bool:
        return self._thread is not None

    def state(self) -> dict[str, Any]:
        if not self.state_path.exists():
            raise RuntimeError(f"no district in {self.root}: generate one first")
        state = json.loads(self.state_path.read_text())
        if state.get("format") != FORMAT:
            raise RuntimeError(
                f"the district in {self.root} was made by an older teamster, whose systems "
                "served other shapes: generate a new one (`teamster sandbox up --regenerate`)"
            )
        return state

    def is_current(self) -> bool:
        """A district is there, in the shapes this version serves."""
        try:
            self.state()
        except RuntimeError:
            return False
        return True

    def truth(self) -> dict[str, Any]:
        return json.loads(self.truth_path.read_text())

    def sis_rows(self, region: str, table: str) -> int:
        """Rows the region's running SIS database holds in ``table``."""
        return self._database(region).count(table)

    def _database(self, region: str) -> postgres.SISDatabase:
        if region not in self._databases:
            password = secret(self.secrets_dir / f"{region}_sis_password")
            self._databases[region] = postgres.SISDatabase(self.root / "sis" / region, password)
        return self._databases[region]

    # --- generating and publishing ----------------------------------------------------

    def generate(self, seed: int, scale: float, as_of: dt.date | None = None) -> dict:
        """Create a fresh district (databases, files, APIs, truth); returns the truth."""
        if self.running:
            raise RuntimeError("stop the sandbox before generating a new district")
        as_of = as_of or generator.DEFAULT_AS_OF
        private_dir(self.root, tighten=True)
        private_dir(self.secrets_dir, tighten=True)
        for stale in ("sftp", "http", "autocomm"):
            shutil.rmtree(self.root / stale, ignore_errors=True)
        self.faults.clear()
        for region in SQL_SIS_REGIONS:
            self._database(region).create()
        world = generator.World(seed, scale, generator.school_year_of(as_of))
        return self._publish(world, as_of)

    def advance(self, days: int) -> dict:
        """Move the district ``days`` school days forward; returns the new truth."""
        if days < 1:
            raise ValueError("advance needs at least one day")
        state = self.state()
        world = generator.World(state["seed"], state["scale"], state["start_year"])
        as_of = dt.date.fromisoformat(state["as_of"])
        later = [d for d in world.school_days if d > as_of]
        if len(later) < days:
            raise ValueError(
                f"the school year ends {world.year.last_day}; "
                f"only {len(later)} school days remain after {as_of}"
            )
        return self._publish(world, later[days - 1])

    def _publish(self, world: generator.World, as_of: dt.date) -> dict:
        district = world.view(as_of)
        self._publish_sis(district)
        self._publish_vendors(district)
        truth = district.truth()
        write_if_changed(self.truth_path, json_bytes(truth))
        write_if_changed(
            self.state_path,
            json_bytes(
                {
                    "format": FORMAT,
                    "seed": world.seed,
                    "scale": world.scale,
                    "start_year": world.year.start_year,
                    "as_of": as_of.isoformat(),
                }
            ),
        )
        return truth

    def _publish_sis(self, district: generator.District) -> None:
        for region in SQL_SIS_REGIONS:
            db = self._database(region)
            if db.socket_dir is None and not db.attach():
                db.start()
            try:
                db.replace_all(district.sis[region])
            finally:
                if not self.running:
                    db.stop()  # detaches from a daemon's cluster, stops one started here
        for region in SFTP_SIS_REGIONS:
            export = self.root / "sftp" / region / SFTP_EXPORT_DIR
            for table, rows in district.sis[region].items():
                if table not in sis.NOT_EXPORTED:
                    write_if_changed(export / f"{table}.csv", sis.export_csv(table, rows))

    def _publish_vendors(self, district: generator.District) -> None:
        vendors.publish(district, self.root)
        for region in AUTOCOMM_REGIONS:
            (self.root / "sftp" / "autocomm" / region).mkdir(parents=True, exist_ok=True)

    # --- serving ----------------------------------------------------------------------

    def start(self) -> None:
        """Start every server; returns once all of them accept connections."""
        if self.running:
            raise RuntimeError("the sandbox is already running")
        self.state()
        for region in SQL_SIS_REGIONS:
            self._routes[(sis_host(region), SIS_PORT)] = self._database(region).start()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sandbox", daemon=True)
        self._thread.start()
        try:
            self._call(self._start_ssh())
            for system in HTTP_SYSTEMS:
                self._http.append(http.start_http(system, self.ports.http[system], self.root))
        except BaseException:
            self.stop()
            raise

    def _call(self, coro, timeout: float = 30) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _sftp_users(self, name: str) -> tuple[dict[str, tuple[str, Path]], Path | None]:
        sftp = self.root / "sftp"
        if name == "iready":
            return {
                r: (secret(self.secrets_dir / f"iready_{r}_password"), sftp / "iready" / r)
                for r in REGIONS
            }, None
        if name.startswith("autocomm_"):
            region = name.removeprefix("autocomm_")
            password = secret(self.secrets_dir / f"{name}_password")
            return (
                {SSH_USER: (password, sftp / "autocomm" / region)},
                self.root / "autocomm" / f"{region}.jsonl",
            )
        password = secret(self.secrets_dir / f"{name}_sftp_password")
        return {SSH_USER: (password, sftp / name)}, None

    def _host_key_path(self, name: str) -> Path:
        return self.root / "host_keys" / name

    async def _start_server(self, name: str) -> None:
        key = self._host_key_path(name)
        ssh.host_key(key)
        self._key_mtimes[name] = key.stat().st_mtime
        if name == "bastion":
            client_key = _client_key(self.secrets_dir / "ssh_client_key")
            acceptor = await ssh.start_bastion(
                self.ports.bastion,
                key,
                SSH_USER,
                client_key,
                self._routes,
                self.faults.byte_limit,
                self.faults.dropped,
            )
        else:
            users, received = self._sftp_users(name)
            acceptor = await ssh.start_sftp(
                self.ports.sftp[name],
                key,
                users,
                self.faults.byte_limit,
                self.faults.dropped,
                received,
            )
        self._acceptors[name] = acceptor

    async def _start_ssh(self) -> None:
        names = ["bastion", *SFTP_SERVERS]
        for name in names:
            await self._start_server(name)
        ports = {"bastion": self.ports.bastion, **self.ports.sftp}
        lines = [ssh.known_hosts_line(ports[n], self._host_key_path(n)) for n in names]
        (self.root / "known_hosts").write_text("\n".join(lines) + "\n")
        self._watcher = asyncio.ensure_future(self._watch_host_keys())

    async def _watch_host_keys(self) -> None:
        """Restart a server whose host key file changed (the host-key fault)."""
        while True:
            await asyncio.sleep(0.2)
            for name, seen in list(self._key_mtimes.items()):
                path = self._host_key_path(name)
                if path.exists() and path.stat().st_mtime != seen:
                    acceptor = self._acceptors.pop(name)
                    acceptor.close()
                    await acceptor.wait_closed()
                    await self._start_server(name)

    def change_host_key(self, name: str) -> None:
        """The fault: give a server a new host key that known_hosts does not pin."""
        path = self._host_key_path(name)
        key = asyncssh.generate_private_key("ssh-ed25519")
        write_private(path, key.export_private_key())  # 0600 from its first byte
        if self.running:
            deadline = 50
            while self._key_mtimes.get(name) != path.stat().st_mtime and deadline:
                threading.Event().wait(0.1)
                deadline -= 1

    def stop(self) -> None:
        """Stop every server that is running; safe to call twice."""
        for server in self._http:
            server.stop()
        self._http.clear()
        if self._loop is not None:

            async def close() -> None:
                if self._watcher is not None:
                    self._watcher.cancel()
                for acceptor in self._acceptors.values():
                    acceptor.close()
                    await acceptor.wait_closed()

            try:
                self._call(close())
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
                if self._thread is not None:
                    self._thread.join(10)
                self._loop.close()
        self._acceptors.clear()
        self._loop = None
        self._thread = None
        self._watcher = None
        for db in self._databases.values():
            db.stop()
        self._routes.clear()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
