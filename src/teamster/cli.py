"""The ``teamster`` command."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="teamster: a runnable data platform for a school network.",
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
)
sandbox_app = typer.Typer(help="The simulated district on 127.0.0.1.", no_args_is_help=True)
dbt_app = typer.Typer(help="dbt project housekeeping.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(dbt_app, name="dbt")
# bound to the real stdout: the demo sends dbt's raw output to a log file instead
console = Console(file=sys.stdout)

DataDir = typer.Option(Path(".teamster"), "--data-dir", help="Where everything local lives.")
Seed = typer.Option(7, "--seed", help="Seed of the generated district.")
Scale = typer.Option(1.0, "--scale", help="Multiplies students (1 = ~2,500 per region).")


def _use_local(data_dir: Path):
    """Point this process at the local environment under ``data_dir``."""
    if os.environ.get("TEAMSTER_ENV", "local") != "local":
        raise typer.BadParameter("the demo and the sandbox run only with TEAMSTER_ENV=local")
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["TEAMSTER_DATA_DIR"] = str(data_dir)
    from teamster.core.settings import current

    current.cache_clear()
    return current()


def _sandbox(settings):
    from sandbox.district import Sandbox, ports_from_base

    return Sandbox(settings.data_dir, ports_from_base(settings.sandbox_port_base))


@app.command()
def demo(data_dir: Path = DataDir, seed: int = Seed, scale: float = Scale) -> None:
    """Generate a district, serve it, materialize all five code locations, report."""
    from dagster import DagsterInstance

    from teamster.core.locations import materialize_all
    from teamster.libraries.dbt.project import prepare

    started = time.monotonic()
    settings = _use_local(data_dir)
    console.print(f"[bold]teamster demo[/] in {settings.data_dir} (seed {seed}, scale {scale})")
    for location in ("kippnewark", "kippcamden", "kippmiami", "kipppaterson", "kipptaf"):
        prepare(location)
    console.print(f"dbt manifests ready ({time.monotonic() - started:.1f}s)")
    sandbox = _sandbox(settings)
    truth = sandbox.generate(seed=seed, scale=scale)
    console.print(
        f"district generated: {sum(truth['students_total_by_region'].values())} "
        f"students in {len(truth['students_by_region'])} regions "
        f"({time.monotonic() - started:.1f}s)"
    )
    home = _dagster_home(settings)
    log_path = settings.data_dir / "logs" / "demo.log"
    log_path.parent.mkdir(exist_ok=True)
    console.print(f"materializing; run logs in {log_path}")
    with (
        sandbox,
        DagsterInstance.from_config(str(home)) as instance,
        log_path.open("w") as log,
        contextlib.redirect_stdout(log),
    ):
        stages = materialize_all(
            instance, quiet=True, on_stage=lambda loc, n: console.print(f"  {loc}: {n} assets")
        )
    console.print(
        f"{sum(len(s.keys) for s in stages)} assets in {len(stages)} runs "
        f"({time.monotonic() - started:.1f}s)"
    )
    _report(settings)
    console.print(
        f"[bold green]done[/] in {time.monotonic() - started:.1f}s; "
        f"warehouse: {settings.warehouse.path}"
    )


def _report(settings) -> None:
    import duckdb

    table = Table("dataset", "tables", "rows", title="warehouse")
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() order by 1, 2"
        ).fetchall()
        totals: dict[str, list[int]] = {}
        for schema, name in relations:
            (rows,) = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
            entry = totals.setdefault(schema, [0, 0])
            entry[0] += 1
            entry[1] += rows
    for schema, (count, rows) in totals.items():
        table.add_row(schema, str(count), f"{rows:,}")
    console.print(table)


def _run_info(sandbox) -> dict | None:
    """The daemon's run.json if its process is alive."""
    import json

    run = sandbox.root / "run.json"
    if not run.exists():
        return None
    info = json.loads(run.read_text())
    try:
        os.kill(info["pid"], 0)
    except ProcessLookupError:
        run.unlink(missing_ok=True)
        return None
    return info


