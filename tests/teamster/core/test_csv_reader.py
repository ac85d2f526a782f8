"""The one strict CSV reader: every refusal names the file, line and column a person must fix."""

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from teamster.core.csv_reader import (
    US_DATE,
    Column,
    CSVFileError,
    header_slug,
    read_csv,
    schema_of,
)

COLUMNS = [
    Column("day", "date"),
    Column("n", "int64"),
    Column("amount", "decimal(18,2)"),
    Column("note", "string"),
]
GOOD = b"n,day,amount,note,ignored\n1,2026-07-03,10.50,a,x\n2,2026-07-03,3,,y\n"


def _message(data: bytes, columns=COLUMNS, **options) -> str:
    with pytest.raises(CSVFileError) as info:
        read_csv(data, columns, "f.csv", **options)
    return str(info.value)


def test_reads_declared_columns_in_declared_order_with_empty_as_null():
    read = read_csv(GOOD, COLUMNS, "good.csv")
    assert read.table.schema == schema_of(COLUMNS)
    assert read.table.column("amount").to_pylist() == [Decimal("10.50"), Decimal("3.00")]
    assert read.table.column("note").to_pylist() == ["a", None]
    assert read.headers == {"day": "day", "n": "n", "amount": "amount", "note": "note"}
    assert read.extra_headers == ["ignored"]


def test_only_an_empty_field_is_null():
    """pyarrow's default null spellings are real values here."""
    data = b'n,note\n1,NA\n2,NULL\n3,nan\n4,N/A\n5,""\n6,\n'
    read = read_csv(data, [Column("n", "int64"), Column("note", "string")], "f.csv")
    assert read.values("note") == ["NA", "NULL", "nan", "N/A", None, None]
    with pytest.raises(CSVFileError) as info:
        read_csv(b"n\n1\nNA\n", [Column("n", "int64")], "f.csv")
    assert str(info.value) == "f.csv, line 3, column 'n': 'NA' is not a valid int64"


def test_a_byte_order_mark_and_crlf_line_endings_read_like_plain_lf():
    crlf = GOOD.replace(b"\n", b"\r\n")
    for data in (b"\xef\xbb\xbf" + GOOD, crlf, b"\xef\xbb\xbf" + crlf):
        read = read_csv(data, COLUMNS, "f.csv")
        assert read.values("n") == [1, 2]
        assert read.values("note") == ["a", None]
    bad = b"\xef\xbb\xbf" + crlf + b"x,2026-07-03,1,b,z\r\n"
    assert _message(bad) == "f.csv, line 4, column 'n': 'x' is not a valid int64"


