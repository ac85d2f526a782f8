"""PostgreSQL clusters standing in for each SQL region's PowerSchool (Oracle) database.

A cluster listens on a Unix socket only: no TCP port exists, so the one way in is the
SSH bastion, which forwards channels to that socket. The server binaries come from the
``pgserver`` wheel, so a laptop needs nothing but pip.

Where a cluster lives: PostgreSQL refuses to run as root, so under root the server runs
as ``nobody``, which cannot enter a private (0700) data dir, and the data dir's mode is
the user's to choose. So when the server user is not the current one, each cluster
lives outside the data dir, in ``<tmp>/teamster-pgdata-<uid>/`` (0711: enterable, not
listable) as ``<hash of the region's folder>-<region>/`` (the server user's, 0700). The
region's folder in the data dir keeps a pointer (``pgdata_path``) that every process
(the daemon, ``advance``, ``stop``) reads; beside each cluster a ``.owner`` file names
the folder it belongs to, so clusters whose data dir is gone are removed the next time
any cluster is created. Otherwise a cluster lives in the data dir, as ``pgdata``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from sandbox.files import write_if_changed
from sandbox.sis import TABLES

# Only the wheel's binaries are used; importing pgserver itself would start its own machinery.
_PGSERVER = importlib.util.find_spec("pgserver")
if _PGSERVER is None or not _PGSERVER.submodule_search_locations:
    raise ImportError("the sandbox needs the pgserver wheel (PostgreSQL binaries)")
_PGINSTALL = Path(_PGSERVER.submodule_search_locations[0]) / "pginstall"
DATABASE = "powerschool"
USER = "psnavigator"  # PowerSchool's read-only reporting account name
POINTER = "pgdata_path"  # in a region's folder: where its cluster is
LOCAL_PGDATA = "pgdata"  # a cluster kept in the data dir (the server runs as us)


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root; then it runs as ``nobody``."""
    return "nobody" if os.geteuid() == 0 else None


def _shared_tmp(user: str | None) -> Path:
    """The temp folder, checked to be enterable by the server user (clusters and sockets
    live there), so a TMPDIR it cannot reach fails with a reason, not initdb's EACCES."""
    tmp = Path(tempfile.gettempdir()).resolve()
    if user:
        uid = pwd.getpwnam(user).pw_uid
        for folder in (tmp, *tmp.parents):
            info = folder.stat()
            if info.st_uid != uid and not info.st_mode & stat.S_IXOTH:
                raise RuntimeError(
                    f"PostgreSQL runs as {user}, who cannot enter {folder}: "
                    "point TMPDIR at a folder every user can enter, such as /tmp"
                )
    return tmp


def cluster_base(user: str) -> Path:
    """This user's folder of clusters run by ``user``: created 0711 and refused if
    someone else made it first (the temp folder is shared by every user)."""
    base = _shared_tmp(user) / f"teamster-pgdata-{os.geteuid()}"
    base.mkdir(mode=0o711, exist_ok=True)
    info = base.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise RuntimeError(f"{base} is not a folder of this user's: remove it")
    if stat.S_IMODE(info.st_mode) != 0o711:
        base.chmod(0o711)
    return base


