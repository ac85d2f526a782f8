import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy.dialects import oracle, postgresql

from teamster.libraries.powerschool.sis.resources import compile_for, select_table
from teamster.libraries.powerschool.sis.schema import (
    DropFileError,
    arrow_schema,
    declarations,
    read_drop,
)

# PowerSchool's table export names each field TABLE.FIELD, in capitals
COLUMNS = (
    "id,dcid,school_number,name,abbreviation,low_grade,high_grade,schoolcity,"
    "schoolstate,transaction_date"
)
HEADER = ",".join(f"SCHOOLS.{c.upper()}" for c in COLUMNS.split(","))


@pytest.mark.parametrize("table", sorted(declarations()))
def test_every_query_compiles_for_oracle(table):
    sql = compile_for(select_table(table), oracle.dialect())
    assert sql.startswith("SELECT ") and f"FROM {table}" in sql
    for column in declarations()[table].columns:
        assert column in sql


def test_postgres_and_oracle_select_the_same_columns():
    pg = compile_for(select_table("students"), postgresql.dialect())
    ora = compile_for(select_table("students"), oracle.dialect())
    assert pg.replace("\n", " ") == ora.replace("\n", " ")


def test_export_is_cast_to_declared_types(tmp_path: Path):
    path = tmp_path / "schools.csv"
    path.write_text(f"{HEADER},SCHOOLS.PSGUID\n1,11,101,A,a,0,4,Newark,NJ,,x\n")
    table = read_drop(path, "schools", "schools.csv")
    assert table.schema == arrow_schema("schools")
    assert table.column("school_number").to_pylist() == [101]
    assert table.column("transaction_date").to_pylist() == [None]  # an empty field is NULL


def test_export_field_names_and_dates_land_as_database_columns(tmp_path: Path):
    programs = tmp_path / "spenrollments.csv"
    programs.write_text(
        "SPENROLLMENTS.ID,SPENROLLMENTS.DCID,SPENROLLMENTS.STUDENTID,SPENROLLMENTS.PROGRAMID,"
        "SPENROLLMENTS.SCHOOLID,SPENROLLMENTS.GRADELEVEL,SPENROLLMENTS.ENTERDATE,"
        "SPENROLLMENTS.EXITDATE\n"
        "1,2,3,1,401,5,09/03/2026,06/30/2027\n"
    )
    table = read_drop(programs, "spenrollments", "spenrollments.csv")
    assert table.schema == arrow_schema("spenrollments")
    assert table.column("enter_date").to_pylist() == [dt.date(2026, 9, 3)]
    assert table.column("exit_date").to_pylist() == [dt.date(2027, 6, 30)]

    userfields = tmp_path / "u_studentsuserfields.csv"
    userfields.write_text(
        "U_STUDENTSUSERFIELDS.STUDENTSDCID,U_STUDENTSUSERFIELDS.WHENMODIFIED\n"
        "50001,2026-09-01 09:00:00\n"
    )
    table = read_drop(userfields, "u_studentsuserfields", "u_studentsuserfields.csv")
    assert table.column("c_504_status").to_pylist() == [None]  # the district has no such field


def test_a_date_in_the_wrong_form_names_line_and_column(tmp_path: Path):
    path = tmp_path / "spenrollments.csv"
    path.write_text(
        "SPENROLLMENTS.ID,SPENROLLMENTS.DCID,SPENROLLMENTS.STUDENTID,SPENROLLMENTS.PROGRAMID,"
        "SPENROLLMENTS.SCHOOLID,SPENROLLMENTS.GRADELEVEL,SPENROLLMENTS.ENTERDATE,"
        "SPENROLLMENTS.EXITDATE\n"
        "1,2,3,1,401,5,09/03/2026,06/30/2027\n"
        "2,3,4,1,401,5,2026-09-03,06/30/2027\n"
    )
    with pytest.raises(
        DropFileError,
        match=r"^spenrollments\.csv, line 3, column 'SPENROLLMENTS\.ENTERDATE': '2026-09-03' is "
        r"not a date MM/DD/YYYY$",
    ):
        read_drop(path, "spenrollments", "spenrollments.csv")


def test_the_database_name_of_a_renamed_field_is_refused(tmp_path: Path):
    """The export writes calendar_day's date as DATE: a file with DATE_VALUE is not it."""
    path = tmp_path / "calendar_day.csv"
    columns = [c for c in declarations()["calendar_day"].columns]
    path.write_text(",".join(f"CALENDAR_DAY.{c.upper()}" for c in columns) + "\n")
    with pytest.raises(DropFileError, match=r"line 1: missing column\(s\) 'date'"):
        read_drop(path, "calendar_day", "calendar_day.csv")


