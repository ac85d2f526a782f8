"""Incremental equals rebuild (#15): days of catching up leave the warehouse a rebuild makes.

Data dir A: the session's district (seed and scale) generated on ``START``, everything
loaded, then ``DAYS`` school days, each caught up with through the production sensors,
schedules and automation only (``teamster.core.catch_up``), never a direct
materialization. Data dir B: the same district generated directly on A's last day and
loaded from scratch. Every warehouse relation of the two must hold the same rows with
the same values; so must what left the warehouse (the AutoComm files each SQL region's
PowerSchool received last, the Tableau extracts). Any difference is a change some
incremental path missed: a load the sensors never asked for, a partition not replaced
whole, a model automation did not rebuild.

The test is generic: every relation, every day. An event the generator learns (a late
grade change, a deleted record, a transfer) is covered without an edit here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from incremental_child import fingerprints
from truth.compare import assert_matches

from sandbox.calendar import school_year, school_year_of
from sandbox.expected import all_tables, district_of
from sandbox.generator import District, World
from support import REPO, TEST_SCALE, TEST_SEED, free_port_base, make_data_dir, prune_sis_clusters
from teamster.libraries.dbt.resources import DBT_ROOT

# The days crossed: from Friday 2026-10-30, five school days to Friday 2026-11-06. They
# cross the October/November month boundary, the Re-enrollment forms each region
# publishes on 2 November (new Enrollment actions), the 6 November pay date (a new ADP
# partition), student and extension edits, absences excused late and a DeansList
# behaviour entry deleted; test_the_days_cross_what_the_issue_names holds them to that.
START = dt.date(2026, 10, 30)
DAYS = 5

# Columns that record how a row's source was fetched, not what the source says; each
# differs between a district published day by day and one published at once, by design.
BOOKKEEPING = {
    # the payroll file's mtime on ADP's SFTP server: A's files were written on the day
    # each pay date appeared, B's all when B's district was generated
    "kipptaf_adp_payroll.general_ledger_files": {"modified_at": "the file's SFTP mtime"},
}
SHOWN = 3  # example rows quoted per side of a differing relation
# what dbt writes inside a project (parse state, run folders, installed packages)
DBT_OUTPUTS = ("target", "dbt_packages", "logs")


@dataclass
class Built:
    """The two data dirs once their children are done, and what A reported."""

    incremental: Path
    rebuild: Path
    report: dict[str, Any]
    seconds: dict[str, float]


def window() -> list[dt.date]:
    """The school days A advances through, by the sandbox's own calendar."""
    days = school_year(school_year_of(START)).school_days()
    return [d for d in days if d > START][:DAYS]


def _port_bases(count: int) -> list[int]:
    """Free port bases whose ranges do not overlap (each child serves a district)."""
    bases: list[int] = []
    while len(bases) < count:
        base = free_port_base()
        if all(abs(base - other) >= 16 for other in bases):
            bases.append(base)
    return bases


def _child(
    mode: str, data_dir: Path, port_base: int, args: list[str], dbt_root: Path
) -> tuple[dict[str, Any], float]:
    """tests/incremental_child.py on ``data_dir``, in a process of its own; its report,
    and its seconds. Its output goes to a log beside the data dir, quoted on failure."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMSTER_", "DAGSTER_"))}
    env.update(
        TEAMSTER_ENV="local",
        TEAMSTER_SANDBOX_PORT_BASE=str(port_base),
        TEAMSTER_DBT_ROOT=str(dbt_root),
    )
    report, log = data_dir.with_suffix(".json"), data_dir.with_suffix(".log")
    child = Path(__file__).with_name("incremental_child.py")
    argv = [sys.executable, str(child), mode, str(data_dir), str(TEST_SEED), str(TEST_SCALE)]
    started = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run(
            [*argv, *args, str(report)], cwd=REPO, env=env, stdout=out, stderr=out, timeout=2400
        )
    assert done.returncode == 0, f"{mode} failed:\n" + log.read_text()[-6000:]
    return json.loads(report.read_text()), time.monotonic() - started


@pytest.fixture(scope="module")
def built() -> Iterator[Built]:
    """A caught up day by day and B rebuilt on A's last day, side by side. Each child
    runs dbt from its own copy of the projects: a child writes its projects' parse state
    for its own warehouse, and on shared projects each would throw the other's away.
    ``TEAMSTER_TEST_KEEP_DATA_DIRS=1`` keeps both data dirs to look into a difference."""
    root = make_data_dir("teamster-incremental-")
    try:
        last = window()[-1].isoformat()
        runs = {
            "incremental": [START.isoformat(), str(DAYS)],
            "rebuild": [last],
        }
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {}
            for (mode, args), port_base in zip(runs.items(), _port_bases(2), strict=True):
                dbt_root = root / f"dbt-{mode}"
                shutil.copytree(DBT_ROOT, dbt_root, ignore=shutil.ignore_patterns(*DBT_OUTPUTS))
                futures[mode] = pool.submit(_child, mode, root / mode, port_base, args, dbt_root)
            (report, seconds_a), (rebuilt, seconds_b) = (f.result() for f in futures.values())
        assert report["as_of"] == rebuilt["as_of"] == last
        seconds = {"incremental": seconds_a, "rebuild": seconds_b}
        yield Built(root / "incremental", root / "rebuild", report, seconds)
    finally:
        if os.environ.get("TEAMSTER_TEST_KEEP_DATA_DIRS"):
            print(f"data dirs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
            prune_sis_clusters()


# --- comparing two warehouses ---------------------------------------------------------


def _relations(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Every relation (tables and views) as schema.name -> [(column, type)]."""
    found: dict[str, list[tuple[str, str]]] = {}
    for schema, name, column, kind in con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() order by table_schema, table_name, "
        "ordinal_position"
    ).fetchall():
        found.setdefault(f"{schema}.{name}", []).append((column, kind))
    return found


