"""TED ingest makes the same records and stores the same rows as when ``expected_records.json`` was written.

A differential check for rewrites of the parsers, the cleaning step and the store's bulk path: every
official sample of ``../shared/ted`` (skipped where it is absent) and every TED fixture of the project is
read and stored, and compared byte for byte (as digests) with what the code made before. A deliberate
change of the records is written down again with ``python -m tests.ted.records_digest --write`` (see there).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ted.records_digest import EXPECTED, SHARED, record_digests, sample_files, stored_digest

HOW = "if the change is meant, write them again: .venv/bin/python -m tests.ted.records_digest --write"


def _expected() -> dict[str, str]:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


@pytest.mark.parametrize("part", ["fixtures", "shared"])
def test_records_unchanged(part: str, tmp_path: Path) -> None:
    if part == "shared" and not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent")
    expected = {name: value for name, value in _expected().items() if name.startswith(part + "/")}
    files = {name: path for name, path in sample_files().items() if name.startswith(part + "/")}
    assert sorted(files) == sorted(expected), f"the documents compared are not the ones written down; {HOW}"
    changed = sorted(name for name, value in record_digests(files).items() if expected[name] != value)
    assert not changed, f"records changed for {changed}; {HOW}"
    assert stored_digest(files, tmp_path) == _expected()[f"stored:{part}"], f"the stored rows changed; {HOW}"
