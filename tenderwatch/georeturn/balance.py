"""How balanced is a country's return from an organisation: the figures of the georeturn page.

The return coefficient (CERN's definition, used for every organisation with contribution figures):

    coefficient = (country's share of the value of the contracts awarded, per cent)
                  / (country's share of the contributions to the budget, per cent)

over a period (CERN: a rolling 12 months), per kind of contract when the organisation balances
supplies and services apart, classed by the organisation's thresholds (``ReturnRule`` in
``config/organisations.yaml``). Values are compared in euro (``tenderwatch.georeturn.rates``).

Only known awards count (``tenderwatch.georeturn.awards``): TED, the organisation's lists, ILOs'
follow-up. Their number is a lower bound of what was awarded, so every report says how many are
known from where and which were left out of the sums (no value, no winner country, no rate).
The contribution share of a period spanning years is the day-weighted mean of the years' shares;
a year without figures uses the newest earlier year that has them, and the report says so.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from tenderwatch.config.models import ContractBalance, ContributionYear, OrganisationConfig, ReturnRule
from tenderwatch.georeturn.awards import ORIGIN_PLURALS, AwardFact, gather
from tenderwatch.georeturn.rates import RateError, RateTable

HUNDRED = Decimal(100)
TREND_YEARS = 5
DEFAULT_MONTHS = 12


# --------------------------------------------------------------------------- periods


def months_back(day: date, months: int) -> date:
    """``day`` moved back ``months`` calendar months (the last day of a shorter month when needed)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str

    @classmethod
    def rolling(cls, end: date, months: int = DEFAULT_MONTHS) -> Period:
        """The ``months`` months up to and including ``end``."""
        start = months_back(end, months) + timedelta(days=1)
        return cls(start, end, f"{start.isoformat()} – {end.isoformat()}")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31), str(year))

    def shifted(self, years: int) -> Period:
        """The same period ``years`` years earlier (trend points)."""
        start, end = months_back(self.start, 12 * years), months_back(self.end, 12 * years)
        if self.start == date(self.start.year, 1, 1) and self.end == date(self.start.year, 12, 31):
            return Period.year(self.start.year - years)
        return Period(start, end, f"{start.isoformat()} – {end.isoformat()}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


# --------------------------------------------------------------------------- contributions


@dataclass
class ContributionUsed:
    """The contribution shares (per cent per country) that apply to a period, and where they come from."""

    shares: dict[str, Decimal]
    years: list[tuple[int, int]]
    """(year of the period, year of the figures used for it)."""
    sources: list[ContributionYear]

    @property
    def illustrative(self) -> bool:
        return any(c.illustrative for c in self.sources)

    @property
    def fallbacks(self) -> list[tuple[int, int]]:
        """Years of the period whose own figures are missing, with the year used instead."""
        return [(y, used) for y, used in self.years if y != used]


def contribution_shares(org: OrganisationConfig, period: Period) -> ContributionUsed | None:
    """Day-weighted shares over ``period``; None when config has no figures for it (nor before it)."""
    figures = sorted(org.contributions, key=lambda c: c.year)
    if not figures:
        return None
    weighted: dict[str, Decimal] = defaultdict(Decimal)
    years: list[tuple[int, int]] = []
    used: dict[int, ContributionYear] = {}
    for year in range(period.start.year, period.end.year + 1):
        known = [c for c in figures if c.year <= year]
        if not known:
            return None
        chosen = known[-1]
        first, last = max(period.start, date(year, 1, 1)), min(period.end, date(year, 12, 31))
        weight = Decimal((last - first).days + 1) / Decimal(period.days)
        for country, share in chosen.shares.items():
            weighted[country] += share * weight
        years.append((year, chosen.year))
        used[chosen.year] = chosen
    return ContributionUsed(dict(weighted), years, [used[y] for y in sorted(used)])


# --------------------------------------------------------------------------- balances


def classify(coefficient: Decimal | None, balance: ContractBalance | None) -> str | None:
    if coefficient is None or balance is None:
        return None
    for cls in balance.classes:
        if coefficient < cls.below:
            return cls.label
    return balance.otherwise


@dataclass
class CountryBalance:
    """One country's figures for one kind of contract (``all``, ``supplies``, ``services``)."""

    country: str
    kind: str
    contracts: int
    orders_eur: Decimal
    total_eur: Decimal
    contribution_share: Decimal | None

    @property
    def orders_share(self) -> Decimal | None:
        return self.orders_eur / self.total_eur * HUNDRED if self.total_eur else None

    @property
    def coefficient(self) -> Decimal | None:
        share = self.orders_share
        if share is None or not self.contribution_share:
            return None
        return share / self.contribution_share


@dataclass
class Counted:
    """An award in the sums, with its value in euro and the rate used."""

    fact: AwardFact
    eur: Decimal
    rate_note: str


@dataclass
class AreaRow:
    area: str
    total_eur: Decimal
    country_eur: Decimal
    contracts: int
    country_contracts: int

    @property
    def share(self) -> Decimal:
        return self.country_eur / self.total_eur * HUNDRED if self.total_eur else Decimal(0)


@dataclass
class TrendPoint:
    period: Period
    coefficients: dict[str, Decimal | None]
    """Kind of contract -> the country's coefficient (None: nothing known or no contribution)."""
    contracts: int


@dataclass
class Report:
    organisation: str
    country: str
    period: Period
    rule: ReturnRule | None
    kinds: list[str]
    contributions: ContributionUsed | None
    counted: list[Counted]
    left_out: list[tuple[AwardFact, str]]
    balances: dict[str, list[CountryBalance]] = field(default_factory=dict)
    """Kind -> every country's balance (contributors and winners), the chosen country's first."""
    areas: list[AreaRow] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)

    def balance(self, kind: str) -> CountryBalance | None:
        return next((b for b in self.balances.get(kind, []) if b.country == self.country), None)

    def rule_for(self, kind: str) -> ContractBalance | None:
        if self.rule is None:
            return None
        return next((c for c in self.rule.contracts if c.kind == kind), None)

    def label(self, kind: str, coefficient: Decimal | None) -> str | None:
        return classify(coefficient, self.rule_for(kind))

    @property
    def country_awards(self) -> list[Counted]:
        return [c for c in self.counted if c.fact.country == self.country]

    @property
    def known(self) -> int:
        return len(self.counted) + len(self.left_out)

    def origins(self) -> Counter[str]:
        return Counter([c.fact.origin for c in self.counted] + [f.origin for f, _ in self.left_out])

    def completeness(self) -> str:
        """'CERN: 3 of an unknown number of contracts known (2 TED award notices, 1 ILO follow-up); ...'"""
        parts = ", ".join(f"{n} {ORIGIN_PLURALS.get(o, o)}" for o, n in sorted(self.origins().items()))
        text = f"{self.organisation}: {self.known} of an unknown number of contracts known"
        text += f" ({parts})" if parts else ""
        if self.left_out:
            text += f"; {len(self.left_out)} not in the sums (see below)"
        return text


