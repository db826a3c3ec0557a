"""The classifier's per-language views share each language's word and phrase tables
(``Classifier._view``): a view built that way holds exactly what compiling its rules one by one gives, in
the same order, for every notice language and for a notice of no language."""

from __future__ import annotations

import pytest

from pipeline import rule_cache
from pipeline.classify import Classifier, _Compiled, _Rule
from pipeline.evaluation import load_classifier
from pipeline.morphology import LANGUAGES
from tenderwatch.config.taxonomy import TaxonomyConfig

FIELDS = ("keys", "phrases", "exact", "prefixes", "suffixes")


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return load_classifier()


def rule_by_rule(classifier: Classifier, language: str | None) -> _Compiled:
    whole = _Compiled(lingua=classifier._lingua)
    classifier._add_rules(whole, None if language is None else {language, classifier._lingua})
    return whole


@pytest.mark.parametrize("language", [*sorted(LANGUAGES), None])
def test_a_view_of_shared_tables_is_its_rules_compiled_one_by_one(classifier: Classifier,
                                                                   language: str | None) -> None:
    view, whole = classifier._view(language), rule_by_rule(classifier, language)
    for name in FIELDS:
        assert getattr(view, name) == getattr(whole, name), name
    assert view.languages == tuple(sorted(set(whole.keys) | set(whole.phrases)))


def test_views_share_a_languages_tables_and_do_not_change_them(classifier: Classifier) -> None:
    """Every view holds the English tables themselves; compiling more views leaves them as they were."""
    english = classifier._language_tables(classifier._lingua)
    before = {lang: {k: list(v) for k, v in table.items()} for lang, table in english.keys.items()}
    views = [classifier._view(lang) for lang in sorted(LANGUAGES)]
    assert all(v.keys[classifier._lingua] is english.keys[classifier._lingua] for v in views)
    assert english.keys == before


def test_rules_without_a_language_are_compiled_one_by_one_in_the_rules_order() -> None:
    """A rule listed without a language goes to the lingua franca's table, which an English rule fills too:
    such a view is compiled rule by rule, so the table keeps the rules' order."""
    taxonomy = TaxonomyConfig.model_validate({
        "areas": [{"id": "vacuum", "label": "Vacuum", "keywords": {"": ["vacuum pump"], "en": ["turbopump"]}},
                  {"id": "cryogenics", "label": "Cryogenics", "keywords": {"en": ["vacuum pump", "cryostat"]}}]})
    classifier = Classifier(taxonomy)
    view, whole = classifier._view(None), rule_by_rule(classifier, None)
    for name in FIELDS:
        assert getattr(view, name) == getattr(whole, name), name
    assert [r.area for _, r in view.phrases["en"]["vacuum"]] == ["vacuum", "cryogenics"]


def test_a_view_compiled_while_a_languages_tables_are_being_compiled_is_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """A language's tables are shared only once they are whole: a view another thread compiles while the
    English tables are being filled (simulated here from inside that compilation) holds every rule. The
    rule-table cache is bypassed: the tables are compiled here, as on a machine's first run."""
    monkeypatch.setattr(rule_cache, "load", lambda *args, **kwargs: None)
    monkeypatch.setattr(rule_cache, "store", lambda *args, **kwargs: None)
    classifier = load_classifier()
    add = Classifier._add
    meanwhile: list[_Compiled] = []
    started: list[bool] = []

    def interrupted(view: _Compiled, keyword: str, rule: _Rule, gaps: frozenset[str] = frozenset(), *,
                    affixes: bool = True, words: bool = True) -> None:
        if not started and not affixes and rule.lang == classifier._lingua:
            started.append(True)
            meanwhile.append(classifier._view("de"))
        add(view, keyword, rule, gaps, affixes=affixes, words=words)

    monkeypatch.setattr(Classifier, "_add", staticmethod(interrupted))
    classifier._view("fr")
    monkeypatch.undo()
    whole = rule_by_rule(classifier, "de")
    for name in FIELDS:
        assert getattr(meanwhile[0], name) == getattr(whole, name), name
