"""Word entries kept between processes (``Classifier.keep_words``, ``pipeline.rule_cache.WORDS``): a
classifier that reads them classifies every real dev notice exactly as the one that computed them, without
computing a word again; a broken file is a miss; an ingestor keeps its classifier's words when it closes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pipeline import rule_cache
from pipeline.classify import Classifier
from pipeline.evaluation import load_classifier, load_part
from pipeline.ingest import Ingestor
from pipeline.records import NoticeRecord
from tenderwatch.config import Config


@pytest.fixture
def words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TENDERWATCH_CACHE_DIR", str(tmp_path))
    return tmp_path / rule_cache.WORDS


def classify_all(classifier: Classifier) -> list[object]:
    return [classifier.classify(n["title"], n.get("description"), n.get("cpv_codes"), n.get("language"))
            for n in load_part("dev") + load_part("written-dev")]


def fresh_words(classifier: Classifier) -> dict[str | None, int]:
    return {language: view.fresh for language, view in classifier._views.items() if view.fresh}


def test_kept_words_classify_every_dev_notice_as_computed_and_are_not_computed_again(words: Path) -> None:
    first = load_classifier()
    computed = classify_all(first)
    assert fresh_words(first)
    first.keep_words()
    files = {p.name: p.stat().st_mtime_ns for p in words.glob("*.pickle")}
    assert len(files) == len(first._views) >= 6
    assert fresh_words(first) == {}

    second = load_classifier()
    assert classify_all(second) == computed
    assert fresh_words(second) == {}  # every word of every notice came from the kept entries
    second.keep_words()  # nothing new: nothing written
    assert {p.name: p.stat().st_mtime_ns for p in words.glob("*.pickle")} == files


def test_a_broken_word_file_is_a_miss(words: Path) -> None:
    first = load_classifier()
    computed = classify_all(first)
    first.keep_words()
    for path in words.glob("*.pickle"):
        path.write_bytes(b"\x80\x05not a pickle")
    again = load_classifier()
    assert classify_all(again) == computed
    assert fresh_words(again)  # computed anew


def test_the_ingestor_keeps_its_classifiers_words_when_it_closes(words: Path, engine: Engine, config: Config) -> None:
    record = NoticeRecord(source="cern-site", organisation="CERN", external_id="IT-9001",
                          title="Supply of a helium liquefier", published_at=datetime(2026, 12, 1, tzinfo=UTC))
    with Ingestor(engine, config) as ing:
        ing.add(record)
        language = next(iter(ing.classifier._views))
    assert sorted(p.name.split("-", 1)[1] for p in words.glob("*.pickle")) == [
        f"{'all' if language is None else language}.pickle"]
    kept = Classifier.for_config(config)._view(language).word_cache
    assert {"helium", "liquefier"} <= kept.keys()
