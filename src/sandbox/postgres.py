"""PostgreSQL clusters standing in for each SQL region's PowerSchool (Oracle) database.

A cluster listens on a Unix socket only: no TCP port exists, so the one way in is the
SSH bastion, which forwards channels to that socket. The server binaries come from the
``pgserver`` wheel, so a laptop needs nothing but pip.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from sandbox.sis import TABLES

# Only the wheel's binaries are used; importing pgserver itself would start its own machinery.
_PGSERVER = importlib.util.find_spec("pgserver")
if _PGSERVER is None or not _PGSERVER.submodule_search_locations:
    raise ImportError("the sandbox needs the pgserver wheel (PostgreSQL binaries)")
PG_BIN = Path(_PGSERVER.submodule_search_locations[0]) / "pginstall" / "bin"
DATABASE = "powerschool"
USER = "psnavigator"  # PowerSchool's read-only reporting account name


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root; then it runs as ``nobody``."""
    return "nobody" if os.geteuid() == 0 else None


class SISDatabase:
    """One region's cluster: created from generated rows, started and stopped on demand."""

    def __init__(self, root: Path, password: str):
        self.root = root
        self.pgdata = root / "pgdata"
        self.password = password
        self.socket_dir: Path | None = None
        self._attached = False

    def _run(self, args: list[str]) -> None:
        user = _server_user()
        result = subprocess.run(args, user=user, capture_output=True, text=True, cwd="/")
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed for {self.pgdata}: "
                f"{result.stderr.strip() or result.stdout.strip()}"
            )

    def _chown(self, path: Path) -> None:
        user = _server_user()
        if user:
            entry = pwd.getpwnam(user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def create(self) -> None:
        """Initialise an empty cluster that only accepts password logins."""
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)
        self.root.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700)
        self._chown(self.pgdata)
        with tempfile.NamedTemporaryFile("w", delete=False) as pwfile:
            pwfile.write(self.password)
        self._chown(Path(pwfile.name))
        try:
            self._run(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(self.pgdata),
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
        self.socket_dir = Path(tempfile.mkdtemp(prefix="teamster-pg-"))
        self._chown(self.socket_dir)
        options = (
            f"-c listen_addresses='' -k {self.socket_dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        pg_ctl = str(PG_BIN / "pg_ctl")
        log = str(self.pgdata / "server.log")
        self._run(
            [pg_ctl, "-D", str(self.pgdata), "-o", options, "-l", log, "-w", "-t", "60", "start"]
        )
        (self.root / "socket_dir").write_text(str(self.socket_dir))
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
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"])
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        self.socket_dir = None

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
