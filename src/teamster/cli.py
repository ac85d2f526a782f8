"""The ``teamster`` command."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    pass

app = typer.Typer(
    help="teamster: a runnable data platform for a school network.",
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",  # a docstring's lines flow into paragraphs
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


def use_local(data_dir: Path):
    """Point this process at the local environment under ``data_dir``."""
    if os.environ.get("TEAMSTER_ENV", "local") != "local":
        raise typer.BadParameter("the demo and the sandbox run only with TEAMSTER_ENV=local")
    from teamster.core.private import private_dir, tighten_umask

    # the command is an application: all it and its children (the sandbox daemon,
    # Dagster, dbt, DuckDB) write under the data dir is private (teamster.core.private)
    tighten_umask()
    data_dir = private_dir(data_dir.resolve())
    os.environ["TEAMSTER_DATA_DIR"] = str(data_dir)
    from teamster.core.settings import current

    current.cache_clear()
    return current()


def local_sandbox(settings):
    from sandbox.district import Sandbox
    from teamster.core.settings.local import sandbox_ports

    return Sandbox(settings.data_dir, sandbox_ports(settings.sandbox_port_base))


@app.command()
def demo(data_dir: Path = DataDir, seed: int = Seed, scale: float = Scale) -> None:
    """Generate a district, load every code location, then catch up one school day.

    The district is served on 127.0.0.1 and every code location materialized; then the
    district moves a school day on and the sensors, schedules and automation catch up
    as production's would.

    The console shows one progress line per stage, then a summary. What Dagster, dbt
    and the servers print goes to `<data-dir>/logs/demo.log`: the console quotes only
    a failing step's own error, so a new user sees what matters and where the rest is.
    """
    from teamster.demo import run

    run(data_dir, seed, scale)


def _run_info(sandbox) -> dict | None:
    """The daemon's run.json if the process it records is running (see ``_daemon``)."""
    return _daemon(sandbox)[0]


def _daemon(sandbox) -> tuple[dict | None, str]:
    """The daemon's run.json if the process it names is that daemon; else None, and why.

    A pid alone is not a process: once the daemon is gone (killed, or the machine
    restarted) its pid may be given to anything. So the record counts only while the
    process with that pid has the start time the daemon recorded for itself; a record
    that fails the check is stale, and is removed without signalling anyone."""
    import json

    from sandbox.district import process_start

    run = sandbox.root / "run.json"
    if not run.exists():
        return None, ""
    try:
        info = json.loads(run.read_text())
        pid = int(info["pid"])
    except (ValueError, KeyError, TypeError):
        run.unlink(missing_ok=True)
        return None, f"{run} was no sandbox's record (removed); nothing was signalled"
    recorded = info.get("pid_start")
    now = process_start(pid)
    if recorded is not None and now == recorded:
        return info, ""
    run.unlink(missing_ok=True)
    if now is None:
        why = "no process has that pid now"
    elif recorded is None:
        why = "the record has no start time to tell it by (an older teamster wrote it)"
    else:
        why = "that pid is now another process"
    return None, (
        f"the sandbox recorded in {run} (pid {pid}) is gone: {why}; pid {pid} was not "
        "signalled and the stale record is removed"
    )


