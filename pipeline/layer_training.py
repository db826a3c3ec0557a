"""Train the learned layer (``pipeline.linear_layer``) on the real development notices, reproducibly.

    .venv/bin/python -m pipeline.layer_training [--folds 5] [--out pipeline/data/linear_layer.json]
    .venv/bin/python -m pipeline.layer_training --check    # is the committed file what this builds?

Data: ``tests/data/real_dev.jsonl`` only (the held-out ``real_test.jsonl`` is never read here) and
the rules of ``config/taxonomy.yaml``. Steps, all deterministic (no clock, no unseeded randomness,
pure Python arithmetic, weights rounded to 4 decimals):

1. The rules classify every dev notice (without any layer); their findings per area and the
   notice's words and CPV prefixes are the features (``linear_layer.rule_features``).
2. **Which areas the layer decides**: k-fold cross-validation on dev (folds by a hash of the id);
   the layer decides an area only when its pooled cross-validated F1 beats the rules' F1 there by
   ``GAIN``; every other area stays the rules' decision.
3. One logistic regression per decided area on all dev notices (AdaGrad steps over the notices in
   a seeded order, L2-regularised; a word or code is a feature only when at least ``MIN_DF``
   training notices have it), written as a small JSON file.

``bench/classify_learned.py`` prints the cross-validated comparison (with the choice of areas made
inside each fold, so the figure is not tuned on the notices it is measured on).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.classify import Classifier
from pipeline.evaluation import ROOT, AreaCounts, load_part, load_taxonomy, organisation_names
from pipeline.linear_layer import SHIPPED, Findings, LinearLayer, notice_rule_features

EPOCHS = 10
RATE = 0.3
L2_RULE = 1e-3
L2_TERM = 1.0
MIN_DF = 2
GAIN = 0.02
"""F1 points by which the layer must beat the rules on an area, cross-validated, to decide it."""
SEED = 14
TAXONOMY = ROOT / "config" / "taxonomy.yaml"


@dataclass
class Example:
    id: str
    findings: Findings
    rules: dict[str, dict[str, float]]
    gold: frozenset[str]


def rules_classifier(taxonomy: Path = TAXONOMY) -> Classifier:
    """The rules alone, as ingest builds them, whatever the taxonomy says about the layer."""
    tax = load_taxonomy(taxonomy)
    return Classifier(tax.model_copy(update={"learned_layer": False}), names=organisation_names())


def examples(classifier: Classifier, notices: Sequence[dict[str, Any]]) -> list[Example]:
    areas = [a.id for a in classifier.taxonomy.areas]
    out = []
    for n in notices:
        found = classifier.findings(n["title"], n.get("description"), n.get("cpv_codes") or [],
                                    n.get("language"), n.get("buyer"))
        out.append(Example(n["id"], found, notice_rule_features(found, areas), frozenset(n["areas"])))
    return out


def fold_of(notice_id: str, folds: int) -> int:
    """The cross-validation fold of a dev notice (the hash's tens digit and up, so it is independent
    of the dev/test split, which took the units digit)."""
    return int(hashlib.sha1(notice_id.encode(), usedforsecurity=False).hexdigest(), 16) // 10 % folds


def fit(data: Sequence[Example], areas: Sequence[str], decides: Collection[str] | None = None) -> dict[str, Any]:
    """Weights of one logistic regression per area of ``decides`` (default: every area)."""
    decides = list(areas if decides is None else [a for a in areas if a in decides])
    df = Counter(f for ex in data for f in ex.findings.terms)
    vocab = {f for f, c in df.items() if c >= MIN_DF}
    xs = [sorted(f for f in ex.findings.terms if f in vocab) for ex in data]
    bias = dict.fromkeys(decides, 0.0)
    rule: dict[str, dict[str, float]] = {a: {} for a in decides}
    term: dict[str, dict[str, float]] = {a: {} for a in decides}
    acc: dict[tuple[str, str], float] = {}  # AdaGrad's sum of squared gradients per (area, feature)
    order = sorted(range(len(data)), key=lambda i: data[i].id)
    rng = random.Random(SEED)
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for i in order:
            ex, words = data[i], xs[i]
            for a in decides:
                r, t = rule[a], term[a]
                feats = ex.rules[a]
                z = bias[a] + sum(r.get(f, 0.0) * v for f, v in feats.items()) + sum(t.get(f, 0.0) for f in words)
                g = _sigmoid(z) - (a in ex.gold)
                _step(acc, bias, a, "", g, 0.0)
                for f, v in feats.items():
                    _step(acc, r, a, f, g * v, L2_RULE)
                for f in words:
                    _step(acc, t, a, f, g, L2_TERM)
    terms: dict[str, dict[str, float]] = {}
    for a in decides:
        for f, w in term[a].items():
            if abs(w) >= 1e-3:
                terms.setdefault(f, {})[a] = round(w, 4)
    return {
        "decides": decides,
        "bias": {a: round(bias[a], 4) for a in decides},
        "rule": {a: {f: round(w, 4) for f, w in sorted(rule[a].items()) if abs(w) >= 1e-3} for a in decides},
        "terms": dict(sorted(terms.items())),
    }


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _step(acc: dict[tuple[str, str], float], weights: dict[str, float], area: str, feature: str,
          grad: float, l2: float) -> None:
    """One AdaGrad step of ``weights[feature]`` (``feature`` "" is the bias, kept in ``weights[area]``)."""
    name = feature or area
    w = weights.get(name, 0.0)
    g = grad + l2 * w
    k = (area, feature)
    acc[k] = acc.get(k, 0.0) + g * g
    weights[name] = w - RATE * g / math.sqrt(acc[k] + 1e-8)


def predictions(layer: LinearLayer, data: Sequence[Example]) -> list[set[str]]:
    return [{a.id for a in layer.decide(ex.findings)} for ex in data]


def per_area(data: Sequence[Example], predicted: Sequence[Collection[str]], areas: Sequence[str],
             ) -> dict[str, AreaCounts]:
    counts = {a: AreaCounts() for a in areas}
    for ex, got in zip(data, predicted, strict=True):
        for a in areas:
            if a in got and a in ex.gold:
                counts[a].tp += 1
            elif a in got:
                counts[a].fp += 1
            elif a in ex.gold:
                counts[a].fn += 1
    return counts


def cross_validated(data: Sequence[Example], areas: Sequence[str], folds: int, decides: Collection[str] | None = None,
                    ) -> list[set[str]]:
    """Each notice's areas by a layer trained on the other folds (deciding ``decides``, default all)."""
    out: list[set[str]] = [set() for _ in data]
    for k in range(folds):
        train = [ex for ex in data if fold_of(ex.id, folds) != k]
        layer = LinearLayer(fit(train, areas, decides))
        for i, ex in enumerate(data):
            if fold_of(ex.id, folds) == k:
                out[i] = {a.id for a in layer.decide(ex.findings)}
    return out