def test_a_file_path_is_read_like_its_bytes(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(GOOD)
    assert read_csv(path, COLUMNS, "f.csv").values("n") == [1, 2]


def test_a_quoted_header_matches_like_an_unquoted_one():
    data = b'"STUDENTS.ID","STUDENTS.NAME"\n1,"Ada"\n'
    columns = [Column("id", "int64"), Column("name", "string")]
    read = read_csv(
        data, columns, "f.csv", header_key=lambda h: h.lower().removeprefix("students.")
    )
    assert read.values("id") == [1]
    assert read.values("name") == ["Ada"]
    assert read.headers == {"id": "STUDENTS.ID", "name": "STUDENTS.NAME"}


def test_missing_unexpected_and_repeated_columns_are_named():
    assert _message(b"n,day,note\n1,2026-07-03,a\n") == (
        "f.csv, line 1: missing column(s) 'amount'"
    )
    assert _message(GOOD, extra="error") == "f.csv, line 1: unexpected column(s) 'ignored'"
    assert _message(b"n,day,amount,note,n\n") == (
        "f.csv, line 1: column(s) ['n'] appear more than once"
    )
    # a repeated header no column reads is no one's concern
    read = read_csv(b"n,day,amount,note,x,x\n1,2026-07-03,1,a,b,c\n", COLUMNS, "f.csv")
    assert read.values("n") == [1]


def test_a_bad_value_names_line_and_column_as_the_file_spells_it():
    data = b"N,Day,Amount,Note\n1,2026-07-03,10.50,a\n3,2026-07-03,1.234,c\n"
    message = _message(data, header_key=str.lower)
    assert message == "f.csv, line 3, column 'Amount': '1.234' is not a valid decimal(18,2)"


def test_quoted_newlines_keep_line_numbers_honest():
    data = b'n,day,amount,note\n1,2026-07-03,1,"two\nlines"\nx,2026-07-03,1,b\n'
    assert _message(data) == "f.csv, line 4, column 'n': 'x' is not a valid int64"
    read = read_csv(data[: data.index(b"x")], COLUMNS, "f.csv")
    assert read.values("note") == ["two\nlines"]


def test_required_and_allowed_values_and_the_first_problem_in_the_file_wins():
    columns = [
        Column("n", "int64", required=True),
        Column("grade", "string", allowed=frozenset({"K", "1"})),
    ]
    assert _message(b"n,grade\n1,K\n,1\n", columns) == (
        "f.csv, line 3, column 'n': a value is required"
    )
    assert _message(b"n,grade\n1,K\n2,13\n", columns) == (
        "f.csv, line 3, column 'grade': '13' is not one of ['1', 'K']"
    )
    # two problems: the earlier line is reported, whichever column it is in
    assert _message(b"n,grade\n1,K\n2,13\n,K\n", columns) == (
        "f.csv, line 3, column 'grade': '13' is not one of ['1', 'K']"
    )


def test_a_short_row_names_its_line():
    assert _message(GOOD + b"3,2026-07-03\n") == "f.csv, line 4: expected 5 fields, found 2"


def test_a_last_row_without_a_line_ending_is_refused():
    cut = GOOD[:-6]  # inside the last row's fields
    assert _message(cut) == (
        "f.csv, line 3: the last row has no line ending; the file is truncated"
    )


def test_a_file_cut_inside_its_last_quoted_value_is_refused():
    cut = b'n,day,amount,note\n1,2026-07-03,1,a\n2,2026-07-03,1,"first line\n'
    assert _message(cut) == (
        "f.csv, line 3: a quoted value that starts here never ends; the file is truncated"
    )
    # a doubled quote inside the open value does not close it
    assert _message(cut + b'he said ""no""\n') == (
        "f.csv, line 3: a quoted value that starts here never ends; the file is truncated"
    )


def test_a_stray_quote_inside_an_unquoted_value_is_a_character():
    data = b'n,note\n1,5\'10"\n2,"a ""b"""\n'
    read = read_csv(data, [Column("n", "int64"), Column("note", "string")], "f.csv")
    assert read.values("note") == ["5'10\"", 'a "b"']


def test_an_empty_file_and_one_that_is_not_utf8():
    assert _message(b"") == "f.csv, line 1: the file is empty (no header row)"
    assert _message(b"\n\r\n") == "f.csv, line 1: the file is empty (no header row)"
    latin = b"n,day,amount,note\n1,2026-07-03,1,caf\xe9\n"
    assert _message(latin) == (
        "f.csv, line 2, column 'note': not UTF-8 text (byte 0xe9; was it exported as Windows-1252?)"
    )


def test_a_date_in_a_format_of_its_own():
    columns = [Column("n", "int64"), Column("day", "date", format=US_DATE)]
    read = read_csv(b"n,day\n1,07/03/2026\n2,\n3, 7/4/2026 \n", columns, "f.csv")
    assert read.values("day") == [dt.date(2026, 7, 3), None, dt.date(2026, 7, 4)]
    assert _message(b"n,day\n1,07/03/2026\n2,2026-07-03\n", columns) == (
        "f.csv, line 3, column 'day': '2026-07-03' is not a date MM/DD/YYYY"
    )
    with pytest.raises(ValueError, match="a format needs a date or timestamp kind"):
        Column("n", "int64", format=US_DATE)


def test_vendor_headers_are_matched_by_slug_and_by_an_alternative():
    assert header_slug("Percentile (%)") == "percentile_percent"
    columns = [
        Column("student_id", "text", required=True),
        Column("most_recent_y_n", "yes_no", alternatives=("most_recent_diagnostic_y_n",)),
    ]
    data = b"Student ID,Most Recent Diagnostic (Y/N),Class(es)\n S1 ,Y,Room 1\n"
    read = read_csv(data, columns, "f.csv", header_key=header_slug)
    assert read.values("student_id") == ["S1"]  # vendor kinds drop surrounding spaces
    assert read.values("most_recent_y_n") == ["Y"]
    assert read.headers["most_recent_y_n"] == "Most Recent Diagnostic (Y/N)"
    assert read.extra_headers == ["Class(es)"]
    both = b"Student ID,Most Recent Y/N,Most Recent Diagnostic (Y/N)\nS1,Y,N\n"
    assert _message(both, columns, header_key=header_slug) == (
        "f.csv, line 1: both of 'Most Recent Y/N' and 'Most Recent Diagnostic (Y/N)' "
        "(one column under two names)"
    )


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("integer", "-12", -12),
        ("whole_number", "48.5", 49),
        ("digits_number", "L-3010", 3010),
        ("number", "12.5", 12.5),
        ("money", "100.10", Decimal("100.10")),
        ("yes_no", "N", "N"),
    ],
)
def test_vendor_kinds_parse_what_vendors_write(kind, text, value):
    read = read_csv(f"x\n{text}\n\n".encode(), [Column("x", kind)], "f.csv")
    assert read.values("x") == [value]


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("integer", "3.5", "'3.5' is not a whole number"),
        ("integer", "+3", "'+3' is not a whole number"),
        ("whole_number", "high", "'high' is not a number"),
        ("money", "100.001", "'100.001' is not an amount in cents"),
        ("yes_no", "Yes", "'Yes' is not Y or N"),
    ],
)
def test_vendor_kinds_refuse_what_they_cannot_read(kind, text, message):
    data = f"Header X\n{text}\n".encode()
    assert _message(data, [Column("header_x", kind)], header_key=header_slug) == (
        f"f.csv, line 2, column 'Header X': {message}"
    )


def test_checks_after_reading_point_at_the_row_and_the_header():
    columns = [Column("school", "text"), Column("location", "digits_number")]
    read = read_csv(b"School,Location\nA,L-1\nB,L-2\n", columns, "f.csv", header_key=str.lower)
    read.check("school", {"A", "B"}, "a known school")
    with pytest.raises(CSVFileError) as info:
        read.check("school", {"A"}, "a known school")
    assert str(info.value) == "f.csv, line 3, column 'School': 'B' is not a known school"
    assert read.where(1, "school", "location") == "f.csv, line 3, columns 'School'/'Location'"
    schema = schema_of(columns, {"source": pa.string()})
    landed = read.landed(schema, {"source": ["f.csv", "f.csv"]})
    assert landed.schema == schema
    assert landed.to_pylist()[1] == {"school": "B", "location": 2, "source": "f.csv"}


def test_a_callers_error_class_is_raised():
    class DropError(CSVFileError):
        pass

    with pytest.raises(DropError, match="^f.csv, line 1: missing column"):
        read_csv(b"x\n1\n", COLUMNS, "f.csv", error=DropError)
    read = read_csv(b"s\nb\n", [Column("s", "text")], "f.csv", error=DropError)
    with pytest.raises(DropError):
        read.check("s", {"a"}, "a")
