"""No secret and no student's personal data where the demo leaves its traces.

The demo's shared run (fixture ``demo_run``) logs at DEBUG: every Python logger's lines
go to the Dagster event log. Everything it wrote besides its data stores is scanned:
the data dir's files other than the warehouse, the landing zone, the Tableau extracts
and the sandbox's own stores (logs, the Dagster instance's SQLite files as raw bytes),
every run's events read as the instance reads them (messages, asset metadata, failure
text), the runs' DAGSTER_HOMEs, the dbt invocations' target folders (run results,
compiled SQL, dbt's logs) and the demo's stdout and stderr.

Looked for: every secret the sandbox generated (its secrets dir and its servers' host
keys) and any 8-character piece of one (12 for hex keys, whose 8-character pieces recur
by chance in run ids), also base64-encoded (as a basic-auth header carries a key), the
ADP bearer tokens its HTTP server signs, and the students' full
names ("First Last", "Last, First"), last names of 6+ letters alone, and birth dates
written YYYY-MM-DD or MM/DD/YYYY, as whole words. A hit is reported by where it is and
what kind of value it is, never the value.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hmac
import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from dagster import DagsterInstance
from dagster._serdes import serialize_value
from shared_demo import DemoRun

from sandbox import generator
from teamster.cli import dagster_home
from teamster.core.instance import LogLevelError
from teamster.core.regions import LOCATIONS
from teamster.libraries.dbt.resources import project_dir

WINDOW = 8  # a secret's piece this long is a leak
HEX_WINDOW = 12  # 16**8 is too few: run ids and hashes would match by chance
# the data dir's stores of district data, where student rows and the secrets belong
DATA_STORES = ("warehouse.duckdb", "warehouse.duckdb.wal", "landing", "tableau", "sandbox")

KINDS = ("secret", "student name", "student last name", "student birth date")
_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=]{8,}")
_HEX = re.compile(r"[0-9a-f]+")
_ADP_TOKEN = re.compile(r"\b([0-9]{10})\.([0-9a-f]{64})\b")  # "<expires>.<hmac>"
# a name pair at every word start (a lookahead, so "Dear Ana Cruz" finds "Ana Cruz")
_PAIR = re.compile(r"\b(?=([A-Za-z]+)(,?) +([A-Za-z]+)\b)")
_LONG_WORD = re.compile(r"\b[A-Za-z]{6,}\b")
_DATE = re.compile(r"(?<![\d/-])(\d{4}-\d\d-\d\d|\d\d/\d\d/\d{4})(?![\d/-])")
# DEBUG lines only Python's logging brings into the event log: asyncssh's per-connection
# lines and httpcore's request steps (Dagster's own events never read like these)
_LIBRARY_DEBUG = re.compile(r"\[conn=\d+|(send_request|receive_response)_\w+\.(started|complete)")


@dataclass
class Needles:
    """What must not appear, kept so a hit names its kind (and a secret its file)."""

    pieces: dict[int, dict[str, str]] = field(default_factory=dict)  # size -> piece -> file
    full_names: set[tuple[str, str]] = field(default_factory=set)  # (first, last), lower
    last_names: set[str] = field(default_factory=set)  # 6+ letters, lower
    birth_dates: set[str] = field(default_factory=set)  # both written forms
    adp_token_key: bytes = b""  # what signs the ADP bearer tokens the sandbox issues


def _private_key_lines(pem: str) -> list[str]:
    """A PEM key's body lines: its secret; the BEGIN/END lines are not."""
    return [line.strip() for line in pem.splitlines() if line.strip() and "-----" not in line]


def _secret_values(path: Path) -> list[str]:
    """The secret strings of one generated file: a password or key as a whole, each
    value of a JSON object of keys, a private key's body lines."""
    text = path.read_text()
    if "PRIVATE KEY-----" in text:
        return _private_key_lines(text)
    if path.suffix == ".json":
        document = json.loads(text)
        if "private_key" in document:  # a service account's key file
            return [*_private_key_lines(document["private_key"]), document["private_key_id"]]
        return [str(v) for v in document.values()]
    return [text.strip()]