@sandbox_app.command("up")
def sandbox_up(
    data_dir: Path = DataDir,
    seed: int = Seed,
    scale: float = Scale,
    regenerate: bool = typer.Option(False, help="Generate a new district first."),
) -> None:
    """Start the sandbox servers in the background (generating a district if none)."""
    import subprocess

    settings = use_local(data_dir)
    sandbox = local_sandbox(settings)
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
    """Stop the background sandbox.

    Signals only the process `sandbox/run.json` records, and only while that pid is
    still the daemon that wrote it (same start time). Exits 0 once no sandbox of the
    data dir runs (stopped now, not running, or its record stale: the message says
    which), 1 if the daemon is still running 30 s after the signal."""

    sandbox = local_sandbox(use_local(data_dir))
    info, gone = _daemon(sandbox)
    if info is None:
        console.print(gone or "the sandbox is not running")
        return
    os.kill(info["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _run_info(sandbox):
        time.sleep(0.2)
    if _run_info(sandbox):
        raise typer.Exit(_fail(f"the sandbox (pid {info['pid']}) is still running"))
    console.print("sandbox stopped")


@sandbox_app.command("status")
def sandbox_status(data_dir: Path = DataDir) -> None:
    """Say whether the sandbox is up, where, and which day its district shows."""
    sandbox = local_sandbox(use_local(data_dir))
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
    sandbox = local_sandbox(use_local(data_dir))
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

    burst = _http_burst(http_burst) if http_burst else None
    sandbox = local_sandbox(use_local(data_dir))
    if clear:
        sandbox.faults.clear()
    if drop_after_bytes is not None:
        sandbox.faults.drop_after_bytes(on, drop_after_bytes, times)
    if burst:
        sandbox.faults.http_burst(*burst)
    if corrupt is not None:
        target = (sandbox.root / "sftp" / corrupt).resolve()
        if not target.is_relative_to(sandbox.root / "sftp") or not target.is_file():
            raise typer.BadParameter(f"{corrupt} is not a file under {sandbox.root / 'sftp'}")
        corrupt_file(target, how)
    if host_key:
        sandbox.change_host_key(host_key)
    console.print(f"faults now: {sandbox.faults.read() or 'none'}")


BURST_STATUSES = (429, 500, 502, 503)


def _http_burst(text: str) -> tuple[str, int, int]:
    """``SYSTEM:STATUS:COUNT`` checked, so a typo is a usage error and not a traceback."""
    from teamster.core.settings.local import HTTP_SYSTEMS

    parts = text.split(":")
    system, status, count = parts if len(parts) == 3 else ("", "", "")
    if (
        system not in HTTP_SYSTEMS
        or not status.isdigit()
        or int(status) not in BURST_STATUSES
        or not count.isdigit()
        or int(count) < 1
    ):
        raise typer.BadParameter(
            f"{text!r} is not SYSTEM:STATUS:COUNT with SYSTEM one of {', '.join(HTTP_SYSTEMS)}, "
            f"STATUS one of {', '.join(map(str, BURST_STATUSES))} and COUNT at least 1 "
            "(e.g. deanslist:429:3)",
            param_hint="--http-burst",
        )
    return system, int(status), int(count)


@sandbox_app.command("prod-check")
def sandbox_prod_check(
    data_dir: Path = DataDir,
    seed: int = Seed,
    scale: float = typer.Option(0.05, "--scale", help="Multiplies students."),
) -> None:
    """Run TEAMSTER_ENV=prod on BigQuery and GCS emulators against a fresh district.

    Newark (SQL) and Paterson (SFTP) whole, kipptaf's students over every region,
    Newark's AutoComm push; each figure is compared with the sandbox's own.
    """
    from sandbox.cloud import EmulatorUnavailable, emulators
    from sandbox.prod_run import compare, run_slice
    from teamster.core.private import private_dir

    started = time.monotonic()
    settings = use_local(data_dir)
    sandbox = local_sandbox(settings)
    sandbox.generate(seed=seed, scale=scale)
    log = settings.data_dir / "logs" / "prod-check.log"
    private_dir(log.parent)
    console.print(f"prod on emulators in {settings.data_dir}; full output in {log}")
    try:
        with sandbox, emulators(settings.data_dir / "cloud") as cloud:
            console.print(f"emulators: BigQuery {cloud.bigquery}, GCS {cloud.gcs}")
            report = run_slice(settings, cloud, log=log)
            found = compare(sandbox, cloud, report)
    except (EmulatorUnavailable, RuntimeError) as e:
        console.print(f"[red]{str(e)[-3000:]}[/]")
        raise typer.Exit(1) from None
    table = Table("check", "found", "expected", "", title="prod on emulators")
    for what, (got, expected) in found.items():
        ok = "[green]ok[/]" if got == expected else "[red]differs[/]"
        table.add_row(what, str(got), str(expected), ok)
    console.print(table)
    console.print(
        f"{len(report['assets'])} assets in {report['runs']} runs ({report['seconds']}s); "
        f"total {time.monotonic() - started:.1f}s"
    )
    if any(got != expected for got, expected in found.values()):
        raise typer.Exit(1)


DAGSTER_YAML = """\
# written by `teamster demo` and `teamster dev`: the local instance
concurrency:
  pools:
    # DuckDB allows one writing process per file: warehouse writers take turns
    default_limit: 1
# no usage reporting, and no telemetry banner in the demo's output
telemetry:
  enabled: false
# no "Join the Dagster community" dialog over the UI
nux:
  enabled: false
"""


def dagster_home(settings) -> Path:
    """The local Dagster instance, shared by the demo and `teamster dev`."""
    from teamster.core.instance import python_logs_yaml
    from teamster.core.private import private_dir, write_private

    home = private_dir(settings.data_dir / "dagster")
    write_private(home / "dagster.yaml", (DAGSTER_YAML + python_logs_yaml()).encode())
    return home


@app.command()
def dev(data_dir: Path = DataDir, port: int = typer.Option(3000, help="Web UI port.")) -> None:
    """Run `dagster dev` over every code location with a local instance."""
    settings = use_local(data_dir)
    os.environ["DAGSTER_HOME"] = str(dagster_home(settings))
    workspace = Path(__file__).parents[2] / "workspace.yaml"
    dagster = Path(sys.executable).parent / "dagster"
    os.execv(str(dagster), [str(dagster), "dev", "-w", str(workspace), "-p", str(port)])


@dbt_app.command("prepare")
def dbt_prepare(force: bool = typer.Option(False, help="Parse even if current.")) -> None:
    """Install local packages and write every project's manifest."""
    from teamster.core.regions import LOCATIONS
    from teamster.libraries.dbt.resources import prepare

    for location in LOCATIONS:
        console.print(f"{location}: {prepare(location, force=force)}")


@app.command("new-region")
def new_region(
    name: str = typer.Argument(..., help="The region's name, e.g. kippnola."),
    sis: str = typer.Option("sql", help="How PowerSchool is read: sql or sftp."),
    timezone: str = typer.Option("America/New_York", help="The schools' IANA time zone."),
    city: str | None = typer.Option(None, help="Its city (default: from the name)."),
    state: str | None = typer.Option(None, help="Its state (default: the usual one)."),
    autocomm: bool = typer.Option(True, help="Push AutoComm files to its PowerSchool."),
    schools: str = typer.Option("2", help="A count (K-4, 5-8, 9-12 in turn) or bands: K-4,5-8."),
    repo: Path | None = typer.Option(None, help="The checkout to add it to (default: this one)."),
) -> None:
    """Add a school region in one command (docs/adding-a-region.md).

    It writes the region's registry block, code location, dbt project, kipptaf's sources
    and the deployment files, after checking all of them first."""
    from teamster.libraries.dbt.resources import DbtPrepareError
    from teamster.scaffold import ScaffoldError, new_region

    out = Console()  # whatever stdout is now (a test's runner replaces it)
    options = dict(name=name, sis=sis, timezone=timezone, city=city, state=state)
    try:
        done = new_region(repo, autocomm=autocomm, schools=schools, **options)
    except ScaffoldError as e:
        out.print(f"[bold red]not added[/]: {e}")
        raise typer.Exit(2) from None
    except DbtPrepareError as e:
        out.print(f"[bold red]written, but dbt deps failed[/]: {e}")
        raise typer.Exit(1) from None
    for path in done.paths_written:
        out.print(f"  {path.relative_to(done.paths.repo)}")
    out.print(f"[bold]{name}[/] added; next steps: docs/adding-a-region.md")
