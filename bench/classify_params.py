"""Would other global weights do better on notices they were not chosen on? Nested cross-validation.

The classifier's nine global weights in ``config/taxonomy.yaml`` (``threshold``, ``title_weight``,
``description_weight``, ``cpv_weight``, ``weak_factor``, ``cpv_secondary``, ``relative_threshold``,
``description_secondary``, ``context_factor``) were set by hand, one at a time, on the dev part. A few
global numbers carry over to unseen notices better than words fitted to single notices do, so this bench
asks whether a search would set them better: in each of k folds of the real dev part (the folds of
``pipeline.layer_training``), a coordinate search over ``WEIGHTS`` chooses the weights on the other folds
(objective: the mean of micro- and macro-F1) and they are scored on the fold left out, beside the shipped
weights on the same fold. Only the dev part is read; the test part never.

    .venv/bin/python bench/classify_params.py [--folds 5] [--passes 2]

The weights are set on the classifier's own taxonomy between runs (all nine are read when a notice is
classified, none is compiled into the keyword tables), so no table is compiled or cached again.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.classify import Classifier  # noqa: E402
from pipeline.evaluation import compare, load_classifier, load_part  # noqa: E402
from pipeline.layer_training import fold_of  # noqa: E402

WEIGHTS: dict[str, tuple[float, ...]] = {
    "threshold": (0.2, 0.25, 0.3, 0.35, 0.4),
    "title_weight": (0.8, 0.9, 1.0),
    "description_weight": (0.3, 0.35, 0.45, 0.55, 0.65),
    "cpv_weight": (0.35, 0.4, 0.5, 0.6, 0.7),
    "weak_factor": (0.2, 0.3, 0.4, 0.5),
    "cpv_secondary": (0.6, 0.7, 0.8, 0.9, 1.0),
    "relative_threshold": (0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8),
    "description_secondary": (0.6, 0.65, 0.7, 0.75, 0.8),
    "context_factor": (0.3, 0.4, 0.5, 0.6, 0.7),
}
"""The values tried per weight (the shipped value is always a candidate: the search starts from it)."""

Weights = dict[str, float]


class WeightSearch:
    """The notices' predicted areas under given weights (each set of weights classified once) and a
    coordinate search over ``grid`` on a subset of the notices."""

    def __init__(self, classifier: Classifier, notices: Sequence[dict[str, Any]],
                 grid: dict[str, tuple[float, ...]] = WEIGHTS) -> None:
        self.classifier, self.notices, self.grid = classifier, list(notices), grid
        self.shipped: Weights = {name: getattr(classifier.taxonomy, name) for name in grid}
        self.areas = [a.id for a in classifier.taxonomy.areas]
        self._seen: dict[tuple[tuple[str, float], ...], list[set[str]]] = {}

    def predictions(self, weights: Weights) -> list[set[str]]:
        key = tuple(sorted(weights.items()))
        if key not in self._seen:
            tax = self.classifier.taxonomy
            try:
                for name, value in weights.items():
                    setattr(tax, name, value)
                self._seen[key] = [{a.id for a in self.classifier.classify(
                    n["title"], n.get("description"), n.get("cpv_codes") or [], n.get("language"), n.get("buyer"))}
                    for n in self.notices]
            finally:
                for name, value in self.shipped.items():
                    setattr(tax, name, value)
        return self._seen[key]

    def scores(self, weights: Weights, keep: Callable[[int], bool]) -> tuple[float, float]:
        """(micro-F1, macro-F1) over the notices whose index ``keep`` accepts."""
        predicted = self.predictions(weights)
        index = [i for i in range(len(self.notices)) if keep(i)]
        result = compare([self.notices[i] for i in index], [predicted[i] for i in index], self.areas)
        return result.micro_f1, result.macro_f1

    def search(self, keep: Callable[[int], bool], passes: int = 2) -> tuple[Weights, float]:
        """The weights a coordinate search chooses on the notices ``keep`` accepts (one weight at a time,
        each candidate value, kept when the objective rises), starting from the shipped ones."""
        chosen = dict(self.shipped)
        best = sum(self.scores(chosen, keep)) / 2
        for _ in range(passes):
            moved = False
            for name, values in self.grid.items():
                for value in values:
                    trial = {**chosen, name: value}
                    score = sum(self.scores(trial, keep)) / 2
                    if score > best + 1e-9:
                        best, chosen, moved = score, trial, True
            if not moved:
                break
        return chosen, best

    @property
    def classified(self) -> int:
        """How many sets of weights the notices were classified under."""
        return len(self._seen)

    def changed(self, weights: Weights) -> Weights:
        return {name: value for name, value in weights.items() if value != self.shipped[name]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args(argv)
    notices = load_part("dev")
    if not notices:
        print("no dev part (tests/data/real_dev.jsonl)")
        return 1
    start = time.process_time()
    search = WeightSearch(load_classifier(), notices)
    fold = [fold_of(n["id"], args.folds) for n in notices]
    held: list[tuple[tuple[float, float], tuple[float, float]]] = []
    print(f"{len(notices)} dev notices, {args.folds} folds; shipped weights {json.dumps(search.shipped)}")
    for k in range(args.folds):
        chosen, _ = search.search(lambda i, k=k: fold[i] != k, args.passes)
        tuned = search.scores(chosen, lambda i, k=k: fold[i] == k)
        shipped = search.scores(search.shipped, lambda i, k=k: fold[i] == k)
        held.append((tuned, shipped))
        print(f"fold {k}: chosen on the other folds {json.dumps(search.changed(chosen)) or 'the shipped'}; "
              f"on this fold micro/macro {tuned[0]:.3f}/{tuned[1]:.3f}, shipped {shipped[0]:.3f}/{shipped[1]:.3f}")
    mean = [sum(h[j][m] for h in held) / len(held) for j in (0, 1) for m in (0, 1)]
    print(f"held-out folds, mean: searched weights micro {mean[0]:.3f} macro {mean[1]:.3f}; "
          f"shipped weights micro {mean[2]:.3f} macro {mean[3]:.3f}")
    everywhere, _ = search.search(lambda i: True, args.passes)
    micro, macro = search.scores(everywhere, lambda i: True)
    base = search.scores(search.shipped, lambda i: True)
    print(f"chosen on all of dev (for information: measured where it was chosen): "
          f"{json.dumps(search.changed(everywhere))} micro {micro:.3f} macro {macro:.3f}, "
          f"shipped {base[0]:.3f}/{base[1]:.3f}")
    print(f"{search.classified} sets of weights classified in {time.process_time() - start:.0f} s of CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
