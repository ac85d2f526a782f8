"""``teamster new-region``: add a school region to a checkout in one command.

A region is one block of the registry (``code_locations/locations.yaml``); most of the
platform derives from it at run time. What tools need as files (a Python package per
code location, a dbt project and profile, kipptaf's dbt sources, the deployment files)
is written here from the same facts, and ``drift`` says where a checkout's files and
its registry disagree, so a test keeps them in step.

Everything is computed and checked before anything is written: a refused name or a
file that cannot be edited leaves the checkout as it was. Vendor crosswalks are filled
with what the sandbox's vendors publish for the region; a real region replaces them
with the vendors' own codes (docs/adding-a-region.md).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from teamster.core.regions import Registry, School, check_name, check_zone, load_registry

INTEGRATIONS = ("powerschool", "deanslist", "iready")  # kipptaf reads these per region
# the grade bands schools are given when only a count is asked for, in turn
BANDS = ((0, 4), (5, 8), (9, 12))
# (first word of a school's level, letter in its abbreviation), by its lowest grade
LEVELS = ((9, "High", "H"), (5, "Middle", "M"), (0, "Elementary", "E"))
# the SIS tables partitioned by fiscal year on the SQL path, as the existing regions do
PARTITION_COLUMNS = {
    "attendance": "att_date",
    "storedgrades": "datestored",
    "pgfinalgrades": "startdate",
}


class ScaffoldError(ValueError):
    """The region cannot be added as asked; nothing was written."""


@dataclass(frozen=True)
class Paths:
    """Where a checkout keeps what a region needs."""

    repo: Path

    @property
    def registry(self) -> Path:
        return self.code_locations / "locations.yaml"

    @property
    def code_locations(self) -> Path:
        return self.repo / "src" / "teamster" / "code_locations"

    @property
    def dbt(self) -> Path:
        return self.repo / "src" / "dbt"

    @property
    def kipptaf_dbt(self) -> Path:
        return self.dbt / "kipptaf"

    @property
    def adp(self) -> Path:
        return self.code_locations / "kipptaf" / "config" / "adp.yaml"

    @property
    def sis_tables(self) -> Path:
        return self.repo / "src/teamster/libraries/powerschool/sis/tables.yaml"

    def sources(self, integration: str) -> Path:
        return self.kipptaf_dbt / "models" / integration / f"_{integration}__sources.yml"


def default_repo() -> Path:
    """The checkout this package runs from (src/teamster/ -> the repository root)."""
    return Path(__file__).resolve().parents[2]


# --- the region's facts ----------------------------------------------------------------


def parse_schools(spec: str, city: str, first_number: int) -> tuple[School, ...]:
    """Schools from a count (``3``: K-4, 5-8, 9-12 in turn) or grade bands (``K-4,5-8``),
    numbered from ``first_number``, named after the city and level."""
    spec = spec.strip()
    if spec.isdigit():
        if not 1 <= int(spec) <= 20:
            raise ScaffoldError(f"--schools {spec}: give between 1 and 20 schools")
        bands = [BANDS[i % len(BANDS)] for i in range(int(spec))]
    else:
        bands = [_band(part) for part in spec.split(",")]
    words = city.split()
    initials = "".join(w[0] for w in words) if len(words) > 1 else city[:3]
    initials = re.sub(r"[^A-Za-z0-9]", "", initials).upper() or "K"
    seen: dict[str, int] = {}
    schools = []
    for i, (low, high) in enumerate(bands):
        level, letter = next((w, a) for lowest, w, a in LEVELS if low >= lowest)
        seen[level] = seen.get(level, 0) + 1
        again = seen[level] if seen[level] > 1 else None
        schools.append(
            School(
                number=first_number + i,
                name=f"KIPP {city} {level}" + (f" {again}" if again else ""),
                abbreviation=f"{initials}{letter}" + (str(again) if again else ""),
                low_grade=low,
                high_grade=high,
            )
        )
    return tuple(schools)


def _band(part: str) -> tuple[int, int]:
    found = re.fullmatch(r"\s*(K|\d{1,2})\s*-\s*(K|\d{1,2})\s*", part, re.IGNORECASE)
    if not found:
        raise ScaffoldError(f"--schools: {part.strip()!r} is not a grade band like K-4 or 5-8")
    low, high = (0 if g.upper() == "K" else int(g) for g in found.groups())
    if not 0 <= low <= high <= 12:
        raise ScaffoldError(f"--schools: {part.strip()!r} must run from K (0) up to 12")
    return low, high


@dataclass(frozen=True)
class NewRegion:
    name: str
    city: str
    state: str
    timezone: str
    sis: str
    autocomm: bool
    schools: tuple[School, ...]
    index: int  # its position among the regions (the sandbox numbers from it)

    def block(self) -> str:
        """Its block of locations.yaml, as the existing ones are written."""
        lines = [
            f"  - name: {self.name}",
            f"    city: {_scalar(self.city)}",
            f"    state: {_scalar(self.state)}",
            f"    timezone: {self.timezone}",
            f"    sis: {self.sis}",
            f"    autocomm: {str(self.autocomm).lower()}",
            "    schools:",
        ]
        for s in self.schools:
            fields = s.model_dump(exclude_defaults=True, exclude={"tracks"})
            lines.append(f"      - {_flow(fields)}")
        return "\n".join(lines) + "\n"


def _scalar(value: object) -> str:
    """``value`` as a YAML scalar, quoted only where YAML needs it."""
    return yaml.safe_dump(value, width=1000).removesuffix("\n...\n").strip()


def _flow(mapping: dict) -> str:
    return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in mapping.items()) + "}"


# --- planning: every file's new text, checked, before anything is written -------------


@dataclass
class Plan:
    region: NewRegion
    paths: Paths
    files: dict[Path, str]  # path -> its whole new text (new files and edited ones)
    links: dict[Path, str]  # symlink -> its target

    @property
    def paths_written(self) -> list[Path]:
        return sorted([*self.files, *self.links])

    def write(self) -> None:
        for path, text in self.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        for link, target in self.links.items():
            link.symlink_to(target)


def plan(
    repo: Path,
    name: str,
    sis: str = "sql",
    timezone: str = "America/New_York",
    city: str | None = None,
    state: str | None = None,
    autocomm: bool = True,
    schools: str = "2",
) -> Plan:
    """Everything adding region ``name`` to ``repo`` writes; raises ``ScaffoldError``
    (before any write) if the name is taken or invalid or a file cannot be edited."""
    paths = Paths(repo.resolve())
    if not paths.registry.exists():
        raise ScaffoldError(f"{paths.repo} is not a teamster checkout: no {paths.registry}")
    registry = load_registry(paths.registry)
    try:
        check_name(name)
    except ValueError as e:
        raise ScaffoldError(f"a region's name: {e}") from None
    if name in registry.locations:
        raise ScaffoldError(f"{name!r} is already a code location in {paths.registry}")
    for taken in (paths.code_locations / name, paths.dbt / name):
        if taken.exists():
            raise ScaffoldError(f"{name!r}: {taken} already exists")
    if sis not in ("sql", "sftp"):
        raise ScaffoldError(f"--sis {sis}: PowerSchool is read by `sql` or `sftp`")
    try:
        check_zone(timezone)
    except ValueError as e:
        raise ScaffoldError(f"--timezone: {e}") from None
    city = (city or name.removeprefix("kipp").title()).strip()
    if not city:
        raise ScaffoldError("--city: give the region's city")
    state = (state or _usual_state(registry)).strip()
    highest = max(s.number for r in registry.regions for s in r.schools)
    region = NewRegion(
        name=name,
        city=city,
        state=state,
        timezone=timezone,
        sis=sis,
        autocomm=autocomm,
        schools=parse_schools(schools, city, (highest // 100 + 1) * 100 + 1),
        index=len(registry.regions),
    )
    registry_text = _append(paths.registry.read_text(), region.block())
    try:  # the registry's own rules: unique names and school numbers, grades, ...
        Registry.model_validate(yaml.safe_load(registry_text))
    except ValidationError as e:
        raise ScaffoldError(f"the new block would make the registry invalid: {e}") from None
    files = {paths.registry: registry_text}
    files.update(_code_location(paths, region, registry))
    files.update(_dbt_project(paths, region, registry))
    files.update(_kipptaf(paths, region, registry))
    files.update(_deploy_files(paths, region))
    links = {paths.dbt / name / "profiles.yml": "../profiles.yml"}
    for path, text in files.items():
        if path.suffix in (".yaml", ".yml"):
            try:
                yaml.safe_load(text)
            except yaml.YAMLError as e:  # a bug here, not the user's: still write nothing
                raise ScaffoldError(f"{path} would not be valid YAML: {e}") from None
    return Plan(region, paths, files, links)


def _usual_state(registry: Registry) -> str:
    states = [r.state for r in registry.regions]
    return max(states, key=states.count) if states else "NJ"


def _append(text: str, block: str) -> str:
    return text.rstrip("\n") + "\n\n" + block


# --- the code location -----------------------------------------------------------------

POWERSCHOOL_HEADER = {
    "sql": """\
