"""The classifier's language machinery: phrases across articles and prepositions, lemmas, compound
heads, and the six languages' words of the areas accelerator, magnets, cryogenics, vacuum, rf, power
and nuclear (``config/taxonomy.yaml``, by ``../shared/classify/LABELLING.md``)."""

from __future__ import annotations

import pytest

from pipeline.classify import Classifier
from pipeline.evaluation import load_classifier


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return load_classifier()


def areas_in(classifier: Classifier, title: str, language: str | None) -> set[str]:
    return {a.id for a in classifier.classify(title, None, [], language)}


def test_articles_and_prepositions_may_stand_between_a_phrases_words(classifier: Classifier) -> None:
    """'recuperation d helium' matches "récupération de l'hélium": up to two gap words
    (``phrase_gap_words``) between a phrase's words, but no other word."""
    assert areas_in(classifier, "Système de récupération de l'hélium", "fr") == {"cryogenics"}
    assert "cryogenics" not in areas_in(classifier, "Récupération des déchets et hélium", "fr")
    found = list(classifier.matches("récupération de l'hélium", "fr"))
    assert [(i, n, words) for i, n, words, rule, _ in found if rule.area == "cryogenics" and n > 1] == [
        (0, 4, "recuperation de l helium")
    ]
