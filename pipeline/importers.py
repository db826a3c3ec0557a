"""``tenderwatch import``: read notices from files, folders or standard input into the store.

A file is dispatched by its content type: JSON lines (the export contract) here; XML and TED
packages by ``pipeline.ted.importer`` (imported when an import starts, to keep start-up light).
Every bad line or file is reported with where and why and kept in ``rejects``; the rest of the
import goes on. Importing the same input twice changes nothing (the store keys notices by source
and external id).

An import costs a bounded amount whatever it is given (``ImportLimits``): a rejected input keeps
its first ``REJECT_PREFIX`` bytes (in memory, in the rejects table and in the rejects folder) and is
otherwise described by its size and SHA-256; a package may not decompress to more than
``max_ratio`` times its size (a compression bomb), an import not to more than ``max_bytes`` in all,
and the rejects folder gets at most ``max_reject_disk`` bytes per import. What is refused is named
(``package.tar.gz:member.xml``) with the limit that refused it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from pipeline.export import record_from_export
from pipeline.import_base import Importer, ImportLimits, Item, Problem

MAX_LINE = 20_000_000


def read_jsonl(stream: IO[str], name: str) -> Iterator[Item]:
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        if len(line) > MAX_LINE:
            yield Problem(where, f"line longer than {MAX_LINE} characters", line[:1000])
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Problem(where, f"not valid JSON: {exc.msg} at column {exc.colno}", line)
            continue
        if not isinstance(obj, dict):
            yield Problem(where, "expected a JSON object", line)
            continue
        try:
            yield record_from_export(obj)
        except ValidationError as exc:
            fields = "; ".join(
                f"field '{'.'.join(str(p) for p in e['loc'])}': {e['msg']}" for e in exc.errors()[:3]
            )
            yield Problem(where, f"not a valid notice: {fields}", line)
        except KeyError as exc:
            yield Problem(where, f"not a valid notice: missing field {exc}", line)
        except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:  # AttributeError: "buyer": []
            yield Problem(where, f"not a valid notice: {exc}", line)


def _jsonl_file(path: Path, limits: ImportLimits) -> Iterator[Item]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        yield from read_jsonl(fh, str(path))


IMPORTERS: dict[str, Importer] = {".jsonl": _jsonl_file, ".json": _jsonl_file, ".ndjson": _jsonl_file}
"""File suffix -> importer; ``_register_optional`` adds TED's .xml, .tar.gz, .tgz."""


def _suffix(path: Path, suffixes: Iterable[str] | None = None) -> str:
    """The importer suffix of a file name (``suffixes``: ``IMPORTERS``' keys, longest first, when the caller
    sorted them already)."""
    name = path.name.lower()
    for suffix in suffixes if suffixes is not None else sorted(IMPORTERS, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _listed(paths: Iterable[Path]) -> Iterator[tuple[Path, bool]]:
    """Each file of ``paths`` (a folder's files in sorted order), and whether it was just found in a folder
    listing as a file (it exists: not asked again, one ``stat`` fewer a file of a folder of notices)."""
    for path in paths:
        if path.is_dir():
            yield from ((p, True) for p in sorted(path.rglob("*")) if p.is_file())
        else:
            yield path, False


def iter_paths(paths: Iterable[Path]) -> Iterator[Path]:
    for path, _ in _listed(paths):
        yield path


def iter_items(paths: Iterable[Path], limits: ImportLimits | None = None) -> Iterator[Item]:
    """Every record or problem from the given paths, in order; never raises for bad content."""
    limits = limits or ImportLimits()
    _register_optional()
    suffixes = sorted(IMPORTERS, key=len, reverse=True)
    for path, listed in _listed(paths):
        if not listed and not path.exists():
            yield Problem(str(path), "no such file")
            continue
        importer = IMPORTERS.get(_suffix(path, suffixes))
        if importer is None:
            yield Problem(str(path), f"unknown file type {path.suffix!r} (known: {', '.join(sorted(IMPORTERS))})")
            continue
        try:
            yield from importer(path, limits)
        except OSError as exc:
            yield Problem(str(path), f"cannot read: {exc}")


def _register_optional() -> None:
    """Add the TED importers (imported lazily to keep start-up light); the base they share with this
    module is ``pipeline.import_base``, so neither imports the other's registry."""
    if ".xml" in IMPORTERS:
        return
    try:
        from pipeline.ted.importer import TED_IMPORTERS
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("pipeline.ted"):
            raise
        return
    IMPORTERS.update(TED_IMPORTERS)
