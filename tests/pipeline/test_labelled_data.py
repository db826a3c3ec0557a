"""The real labelled notices of ``tests/data/real_*.jsonl``: schema, provenance, split and quotas.

The set measures the classifier on notices the project did not write (issue 14), so these checks
guard what the figures rest on: every row is well formed and traceable to its source, the
development/test split is the one the hash gives (adding rows never moves one), no notice is
counted twice, and the quotas of the issue hold. See ``tests/data/README.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tenderwatch.config import load_config

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
PARTS = ("dev", "test")
LANGUAGES = {"en", "de", "fr", "nl", "it", "es"}
QUOTA_LANGUAGES = ("de", "fr", "nl", "it", "es")
KINDS = {"ted-eforms", "ted-legacy", "ted-api", "site", "portal", "sample"}
REQUIRED = {"id", "language", "organisation", "buyer", "title", "description", "cpv_codes", "areas", "provenance"}
PROVENANCE_KEYS = {"kind", "repo", "path", "commit", "url"}
MAX_DESCRIPTION = 1_502  # cut at 1,500 characters on a word boundary, then " …"
MIN_POSITIVES = 25  # per taxonomy area (issue 14)


def part_of(item_id: str) -> str:
    """The part an id belongs to, decided once by its hash (README: "Split once, by a hash")."""
    return "test" if int(hashlib.sha1(item_id.encode()).hexdigest(), 16) % 10 < 4 else "dev"


def normalised(title: str) -> str:
    folded = unicodedata.normalize("NFKD", title.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", folded).strip()


def read_part(part: str) -> list[dict[str, Any]]:
    path = DATA / f"real_{part}.jsonl"
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"{path.name}:{number}: empty line"
        row = json.loads(line)
        assert isinstance(row, dict), f"{path.name}:{number}: not a JSON object"
        row["_where"] = f"{path.name}:{number}"
        row["_part"] = part
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return [row for part in PARTS for row in read_part(part)]


@pytest.fixture(scope="module")
def vocabulary() -> tuple[set[str], set[str]]:
    config = load_config(ROOT / "config")
    return {a.id for a in config.taxonomy.areas}, {o.code for o in config.organisations}


def test_every_row_follows_the_schema(rows: list[dict[str, Any]], vocabulary: tuple[set[str], set[str]]) -> None:
    area_ids, org_codes = vocabulary
    for row in rows:
        where = row["_where"]
        keys = set(row) - {"_where", "_part"}
        assert REQUIRED <= keys <= REQUIRED | {"note"}, f"{where}: keys {sorted(keys)}"
        assert isinstance(row["id"], str) and re.fullmatch(r"[a-z0-9][a-z0-9.-]*", row["id"]), f"{where}: id"
        assert row["language"] in LANGUAGES, f"{where}: language {row['language']!r}"
        assert row["organisation"] is None or row["organisation"] in org_codes, f"{where}: organisation"
        assert row["buyer"] is None or (isinstance(row["buyer"], str) and row["buyer"].strip()), f"{where}: buyer"
        assert isinstance(row["title"], str) and row["title"].strip() == row["title"] != "", f"{where}: title"
        description = row["description"]
        assert description is None or (isinstance(description, str) and 0 < len(description) <= MAX_DESCRIPTION), \
            f"{where}: description must be null or at most {MAX_DESCRIPTION} characters"
        assert all(isinstance(c, str) and re.fullmatch(r"\d{8}", c) for c in row["cpv_codes"]), f"{where}: cpv_codes"
        areas = row["areas"]
        assert isinstance(areas, list) and len(set(areas)) == len(areas), f"{where}: areas: a list, no repeats"
        assert set(areas) <= area_ids, f"{where}: unknown areas {sorted(set(areas) - area_ids)}"
        if "note" in row:
            assert isinstance(row["note"], str) and row["note"].strip(), f"{where}: note"


def test_every_row_says_where_it_came_from(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        where, provenance = row["_where"], row["provenance"]
        assert isinstance(provenance, dict) and set(provenance) == PROVENANCE_KEYS, f"{where}: provenance keys"
        assert provenance["kind"] in KINDS, f"{where}: provenance kind {provenance['kind']!r}"
        if provenance["repo"] is not None:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+", provenance["repo"]), f"{where}: repo"
            assert provenance["path"], f"{where}: a repository file needs its path"
            assert re.fullmatch(r"[0-9a-f]{40}", provenance["commit"] or ""), f"{where}: commit"
        else:
            assert (provenance["url"] or "").startswith(("https://", "http://")), f"{where}: a page needs its address"
        if provenance["kind"] == "sample":
            assert (provenance["path"] or "").startswith("../shared/samples/"), f"{where}: sample path"


def test_ids_are_unique_and_the_hash_split_holds(rows: list[dict[str, Any]]) -> None:
    ids = Counter(row["id"] for row in rows)
    assert not [i for i, n in ids.items() if n > 1], "ids must be unique across both parts"
    misplaced = [row["id"] for row in rows if part_of(row["id"]) != row["_part"]]
    assert not misplaced, f"rows in the wrong part for their hash: {misplaced[:5]}"


def test_no_notice_is_counted_twice(rows: list[dict[str, Any]]) -> None:
    titles = Counter(normalised(row["title"]) for row in rows if len(normalised(row["title"])) > 12)
    assert not [t for t, n in titles.items() if n > 1], "the same notice appears twice (normalised title)"
    ted_numbers = Counter(row["id"] for row in rows if row["id"].startswith("ted-"))
    assert max(ted_numbers.values(), default=1) == 1


def test_the_quotas_of_issue_14_hold(rows: list[dict[str, Any]]) -> None:
    assert len(rows) >= 500, f"{len(rows)} labelled notices, at least 500 wanted"
    languages = Counter(row["language"] for row in rows)
    short = {lang: languages[lang] for lang in QUOTA_LANGUAGES if languages[lang] < 60}
    assert not short, f"fewer than 60 notices in {short}"
    assert languages["en"] >= 60
    assert all(sum(1 for row in rows if row["_part"] == part) >= 100 for part in PARTS)


def test_every_area_has_enough_positives(rows: list[dict[str, Any]], vocabulary: tuple[set[str], set[str]]) -> None:
    """Issue 14: at least 25 positives per taxonomy area, so that a per-area recall means something."""
    area_ids, _ = vocabulary
    positives = Counter(area for row in rows for area in row["areas"])
    short = {area: positives[area] for area in sorted(area_ids) if positives[area] < MIN_POSITIVES}
    assert not short, f"fewer than {MIN_POSITIVES} positives in {short}"


def test_labels_leave_services_mostly_alone(rows: list[dict[str, Any]]) -> None:
    """`services` is a finding of its own (LABELLING.md): combined with a technical area only by exception."""
    mixed = [row for row in rows if "services" in row["areas"] and len(row["areas"]) > 1]
    assert all("note" in row for row in mixed), [row["id"] for row in mixed if "note" not in row]
    assert len(mixed) <= 0.05 * len(rows)
