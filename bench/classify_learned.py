"""Would a learned model beat the rules? Cross-validated on the real dev part only.

Issue 14 allows a learned model only where it beats the rules on real data. This bench trains a
small, readable model (one multinomial naive Bayes classifier per area over the words' lemma keys and the
notice's CPV prefixes, the same features the rules read) in k folds of the real dev part and
prints its micro/macro F1 beside the rules' on the same notices, alone and combined with the
rules (the model only where the rules give no area). The held-out test part is not read.

    .venv/bin/python bench/classify_learned.py [--folds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.classify import Classifier, tokens  # noqa: E402
from pipeline.evaluation import evaluate, load_classifier, load_part, predict  # noqa: E402
from pipeline.morphology import key  # noqa: E402


def features(notice: dict[str, Any]) -> set[str]:
    lang = notice.get("language") or "en"
    words = tokens(f"{notice['title']} {notice.get('description') or ''}")
    out = {f"w:{key(w, lang)}" for w in words if len(w) > 2}
    for code in notice.get("cpv_codes") or []:
        out.update(f"c:{code[:n]}" for n in (2, 3, 4, 5))
    return out


class NaiveBayes:
    """Multinomial naive Bayes per area (area against the rest), add-one smoothed."""

    def __init__(self, areas: list[str]) -> None:
        self.areas = areas

    def fit(self, notices: list[dict[str, Any]]) -> NaiveBayes:
        self.n = len(notices)
        self.vocab: set[str] = set()
        self.pos: dict[str, Counter[str]] = {a: Counter() for a in self.areas}
        self.neg: dict[str, Counter[str]] = {a: Counter() for a in self.areas}
        self.count = Counter[str]()
        feats = [features(n) for n in notices]
        for n, f in zip(notices, feats, strict=True):
            self.vocab |= f
            for a in self.areas:
                if a in n["areas"]:
                    self.count[a] += 1
                    self.pos[a].update(f)
                else:
                    self.neg[a].update(f)
        self.total_pos = {a: sum(c.values()) for a, c in self.pos.items()}
        self.total_neg = {a: sum(c.values()) for a, c in self.neg.items()}
        return self

    def scores(self, notice: dict[str, Any]) -> dict[str, float]:
        f = features(notice) & self.vocab
        out = {}
        for a in self.areas:
            p, q = self.count[a], self.n - self.count[a]
            if not p:
                continue
            logit = math.log((p + 1) / (q + 1))
            v = len(self.vocab)
            pos_total, neg_total = self.total_pos[a] + v, self.total_neg[a] + v
            for feat in f:  # multinomial naive Bayes, add-one smoothing
                logit += math.log((self.pos[a][feat] + 1) / pos_total) - math.log((self.neg[a][feat] + 1) / neg_total)
            out[a] = logit
        return out

    def predict(self, notice: dict[str, Any], margin: float = 2.0) -> set[str]:
        """The best area when its log-odds are positive, with any other within ``margin`` of it."""
        scores = self.scores(notice)
        best = max(scores.values(), default=0.0)
        return {a for a, s in scores.items() if s > 0 and s >= best - margin}


def fold_of(notice: dict[str, Any], folds: int) -> int:
    return int(hashlib.sha1(notice["id"].encode()).hexdigest(), 16) // 10 % folds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    dev = load_part("dev")
    if not dev:
        print("no real dev part (tests/data/real_dev.jsonl)")
        return 1
    rules: Classifier = load_classifier()
    areas = [a.id for a in rules.taxonomy.areas]
    learned: list[set[str]] = [set()] * len(dev)
    for k in range(args.folds):
        train = [n for n in dev if fold_of(n, args.folds) != k]
        model = NaiveBayes(areas).fit(train)
        for i, n in enumerate(dev):
            if fold_of(n, args.folds) == k:
                learned[i] = model.predict(n)
    by_rules = [predict(rules, n) for n in dev]
    combined = [r or m for r, m in zip(by_rules, learned, strict=True)]
    print(f"real dev part, {len(dev)} notices, {args.folds}-fold cross-validation of the model")
    for name, predicted in (("rules", by_rules), ("naive Bayes", learned), ("rules, else model", combined)):
        ev = evaluate(rules, dev, predicted)
        print(f"  {name:18} micro-F1 {ev.micro_f1:.3f}  macro-F1 {ev.macro_f1:.3f}  "
              f"exact {1 - len(ev.errors) / len(dev):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
