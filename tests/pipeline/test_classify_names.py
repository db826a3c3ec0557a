"""Buyer names are masked per notice without altering the organisations' shared name table."""

from __future__ import annotations

from pipeline.classify import Classifier
from pipeline.evaluation import ROOT, load_taxonomy
from tenderwatch.config.taxonomy import TaxonomyConfig


def test_a_buyers_name_is_masked_and_the_shared_names_stay_as_they_were() -> None:
    taxonomy: TaxonomyConfig = load_taxonomy(ROOT / "config" / "taxonomy.yaml")
    classifier = Classifier(taxonomy, names=["Fusion Lab"])
    shared = {k: list(v) for k, v in classifier._names.items()}
    # the buyer's name starts with the same word as an organisation's: its list is replaced, not extended
    found = classifier.classify("Fusion Reactor Institute: cleaning", None, [], "en", buyer="Fusion Reactor Institute")
    assert [a.id for a in found] == ["services"]
    assert classifier._names == shared
    # the organisation's own name is still masked, and an unmasked text still counts
    assert [a.id for a in classifier.classify("Fusion Lab catering", None, [], "en")] == ["services"]
    assert "nuclear" in {a.id for a in classifier.classify("Fusion reactor components", None, [], "en")}
