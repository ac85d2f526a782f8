"""The docs site: what docs/architecture.md and docs/troubleshooting.md say is checked
against the code, the code locations' config and the dbt manifests; and `mkdocs build
--strict` succeeds with nothing in the built site fetched from elsewhere.

Each architecture check returns one line per disagreement (empty when the page is
true), and is also run on an altered copy of the page to show it notices.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from teamster.core.regions import LOCATIONS, REGIONS, REGISTRY, SFTP_SIS_REGIONS, SQL_SIS_REGIONS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CODE_LOCATIONS = ROOT / "src" / "teamster" / "code_locations"
LIBRARIES = ROOT / "src" / "teamster" / "libraries"
DBT = ROOT / "src" / "dbt"
NONE = "—"

Manifest = dict[str, Any]
Row = dict[str, str]


# --- reading the page ----------------------------------------------------------------


def table_under(text: str, heading: str) -> list[Row]:
    """The first table after the heading ``heading`` (before the next heading), as one
    dict per row keyed by the header's cells."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.fullmatch(rf"#+ {re.escape(heading)}", line)]
    assert starts, f"no heading {heading!r}"
    block: list[str] = []
    for line in lines[starts[0] + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            block.append(line)
        elif block:
            break
    assert len(block) > 2, f"no table under {heading!r}"

    def cells(line: str) -> list[str]:
        return [c.strip() for c in line.strip().strip("|").split("|")]

    header = cells(block[0])
    return [dict(zip(header, cells(line), strict=True)) for line in block[2:]]


def codes(cell: str) -> list[str]:
    """The `code` spans of a cell, in order."""
    return re.findall(r"`([^`]+)`", cell)


def code(cell: str) -> str | None:
    """A cell's one code span, or None for a cell saying "none"."""
    if cell == NONE:
        return None
    found = codes(cell)
    assert len(found) == 1, f"expected one `code` span or {NONE} in {cell!r}"
    return found[0]


def architecture() -> str:
    return (DOCS / "architecture.md").read_text()


# --- what the code says ----------------------------------------------------------------


def location_config(location: str, name: str) -> dict[str, Any] | None:
    path = CODE_LOCATIONS / location / "config" / f"{name}.yaml"
    return yaml.safe_load(path.read_text()) if path.exists() else None


def sis_path(location: str) -> str | None:
    """How a region's SIS is read (the registry); None for the network."""
    return REGISTRY.region(location).sis if location in REGIONS else None


def enrollment_locations() -> set[str]:
    """The locations whose keys the Enrollment API assets have (the first key part)."""
    from teamster.libraries.powerschool.enrollment.assets import build_enrollment_assets

    return {key.path[0] for a in build_enrollment_assets() for key in a.keys}


def ingests(location: str) -> set[str]:
    """What the location ingests, in the words the page uses."""
    found = set()
    path = sis_path(location)
    if path == "sql":
        found.add("PowerSchool SIS (SQL")
    if path == "sftp":
        found.add("PowerSchool SIS (table export")
    if location in enrollment_locations():
        found.add("PowerSchool Enrollment API")
    if location_config(location, "adp"):
        found |= {"ADP payroll", "ADP Workforce Now"}
    if location_config(location, "google_sheets"):
        found.add("Google Sheets")
    if location_config(location, "deanslist"):
        found.add("DeansList")
    if location_config(location, "iready"):
        found.add("i-Ready")
    return found


INGESTS = [
    "PowerSchool SIS (SQL",
    "PowerSchool SIS (table export",
    "PowerSchool Enrollment API",
    "ADP payroll",
    "ADP Workforce Now",
    "Google Sheets",
    "DeansList",
    "i-Ready",
]


def pushes(location: str) -> set[str]:
    found = set()
    if location_config(location, "autocomm"):
        found.add("AutoComm")
    if location_config(location, "tableau"):
        found.add("Tableau")
    return found


def dbt_projects() -> dict[str, dict[str, Any]]:
    return {
        p.name: yaml.safe_load((p / "dbt_project.yml").read_text())
        for p in sorted(DBT.iterdir())
        if (p / "dbt_project.yml").exists()
    }


def installs(project: str) -> list[str]:
    packages = DBT / project / "packages.yml"
    if not packages.exists():
        return []
    entries = yaml.safe_load(packages.read_text())["packages"]
    return [Path(e["local"]).name for e in entries]


def project_kind(project: str, config: dict[str, Any]) -> str:
    if "profile" not in config:
        return "package"
    return "homebase" if project == "kipptaf" else "regional"


def model_schemas(manifest: Manifest, package: str | None = None) -> set[str]:
    return {
        n["schema"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and package in (None, n["package_name"])
    }


def kipptaf_models(manifest: Manifest) -> list[dict[str, Any]]:
    return [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["package_name"] == "kipptaf"
    ]


def schema_directories(models_config: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """The directories of kipptaf's dbt_project.yml that set `+schema`, with the value."""
    found = {}
    for key, value in models_config.items():
        if isinstance(value, dict) and not key.startswith("+"):
            path = f"{prefix}{key}/"
            if "+schema" in value:
                found[path] = value["+schema"]
            found |= schema_directories(value, path)
    return found


# --- the checks: one line per disagreement ---------------------------------------------


def layout_problems(text: str) -> list[str]:
    problems = []
    rows = {code(r["path"]): r["what it holds"] for r in table_under(text, "Layout")}
    for path in rows:
        if not (ROOT / path).is_dir():
            problems.append(f"Layout: {path} does not exist")
    libraries = sorted(p.name for p in LIBRARIES.iterdir() if (p / "__init__.py").exists())
    listed = sorted(codes(rows.get("src/teamster/libraries/", "")))
    if listed != libraries:
        problems.append(f"Layout: libraries listed {listed}, in the code {libraries}")
    packages = sorted(p.name for p in CODE_LOCATIONS.iterdir() if (p / "definitions.py").exists())
    cell = rows.get("src/teamster/code_locations/", "")
    listed = sorted(c for c in codes(cell) if not c.endswith((".py", ".yaml")))
    if listed != packages or set(packages) != set(LOCATIONS):
        problems.append(f"Layout: locations listed {listed}, packages {packages}, {LOCATIONS=}")
    return problems


def code_location_problems(text: str) -> list[str]:
    problems = []
    rows = table_under(text, "Code locations")
    listed = [code(r["location"]) for r in rows]
    if listed != list(LOCATIONS):
        problems.append(f"Code locations: the page lists {listed}, LOCATIONS is {LOCATIONS}")
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    modules = {
        e["python_module"]["location_name"]: e["python_module"]["module_name"]
        for e in workspace["load_from"]
    }
    for row in rows:
        location = code(row["location"])
        module = code(row["module"])
        if module != modules.get(location):
            problems.append(f"{location}: module {module}, workspace.yaml {modules.get(location)}")
        file = ROOT / "src" / Path(*str(module).split(".")).with_suffix(".py")
        if not file.exists():
            problems.append(f"{location}: no file {file}")
        if code(row["dbt project"]) != location or not (DBT / location).is_dir():
            problems.append(f"{location}: dbt project {row['dbt project']}")
        said = {w for w in INGESTS if w in row["ingests"]}
        if said != ingests(location):
            problems.append(f"{location}: ingests {sorted(said)}, code {sorted(ingests(location))}")
        said = {w for w in ("AutoComm", "Tableau") if w in row["pushes"]}
        if said != pushes(location):
            problems.append(f"{location}: pushes {sorted(said)}, code {sorted(pushes(location))}")
    return problems


def dbt_project_problems(text: str, manifests: dict[str, Manifest]) -> list[str]:
    problems = []
    rows = {code(r["project"]): r for r in table_under(text, "dbt projects")}
    projects = dbt_projects()
    if sorted(rows) != sorted(projects):
        problems.append(
            f"dbt projects: the page lists {sorted(rows)}, src/dbt has {sorted(projects)}"
        )
    for name, row in rows.items():
        config = projects.get(name)
        if config is None:
            continue
        kind = project_kind(name, config)
        if row["kind"].split(";")[0] != kind:
            problems.append(f"{name}: kind {row['kind']!r}, the project is {kind}")
        if ("dbt Cloud" in row["kind"]) != ("dbt-cloud" in config):
            problems.append(f"{name}: dbt Cloud on the page and a dbt-cloud block disagree")
        if codes(row["installs"]) != installs(name):
            problems.append(
                f"{name}: installs {codes(row['installs'])}, packages.yml {installs(name)}"
            )
        built = codes(row["builds into"])
        if kind == "package":
            if built != [f"<region>_{name}"]:
                problems.append(f"{name}: builds into {built}")
            for region, manifest in manifests.items():
                if name in installs(region):
                    schemas = model_schemas(manifest, package=name)
                    if schemas != {f"{region}_{name}"}:
                        problems.append(f"{name} in {region} builds into {sorted(schemas)}")
        elif name in manifests and set(built) != model_schemas(manifests[name]):
            problems.append(
                f"{name}: builds into {sorted(built)}, manifest "
                f"{sorted(model_schemas(manifests[name]))}"
            )
    return problems


def schema_layout_problems(text: str, manifest: Manifest) -> list[str]:
    problems = []
    layout = []
    for row in table_under(text, "kipptaf schema layout"):
        directory = "" if row["Directory"] == "Everything else" else code(row["Directory"])
        layout.append((directory, code(row["BigQuery dataset"])))
    project = yaml.safe_load((DBT / "kipptaf" / "dbt_project.yml").read_text())
    models_config = project["models"]["kipptaf"]
    declared = {d: f"kipptaf_{s}" for d, s in schema_directories(models_config).items()}
    # a nested +schema replaces its parent's: extracts/tableau/ -> kipptaf_tableau
    if {d: s for d, s in layout if d} != declared:
        problems.append(f"schema layout: the page says {layout}, dbt_project.yml {declared}")
    used = set()
    for node in kipptaf_models(manifest):
        path = node["original_file_path"].removeprefix("models/")
        directory, dataset = next((d, s) for d, s in layout if path.startswith(d))
        used.add(directory)
        if node["schema"] != dataset:
            problems.append(f"{node['name']} ({path}) is in {node['schema']}, the page: {dataset}")
        if node["name"].startswith("rpt_") and not path.startswith("extracts/"):
            problems.append(f"{node['name']} is an rpt_ model outside extracts/ ({path})")
    for directory, _ in layout:
        if directory not in used:
            problems.append(f"schema layout: no kipptaf model under {directory or 'models/'}")
    if set(models_config.get("reporting", {})) != {"+schema"}:
        problems.append(f"reporting/ sets more than its dataset: {models_config['reporting']}")
    return problems


def group_problems(text: str) -> list[str]:
    from teamster.libraries.dbt.config import load_groups

    config = load_groups(CODE_LOCATIONS / "kipptaf" / "config" / "dbt.yaml")
    rows = table_under(text, "kipptaf dbt asset groups")
    names = [code(r["group"]) for r in rows]
    if names != [g.name for g in config.groups]:
        return [f"groups: the page lists {names}, dbt.yaml {[g.name for g in config.groups]}"]
    problems = []
    for row, group in zip(rows, config.groups, strict=True):
        if code(row["select"]) != group.select:
            problems.append(f"{group.name}: select {row['select']}, dbt.yaml {group.select!r}")
        exclude = (group.exclude or "").split()
        if codes(row["exclude"]) != exclude or (not exclude and row["exclude"] != NONE):
            problems.append(f"{group.name}: exclude {row['exclude']}, dbt.yaml {exclude}")
        cpu = None if row["CPU"] == NONE else row["CPU"]
        if cpu != group.cpu:
            problems.append(f"{group.name}: CPU {row['CPU']} on the page, {group.cpu} in dbt.yaml")
        if ("partitioned" in row["also"]) != (group.partitions is not None):
            problems.append(f"{group.name}: partitions {group.partitions}, the page {row['also']}")
        retries = f"retried {group.retry.max_retries} times" if group.retry else None
        if ("retried" in row["also"]) != bool(retries) or (retries and retries not in row["also"]):
            problems.append(f"{group.name}: retry {group.retry}, the page {row['also']!r}")
        if ("canonical" in row["also"]) != group.canonical:
            problems.append(f"{group.name}: canonical {group.canonical}, the page {row['also']!r}")
    return problems


def powerschool_problems(text: str) -> list[str]:
    from teamster.libraries.powerschool.sis.schema import declarations

    rows = {r["integration"]: r for r in table_under(text, "PowerSchool integration")}
    by_path = {
        path: [loc for loc in LOCATIONS if sis_path(loc) == path] for path in ("sql", "sftp")
    }
    expected = {
        "SIS over SQL": by_path["sql"],
        "SIS over SFTP": by_path["sftp"],
        "Enrollment API": [loc for loc in LOCATIONS if loc in enrollment_locations()],
    }
    problems = []
    if sorted(rows) != sorted(expected):
        problems.append(f"PowerSchool: the page has {sorted(rows)}, expected {sorted(expected)}")
    for name, locations in expected.items():
        said = codes(rows[name]["locations"]) if name in rows else []
        if said != locations:
            problems.append(f"PowerSchool {name}: the page says {said}, the code {locations}")
    if by_path["sql"] != list(SQL_SIS_REGIONS) or by_path["sftp"] != list(SFTP_SIS_REGIONS):
        problems.append(f"powerschool.yaml paths {by_path} disagree with teamster.core.settings")
    not_exported = sorted(n for n, t in declarations().items() if t.export is None)
    said = sorted(codes(rows.get("SIS over SFTP", {}).get("notes", "")))
    if said != not_exported:
        problems.append(
            f"SFTP export: the page says no file for {said}, tables.yaml {not_exported}"
        )
    return problems


def autocomm_problems(text: str, manifests: dict[str, Manifest]) -> list[str]:
    said = {
        (code(r["region"]), code(r["wrapper model"]), code(r["file"]))
        for r in table_under(text, "PowerSchool regional extracts")
    }
    configured = {
        (loc, f["model"], f["file"])
        for loc in LOCATIONS
        if (config := location_config(loc, "autocomm"))
        for f in config["files"]
    }
    problems = []
    if said != configured:
        problems.append(
            f"AutoComm: only on the page {sorted(said - configured)}, "
            f"only in autocomm.yaml {sorted(configured - said)}"
        )
    # kipptaf defines the shared format in extracts/powerschool/ and declares no exposure
    shared = {
        n["name"]: n
        for n in kipptaf_models(manifests["kipptaf"])
        if n["original_file_path"].startswith("models/extracts/powerschool/")
    }
    for _, model, _ in configured:
        node = shared.get(model)
        if node is None or node["schema"] != "kipptaf_extracts":
            problems.append(f"kipptaf has no {model} in extracts/powerschool/ (kipptaf_extracts)")
    if manifests["kipptaf"]["exposures"]:
        problems.append(f"kipptaf declares exposures {list(manifests['kipptaf']['exposures'])}")
    # each pushing region declares the exposure over its own wrappers; the others none
    for loc in LOCATIONS:
        if loc == "kipptaf":
            continue
        exposures = manifests[loc]["exposures"]
        config = location_config(loc, "autocomm")
        if config is None:
            if exposures:
                problems.append(f"{loc} pushes nothing but declares {list(exposures)}")
            continue
        exposure = exposures.get(f"exposure.{loc}.{config['exposure']}")
        wrappers = {f"model.{loc}.{f['model']}" for f in config["files"]}
        if exposure is None or set(exposure["depends_on"]["nodes"]) != wrappers:
            problems.append(f"{loc}: no exposure {config['exposure']} over {sorted(wrappers)}")
        for unique_id in wrappers:
            node = manifests[loc]["nodes"].get(unique_id)
            if node is None or node["schema"] != f"{loc}_extracts":
                problems.append(f"{loc}: wrapper {unique_id} is not in {loc}_extracts")
    return problems


# --- the tests ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifests(kipptaf_manifest: Manifest) -> dict[str, Manifest]:
    """Every code location's manifest, as the code locations load it."""
    from teamster.libraries.dbt.resources import prepare

    found = {"kipptaf": kipptaf_manifest}
    for location in LOCATIONS:
        if location != "kipptaf":
            found[location] = json.loads(prepare(location).read_text())
    return found


def test_layout_and_code_locations_match_the_code() -> None:
    text = architecture()
    assert layout_problems(text) == []
    assert code_location_problems(text) == []


def test_dbt_projects_match_src_dbt_and_the_manifests(manifests) -> None:
    assert dbt_project_problems(architecture(), manifests) == []


def test_kipptaf_schema_layout_matches_the_manifest(kipptaf_manifest) -> None:
    assert schema_layout_problems(architecture(), kipptaf_manifest) == []


def test_kipptaf_asset_groups_match_dbt_yaml() -> None:
    assert group_problems(architecture()) == []


def test_powerschool_paths_match_the_config() -> None:
    assert powerschool_problems(architecture()) == []


def test_autocomm_extracts_match_the_config_and_the_manifests(manifests) -> None:
    assert autocomm_problems(architecture(), manifests) == []


# (table the change is in, text on the page, what it is changed to)
ALTERATIONS = [
    ("Layout", "`google_sheets`, `iready`", "`iready`"),
    (
        "Code locations",
        "`kippmiami` | `teamster.code_locations.kippmiami.definitions`",
        "`kippmiami` | `teamster.code_locations.kippmiami.defs`",
    ),
    (
        "Code locations",
        "SFTP), DeansList, i-Ready | `kipppaterson` | —",
        "SFTP), DeansList, i-Ready | `kipppaterson` | AutoComm files",
    ),
    ("dbt projects", "`kipppaterson_iready` |", "`kipppaterson_iready`, `kipppaterson_extracts` |"),
    ("dbt projects", "| `iready` | package |", "| `iready` | regional |"),
    (
        "kipptaf schema layout",
        "| `reporting/` | `kipptaf_reporting` |",
        "| `reporting/` | `kipptaf` |",
    ),
    ("kipptaf dbt asset groups", "| 1750m |", "| 1500m |"),
    ("kipptaf dbt asset groups", "| 2000m | canonical:", "| 2000m | core:"),
    (
        "kipptaf dbt asset groups",
        "`source:adp_payroll+`, `tag:google_sheet`, `extracts`",
        "`tag:google_sheet`, `extracts`",
    ),
    (
        "PowerSchool integration",
        "`kippnewark`, `kippcamden`, `kippmiami` |",
        "`kippnewark`, `kippcamden` |",
    ),
    (
        "PowerSchool integration",
        "| `kipptaf` | one network-wide",
        "| `kippnewark` | one network-wide",
    ),
    (
        "PowerSchool regional extracts",
        "| `kippcamden` | `rpt_powerschool__autocomm_teachers` | `teachers.txt` |",
        "| `kippcamden` | `rpt_powerschool__autocomm_teachers` | `staff.txt` |",
    ),
]


@pytest.mark.parametrize(("table", "old", "new"), ALTERATIONS)
def test_an_altered_page_is_caught(table, old, new, manifests) -> None:
    text = architecture()
    assert text.count(old) == 1, f"{old!r} is not on the page once"
    altered = text.replace(old, new)
    check = {
        "Layout": layout_problems,
        "Code locations": code_location_problems,
        "dbt projects": lambda t: dbt_project_problems(t, manifests),
        "kipptaf schema layout": lambda t: schema_layout_problems(t, manifests["kipptaf"]),
        "kipptaf dbt asset groups": group_problems,
        "PowerSchool integration": powerschool_problems,
        "PowerSchool regional extracts": lambda t: autocomm_problems(t, manifests),
    }[table]
    assert check(text) == []
    assert check(altered) != []


def test_a_missing_table_says_which() -> None:
    with pytest.raises(AssertionError, match="no heading 'Layout'"):
        table_under("# Architecture\n\nno tables\n", "Layout")


# --- troubleshooting: the messages as the code prints them ---------------------------


def _flat(text: str) -> str:
    return " ".join(text.split())


def troubleshooting() -> str:
    return _flat((DOCS / "troubleshooting.md").read_text())


def quoted(message: str, **placeholders: Path) -> str:
    """``message`` with each path replaced by the page's ``<name>`` for it."""
    for name, path in placeholders.items():
        message = message.replace(str(path), f"<{name}>")
    return _flat(message)


def test_settings_messages_are_quoted_as_printed(monkeypatch, tmp_path) -> None:
    from teamster.cli import use_local
    from teamster.core.settings import SettingsError, load_settings

    page = troubleshooting()
    monkeypatch.setenv("TEAMSTER_ENV", "prod")
    with pytest.raises(typer.BadParameter) as refused:
        use_local(tmp_path)  # refuses before it changes anything
    assert quoted(refused.value.format_message()) in page
    for env in ({"TEAMSTER_ENV": "staging"}, {"TEAMSTER_SANDBOX_PORT_BASE": "x"}):
        with pytest.raises(SettingsError) as error:
            load_settings(env)
        assert quoted(str(error.value)) in page
    with pytest.raises(SettingsError) as missing:
        load_settings({"TEAMSTER_ENV": "prod"})
    first_two = ", ".join(str(missing.value).split(", ")[:2])
    assert f"{first_two}, ..." in page


def test_manifest_and_emulator_messages_are_quoted_as_printed(monkeypatch, tmp_path) -> None:
    from sandbox import cloud
    from teamster.libraries.dbt import resources as project

    page = troubleshooting()
    (tmp_path / "src" / "dbt" / "kipptaf").mkdir(parents=True)
    (tmp_path / "src" / "dbt" / "kipptaf" / "dbt_project.yml").write_text("name: kipptaf\n")
    monkeypatch.setattr(project, "DBT_ROOT", tmp_path / "src" / "dbt")
    with pytest.raises(project.DbtPrepareError) as error:
        project.ensure_manifest("kipptaf", "prod")
    assert quoted(str(error.value), repo=tmp_path) in page

    monkeypatch.setattr(cloud, "find_python", lambda: None)
    with pytest.raises(cloud.EmulatorUnavailable) as unavailable:
        cloud.ensure_venv(tmp_path / "cloud")
    assert quoted(str(unavailable.value)) in page


def test_sandbox_messages_are_quoted_as_printed(tmp_path) -> None:
    from sandbox.district import Sandbox
    from teamster.core.settings.local import sandbox_ports

    page = troubleshooting()
    data_dir = (tmp_path / "data").resolve()
    box = Sandbox(data_dir, sandbox_ports(42200))
    with pytest.raises(RuntimeError) as none:
        box.state()
    assert quoted(str(none.value), **{"data-dir": data_dir}) in page
    box.root.mkdir(parents=True)
    box.state_path.write_text(json.dumps({"format": 0, "as_of": "2026-11-30"}))
    with pytest.raises(RuntimeError) as older:
        box.state()
    assert quoted(str(older.value), **{"data-dir": data_dir}) in page

    # `sandbox up` on a data dir whose sandbox runs (this process stands in for it, with
    # the start time that tells a recorded daemon from a later process with its pid)
    from sandbox.district import process_start

    record = {"pid": os.getpid(), "pid_start": process_start(os.getpid())}
    (box.root / "run.json").write_text(json.dumps(record))
    up = subprocess.run(
        [str(Path(sys.executable).parent / "teamster"), "sandbox", "up", "--data-dir", data_dir],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "400", "NO_COLOR": "1", "TEAMSTER_ENV": "local"},
    )
    assert up.returncode != 0
    printed = re.search(r"Invalid value: .*? is already up", up.stdout + up.stderr)
    assert printed, up.stdout + up.stderr
    assert quoted(printed[0], **{"data-dir": data_dir}) in page


# --- the site ---------------------------------------------------------------------------


class _RemoteAssets(HTMLParser):
    """Elements that make a browser fetch something from another host. Links a reader
    follows (``<a href>``) are not fetched, so they are not counted."""

    FETCHING = {"link": "href", "script": "src", "img": "src", "iframe": "src"}
    MEDIA = {"source", "audio", "video", "embed", "object", "track"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {self.FETCHING[tag]} if tag in self.FETCHING else set()
        if tag in self.MEDIA:
            names = {"src", "data", "srcset"}
        if tag == "img":
            names.add("srcset")
        for name, value in attrs:
            if name in names and value and _is_remote(value):
                self.found.append(f"<{tag} {name}={value}>")


def _is_remote(url: str) -> bool:
    return re.match(r"\s*(https?:)?//", url, re.IGNORECASE) is not None


def remote_assets(site: Path) -> list[str]:
    """Every reference in the built site that a browser would fetch from elsewhere."""
    found = []
    for page in sorted(site.rglob("*.html")):
        parser = _RemoteAssets()
        parser.feed(page.read_text())
        found += [f"{page.relative_to(site)}: {f}" for f in parser.found]
        if 'class="mermaid"' in page.read_text():
            # Material loads its diagram library from a CDN for such a block
            found.append(f"{page.relative_to(site)}: a mermaid diagram")
    for sheet in sorted(site.rglob("*.css")):
        text = sheet.read_text()
        urls = re.findall(r"""url\(\s*['"]?([^'")]+)""", text)
        urls += re.findall(r"""@import\s+['"]([^'"]+)""", text)
        found += [f"{sheet.relative_to(site)}: {u}" for u in urls if _is_remote(u)]
    texts = [f for f in sorted(site.rglob("*")) if f.suffix in {".html", ".css", ".js", ".json"}]
    for file in texts:
        if re.search(r"fonts\.(googleapis|gstatic)\.com", file.read_text(errors="replace")):
            found.append(f"{file.relative_to(site)}: Google Fonts")
    return found


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", config, "-d", site],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=config.parent,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def test_the_site_builds_strictly_with_nothing_fetched_from_elsewhere(tmp_path) -> None:
    site = tmp_path / "site"
    done = mkdocs_build(ROOT / "mkdocs.yml", site)
    assert done.returncode == 0, done.stdout + done.stderr
    pages = {p.stem for p in DOCS.glob("*.md")}
    built = {p.parent.name for p in site.glob("*/index.html")} | {"index"}
    assert pages <= built, f"pages not built: {sorted(pages - built)}"
    assert "Architecture" in (site / "architecture" / "index.html").read_text()
    assert remote_assets(site) == []


def test_a_broken_link_fails_the_strict_build(tmp_path) -> None:
    (tmp_path / "docs").mkdir()
    for page in DOCS.glob("*.md"):
        (tmp_path / "docs" / page.name).write_text(page.read_text())
    (tmp_path / "mkdocs.yml").write_text((ROOT / "mkdocs.yml").read_text())
    index = tmp_path / "docs" / "index.md"
    index.write_text(index.read_text() + "\nSee [groups](dbt.md#no-such-section).\n")
    done = mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert done.returncode != 0
    assert "no-such-section" in done.stdout + done.stderr


def test_remote_assets_are_found_and_plain_links_are_not(tmp_path) -> None:
    (tmp_path / "page.html").write_text(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
        '<script src="//cdn.example.org/x.js"></script>'
        '<img src="assets/logo.png"><a href="https://example.org/">a link</a>'
    )
    (tmp_path / "style.css").write_text(
        "a{background:url(\"data:image/svg+xml;charset=utf-8,<svg xmlns='http://www.w3.org/2000/svg'/>\")}"
        "b{background:url(https://cdn.example.org/b.png)}"
    )
    found = remote_assets(tmp_path)
    assert found == [
        "page.html: <link href=https://fonts.googleapis.com/css?family=Roboto>",
        "page.html: <script src=//cdn.example.org/x.js>",
        "style.css: https://cdn.example.org/b.png",
        "page.html: Google Fonts",
    ]
