"""Vendor CSV exports read by header slugs: the refusals name file, line and header."""

import datetime as dt

import pytest

from teamster.libraries.vendor_csv import Column, VendorFileError, header_slug, read_vendor_csv

COLUMNS = [
    Column("student_id", "text", required=True),
    Column("completion_date", "date_mdy"),
    Column(
        "most_recent_diagnostic_ytd_y_n", "yes_no", alternatives=("most_recent_diagnostic_y_n",)
    ),
]


def _read(tmp_path, text: str):
    path = tmp_path / "export.csv"
    path.write_text(text)
    return read_vendor_csv(path, COLUMNS, "sftp://x/export.csv")


def test_headers_are_read_by_slug_and_by_an_alternative(tmp_path):
    assert header_slug("Percentile (%)") == "percentile_percent"
    parsed = _read(
        tmp_path,
        "Student ID,Completion Date,Most Recent Diagnostic (Y/N),Class(es)\n"
        "S1,09/15/2026,Y,Room 1\n",
    )
    assert parsed.values["student_id"] == ["S1"]
    assert parsed.values["completion_date"] == [dt.date(2026, 9, 15)]
    assert parsed.values["most_recent_diagnostic_ytd_y_n"] == ["Y"]
    assert parsed.extra_headers == ["Class(es)"]


def test_two_headers_with_one_slug_matter_only_for_a_column_we_read(tmp_path):
    # two spellings of a column teamster ignores: nothing to choose between
    parsed = _read(
        tmp_path,
        "Student ID,Completion Date,Most Recent Diagnostic (YTD) (Y/N),Grouping,GROUPING\n"
        "S1,09/15/2026,N,a,b\n",
    )
    assert parsed.values["student_id"] == ["S1"]
    with pytest.raises(VendorFileError, match=r"line 1: column\(s\) \['student_id'\] appear"):
        _read(
            tmp_path,
            "Student ID,Student_ID,Completion Date,Most Recent Diagnostic (Y/N)\n"
            "S1,S2,09/15/2026,N\n",
        )


def test_a_bad_value_names_line_and_header_as_the_file_spells_it(tmp_path):
    with pytest.raises(VendorFileError, match=r"line 3, column 'Completion Date'"):
        _read(
            tmp_path,
            "Student ID,Completion Date,Most Recent Diagnostic (Y/N)\n"
            "S1,09/15/2026,Y\nS2,2026-09-15,N\n",
        )


def test_a_file_cut_inside_its_last_line_is_refused(tmp_path):
    with pytest.raises(VendorFileError, match="the last row has no line ending"):
        _read(tmp_path, "Student ID,Completion Date,Most Recent Diagnostic (Y/N)\nS1,09/15/2026,Y")
