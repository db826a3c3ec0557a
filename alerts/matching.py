"""Which companies a notice matches, and why: index-based, never an all-pairs loop.

A notice matches a company when (a) one of its technology areas is one of the company's, or one
of its CPV codes starts with one of the company's prefixes, or one of the company's keywords occurs
in its title or description (whole words, accents and case folded); and (b) its organisation is of
interest (empty list = all); and (c) the company's country is eligible (``eligible_countries``
None = open to all); and (d) it is still open; and (e) its value, when known in EUR, lies in the
company's band (a value in another currency or none at all does not exclude a call: an ILO would
rather show it than hide it).

Two directions, one rule:

- ``NoticeIndex(notices).match(company)``: the calls of one company (digests). Notices are
  indexed by area, by every CPV prefix (2-8 digits), by word, by organisation and by eligible
  country; a company's matches are set intersections done in C, and Python only touches the
  matches themselves (to record reasons). Keyword results are cached per distinct keyword, since
  hundreds of companies share words like "cryostat".
- ``CompanyIndex(companies).companies_for(notice)``: the companies of one call (ILO
  notifications, the web call page). Companies are indexed by area, CPV prefix and keyword.

Both return ``Reason`` lists, so a digest or a notification can say *why* a call is there.
``tests/alerts/test_matching.py`` checks that both directions agree on random data.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from alerts.facts import CompanyProfile, NoticeFacts
from pipeline.classify import fold

EMPTY: frozenset[int] = frozenset()
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Reason:
    """One ground for a match: ``kind`` is area, keyword or cpv; ``value`` the company's own term."""

    kind: str
    value: str
    detail: str | None = None
    """For cpv: the notice's code that has the prefix."""

    def as_dict(self) -> dict[str, str]:
        out = {"kind": self.kind, "value": self.value}
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(slots=True)
class Match:
    notice: NoticeFacts
    reasons: list[Reason]


@lru_cache(maxsize=65536)
def keyword_pattern(keyword: str) -> tuple[tuple[str, ...], re.Pattern[str] | None]:
    """Folded tokens of a keyword and the whole-word phrase regex that confirms it in folded text."""
    tokens = tuple(_WORD.findall(fold(keyword)))
    if not tokens:
        return tokens, None
    body = r"\W+".join(re.escape(t) for t in tokens)
    return tokens, re.compile(rf"(?<!\w){body}(?!\w)")


def keyword_in(keyword: str, notice: NoticeFacts) -> bool:
    tokens, pattern = keyword_pattern(keyword)
    if pattern is None or not notice.words.issuperset(tokens):
        return False
    return pattern.search(notice.folded_text) is not None


def value_in_band(notice: NoticeFacts, low: Decimal | None, high: Decimal | None) -> bool:
    """Only a known EUR value outside the band excludes a call."""
    if notice.value_amount is None or (low is None and high is None):
        return True
    if (notice.value_currency or "EUR") != "EUR":
        return True
    amount = Decimal(notice.value_amount)
    return not ((low is not None and amount < low) or (high is not None and amount > high))


def _cpv_reason(prefix: str, codes: Sequence[str]) -> Reason:
    code = next((c for c in codes if c.startswith(prefix)), None)
    return Reason("cpv", prefix, code)