def _add_secrets(needles: Needles, sandbox_root: Path) -> list[str]:
    """Every secret in the sandbox's secrets dir and its servers' host keys; returns the
    files read."""
    files = [
        p
        for folder in (sandbox_root / "secrets", sandbox_root / "host_keys")
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix != ".pub" and not p.name.startswith(".")
    ]
    for path in files:
        for value in _secret_values(path):
            size = HEX_WINDOW if _HEX.fullmatch(value) else WINDOW
            assert len(value) >= size, f"{path.name}: a secret shorter than {size} characters"
            _add_pieces(needles, value, size, path.name)
            for encoded in _base64_cores(value):
                _add_pieces(needles, encoded, WINDOW, f"{path.name} (base64)")
    needles.adp_token_key = (sandbox_root / "secrets" / "adp_wfn_client_secret").read_bytes()
    return [p.name for p in files]


def _add_pieces(needles: Needles, value: str, size: int, name: str) -> None:
    pieces = needles.pieces.setdefault(size, {})
    for start in range(len(value) - size + 1):
        pieces[value[start : start + size]] = name


def _base64_cores(value: str) -> list[str]:
    """What base64 text holding ``value`` contains whatever surrounds it (an HTTP
    basic-auth header carries an API key so), at each of base64's three alignments: the
    first and last groups, which also encode the bytes around it, left out."""
    return [base64.b64encode(b"\0" * pad + value.encode()).decode()[4:-4] for pad in range(3)]


def _adp_token_issued(needles: Needles, expires: str, signature: str) -> bool:
    """The sandbox signs ADP bearer tokens with the client secret (sandbox/http.py)."""
    key = needles.adp_token_key.strip()
    expected = hmac.new(key, f"adp-token:{expires}".encode(), "sha256").hexdigest()
    return hmac.compare_digest(signature, expected)


def _birth_forms(date: dt.date) -> tuple[str, str]:
    return date.isoformat(), date.strftime("%m/%d/%Y")


def _add_students(needles: Needles, sandbox_root: Path) -> int:
    """The students of the district the demo served, on each day it served (the SIS's
    students, and the Enrollment API's returning students and applicants); returns how
    many records were read."""
    state = json.loads((sandbox_root / "state.json").read_text())
    world = generator.World(state["seed"], state["scale"], state["start_year"])
    days = {generator.DEFAULT_AS_OF, dt.date.fromisoformat(state["as_of"])}
    people: list[tuple[str, str, dt.date]] = []
    for day in sorted(days):
        district = world.view(day)
        for tables in district.sis.values():
            people += [(s["first_name"], s["last_name"], s["dob"]) for s in tables["students"]]
        for records in district.enrollment_submissions.values():
            people += [
                (r["firstName"], r["lastName"], dt.date.fromisoformat(r["dateOfBirth"][:10]))
                for r in records
            ]
    for first, last, born in people:
        needles.full_names.add((first.lower(), last.lower()))
        if len(last) >= 6:
            needles.last_names.add(last.lower())
        needles.birth_dates.update(_birth_forms(born))
    return len(people)


def _as_written(word: str) -> bool:
    """A name as people or vendors write it (Title or UPPER case): "green" or "king" in
    running text are words, not names."""
    return word.istitle() or word.isupper()


def find(text: str, needles: Needles) -> Counter[str]:
    """Hits in ``text`` by kind ("secret <file>", "student name", ...)."""
    hits: Counter[str] = Counter()
    for token in _TOKEN.findall(text):
        for size, pieces in needles.pieces.items():
            for start in range(len(token) - size + 1):
                secret = pieces.get(token[start : start + size])
                if secret is not None:
                    hits[f"secret {secret}"] += 1
                    break
    for expires, signature in _ADP_TOKEN.findall(text):
        hits["secret ADP bearer token"] += _adp_token_issued(needles, expires, signature)
    for match in _PAIR.finditer(text):
        one, comma, two = match.groups()
        first, last = (two, one) if comma else (one, two)
        if _as_written(first) and _as_written(last):
            hits["student name"] += (first.lower(), last.lower()) in needles.full_names
    for word in _LONG_WORD.findall(text):
        if _as_written(word):
            hits["student last name"] += word.lower() in needles.last_names
    for date in _DATE.findall(text):
        hits["student birth date"] += date in needles.birth_dates
    return +hits  # only the kinds found


