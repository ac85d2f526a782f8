"""Benchmark: loading kipptaf's dbt assets at real size.

    uv run --locked python bench/dbt_load.py [--models 2000] [--tests-per-model 4]

Writes a kipptaf-shaped dbt project (staging over sources, intermediate, marts,
google_sheet-tagged models, models downstream of `adp_payroll`, extracts and tableau
extracts, reporting; four data tests per model), parses it once (timed, as an image
build would), then measures, each in a fresh process and three times:

  teamster  `import teamster.code_locations.kipptaf.definitions` with the project
            swapped in (four groups from config/dbt.yaml, the shared translator,
            every other kipptaf asset), until its asset graph is resolved
  plain     one `@dbt_assets` over the same manifest with dagster-dbt's default
            translator, in a `Definitions`, until its asset graph is resolved
  plain, gc paused
            the same inside `teamster.core.loading.definitions_load`, as teamster's
            locations load: what is left between it and `teamster` is the cost of
            four groups and kipptaf's other assets

"ready" is seconds from the parent's clock just before the spawn to the child's
resolved asset graph (process start to `Definitions` ready); "exit" adds the
interpreter's teardown, which no load waits for. It measures; it asserts nothing.
With --keep DIR the project stays in DIR and later runs reuse it (--rewrite to write
and parse it anew).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DBT_ROOT = ROOT / "src" / "dbt"

# share of models per area; the rest of the shape follows kipptaf's directories
AREAS = {
    "staging": 0.15,
    "intermediate": 0.35,
    "marts": 0.25,
    "google_sheets": 0.05,
    "adp": 0.025,
    "extracts": 0.10,
    "extracts/tableau": 0.05,
    "reporting": 0.025,
}

WORKBOOK_MODELS = ["rpt_tableau__attendance", "rpt_tableau__assessments", "rpt_tableau__enrollment"]

# each child prints seconds from its process start (parent's clock, just before spawn)
# to a resolved asset graph; interpreter teardown after that is not part of a load
READY = 'import os, time; print(time.time() - float(os.environ["BENCH_T0"]))'

TEAMSTER_CHILD = f"""
import teamster.code_locations.kipptaf.definitions as d
d.defs.resolve_asset_graph()
{READY}
"""

PLAIN_BODY = """
from pathlib import Path
import os
from dagster import Definitions
from dagster_dbt import DbtCliResource, dbt_assets
manifest = Path(os.environ["TEAMSTER_DBT_ROOT"]) / "kipptaf" / "target" / "manifest.json"