# PowerSchool SIS for {name}: the tables it loads. How the SIS is read (here SQL through
# the SSH tunnel) and the region's time zone are set in code_locations/locations.yaml.
# Each table's change cursor comes from its declaration
# (src/teamster/libraries/powerschool/sis/tables.yaml): a table with one is loaded when
# the change sensor sees its row count or highest cursor move; one without is reloaded
# whole every night. Partitioned tables are split into fiscal years (July 1) on a column
# that never changes once a row exists, and each fiscal year is loaded and replaced on
# its own; the first one also holds all older rows and rows with no date. Add
# `partition_grain: month` to split a table by calendar month instead.
""",
    "sftp": """\
# PowerSchool SIS for {name}: the tables it loads. How the SIS is read and the region's
# time zone are set in code_locations/locations.yaml; this region's is PowerSchool's table
# export, one CSV file per table dropped on SFTP, and the change sensor loads a table
# when its file's mtime or size changes. The export has no file for {absent}
# (tables.yaml: `export: false`), so they are not listed.
""",
}
DEANSLIST_HEADER = """\
# DeansList for {name}: incidents and behaviour of these schools. DeansList numbers its
# schools itself (SchoolID / DLSchoolID in its data); `schools` is the crosswalk from
# those ids to PowerSchool school numbers. Each DeansList school is read with its own
# API key from the keys file the settings name (TEAMSTER_DEANSLIST_KEYS_FILE in prod),
# keyed by the DeansList id. A row naming a DeansList school missing here fails the
# load: add the school (and its key) when it opens. Written by `teamster new-region`
# with the sandbox's ids: put DeansList's own ids here for a real region.
"""
IREADY_HEADER = """\
# i-Ready for {name}: its site's folder on i-Ready's SFTP, and the crosswalk from the
# school names i-Ready's export uses (its School column) to PowerSchool school
# numbers. A row naming a school missing here fails the load: add the school when
# it starts using i-Ready, with the name exactly as the export writes it. Written by
# `teamster new-region` with the sandbox's names: put i-Ready's own here for a real region.
"""
AUTOCOMM = """\
# What this region pushes to its PowerSchool AutoComm inbox: the dbt exposure the
# push implements, and one file per wrapper model over kipptaf's shared format.
exposure: powerschool_autocomm
files:
  - model: rpt_powerschool__autocomm_students
    file: students.txt
  - model: rpt_powerschool__autocomm_teachers
    file: teachers.txt
  - model: rpt_powerschool__autocomm_students_iep
    file: students_iep.txt
