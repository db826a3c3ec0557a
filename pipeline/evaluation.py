"""Measure the classifier against the labelled notices in ``tests/data/``.

One place for the metric, so the test that guards the quality bar and ``bench/classify_eval.py``
that prints it cannot disagree. The labelled set is split once into ``classify_dev.jsonl``
(tune the rules on it) and ``classify_test.jsonl`` (only measure on it); see
``tests/data/README.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.classify import Classifier
from tenderwatch.config.models import TaxonomyConfig

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
PARTS = ("dev", "test")


def load_part(part: str, data_dir: Path = DATA) -> list[dict[str, Any]]:
    """The labelled notices of one part (``dev`` or ``test``)."""
    path = data_dir / f"classify_{part}.jsonl"
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_taxonomy(path: Path) -> TaxonomyConfig:
    """Only ``taxonomy.yaml``, so the evaluation does not depend on the rest of the config folder."""
    with path.open(encoding="utf-8") as fh:
        return TaxonomyConfig.model_validate(yaml.safe_load(fh))


@dataclass
class AreaCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    areas: dict[str, AreaCounts] = field(default_factory=dict)
    errors: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)
    """(notice, predicted areas) for every notice whose prediction differs from its label."""

    @property
    def micro_f1(self) -> float:
        total = AreaCounts(sum(c.tp for c in self.areas.values()), sum(c.fp for c in self.areas.values()),
                           sum(c.fn for c in self.areas.values()))
        return total.f1

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the areas that occur in the labels or the predictions of this part."""
        used = [c for c in self.areas.values() if c.tp + c.fp + c.fn]
        return sum(c.f1 for c in used) / len(used) if used else 0.0


def evaluate(classifier: Classifier, notices: list[dict[str, Any]]) -> Evaluation:
    result = Evaluation(areas={a.id: AreaCounts() for a in classifier.taxonomy.areas})
    for notice in notices:
        predicted = {a.id for a in classifier.classify(notice["title"], notice.get("description"),
                                                       notice.get("cpv_codes") or [], notice.get("language"))}
        gold = set(notice["areas"])
        for area in predicted | gold:
            counts = result.areas.setdefault(area, AreaCounts())
            if area in predicted and area in gold:
                counts.tp += 1
            elif area in predicted:
                counts.fp += 1
            else:
                counts.fn += 1
        if predicted != gold:
            result.errors.append((notice, sorted(predicted)))
    return result
