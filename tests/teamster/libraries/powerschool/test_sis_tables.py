from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy.dialects import oracle, postgresql

from teamster.libraries.powerschool.sis.queries import compile_for, select_table
from teamster.libraries.powerschool.sis.sftp import DropFileError, read_drop
from teamster.libraries.powerschool.sis.tables import arrow_schema, declarations

HEADER = (
    "id,dcid,school_number,name,abbreviation,low_grade,high_grade,schoolcity,"
    "schoolstate,whenmodified"
)


@pytest.mark.parametrize("table", sorted(declarations()))
def test_every_query_compiles_for_oracle(table):
    sql = compile_for(select_table(table), oracle.dialect())
    assert sql.startswith("SELECT ") and f"FROM {table}" in sql
    for column in declarations()[table]:
        assert column in sql


def test_postgres_and_oracle_select_the_same_columns():
    pg = compile_for(select_table("students"), postgresql.dialect())
    ora = compile_for(select_table("students"), oracle.dialect())
    assert pg.replace("\n", " ") == ora.replace("\n", " ")


def test_drop_is_cast_to_declared_types(tmp_path: Path):
    path = tmp_path / "schools.csv"
    path.write_text(f"{HEADER},extra\n1,11,101,A,a,0,4,Newark,NJ,2026-09-01 08:00:00,x\n")
    table = read_drop(path, "schools", "schools.csv")
    assert table.schema == arrow_schema("schools")
    assert table.column("school_number").to_pylist() == [101]


def test_missing_column_names_file_and_column(tmp_path: Path):
    path = tmp_path / "schools.csv"
    path.write_text(HEADER.replace(",low_grade", "") + "\n")
    with pytest.raises(DropFileError, match=r"^sftp://x/schools\.csv, line 1: .*'low_grade'"):
        read_drop(path, "schools", "sftp://x/schools.csv")


def test_bad_value_names_line_and_column(tmp_path: Path):
    path = tmp_path / "schools.csv"
    rows = [
        "1,11,101,A,a,0,4,Newark,NJ,2026-09-01 08:00:00",
        "2,12,1o2,B,b,0,4,Newark,NJ,2026-09-01 08:00:00",
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    with pytest.raises(DropFileError, match=r"line 3, column 'school_number': '1o2'"):
        read_drop(path, "schools", "schools.csv")


def test_short_row_names_its_line(tmp_path: Path):
    path = tmp_path / "schools.csv"
    path.write_text(f"{HEADER}\n1,11,101,A,a,0,4,Newark,NJ,2026-09-01 08:00:00\n2,12\n")
    with pytest.raises(DropFileError, match=r"line 3: expected 10 fields, found 2"):
        read_drop(path, "schools", "schools.csv")


def test_declared_types_are_arrow_types():
    for table in declarations():
        assert all(isinstance(f.type, pa.DataType) for f in arrow_schema(table))


def test_partition_window_compiles_for_oracle():
    from teamster.core.partitions import fiscal_year
    from teamster.libraries.powerschool.sis.queries import probe

    window = fiscal_year("2026-07-01", "transaction_date")
    sql = compile_for(select_table("attendance", window), oracle.dialect())
    assert "transaction_date >= TO_DATE('2026-07-01 00:00:00'" in sql
    assert "transaction_date < TO_DATE('2027-07-01 00:00:00'" in sql
    sql = compile_for(probe("attendance", "whenmodified", window), oracle.dialect())
    assert sql.startswith("SELECT count(*) AS n, max(attendance.whenmodified) AS cursor")


def test_config_refuses_undeclared_cursor_and_bad_partition_column():
    from pydantic import ValidationError

    from teamster.libraries.powerschool.sis.config import SISTable

    with pytest.raises(ValidationError, match="cursor 'modified' is not a declared column"):
        SISTable(name="students", cursor="modified")
    with pytest.raises(ValidationError, match="must be a date or timestamp"):
        SISTable(name="attendance", partition_column="studentid")
    with pytest.raises(KeyError, match="not declared"):
        SISTable(name="no_such_table")
    with pytest.raises(ValidationError, match="partition_grain needs a partition_column"):
        SISTable(name="attendance", partition_grain="month")
    with pytest.raises(ValidationError, match="partition_grain"):
        SISTable(name="attendance", partition_column="transaction_date", partition_grain="week")


def test_sandbox_and_declarations_agree():
    from sandbox.postgres import SIS_DDL

    to_arrow = {
        "integer": "int64",
        "bigint": "int64",
        "text": "string",
        "date": "date",
        "timestamp": "timestamp",
        "double precision": "float64",
    }
    for table, columns in declarations().items():
        assert {c: to_arrow[t] for c, t in SIS_DDL[table].items()} == columns, table