def _rows(con: duckdb.DuckDBPyConnection, relation: str) -> pa.Table:
    schema, name = relation.split(".")
    skipped = ", ".join(f'"{c}"' for c in BOOKKEEPING.get(relation, {}))
    columns = f"* exclude ({skipped})" if skipped else "*"
    return con.sql(f'select {columns} from "{schema}"."{name}"').to_arrow_table()


def _described(row: tuple, columns: list[str], differing: list[str]) -> str:
    """A row as its first two columns (usually its ids) and the columns that differ."""
    shown = list(dict.fromkeys([*columns[:2], *differing]))
    return "{" + ", ".join(f"{c}={row[columns.index(c)]!r}" for c in shown) + "}"


def relation_difference(relation: str, a: pa.Table, b: pa.Table) -> str | None:
    """How two versions of a relation differ, in words (None if they hold the same
    rows): the count of rows each has that the other lacks, the columns whose values
    differ, and a few rows of each side."""
    with duckdb.connect(":memory:") as con:
        con.register("a", a)
        con.register("b", b)
        only_a = con.execute("select * from a except all select * from b").fetchall()
        only_b = con.execute("select * from b except all select * from a").fetchall()
        if not only_a and not only_b:
            return None
        columns = a.column_names
        differing = [
            c
            for c in columns
            if con.execute(
                f'select count(*) from ((select "{c}" from a except all select "{c}" from b) '
                f'union all (select "{c}" from b except all select "{c}" from a))'
            ).fetchall()[0][0]
        ]
    lines = [
        f"{relation}: {a.num_rows} rows incremental, {b.num_rows} rebuilt; "
        f"{len(only_a)} only incremental, {len(only_b)} only rebuilt; "
        f"columns that differ: {', '.join(differing) or 'none alone (values paired differently)'}"
    ]
    for side, rows in (("incremental", only_a), ("rebuilt", only_b)):
        for row in sorted(rows, key=repr)[:SHOWN]:
            lines.append(f"    only {side}: {_described(row, columns, differing)}")
    return "\n".join(lines)


def warehouse_differences(incremental: Path, rebuild: Path) -> list[str]:
    """Every relation of the two warehouses compared: the same relations, columns and
    types, and the same rows (as multisets: order is no part of a table). Relations
    whose fingerprints agree are equal; only those that differ are read whole."""
    with (
        duckdb.connect(str(incremental), read_only=True) as con_a,
        duckdb.connect(str(rebuild), read_only=True) as con_b,
    ):
        shapes_a, shapes_b = _relations(con_a), _relations(con_b)
        for relation, columns in BOOKKEEPING.items():  # each exception names a real column
            names = [c for c, _ in shapes_b.get(relation, [])]
            assert set(columns) <= set(names), (relation, columns, names)
        names_a, names_b = shapes_a.keys(), shapes_b.keys()
        found = [f"{r}: only in the incremental warehouse" for r in sorted(names_a - names_b)]
        found += [f"{r}: only in the rebuilt warehouse" for r in sorted(names_b - names_a)]
        shared = sorted(names_a & names_b)
        for relation in shared:
            if shapes_a[relation] != shapes_b[relation]:
                found.append(f"{relation}: columns {shapes_a[relation]} != {shapes_b[relation]}")
        same_shape = [r for r in shared if shapes_a[r] == shapes_b[r]]
        prints_a = fingerprints(incremental, BOOKKEEPING, con_a)
        prints_b = fingerprints(rebuild, BOOKKEEPING, con_b)
        for relation in same_shape:
            if prints_a[relation] != prints_b[relation]:
                a, b = _rows(con_a, relation), _rows(con_b, relation)
                found.append(relation_difference(relation, a, b) or f"{relation}: hashes differ")
    return found