"""
AUTOCOMM_MODELS = ("students", "teachers", "students_iep")


def _sis_tables(paths: Paths, sis: str) -> tuple[list[str], list[str]]:
    """The declared tables (tables.yaml order) the SIS path can read, and those it cannot."""
    declared = yaml.safe_load(paths.sis_tables.read_text())
    unreadable = [
        t for t, body in declared.items() if sis == "sftp" and body.get("export") is False
    ]
    return [t for t in declared if t not in unreadable], unreadable


def _first_fiscal_year(paths: Paths, registry: Registry, file: str, section: str) -> str:
    """The first fiscal year the existing regions' configs use (one date network-wide)."""
    for r in registry.regions:
        config = paths.code_locations / r.name / "config" / file
        if config.exists():
            value = (yaml.safe_load(config.read_text()) or {}).get(section, {})
            if "first_fiscal_year" in value:
                return str(value["first_fiscal_year"])
    return "2025-07-01"


def _code_location(paths: Paths, region: NewRegion, registry: Registry) -> dict[Path, str]:
    from sandbox.vendors.deanslist import deanslist_school_id
    from sandbox.vendors.iready import new_site_folder

    package = paths.code_locations / region.name
    config = package / "config"
    how = {
        "sql": "PowerSchool SIS (SQL through the SSH tunnel)",
        "sftp": "PowerSchool SIS (the SFTP table export)",
    }[region.sis]
    pushes = ",\nthe regional dbt project, and the AutoComm push to its PowerSchool"
    files = {
        package / "__init__.py": f'"""The {region.name} code location."""\n',
        package / "definitions.py": (
            f'"""{region.name}: {how}, DeansList, i-Ready'
            + (f'{pushes}."""' if region.autocomm else ',\nand the regional dbt project."""')
            + "\n\nfrom pathlib import Path\n\n"
            "from teamster.code_locations.regional import build_regional_definitions\n\n"
            f'defs = build_regional_definitions("{region.name}", '
            'Path(__file__).parent / "config")\n'
        ),
    }
    tables, absent = _sis_tables(paths, region.sis)
    sis = POWERSCHOOL_HEADER[region.sis].format(name=region.name, absent=", ".join(absent))
    sis += "sis:\n"
    if region.sis == "sql":
        first = _first_fiscal_year(paths, registry, "powerschool.yaml", "sis")
        sis += f"  first_fiscal_year: {first}\n"
    sis += "  tables:\n"
    for t in tables:
        column = PARTITION_COLUMNS.get(t) if region.sis == "sql" else None
        fields = {"name": t, **({"partition_column": column} if column else {})}
        sis += f"    - {_flow(fields)}\n"
    files[config / "powerschool.yaml"] = sis
    first = _first_fiscal_year(paths, registry, "deanslist.yaml", "deanslist")
    deanslist = DEANSLIST_HEADER.format(name=region.name) + "deanslist:\n"
    deanslist += f"  first_fiscal_year: {first}  # one partition per school year from this one\n"
    deanslist += "  schools:\n"
    for s in region.schools:
        entry = {"deanslist_school_id": deanslist_school_id(s.number), "school_number": s.number}
        deanslist += f"    - {_flow(entry)}\n"
    files[config / "deanslist.yaml"] = deanslist
    iready = IREADY_HEADER.format(name=region.name) + "iready:\n"
    iready += f"  site_folder: {new_site_folder(region.state, region.city)}\n  schools:"
    takers = [s for s in region.schools if s.low_grade <= 8]  # i-Ready runs K to 8
    iready += "" if takers else " []"
    iready += "\n"
    for s in takers:
        # as the sandbox's i-Ready names it (sandbox.vendors.iready.school_name)
        named = _quoted(f"{s.name} Charter School")
        iready += f"    - {{iready_school_name: {named}, school_number: {s.number}}}\n"
    files[config / "iready.yaml"] = iready
    if region.autocomm:
        files[config / "autocomm.yaml"] = AUTOCOMM
    return files


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- the regional dbt project and its profile -----------------------------------------

