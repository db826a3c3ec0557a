"""Technology-area classifier: CPV prefixes and multilingual keyword rules, with evidence.

Interface used by the rest of the system: ``Classifier(taxonomy).classify(title, description,
cpv_codes, language) -> list[AreaScore]``.

Why it is built this way:

- **Explainable.** Every area comes with the signals that put it there (``cpv:31643000``,
  ``title:superconducting``, ``description:kryostat``), so an ILO can see why a company was
  alerted and an administrator can fix the rule in ``config/taxonomy.yaml`` instead of code.
- **Words, not substrings.** Text is case- and accent-folded and cut into words with one regex
  pass per field; keywords are compared word by word after a light, language-neutral suffix
  stemmer ("magnets", "Magnete", "magneti" -> ``magnet``), so "ram" never fires inside
  "programme". Keyword forms in the YAML:

  ``word`` or ``two words``   stemmed whole-word match (phrases match consecutive words)
  ``=word``                   exact folded word, no stemming (short or ambiguous words: ``=vide``)
  ``word*``                   a word starting with it (German/Dutch compounds: ``vakuum*``)
  ``*word``                   a word ending with it (compound heads: ``*pumpe``)

- **Fast.** Rules are compiled once; each distinct word is looked up once and cached, so a
  notice costs one tokenising regex pass per field plus a dictionary lookup per word
  (``bench/classify_eval.py`` measures notices/s).
- **Scores** combine independent signals with a noisy-or, ``1 - prod(1 - w)``: a title keyword
  weighs more than a description keyword, a weak keyword less than a strong one, and a CPV code
  by how specific its matching prefix is (the most specific prefix in the table wins).
  Negative rules drop an area's keyword evidence from a field that contains them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.records import AreaScore
from tenderwatch.config.models import TaxonomyConfig

_COMBINING = re.compile(r"[\u0300-\u036f]")
_TOKEN = re.compile(r"[^\W_]+")
_SUFFIXES = (
    "ungen", "ingen", "ions", "ies", "ung", "ing", "ion", "es", "en", "er", "e", "s", "i", "a", "o", "y", "n",
)
_MIN_STEM = 4
_CACHE_LIMIT = 200_000

STRONG, WEAK, NEGATIVE = "strong", "weak", "negative"


def fold(text: str) -> str:
    """Lower-case and strip accents so 'Kryostat', 'kryostat' and 'kryóstat' compare equal."""
    text = text.casefold()
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def tokens(text: str) -> list[str]:
    """The folded words of a text (letters and digits; hyphens, slashes and dots separate)."""
    return _TOKEN.findall(fold(text))


def stem(word: str) -> str:
    """Strip up to two inflection endings, keeping at least four characters.

    Deliberately crude and language-neutral: it only has to map a keyword and the words of a
    notice to the same key, and it is applied to both. Ambiguous short words use ``=exact``.
    """
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


@dataclass(frozen=True)
class _Rule:
    area: str
    kind: str  # strong | weak | negative


@dataclass
class _Compiled:
    exact: dict[str, list[_Rule]] = field(default_factory=dict)
    stems: dict[str, list[_Rule]] = field(default_factory=dict)
    phrases: dict[str, list[tuple[tuple[str, ...], _Rule]]] = field(default_factory=dict)
    prefixes: list[tuple[str, _Rule]] = field(default_factory=list)
    suffixes: list[tuple[str, _Rule]] = field(default_factory=list)


class Classifier:
    """Compiled taxonomy rules; ``classify`` is pure and thread-safe apart from its word cache."""

    def __init__(self, taxonomy: TaxonomyConfig) -> None:
        self.taxonomy = taxonomy
        self._rules = _Compiled()
        for area in taxonomy.areas:
            for kind, table in ((STRONG, area.keywords), (WEAK, area.weak), (NEGATIVE, area.negative)):
                for words in table.values():
                    for word in words:
                        self._add(word, _Rule(area.id, kind))
        self._cpv = {key.rstrip("0").ljust(2, "0"): areas for key, areas in taxonomy.cpv.items()}
        self._cpv_lengths = sorted({len(k) for k in self._cpv}, reverse=True)
        affixes = [p for p, _ in self._rules.prefixes] + [s for s, _ in self._rules.suffixes]
        self._affix_re = re.compile("|".join(map(re.escape, affixes))) if affixes else None
        self._word_cache: dict[str, tuple[str, tuple[_Rule, ...]]] = {}
        self._context = {fold(w) for words in taxonomy.context_words.values() for w in words}
        self._areas = {a.id for a in taxonomy.areas}

    # ------------------------------------------------------------------ compilation

    def _add(self, keyword: str, rule: _Rule) -> None:
        text = fold(keyword.strip())
        if text.startswith("="):
            text = text[1:]
            if _TOKEN.fullmatch(text):
                self._rules.exact.setdefault(text, []).append(rule)
                return
            # '=hl-lhc' is several words: a phrase, which is specific enough without exactness
        if text.endswith("*") and not text.startswith("*"):
            self._rules.prefixes.append((text[:-1], rule))
        elif text.startswith("*") and not text.endswith("*"):
            self._rules.suffixes.append((text[1:], rule))
        else:
            words = tuple(stem(t) for t in _TOKEN.findall(text))
            if not words:
                raise ValueError(f"taxonomy keyword {keyword!r} of area {rule.area!r} has no letters or digits")
            if len(words) == 1:
                self._rules.stems.setdefault(words[0], []).append(rule)
            else:
                self._rules.phrases.setdefault(words[0], []).append((words, rule))

    def _word(self, word: str) -> tuple[str, tuple[_Rule, ...]]:
        """(stem, single-word rules) of a folded word, computed once per distinct word."""
        hit = self._word_cache.get(word)
        if hit is not None:
            return hit
        key = stem(word)
        rules: list[_Rule] = [*self._rules.exact.get(word, ()), *self._rules.stems.get(key, ())]
        if self._affix_re is not None and self._affix_re.search(word):
            rules += [r for p, r in self._rules.prefixes if word.startswith(p) and word != p]
            rules += [r for s, r in self._rules.suffixes if word.endswith(s) and word != s]
        if len(self._word_cache) >= _CACHE_LIMIT:
            self._word_cache.clear()
        hit = self._word_cache[word] = (key, tuple(dict.fromkeys(rules)))
        return hit

    # ------------------------------------------------------------------ matching

    def matches(self, text: str) -> Iterable[tuple[str, _Rule, bool]]:
        """(matched words, rule, after a context word) for every keyword rule found in ``text``."""
        words = _TOKEN.findall(fold(text))
        looked = [self._word(w) for w in words]
        phrases = self._rules.phrases
        context = self._context
        in_context = False
        for i, (key, rules) in enumerate(looked):
            if i and not in_context and words[i] in context:
                in_context = True
            for rule in rules:
                yield words[i], rule, in_context
            for seq, rule in phrases.get(key, ()):
                n = len(seq)
                if i + n <= len(looked) and all(looked[i + j][0] == seq[j] for j in range(1, n)):
                    yield " ".join(words[i : i + n]), rule, in_context

    def cpv_areas(self, code: str) -> tuple[str, list[str]] | None:
        """(matching prefix, areas) of the most specific table entry for a CPV code, if any."""
        digits = code.split("-", maxsplit=1)[0].strip()
        for length in self._cpv_lengths:
            areas = self._cpv.get(digits[:length])
            if areas is not None:
                return digits[:length], areas
        return None

    def classify(self, title: str, description: str | None = None, cpv_codes: list[str] | None = None,
                 language: str | None = None) -> list[AreaScore]:
        """Areas with score in [0, 1] and evidence, best first; the fallback area when nothing fires.

        ``language`` is accepted for the interface but not needed: rules of every language are
        applied, because titles mix languages ("Lieferung von FPGA-Boards").
        """
        tax = self.taxonomy
        weights: dict[str, list[float]] = {}
        evidence: dict[str, list[str]] = {}

        def add(area: str, weight: float, tag: str) -> None:
            tags = evidence.setdefault(area, [])
            if tag not in tags:
                tags.append(tag)
                weights.setdefault(area, []).append(weight)

        for code in cpv_codes or []:
            found = self.cpv_areas(code)
            if found is None:
                continue
            prefix, areas = found
            weight = tax.cpv_weight * tax.cpv_specificity[min(len(prefix), 5) - 2]
            for area in areas:
                add(area, weight, f"cpv:{code}")

        for name, text, base in (("title", title, tax.title_weight),
                                 ("description", description, tax.description_weight)):
            if not text:
                continue
            found = list(self.matches(text))
            vetoed = {rule.area for _, rule, _ in found if rule.kind == NEGATIVE}
            for words, rule, in_context in found:
                if rule.kind == NEGATIVE or rule.area in vetoed:
                    continue
                weight = base * (tax.weak_factor if rule.kind == WEAK else 1.0)
                if in_context and name == "title":
                    weight *= tax.context_factor
                add(rule.area, weight, f"{name}:{words}")

        scored: list[AreaScore] = []
        for area, ws in weights.items():
            miss = 1.0
            for w in ws:
                miss *= 1.0 - min(w, 1.0)
            score = round(1.0 - miss, 3)
            if score >= tax.threshold:
                scored.append(AreaScore(id=area, score=score, evidence=evidence[area]))
        if scored:
            top = max(a.score for a in scored)
            scored = [a for a in scored if a.score >= top * tax.relative_threshold]
            technical = [a for a in scored if a.id != tax.fallback_area]
            if technical and tax.fallback_area in {a.id for a in scored}:
                fb = next(a for a in scored if a.id == tax.fallback_area)
                if fb.score < max(a.score for a in technical):
                    scored = technical
        if not scored:
            scored = [AreaScore(id=tax.fallback_area, score=tax.threshold, evidence=["fallback:no-technical-signal"])]
        return sorted(scored, key=lambda a: (-a.score, a.id))