def test_missing_column_names_file_and_column(tmp_path: Path):
    path = tmp_path / "schools.csv"
    path.write_text(HEADER.replace(",SCHOOLS.LOW_GRADE", "") + "\n")
    with pytest.raises(DropFileError, match=r"^sftp://x/schools\.csv, line 1: .*'low_grade'"):
        read_drop(path, "schools", "sftp://x/schools.csv")


def test_bad_value_names_line_and_column(tmp_path: Path):
    path = tmp_path / "schools.csv"
    rows = [
        "1,11,101,A,a,0,4,Newark,NJ,2026-09-01 08:00:00",
        "2,12,1o2,B,b,0,4,Newark,NJ,2026-09-01 08:00:00",
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    with pytest.raises(
        DropFileError,
        match=r"^schools\.csv, line 3, column 'SCHOOLS\.SCHOOL_NUMBER': '1o2' is not a valid "
        r"int64$",
    ):
        read_drop(path, "schools", "schools.csv")


def test_short_row_names_its_line(tmp_path: Path):
    path = tmp_path / "schools.csv"
    path.write_text(f"{HEADER}\n1,11,101,A,a,0,4,Newark,NJ,2026-09-01 08:00:00\n2,12\n")
    with pytest.raises(DropFileError, match=r"line 3: expected 10 fields, found 2"):
        read_drop(path, "schools", "schools.csv")


def test_a_file_cut_inside_its_last_line_is_refused(tmp_path: Path):
    path = tmp_path / "schools.csv"
    path.write_text(
        f"{HEADER}\n1,11,101,A,a,0,4,Newark,NJ,2026-09-01 08:00:00\n2,12,102,B,b,0,4,Ne"
    )
    with pytest.raises(DropFileError, match=r"line 3: the last row has no line ending"):
        read_drop(path, "schools", "schools.csv")


def test_a_table_the_export_lacks_is_refused(tmp_path: Path):
    path = tmp_path / "log.csv"
    path.write_text("LOG.ID\n1\n")
    with pytest.raises(DropFileError, match="SFTP export has no 'log' table"):
        read_drop(path, "log", "log.csv")


def test_declared_types_are_arrow_types():
    for table in declarations():
        assert all(isinstance(f.type, pa.DataType) for f in arrow_schema(table))


def test_partition_windows_compile_for_oracle():
    from teamster.core.partitions import time_window
    from teamster.libraries.powerschool.sis.resources import probe

    window = time_window("fiscal_year", "2026-07-01", "att_date", first_key="2025-07-01")
    sql = compile_for(select_table("attendance", window), oracle.dialect())
    assert "att_date >= TO_DATE('2026-07-01 00:00:00'" in sql
    assert "att_date < TO_DATE('2027-07-01 00:00:00'" in sql
    sql = compile_for(probe("attendance", "transaction_date", window), oracle.dialect())
    assert sql.startswith("SELECT count(*) AS n, max(attendance.transaction_date) AS cursor")
    # the first partition also holds every earlier row and every row with no date
    first = time_window("fiscal_year", "2025-07-01", "att_date", first_key="2025-07-01")
    sql = compile_for(select_table("attendance", first), oracle.dialect())
    assert "attendance.att_date < TO_DATE('2026-07-01 00:00:00'" in sql
    assert "OR attendance.att_date IS NULL" in sql and ">=" not in sql


def test_cursors_come_from_the_declarations():
    from pydantic import ValidationError

    from teamster.libraries.powerschool.sis.config import SISConfig, SISTable

    assert SISTable(name="students").cursor == "transaction_date"
    assert SISTable(name="s_nj_stu_x").cursor == "whenmodified"
    assert SISTable(name="calendar_day").cursor is None
    with pytest.raises(ValidationError, match="cursor"):
        SISTable(name="students", cursor="whenmodified")  # not the region's to choose
    with pytest.raises(ValidationError, match="must be a date or timestamp"):
        SISTable(name="attendance", partition_column="studentid")
    with pytest.raises(KeyError, match="not declared"):
        SISTable(name="no_such_table")
    with pytest.raises(ValidationError, match="partition_grain needs a partition_column"):
        SISTable(name="attendance", partition_grain="month")
    with pytest.raises(ValidationError, match="partition_grain"):
        SISTable(name="attendance", partition_column="att_date", partition_grain="week")
    with pytest.raises(ValidationError, match=r"SFTP export has no file for \['log'\]"):
        SISConfig(
            path="sftp",
            timezone="America/New_York",
            tables=[SISTable(name="students"), SISTable(name="log")],
        )


def test_sandbox_serves_every_declared_column_with_its_type():
    from sandbox.sis import TABLES

    to_arrow = {
        "integer": "int64",
        "bigint": "int64",
        "text": "string",
        "date": "date",
        "timestamp": "timestamp",
        "double precision": "float64",
    }
    for table, declared in declarations().items():
        served = {c: to_arrow[t] for c, t in TABLES[table].items()}
        assert {c: served.get(c) for c in declared.columns} == declared.columns, table
