"""``morphology.key`` looks a word up in the dictionary once and takes that look-up's answer as the word's lemma
when there is one, and as whether the word is known (it lemmatised the word and then looked it up again). The
keys stay the same as long as, for these languages, the lemmatiser's answer for a word the dictionary knows is
the dictionary's, and one look-up says what ``_known`` says: both are checked here on thousands of words, so
a simplemma version that puts another strategy before its dictionary fails this test rather than the keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from simplemma.utils import normalize_token

from pipeline import morphology
from pipeline.classify import _TOKEN
from pipeline.morphology import LANGUAGES, _known

ROOT = Path(__file__).resolve().parents[2]


def _words() -> list[str]:
    """Words of the taxonomy and of the labelled dev notices' titles, known and unknown to the dictionaries,
    and a few edge cases (numbers that are not digits, short words, German nouns written lower-case)."""
    words = set(_TOKEN.findall((ROOT / "config" / "taxonomy.yaml").read_text(encoding="utf-8").casefold()))
    dev = ROOT / "tests" / "data" / "classify_dev.jsonl"
    if dev.exists():
        for line in dev.read_text(encoding="utf-8").splitlines()[:300]:
            words.update(_TOKEN.findall(json.loads(line)["title"].casefold()))
    words.update(["½", "²", "ⅻ", "3d", "a", "ab", "luftung", "strahlenschutz", "xqzvt", "magneten", "vacios"])
    return sorted(words)


@pytest.mark.parametrize("lang", [*sorted(LANGUAGES), "pl"])
def test_one_look_up_gives_the_lemma_and_whether_the_word_is_known(lang: str) -> None:
    words = _words()
    assert len(words) > 2000
    lemma_differs, known_differs = [], []
    for word in words:
        for form in (word, word.capitalize()):  # ``key`` looks up a German noun capitalised
            token = normalize_token(form)
            found = morphology._LOOKUP.get_lemma(token, lang)
            if found is not None and not token.isnumeric() and found != morphology._LEMMATIZER.lemmatize(form, lang):
                lemma_differs.append(form)
            if (found is not None) != _known(form, lang):
                known_differs.append(form)
    assert not lemma_differs, lemma_differs[:20]
    assert not known_differs, known_differs[:20]


def test_keys_of_known_and_unknown_words() -> None:
    """What the keys are, known words and unknown ones (the fallback), in each kind of language."""
    assert morphology.key("magneten", "de") == morphology.key("magnet", "de")
    assert morphology.key("klystrons", "fr") == morphology.key("klystron", "fr")
    assert morphology.key("xqzvts", "fr") == "xqzvt"  # unknown: the Romance singular
    assert morphology.key("xqzvtungen", "de") == "xqzvt"  # unknown: the stem
    assert morphology.key("xqzvtungen", "de", strict=True) == "xqzvtungen"
    assert morphology.key("12345", "en") == "12345"
    # a known word that is its own lemma keeps it (an unknown one would lose an ending: "glas", "proc")
    assert morphology.key("glass", "en") == "glass"
    assert morphology.key("process", "en") == "process"
