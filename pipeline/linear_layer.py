"""A learned linear layer over the rules' findings and a notice's words, with readable evidence.

Why: the rules (``pipeline.classify``) are the explainable baseline, but on real notices they miss
areas whose words they do not list and keep areas that real labels reject in context. A linear model
per area, trained on the real development notices only (``python -m pipeline.layer_training``),
reweighs what the rules found and adds what the notice's own words and CPV codes say. It decides
only the areas where it beat the rules in cross-validation on those notices; every other area stays
the rules' decision.

How it stays readable and fast:

- **Features** of a notice for area ``a``: what the rules found for ``a`` (``r:chosen``,
  ``r:score``, ``r:title``, ``r:cpv``, ``r:description_only``, ``r:top``), how many other areas the
  rules chose (``r:others``), and the notice's words and CPV prefixes (``t:<lemma key>`` in the
  title, ``d:<key>`` in the description, ``c:<2-5 digits>``), each present once (value 1).
- **Weights** are a small JSON file of dictionaries, read once; scoring a notice is one dictionary
  look-up per word and per rule feature, then a sum per area: no numerical library at run time.
- **Evidence** is the terms that decided: for an area the layer keeps, the rules' evidence for it
  (when the rules found it at all), then the words and codes whose weights pushed it over, as the
  same tags the rules write (``title:cryostat``, ``cpv:31682000``), so digests, mails and the call
  page explain it the same way (``pipeline.evidence``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.records import AreaScore

SHIPPED = Path(__file__).resolve().parent / "data" / "linear_layer.json"
EVIDENCE_TERMS = 3
"""Word and code tags an area decided by the layer names beside the rules' own evidence."""


class Findings(NamedTuple):
    """What the rules found in one notice (``Classifier.findings``)."""

    candidates: list[AreaScore]
    """Every area that scored above the threshold, before the labelling rules chose among them."""
    chosen: list[AreaScore]
    """The rules' answer, best first."""
    terms: dict[str, str]
    """Word and CPV features of the notice -> the evidence tag that names each."""


def rule_features(area: str, candidates: dict[str, AreaScore], chosen: Collection[str], top: float,
                  ) -> dict[str, float]:
    """The rules' findings about ``area`` as features (see the module docstring)."""
    out: dict[str, float] = {}
    found = candidates.get(area)
    if found is not None:
        out["r:score"] = found.score
        tags = found.evidence
        if any(t.startswith("title:") for t in tags):
            out["r:title"] = 1.0
        if any(t.startswith("cpv:") for t in tags):
            out["r:cpv"] = 1.0
        if all(t.startswith("description:") for t in tags):
            out["r:description_only"] = 1.0
        if found.score >= top:
            out["r:top"] = 1.0
    if area in chosen:
        out["r:chosen"] = 1.0
    others = len(chosen) - (area in chosen)
    if others:
        out["r:others"] = float(others)
    if not candidates:
        out["r:nothing"] = 1.0
    return out


def notice_rule_features(findings: Findings, areas: Collection[str]) -> dict[str, dict[str, float]]:
    """Area -> its rule features, for every area of ``areas``."""
    candidates = {a.id: a for a in findings.candidates}
    chosen = [a.id for a in findings.chosen]
    top = max((a.score for a in findings.candidates), default=1.0)
    return {area: rule_features(area, candidates, chosen, top) for area in areas}


class LinearLayer:
    """Per-area linear models read from a weights file (``pipeline.layer_training`` writes it)."""

    def __init__(self, data: dict[str, Any], areas: Collection[str] | None = None) -> None:
        """``areas``: the taxonomy's area ids (weights of other areas are ignored)."""
        keep = set(data["decides"]) if areas is None else set(data["decides"]) & set(areas)
        self.decides: tuple[str, ...] = tuple(a for a in data["decides"] if a in keep)
        self.bias: dict[str, float] = {a: float(data["bias"][a]) for a in self.decides}
        self.rule: dict[str, dict[str, float]] = {a: dict(data["rule"].get(a, {})) for a in self.decides}
        self.terms: dict[str, tuple[tuple[str, float], ...]] = {}
        for feature, weights in data["terms"].items():
            pairs = tuple((a, float(w)) for a, w in weights.items() if a in keep)
            if pairs:
                self.terms[feature] = pairs
        self.meta: dict[str, Any] = {k: v for k, v in data.items() if k not in ("bias", "rule", "terms")}

    @classmethod
    def load(cls, path: Path, areas: Collection[str] | None = None) -> LinearLayer:
        with path.open(encoding="utf-8") as fh:
            return cls(json.load(fh), areas)

    @classmethod
    def shipped(cls, areas: Collection[str]) -> LinearLayer:
        """The committed layer (read once per process, then shared: it is not changed after loading)."""
        return _shipped(frozenset(areas))

    def margins(self, findings: Findings) -> tuple[dict[str, float], dict[str, list[tuple[float, str]]]]:
        """Area -> its model's margin (log-odds), and area -> (weight, tag) of its positive word terms."""
        sums = dict(self.bias)
        pushed: dict[str, list[tuple[float, str]]] = {}
        for feature, tag in findings.terms.items():
            for area, w in self.terms.get(feature, ()):
                sums[area] += w
                if w > 0:
                    pushed.setdefault(area, []).append((w, tag))
        for area, feats in notice_rule_features(findings, self.decides).items():
            weights = self.rule[area]
            sums[area] += sum(weights.get(f, 0.0) * v for f, v in feats.items())
        return sums, pushed

    def decide(self, findings: Findings) -> list[AreaScore]:
        """The areas of a notice: the layer's for the areas it decides, the rules' for the others."""
        sums, pushed = self.margins(findings)
        rules = {a.id: a for a in findings.candidates}
        out = [a for a in findings.chosen if a.id not in sums]
        for area, margin in sums.items():
            if margin <= 0:
                continue
            found = rules.get(area)
            evidence = list(found.evidence) if found is not None else []
            for _, tag in sorted(pushed.get(area, ()), key=lambda p: -p[0])[:EVIDENCE_TERMS]:
                if tag not in evidence:
                    evidence.append(tag)
            score = round(1.0 / (1.0 + math.exp(-margin)), 3)
            out.append(AreaScore(id=area, score=score, evidence=evidence))
        return sorted(out, key=lambda a: (-a.score, a.id))


class LayerMissingError(RuntimeError):
    """The taxonomy asks for the learned layer but its weights file has not been built."""


@cache
def _shipped(areas: frozenset[str]) -> LinearLayer:
    if not SHIPPED.exists():
        raise LayerMissingError(f"the taxonomy sets learned_layer but {SHIPPED} does not exist: build it with "
                           "'python -m pipeline.layer_training' (or set learned_layer: false)")
    return LinearLayer.load(SHIPPED, areas)
