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

# Only the wheel's binaries are used; importing pgserver itself would start its own machinery.
_PGSERVER = importlib.util.find_spec("pgserver")
if _PGSERVER is None or not _PGSERVER.submodule_search_locations:
    raise ImportError("the sandbox needs the pgserver wheel (PostgreSQL binaries)")
PG_BIN = Path(_PGSERVER.submodule_search_locations[0]) / "pginstall" / "bin"
DATABASE = "powerschool"
USER = "psnavigator"  # PowerSchool's read-only reporting account name

# PowerSchool column types as PostgreSQL DDL; the vendor's side of the contract.
SIS_DDL: dict[str, dict[str, str]] = {
    "schools": {
        "id": "integer",
        "dcid": "integer",
        "school_number": "integer",
        "name": "text",
        "abbreviation": "text",
        "low_grade": "integer",
        "high_grade": "integer",
        "schoolcity": "text",
        "schoolstate": "text",
        "whenmodified": "timestamp",
    },
    "students": {
        "id": "integer",
        "dcid": "integer",
        "student_number": "bigint",
        "state_studentnumber": "text",
        "first_name": "text",
        "last_name": "text",
        "schoolid": "integer",
        "grade_level": "integer",
        "enroll_status": "integer",
        "entrydate": "date",
        "exitdate": "date",
        "dob": "date",
        "gender": "text",
        "whenmodified": "timestamp",
    },
}


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
        self._run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.pgdata),
                "-o",
                options,
                "-l",
                str(self.pgdata / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        return self.socket_path

    @property
    def socket_path(self) -> Path:
        if self.socket_dir is None:
            raise RuntimeError("the SIS database is not running")
        return self.socket_dir / ".s.PGSQL.5432"

    def stop(self) -> None:
        if self.socket_dir is None:
            return
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"])
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        self.socket_dir = None

    def load(self, tables: dict[str, list[dict]]) -> None:
        """Create every SIS table and copy the generated rows in."""
        import psycopg

        with psycopg.connect(
            host=str(self.socket_dir),
            user=USER,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        ) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            admin.execute(f"CREATE DATABASE {DATABASE}")
        with psycopg.connect(
            host=str(self.socket_dir), user=USER, password=self.password, dbname=DATABASE
        ) as conn:
            for table, columns in SIS_DDL.items():
                ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
                conn.execute(f"CREATE TABLE {table} ({ddl})")
                names = list(columns)
                with conn.cursor().copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in tables.get(table, []):
                        copy.write_row([row[name] for name in names])
