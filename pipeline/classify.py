"""Technology-area classifier: CPV prefixes and multilingual keyword rules, with evidence.

Interface used by the rest of the system: ``Classifier(taxonomy).classify(title, description,
cpv_codes, language) -> list[AreaScore]``. Rules are compiled once into one regex per language so
each field costs one pass, not a loop over keywords.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from pipeline.records import AreaScore
from tenderwatch.config.models import TaxonomyConfig


def fold(text: str) -> str:
    """Lower-case and strip accents so 'Kryostat', 'cryostat' and 'cryostàt' compare as words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class Classifier:
    def __init__(self, taxonomy: TaxonomyConfig) -> None:
        self.taxonomy = taxonomy
        self._cpv = sorted(taxonomy.cpv.items(), key=lambda kv: -len(kv[0]))
        patterns: dict[str, str] = {}
        self._owner: dict[str, str] = {}
        for area in taxonomy.areas:
            for _lang, words in area.keywords.items():
                for word in words:
                    key = fold(word)
                    self._owner.setdefault(key, area.id)
        alternatives = sorted(self._owner, key=len, reverse=True)
        if alternatives:
            body = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in alternatives)
            patterns["all"] = rf"(?<!\w)({body})(?!\w)"
        self._regex = re.compile(patterns["all"]) if patterns else None

    def _cpv_areas(self, code: str) -> list[str]:
        for prefix, areas in self._cpv:
            if code.startswith(prefix):
                return areas
        return []

    def classify(self, title: str, description: str | None = None, cpv_codes: list[str] | None = None,
                 language: str | None = None) -> list[AreaScore]:
        tax = self.taxonomy
        score: dict[str, float] = defaultdict(float)
        evidence: dict[str, list[str]] = defaultdict(list)
        for code in cpv_codes or []:
            for area in self._cpv_areas(code):
                score[area] += tax.cpv_weight
                evidence[area].append(f"cpv:{code}")
        if self._regex is not None:
            for field, text, weight in (("title", title, tax.title_weight),
                                        ("description", description or "", tax.description_weight)):
                for match in self._regex.finditer(fold(text)):
                    word = re.sub(r"\s+", " ", match.group(1))
                    area = self._owner.get(word)
                    if area is None:
                        continue
                    tag = f"{field}:{word}"
                    if tag not in evidence[area]:
                        score[area] += weight
                        evidence[area].append(tag)
        out = [
            AreaScore(id=a, score=round(min(1.0, s), 3), evidence=evidence[a])
            for a, s in score.items()
            if min(1.0, s) >= tax.threshold
        ]
        if not out:
            out = [AreaScore(id=tax.fallback_area, score=tax.threshold, evidence=["fallback:no-technical-signal"])]
        return sorted(out, key=lambda a: (-a.score, a.id))
