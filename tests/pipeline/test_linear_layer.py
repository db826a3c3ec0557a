"""The learned layer over the rules (pipeline.linear_layer) and its training (pipeline.layer_training).

The layer ships switched off (``learned_layer: false``): nested cross-validation on the real dev part
showed no gain over the rules (``bench/classify_learned.py``). These tests keep the mechanism true:
it decides only its areas, its evidence is the terms that decided, its training is deterministic
and reads the dev part only, and asking for a layer that was never built is a clear error.
"""

from __future__ import annotations

import pytest

from pipeline import linear_layer
from pipeline.classify import Classifier
from pipeline.evaluation import load_part, load_taxonomy
from pipeline.layer_training import TAXONOMY, dump, examples, fit, fold_of, rules_classifier
from pipeline.linear_layer import LayerMissingError, LinearLayer


@pytest.fixture(scope="module")
def rules() -> Classifier:
    return rules_classifier()


def test_the_shipped_taxonomy_keeps_the_layer_off(rules: Classifier) -> None:
    assert load_taxonomy(TAXONOMY).learned_layer is False
    assert rules.layer is None
    found = rules.findings("Supply of a helium cryostat", None, ["31643000"], "en")
    assert [a.id for a in found.chosen] == [a.id for a in rules.classify("Supply of a helium cryostat", None,
                                                                           ["31643000"], "en")]
    assert found.terms["c:3164"] == "cpv:31643000"
    assert found.terms["t:cryostat"] == "title:cryostat"


TITLE = "Lieferung eines Kryostaten und einer Vakuumpumpe"


def test_layer_decides_its_areas_with_the_words_that_decided(rules: Classifier) -> None:
    found = rules.findings(TITLE, None, [], "de")
    word = next(f for f, tag in found.terms.items() if tag == "title:kryostaten")
    weights = {"decides": ["cryogenics", "power"], "bias": {"cryogenics": -1.0, "power": -1.0},
               "rule": {"cryogenics": {}, "power": {"r:nothing": 5.0}}, "terms": {word: {"cryogenics": 2.0}}}
    layer = LinearLayer(weights, areas={a.id for a in rules.taxonomy.areas})
    with_layer = Classifier(rules.taxonomy, names=rules.names, layer=layer)
    got = {a.id: a for a in with_layer.classify(TITLE, None, [], "de")}
    assert got["cryogenics"].score == 0.731  # sigmoid(-1 + 2)
    assert "title:kryostaten" in got["cryogenics"].evidence
    assert "power" not in got  # its only weight is for notices where the rules find nothing
    rule_areas = {a.id for a in found.chosen} - {"cryogenics", "power"}
    assert rule_areas and rule_areas <= got.keys()  # areas the layer does not decide stay the rules'


def test_training_is_deterministic_and_decides_only_the_chosen_areas(rules: Classifier) -> None:
    dev = sorted(load_part("dev"), key=lambda n: n["id"])[:60]
    data = examples(rules, dev)
    areas = [a.id for a in rules.taxonomy.areas]
    one, two = fit(data, areas, ["magnets", "services"]), fit(data, areas, ["magnets", "services"])
    assert dump(one) == dump(two)
    assert one["decides"] == ["magnets", "services"]
    assert set(one["bias"]) == {"magnets", "services"}
    assert all(set(w) <= {"magnets", "services"} for w in one["terms"].values())
    assert one["rule"]["services"]["r:chosen"] > 0  # the rules' own choice is the layer's first evidence
    layer = LinearLayer(one)
    assert all(0.0 <= a.score <= 1.0 for ex in data for a in layer.decide(ex.findings))


def test_folds_do_not_depend_on_the_dev_test_split() -> None:
    folds = {fold_of(n["id"], 5) for n in load_part("dev")}
    assert folds == {0, 1, 2, 3, 4}


def test_a_layer_never_built_is_a_clear_error(rules: Classifier, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(linear_layer, "SHIPPED", tmp_path / "none.json")
    linear_layer._shipped.cache_clear()
    taxonomy = rules.taxonomy.model_copy(update={"learned_layer": True})
    with pytest.raises(LayerMissingError, match=r"python -m pipeline\.layer_training"):
        Classifier(taxonomy)
    linear_layer._shipped.cache_clear()
