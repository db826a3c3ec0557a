"""A buyer's name is laid over the organisations' names: masked as if the tables were merged, nothing copied."""

from __future__ import annotations

import itertools

from pipeline.classify import Classifier, _name_positions, _NameTable, tokens
from pipeline.evaluation import ROOT, load_taxonomy

ORGANISATIONS = ["Fusion Lab", "Fusion for Energy", "European Space Agency", "The SKA Observatory"]
BUYERS = ["Fusion Reactor Institute", "Fusion", "European Space Agency", "the European Southern Observatory",
          "Space", "SKA", "123", "Fusion Lab Annex"]


def _merged(names: list[str]) -> _NameTable:
    """The reference: one table built from every name, as the classifier built it for its organisations."""
    classifier = Classifier(load_taxonomy(ROOT / "config" / "taxonomy.yaml"), names=names)
    return classifier._shared


def test_a_buyers_overlay_masks_exactly_what_one_merged_table_masks() -> None:
    classifier = Classifier(load_taxonomy(ROOT / "config" / "taxonomy.yaml"), names=ORGANISATIONS)
    vocabulary = sorted({w for n in ORGANISATIONS + BUYERS for w in tokens(n)} | {"magnet", "x"})
    texts = [list(t) for t in itertools.product(vocabulary[:6], repeat=3)] + [
        tokens("Fusion Reactor Institute and Fusion Lab Annex buy from the European Space Agency magnets"),
        tokens("Fusion Fusion Lab Fusion Reactor Institute Space SKA 123 x")]
    for buyer in BUYERS:
        overlay = classifier._names_with(buyer)
        merged = _merged([*ORGANISATIONS, buyer])
        for words in texts:
            assert overlay.any_in(words) == merged.any_in(words), (buyer, words)
            assert _name_positions(words, overlay) == _name_positions(words, merged), (buyer, words)
    # the shared table is never changed, and a buyer that is an organisation gets it as it is
    assert classifier._shared.own == {}
    assert classifier._names == _merged(ORGANISATIONS).shared
    assert classifier._names_with("European Space Agency") is classifier._shared
    # a new buyer's overlay holds its own first word only
    assert set(classifier._names_with("Fusion Reactor Institute").own) == {"fusion"}
    assert classifier._names_with("Fusion Reactor Institute").own["fusion"] == [
        ("fusion", "for", "energy"), ("fusion", "reactor", "institute"), ("fusion", "lab")]


def test_a_buyers_words_are_no_evidence_but_others_still_are() -> None:
    classifier = Classifier(load_taxonomy(ROOT / "config" / "taxonomy.yaml"), names=["Fusion Lab"])
    masked = classifier.classify("Fusion Reactor Institute: cleaning", None, [], "en", buyer="Fusion Reactor Institute")
    assert [a.id for a in masked] == ["services"]
    assert "nuclear" in {a.id for a in classifier.classify("Fusion reactor components", None, [], "en", buyer="X")}
    assert [a.id for a in classifier.classify("Fusion Lab catering", None, [], "en", buyer="Fusion Reactor")] \
        == ["services"]