@sandbox_app.command("up")
def sandbox_up(
    data_dir: Path = DataDir,
    seed: int = Seed,
    scale: float = Scale,
    regenerate: bool = typer.Option(False, help="Generate a new district first."),
) -> None:
    """Start the sandbox servers in the background (generating a district if none)."""
    import subprocess

    settings = _use_local(data_dir)
    sandbox = _sandbox(settings)
    if _run_info(sandbox):
        raise typer.BadParameter(f"the sandbox in {sandbox.root} is already up")
    if regenerate or not sandbox.is_current():
        if sandbox.state_path.exists() and not regenerate:
            typer.echo(f"the district in {sandbox.root} is from an older teamster: regenerating")
        sandbox.generate(seed=seed, scale=scale)
    log = (sandbox.root / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--data-dir",
            str(settings.data_dir),
            "--port-base",
            str(settings.sandbox_port_base),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not _run_info(sandbox):
        time.sleep(0.2)
    info = _run_info(sandbox)
    if info is None:
        proc.terminate()
        raise typer.Exit(_fail(f"the sandbox did not start; see {sandbox.root / 'server.log'}"))
    _print_status(sandbox, info)


def _fail(message: str) -> int:
    console.print(f"[red]{message}[/]")
    return 1


def _print_status(sandbox, info: dict) -> None:
    state = sandbox.state()
    table = Table(
        "system",
        "address",
        title=f"sandbox up (pid {info['pid']}), "
        f"district as of {state['as_of']} (seed {state['seed']}, scale {state['scale']})",
    )
    table.add_row("SSH bastion -> SIS databases", f"127.0.0.1:{info['bastion']}")
    for name, port in info["sftp"].items():
        table.add_row(f"SFTP {name}", f"127.0.0.1:{port}")
    for name, port in info["http"].items():
        table.add_row(f"HTTP {name}", f"http://127.0.0.1:{port}")
    console.print(table)
    console.print(f"secrets: {sandbox.secrets_dir}; known_hosts: {sandbox.root / 'known_hosts'}")


@sandbox_app.command("down")
def sandbox_down(data_dir: Path = DataDir) -> None:
    """Stop the background sandbox."""
    import signal

    sandbox = _sandbox(_use_local(data_dir))
    info = _run_info(sandbox)
    if info is None:
        console.print("the sandbox is not running")
        return
    os.kill(info["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _run_info(sandbox):
        time.sleep(0.2)
    console.print("sandbox stopped" if not _run_info(sandbox) else "[red]still running[/]")


@sandbox_app.command("status")
def sandbox_status(data_dir: Path = DataDir) -> None:
    """Say whether the sandbox is up, where, and which day its district shows."""
    sandbox = _sandbox(_use_local(data_dir))
    info = _run_info(sandbox)
    if info is None:
        state = sandbox.state() if sandbox.is_current() else None
        console.print("sandbox down" + (f"; district as of {state['as_of']}" if state else ""))
        raise typer.Exit(3)
    _print_status(sandbox, info)


@sandbox_app.command("advance")
def sandbox_advance(
    data_dir: Path = DataDir, days: int = typer.Option(1, "--days", help="School days to add.")
) -> None:
    """Move the district forward: new attendance, edited rows, new files, submissions."""
    sandbox = _sandbox(_use_local(data_dir))
    try:
        before = sandbox.state()["as_of"]
    except RuntimeError as e:
        console.print(f"[red]{e}[/]")
        raise typer.Exit(2) from None
    truth = sandbox.advance(days)
    console.print(f"district advanced from {before} to {truth['as_of']}")


@sandbox_app.command("fault")
def sandbox_fault(
    data_dir: Path = DataDir,
    drop_after_bytes: int = typer.Option(None, help="Cut new tunnels/SFTP sessions after N bytes."),
    on: str = typer.Option("bastion", help="Where --drop-after-bytes applies: bastion or sftp."),
    times: int = typer.Option(None, help="With --drop-after-bytes: only the next N cuts."),
    http_burst: str = typer.Option(None, help="SYSTEM:STATUS:COUNT, e.g. deanslist:429:3."),
    corrupt: Path = typer.Option(None, help="A file under sandbox/sftp to damage."),
    how: str = typer.Option("malformed", help="With --corrupt: malformed or truncate."),
    host_key: str = typer.Option(None, help="Give this SSH server a new, unpinned host key."),
    clear: bool = typer.Option(False, help="Clear connection and HTTP faults."),
) -> None:
    """Switch faults on (or off) in the running sandbox."""
    from sandbox.faults import corrupt_file

    sandbox = _sandbox(_use_local(data_dir))
    if clear:
        sandbox.faults.clear()
    if drop_after_bytes is not None:
        sandbox.faults.drop_after_bytes(on, drop_after_bytes, times)
    if http_burst:
        system, status, count = http_burst.split(":")
        sandbox.faults.http_burst(system, int(status), int(count))
    if corrupt is not None:
        target = (sandbox.root / "sftp" / corrupt).resolve()
        if not target.is_relative_to(sandbox.root / "sftp") or not target.is_file():
            raise typer.BadParameter(f"{corrupt} is not a file under {sandbox.root / 'sftp'}")
        corrupt_file(target, how)
    if host_key:
        sandbox.change_host_key(host_key)
    console.print(f"faults now: {sandbox.faults.read() or 'none'}")


DAGSTER_YAML = """\
# written by `teamster demo` and `teamster dev`: the local instance
concurrency:
  pools:
    # DuckDB allows one writing process per file: warehouse writers take turns
    default_limit: 1
"""


def _dagster_home(settings) -> Path:
    """The local Dagster instance, shared by the demo and `teamster dev`."""
    home = settings.data_dir / "dagster"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    return home


@app.command()
def dev(data_dir: Path = DataDir, port: int = typer.Option(3000, help="Web UI port.")) -> None:
    """Run `dagster dev` over the five code locations with a local instance."""
    settings = _use_local(data_dir)
    os.environ["DAGSTER_HOME"] = str(_dagster_home(settings))
    workspace = Path(__file__).parents[2] / "workspace.yaml"
    dagster = Path(sys.executable).parent / "dagster"
    os.execv(str(dagster), [str(dagster), "dev", "-w", str(workspace), "-p", str(port)])


@dbt_app.command("prepare")
def dbt_prepare(force: bool = typer.Option(False, help="Parse even if current.")) -> None:
    """Install local packages and write every project's manifest."""
    from teamster.core.settings import LOCATIONS
    from teamster.libraries.dbt.project import prepare

    for location in LOCATIONS:
        console.print(f"{location}: {prepare(location, force=force)}")
