"""The diagnostic results export: which files are it, what they hold, a strict reader.

i-Ready puts one CSV per subject in ``<export dir>/<site folder>/Current_Year/``, named
``diagnostic_results_<ela|math>.csv`` or ``diagnostic_results_<ela|math>_CONFIDENTIAL.csv``
(tests/data/vendor_schemas/iready.yaml). Headers are display names matched by their slug
(``teamster.core.csv_reader.header_slug``); the landed columns are those slugs, plus
``source_file_name`` and the ``school_number`` the region's crosswalk gives the school's
name. What the vendor sends as junk is read as it comes and decided
downstream: Student ID stays text (demo accounts have ids that are no SIS number; staging
casts it safely); whole numbers it sometimes writes as decimals (``48.0``) are cast like
BigQuery casts NUMERIC. Everything else must parse, or the file is refused naming line
and column, and so is a school the region's crosswalk does not know, and a student's
diagnostic listed twice for one completion date (the staging model's key). A file with
a header and no rows is the export before the year's first diagnostic: it lands empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from teamster.core.csv_reader import US_DATE, Column, CSVFileError, header_slug, read_csv, schema_of

# partition key -> the Subject its rows carry
SUBJECTS = {"ela": "Reading", "math": "Math"}
CURRENT_YEAR_FOLDER = "Current_Year"
FILE_NAME = re.compile(
    r"diagnostic_results_(?P<subject>ela|math)(?P<confidential>_CONFIDENTIAL)?\.csv"
)
GRADES = frozenset({"K", *(str(g) for g in range(1, 13))})
RELATIVE_PLACEMENTS = frozenset(
    {
        "3 or More Grade Levels Below",
        "2 Grade Levels Below",
        "1 Grade Level Below",
        "Early On Grade Level",
        "Mid or Above Grade Level",
    }
)
_ACADEMIC_YEAR = re.compile(r"([0-9]{4})-([0-9]{4})")

COLUMNS = [
    Column("academic_year", "text", required=True),
    Column("school", "text", required=True),
    Column("student_id", "text", required=True),
    Column("student_grade", "text", required=True, allowed=GRADES),
    Column("last_name", "text"),
    Column("first_name", "text"),
    Column("subject", "text", required=True, allowed=frozenset(SUBJECTS.values())),
    Column("start_date", "date", format=US_DATE),
    Column("completion_date", "date", required=True, format=US_DATE),
    Column("baseline_diagnostic_y_n", "yes_no", required=True),
    # older templates name it "Most Recent Diagnostic (Y/N)"
    Column(
        "most_recent_diagnostic_ytd_y_n",
        "yes_no",
        required=True,
        alternatives=("most_recent_diagnostic_y_n",),
    ),
    Column("duration_min", "integer"),
    Column("overall_scale_score", "integer", required=True),
    Column("overall_relative_placement", "text", required=True, allowed=RELATIVE_PLACEMENTS),
    Column("percentile", "whole_number"),
    Column("mid_on_grade_level_scale_score", "whole_number"),
    Column("annual_typical_growth_measure", "whole_number"),
    Column("annual_stretch_growth_measure", "whole_number"),
    Column("diagnostic_gain", "whole_number"),
    Column("percent_progress_to_annual_typical_growth_percent", "number"),
    Column("percent_progress_to_annual_stretch_growth_percent", "number"),
]
# added by the reader, not sent by i-Ready: the PowerSchool school of the row's school
# name (the region's crosswalk), and which of the file's names it came from
DERIVED = {"school_number": pa.int64(), "source_file_name": pa.string()}
SCHEMA = schema_of(COLUMNS, DERIVED)


class IReadyFileError(CSVFileError):
    """A results file (or the folder it should be in) is not what i-Ready sends."""


def subject_of(name: str) -> str | None:
    """The subject (partition key) a file name is the export of, or None if it is not one."""
    match = FILE_NAME.fullmatch(name)
    return match.group("subject") if match else None


def read_results(
    path: Path,
    subject: str,
    display: str,
    crosswalk: Mapping[str, int],
    crosswalk_source: str = "the region's config/iready.yaml",
) -> pa.Table:
    """Parse one subject's file strictly. ``crosswalk`` maps i-Ready's school names to
    PowerSchool school numbers; ``display`` names the file in errors (its SFTP URI)."""
    parsed = read_csv(path, COLUMNS, display, header_key=header_slug, error=IReadyFileError)
    parsed.check(
        "subject", {SUBJECTS[subject]}, f"{SUBJECTS[subject]!r} (this is the {subject} file)"
    )
    years = {y for y in set(parsed.values("academic_year")) if _is_academic_year(y)}
    parsed.check("academic_year", years, "a school year like 2026-2027")
    parsed.check(
        "school",
        set(crosswalk),
        f"a school the i-Ready crosswalk knows ({crosswalk_source}, `schools`); add it "
        "with its PowerSchool school number",
    )
    parsed.check_unique(
        ["student_id", "completion_date"],
        "i-Ready exports one diagnostic per student and completion date",
    )
    schools = parsed.values("school")
    return parsed.landed(
        SCHEMA,
        {
            "school_number": [crosswalk[s] for s in schools],
            "source_file_name": [path.name] * len(schools),
        },
    )


def _is_academic_year(value: str) -> bool:
    match = _ACADEMIC_YEAR.fullmatch(value)
    return match is not None and int(match.group(2)) == int(match.group(1)) + 1
