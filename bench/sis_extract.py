"""Benchmark: PowerSchool SIS extraction, ours against a raw driver floor and dlt.

    uv run --locked --group bench python bench/sis_extract.py [--rows 2000000]

Starts a small sandbox, adds synthetic rows to kippnewark's `attendance` until it
holds --rows, then extracts the whole table with each method in its own process
(so peak RSS is that method's alone), directly on the database socket and through
the SSH bastion:

  floor  psycopg, server-side cursor, rows discarded
  dlt    dlt's sql_table, default pyarrow backend, batches written to Parquet
  ours   teamster's SIS session (ADBC Arrow batches) into the landing zone (Parquet)

It prints rows/s and peak RSS; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGION = "kippnewark"


def _fill(sandbox, rows: int) -> None:
    import psycopg

    db = sandbox._database(REGION)
    with psycopg.connect(
        host=str(db.socket_dir),
        user="psnavigator",
        password=db.password,
        dbname="powerschool",
        autocommit=True,
    ) as conn:
        have = conn.execute("select count(*) from attendance").fetchone()[0]
        if have < rows:
            conn.execute(
                """insert into attendance (id, dcid, studentid, schoolid, att_date,
                       attendance_codeid, att_mode_code, calendar_dayid, yearid,
                       transaction_date)
                   select 10000000 + g, 10000000 + g, 1 + g %% 2000, 101 + g %% 6,
                          date '2025-09-03' + (g %% 280), 10102 + g %% 4, 'ATT_ModeDaily',
                          101000 + g %% 280, 35,
                          timestamp '2025-09-03 08:00' + (g %% 280) * interval '1 day'
                   from generate_series(1, %s) as g""",
                [rows - have],
            )
        conn.execute("vacuum analyze attendance")


def _measure(method: str, via: str, info: dict) -> dict:
    """Run one method in a child process; return rows, seconds and its peak RSS. The
    child reads ``info`` (it holds the database password) from its stdin: a command
    line is readable by every user of the machine."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", method, via],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    out, _ = child.communicate(json.dumps(info))
    if child.returncode != 0:
        return {"method": method, "via": via, "error": f"exit {child.returncode}"}
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = result.pop("rss_kb") / 1024
    return result


def _child(method: str, via: str, info: dict) -> None:
    import resource

    from sqlalchemy.engine import URL

    from teamster.core.settings import SSHSettings
    from teamster.core.ssh import SSHConnection

    started = time.perf_counter()
    tunnel = None
    if via == "tunnel":
        tunnel = SSHConnection(SSHSettings(**info["ssh"]))
        tunnel.__enter__()
        port = tunnel.forward(info["sis_host"], 5432)
        url = URL.create(
            "postgresql", "psnavigator", info["password"], "127.0.0.1", port, "powerschool"
        )
    else:
        url = URL.create(
            "postgresql",
            "psnavigator",
            info["password"],
            database="powerschool",
            query={"host": info["socket_dir"]},
        )
    out = Path(info["out"]) / f"{method}-{via}.parquet"
    rows = 0
    if method == "floor":
        import psycopg

        kwargs = dict(user="psnavigator", password=info["password"], dbname="powerschool")
        kwargs |= (
            {"host": "127.0.0.1", "port": url.port}
            if via == "tunnel"
            else {"host": info["socket_dir"]}
        )
        with psycopg.connect(**kwargs) as conn, conn.cursor("bench") as cur:
            cur.itersize = 20000
            cur.execute("select * from attendance")
            for _ in cur:
                rows += 1
    elif method == "dlt":
        import pyarrow.parquet as pq
        from dlt.sources.sql_database import sql_table

        sa_url = url.set(drivername="postgresql+psycopg")
        writer = None
        for table in sql_table(
            credentials=sa_url.render_as_string(hide_password=False),
            table="attendance",
            backend="pyarrow",
        ):
            writer = writer or pq.ParquetWriter(out, table.schema, compression="zstd")
            writer.write_table(table)
            rows += table.num_rows
        if writer:
            writer.close()
    else:
        from dagster import AssetKey
        from sqlalchemy.dialects import postgresql

        from teamster.core.landing import LandingZone
        from teamster.core.settings import LocalLandingSettings
        from teamster.libraries.powerschool.sis.resources import SISSession, select_table
        from teamster.libraries.powerschool.sis.schema import arrow_schema

        session = SISSession(url, info["password"], postgresql.dialect())
        schema = arrow_schema("attendance")
        landing = LandingZone(LocalLandingSettings(root=Path(info["out"]) / f"landing-{via}"))
        landed = landing.write(
            AssetKey(["bench", "attendance"]),
            schema,
            session.stream(select_table("attendance"), schema),
        )
        session.close()
        rows = landed.rows
    seconds = time.perf_counter() - started
    if tunnel is not None:
        tunnel.__exit__(None, None, None)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps({"method": method, "via": via, "rows": rows, "seconds": seconds, "rss_kb": rss})
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], json.loads(sys.stdin.read()))
        return

    from sandbox.district import Sandbox, sis_host
    from teamster.core.settings.local import sandbox_ports

    sys.path.insert(0, str(ROOT / "tests"))
    from support import free_port_base, make_data_dir

    data_dir = make_data_dir("teamster-bench-")
    out = Path(tempfile.mkdtemp(prefix="teamster-bench-out-"))
    sandbox = Sandbox(data_dir, sandbox_ports(free_port_base()))
    try:
        sandbox.generate(seed=7, scale=0.2)
        with sandbox:
            _fill(sandbox, args.rows)
            db = sandbox._database(REGION)
            info = {
                "password": db.password,
                "socket_dir": str(db.socket_dir),
                "out": str(out),
                "sis_host": sis_host(REGION),
                "ssh": {
                    "host": "127.0.0.1",
                    "port": sandbox.ports.bastion,
                    "username": "teamster",
                    "known_hosts": str(sandbox.root / "known_hosts"),
                    "private_key_file": str(sandbox.secrets_dir / "ssh_client_key"),
                },
            }
            results = [
                _measure(m, v, info) for v in ("direct", "tunnel") for m in ("floor", "dlt", "ours")
            ]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    print(f"{'method':<7}{'via':<8}{'rows':>11}{'seconds':>9}{'rows/s':>11}{'peak RSS MB':>13}")
    for r in results:
        if "error" in r:
            print(f"{r['method']:<7}{r['via']:<8}  {r['error']}")
            continue
        print(
            f"{r['method']:<7}{r['via']:<8}{r['rows']:>11,}{r['seconds']:>9.1f}"
            f"{r['rows'] / r['seconds']:>11,.0f}{r['peak_rss_mb']:>13.0f}"
        )


if __name__ == "__main__":
    main()