class NoticeIndex:
    """Open notices indexed for matching many companies (see module docstring)."""

    def __init__(self, notices: Iterable[NoticeFacts], *, at: datetime | None = None) -> None:
        self.notices: dict[int, NoticeFacts] = {}
        self.by_area: dict[str, set[int]] = defaultdict(set)
        self.by_cpv: dict[str, set[int]] = defaultdict(set)
        self.by_word: dict[str, set[int]] = defaultdict(set)
        self.by_org: dict[str | None, set[int]] = defaultdict(set)
        self._open_to_all: set[int] = set()
        self._by_country: dict[str, set[int]] = defaultdict(set)
        for n in notices:
            if at is not None and not n.is_open(at):
                continue
            self.notices[n.id] = n
            for area, _score in n.areas:
                self.by_area[area].add(n.id)
            for code in n.cpv_codes:
                for length in range(2, min(len(code), 8) + 1):
                    self.by_cpv[code[:length]].add(n.id)
            for word in n.words:
                self.by_word[word].add(n.id)
            self.by_org[n.organisation].add(n.id)
            if n.eligible_countries is None:
                self._open_to_all.add(n.id)
            else:
                for c in n.eligible_countries:
                    self._by_country[c].add(n.id)
        self._eligible: dict[str, frozenset[int]] = {}
        self._orgs: dict[tuple[str, ...], frozenset[int]] = {}
        self._keywords: dict[str, frozenset[int]] = {}
        self._allowed: dict[tuple[str, frozenset[int]], frozenset[int]] = {}
        # Deadline order (unknown last, then id) as one integer per notice, so sorting a company's
        # matches compares ints instead of building a tuple per match.
        ranked = sorted(self.notices.values(), key=lambda n: (
            n.deadline_at is None, n.deadline_at or datetime.min.replace(tzinfo=n.first_seen_at.tzinfo), n.id))
        self._rank: dict[int, int] = {n.id: i for i, n in enumerate(ranked)}

    def __len__(self) -> int:
        return len(self.notices)

    def eligible_for(self, country: str) -> frozenset[int]:
        hit = self._eligible.get(country)
        if hit is None:
            hit = self._eligible[country] = frozenset(self._open_to_all | self._by_country.get(country, set()))
        return hit

    def of_organisations(self, codes: Sequence[str]) -> frozenset[int]:
        key = tuple(sorted(set(codes)))
        hit = self._orgs.get(key)
        if hit is None:
            hit = self._orgs[key] = frozenset().union(*(self.by_org.get(c, set()) for c in key))
        return hit

    def keyword_hits(self, keyword: str) -> frozenset[int]:
        """Notices whose title or description contains the keyword: word sets first, then the phrase regex."""
        hit = self._keywords.get(keyword)
        if hit is None:
            tokens, pattern = keyword_pattern(keyword)
            if pattern is None:
                hit = EMPTY
            else:
                sets = sorted((self.by_word.get(t, set()) for t in tokens), key=len)
                candidates = set(sets[0]).intersection(*sets[1:]) if sets else set()
                if len(tokens) == 1:
                    hit = frozenset(candidates)
                else:
                    hit = frozenset(i for i in candidates if pattern.search(self.notices[i].folded_text))
            self._keywords[keyword] = hit
        return hit

    def allowed_for(self, company: CompanyProfile, within: Iterable[int] | None = None) -> frozenset[int] | set[int]:
        """Notices the company may see at all: eligible country, organisation of interest, optional subset."""
        allowed: frozenset[int] | set[int] = self.eligible_for(company.country)
        if not company.organisations and isinstance(within, frozenset):
            # Most companies take every organisation and share a country and a digest window:
            # their allowed set is one of a handful, so it is intersected once per run.
            key = (company.country, within)
            hit = self._allowed.get(key)
            if hit is None:
                if len(self._allowed) >= 256:  # many distinct windows (one per previous digest): stay bounded
                    self._allowed.clear()
                hit = self._allowed[key] = frozenset(allowed & within)
            return hit
        if company.organisations:
            allowed = allowed & self.of_organisations(company.organisations)
        if within is not None:
            allowed = allowed & (within if isinstance(within, set | frozenset) else set(within))
        return allowed

    def match(self, company: CompanyProfile, within: Iterable[int] | None = None) -> list[Match]:
        """The company's matching notices (optionally among ``within`` ids), each with its reasons.

        Sorted by deadline (unknown last), then id.
        """
        allowed = self.allowed_for(company, within)
        if not allowed:
            return []
        reasons: dict[int, list[Reason]] = defaultdict(list)
        for area in company.areas:
            why = Reason("area", area)  # immutable: one object for every notice it explains
            for nid in self.by_area.get(area, EMPTY) & allowed:
                reasons[nid].append(why)
        for prefix in company.cpv_prefixes:
            for nid in self.by_cpv.get(prefix, EMPTY) & allowed:
                reasons[nid].append(_cpv_reason(prefix, self.notices[nid].cpv_codes))
        for keyword in company.keywords:
            why = Reason("keyword", keyword)
            for nid in self.keyword_hits(keyword) & allowed:
                reasons[nid].append(why)
        notices, low, high = self.notices, company.value_min, company.value_max
        ordered = sorted(reasons, key=self._rank.__getitem__)
        if low is None and high is None:
            return [Match(notices[nid], reasons[nid]) for nid in ordered]
        return [Match(notices[nid], reasons[nid]) for nid in ordered if value_in_band(notices[nid], low, high)]