DBT_PROJECT = """\
# Regional project: builds the shared packages into {name}'s own datasets.
name: {name}
version: "1.0.0"
config-version: 2
profile: {name}
require-dbt-version: {dbt_version}

model-paths: ["models"]

vars:
  code_location: {name}
  # the region's wall clock (PowerSchool stores local times); see the powerschool
  # package's macros/attendance_through_date.sql
  local_timezone: {timezone}
  # fall year of the school year in session (2026 = 2026-27); moved each July
  current_academic_year: {year}
{gradebook}
# dbt.safe_cast gives null on DuckDB too, as on BigQuery (powerschool/macros/safe_cast.sql)
dispatch:
  - macro_namespace: dbt
    search_order: [powerschool, dbt]

models:
{extracts}  powerschool:
    # lands in {name}_powerschool, beside the raw tables it reads
    +schema: powerschool
{disabled}"""
DBT_EXTRACTS = """\
  {name}:
    extracts:
      # kipptaf's AutoComm extracts filtered to this region, in {name}_extracts;
      # Dagster renders them to files and pushes them to this region's PowerSchool
      +schema: extracts
      +materialized: table
"""
PROFILE = """\
{name}:
  target: "{{{{ env_var('TEAMSTER_DBT_TARGET', 'local') }}}}"
  outputs:
    local: {{<<: *local, schema: {name}}}
    prod: {{<<: *prod, dataset: {name}}}
"""
EXTRACTS_SOURCES = """\
version: 2

sources:
  # kipptaf's shared AutoComm files for every region (kipptaf/models/extracts/
  # powerschool/); by the naming rule these are kipptaf's extract assets.
  - name: kipptaf_extracts
    schema: kipptaf_extracts
    tables:
      - name: rpt_powerschool__autocomm_students
      - name: rpt_powerschool__autocomm_teachers
      - name: rpt_powerschool__autocomm_students_iep
"""
EXTRACT_MODEL = """\
-- kipptaf's AutoComm {file} file, this region's rows only.
select *
from {{{{ source('kipptaf_extracts', 'rpt_powerschool__autocomm_{file}') }}}}
where code_location = '{{{{ var("code_location") }}}}'
"""
EXTRACTS_MODELS = """\
version: 2

# This region's AutoComm files: kipptaf's shared extracts filtered to the region,
# in {name}_extracts. Dagster renders each to a file and pushes it over SFTP to
# the region's PowerSchool (the exposure below).
models:
  - name: rpt_powerschool__autocomm_students
    description: kipptaf_extracts.rpt_powerschool__autocomm_students for this region.
    columns:
      - name: student_number
        data_tests: [unique, not_null]
      - name: code_location
        data_tests: &this_region
          - accepted_values:
              arguments:
                values: ["{{{{ var('code_location') }}}}"]
  - name: rpt_powerschool__autocomm_teachers
    description: kipptaf_extracts.rpt_powerschool__autocomm_teachers for this region.
    columns:
      - name: teacher_number
        data_tests: [unique, not_null]
      - name: code_location
        data_tests: *this_region
  - name: rpt_powerschool__autocomm_students_iep
    description: kipptaf_extracts.rpt_powerschool__autocomm_students_iep for this region.
    columns:
      - name: student_number
        data_tests: [unique, not_null]
      - name: code_location
        data_tests: *this_region

exposures:
  - name: powerschool_autocomm
    label: PowerSchool AutoComm ({name})
    type: application
    description: >
      The region's PowerSchool imports these files through AutoComm: student web
      ids and enrollment, teacher accounts, and special-education fields. Pushed
      over SFTP to the region's AutoComm inbox.
    owner:
      name: Data Team
      email: data@kipp.example.org
    depends_on:
      - ref('rpt_powerschool__autocomm_students')
      - ref('rpt_powerschool__autocomm_teachers')
      - ref('rpt_powerschool__autocomm_students_iep')
"""


