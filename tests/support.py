"""Helpers shared by fixtures and tests."""

import os
import random
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# the session's district (fixture ``sandbox``); another one, to check the truth tests
# hold beyond the default: TEAMSTER_TEST_SEED=11 TEAMSTER_TEST_SCALE=0.1 uv run pytest ...
TEST_SEED = int(os.environ.get("TEAMSTER_TEST_SEED", "7"))
TEST_SCALE = float(os.environ.get("TEAMSTER_TEST_SCALE", "0.05"))  # ~125 students per region


def free_port_base(span: int = 16) -> int:
    """A port base whose next ``span`` ports are free on 127.0.0.1.

    Chosen below the kernel's ephemeral range: a port that is free now but ephemeral
    could be taken by any outgoing connection before the servers bind it (the demo
    starts them after a minute of other work)."""
    low = _ephemeral_low()
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(10_000, low - span)
        try:
            for port in range(base, base + span):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free port range on 127.0.0.1")


def _ephemeral_low() -> int:
    """The first port the kernel hands out to outgoing connections (32768 if unknown)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def prune_sis_clusters() -> None:
    """As root the SIS clusters live outside the data dir (docs/sandbox.md): remove those
    whose data dir is gone."""
    if os.geteuid() == 0:
        from sandbox import postgres

        postgres.prune_orphans(postgres.cluster_base("nobody"))


def make_data_dir(prefix: str) -> Path:
    """A private (0700) data dir, as ``mktemp -d`` makes one: the suite runs on the
    folders a user (or CI, as root) really has, not on ones opened up for PostgreSQL."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def sis_requests(defs, location: str, instance) -> list:
    """The run requests one tick of ``location``'s SIS change sensor makes."""
    from dagster import build_sensor_context

    sensor = defs.resolve_sensor_def(f"{location}__powerschool_sis__changes")
    with build_sensor_context(
        instance=instance,
        definitions=defs,
        resources={"powerschool_sis": defs.resources["powerschool_sis"]},
    ) as context:
        return list(sensor.evaluate_tick(context).run_requests or [])