def kinds_of(rule: ReturnRule | None) -> list[str]:
    return [c.kind for c in rule.contracts] if rule else ["all"]


def _count(facts: list[AwardFact], rates: RateTable) -> tuple[list[Counted], list[tuple[AwardFact, str]]]:
    counted: list[Counted] = []
    left_out: list[tuple[AwardFact, str]] = []
    for fact in facts:
        if fact.amount is None or not fact.currency:
            left_out.append((fact, "no value given"))
            continue
        if not fact.country:
            left_out.append((fact, "no winner country given"))
            continue
        try:
            conv = rates.to_eur(fact.amount, fact.currency, fact.day)
        except RateError as exc:
            left_out.append((fact, str(exc)))
            continue
        note = "" if conv.currency == "EUR" else (
            f"{conv.currency} at {conv.rate} per euro (ECB, {conv.rate_day.isoformat() if conv.rate_day else ''})")
        counted.append(Counted(fact, conv.eur, note))
    return counted, left_out


def _balances(counted: list[Counted], kind: str, contributions: ContributionUsed | None,
              country: str) -> list[CountryBalance]:
    mine = [c for c in counted if kind in ("all", c.fact.kind)]
    total = sum((c.eur for c in mine), Decimal(0))
    per: dict[str, list[Counted]] = defaultdict(list)
    for c in mine:
        per[c.fact.country or ""].append(c)
    shares = contributions.shares if contributions else {}
    countries = set(per) | set(shares) | {country}
    rows = [CountryBalance(cc, kind, len(per.get(cc, [])), sum((c.eur for c in per.get(cc, [])), Decimal(0)), total,
                           shares.get(cc, Decimal(0)) if contributions else None) for cc in countries if cc]
    return sorted(rows, key=lambda b: (b.country != country, -(b.orders_eur), b.country))


def _areas(counted: list[Counted], country: str) -> list[AreaRow]:
    rows: dict[str, AreaRow] = {}
    for c in counted:
        for area in c.fact.areas or ["(no area)"]:
            row = rows.setdefault(area, AreaRow(area, Decimal(0), Decimal(0), 0, 0))
            row.total_eur += c.eur
            row.contracts += 1
            if c.fact.country == country:
                row.country_eur += c.eur
                row.country_contracts += 1
    return sorted(rows.values(), key=lambda r: (-r.total_eur, r.area))


def report(session: Session, org: OrganisationConfig, country: str, period: Period, rates: RateTable, *,
           trend_years: int = TREND_YEARS) -> Report:
    """The georeturn report of ``country`` with ``org`` over ``period``, with its trend."""
    kinds = kinds_of(org.return_rule)
    oldest = period.shifted(trend_years - 1) if trend_years > 1 else period
    facts = gather(session, organisation=org.code, start=oldest.start, end=period.end)
    counted_all, left_out_all = _count(facts, rates)

    def within(p: Period, day: date) -> bool:
        return p.start <= day <= p.end

    counted = [c for c in counted_all if within(period, c.fact.day)]
    left_out = [(f, why) for f, why in left_out_all if within(period, f.day)]
    contributions = contribution_shares(org, period)
    result = Report(org.code, country, period, org.return_rule, kinds, contributions, counted, left_out)
    result.balances = {kind: _balances(counted, kind, contributions, country) for kind in kinds}
    result.areas = _areas(counted, country)
    for back in range(trend_years - 1, -1, -1):
        p = period.shifted(back)
        in_p = [c for c in counted_all if within(p, c.fact.day)]
        used = contribution_shares(org, p)
        coefficients = {}
        for kind in kinds:
            mine = next((b for b in _balances(in_p, kind, used, country) if b.country == country), None)
            coefficients[kind] = mine.coefficient if mine else None
        result.trend.append(TrendPoint(p, coefficients, len(in_p)))
    return result


def organisations_with_figures(orgs: list[OrganisationConfig]) -> list[OrganisationConfig]:
    return [o for o in orgs if o.contributions]