@dataclass(slots=True)
class CompanyMatch:
    company: CompanyProfile
    reasons: list[Reason]


class CompanyIndex:
    """Companies indexed by area, CPV prefix and keyword, to find the companies of one notice."""

    def __init__(self, companies: Iterable[CompanyProfile]) -> None:
        self.companies: dict[int, CompanyProfile] = {}
        self.by_area: dict[str, set[int]] = defaultdict(set)
        self.by_cpv: dict[str, set[int]] = defaultdict(set)
        self.by_keyword: dict[str, set[int]] = defaultdict(set)
        for c in companies:
            self.companies[c.id] = c
            for area in c.areas:
                self.by_area[area].add(c.id)
            for prefix in c.cpv_prefixes:
                self.by_cpv[prefix].add(c.id)
            for keyword in c.keywords:
                self.by_keyword[keyword].add(c.id)

    def companies_for(self, notice: NoticeFacts, *, at: datetime | None = None) -> list[CompanyMatch]:
        """Companies the notice matches, with reasons, by company name. ``at``: also require it still open then."""
        if at is not None and not notice.is_open(at):
            return []
        reasons: dict[int, list[Reason]] = defaultdict(list)
        for area, _score in notice.areas:
            for cid in self.by_area.get(area, ()):
                reasons[cid].append(Reason("area", area))
        seen_prefix: set[str] = set()
        for code in notice.cpv_codes:
            for length in range(2, min(len(code), 8) + 1):
                prefix = code[:length]
                if prefix in seen_prefix:
                    continue
                seen_prefix.add(prefix)
                for cid in self.by_cpv.get(prefix, ()):
                    reasons[cid].append(_cpv_reason(prefix, notice.cpv_codes))
        for keyword, cids in self.by_keyword.items():
            if keyword_in(keyword, notice):
                for cid in cids:
                    reasons[cid].append(Reason("keyword", keyword))
        out = []
        for cid, why in reasons.items():
            c = self.companies[cid]
            if c.organisations and notice.organisation not in c.organisations:
                continue
            if notice.eligible_countries is not None and c.country not in notice.eligible_countries:
                continue
            if not value_in_band(notice, c.value_min, c.value_max):
                continue
            out.append(CompanyMatch(c, _ordered(why, c)))
        return sorted(out, key=lambda m: (m.company.name.casefold(), m.company.id))


def _ordered(reasons: list[Reason], company: CompanyProfile) -> list[Reason]:
    """Reasons in the order the forward direction produces them: areas, cpv prefixes, keywords, profile order."""
    rank = {("area", a): i for i, a in enumerate(company.areas)}
    rank.update({("cpv", p): 1000 + i for i, p in enumerate(company.cpv_prefixes)})
    rank.update({("keyword", k): 2000 + i for i, k in enumerate(company.keywords)})
    return sorted(reasons, key=lambda r: rank.get((r.kind, r.value), 9999))