def _files(data_dir: Path, folder: Path, pattern: str) -> list[Path]:
    return sorted(p.relative_to(data_dir) for p in (data_dir / folder).rglob(pattern))


def output_differences(incremental: Path, rebuild: Path) -> list[str]:
    """What left the warehouse: each AutoComm file a region's PowerSchool received last
    (its lines, in any order) and each Tableau extract (its rows)."""
    found = []
    inbox = Path("sandbox", "sftp", "autocomm")
    files_a, files_b = _files(incremental, inbox, "*.txt"), _files(rebuild, inbox, "*.txt")
    if files_a != files_b:
        found.append(f"AutoComm files: {[str(p) for p in files_a]} != {[str(p) for p in files_b]}")
    for path in sorted(set(files_a) & set(files_b)):
        lines_a = sorted((incremental / path).read_text().splitlines())
        lines_b = sorted((rebuild / path).read_text().splitlines())
        if lines_a != lines_b:
            only_a = sorted(set(lines_a) - set(lines_b))[:SHOWN]
            only_b = sorted(set(lines_b) - set(lines_a))[:SHOWN]
            found.append(f"{path}: only incremental {only_a}, only rebuilt {only_b}")
    extracts_a = _files(incremental, Path("tableau"), "*.parquet")
    extracts_b = _files(rebuild, Path("tableau"), "*.parquet")
    if extracts_a != extracts_b:
        found.append(f"Tableau extracts: {extracts_a} != {extracts_b}")
    for path in sorted(set(extracts_a) & set(extracts_b)):
        a, b = pq.read_table(incremental / path), pq.read_table(rebuild / path)
        if a.schema != b.schema:
            found.append(f"{path}: schema {a.schema} != {b.schema}")
        elif difference := relation_difference(str(path), a, b):
            found.append(difference)
    return found


# --- the tests ------------------------------------------------------------------------


def _row_changes(before: list[dict], after: list[dict], key: str | None) -> tuple[int, int, int]:
    """(new, edited, gone) rows between two views of a source table, rows matched by
    ``key``; without one, an edited row counts as one gone and one new."""
    if key is None:
        old, new = ({repr(sorted(r.items())) for r in rows} for rows in (before, after))
        return len(new - old), 0, len(old - new)
    old_rows, new_rows = {r[key]: r for r in before}, {r[key]: r for r in after}
    edited = sum(old_rows[k] != new_rows[k] for k in old_rows.keys() & new_rows.keys())
    return len(new_rows.keys() - old_rows.keys()), edited, len(old_rows.keys() - new_rows.keys())


def _key(rows: list[dict], *names: str) -> str | None:
    return next((n for n in names if rows and n in rows[0]), None)


def crossed(before: District, after: District) -> dict[str, int]:
    """What changed in the district between two days, source by source, counted from
    the generator's own views (never from anything teamster wrote)."""
    counts: Counter[str] = Counter()

    def add(what: str, changes: tuple[int, int, int]) -> None:
        for kind, n in zip(("new", "edited", "gone"), changes, strict=True):
            counts[f"{what} {kind}"] += n

    for region, tables in before.sis.items():
        for table, rows in tables.items():
            key = _key(rows, "dcid", "studentsdcid", "id")
            add(f"SIS {table}", _row_changes(rows, after.sis[region][table], key))
    for region, schools in before.deanslist.items():
        for school, endpoints in schools.items():
            later = after.deanslist[region][school]
            behavior = _row_changes(endpoints["behavior"], later["behavior"], "DLSAID")
            add("DeansList behavior", behavior)
            was = {i["IncidentID"]: i["IsActive"] for i in endpoints["incidents"]}
            counts["DeansList incidents deleted"] += sum(
                was.get(i["IncidentID"], True) and not i["IsActive"] for i in later["incidents"]
            )
    for region, files in before.iready.items():
        for subject, rows in files.items():
            add(f"i-Ready {subject}", _row_changes(rows, after.iready[region][subject], None))
    actions = [{a["id"] for a in d.enrollment_actions} for d in (before, after)]
    counts["Enrollment actions new"] = len(actions[1] - actions[0])
    for action, records in after.enrollment_submissions.items():
        earlier = before.enrollment_submissions.get(action, [])
        add("Enrollment records", _row_changes(earlier, records, "id"))
    pay_dates = [{name.split("_")[2] for name in d.adp_gl} for d in (before, after)]
    counts["ADP pay dates new"] = len(pay_dates[1] - pay_dates[0])
    counts["month boundaries"] = (after.as_of.year - before.as_of.year) * 12 + (
        after.as_of.month - before.as_of.month
    )
    return {what: n for what, n in sorted(counts.items()) if n}


