"""The reliability figures: what each test injected and what it measured, for ``bench/reliability.py``.

Every test of this folder reports through the ``figures`` fixture: a fault it injected (and
whether the system survived it, i.e. the test's assertions after the fault passed), fuzz cases it
ran (and how many raised an exception no parser should raise), and the notices lost, emails
duplicated and emails missed that it *counted* before asserting they are zero. When
``TENDERWATCH_RELIABILITY_REPORT`` names a file, each figure is appended to it as one JSON line;
``bench/reliability.py`` runs the suite with it set and prints the table. Counting before
asserting matters: the table shows what was measured, not what the test hoped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

REPORT_ENV = "TENDERWATCH_RELIABILITY_REPORT"
T = TypeVar("T")


@dataclass
class Figure:
    test: str
    category: str
    name: str
    injected: int = 0
    survived: int = 0
    cases: int = 0
    unhandled: int = 0
    lost: int = 0
    duplicated: int = 0
    missed: int = 0
    counts: int = 0
    """Measurements of lost/duplicated/missed taken (one per ``count``)."""
    detail: str = ""
    """For an attack: what was measured (``Figures.attack``)."""


@dataclass
class Figures:
    """Collects the figures of one test; written out as they come (a failing test still reports)."""

    test: str
    rows: list[Figure] = field(default_factory=list)

    def _write(self, row: Figure) -> None:
        self.rows.append(row)
        target = os.environ.get(REPORT_ENV)
        if target:
            with Path(target).open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(row)) + "\n")

    @contextmanager
    def fault(self, category: str, name: str) -> Iterator[None]:
        """One injected fault; survived when the block (the fault and the checks after it) completes."""
        try:
            yield
        except BaseException:
            self._write(Figure(self.test, category, name, injected=1, survived=0))
            raise
        self._write(Figure(self.test, category, name, injected=1, survived=1))

    def count(self, category: str, name: str, *, lost: int = 0, duplicated: int = 0, missed: int = 0) -> None:
        """Measured losses and duplicates (the test asserts them zero right after)."""
        self._write(Figure(self.test, category, name, lost=lost, duplicated=duplicated, missed=missed, counts=1))

    def attack(self, name: str, *, stopped: bool, detail: str) -> None:
        """One attack tried on the running system, whether it was stopped and what was measured; the test
        asserts ``stopped`` right after (recorded first, so a failure still shows in the table)."""
        self._write(Figure(self.test, "attack", name, injected=1, survived=int(stopped), detail=detail))

    def fuzz(self, name: str, tally: Tally) -> None:
        self._write(Figure(self.test, "fuzz", name, cases=tally.cases, unhandled=tally.unhandled))


@dataclass
class Tally:
    """Counts fuzz cases; an exception outside ``expected`` is counted as unhandled and re-raised."""

    expected: tuple[type[BaseException], ...] = ()
    cases: int = 0
    unhandled: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def run(self, fn: Callable[[], T]) -> T | None:
        self.cases += 1
        try:
            result = fn()
        except self.expected as exc:
            key = type(exc).__name__
            self.outcomes[key] = self.outcomes.get(key, 0) + 1
            return None
        except Exception:
            self.unhandled += 1
            raise
        return result


def examples(default: int) -> int:
    """Fuzz examples per property: ``TENDERWATCH_FUZZ_EXAMPLES`` raises it for a soak run."""
    value = os.environ.get("TENDERWATCH_FUZZ_EXAMPLES")
    return int(value) if value and value.isdigit() else default


def asdicts(rows: list[Figure]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]