def _regional_project(paths: Paths, registry: Registry) -> dict:
    """An existing regional project's settings, for what every region shares."""
    for r in registry.regions:
        path = paths.dbt / r.name / "dbt_project.yml"
        if path.exists():
            return yaml.safe_load(path.read_text())
    raise ScaffoldError(f"no regional dbt project under {paths.dbt} to take the dbt version from")


def _dbt_project(paths: Paths, region: NewRegion, registry: Registry) -> dict[Path, str]:
    name = region.name
    project = paths.dbt / name
    shared = _regional_project(paths, registry)
    _tables, absent = _sis_tables(paths, region.sis)
    disabled = ""
    if absent:
        disabled = (
            "    staging:\n      # PowerSchool's SFTP export has no file for these tables\n"
            "      # (src/teamster/libraries/powerschool/sis/tables.yaml: `export: false`)\n"
        )
        disabled += "".join(f"      stg_powerschool__{t}: {{+enabled: false}}\n" for t in absent)
    gradebook = ""
    if "pgfinalgrades" in absent:
        gradebook = (
            "  # PowerSchool's SFTP export has no gradebook (pgfinalgrades): final grades only\n"
            "  powerschool_gradebook: false\n"
        )
    files = {
        project / "dbt_project.yml": DBT_PROJECT.format(
            name=name,
            dbt_version=_flow_list(shared["require-dbt-version"]),
            timezone=region.timezone,
            year=shared["vars"]["current_academic_year"],
            gradebook=gradebook,
            extracts=DBT_EXTRACTS.format(name=name) if region.autocomm else "",
            disabled=disabled,
        ),
        project / "packages.yml": "packages:\n"
        + "".join(f"  - local: ../{p}\n" for p in INTEGRATIONS),
    }
    if region.autocomm:
        extracts = project / "models" / "extracts"
        files[extracts / "_kipptaf__sources.yml"] = EXTRACTS_SOURCES
        files[extracts / "_extracts__models.yml"] = EXTRACTS_MODELS.format(name=name)
        for file in AUTOCOMM_MODELS:
            path = extracts / f"rpt_powerschool__autocomm_{file}.sql"
            files[path] = EXTRACT_MODEL.format(file=file)
    profiles = paths.dbt / "profiles.yml"
    text = profiles.read_text()
    if re.search(rf"^{name}:", text, re.M):
        raise ScaffoldError(f"{profiles} already has a profile {name!r}")
    files[profiles] = text.rstrip("\n") + "\n" + PROFILE.format(name=name)
    return files