@functools.cache
def pg_bin() -> Path:
    """The folder of PostgreSQL's programs, where the server user can run them.

    They come with the pgserver wheel, inside the project's venv. As root the server
    runs as ``nobody``, who cannot run them when the venv sits under a private folder
    (a clone in a ``mktemp -d`` dir): then the wheel's PostgreSQL is copied once, per
    wheel, into the folder of clusters (0711, so ``nobody`` can reach it and not list it).
    """
    bin_dir = _PGINSTALL / "bin"
    user = _server_user()
    if user is None or _runs_as(user, bin_dir / "pg_ctl"):
        return bin_dir
    stamp = hashlib.sha256(
        f"{_PGINSTALL.resolve()}:{(bin_dir / 'postgres').stat().st_mtime_ns}".encode()
    ).hexdigest()[:16]
    copy = cluster_base(user) / f"pgserver-{stamp}"
    if not copy.exists():
        # the wheel's layout, kept: the programs find their libraries through the RPATH
        # $ORIGIN/../../../pgserver.libs, beside the package
        staging = copy.with_name(f".{copy.name}.{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        shutil.copytree(_PGINSTALL, staging / "pgserver" / "pginstall", symlinks=True)
        libs = _PGINSTALL.parents[1] / "pgserver.libs"
        if libs.is_dir():
            shutil.copytree(libs, staging / "pgserver.libs", symlinks=True)
        for folder, _, _ in os.walk(staging):
            os.chmod(folder, 0o755)  # readable programs and libraries, in a 0711 parent
        try:
            staging.rename(copy)
        except OSError:  # another process copied it first
            shutil.rmtree(staging, ignore_errors=True)
    return copy / "pgserver" / "pginstall" / "bin"


def _runs_as(user: str, program: Path) -> bool:
    try:
        done = subprocess.run(
            [str(program), "--version"], user=user, capture_output=True, cwd="/", timeout=30
        )
    except (PermissionError, OSError):
        return False
    return done.returncode == 0


def _server_pid(pgdata: Path) -> int | None:
    """The pid of a postmaster still running on ``pgdata``, if any."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # it exists, run by another user
    return None if _zombie(pid) else pid


def _zombie(pid: int) -> bool:
    """A process that exited but was never reaped (a container whose pid 1 reaps
    nothing keeps a stopped postmaster so): it holds no cluster any more."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state == "Z"


def _owner_file(pgdata: Path) -> Path:
    return pgdata.with_name(f"{pgdata.name}.owner")


def _points_to(root: Path, pgdata: Path) -> bool:
    try:
        return Path((root / POINTER).read_text().strip()) == pgdata
    except OSError:
        return False


def prune_orphans(base: Path) -> list[Path]:
    """Remove the clusters in ``base`` that no data dir points to any more (their data
    dir was deleted or regenerated elsewhere) and no server runs on; returns them."""
    removed = []
    for owner in base.glob("*.owner"):
        pgdata = owner.with_name(owner.name.removesuffix(".owner"))
        try:
            root = Path(owner.read_text().strip())
        except OSError:
            continue
        if _points_to(root, pgdata) or _server_pid(pgdata) is not None:
            continue
        shutil.rmtree(pgdata, ignore_errors=True)
        owner.unlink(missing_ok=True)
        removed.append(pgdata)
    return removed


class SISDatabase:
    """One region's cluster: created from generated rows, started and stopped on demand."""

    def __init__(self, root: Path, password: str):
        self.root = Path(root).resolve()
        self.password = password
        self.socket_dir: Path | None = None
        self._attached = False
        # the cluster this object started: stopped even if the data dir (and so the
        # pointer) is removed meanwhile
        self._serving: Path | None = None

    @property
    def pgdata(self) -> Path:
        """The cluster's folder, as the pointer ``create`` wrote says (or, for a cluster
        made before pointers existed, the data dir's own ``pgdata``)."""
        try:
            return Path((self.root / POINTER).read_text().strip())
        except FileNotFoundError:
            return self.root / LOCAL_PGDATA

    def _outside_pgdata(self) -> Path:
        """A folder of its own per data dir and region, for a server user who may not
        enter the data dir."""
        user = _server_user()
        assert user is not None
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        return cluster_base(user) / f"{digest}-{self.root.name}"

    def _run(self, args: list[str], pgdata: Path | None = None) -> None:
        user = _server_user()
        result = subprocess.run(args, user=user, capture_output=True, text=True, cwd="/")
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed for {pgdata or self.pgdata}: "
                f"{result.stderr.strip() or result.stdout.strip()}"
            )

    def _ours(self, pgdata: Path) -> bool:
        """Whether ``pgdata`` is a cluster this region's folder made (so may be removed)."""
        if pgdata == self.root / LOCAL_PGDATA:
            return True
        try:
            return Path(_owner_file(pgdata).read_text().strip()) == self.root
        except OSError:
            return False

    def _remove(self, pgdata: Path) -> None:
        """Remove a cluster, first stopping a server a killed process left running on it."""
        if _server_pid(pgdata) is not None:
            # it may stop by itself meanwhile: removing the folder is what matters
            with contextlib.suppress(RuntimeError):
                self._run(
                    [str(pg_bin() / "pg_ctl"), "-D", str(pgdata), "-m", "immediate", "-w", "stop"],
                    pgdata,
                )
        shutil.rmtree(pgdata, ignore_errors=True)
        _owner_file(pgdata).unlink(missing_ok=True)

    def _chown(self, path: Path) -> None:
        user = _server_user()
        if user:
            entry = pwd.getpwnam(user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def create(self) -> None:
        """Initialise an empty cluster that only accepts password logins, replacing this
        region's previous cluster and any stale one left where the new one goes."""
        previous = self.pgdata
        if self._ours(previous):
            self._remove(previous)
        user = _server_user()
        pgdata = self._outside_pgdata() if user else self.root / LOCAL_PGDATA
        if pgdata.exists():  # stale: from a data dir once at this path, or a killed run
            self._remove(pgdata)
        self.root.mkdir(parents=True, exist_ok=True)
        # the pointer first, then the owner file, then the folder: a concurrent prune
        # (another sandbox being created) never takes the new cluster for an orphan
        write_if_changed(self.root / POINTER, str(pgdata).encode(), private=True)
        if user:
            prune_orphans(pgdata.parent)
            write_if_changed(_owner_file(pgdata), str(self.root).encode(), private=True)
        pgdata.mkdir(mode=0o700)
        self._chown(pgdata)
        with tempfile.NamedTemporaryFile("w", delete=False) as pwfile:
            pwfile.write(self.password)
        self._chown(Path(pwfile.name))
        try:
            self._run(
                [
                    str(pg_bin() / "initdb"),
                    "-D",
                    str(pgdata),
                    "-U",
                    USER,
                    "--pwfile",
                    pwfile.name,
                    "--auth=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ]
            )
        finally:
            os.unlink(pwfile.name)

    def start(self) -> Path:
        """Start on a private socket directory; returns the socket's path."""
        # Socket paths are limited to ~100 bytes, so the directory is short and in /tmp.
        tmp = _shared_tmp(_server_user())
        self.socket_dir = Path(tempfile.mkdtemp(prefix="teamster-pg-", dir=tmp))
        self._chown(self.socket_dir)
        options = (
            f"-c listen_addresses='' -k {self.socket_dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        pg_ctl = str(pg_bin() / "pg_ctl")
        pgdata = self.pgdata
        log = str(pgdata / "server.log")  # in the cluster: the server user writes it
        try:
            self._run(
                [pg_ctl, "-D", str(pgdata), "-o", options, "-l", log, "-w", "-t", "60", "start"]
            )
        except BaseException:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
            self.socket_dir = None
            raise
        self._serving = pgdata
        write_if_changed(self.root / "socket_dir", str(self.socket_dir).encode(), private=True)
        return self.socket_path

    def attach(self) -> bool:
        """Use a cluster another process started (the sandbox daemon); False if none runs."""
        marker = self.root / "socket_dir"
        if not marker.exists() or not (self.pgdata / "postmaster.pid").exists():
            return False
        socket_dir = Path(marker.read_text().strip())
        if not (socket_dir / ".s.PGSQL.5432").exists():
            return False
        self.socket_dir = socket_dir
        self._attached = True
        return True

    @property
    def socket_path(self) -> Path:
        if self.socket_dir is None:
            raise RuntimeError("the SIS database is not running")
        return self.socket_dir / ".s.PGSQL.5432"

    def stop(self) -> None:
        if self.socket_dir is None:
            return
        if self._attached:  # not ours to stop
            self.socket_dir = None
            self._attached = False
            return
        (self.root / "socket_dir").unlink(missing_ok=True)
        pgdata = self._serving or self.pgdata
        self._run([str(pg_bin() / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"], pgdata)
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        self.socket_dir = None
        self._serving = None

    def count(self, table: str) -> int:
        """Rows of one SIS table, for tests that compare a load with its source."""
        import psycopg

        assert self.socket_dir is not None, "start the database first"
        if table not in TABLES:
            raise KeyError(f"no SIS table {table!r}")
        login = dict(host=str(self.socket_dir), user=USER, password=self.password)
        with psycopg.connect(**login, dbname=DATABASE) as conn:
            return conn.execute(f"select count(*) from {table}").fetchone()[0]

    def replace_all(self, tables: dict[str, list[dict]]) -> None:
        """Make every SIS table hold exactly ``tables``' rows, in one transaction."""
        import psycopg

        assert self.socket_dir is not None, "start the database first"
        login = dict(host=str(self.socket_dir), user=USER, password=self.password)
        with psycopg.connect(**login, dbname="postgres", autocommit=True) as admin:
            if not admin.execute(
                "select 1 from pg_database where datname = %s", [DATABASE]
            ).fetchone():
                admin.execute(f"CREATE DATABASE {DATABASE}")
        with psycopg.connect(**login, dbname=DATABASE) as conn:
            for table, columns in TABLES.items():
                ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
                # recreated each time (in the one transaction): a table keeps the shape
                # this version serves even in a cluster an older one created
                conn.execute(f"DROP TABLE IF EXISTS {table}")
                conn.execute(f"CREATE TABLE {table} ({ddl})")
                names = list(columns)
                with conn.cursor().copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in tables.get(table, []):
                        copy.write_row([row[name] for name in names])