def test_the_days_cross_what_the_issue_names():
    """The comparison proves something only if the days hold the changes incremental
    paths must catch: student edits, absences excused late, extension edits, a
    DeansList deletion, new Enrollment actions, a new pay date and a month's end."""
    days = window()
    assert len(days) == DAYS >= 5
    world = World(TEST_SEED, TEST_SCALE, school_year_of(START))
    found = crossed(world.view(START), world.view(days[-1]))
    print(f"{START} to {days[-1]}, {DAYS} school days:", found)
    extension = ("studentcorefields", "s_nj_stu_x", "u_studentsuserfields")
    wanted = {
        "student edits": found.get("SIS students edited", 0),
        "attendance edits": found.get("SIS attendance edited", 0),
        "extension edits": sum(found.get(f"SIS {t} edited", 0) for t in extension),
        "DeansList deletions": found.get("DeansList behavior gone", 0)
        + found.get("DeansList incidents deleted", 0),
        "new Enrollment actions": found.get("Enrollment actions new", 0),
        "new pay dates": found.get("ADP pay dates new", 0),
        "month boundaries": found.get("month boundaries", 0),
    }
    assert all(wanted.values()), wanted


def test_incremental_equals_rebuild(built: Built):
    """Every warehouse relation, and what left the warehouse, is the same after the days
    of catching up as after a rebuild on the last day."""
    problems = warehouse_differences(
        built.incremental / "warehouse.duckdb", built.rebuild / "warehouse.duckdb"
    )
    problems += output_differences(built.incremental, built.rebuild)
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems)


def test_both_warehouses_hold_the_expected_rows(built: Built):
    """Every kipptaf mart and extract, caught up and rebuilt, holds the sandbox's expected
    rows (``sandbox.expected``) at this seed and scale; the demo's (tests/truth) are
    another seed and scale."""
    expected = all_tables(district_of(built.rebuild / "sandbox"))
    for data_dir in (built.incremental, built.rebuild):
        with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
            assert_matches(con, expected)


def test_each_day_changed_the_warehouse(built: Built):
    """Each day's catch-up ran and changed the warehouse, and over the days the tables
    fed by what the days crossed (SIS students and attendance, DeansList behaviour,
    Enrollment actions and records, the ADP ledger) changed, as did kipptaf's marts."""
    report = built.report
    print(f"seconds: {built.seconds}")
    assert [d["day"] for d in report["days"]] == [d.isoformat() for d in window()]
    prints = report["fingerprints"]
    days = [START.isoformat(), *(d["day"] for d in report["days"])]
    for day, previous in zip(days[1:], days, strict=False):
        changed = sorted(r for r in prints[day] if prints[previous].get(r) != prints[day][r])
        runs = next(d["runs"] for d in report["days"] if d["day"] == day)
        print(f"{day}: {len(runs)} runs, {len(changed)} relations changed")
        assert runs and changed, day
    changed = {r for r in prints[days[-1]] if prints[days[0]].get(r) != prints[days[-1]][r]}
    named = {
        "_powerschool.students",
        "_powerschool.attendance",
        "_deanslist.behavior",
        "kipptaf_powerschool_enrollment.published_actions",
        "kipptaf_powerschool_enrollment.submission_records",
        "kipptaf_adp_payroll.general_ledger",
        "kipptaf.fct_payroll_by_location",
        "kipptaf_tableau.rpt_tableau__enrollment",
    }
    assert not [n for n in named if not any(r.endswith(n) for r in changed)], sorted(changed)


def _warehouse(path: Path, statements: list[str]) -> Path:
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


