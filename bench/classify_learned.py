"""Does the learned layer beat the rules? Nested cross-validation on the real dev part only.

Issue 14 allows a learned model only where it beats the rules on real data. This bench measures the
layer of ``pipeline.linear_layer`` as ``pipeline.layer_training`` builds it, in k folds of the real
dev part: in each outer fold the choice of the areas the layer decides is itself made by an inner
cross-validation on the other folds only, so the printed figure is not tuned on the notices it is
measured on. It prints micro/macro F1 and per-area F1 of the rules alone, of the layer deciding
every area, and of the layer deciding only the areas it was chosen for (what ships). The held-out
test part is not read.

    .venv/bin/python bench/classify_learned.py [--folds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.evaluation import AreaCounts, load_part  # noqa: E402
from pipeline.layer_training import (  # noqa: E402
    choose_areas,
    cross_validated,
    examples,
    fit,
    fold_of,
    per_area,
    predictions,
    rules_classifier,
)
from pipeline.linear_layer import LinearLayer  # noqa: E402


def figures(counts: dict[str, AreaCounts]) -> tuple[float, float]:
    total = AreaCounts(*(sum(getattr(c, k) for c in counts.values()) for k in ("tp", "fp", "fn")))
    used = [c for c in counts.values() if c.tp + c.fp + c.fn]
    return total.f1, sum(c.f1 for c in used) / len(used) if used else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    dev = load_part("dev")
    if not dev:
        print("no real dev part (tests/data/real_dev.jsonl)")
        return 1
    started = time.perf_counter()
    classifier = rules_classifier()
    areas = [a.id for a in classifier.taxonomy.areas]
    data = examples(classifier, dev)
    rules = [{a.id for a in ex.findings.chosen} for ex in data]
    every = cross_validated(data, areas, args.folds)
    shipped: list[set[str]] = [set() for _ in data]
    chosen_per_fold = []
    for k in range(args.folds):
        train = [ex for ex in data if fold_of(ex.id, args.folds) != k]
        decides = choose_areas(train, areas, args.folds - 1)  # inner cross-validation on the training folds
        chosen_per_fold.append(decides)
        layer = LinearLayer(fit(train, areas, decides))
        held = [i for i, ex in enumerate(data) if fold_of(ex.id, args.folds) == k]
        for i, got in zip(held, predictions(layer, [data[i] for i in held]), strict=True):
            shipped[i] = got
    print(f"real dev part, {len(data)} notices, {args.folds}-fold nested cross-validation "
          f"({time.perf_counter() - started:.0f} s)")
    rows = (("rules", rules), ("layer, every area", every), ("layer, chosen areas", shipped))
    counts = {name: per_area(data, predicted, areas) for name, predicted in rows}
    for name, c in counts.items():
        micro, macro = figures(c)
        print(f"  {name:20} micro-F1 {micro:.3f}  macro-F1 {macro:.3f}")
    print("  per area F1 (rules -> layer chosen areas):")
    for a in areas:
        print(f"    {a:12} {counts['rules'][a].f1:.2f} -> {counts['layer, chosen areas'][a].f1:.2f}  "
              f"(every area: {counts['layer, every area'][a].f1:.2f})")
    for k, decides in enumerate(chosen_per_fold):
        print(f"  fold {k}: the layer decides {', '.join(decides) or '(none)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
