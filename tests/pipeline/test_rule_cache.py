"""The compiled rule tables kept between processes (``pipeline.rule_cache``): a classifier read from the
cache classifies every real notice exactly as one compiled anew; a changed taxonomy is a new entry, never
the old tables; a broken entry or a folder that cannot be written costs a compilation, nothing else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline import rule_cache
from pipeline.classify import Classifier
from pipeline.evaluation import load_classifier, load_part, organisation_names
from tenderwatch.config.taxonomy import TaxonomyConfig


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TENDERWATCH_CACHE_DIR", str(tmp_path))
    return tmp_path / "rule-tables"


def compiled_anew(monkeypatch: pytest.MonkeyPatch) -> Classifier:
    with monkeypatch.context() as patch:
        patch.setattr(rule_cache, "load", lambda *args, **kwargs: None)
        patch.setattr(rule_cache, "store", lambda *args, **kwargs: None)
        classifier = load_classifier()
        classifier._view(None)  # every language compiled while the cache is out of reach
    return classifier


def from_cache(monkeypatch: pytest.MonkeyPatch) -> Classifier:
    """A classifier that must not compile its rules: it reads them from the cache."""

    def no_compiling(self: Classifier, *args: object) -> None:
        raise AssertionError("the rules were compiled although the cache holds them")

    with monkeypatch.context() as patch:
        patch.setattr(Classifier, "_rules", no_compiling)
        patch.setattr(Classifier, "_all_tables", no_compiling)
        classifier = load_classifier()
        classifier._view(None)
    return classifier


def test_a_classifier_read_from_the_cache_classifies_every_real_notice_as_one_compiled_anew(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_classifier()._view("de")  # the first process compiles and writes the entry
    assert len(list(cache.glob("*.pickle"))) == 1
    cached, fresh = from_cache(monkeypatch), compiled_anew(monkeypatch)
    notices = load_part("dev") + load_part("written-dev")
    assert len(notices) > 1000
    for notice in notices:
        args = (notice["title"], notice.get("description"), notice.get("cpv_codes"), notice.get("language"))
        assert cached.classify(*args) == fresh.classify(*args), notice.get("id")


def test_equal_rules_are_one_object_in_a_cached_entry(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_classifier()._view(None)
    cached = from_cache(monkeypatch)
    rules = [rule for _, rule in cached._all_rules]
    assert len({id(rule) for rule in rules}) == len(set(rules)) < 1000 < len(rules)
    shared = {id(rule) for rule in rules}
    in_tables = {id(rule) for table in cached._tables.values() for entries in table.keys.values()
                 for found in entries.values() for rule in found}
    assert in_tables <= shared


def test_a_changed_taxonomy_is_a_new_entry_and_never_reads_the_old_tables(cache: Path) -> None:
    base = load_classifier().taxonomy
    Classifier(base, organisation_names())._view("en")
    data = base.model_dump()
    electronics = next(area for area in data["areas"] if area["id"] == "electronics")
    electronics["keywords"].setdefault("en", []).append("flux capacitor")
    changed = TaxonomyConfig.model_validate(data)
    title = "Supply of a flux capacitor"
    assert "electronics" not in {a.id for a in Classifier(base).classify(title, language="en")}
    assert "electronics" in {a.id for a in Classifier(changed).classify(title, language="en")}
    assert len(list(cache.glob("*.pickle"))) == 2


@pytest.mark.parametrize("content", [b"", b"not a pickle", b"\x80\x05\x95garbage"])
def test_a_broken_entry_is_compiled_anew_and_replaced(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                      content: bytes) -> None:
    load_classifier()._view("en")
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(content)
    fresh = compiled_anew(monkeypatch)
    classifier = load_classifier()
    title = "Supply of a cryostat for the magnet test bench"
    assert classifier.classify(title, language="en") == fresh.classify(title, language="en") != []
    assert rule_cache.load(entry.stem) is not None  # whole again for the next process


def test_an_entry_stored_under_another_key_is_not_read(cache: Path) -> None:
    rule_cache.store("a" * 32, ["tables"])
    os.replace(cache / f"{'a' * 32}.pickle", cache / f"{'b' * 32}.pickle")
    assert rule_cache.load("b" * 32) is None
    assert rule_cache.load("a" * 32) is None


def test_a_folder_that_cannot_be_written_costs_only_the_compilation(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TENDERWATCH_CACHE_DIR", str(blocker))
    classifier = load_classifier()
    assert [a.id for a in classifier.classify("Supply of a cryostat", language="en")] == ["cryogenics"]
    assert blocker.read_text() == "not a folder"


def test_only_the_newest_entries_are_kept(cache: Path) -> None:
    for i in range(rule_cache.KEEP + 3):
        rule_cache.store(f"{i:032d}", i)
        os.utime(cache / f"{i:032d}.pickle", (1_000_000 + i, 1_000_000 + i))
    kept = sorted(p.stem for p in cache.glob("*.pickle"))
    assert kept == [f"{i:032d}" for i in range(3, rule_cache.KEEP + 3)]
    assert not list(cache.glob(".*.tmp"))