def test_the_comparison_names_every_kind_of_difference(tmp_path):
    """Cheap proof the comparison can fail: two small warehouses that differ in every
    way it looks for, and one that differs only in a bookkeeping column."""
    common = [
        "create schema s",
        "create schema kipptaf_adp_payroll",
        "create table s.same (id int, amount double)",
        "insert into s.same values (1, 1.5), (2, 2.5)",
    ]
    stamped = (
        "create table kipptaf_adp_payroll.general_ledger_files "
        "(path varchar, modified_at timestamptz)"
    )
    a = _warehouse(
        tmp_path / "a.duckdb",
        [
            *common,
            stamped,
            "insert into kipptaf_adp_payroll.general_ledger_files values ('f', '2026-11-02')",
            "create table s.edited (id int, name varchar)",
            "insert into s.edited values (1, 'a'), (2, 'b')",
            "create view s.edited_view as select * from s.edited",
            "create table s.doubled (id int)",
            "insert into s.doubled values (1), (1)",
            "create table s.sums (total double)",
            "insert into s.sums values (0.1::double + 0.2::double)",
            "create table s.swapped (id int, name varchar)",
            "insert into s.swapped values (1, 'a'), (2, 'b')",
            "create table s.retyped (id int)",
            "create table s.only_here (id int)",
        ],
    )
    b = _warehouse(
        tmp_path / "b.duckdb",
        [
            *common,
            stamped,
            "insert into kipptaf_adp_payroll.general_ledger_files values ('f', '2026-11-06')",
            "create table s.edited (id int, name varchar)",
            "insert into s.edited values (1, 'a'), (2, 'B')",
            "create view s.edited_view as select * from s.edited",
            "create table s.doubled (id int)",
            "insert into s.doubled values (1)",
            "create table s.sums (total double)",
            "insert into s.sums values (0.3::double)",
            "create table s.swapped (id int, name varchar)",
            "insert into s.swapped values (1, 'b'), (2, 'a')",
            "create table s.retyped (id bigint)",
            "create table s.only_there (id int)",
        ],
    )
    found = warehouse_differences(a, b)
    assert len(found) == 8, "\n".join(found)
    text = "\n".join(found)
    assert "s.only_here: only in the incremental warehouse" in text
    assert "s.only_there: only in the rebuilt warehouse" in text
    assert "s.retyped: columns [('id', 'INTEGER')] != [('id', 'BIGINT')]" in text
    for relation in ("s.edited", "s.edited_view"):
        assert f"{relation}: 2 rows incremental, 2 rebuilt; 1 only incremental, 1 only " in text
    assert "columns that differ: name\n    only incremental: {id=2, name='b'}" in text
    assert "only rebuilt: {id=2, name='B'}" in text
    assert "s.doubled: 2 rows incremental, 1 rebuilt; 1 only incremental, 0 only" in text
    assert "s.swapped: 2 rows incremental, 2 rebuilt; 2 only incremental, 2 only " in text
    assert "columns that differ: none alone (values paired differently)" in text
    assert "s.sums: 1 rows incremental, 1 rebuilt; 1 only incremental" in text  # exact floats
    assert not any(r in text for r in ("s.same", "general_ledger_files"))
    assert warehouse_differences(a, a) == []


def test_the_outputs_comparison_reads_lines_and_rows_in_any_order(tmp_path):
    """AutoComm files compare as lines and Tableau extracts as rows, in any order; a
    changed line, a changed row or a missing file is named."""

    def data_dir(name: str, lines: list[str], rows: list[int], extra: bool) -> Path:
        root = tmp_path / name
        inbox = root / "sandbox" / "sftp" / "autocomm" / "kippnewark"
        inbox.mkdir(parents=True)
        (inbox / "students.txt").write_text("\n".join(lines) + "\n")
        if extra:
            (inbox / "teachers.txt").write_text("header\n")
        (root / "tableau").mkdir()
        pq.write_table(pa.table({"id": rows}), root / "tableau" / "rpt.parquet")
        return root

    a = data_dir("a", ["header", "1\tAna", "2\tLuis"], [1, 2, 3], extra=True)
    same = data_dir("same", ["header", "2\tLuis", "1\tAna"], [3, 1, 2], extra=True)
    b = data_dir("b", ["header", "1\tAna", "2\tLuiz"], [1, 2, 4], extra=False)
    assert output_differences(a, same) == []
    found = "\n".join(output_differences(a, b))
    assert "teachers.txt" in found.splitlines()[0]
    assert "students.txt: only incremental ['2\\tLuis'], only rebuilt ['2\\tLuiz']" in found
    assert "tableau/rpt.parquet: 3 rows incremental, 3 rebuilt; 1 only incremental" in found
