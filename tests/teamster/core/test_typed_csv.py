"""Strict CSV parsing: every refusal names the line and column a person must fix."""

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from teamster.core.typed_csv import CSVSchemaError, arrow_type, read_typed_csv, schema_of

SCHEMA = schema_of({"day": "date", "n": "int64", "amount": "decimal(18,2)", "note": "string"})
GOOD = b"n,day,amount,note,ignored\n1,2026-07-03,10.50,a,x\n2,2026-07-03,3,,y\n"


def test_reads_declared_columns_in_declared_order_with_empty_as_null():
    table = read_typed_csv(GOOD, SCHEMA, "good.csv")
    assert table.schema == SCHEMA
    assert table.column("amount").to_pylist() == [Decimal("10.50"), Decimal("3.00")]
    assert table.column("note").to_pylist() == ["a", None]


def test_reads_a_file_path_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD)
    assert read_typed_csv(path, SCHEMA, "bom.csv").num_rows == 2


def test_decimal_types_are_parsed_and_unknown_types_refused():
    assert arrow_type("decimal(18, 2)") == pa.decimal128(18, 2)
    with pytest.raises(ValueError, match="unknown column type 'money'"):
        arrow_type("money")


def test_missing_and_unexpected_columns_are_named():
    with pytest.raises(CSVSchemaError, match=r"f\.csv, line 1: missing column\(s\) 'amount'"):
        read_typed_csv(b"n,day,note\n1,2026-07-03,a\n", SCHEMA, "f.csv")
    with pytest.raises(CSVSchemaError, match=r"unexpected column\(s\) 'ignored'"):
        read_typed_csv(GOOD, SCHEMA, "f.csv", extra_columns="error")


def test_a_bad_value_names_line_and_column():
    data = GOOD + b"3,2026-07-03,1.234,c,z\n"
    with pytest.raises(CSVSchemaError) as info:
        read_typed_csv(data, SCHEMA, "f.csv")
    assert str(info.value) == "f.csv: line 4, column 'amount': '1.234' is not a valid decimal(18,2)"


def test_quoted_newlines_keep_line_numbers_honest():
    data = b'n,day,amount,note\n1,2026-07-03,1,"two\nlines"\nx,2026-07-03,1,b\n'
    with pytest.raises(CSVSchemaError, match="line 4, column 'n': 'x'"):
        read_typed_csv(data, SCHEMA, "f.csv")


def test_required_values_and_expected_values_are_enforced():
    with pytest.raises(CSVSchemaError, match="line 3, column 'note': a value is required"):
        read_typed_csv(GOOD, SCHEMA, "f.csv", required=["note"])
    data = GOOD + b"3,2026-07-17,1,c,z\n"
    with pytest.raises(CSVSchemaError, match="line 4, column 'day': '2026-07-17' where every"):
        read_typed_csv(data, SCHEMA, "f.csv", expect={"day": dt.date(2026, 7, 3)})
    assert read_typed_csv(GOOD, SCHEMA, "f.csv", expect={"day": dt.date(2026, 7, 3)})


def test_a_file_cut_mid_row_is_refused():
    cut = GOOD[:-6]  # inside the last row's fields
    with pytest.raises(CSVSchemaError, match="line 3: the last row has no line ending"):
        read_typed_csv(cut, SCHEMA, "f.csv")
    # the same bytes are a short row when line endings are not required
    with pytest.raises(CSVSchemaError, match="line 3: expected 5 fields, found 2"):
        read_typed_csv(cut, SCHEMA, "f.csv", complete_last_line=False)


def test_empty_file_and_duplicate_columns():
    with pytest.raises(CSVSchemaError, match="line 1: the file is empty"):
        read_typed_csv(b"", SCHEMA, "f.csv")
    with pytest.raises(CSVSchemaError, match=r"column\(s\) \['n'\] appear more than once"):
        read_typed_csv(b"n,day,amount,note,n\n", SCHEMA, "f.csv")


def test_header_names_and_date_formats_a_vendor_writes_its_own_way():
    data = b"EXPORT.N,EXPORT.DAY,EXPORT.AMOUNT,EXPORT.NOTE\n1,07/03/2026,10.50,a\n2,,3,b\n"
    table = read_typed_csv(
        data,
        SCHEMA,
        "export.csv",
        header_name=lambda h: h.lower().removeprefix("export."),
        formats={"day": "%m/%d/%Y"},
    )
    assert table.schema == SCHEMA
    assert table.column("day").to_pylist() == [dt.date(2026, 7, 3), None]
    iso = data.replace(b"07/03/2026", b"2026-07-03")
    with pytest.raises(
        CSVSchemaError, match=r"line 2, column 'day': '2026-07-03' is not a valid date written"
    ):
        read_typed_csv(
            iso,
            SCHEMA,
            "export.csv",
            header_name=lambda h: h.lower().removeprefix("export."),
            formats={"day": "%m/%d/%Y"},
        )