def _flow_list(values: Iterable[object]) -> str:
    return "[" + ", ".join(_quoted(str(v)) for v in values) + "]"


# --- kipptaf: the regions it unions, its sources, its tests, its ADP crosswalk --------


def _kipptaf(paths: Paths, region: NewRegion, registry: Registry) -> dict[Path, str]:
    name, regions = region.name, registry.region_names
    files: dict[Path, str] = {}
    project = paths.kipptaf_dbt / "dbt_project.yml"
    files[project] = _extend_lists(project, project.read_text(), set(regions), name, want=1)
    for integration in INTEGRATIONS:
        path = paths.sources(integration)
        text = path.read_text()
        anchor = re.search(r"tables: &(\w+)", text)
        if not anchor:
            raise ScaffoldError(f"{path}: no `tables: &anchor` to name the region's tables by")
        files[path] = (
            text.rstrip("\n")
            + "\n"
            + SOURCE.format(name=name, integration=integration, anchor=anchor.group(1))
        )
    for path in sorted((paths.kipptaf_dbt / "models").rglob("*.yml")):
        text = files.get(path, path.read_text())
        edited = _extend_lists(path, text, set(regions), name, want=0)
        if edited != text:
            files[path] = edited
    files[paths.adp] = _adp_crosswalk(paths.adp, region)
    return files


SOURCE = """\
  - name: {name}_{integration}
    schema: {name}_{integration}
    tables: *{anchor}
"""
# a YAML flow list of names, optionally anchored: `[kippnewark, kippcamden]`
_FLOW_LIST = re.compile(r"(?P<head>(?:regions|values):\s*(?:&\w+\s+)?)\[(?P<items>[a-z0-9_, ]*)\]")