@dbt_assets(manifest=manifest)
def kipptaf_dbt(context, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()

import sys
dbt = DbtCliResource(
    project_dir=str(manifest.parents[1]), dbt_executable=str(Path(sys.executable).parent / "dbt")
)
Definitions(assets=[kipptaf_dbt], resources={"dbt": dbt}).resolve_asset_graph()
"""
PLAIN_CHILD = PLAIN_BODY + READY
# the same, built the way teamster builds its locations (teamster.core.loading): the
# difference to `teamster` is then the cost of four groups and the other kipptaf assets
PLAIN_PAUSED_CHILD = (
    "from teamster.core.loading import definitions_load\n"
    f"with definitions_load():\n    exec({PLAIN_BODY!r})\n" + READY
)


def _columns_yml(name: str, parent: str | None, tag: str | None, tests: int) -> str:
    config = f"\n    config: {{tags: [{tag}]}}" if tag else ""
    checks = ["unique", "not_null"][: max(0, min(2, tests))]
    value_tests = ["not_null"] if tests >= 3 else []
    if tests >= 4:
        if parent:
            value_tests.append(
                f"relationships: {{arguments: {{to: \"ref('{parent}')\", field: value}}}}"
            )
        else:
            value_tests.append("accepted_values: {arguments: {values: [a, b, c]}}")
    return (
        f"  - name: {name}{config}\n"
        f"    columns:\n"
        f"      - name: id\n        data_tests: [{', '.join(checks)}]\n"
        f"      - name: value\n        data_tests:\n"
        + "".join(f"          - {t}\n" for t in value_tests)
    )


def write_project(path: Path, models: int, tests_per_model: int) -> None:
    """A kipptaf-shaped project at ``path``; model SQL is trivial, the graph is not."""
    shutil.copytree(DBT_ROOT / "kipptaf" / "macros", path / "macros")
    (path / "dbt_project.yml").write_text(
        "name: kipptaf\nversion: '1.0.0'\nconfig-version: 2\nprofile: kipptaf\n"
        "models:\n  kipptaf:\n    +materialized: view\n"
        "    extracts:\n      +schema: extracts\n      tableau:\n        +schema: tableau\n"
        "    reporting:\n      +schema: reporting\n"
    )
    counts = {area: max(1, round(models * share)) for area, share in AREAS.items()}
    counts["intermediate"] += models - sum(counts.values())
    names: dict[str, list[str]] = {}
    sources = [f"raw_{i}" for i in range(counts["staging"])]
    sources_yml = (
        "version: 2\nsources:\n  - name: kippnewark_powerschool\n"
        "    schema: kippnewark_powerschool\n    tables:\n"
        + "".join(f"      - name: {s}\n" for s in sources)
        + "  - name: google_sheets\n    schema: kipptaf_google_sheets\n    tables:\n"
        + "".join(f"      - name: sheet_{i}\n" for i in range(counts["google_sheets"]))
        + "  - name: adp_payroll\n    schema: kipptaf_adp_payroll\n    tables:\n"
        + "      - name: general_ledger\n"
    )
    (path / "models").mkdir()
    (path / "models" / "_sources.yml").write_text(sources_yml)

    def emit(area: str, prefix: str, parents, tag: str | None = None) -> None:
        folder = path / "models" / area
        folder.mkdir(parents=True, exist_ok=True)
        yml = ["version: 2\nmodels:\n"]
        names[area] = []
        for i in range(counts[area]):
            name = f"{prefix}{area.replace('/', '_')}_{i}"
            if area == "extracts/tableau" and i < len(WORKBOOK_MODELS):
                name = WORKBOOK_MODELS[i]  # the models config/tableau.yaml names
            refs = parents(i)
            sql = "\nunion all\n".join(f"select id, value from {r}" for r in refs)
            (folder / f"{name}.sql").write_text(sql + "\n")
            first = refs[0].split("'")[1] if refs[0].startswith("{{ ref(") else None
            yml.append(_columns_yml(name, first, tag, tests_per_model))
            names[area].append(name)
        (folder / "_models.yml").write_text("".join(yml))

    def ref(name: str) -> str:
        return f"{{{{ ref('{name}') }}}}"

    emit(
        "staging",
        "stg_",
        lambda i: [f"{{{{ source('kippnewark_powerschool', '{sources[i]}') }}}}"],
    )
    stg = names["staging"]
    emit("intermediate", "int_", lambda i: [ref(stg[i % len(stg)]), ref(stg[(i * 7) % len(stg)])])
    inter = names["intermediate"]
    emit("marts", "fct_", lambda i: [ref(inter[i % len(inter)]), ref(inter[(i * 3) % len(inter)])])
    marts = names["marts"]
    emit(
        "google_sheets",
        "stg_gs_",
        lambda i: [f"{{{{ source('google_sheets', 'sheet_{i}') }}}}"],
        tag="google_sheet",
    )
    sheets = names["google_sheets"]
    emit(
        "adp",
        "adp_",
        lambda i: ["{{ source('adp_payroll', 'general_ledger') }}", ref(marts[i])],
    )
    emit("extracts", "rpt_", lambda i: [ref(marts[i % len(marts)]), ref(sheets[i % len(sheets)])])
    emit("extracts/tableau", "rpt_tableau_", lambda i: [ref(marts[(i * 5) % len(marts)])])
    emit("reporting", "rep_", lambda i: [ref(marts[(i * 11) % len(marts)])])


def _run(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds to a resolved asset graph, and to the child's exit."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "BENCH_T0": repr(time.time())},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(out.split()[-1]), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=2000)
    parser.add_argument("--tests-per-model", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", help="write the project here and keep it (for profiling)")
    parser.add_argument(
        "--rewrite", action="store_true", help="with --keep: write and parse the project anew"
    )
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="teamster-bench-load-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        env = {
            **os.environ,
            "TEAMSTER_DBT_ROOT": str(root),
            "TEAMSTER_DATA_DIR": str(root / "data"),
            "TEAMSTER_DUCKDB_PATH": str(root / "warehouse.duckdb"),
        }
        manifest_path = root / "kipptaf" / "target" / "manifest.json"
        if args.keep and manifest_path.exists() and not args.rewrite:
            print(f"project: reusing {root / 'kipptaf'} (--rewrite to write it anew)")
        else:
            shutil.rmtree(root / "kipptaf", ignore_errors=True)
            shutil.copy(DBT_ROOT / "profiles.yml", root / "profiles.yml")
            write_project(root / "kipptaf", args.models, args.tests_per_model)
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from teamster.libraries.dbt.resources import prepare; prepare('kipptaf')",
                ],
                env=env,
                check=True,
            )
            print(f"deps+parse {time.perf_counter() - started:.1f}s (once, at build time)")
        manifest = json.loads(manifest_path.read_text())
        kinds = [n["resource_type"] for n in manifest["nodes"].values()]
        print(f"project: {kinds.count('model')} models, {kinds.count('test')} tests")
        del manifest
        children = {
            "teamster": TEAMSTER_CHILD,
            "plain": PLAIN_CHILD,
            "plain, gc paused": PLAIN_PAUSED_CHILD,
        }
        ready: dict[str, list[float]] = {name: [] for name in children}
        done: dict[str, list[float]] = {name: [] for name in children}
        for _ in range(args.repeat):
            for name, code in children.items():
                to_ready, to_exit = _run(code, env)
                ready[name].append(to_ready)
                done[name].append(to_exit)
        print(f"{'load':<18}{'ready median s':>16}{'min':>7}{'max':>7}{'exit median s':>15}")
        for name in children:
            times = ready[name]
            print(
                f"{name:<18}{statistics.median(times):>16.2f}{min(times):>7.2f}"
                f"{max(times):>7.2f}{statistics.median(done[name]):>15.2f}"
            )
        ratio = statistics.median(ready["teamster"]) / statistics.median(ready["plain"])
        print(f"teamster / plain (ready): {ratio:.2f}x")
        paused = statistics.median(ready["teamster"]) / statistics.median(ready["plain, gc paused"])
        print(f"teamster / plain, gc paused (ready): {paused:.2f}x")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
