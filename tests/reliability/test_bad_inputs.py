"""The corpus of bad vendor files (tests/data/bad/, its README names each one) against the
strict readers, and through the real path: the sandbox's SFTP servers, Dagster, landing
and the warehouse.

Each file is either refused with an error that names the file, the line and the field a
person must fix, or accepted and read exactly as the good file it was made from (a
byte-order mark, CRLF line ends, quoted headers and an unread extra column are things
real exports do). End to end, a refused file fails its run and leaves the warehouse table
and the landed file as they were, byte for byte; an accepted one loads what the reader
reads; and once the good file is back the next run lands the sandbox's truth whole.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from dagster import AssetKey, DagsterInstance

from sandbox.vendors import iready as iready_vendor
from support import adp_definitions
from teamster.core.csv_reader import Column, CSVFileError, read_csv
from teamster.core.locations import load_definitions
from teamster.core.ssh import RemoteFile
from teamster.libraries.adp.assets import files_key, general_ledger_key
from teamster.libraries.adp.config import ADPConfig, load_adp_config
from teamster.libraries.adp.schema import ADPFileError, GLFile, parse_name, read_general_ledger
from teamster.libraries.iready.config import load_iready_config
from teamster.libraries.iready.schema import IReadyFileError, read_results
from teamster.libraries.powerschool.sis.schema import DropFileError, read_drop

BAD = Path(__file__).parents[1] / "data" / "bad"
LOCATIONS = Path(__file__).parents[2] / "src" / "teamster" / "code_locations"
ACCEPTED = None  # an expected outcome: read exactly as the good file


@dataclass(frozen=True)
class Vendor:
    """One kind of file: where its corpus is, how its reader is called, and what each
    corpus file must come to (a message pattern after the file's name, or ACCEPTED)."""

    folder: str
    stem: str  # the corpus files' prefix for this kind
    error: type[CSVFileError]
    expected: dict[str, str | None]

    def files(self) -> list[str]:
        return sorted(self.expected)


SIS = Vendor(
    "powerschool_sis",
    "students",
    DropFileError,
    {
        "students.truncated_mid_field.csv": (
            r"line 4: the last row has no line ending; the file is truncated"
        ),
        "students.truncated_in_quoted_value.csv": r"line 4: the last row has no line ending",
        "courses.truncated_in_quoted_value_after_line_break.csv": (
            r"line 5: a quoted value that starts here never ends; the file is truncated"
        ),
        "students.wrong_header.csv": r"line 1: missing column\(s\) 'id', 'dcid', ",
        "students.other_tables_header.csv": (
            r"line 1: the header's fields are of table 'schools' \('SCHOOLS\.ID'\), "
            r"not 'students'"
        ),
        "students.extra_column.csv": ACCEPTED,
        "students.extra_field_in_row.csv": r"line 3: expected 23 fields, found 24",
        "students.missing_column.csv": r"line 1: missing column\(s\) 'grade_level'$",
        "students.bad_date.csv": (
            r"line 3, column 'STUDENTS\.DOB': '2015-02-30' is not a valid date$"
        ),
        "students.bad_timestamp.csv": (
            r"line 3, column 'STUDENTS\.TRANSACTION_DATE': '2026-02-30 09:00:00' is not a "
            r"valid timestamp$"
        ),
        "students.timestamp_with_offset.csv": (
            r"line 3, column 'STUDENTS\.TRANSACTION_DATE': '2026-04-12 09:00:00-04:00' is not "
            r"a valid timestamp$"
        ),
        "students.timestamp_padded.csv": (
            r"line 3, column 'STUDENTS\.TRANSACTION_DATE': ' 2026-04-12 09:00:00 ' is not a "
            r"valid timestamp$"
        ),
        "s_nj_stu_x.bad_us_date.csv": (
            r"line 3, column 'S_NJ_STU_X\.IEP_END_DATE': '02/30/2026' is not a date MM/DD/YYYY$"
        ),
        "s_nj_stu_x.two_digit_year.csv": (
            r"line 3, column 'S_NJ_STU_X\.WHENMODIFIED': '04/12/26' is not a timestamp "
            r"MM/DD/YYYY$"
        ),
        "s_nj_stu_x.timestamp_with_offset.csv": (
            r"line 3, column 'S_NJ_STU_X\.WHENMODIFIED': '04/12/2026 09:00:00-04:00' is not a "
            r"timestamp MM/DD/YYYY$"
        ),
        "students.cp1252.csv": (
            r"line 3, column 'STUDENTS\.LAST_NAME': not UTF-8 text \(byte 0xed;"
            r" was it exported as Windows-1252\?\)$"
        ),
        "students.bom.csv": ACCEPTED,
        "students.empty.csv": r"line 1: the file is empty \(no header row\)$",
        "students.header_only.csv": ACCEPTED,
        "students.duplicate_key.csv": (
            r"line 5, column 'STUDENTS\.DCID': 50002 is also on line 3; "
        ),
        "s_nj_stu_x.duplicate_key.csv": (
            r"line 5, column 'S_NJ_STU_X\.STUDENTSDCID': 50001 is also on line 2; "
        ),
        "students.quoted_header.csv": ACCEPTED,
        "students.crlf.csv": ACCEPTED,
    },
)
IREADY = Vendor(
    "iready",
    "diagnostic_results_ela",
    IReadyFileError,
    {
        "diagnostic_results_ela.truncated_mid_field.csv": (
            r"line 4: the last row has no line ending; the file is truncated"
        ),
        "diagnostic_results_ela.truncated_in_quoted_value.csv": (
            r"line 4: the last row has no line ending"
        ),
        "diagnostic_results_ela.wrong_header.csv": (
            r"line 1: missing column\(s\) 'academic_year', 'school', "
        ),
        "diagnostic_results_ela.extra_column.csv": ACCEPTED,
        "diagnostic_results_ela.extra_field_in_row.csv": r"line 3: expected 37 fields, found 38",
        "diagnostic_results_ela.missing_column.csv": r"line 1: missing column\(s\) 'percentile'$",
        "diagnostic_results_ela.bad_date.csv": (
            r"line 3, column 'Completion Date': '02/30/2026' is not a date MM/DD/YYYY$"
        ),
        "diagnostic_results_ela.two_digit_year.csv": (
            r"line 3, column 'Completion Date': '10/07/26' is not a date MM/DD/YYYY$"
        ),
        "diagnostic_results_ela.timestamp_with_offset.csv": (
            r"line 3, column 'Completion Date': '10/07/2026 00:00:00-04:00' is not a date "
            r"MM/DD/YYYY$"
        ),
        "diagnostic_results_ela.cp1252.csv": (
            r"line 3, column 'Last Name': not UTF-8 text \(byte 0xf3;"
            r" was it exported as Windows-1252\?\)$"
        ),
        "diagnostic_results_ela.bom.csv": ACCEPTED,
        "diagnostic_results_ela.empty.csv": r"line 1: the file is empty \(no header row\)$",
        # the export before the year's first diagnostic: i-Ready can send it
        "diagnostic_results_ela.header_only.csv": ACCEPTED,
        "diagnostic_results_ela.duplicate_key.csv": (
            r"line 5, columns 'Student ID'/'Completion Date': '1000001', 2026-10-03 is also "
            r"on line 2; "
        ),
        "diagnostic_results_ela.quoted_header.csv": ACCEPTED,
        "diagnostic_results_ela.crlf.csv": ACCEPTED,
    },
)
ADP = Vendor(
    "adp",
    "ADP_Payroll_20260703_NEW",
    ADPFileError,
    {
        "ADP_Payroll_20260703_NEW.truncated_mid_field.csv": (
            r"line 9: the last row has no line ending; the file is truncated"
        ),
        "ADP_Payroll_20260703_NEW.truncated_in_quoted_value.csv": (
            r"line 9: the last row has no line ending"
        ),
        "ADP_Payroll_20260703_NEW.wrong_header.csv": (
            r"line 1: missing column\(s\) 'date', 'journal', "
        ),
        "ADP_Payroll_20260703_NEW.extra_column.csv": ACCEPTED,
        "ADP_Payroll_20260703_NEW.extra_field_in_row.csv": r"line 3: expected 25 fields, found 26",
        "ADP_Payroll_20260703_NEW.missing_column.csv": r"line 1: missing column\(s\) 'acct_no'$",
        "ADP_Payroll_20260703_NEW.bad_date.csv": (
            r"line 3, column 'DATE': '02/30/2026' is not a date MM/DD/YYYY$"
        ),
        "ADP_Payroll_20260703_NEW.two_digit_year.csv": (
            r"line 3, column 'DATE': '07/03/26' is not a date MM/DD/YYYY$"
        ),
        "ADP_Payroll_20260703_NEW.timestamp_with_offset.csv": (
            r"line 3, column 'DATE': '07/03/2026 00:00:00-04:00' is not a date MM/DD/YYYY$"
        ),
        "ADP_Payroll_20260703_NEW.cp1252.csv": (
            r"line 3, column 'EMPLOYEE_NAME': not UTF-8 text \(byte 0xe1;"
            r" was it exported as Windows-1252\?\)$"
        ),
        "ADP_Payroll_20260703_NEW.bom.csv": ACCEPTED,
        "ADP_Payroll_20260703_NEW.empty.csv": r"line 1: the file is empty \(no header row\)$",
        # ADP writes a journal for a pay run; one without lines is a failed export
        "ADP_Payroll_20260703_NEW.header_only.csv": r"line 1: the journal has no lines",
        "ADP_Payroll_20260703_NEW.duplicate_key.csv": (
            r"line 10, column 'LINE_NO': 1 is also on line 2; "
        ),
        "ADP_Payroll_20260703_NEW.quoted_header.csv": ACCEPTED,
        "ADP_Payroll_20260703_NEW.crlf.csv": ACCEPTED,
    },
)
VENDORS = {v.folder: v for v in (SIS, IREADY, ADP)}


def _cases(accepted: bool) -> list[Any]:
    return [
        pytest.param(vendor, name, id=f"{vendor.folder}/{name}")
        for vendor in VENDORS.values()
        for name, outcome in vendor.expected.items()
        if (outcome is ACCEPTED) == accepted
    ]


def _good(name: str) -> str:
    """The corpus's good file a bad one was made from: same table, suffix ``good``."""
    return f"{name.split('.', 1)[0]}.good.csv"


# --- the readers, called as the assets call them -------------------------------------


@pytest.fixture(scope="module")
def adp_config() -> ADPConfig:
    return load_adp_config(LOCATIONS / "kipptaf" / "config" / "adp.yaml")


@pytest.fixture(scope="module")
def iready_crosswalk() -> dict[str, int]:
    return load_iready_config(LOCATIONS / "kippnewark" / "config" / "iready.yaml").crosswalk


@pytest.fixture
def read(tmp_path, adp_config, iready_crosswalk) -> Callable[[Vendor, str], pa.Table]:
    """Read corpus file ``name`` with its vendor's reader, under the name the vendor
    gives the file (which some readers record); messages name the corpus file."""

    def read(vendor: Vendor, name: str) -> pa.Table:
        table = name.split(".", 1)[0]
        if vendor is SIS:
            local = tmp_path / f"{table}.csv"
            shutil.copyfile(BAD / vendor.folder / name, local)
            return read_drop(local, table, name)
        if vendor is IREADY:
            local = tmp_path / "diagnostic_results_ela_CONFIDENTIAL.csv"
            shutil.copyfile(BAD / vendor.folder / name, local)
            return read_results(local, "ela", name, iready_crosswalk, "kippnewark iready.yaml")
        local = tmp_path / f"{table}.csv"
        shutil.copyfile(BAD / vendor.folder / name, local)
        pay_date, group = parse_name(local.name)
        gl = GLFile(RemoteFile(f"/payroll/{local.name}", 0, 0), pay_date, group)
        return read_general_ledger(local, gl, name, adp_config)

    return read


def test_the_corpus_is_every_file_in_the_folder_and_its_readme_names_each():
    readme = (BAD / "README.md").read_text()
    for vendor in VENDORS.values():
        on_disk = sorted(p.name for p in (BAD / vendor.folder).iterdir())
        goods = [n for n in on_disk if n.endswith(".good.csv")]
        assert sorted(set(on_disk) - set(goods)) == vendor.files(), vendor.folder
        accepted = [n for n, outcome in vendor.expected.items() if outcome is ACCEPTED]
        assert {_good(n) for n in accepted} <= set(goods)
        for name in on_disk:
            generic = f"`<stem>{name.removeprefix(vendor.stem)}`"  # a row for every kind
            assert f"`{name}`" in readme or (name.startswith(vendor.stem) and generic in readme)


@pytest.mark.parametrize(("vendor", "name"), _cases(accepted=False))
def test_a_bad_file_is_refused_naming_file_line_and_field(read, ledger, vendor, name):
    with pytest.raises(vendor.error) as info:
        read(vendor, name)
    message = str(info.value)
    assert message.startswith(f"{name}, line "), message
    assert re.search(vendor.expected[name], message.removeprefix(f"{name}, ")), message
    ledger.refused(f"{vendor.folder}: {name}")


@pytest.mark.parametrize(("vendor", "name"), _cases(accepted=True))
def test_a_legitimate_variant_reads_exactly_as_the_good_file(read, vendor, name):
    table = read(vendor, name)
    good = read(vendor, _good(name))
    assert table.schema == good.schema
    if name.endswith(".header_only.csv"):
        assert table.num_rows == 0
    else:
        assert table.num_rows == good.num_rows > 0
        assert table.to_pylist() == good.to_pylist()


def test_the_good_sis_drop_is_read_value_for_value_with_empty_fields_null(read):
    """The SFTP path lands an empty field as NULL, as the SQL path does (never '')."""
    table = read(SIS, "students.good.csv")
    assert table.num_rows == 3
    first = table.to_pylist()[0]
    assert first == {
        "id": 1,
        "dcid": 50001,
        "student_number": 4000001,
        "state_studentnumber": "7717033944",
        "first_name": "Olivia",
        "last_name": "Ramirez",
        "schoolid": 401,
        "grade_level": 4,
        "enroll_status": 0,
        "entrydate": dt.date(2026, 9, 3),
        "exitdate": dt.date(2027, 6, 19),
        "entrycode": "E1",
        "exitcode": None,
        "dob": dt.date(2016, 9, 16),
        "gender": "M",
        "ethnicity": "B",
        "fteid": 401361,
        "membershipshare": 1.0,
        "track": None,
        "graduated_schoolid": 0,
        "transaction_date": dt.datetime(2026, 11, 9, 13, 0),
    }
    assert table.column("exitcode").null_count == table.column("track").null_count == 3
    extension = read(SIS, "s_nj_stu_x.good.csv").to_pylist()
    assert extension[0] == {
        "studentsdcid": 50001,
        "specialed_classification": None,
        "iep_begin_date": None,
        "iep_end_date": None,
        "pid_504_tf": 0,
        "whenmodified": dt.datetime(2026, 3, 31),
    }


def test_the_good_iready_and_adp_files_are_read_value_for_value(read):
    results = read(IREADY, "diagnostic_results_ela.good.csv").to_pylist()
    assert [r["student_id"] for r in results] == ["1000001", "1000002", "1000003"]
    assert results[2]["last_name"] == "Alvarez, Jr."
    assert results[1]["completion_date"] == dt.date(2026, 10, 7)
    assert results[0]["diagnostic_gain"] is None and results[0]["percentile"] == 65
    journal = read(ADP, "ADP_Payroll_20260703_NEW.good.csv").to_pylist()
    assert [r["line_no"] for r in journal] == list(range(1, 9))
    assert journal[0]["debit"] == Decimal("3074.62") and journal[0]["credit"] is None
    assert journal[0]["employee_name"] == "King, Nevaeh"
    assert journal[0]["date"] == dt.date(2026, 7, 3) and journal[0]["file_number"] == 1


def test_the_issue_cases_through_the_sis_reader(tmp_path, ledger):
    """The three SIS drop bugs a review found, on the drop reader itself: a file cut inside its
    last field (whose shortened value still parses) is refused; a quoted header matches;
    an empty field is NULL."""
    good = (BAD / "powerschool_sis" / "students.good.csv").read_bytes()
    drop = tmp_path / "students.csv"
    drop.write_bytes(good[:-4])  # '2026-11-02 13:00' still parses as a timestamp
    with pytest.raises(DropFileError, match=r"^students.csv, line 4: the last row has no line"):
        read_drop(drop, "students", "students.csv")
    ledger.refused("powerschool_sis: a drop cut inside its last field")
    header, rest = good.split(b"\n", 1)
    drop.write_bytes(b",".join(b'"%s"' % h for h in header.split(b",")) + b"\n" + rest)
    assert read_drop(drop, "students", "students.csv").column("dcid").to_pylist() == [
        50001,
        50002,
        50003,
    ]
    drop.write_bytes(good)
    assert read_drop(drop, "students", "students.csv").column("exitcode").to_pylist() == [None] * 3


def test_a_stray_quote_does_not_hide_a_value_cut_after_its_line_break():
    """An inch mark in an unquoted value evens out the quote count; the file cut inside
    its last quoted value must still be found."""
    columns = [Column("n", "int64"), Column("note", "string")]
    cut = b'n,note\n1,5\'10"\n2,"first line\n'
    with pytest.raises(CSVFileError, match="^f.csv, line 3: a quoted value that starts here"):
        read_csv(cut, columns, "f.csv")


def test_a_date_in_a_vendor_format_is_never_rolled_over_or_shortened():
    """02/30 is no date (not March 2nd); a two-digit year is not year 26."""
    columns = [Column("day", "date", format="%m/%d/%Y")]
    for text in ("02/30/2026", "04/31/2026", "02/29/2026", "10/07/26", "13/01/2026"):
        with pytest.raises(CSVFileError, match=f"line 2, column 'day': '{text}' is not a date"):
            read_csv(f"day\n{text}\n".encode(), columns, "f.csv")
    read = read_csv(b"day\n02/29/2028\n 7/4/2026 \n\n", columns, "f.csv")
    assert read.values("day") == [dt.date(2028, 2, 29), dt.date(2026, 7, 4)]


# --- through the real path: SFTP, Dagster, landing, warehouse ------------------------


@contextmanager
def _replaced(served: Path, data: bytes) -> Iterator[None]:
    """Serve ``data`` in place of a sandbox file, then put its bytes and mtime back (the
    session's sandbox is shared: later tests and sensors see it unchanged)."""
    original, stat = served.read_bytes(), served.stat()
    served.write_bytes(data)
    try:
        yield
    finally:
        served.write_bytes(original)
        os.utime(served, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _rows(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        return sorted(con.execute(sql).fetchall(), key=repr)


def _failure(result) -> str:
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.error.cause.message


@dataclass
class RealPath:
    """One vendor's real path in the session sandbox: the served file, the run, what it
    leaves in the warehouse and landing, and the sandbox's truth for it."""

    served: Path
    remote: str  # the served file's path as its SFTP user sees it
    landed: Path
    run: Callable[[], Any]
    query: str  # the warehouse rows this file's load replaces
    file_query: str  # the warehouse rows read from this one file
    truth: Callable[[list[tuple]], int]  # rows the truth holds minus rows the load left

    def snapshot(self, settings) -> tuple[list[tuple], bytes, list[str]]:
        folder = sorted(p.name for p in self.landed.parent.iterdir())
        return _rows(settings, self.query), self.landed.read_bytes(), folder


def _sis_path(sandbox, settings, name: str) -> RealPath:
    table = name.split(".", 1)[0]
    key = AssetKey(["kipppaterson", "powerschool", table])
    job = load_definitions("kipppaterson").resolve_implicit_global_asset_job_def()
    truth = sandbox.truth()["tables_by_region"]["kipppaterson"][table]
    return RealPath(
        sandbox.root / "sftp" / "kipppaterson" / "exports" / f"{table}.csv",
        f"/exports/{table}.csv",
        settings.landing.root / "kipppaterson" / "powerschool" / table / "data.parquet",
        lambda: job.execute_in_process(
            asset_selection=[key], instance=DagsterInstance.ephemeral(), raise_on_error=False
        ),
        f"select * from kipppaterson_powerschool.{table}",
        f"select * from kipppaterson_powerschool.{table}",
        lambda rows: truth - len(rows),
    )


def _iready_path(sandbox, settings, name: str) -> RealPath:
    region = "kippnewark"
    key = AssetKey([region, "iready", "diagnostic_results"])
    job = load_definitions(region).resolve_implicit_global_asset_job_def()
    truth = sandbox.truth()["iready_by_region"][region]["ela"]
    landing = settings.landing.root / region / "iready" / "diagnostic_results" / "subject=ela"
    return RealPath(
        sandbox.root / "sftp" / "iready" / region / iready_vendor.remote_path(region, "ela")[1:],
        iready_vendor.remote_path(region, "ela"),
        landing / "data.parquet",
        lambda: job.execute_in_process(
            asset_selection=[key],
            partition_key="ela",
            instance=DagsterInstance.ephemeral(),
            raise_on_error=False,
        ),
        f"select * from {region}_iready.diagnostic_results where subject = 'Reading'",
        f"select * from {region}_iready.diagnostic_results where subject = 'Reading'",
        lambda rows: truth - len(rows),
    )


PAY_DATE = "2026-07-03"
_ADP_STATE: dict[str, Any] = {}


def _adp_path(sandbox, settings, name: str) -> RealPath:
    """kipptaf's ADP wiring alone (not its dbt project); every pay date is loaded once,
    so the truth's totals over all of them can be compared after each retry."""
    if not _ADP_STATE:
        defs = adp_definitions(settings)
        instance = DagsterInstance.ephemeral()
        job = defs.resolve_implicit_global_asset_job_def()
        job.execute_in_process(asset_selection=[files_key("kipptaf")], instance=instance)
        for key in instance.get_dynamic_partitions("adp_payroll_pay_dates"):
            job.execute_in_process(
                asset_selection=[general_ledger_key("kipptaf")],
                partition_key=key,
                instance=instance,
            )
        _ADP_STATE.update(job=job, instance=instance)
    job, instance = _ADP_STATE["job"], _ADP_STATE["instance"]
    truth = sandbox.truth()["adp_gl"]
    everything = (
        "select source_file_name, line_no, debit, credit from kipptaf_adp_payroll.general_ledger"
    )

    def lost(_: list[tuple]) -> int:
        every = _rows(settings, everything)
        cents = sum(int(r[2] * 100) for r in every if r[2] is not None)
        assert cents == truth["debit_cents"]
        return truth["lines"] - len(every)

    ledger_dir = settings.landing.root / "kipptaf" / "adp_payroll" / "general_ledger"
    return RealPath(
        sandbox.root / "sftp" / "adp" / "payroll" / f"{ADP.stem}.csv",
        f"/payroll/{ADP.stem}.csv",
        ledger_dir / f"pay_date={PAY_DATE}" / "data.parquet",
        lambda: job.execute_in_process(
            asset_selection=[general_ledger_key("kipptaf")],
            partition_key=PAY_DATE,
            instance=instance,
            raise_on_error=False,
        ),
        "select * from kipptaf_adp_payroll.general_ledger "
        f"where source_file_date = date '{PAY_DATE}'",
        "select * from kipptaf_adp_payroll.general_ledger "
        f"where source_file_name = '{ADP.stem}.csv'",
        lost,
    )


_LOADED: set[Path] = set()
PATHS = {"powerschool_sis": _sis_path, "iready": _iready_path, "adp": _adp_path}


def _end_to_end_cases() -> list[Any]:
    return [
        pytest.param(vendor, name, id=f"{vendor.folder}/{name}")
        for vendor in VENDORS.values()
        for name in vendor.files()
    ]


@pytest.mark.parametrize(("vendor", "name"), _end_to_end_cases())
def test_a_bad_file_on_sftp_fails_its_run_and_keeps_the_last_good_load(
    sandbox, settings, ledger, read, vendor, name
):
    path = PATHS[vendor.folder](sandbox, settings, name)
    if path.served not in _LOADED:  # the last good load (a retry leaves one after)
        assert path.run().success
        _LOADED.add(path.served)
    before = path.snapshot(settings)
    expected = vendor.expected[name]
    with ledger.fault(f"{vendor.folder} on SFTP: {name}"):
        with _replaced(path.served, (BAD / vendor.folder / name).read_bytes()):
            result = path.run()
        if expected is ACCEPTED:
            assert result.success
            assert len(_rows(settings, path.file_query)) == read(vendor, name).num_rows
        else:
            message = _failure(result)
            assert f"{path.remote}, line " in message, message
            assert re.search(expected, message.split(f"{path.remote}, ", 1)[1]), message
            assert path.snapshot(settings) == before  # table, landed bytes, no partial file

        assert path.run().success  # the good file is back: the retry lands it whole
        rows = _rows(settings, path.query)
        missing = path.truth(rows)
        ledger.lost(missing)
        assert missing == 0
        assert len(set(rows)) == len(rows)  # nothing doubled