def _extend_lists(path: Path, text: str, regions: set[str], name: str, want: int) -> str:
    """``text`` with ``name`` added to every flow list holding all of ``regions`` (the
    region lists: `vars.regions`, accepted_values); ``want`` of them at least."""
    found = 0

    def add(match: re.Match) -> str:
        nonlocal found
        items = [i.strip() for i in match.group("items").split(",") if i.strip()]
        if not regions <= set(items) or name in items:
            return match.group(0)
        found += 1
        return f"{match.group('head')}[{', '.join([*items, name])}]"

    edited = _FLOW_LIST.sub(add, text)
    if found < want:
        raise ScaffoldError(f"{path}: found no list of the regions ({sorted(regions)}) to extend")
    return edited


def _adp_crosswalk(path: Path, region: NewRegion) -> str:
    """kipptaf's ADP crosswalk with the region's payroll group and school locations, as
    the sandbox's ADP names them (sandbox.vendors.adp)."""
    from sandbox.vendors.adp import location_code, payroll_group

    text = path.read_text()
    crosswalk = yaml.safe_load(text)["adp"]
    group = payroll_group(region.name)
    if group in crosswalk["payroll_groups"]:
        raise ScaffoldError(
            f"{region.name!r}: its ADP payroll group would be {group} (three letters after "
            f"`kipp`), already {crosswalk['payroll_groups'][group]}'s in {path}; pick a name "
            "whose letters after `kipp` differ"
        )
    lines = text.splitlines(keepends=True)
    lines = _insert_sorted(
        path, lines, "payroll_groups", [(group, f"    {group}: {region.name}\n")]
    )
    entries = []
    for i, s in enumerate(region.schools):
        code = location_code(region.index, i)
        if code in crosswalk["locations"]:
            raise ScaffoldError(f"{path}: ADP location {code} is already in the crosswalk")
        name = _scalar(s.name.removeprefix("KIPP "))
        entries.append((code, f'    "{code}": {{name: {name}, school_number: {s.number}}}\n'))
    lines = _insert_sorted(path, lines, "locations", entries, key=int)
    return "".join(lines)


def _insert_sorted(path: Path, lines: list[str], section: str, entries, key=str) -> list[str]:
    """``entries`` ((key, line)) put into the two-space ``section:`` mapping of ``lines``
    before the first entry whose key sorts after theirs."""
    start = next((i for i, line in enumerate(lines) if line.rstrip() == f"  {section}:"), None)
    if start is None:
        raise ScaffoldError(f"{path}: no `{section}:` to add the region to")
    end = start + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    for entry_key, line in entries:
        at = end
        for i in range(start + 1, end):
            found = re.match(r'    "?([A-Za-z0-9_]+)"?:', lines[i])
            if found and key(found.group(1)) > key(entry_key):
                at = i
                break
        lines.insert(at, line)
        end += 1
    return lines


# --- the deployment files ---------------------------------------------------------------

WORKSPACE = """\
  - python_module:
      module_name: teamster.code_locations.{name}.definitions
      location_name: {name}
"""
DAGSTER_CLOUD = """\
  - location_name: {name}
    code_source:
      module_name: teamster.code_locations.{name}.definitions
    build: *build
    container_context: *container_context
"""
HELM = """\
    - name: {name}
      image: *image
      dagsterApiGrpcArgs: ["-m", "teamster.code_locations.{name}.definitions"]
      port: 4000
      includeConfigInLaunchedRuns:
        enabled: true
      env: *env
      envSecrets: *envSecrets
      volumes: *volumes
      volumeMounts: *volumeMounts
      securityContext: *securityContext
"""


def _deploy_files(paths: Paths, region: NewRegion) -> dict[Path, str]:
    name = region.name
    workspace = paths.repo / "workspace.yaml"
    cloud = paths.repo / "dagster_cloud.yaml"
    helm = paths.repo / "deploy" / "helm" / "values.yaml"
    files = {
        workspace: workspace.read_text().rstrip("\n") + "\n" + WORKSPACE.format(name=name),
        cloud: cloud.read_text().rstrip("\n") + "\n" + DAGSTER_CLOUD.format(name=name),
    }
    # the deployments list ends where a line is indented less than its items
    lines = helm.read_text().splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "  deployments:"), None)
    if start is None:
        raise ScaffoldError(f"{helm}: no `deployments:` list to add the location to")
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith("    ")):
        end += 1
    while lines[end - 1].strip() == "":
        end -= 1
    lines.insert(end, HELM.format(name=name))
    files[helm] = "".join(lines)
    return files


