"""Measure the classifier against the labelled notices in ``tests/data/``.

One place for the metric, so the test that guards the quality bar and ``bench/classify_eval.py``
that prints it cannot disagree. Parts (see ``tests/data/README.md``):

- ``dev`` and ``test``: real notices (``real_dev.jsonl``, ``real_test.jsonl``), labelled by
  ``LABELLING.md`` and split once by a hash of the id. Rules are tuned on ``dev`` errors only;
  ``test`` is only measured, in aggregate.
- ``written-dev`` and ``written-test``: the older set the project wrote itself
  (``classify_dev.jsonl``, ``classify_test.jsonl``), kept as a separate part.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.classify import Classifier
from tenderwatch.config.taxonomy import TaxonomyConfig

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
FILES = {"dev": "real_dev.jsonl", "test": "real_test.jsonl",
         "written-dev": "classify_dev.jsonl", "written-test": "classify_test.jsonl"}
PARTS = tuple(FILES)


def part_path(part: str, data_dir: Path = DATA) -> Path:
    return data_dir / FILES[part]


def load_part(part: str, data_dir: Path = DATA) -> list[dict[str, Any]]:
    """The labelled notices of one part (see ``FILES``); empty when its file is not there (yet)."""
    path = part_path(part, data_dir)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_taxonomy(path: Path) -> TaxonomyConfig:
    """Only ``taxonomy.yaml``, so the evaluation does not depend on the rest of the config folder."""
    with path.open(encoding="utf-8") as fh:
        return TaxonomyConfig.model_validate(yaml.safe_load(fh))


def organisation_names(path: Path = ROOT / "config" / "organisations.yaml") -> list[str]:
    """The organisations' names and official names (masked by the classifier), read without the rest
    of the config."""
    with path.open(encoding="utf-8") as fh:
        orgs = (yaml.safe_load(fh) or {}).get("organisations") or []
    return [n for o in orgs for n in (o.get("name"), *(o.get("official_names") or [])) if n]


def load_classifier(taxonomy: Path = ROOT / "config" / "taxonomy.yaml") -> Classifier:
    """The classifier as ingest builds it (``Classifier.for_config``) from the shipped config files."""
    return Classifier(load_taxonomy(taxonomy), names=organisation_names())


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

    def kappa(self, notices: int) -> float:
        """Cohen's kappa of this area over ``notices`` notices, when "predicted" is a second labeller's
        areas: agreement beyond chance (1.0 when neither side ever uses the area)."""
        tn = notices - self.tp - self.fp - self.fn
        observed = (self.tp + tn) / notices
        expected = ((self.tp + self.fp) * (self.tp + self.fn) + (self.fn + tn) * (self.fp + tn)) / notices**2
        return (observed - expected) / (1 - expected) if expected < 1 else 1.0


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


def predict(classifier: Classifier, notice: dict[str, Any]) -> set[str]:
    return {a.id for a in classifier.classify(notice["title"], notice.get("description"),
                                              notice.get("cpv_codes") or [], notice.get("language"),
                                              notice.get("buyer"))}


def evaluate(classifier: Classifier, notices: list[dict[str, Any]],
             predicted: list[set[str]] | None = None) -> Evaluation:
    """Counts per area over ``notices`` (``predicted``: their predictions, when already made)."""
    if predicted is None:
        predicted = [predict(classifier, n) for n in notices]
    return compare(notices, predicted, [a.id for a in classifier.taxonomy.areas])


def compare(notices: list[dict[str, Any]], predicted: list[set[str]], area_ids: list[str]) -> Evaluation:
    """Counts per area of ``predicted`` against the notices' labels: the classifier's predictions, or
    another labeller's areas for the same notices (``bench/label_agreement.py``), so both are scored
    by the same metric."""
    result = Evaluation(areas={a: AreaCounts() for a in area_ids})
    for notice, got in zip(notices, predicted, strict=True):
        gold = set(notice["areas"])
        for area in got | gold:
            counts = result.areas.setdefault(area, AreaCounts())
            if area in got and area in gold:
                counts.tp += 1
            elif area in got:
                counts.fp += 1
            else:
                counts.fn += 1
        if got != gold:
            result.errors.append((notice, sorted(got)))
    return result


def breakdown(classifier: Classifier, notices: list[dict[str, Any]],
              key: Callable[[dict[str, Any]], str]) -> dict[str, tuple[int, Evaluation]]:
    """Group -> (notices, evaluation) for the groups ``key`` puts the notices in (language, organisation)."""
    predicted = [predict(classifier, n) for n in notices]
    groups: dict[str, list[int]] = {}
    for i, n in enumerate(notices):
        groups.setdefault(key(n) or "?", []).append(i)
    return {g: (len(ix), evaluate(classifier, [notices[i] for i in ix], [predicted[i] for i in ix]))
            for g, ix in sorted(groups.items())}
