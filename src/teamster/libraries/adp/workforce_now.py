"""ADP Workforce Now's workers API: OAuth client credentials, $top/$skip paging, and the
worker objects flattened into one typed row per work assignment.

How the real API behaves (tests/data/vendor_schemas/adp.yaml): a bearer token comes from
``POST <token url>`` with the client id and secret as basic auth and
``grant_type=client_credentials`` over mutual TLS (the settings' certificate and key),
and lasts an hour; ``GET /hr/v2/workers`` answers ``{"workers": [...]}`` pages of at most
100 (``$top``), offset by ``$skip``, and 204 No Content after the last. 429 and 5xx are
retried with backoff; a token refused mid-paging is renewed once.

Each landed column is declared with the JSON path it reads (``FIELDS``), so the fidelity
test can hold every path to the reference. A value of the wrong JSON type, a date that
is not ``YYYY-MM-DD``, a missing required field, or a payroll group or site the
crosswalk (``config/adp.yaml``) does not know fails the load, naming the page, the
worker (its associateOID) and the field. Secrets never reach an error or a log.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pyarrow as pa

from teamster.core.arrow_types import ARROW_TYPES
from teamster.core.http import Retries, send_with_retries
from teamster.core.settings import ADPWorkforceNowSettings
from teamster.libraries.adp.config import ADPConfig, UnknownSite

WORKERS_PATH = "/hr/v2/workers"
PAGE_SIZE = 100  # the most ADP serves per page
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NOT_WORD = re.compile(r"\W")
_PART = re.compile(r"[^.\[]+(?:\[[^\]]*\])?")


def path_parts(path: str) -> list[str]:
    """``a.b[c.d=X].e`` -> ``["a", "b[c.d=X]", "e"]`` (a filter's dots stay in it)."""
    return _PART.findall(path)


class WorkforceNowError(RuntimeError):
    """The API refused us, or answered something we do not read; says which."""


@dataclass(frozen=True)
class Field:
    """A landed column and the worker JSON it comes from.

    ``paths`` are tried in order (the first present value wins), relative to the worker,
    or to the work assignment when they start with ``workAssignments[].``. A part
    ``name[kind=Value]`` picks the item of a list whose ``kind`` (a path in the item)
    equals ``Value`` once non-word characters are dropped from both.
    """

    name: str
    paths: tuple[str, ...]
    kind: str = "string"  # string | date | bool
    required: bool = False  # on every work assignment
    # on some work assignment of any load: when no worker has it, ADP renamed or dropped
    # it, and the column must not quietly land empty
    expected: bool = True

    def reads(self) -> set[str]:
        """Every reference path this field reads, ``workers[]...`` with filters as the
        list and the field they compare."""
        out = set()
        for path in self.paths:
            prefix = "workers[]"
            for part in path_parts(path):
                name, _, where = part.partition("[")
                if where and where != "]":
                    kind = where.rstrip("]").split("=", 1)[0]
                    out.add(f"{prefix}.{name}[].{kind}")
                    prefix = f"{prefix}.{name}[]"
                else:
                    prefix = f"{prefix}.{part}"
            out.add(prefix)
        return out


_WA = "workAssignments[]."
_DEPARTMENT = _WA + "homeOrganizationalUnits[typeCode.codeValue=Department].nameCode"
_BUSINESS_UNIT = _WA + "homeOrganizationalUnits[typeCode.codeValue=BusinessUnit].nameCode"
FIELDS = [
    Field("associate_oid", ("associateOID",), required=True),
    Field("worker_id", ("workerID.idValue",)),
    Field("worker_status_code", ("workerStatus.statusCode.codeValue",)),
    Field("original_hire_date", ("workerDates.originalHireDate",), "date"),
    Field("worker_termination_date", ("workerDates.terminationDate",), "date", expected=False),
    Field("legal_given_name", ("person.legalName.givenName",)),
    Field("legal_family_name", ("person.legalName.familyName1",)),
    Field("preferred_given_name", ("person.preferredName.givenName",)),
    Field("preferred_family_name", ("person.preferredName.familyName1",)),
    Field(
        "work_email",
        ("businessCommunication.emails[nameCode.codeValue=WorkEmail].emailUri",),
    ),
    Field("item_id", (_WA + "itemID",), required=True),
    Field("position_id", (_WA + "positionID",), required=True),
    Field("primary_indicator", (_WA + "primaryIndicator",), "bool"),
    Field("payroll_group_code", (_WA + "payrollGroupCode",), required=True),
    Field("payroll_file_number", (_WA + "payrollFileNumber",)),
    Field("job_title", (_WA + "jobTitle",)),
    Field("job_code", (_WA + "jobCode.codeValue",)),
    Field("hire_date", (_WA + "hireDate",), "date"),
    Field("actual_start_date", (_WA + "actualStartDate",), "date"),
    Field("termination_date", (_WA + "terminationDate",), "date", expected=False),
    Field(
        "assignment_status_code", (_WA + "assignmentStatus.statusCode.codeValue",), required=True
    ),
    Field(
        "assignment_status_name",
        (
            _WA + "assignmentStatus.statusCode.longName",
            _WA + "assignmentStatus.statusCode.shortName",
        ),
    ),
    Field("assignment_status_effective_date", (_WA + "assignmentStatus.effectiveDate",), "date"),
    Field("home_work_location_code", (_WA + "homeWorkLocation.nameCode.codeValue",)),
    Field(
        "home_work_location_name",
        (
            _WA + "homeWorkLocation.nameCode.longName",
            _WA + "homeWorkLocation.nameCode.shortName",
        ),
    ),
    Field("home_department_code", (_DEPARTMENT + ".codeValue",)),
    Field("home_department_name", (_DEPARTMENT + ".longName", _DEPARTMENT + ".shortName")),
    Field("home_business_unit_code", (_BUSINESS_UNIT + ".codeValue",)),
]
# added by the load, not sent by ADP: what the crosswalk makes of group and site
DERIVED = {"code_location": pa.string(), "school_number": pa.int64()}
WORKERS_SCHEMA = pa.schema([(f.name, ARROW_TYPES[f.kind]) for f in FIELDS] + list(DERIVED.items()))


class _Missing:
    """No value at a path (distinct from JSON null, which is also no value)."""


MISSING = _Missing()


def _step(value: Any, part: str) -> Any:
    name, _, where = part.partition("[")
    if not isinstance(value, dict):
        raise TypeError(f"the value holding {name} is not a JSON object")
    value = value.get(name, MISSING)
    if not where or value is MISSING or value is None:
        return value
    if not isinstance(value, list):
        raise TypeError(f"{name} is not a list")
    kind, _, wanted = where.rstrip("]").partition("=")
    for item in value:
        found = _get(item, kind)
        if isinstance(found, str) and _NOT_WORD.sub("", found) == _NOT_WORD.sub("", wanted):
            return item
    return MISSING


def _get(value: Any, path: str) -> Any:
    for part in path_parts(path):
        value = _step(value, part)
        if value is MISSING or value is None:
            return MISSING
    return value


def _typed(value: Any, kind: str) -> Any:
    """The value as ``kind``; ``ValueError`` saying what it should have been."""
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("a JSON true or false")
        return value
    if not isinstance(value, str):
        raise ValueError("a JSON string")
    if kind == "date":
        if not _ISO_DATE.fullmatch(value):
            raise ValueError("a date YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("a date YYYY-MM-DD") from None
    return value


def worker_rows(worker: Any, config: ADPConfig, where: str) -> list[dict[str, Any]]:
    """One row per work assignment of ``worker``; ``where`` names the page in errors."""
    if not isinstance(worker, dict):
        raise WorkforceNowError(f"{where}: a worker is not a JSON object")
    aoid = worker.get("associateOID")
    who = f"{where}, worker {aoid!r}" if isinstance(aoid, str) else f"{where}, a worker"
    assignments = worker.get("workAssignments")
    if not isinstance(assignments, list) or not assignments:
        raise WorkforceNowError(f"{who}, field workAssignments: expected a non-empty list")
    rows = []
    for index, assignment in enumerate(assignments):
        row: dict[str, Any] = {}
        for field in FIELDS:
            value: Any = MISSING
            for path in field.paths:
                on_assignment = path.startswith(_WA)
                source = assignment if on_assignment else worker
                relative = path[len(_WA) :] if on_assignment else path
                shown = f"workAssignments[{index}].{relative}" if on_assignment else path
                try:
                    raw = _get(source, relative)
                except TypeError as e:
                    raise WorkforceNowError(f"{who}, field {shown}: {e}") from None
                if raw is MISSING:
                    continue
                try:
                    value = _typed(raw, field.kind)
                except ValueError as e:
                    raise WorkforceNowError(f"{who}, field {shown}: {raw!r} is not {e}") from None
                break
            if value is MISSING:
                if field.required:
                    raise WorkforceNowError(f"{who}, field {field.paths[0]}: a value is required")
                value = None
            row[field.name] = value
        group = row["payroll_group_code"]
        if group not in config.payroll_groups:
            raise WorkforceNowError(
                f"{who}, field workAssignments[{index}].payrollGroupCode: {group!r} is not in "
                f"{config.source} (`payroll_groups`)"
            )
        row["code_location"] = config.code_location(group)
        try:
            row["school_number"] = config.school_number(
                row["home_work_location_code"], row["home_department_code"]
            )
        except UnknownSite as e:
            raise WorkforceNowError(
                f"{who}, field workAssignments[{index}].homeWorkLocation: {e}"
            ) from None
        rows.append(row)
    return rows


def check_expected(rows: list[dict[str, Any]], where: str) -> None:
    """Fail when no row has a field every load should have somewhere (see ``Field``)."""
    absent = [
        " or ".join(f.paths)
        for f in FIELDS
        if f.expected and rows and all(row[f.name] is None for row in rows)
    ]
    if absent:
        raise WorkforceNowError(
            f"{where}: no worker has {'; '.join(absent)}; did ADP rename or drop it?"
        )


class WorkforceNowAPI:
    """The workers API behind the ``workers`` asset."""

    def __init__(
        self,
        settings: ADPWorkforceNowSettings,
        config: ADPConfig,
        retries: Retries = Retries(),
        page_size: int = PAGE_SIZE,
    ):
        self.settings = settings
        self.config = config
        self.retries = retries
        self.page_size = page_size
        self._client: httpx.Client | None = None

    @contextmanager
    def connect(self) -> Iterator[WorkforceNowAPI]:
        s = self.settings
        cert = (str(s.cert_file), str(s.key_file)) if s.cert_file and s.key_file else None
        with httpx.Client(base_url=s.base_url, timeout=60, cert=cert) as client:
            self._client = client
            try:
                self._authorize()
                yield self
            finally:
                self._client = None

    def _authorize(self) -> None:
        """Fetch a bearer token and use it on every later request."""
        assert self._client is not None
        client = self._client
        s = self.settings
        client_id = s.client_id_file.read_text().strip()
        client_secret = s.client_secret_file.read_text().strip()
        response = send_with_retries(
            lambda: client.post(
                s.token_url,
                auth=(client_id, client_secret),
                data={"grant_type": "client_credentials"},
            ),
            s.token_url,
            self.retries,
        )
        if response.status_code in (400, 401, 403):
            raise WorkforceNowError(
                f"ADP's token service at {s.token_url} answered {response.status_code}: check "
                f"the client id ({s.client_id_file}) and secret ({s.client_secret_file})"
            )
        response.raise_for_status()
        token = response.json().get("access_token")
        if not isinstance(token, str) or not token:
            raise WorkforceNowError(f"ADP's token service at {s.token_url} sent no access_token")
        client.headers["Authorization"] = f"Bearer {token}"

    def pages(self) -> Iterator[tuple[int, list[Any]]]:
        """($skip, workers) of every page, until ADP answers 204."""
        if self._client is None:
            raise RuntimeError("use `with api.connect():` first")
        client, skip, renewed = self._client, 0, False
        while True:
            where = f"{self.settings.base_url}{WORKERS_PATH}?$skip={skip}"
            params = {"$top": self.page_size, "$skip": skip}
            response = send_with_retries(
                lambda params=params: client.get(WORKERS_PATH, params=params),
                where,
                self.retries,
            )
            if response.status_code == 401 and not renewed:
                self._authorize()  # the hour ran out mid-paging
                renewed = True
                continue
            if response.status_code in (401, 403):
                raise WorkforceNowError(f"{where}: ADP refused the token ({response.status_code})")
            response.raise_for_status()
            if response.status_code == 204:
                return
            try:
                workers = response.json()["workers"]
            except (ValueError, KeyError, TypeError):
                raise WorkforceNowError(f"{where}: the answer has no `workers` list") from None
            if not isinstance(workers, list):
                raise WorkforceNowError(f"{where}: `workers` is not a list")
            if not workers:
                return
            yield skip, workers
            skip += len(workers)
            renewed = False

    def workers(self) -> tuple[pa.Table, int]:
        """Every work assignment of every worker as one table, and how many workers."""
        rows: list[dict[str, Any]] = []
        count = 0
        for skip, page in self.pages():
            where = f"{self.settings.base_url}{WORKERS_PATH} ($skip={skip})"
            for worker in page:
                rows += worker_rows(worker, self.config, where)
            count += len(page)
        check_expected(rows, f"{self.settings.base_url}{WORKERS_PATH}")
        return pa.Table.from_pylist(rows, schema=WORKERS_SCHEMA), count