def choose_areas(data: Sequence[Example], areas: Sequence[str], folds: int) -> list[str]:
    """The areas whose cross-validated F1 with the layer beats the rules' by ``GAIN``."""
    learned = per_area(data, cross_validated(data, areas, folds), areas)
    rules = per_area(data, [{a.id for a in ex.findings.chosen} for ex in data], areas)
    return [a for a in areas if learned[a].f1 > rules[a].f1 + GAIN]


def build(folds: int = 5, taxonomy: Path = TAXONOMY) -> dict[str, Any]:
    """The weights file's content, from the dev notices and the taxonomy's rules."""
    classifier = rules_classifier(taxonomy)
    areas = [a.id for a in classifier.taxonomy.areas]
    data = examples(classifier, load_part("dev"))
    decides = choose_areas(data, areas, folds)
    weights = fit(data, areas, decides)
    about = {
        "about": "Tenderwatch's learned layer over the technology-area rules (pipeline/linear_layer.py)",
        "command": f"python -m pipeline.layer_training --folds {folds}",
        "trained_on": {"part": "tests/data/real_dev.jsonl", "notices": len(data),
                       "sha1": _sha1(ROOT / "tests" / "data" / "real_dev.jsonl")},
        "taxonomy_sha1": _sha1(taxonomy),
        "settings": {"epochs": EPOCHS, "rate": RATE, "l2_rule": L2_RULE, "l2_term": L2_TERM, "min_df": MIN_DF,
                     "gain": GAIN, "seed": SEED, "folds": folds},
    }
    return about | weights


def _sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds that choose the areas")
    parser.add_argument("--out", type=Path, default=SHIPPED, help="where to write the weights (JSON)")
    parser.add_argument("--check", action="store_true", help="only compare the built weights with --out")
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    text = dump(build(args.folds))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'differs from what the training builds now'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    decides = json.loads(text)["decides"]
    print(f"wrote {args.out} ({len(text.encode()):,} bytes); the layer decides {len(decides)} areas: "
          f"{', '.join(decides) or '(none)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