# --- running it, and checking a checkout ----------------------------------------------


def install_packages(paths: Paths, name: str) -> None:
    """``dbt deps`` for the new project: its packages are local folders, nothing is
    downloaded."""
    from teamster.libraries.dbt.resources import run_dbt

    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "TEAMSTER_DBT_TARGET": "local"}
    env.setdefault("TEAMSTER_DUCKDB_PATH", str(Path(tempfile.gettempdir()) / "warehouse.duckdb"))
    project = paths.dbt / name
    args = ["deps", "--project-dir", str(project), "--quiet"]
    run_dbt(args, project, env, name, profiles_dir=paths.dbt)


def new_region(repo: Path | None = None, install: bool = True, **options) -> Plan:
    """Add a region to ``repo`` (this checkout by default): plan, write, install the dbt
    packages. ``options`` are ``plan``'s."""
    planned = plan(repo or default_repo(), **options)
    planned.write()
    if install:
        install_packages(planned.paths, planned.region.name)
    return planned


def drift(repo: Path) -> list[str]:
    """Where ``repo``'s files disagree with its registry: each thing a region needs that
    is missing (or a location the registry does not have), in words."""
    paths = Paths(repo)
    registry = load_registry(paths.registry)
    regions = registry.region_names
    found: list[str] = []
    for loc in registry.locations:
        if not (paths.code_locations / loc / "definitions.py").exists():
            found.append(f"{loc}: no code_locations/{loc}/definitions.py")
        if not (paths.dbt / loc / "dbt_project.yml").exists():
            found.append(f"{loc}: no dbt project src/dbt/{loc}")
    profiles = yaml.safe_load((paths.dbt / "profiles.yml").read_text())
    projects = {k for k in profiles if not k.startswith("_")}
    if projects != set(registry.locations):
        found.append(f"src/dbt/profiles.yml has profiles {sorted(projects)}")
    kipptaf = yaml.safe_load((paths.kipptaf_dbt / "dbt_project.yml").read_text())
    if kipptaf["vars"]["regions"] != list(regions):
        found.append(f"kipptaf's vars.regions is {kipptaf['vars']['regions']}")
    if kipptaf["vars"].get("local_timezone") != registry.network.timezone:
        found.append(f"kipptaf's vars.local_timezone is {kipptaf['vars'].get('local_timezone')}")
    for integration in INTEGRATIONS:
        sources = yaml.safe_load(paths.sources(integration).read_text())["sources"]
        names = [s["name"] for s in sources]
        if names != [f"{r}_{integration}" for r in regions]:
            found.append(f"{paths.sources(integration).name} has sources {names}")
    for path, values in _region_lists(paths, set(registry.locations)):
        expected = set(regions) | ({registry.network.name} & set(values))
        if set(values) != expected:
            found.append(f"{path.relative_to(paths.repo)}: a region list is {values}")
    groups = yaml.safe_load(paths.adp.read_text())["adp"]["payroll_groups"]
    missing = sorted(set(registry.locations) - set(groups.values()))
    if missing:
        found.append(f"kipptaf's adp.yaml has no payroll group for {missing}")
    workspace = yaml.safe_load((paths.repo / "workspace.yaml").read_text())["load_from"]
    listed = [e["python_module"]["location_name"] for e in workspace]
    if listed != list(registry.locations):
        found.append(f"workspace.yaml lists {listed}")
    return found


def _region_lists(paths: Paths, locations: set[str]) -> Iterable[tuple[Path, list[str]]]:
    """Every accepted_values list in kipptaf's models that names code locations."""
    for path in sorted((paths.kipptaf_dbt / "models").rglob("*.yml")):
        for match in _FLOW_LIST.finditer(path.read_text()):
            items = [i.strip() for i in match.group("items").split(",") if i.strip()]
            if match.group("head").startswith("values") and set(items) & locations:
                yield path, items
