"""i-Ready fidelity: the library, the sandbox and the staging model against the reference
of what i-Ready really sends (tests/data/vendor_schemas/iready.yaml).

Fails when (a) the library reads a column, or a file name, the reference does not have;
(b) the sandbox serves one (read over its SFTP server, as teamster reads it); (c) the
staging model selects a landed column the library does not land (the compiled model is
run on empty tables of exactly the landed schema). Each check first shows that it
notices a planted difference, so it cannot pass by checking nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from sandbox.vendors import iready as vendor
from support import compiled_models, staging_error
from teamster.core.csv_reader import header_slug
from teamster.core.regions import REGIONS
from teamster.core.ssh import SSHConnection
from teamster.libraries.iready import schema as library

REFERENCE = yaml.safe_load(
    (Path(__file__).parents[1] / "data" / "vendor_schemas" / "iready.yaml").read_text()
)["diagnostic_results"]
COLUMNS = set(REFERENCE["columns"])


def _not_in_reference(names: set[str]) -> set[str]:
    return names - COLUMNS


def _same_names(pattern_a: str, pattern_b: str, names: list[str]) -> list[str]:
    """The names on which two file-name patterns disagree."""
    a, b = re.compile(pattern_a), re.compile(pattern_b)
    return [n for n in names if bool(a.fullmatch(n)) != bool(b.fullmatch(n))]


CANDIDATE_NAMES = [
    f"diagnostic_results_{subject}{suffix}.{ext}"
    for subject in ("ela", "math", "science", "ELA")
    for suffix in ("", "_CONFIDENTIAL", "_confidential", "_2026")
    for ext in ("csv", "txt")
]


# --- (a) the library ---------------------------------------------------------------------


def test_the_check_notices_a_column_the_vendor_does_not_send():
    assert _not_in_reference({"student_id", "student_number"}) == {"student_number"}
    assert _same_names(r"a\.csv", r"(a|b)\.csv", ["a.csv", "b.csv"]) == ["b.csv"]


def test_the_library_reads_only_columns_i_ready_sends():
    read = {slug for column in library.COLUMNS for slug in column.keys}
    assert not _not_in_reference(read), "the library reads columns i-Ready does not send"
    for group in REFERENCE["alternatives"]:
        declared = [c for c in library.COLUMNS if set(c.keys) & set(group)]
        assert [set(c.keys) for c in declared] == [set(group)], group
    # everything else it lands is declared as added by the load, never passed off as i-Ready's
    landed = set(library.SCHEMA.names)
    assert landed - {c.name for c in library.COLUMNS} == set(library.DERIVED)
    assert not set(library.DERIVED) & COLUMNS


def test_the_library_finds_exactly_the_files_i_ready_names():
    assert not _same_names(library.FILE_NAME.pattern, REFERENCE["file_name"], CANDIDATE_NAMES)
    assert REFERENCE["current_year_folder"] == library.CURRENT_YEAR_FOLDER
    assert set(library.SUBJECTS) == set(REFERENCE["subjects"])
    assert REFERENCE["values"]["subject_by_file"] == library.SUBJECTS
    assert set(REFERENCE["values"]["student_grade"]) == library.GRADES
    assert set(REFERENCE["values"]["overall_relative_placement"]) == library.RELATIVE_PLACEMENTS


def test_the_slug_rule_gives_the_reference_names():
    """Spelled-out headers the reference's names come from (one per punctuation case)."""
    assert header_slug("Percent Progress to Annual Typical Growth (%)") in COLUMNS
    assert header_slug("Class(es)") in COLUMNS
    assert header_slug("Duration (min)") in COLUMNS
    assert header_slug("High-Frequency Words Scale Score") in COLUMNS
    assert header_slug("Comprehension: Informational Text Relative Placement") in COLUMNS


# --- (b) the sandbox ---------------------------------------------------------------------


