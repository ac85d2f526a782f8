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
        "ethnicity": "text",
        "whenmodified": "timestamp",
    },
    "studentcorefields": {
        "dcid": "integer",
        "studentsdcid": "integer",
        "primarylanguage": "text",
        "lep_status": "text",
        "whenmodified": "timestamp",
    },
    "s_nj_stu_x": {
        "studentsdcid": "integer",
        "specialed_classification": "text",
        "iepbegin_date": "date",
        "iepend_date": "date",
        "whenmodified": "timestamp",
    },
    "u_studentsuserfields": {
        "studentsdcid": "integer",
        "c_504_status": "text",
        "whenmodified": "timestamp",
    },
    "reenrollments": {
        "id": "integer",
        "dcid": "integer",
        "studentid": "integer",
        "schoolid": "integer",
        "grade_level": "integer",
        "entrydate": "date",
        "exitdate": "date",
        "entrycode": "text",
        "exitcode": "text",
        "whenmodified": "timestamp",
    },
    "spenrollments": {
        "id": "integer",
        "dcid": "integer",
        "studentid": "integer",
        "programid": "integer",
        "schoolid": "integer",
        "gradelevel": "integer",
        "enter_date": "date",
        "exit_date": "date",
        "whenmodified": "timestamp",
    },
    "users": {
        "dcid": "integer",
        "first_name": "text",
        "last_name": "text",
        "email_addr": "text",
        "teachernumber": "text",
        "loginid": "text",
        "homeschoolid": "integer",
        "whenmodified": "timestamp",
    },
    "schoolstaff": {
        "id": "integer",
        "dcid": "integer",
        "users_dcid": "integer",
        "schoolid": "integer",
        "status": "integer",
        "staffstatus": "integer",
        "whenmodified": "timestamp",
    },
    "courses": {
        "id": "integer",
        "dcid": "integer",
        "course_number": "text",
        "course_name": "text",
        "credit_hours": "double precision",
        "credittype": "text",
        "whenmodified": "timestamp",
    },
    "sections": {
        "id": "integer",
        "dcid": "integer",
        "course_number": "text",
        "section_number": "text",
        "schoolid": "integer",
        "termid": "integer",
        "teacher": "integer",
        "whenmodified": "timestamp",
    },
    "cc": {
        "id": "integer",
        "dcid": "integer",
        "studentid": "integer",
        "sectionid": "integer",
        "schoolid": "integer",
        "termid": "integer",
        "course_number": "text",
        "section_number": "text",
        "dateenrolled": "date",
        "dateleft": "date",
        "whenmodified": "timestamp",
    },
    "terms": {
        "id": "integer",
        "dcid": "integer",
        "name": "text",
        "abbreviation": "text",
        "firstday": "date",
        "lastday": "date",
        "yearid": "integer",
        "schoolid": "integer",
        "portion": "integer",
        "whenmodified": "timestamp",
    },
    "termbins": {
        "id": "integer",
        "dcid": "integer",
        "termid": "integer",
        "schoolid": "integer",
        "storecode": "text",
        "date1": "date",
        "date2": "date",
        "whenmodified": "timestamp",
    },
    "calendar_day": {
        "id": "integer",
        "dcid": "integer",
        "schoolid": "integer",
        "date_value": "date",
        "insession": "integer",
        "membershipvalue": "double precision",
        "whenmodified": "timestamp",
    },
    "attendance_code": {
        "id": "integer",
        "dcid": "integer",
        "schoolid": "integer",
        "yearid": "integer",
        "att_code": "text",
        "description": "text",
        "presence_status_cd": "text",
        "calculate_ada_yn": "integer",
        "whenmodified": "timestamp",
    },
    "attendance": {
        "id": "integer",
        "dcid": "integer",
        "studentid": "integer",
        "schoolid": "integer",
        "att_date": "date",
        "attendance_codeid": "integer",
        "att_mode_code": "text",
        "yearid": "integer",
        "transaction_date": "timestamp",
        "whenmodified": "timestamp",
    },
    "storedgrades": {
        "dcid": "integer",
        "studentid": "integer",
        "schoolid": "integer",
        "termid": "integer",
        "storecode": "text",
        "grade_level": "integer",
        "course_number": "text",
        "course_name": "text",
        "grade": "text",
        "percent": "double precision",
        "gpa_points": "double precision",
        "earnedcrhrs": "double precision",
        "datestored": "date",
        "transaction_date": "timestamp",
        "whenmodified": "timestamp",
    },
    "pgfinalgrades": {
        "id": "integer",
        "dcid": "integer",
        "studentid": "integer",
        "sectionid": "integer",
        "finalgradename": "text",
        "grade": "text",
        "percent": "double precision",
        "startdate": "date",
        "enddate": "date",
        "lastgradeupdate": "timestamp",
        "transaction_date": "timestamp",
        "whenmodified": "timestamp",
    },
    "log": {
        "id": "integer",
        "dcid": "integer",
        "studentid": "integer",
        "schoolid": "integer",
        "logtypeid": "integer",
        "subject": "text",
        "entry_date": "date",
        "entry": "text",
        "entry_author": "text",
        "whenmodified": "timestamp",
    },
    "gen": {
        "id": "integer",
        "dcid": "integer",
        "cat": "text",
        "name": "text",
        "value": "text",
        "yearid": "integer",
        "whenmodified": "timestamp",
    },
    "period": {
        "id": "integer",
        "dcid": "integer",
        "schoolid": "integer",
        "year_id": "integer",
        "period_number": "integer",
        "name": "text",
        "abbreviation": "text",
        "sort_order": "integer",
        "whenmodified": "timestamp",
    },
    "cycle_day": {
        "id": "integer",
        "dcid": "integer",
        "schoolid": "integer",
        "year_id": "integer",
        "day_number": "integer",
        "letter": "text",
        "abbreviation": "text",
        "day_name": "text",
        "whenmodified": "timestamp",
    },
    "bell_schedule": {
        "id": "integer",
        "dcid": "integer",
        "schoolid": "integer",
        "year_id": "integer",
        "name": "text",
        "attendance_conversion_id": "integer",
        "whenmodified": "timestamp",
    },
    "fte": {
        "id": "integer",
        "dcid": "integer",
        "schoolid": "integer",
        "yearid": "integer",
        "name": "text",
        "description": "text",
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
            for table, columns in SIS_DDL.items():
                ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
                conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({ddl})")
                conn.execute(f"TRUNCATE {table}")
                names = list(columns)
                with conn.cursor().copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in tables.get(table, []):
                        copy.write_row([row[name] for name in names])
