"""The reliability suite's ledger: what each test injected, refused, lost and leaked.

Every test in ``tests/reliability/`` records what it did through the ``ledger``
fixture; the session ends with one line adding them up (docs/reliability.md carries
the same table). A fault counts as survived only when its ``with ledger.fault(...)``
block finishes without an error: the block holds the test's own assertions, so a
fault that is not survived also fails its test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest


@dataclass
class Ledger:
    faults_injected: int = 0
    faults_survived: int = 0
    bad_inputs_refused: int = 0
    rows_lost: int = 0
    secrets_leaked: int = 0
    names: list[str] = field(default_factory=list)

    @contextmanager
    def fault(self, name: str) -> Iterator[None]:
        """Inject one fault: the block injects it, runs through it and checks the state
        after; counted as survived only if the block completes."""
        self.faults_injected += 1
        self.names.append(name)
        yield
        self.faults_survived += 1

    def refused(self, name: str) -> None:
        """One bad input refused with a clear error (the test has checked the error)."""
        self.bad_inputs_refused += 1
        self.names.append(name)

    def lost(self, rows: int) -> None:
        """Rows the truth holds that the warehouse does not (or holds twice)."""
        self.rows_lost += abs(rows)

    def leaked(self, hits: int) -> None:
        """Secret or personal values found where they must not be."""
        self.secrets_leaked += hits

    def line(self) -> str:
        return (
            f"reliability: {self.faults_injected} faults injected, "
            f"{self.faults_survived} faults survived, "
            f"{self.bad_inputs_refused} bad inputs refused, "
            f"{self.rows_lost} rows lost, {self.secrets_leaked} secrets leaked"
        )


_LEDGER = Ledger()


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return _LEDGER


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 (pytest's hook)
    if _LEDGER.names:
        terminalreporter.write_line(_LEDGER.line())