def _served(settings, region: str, tmp: Path) -> dict[str, str]:
    """Each file in the region's Current_Year folder, read over the sandbox's SFTP."""
    drop = settings.iready_sftp[region]
    folder = f"{drop.remote_dir}/{vendor.SITE_FOLDERS[region]}/{REFERENCE['current_year_folder']}"
    out = {}
    with SSHConnection(drop.ssh) as ssh:
        for f in ssh.list_files(folder):
            local = tmp / f"{region}-{f.path.rsplit('/', 1)[-1]}"
            ssh.download(f.path, str(local))
            out[f.path] = local.read_text(encoding="utf-8-sig")
    return out


def _served_problems(settings, tmp: Path) -> list[str]:
    """What the sandbox serves that i-Ready does not: names, columns, formats, values."""
    problems = []
    name = re.compile(REFERENCE["file_name"])
    placements = set(REFERENCE["values"]["overall_relative_placement"])
    for region in REGIONS:
        served = _served(settings, region, tmp)
        if not served:
            problems.append(f"{region}: no file")
        if (
            region in REFERENCE["sites"]
            and vendor.SITE_FOLDERS[region] != REFERENCE["sites"][region]
        ):
            problems.append(f"{region}: site folder {vendor.SITE_FOLDERS[region]}")
        for path, text in served.items():
            if not name.fullmatch(path.rsplit("/", 1)[-1]):
                problems.append(f"{path}: not a name i-Ready uses")
            rows = list(csv.reader(io.StringIO(text)))
            slugs = [header_slug(h) for h in rows[0]]
            for extra in sorted(_not_in_reference(set(slugs))):
                problems.append(f"{path}: column {extra}")
            for column, fmt in REFERENCE["formats"].items():
                at = slugs.index(column)
                for row in rows[1:]:
                    try:
                        if row[at]:
                            dt.datetime.strptime(row[at], fmt)
                    except ValueError:
                        problems.append(f"{path}: {column} {row[at]!r} is not {fmt}")
                        break
            at = slugs.index("overall_relative_placement")
            for value in sorted({row[at] for row in rows[1:]} - placements):
                problems.append(f"{path}: placement {value!r}")
    return problems


def test_the_sandbox_serves_only_what_i_ready_sends(sandbox, settings, tmp_path):
    assert _served_problems(settings, tmp_path) == []


def test_the_sandbox_check_notices_an_invented_column(sandbox, settings, tmp_path):
    region = "kippcamden"
    path = sandbox.root / "sftp" / "iready" / region / vendor.remote_path(region, "ela").lstrip("/")
    original, stat = path.read_bytes(), path.stat()
    try:
        lines = original.decode().split("\n")
        planted = [lines[0] + ",Invented Score"] + [line + ",1" for line in lines[1:] if line]
        path.write_text("\n".join(planted) + "\n")
        problems = _served_problems(settings, tmp_path)
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert problems == [f"{vendor.remote_path(region, 'ela')}: column invented_score"]


# --- (c) the staging model ---------------------------------------------------------------


@pytest.fixture(scope="module")
def staging_sql(compiled_manifests) -> str:
    """stg_iready__diagnostic_results compiled in a regional project (render only)."""
    return compiled_models(compiled_manifests["kippnewark"])["stg_iready__diagnostic_results"]


def _runs_on(sql: str, schema: pa.Schema) -> str | None:
    return staging_error(sql, "kippnewark_iready", "diagnostic_results", schema)


def test_staging_selects_only_what_the_library_lands(staging_sql):
    assert "kippnewark_iready" in staging_sql and "diagnostic_results" in staging_sql
    assert _runs_on(staging_sql, library.SCHEMA) is None


def test_the_staging_check_notices_a_column_the_library_does_not_land(staging_sql):
    read = []
    for field in library.SCHEMA:
        error = _runs_on(
            staging_sql, library.SCHEMA.remove(library.SCHEMA.get_field_index(field.name))
        )
        if error is not None:
            assert field.name in error
            read.append(field.name)
    # the model reads the vendor's flag and the crosswalk's school, so dropping either fails
    assert {"most_recent_diagnostic_ytd_y_n", "school_number", "student_id"} <= set(read)