def _files(root: Path, skip: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(path, text) of every file under ``root`` but the top-level entries ``skip``
    names; bytes read as Latin-1, so SQLite pages and binary files are scanned too."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in skip or not path.is_file():
            continue
        yield str(path), path.read_bytes().decode("latin-1")


@dataclass
class EventLog:
    texts: list[tuple[str, str]]
    run_ids: list[str]
    library_debug_lines: int  # asyncssh's and httpcore's DEBUG lines


def _event_log(dagster_home: Path) -> EventLog:
    """Every run's record and events as the instance reads them, serialized: messages,
    asset metadata, check results and failures' exception text, grouped by event type."""
    texts, run_ids, debug = [], [], 0
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        for run in instance.get_runs():
            run_ids.append(run.run_id)
            texts.append((f"run {run.run_id} (its record)", serialize_value(run)))
            grouped: dict[str, list[str]] = {}
            for entry in instance.all_logs(run.run_id):
                kind = entry.dagster_event_type.value if entry.dagster_event_type else "log line"
                grouped.setdefault(kind, []).append(serialize_value(entry))
                if entry.dagster_event is None and entry.level == logging.DEBUG:
                    debug += bool(_LIBRARY_DEBUG.match(entry.user_message))
            texts += [(f"run {run.run_id}: {k} events", "\n".join(v)) for k, v in grouped.items()]
    return EventLog(texts, run_ids, debug)


def _dbt_targets(run_ids: list[str]) -> Iterator[tuple[str, str]]:
    """The files of each dbt invocation of these runs: dagster-dbt names its target
    folder ``<op>-<run id's first 7>-<random>`` in the project's target/."""
    runs = {run_id[:7] for run_id in run_ids}
    for project in LOCATIONS:
        target = project_dir(project) / "target"
        for folder in sorted(target.glob("*-*-*")):
            if folder.is_dir() and folder.name.split("-")[-2] in runs:
                yield from _files(folder)


def _dates_dbt_ships() -> set[str]:
    """Dates written in dbt's own macros (``dbt/include``: an example in a docstring,
    "01/01/2016"), which every manifest and partial-parse file embeds: in a dbt target
    folder they are dbt's text, not a student's birth date that happens to match."""
    import dbt.include

    root = Path(dbt.include.__file__).parent
    return {
        date
        for path in root.rglob("*")
        if path.is_file() and path.suffix in (".sql", ".yml", ".md")
        for date in _DATE.findall(path.read_text(errors="replace"))
    }


def _project_text() -> str:
    """The dbt projects' checked-in files (models, unit-test fixtures, docs): a manifest
    embeds them, so a name a fixture spells out is the project's text in a target
    folder, not a student's name that leaked."""
    root = project_dir(LOCATIONS[0]).parent
    return "\n".join(
        path.read_text()
        for path in sorted(root.rglob("*"))
        if path.suffix in (".sql", ".yml", ".md")
        and not {"target", "dbt_packages", "logs"} & set(path.relative_to(root).parts)
    )


def _by_kind(found: Iterable[Counter[str]]) -> Counter[str]:
    """Hits added up by kind, secrets of every file as one."""
    total: Counter[str] = Counter()
    for hits in found:
        for kind, n in hits.items():
            total["secret" if kind.startswith("secret ") else kind] += n
    return total


def test_the_demo_leaks_no_secret_and_no_student_data(demo_run: DemoRun, ledger):
    first = demo_run.first
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    data_dir = demo_run.data_dir
    sandbox_root = data_dir / "sandbox"

    needles = Needles()
    secret_files = _add_secrets(needles, sandbox_root)
    # the scan cannot pass on an empty list: each kind of credential is there
    for name in ("enrollment_api_key", "deanslist_keys.json", "ssh_client_key"):
        assert name in secret_files, secret_files
    assert {f"{r}_sis_password" for r in ("kippnewark", "kippcamden", "kippmiami")} <= set(
        secret_files
    )
    assert _add_students(needles, sandbox_root) > 100
    assert needles.full_names and needles.last_names and needles.birth_dates

    events = _event_log(data_dir / "dagster")
    # DEBUG reached the log: the SSH and HTTP libraries' own DEBUG lines are in it
    assert events.library_debug_lines > 0, "no library's DEBUG line in the event log"
    dbt = list(_dbt_targets(events.run_ids))
    sources = [
        ("the demo's stdout", first.stdout),
        ("the demo's stderr", first.stderr),
        *_files(data_dir, skip=DATA_STORES),
        *(text for home in demo_run.dagster_homes for text in _files(home)),
        *events.texts,
        *dbt,
    ]
    assert any(where.endswith("demo.log") for where, _ in sources)
    assert any(where.endswith(".db") for where, _ in sources)  # the instance's SQLite

    # the finder finds every kind where it belongs: in the district's own stores
    controls = [
        *sandbox_root.glob("sftp/kipppaterson/**/students.csv"),  # "Last, First", dob
        *sandbox_root.glob("http/enrollment/submissions/*.json"),
        sandbox_root / "secrets" / "enrollment_api_key",
    ]
    control = _by_kind(find(p.read_bytes().decode("latin-1"), needles) for p in controls)
    assert set(control) == set(KINDS), control

    # in dbt's target folders, the dates dbt's own macros quote and the names the
    # projects' own files spell out (unit-test fixtures) are their text, not a leak
    project = _project_text()
    in_project = {w.lower() for w in _LONG_WORD.findall(project)}
    in_dbt = dataclasses.replace(
        needles,
        birth_dates=needles.birth_dates - _dates_dbt_ships(),
        last_names=needles.last_names - in_project,
        full_names=needles.full_names
        - {
            (two.lower(), one.lower()) if comma else (one.lower(), two.lower())
            for one, comma, two in (m.groups() for m in _PAIR.finditer(project))
        },
    )
    from_dbt = {where for where, _ in dbt}
    found = {
        where: hits
        for where, text in sources
        if (hits := find(text, in_dbt if where in from_dbt else needles))
    }
    by_kind = _by_kind(found.values())
    for kind in KINDS:
        ledger.leaked(by_kind[kind])
    where = "\n".join(f"{w}: {dict(h)}" for w, h in found.items())
    assert sum(by_kind.values()) == 0, f"{sum(by_kind.values())} hits:\n{where}"


def test_the_scan_finds_what_it_looks_for():
    """The finder on known text: a secret's 8-character piece, names in both orders,
    a last name alone, a birth date in both forms; and not words that look like them."""
    needles = Needles(
        pieces={WINDOW: {"Zx9_kQ2-": "x_password"}, HEX_WINDOW: {"0123456789ab": "keys.json"}},
        full_names={("ana", "cruz")},
        last_names={"washington"},
        birth_dates=set(_birth_forms(dt.date(2015, 3, 9))),
        adp_token_key=b"adp-secret\n",
    )
    api_key = "k3y-Of_the-Enrollment-API"
    for core in _base64_cores(api_key):
        _add_pieces(needles, core, WINDOW, "api_key (base64)")
    basic = base64.b64encode(f"{api_key}:".encode()).decode()
    signature = hmac.new(b"adp-secret", b"adp-token:1790000000", "sha256").hexdigest()
    text = (
        "password=abcZx9_kQ2-def key 0123456789abcd, Dear Ana Cruz; CRUZ, ANA; Washington "
        f"born 2015-03-09T00:00:00 or 03/09/2015; Authorization: Basic {basic}; "
        f"Bearer 1790000000.{signature}"
    )
    assert find(text, needles) == {
        "secret x_password": 1,
        "secret keys.json": 1,
        "secret api_key (base64)": 1,
        "secret ADP bearer token": 1,
        "student name": 2,
        "student last name": 1,
        "student birth date": 2,
    }
    ordinary = (
        "ana cruz washington 12015-03-09 2015-03-091 run 0123456789a ZX9_kq2- "
        f"Bearer 1790000001.{signature}"
    )
    assert find(ordinary, needles) == {}


def test_the_log_level_reaches_the_local_instance_and_a_typo_is_refused(
    tmp_path, monkeypatch, ledger
):
    """``TEAMSTER_LOG_LEVEL`` is what puts the libraries' DEBUG lines in the event log
    the scan reads; unset, the instance is as before; a typo is an error naming the
    variable, not a silent default."""

    def instance_logging(name: str) -> tuple[str | None, list[str]]:
        home = dagster_home(SimpleNamespace(data_dir=tmp_path / name))
        with DagsterInstance.from_config(str(home)) as instance:
            return instance.python_log_level, list(instance.managed_python_loggers)

    monkeypatch.delenv("TEAMSTER_LOG_LEVEL", raising=False)
    (tmp_path / "unset").mkdir()
    assert instance_logging("unset") == (None, [])
    monkeypatch.setenv("TEAMSTER_LOG_LEVEL", "debug")
    (tmp_path / "debug").mkdir()
    assert instance_logging("debug") == ("DEBUG", ["root"])

    monkeypatch.setenv("TEAMSTER_LOG_LEVEL", "verbose")
    (tmp_path / "typo").mkdir()
    with pytest.raises(LogLevelError) as raised:
        instance_logging("typo")
    assert str(raised.value) == (
        "TEAMSTER_LOG_LEVEL='verbose' is not a log level: "
        "use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    )
    ledger.refused("TEAMSTER_LOG_LEVEL typo")
