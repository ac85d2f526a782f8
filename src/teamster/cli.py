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
    from sandbox.district import Ports, Sandbox
    from teamster.core.settings import BASTION_PORT_OFFSET, SFTP_PORT_OFFSETS

    base = settings.sandbox_port_base
    return Sandbox(
        settings.data_dir,
        Ports(
            bastion=base + BASTION_PORT_OFFSET,
            sftp={region: base + offset for region, offset in SFTP_PORT_OFFSETS.items()},
        ),
    )


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


@sandbox_app.command("up")
def sandbox_up(
    data_dir: Path = DataDir,
    seed: int = Seed,
    scale: float = Scale,
    regenerate: bool = typer.Option(False, help="Generate a new district first."),
) -> None:
    """Serve the district until interrupted (generating it if there is none)."""
    settings = _use_local(data_dir)
    sandbox = _sandbox(settings)
    if regenerate or not sandbox.truth_path.exists():
        sandbox.generate(seed=seed, scale=scale)
    with sandbox:
        console.print(
            f"sandbox up: bastion 127.0.0.1:{sandbox.ports.bastion}, "
            f"SFTP {sandbox.ports.sftp}; secrets in {sandbox.secrets_dir}. Ctrl-C stops."
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("stopping")


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