def compiled_models(manifest: dict) -> dict[str, str]:
    """Model name -> compiled SQL, from a compiled manifest (``compiled_manifests``)."""
    return {
        node["name"]: node["compiled_code"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def staging_error(sql: str, dataset: str, table: str, schema) -> str | None:
    """Why compiled ``sql`` cannot run on an empty ``warehouse.<dataset>.<table>`` of
    exactly ``schema`` (what an ingestion asset lands), e.g. a column it reads that is
    not landed; None when it runs. How the fidelity tests hold staging models to what
    the libraries land."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect(":memory:")
    try:
        con.execute("attach ':memory:' as warehouse")
        con.execute(f'create schema warehouse."{dataset}"')
        con.register("landed", pa.Table.from_pylist([], schema=schema))
        con.execute(f'create table warehouse."{dataset}"."{table}" as select * from landed')
        con.execute(f"select * from ({sql}) as staged limit 0")
    except duckdb.Error as e:
        return str(e)
    finally:
        con.close()
    return None


def prod_env() -> dict[str, str]:
    """Stand-in values for every variable ``prod`` requires. The names come from the
    settings' own error, so a newly required variable needs no edit here."""
    from teamster.core.settings import SettingsError, load_settings

    try:
        load_settings({"TEAMSTER_ENV": "prod"})
    except SettingsError as e:
        names = str(e).split("missing settings: ", 1)[1].split(", ")
    else:
        raise AssertionError("prod loaded without any variable")
    env = {"TEAMSTER_ENV": "prod"}
    for name in names:
        if name.endswith("_SIS_URL"):  # parsed as a SQLAlchemy URL at load
            env[name] = "oracle+oracledb://psnavigator@sis.invalid:1521/PSPRODDB"
        elif name.endswith("_URL"):
            env[name] = f"https://{name.lower().replace('_', '-')}.invalid"
        elif name.endswith("_FILE"):
            env[name] = f"/run/secrets/{name.lower()}"
        elif name in ("TEAMSTER_GCP_PROJECT", "TEAMSTER_GCS_BUCKET_PREFIX"):
            env[name] = "teamster-standin"  # checked as a project id / bucket name
        else:
            env[name] = f"{name.lower().replace('_', '-')}.invalid"
    return env


def prod_settings(env: dict[str, str] | None = None):
    """``prod`` settings with ``env`` over stand-ins for every other required variable
    (none of those systems is contacted)."""
    from teamster.core.settings import load_settings

    return load_settings(prod_env() | (env or {}))


def compile_project(name: str, work: Path, env: dict[str, str], extra: list[str]) -> dict:
    """``dbt compile`` of one project into ``work/<name>`` (never the project's own
    target/), with ``env`` over the process's; returns the compiled manifest."""
    import json
    import os

    from teamster.libraries.dbt.resources import prepare, project_dir, run_dbt

    prepare(name)  # installs the local packages the compile needs
    target = work / name / "target"
    args = ["compile", "--project-dir", str(project_dir(name)), "--target-path", str(target)]
    args += ["--log-path", str(work / name / "logs"), "--quiet", *extra]
    run_dbt(args, work, {**os.environ, **env}, name)
    return json.loads((target / "manifest.json").read_text())


def teamster_sandbox(
    *args: str, data_dir: Path, port_base: int, timeout: float = 300
) -> subprocess.CompletedProcess:
    """`teamster sandbox ARGS --data-dir DATA_DIR` as a user runs it, on ``port_base``."""
    exe = Path(sys.executable).parent / "teamster"
    env = {**os.environ, "TEAMSTER_SANDBOX_PORT_BASE": str(port_base)}
    return subprocess.run(
        [str(exe), "sandbox", *args, "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def sis_query(root: Path, bastion_port: int, region: str, sql: str) -> list[tuple]:
    """``sql`` on a region's SIS database, the one way in: through the sandbox's bastion
    (``root`` is the sandbox folder of a data dir, holding its host keys and secrets)."""
    import psycopg

    from sandbox.district import sis_host
    from teamster.core.settings import SSHSettings
    from teamster.core.ssh import SSHConnection

    settings = SSHSettings(
        host="127.0.0.1",
        port=bastion_port,
        username="teamster",
        known_hosts=str(root / "known_hosts"),
        private_key_file=str(root / "secrets" / "ssh_client_key"),
    )
    password = (root / "secrets" / f"{region}_sis_password").read_text().strip()
    with SSHConnection(settings, attempts=1) as ssh:
        port = ssh.forward(sis_host(region), 5432)
        with psycopg.connect(
            host="127.0.0.1", port=port, user="psnavigator", dbname="powerschool", password=password
        ) as conn:
            return conn.execute(sql).fetchall()


def fast_retries(attempts: int):
    """An HTTP client's retry policy with waits small enough for a test."""
    from teamster.core.http import Retries

    return Retries(attempts=attempts, first_wait=0.05, max_wait=0.2)


def logged_waits(caplog) -> list[tuple[int, float]]:
    """(failed attempt, wait before the next) for every retry the HTTP policy logged."""
    return [
        (r.retry_attempt, r.retry_wait) for r in caplog.records if r.name == "teamster.core.http"
    ]


def adp_definitions(settings, retries=None, sensors=()):
    """kipptaf's ADP wiring alone (payroll files and Workforce Now), so a test does not
    depend on kipptaf's dbt project."""
    from dagster import Definitions

    from teamster.core.regions import NETWORK
    from teamster.core.resources import shared_resources
    from teamster.libraries.adp.assets import build_adp_assets
    from teamster.libraries.adp.resources import ADPFiles, WorkforceNowAPI

    config = str(REPO / "src" / "teamster" / "code_locations" / NETWORK / "config" / "adp.yaml")
    api = {"retries": retries} if retries is not None else {}
    return Definitions(
        assets=build_adp_assets(NETWORK),
        sensors=list(sensors),
        resources={
            **shared_resources(settings),
            "adp_sftp": ADPFiles(settings=settings.adp_sftp, config_file=config),
            "adp_workforce_now": WorkforceNowAPI(
                settings=settings.adp_workforce_now, config_file=config, **api
            ),
        },
    )


def web_id_expression(compiled_sql: str, dialect: str) -> str:
    """The expression ``rpt_powerschool__autocomm_students`` compiles ``student_web_id``
    to, in ``dialect``: it reads ``s.first_name``, ``s.last_name`` and
    ``s.student_number``, so tests can run it on rows of their own."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(compiled_sql, read=dialect)
    [found] = [a for a in tree.find_all(exp.Alias) if a.alias == "student_web_id"]
    return found.this.sql(dialect=dialect)
