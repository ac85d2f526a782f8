"""``teamster demo``: generate a district, load every code location, catch up one day.

The console shows one progress line per stage (``DemoProgress``), then a summary. What
Dagster, dbt and the servers print goes to ``<data-dir>/logs/demo.log``; the console
quotes only a failing step's own error. Ctrl-C stops every server the demo started and
exits 130, leaving every load that had not finished at its previous good state.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import RenderableType
from rich.progress import Progress, SpinnerColumn, Task, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Column, Table
from rich.text import Text

from teamster.cli import console, dagster_home, local_sandbox, use_local
from teamster.core.private import private_dir

if TYPE_CHECKING:
    from dagster import AssetKey, DagsterInstance, EventLogEntry
    from dagster._utils.error import SerializableErrorInfo


def run(data_dir: Path, seed: int, scale: float) -> None:
    """The demo, start to summary; exits 1 on a failure and 130 on Ctrl-C."""
    started = time.monotonic()
    settings = use_local(data_dir)
    log_path = settings.data_dir / "logs" / "demo.log"
    private_dir(log_path.parent)  # the log quotes runs' errors: student data may be in it
    console.print(
        f"[bold]teamster demo[/] in {settings.data_dir} (seed {seed}, scale {scale}); "
        f"full log: {log_path}"
    )
    log_path.write_text("")
    # appending: the processes Dagster starts write to the same file (see _stderr_to)
    with log_path.open("a") as log, _sigint_seen() as interrupted:
        shown = _DemoProgress(interrupted)
        try:
            with (
                shown,
                contextlib.redirect_stdout(log),
                contextlib.redirect_stderr(log),
                _stderr_to(log),
            ):
                pushes, day = _run_demo(settings, seed, scale, shown)
        except Exception as error:
            traceback.print_exc(file=log)
            if not interrupted():
                console.print(_failure_text(shown, error, log_path))
                raise typer.Exit(1) from None
            _interrupted(log_path)
        except BaseException as error:
            if not (_interrupt(type(error)) or interrupted()):
                raise
            traceback.print_exc(file=log)
            _interrupted(log_path)
    _summary(shown, settings, pushes, time.monotonic() - started)
    _day_summary(shown, *day)


def _interrupted(log_path: Path) -> None:
    console.print(
        "[bold red]interrupted[/]: every server the demo started is stopped; loads "
        "that had not finished left the previous data in place. Run the same "
        f"command again to start over. Full log: {log_path}"
    )
    raise typer.Exit(130)


@contextlib.contextmanager
def _sigint_seen() -> Iterator[Callable[[], bool]]:
    """Whether Ctrl-C has arrived, whoever handled it. During a run Dagster swaps in its
    own SIGINT handler and DuckDB turns the interrupt into "Query interrupted", so what
    reaches the demo is often a step failure; the interpreter's wakeup fd sees every
    signal whatever handler is installed."""
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    previous = signal.set_wakeup_fd(write)
    seen: list[bool] = []

    def interrupted() -> bool:
        with contextlib.suppress(BlockingIOError):
            if signal.SIGINT in os.read(read, 512):
                seen.append(True)
        return bool(seen)

    try:
        yield interrupted
    finally:
        signal.set_wakeup_fd(previous)
        os.close(read)
        os.close(write)


@contextlib.contextmanager
def _stderr_to(log) -> Iterator[None]:
    """Send file descriptor 2 to the log: processes Dagster and dbt start (which do not
    see Python's ``sys.stderr``) print there too, not over the progress display."""
    log.flush()
    saved = os.dup(2)
    os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _run_demo(settings, seed: int, scale: float, shown: _DemoProgress):
    """The demo's stages, reported to ``shown``; returns the AutoComm files pushed, and
    the day caught up with and the runs that took."""
    from dagster import DagsterInstance

    from teamster.core.instance import unsynced_sqlite
    from teamster.core.locations import materialize_all
    from teamster.core.regions import NETWORK, REGIONS
    from teamster.libraries.dbt.resources import prepare

    projects = (*REGIONS, NETWORK)  # the regions build what kipptaf reads
    shown.start("dbt", "preparing dbt manifests", count=f"0/{len(projects)} projects")
    for done, location in enumerate(projects, 1):
        prepare(location, warehouse=settings.warehouse.path)
        shown.update(count=f"{done}/{len(projects)} projects")
    shown.finish("dbt manifests ready")
    with contextlib.ExitStack() as stack:
        shown.start("sandbox", "generating the district")
        sandbox = local_sandbox(settings)
        truth = sandbox.generate(seed=seed, scale=scale)
        students = sum(truth["students_total_by_region"].values())
        shown.update("starting its servers on 127.0.0.1", count=f"{students:,} students")
        stack.enter_context(sandbox)
        shown.finish(f"district served: {len(truth['students_by_region'])} regions")
        home = dagster_home(settings)
        stack.enter_context(unsynced_sqlite(home))
        instance = stack.enter_context(DagsterInstance.from_config(str(home)))
        shown.start("dagster", "loading the code locations", finished="code locations loaded")
        materialize_all(
            instance,
            quiet=True,
            on_stage=shown.stage,
            on_run=shown.run,
            on_event=shown.event,
        )
        shown.finish()
        day = _day_one(instance, sandbox, shown)
        return _autocomm_pushes(instance), day


def _day_one(instance: DagsterInstance, sandbox, shown: _DemoProgress):
    """Move the district a school day on and catch up as production would: the change
    sensors and schedules decide what to load, automation what to rebuild."""
    import datetime as dt

    from teamster.core.catch_up import catch_up, record_baseline
    from teamster.core.locations import Launcher

    shown.start("day one", "noting where automation stands after the full load", catch_up=True)
    record_baseline(instance)
    truth = sandbox.advance(1)
    day = dt.date.fromisoformat(truth["as_of"])
    shown.update(f"district moved to {day}; sensors and schedules tick", count="0 assets")
    launcher = Launcher(instance, quiet=True, on_run=shown.run, on_event=shown.event)
    started = time.monotonic()
    launched = catch_up(instance, day, launcher=launcher)
    seconds = time.monotonic() - started
    shown.finish(f"caught up with {day}: {len(launched)} runs")
    return day, launched, seconds


# how the progress and the summary name what a run works on (asset groups, and dbt)
SYSTEM_NAMES = {
    "powerschool_sis": "PowerSchool SIS",
    "powerschool_enrollment": "PowerSchool Enrollment",
    "powerschool_autocomm": "AutoComm push",
    "deanslist": "DeansList",
    "iready": "i-Ready",
    "adp_payroll": "ADP payroll",
    "adp_workforce_now": "ADP Workforce Now",
    "google_sheets": "Google Sheets",
    "tableau": "Tableau",
}
AUTOCOMM_GROUP = "powerschool_autocomm"


class _StageMark(SpinnerColumn):
    """rich's spinner, a tick once a stage is done, and a cross if it failed."""

    def render(self, task: Task) -> RenderableType:
        if task.fields.get("failed"):
            return Text("✗", style="bold red")
        return super().render(task)


@dataclass
class _Stage:
    """One line of the demo's progress, and what the summary says of it."""

    where: str
    task: TaskID
    total: int | None = None
    systems: list[str] = field(default_factory=list)
    done: set[AssetKey] = field(default_factory=set)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    runs: int = 0
    finished: str | None = None
    what: str = ""
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None
    catch_up: bool = False


class _DemoProgress:
    """rich's Progress, one task per stage, fed by ``materialize_all``'s callbacks.

    Assets are counted from Dagster's own materialization events as each run stores
    them, so the count moves within a long run; check evaluations and step failures
    are kept for the summary and for the error shown on a failure.
    """

    def __init__(self, interrupted: Callable[[], bool] = lambda: False) -> None:
        self.interrupted = interrupted
        self.progress = Progress(
            _StageMark(finished_text="[green]✓[/]"),
            TextColumn("[bold]{task.fields[where]}", table_column=Column(width=12, no_wrap=True)),
            TextColumn(
                "{task.description}",
                table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis"),
            ),
            TextColumn("{task.fields[count]}", justify="right"),
            TimeElapsedColumn(),
            console=console,
            # Dagster's and dbt's output goes to the log, not above the display
            redirect_stdout=False,
            redirect_stderr=False,
            expand=True,
        )
        self.stages: list[_Stage] = []
        self.open: _Stage | None = None
        self.step_failure: tuple[str, str] | None = None

    def __enter__(self) -> _DemoProgress:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """Marks the open stage failed (or interrupted) before the display's last render."""
        if kind is None:
            self.finish()
        else:
            self.fail("interrupted" if _interrupt(kind) or self.interrupted() else "failed")
        self.progress.stop()

    def start(
        self,
        where: str,
        description: str,
        count: str = "",
        total: int | None = None,
        finished: str | None = None,
        catch_up: bool = False,
    ) -> None:
        """A new line (ending the current one); ``finished`` is its text once done."""
        self.finish()
        # a stage whose size is not known up front (the catch-up) has no total: rich
        # would otherwise stop its clock once the count passes one
        size = total or (None if catch_up else 1)
        task = self.progress.add_task(description, total=size, where=where, count=count)
        self.open = _Stage(where, task, total, finished=finished, catch_up=catch_up)
        self.stages.append(self.open)

    def update(self, description: str | None = None, count: str | None = None) -> None:
        if self.open is not None:
            fields = {} if count is None else {"count": count}
            self.progress.update(self.open.task, description=description, **fields)

    def finish(self, description: str | None = None) -> None:
        stage, self.open = self.open, None
        if stage is None:
            return
        stage.seconds = time.monotonic() - stage.started
        if description is None:
            systems = ", ".join(_system_name(s) for s in stage.systems)
            description = stage.finished or systems or "done"
        stage.what = description
        done = stage.total or (len(stage.done) if stage.catch_up else 1)
        self.progress.update(stage.task, description=description, total=done, completed=done)
        self.progress.stop_task(stage.task)

    def fail(self, how: str = "failed") -> None:
        stage, self.open = self.open, None
        if stage is not None:
            stage.seconds = time.monotonic() - stage.started
            step = f" in {self.step_failure[0]}" if self.step_failure else ""
            self.progress.update(stage.task, description=f"[red]{how}{step}[/]", failed=True)
            self.progress.stop_task(stage.task)

    def full_load(self) -> list[_Stage]:
        """The stages of the full load: those that counted assets against a total."""
        return [s for s in self.stages if s.total is not None]

    # materialize_all's callbacks

    def stage(self, location: str, assets: int) -> None:
        self.start(location, "starting", count=f"0/{assets} assets", total=assets)

    def run(self, location: str, systems: list[str], partitions: str | None) -> None:
        stage = self.open
        if stage is None:
            return
        stage.runs += 1
        stage.systems += [s for s in systems if s not in stage.systems]
        names = ", ".join(_system_name(s) for s in systems)
        where = "" if location == stage.where else f"{location} "
        self.update(f"{where}materializing: {names}" + (f" ({partitions})" if partitions else ""))

    def event(self, location: str, entry: EventLogEntry) -> None:
        from dagster import DagsterEventType

        stage, event = self.open, entry.dagster_event
        if stage is None or event is None:
            return
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            stage.done.add(event.asset_key)
            of = f"/{stage.total}" if stage.total is not None else ""
            self.progress.update(
                stage.task, completed=len(stage.done), count=f"{len(stage.done)}{of} assets"
            )
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            check = event.event_specific_data
            if check.passed:
                stage.checks_passed += 1
            else:
                stage.checks_failed.append(
                    f"{check.asset_key.to_user_string()}: {check.check_name}"
                )
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            self.step_failure = (event.step_key or location, _user_error(error))


def _interrupt(kind: type[BaseException]) -> bool:
    """Ctrl-C, as Python raises it or as Dagster does inside a run's step."""
    dagster_interrupt = kind.__name__ == "DagsterExecutionInterruptedError"
    return issubclass(kind, KeyboardInterrupt) or dagster_interrupt


def _system_name(system: str) -> str:
    return SYSTEM_NAMES.get(system, system.replace("_", " "))


def _user_error(error: SerializableErrorInfo | None) -> str:
    """The error the step's own code raised, without Dagster's wrapper around it."""
    if error is None:
        return "(no error recorded)"
    if error.cls_name == "DagsterExecutionStepExecutionError" and error.cause is not None:
        error = error.cause
    return error.message.strip()


# dagster-dbt's error lists the whole `dbt build --select ...` first, then this
DBT_ERRORS = "Errors parsed from dbt logs:"


def _failure_text(shown: _DemoProgress, error: Exception, log_path: Path) -> Text:
    """The failing step and its own error (its last lines), and where the rest is."""
    if shown.step_failure is not None:
        step, message = shown.step_failure
        where = f"step {step} failed"
    else:
        where, message = "failed", f"{type(error).__name__}: {error}".strip()
    if DBT_ERRORS in message:
        where, message = f"{where}; dbt's errors", message.split(DBT_ERRORS, 1)[1].strip()
    lines = message.splitlines()
    if len(lines) > 40:
        lines = ["...", *lines[-40:]]
    text = Text(f"{where}:\n", style="bold red")
    text.append_text(Text.from_ansi("\n".join(lines)))  # dbt colours its lines
    text.append("\nfull log: ", style="bold")
    text.append(str(log_path))
    return text


def _autocomm_pushes(instance: DagsterInstance) -> list[tuple[str, str, int]]:
    """(region, file, rows) of each AutoComm push's latest materialization."""
    from teamster.core.locations import load_definitions
    from teamster.core.regions import LOCATIONS

    pushed = []
    for location in LOCATIONS:
        graph = load_definitions(location).resolve_asset_graph()
        for key in sorted(graph.materializable_asset_keys):
            if graph.get(key).group_name != AUTOCOMM_GROUP:
                continue
            event = instance.get_latest_materialization_event(key)
            materialization = event.asset_materialization if event else None
            if materialization is None:
                continue
            for name, value in materialization.metadata.items():
                if not name.startswith("dagster/"):
                    pushed.append((location, name, int(value.value)))
    return pushed


def _summary(shown: _DemoProgress, settings, pushes: list[tuple[str, str, int]], seconds: float):
    """What the demo did: each stage's work and time, the warehouse, the pushes."""
    stages = Table(
        "stage",
        "what",
        "assets",
        "checks passed",
        "checks failed",
        "time",
        title="stages",
    )
    for stage in shown.stages:
        if stage.catch_up:
            assets = str(len(stage.done))
        else:
            assets = f"{len(stage.done)}/{stage.total}" if stage.total is not None else ""
        checks = stage.total is not None or stage.catch_up
        failed = len(stage.checks_failed)
        stages.add_row(
            stage.where,
            stage.what,
            assets,
            str(stage.checks_passed) if checks else "",
            (f"[red]{failed}[/]" if failed else "0") if checks else "",
            f"{stage.seconds or 0:.1f}s",
        )
    runs = shown.full_load()
    stages.add_section()
    stages.add_row(
        "full load",
        f"{sum(s.runs for s in runs)} runs",
        f"{sum(len(s.done) for s in runs)}/{sum(s.total or 0 for s in runs)}",
        str(sum(s.checks_passed for s in runs)),
        str(sum(len(s.checks_failed) for s in runs)),
        f"{sum(s.seconds or 0 for s in runs):.1f}s",
    )
    console.print(stages)
    _report(settings)
    files = Table("region", "file", "rows", title="AutoComm files pushed")
    for region, name, rows in pushes:
        files.add_row(region, name, f"{rows:,}")
    console.print(files)
    failed = [f"{s.where} {check}" for s in shown.stages for check in s.checks_failed]
    for line in failed[:20]:
        console.print(f"[red]check failed:[/] {line}")
    if len(failed) > 20:
        console.print(f"[red]... and {len(failed) - 20} more failed checks[/]")
    command = f"uv run teamster dev --data-dir {shlex.quote(str(settings.data_dir))}"
    console.print(f"open the UI on this data: [bold]{command}[/]")
    console.print(
        f"[bold green]done[/] in {seconds:.1f}s; warehouse: {settings.warehouse.path}",
    )


def _day_summary(shown: _DemoProgress, day, launched, seconds: float) -> None:
    """What the day-one catch-up re-loaded, who asked for it, and its time beside the
    full load's."""
    table = Table("location", "asked by", "runs", "assets", title=f"day one: caught up with {day}")
    by_origin: dict[tuple[str, str], list] = {}
    for run in launched:
        by_origin.setdefault((run.location, run.origin), []).append(run)
    for (location, origin), runs in by_origin.items():
        assets = set().union(*(r.keys for r in runs))
        table.add_row(location, origin, str(len(runs)), str(len(assets)))
    console.print(table)
    full = sum(s.seconds or 0 for s in shown.full_load())
    share = f"{seconds / full:.0%} of the full load's {full:.1f}s" if full else ""
    console.print(
        f"day-one catch-up: {len(launched)} runs, "
        f"{len(set().union(*(r.keys for r in launched)))} assets, {seconds:.1f}s; {share}"
    )


def _report(settings) -> None:
    """Rows per warehouse dataset: what landed, at a glance."""
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
