"""``bench/classify_params.py``: the search over the classifier's global weights, checked on real dev notices."""

from __future__ import annotations

from types import ModuleType

import pytest

from pipeline.evaluation import compare, load_classifier, load_part, predict
from tests.bench_scripts import load_bench


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("classify_params")


@pytest.fixture(scope="module")
def notices() -> list[dict]:
    return load_part("dev")[:120]


def test_weights_are_applied_while_classifying_and_restored_after(bench: ModuleType, notices: list[dict]) -> None:
    classifier = load_classifier()
    search = bench.WeightSearch(classifier, notices, {"threshold": (0.3, 0.99)})
    shipped = search.predictions(search.shipped)
    strict = search.predictions({**search.shipped, "threshold": 0.99})
    assert shipped == [predict(classifier, n) for n in notices]  # the shipped weights are the classifier's own
    assert sum(map(len, strict)) < sum(map(len, shipped)) / 2  # a near-impossible threshold keeps few areas
    assert classifier.taxonomy.threshold == search.shipped["threshold"]  # restored after classifying
    assert [predict(classifier, n) for n in notices] == shipped


def test_search_never_ends_below_the_shipped_weights_and_scores_only_the_kept_notices(
        bench: ModuleType, notices: list[dict]) -> None:
    search = bench.WeightSearch(load_classifier(), notices,
                                {"threshold": (0.2, 0.3, 0.5), "relative_threshold": (0.4, 0.6, 0.9)})
    first_half = range(len(notices) // 2)
    chosen, best = search.search(lambda i: i in first_half, passes=2)
    assert set(chosen) == {"threshold", "relative_threshold"}
    assert chosen["threshold"] in (0.2, 0.3, 0.5) and chosen["relative_threshold"] in (0.4, 0.6, 0.9)
    assert best >= sum(search.scores(search.shipped, lambda i: i in first_half)) / 2
    assert best == pytest.approx(sum(search.scores(chosen, lambda i: i in first_half)) / 2)
    # the held-out figure is computed over the other half alone
    second = [n for i, n in enumerate(notices) if i not in first_half]
    expected = compare(second, [p for i, p in enumerate(search.predictions(chosen)) if i not in first_half],
                       search.areas)
    assert search.scores(chosen, lambda i: i not in first_half) == (expected.micro_f1, expected.macro_f1)
    assert search.changed(search.shipped) == {}
