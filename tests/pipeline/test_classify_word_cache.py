"""The classifier's word cache (``_Compiled.word_cache``): bounded in two generations, frequent words
kept across every turn, and only the keys a phrase can continue with stored per word."""

from __future__ import annotations

import pytest

import pipeline.classify as classify_module
from pipeline.classify import _NO_KEYS, Classifier
from pipeline.evaluation import load_classifier


@pytest.fixture
def classifier(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Classifier:  # type: ignore[no-untyped-def]
    """A fresh one per test, the caches being what is tested, with no word entries kept by other tests."""
    monkeypatch.setenv("TENDERWATCH_CACHE_DIR", str(tmp_path))
    return load_classifier()


def test_the_cache_is_bounded_and_a_frequent_word_is_never_recomputed(
        classifier: Classifier, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long import meets new words all the time; a full cache once emptied itself, and every word,
    the most frequent too, cost a dictionary lookup again (about 300 us each)."""
    monkeypatch.setattr(classify_module, "_CACHE_LIMIT", 40)
    assert {a.id for a in classifier.classify("Cryostat for the test stand", None, [], "en")} == {"cryogenics"}
    view = classifier._view("en")
    first = view.word_cache["cryostat"]
    for n in range(400):  # 800 new words, twenty turns of the generations
        title = f"Cryostat xq{n}a yq{n}b"
        assert {a.id for a in classifier.classify(title, None, [], "en")} == {"cryogenics"}
        assert len(view.word_cache) <= 40 and len(view.older_words) <= 40
    current = view.word_cache.get("cryostat") or view.older_words.get("cryostat")
    assert current is first
    assert "xq0a" not in view.word_cache and "xq0a" not in view.older_words


def test_a_word_keeps_only_the_keys_that_continue_a_phrase(classifier: Classifier) -> None:
    """The entry of a word keeps the lemma keys a later phrase word may have; the rest (most words) is
    one shared empty table, which is what brought a cached word from about 780 to 260 bytes."""
    assert {a.id for a in classifier.classify("Fourniture de pompes à vide", None, [], "fr")} == {"vacuum"}
    view = classifier._view("fr")
    assert view.word_cache["fourniture"][0] is _NO_KEYS
    kept = view.word_cache["vide"][0]
    assert kept and all(k in view.continues[lang] for lang, ks in kept.items() for k in ks)
