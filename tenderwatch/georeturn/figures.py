"""A georeturn report as the figures people read: rounded once, here, for the page, its CSV and JSON
and the command alike (so the page's numbers are the CSV's, digit for digit).

Euro amounts are whole euros, shares per cent with two decimals, coefficients two decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tenderwatch.config import Config
from tenderwatch.georeturn.balance import CountryBalance, Report

CSV_COLUMNS = ["organisation", "period_start", "period_end", "country", "contracts_kind", "contracts",
               "orders_eur", "all_orders_eur", "orders_share_pct", "contribution_share_pct", "coefficient",
               "class", "contribution_figures", "illustrative"]


def euros(value: Decimal | None) -> str:
    return "" if value is None else str(value.quantize(Decimal(1), ROUND_HALF_UP))


def two(value: Decimal | None) -> str:
    return "" if value is None else str(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


def display(figure: str, language: str) -> str:
    """A figure of this module (``euros``/``two``) with the reader's separators, its decimals kept:
    '500708' -> '500,708' in English, '500.708' in Dutch; '' -> '—'."""
    if not figure:
        return "—"
    from babel.numbers import format_decimal

    from tenderwatch.formats import locale_of

    decimals = len(figure.partition(".")[2])
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(Decimal(figure), format=pattern, locale=locale_of(language))


def contribution_note(result: Report) -> str:
    """Which years' figures the contribution share comes from, and their sources."""
    used = result.contributions
    if used is None:
        return ""
    parts = [f"{c.year}: {c.source}" + (" (illustrative)" if c.illustrative else "") for c in used.sources]
    return "; ".join(parts)


def balance_row(result: Report, row: CountryBalance) -> list[str]:
    return [result.organisation, result.period.start.isoformat(), result.period.end.isoformat(), row.country,
            row.kind, str(row.contracts), euros(row.orders_eur), euros(row.total_eur), two(row.orders_share),
            two(row.contribution_share), two(row.coefficient), result.label(row.kind, row.coefficient) or "",
            contribution_note(result), "yes" if result.contributions and result.contributions.illustrative else "no"]


def csv_rows(result: Report) -> list[list[str]]:
    """Every country's balance per kind of contract, the chosen country first."""
    return [balance_row(result, row) for kind in result.kinds for row in result.balances.get(kind, [])]


def report_json(result: Report, config: Config) -> dict[str, Any]:
    """The whole report: headline, every country, trend, areas, the awards behind it and what was left out."""
    org = config.organisation(result.organisation)
    used = result.contributions
    return {
        "organisation": result.organisation,
        "organisation_name": org.name if org else result.organisation,
        "country": result.country,
        "period": {"start": result.period.start.isoformat(), "end": result.period.end.isoformat(),
                   "label": result.period.label},
        "rule": None if result.rule is None else {
            "name": result.rule.name, "source": result.rule.source, "url": result.rule.url,
            "period_months": result.rule.period_months,
            "contracts": [{"kind": c.kind, "classes": [{"below": float(k.below), "label": k.label} for k in c.classes],
                           "otherwise": c.otherwise} for c in result.rule.contracts]},
        "contributions": None if used is None else {
            "years": [{"year": y, "figures_of": f} for y, f in used.years],
            "sources": [{"year": c.year, "source": c.source, "url": c.url, "illustrative": c.illustrative}
                        for c in used.sources],
            "illustrative": used.illustrative},
        "completeness": result.completeness(),
        "balances": [dict(zip(CSV_COLUMNS, balance_row(result, row), strict=True))
                     for kind in result.kinds for row in result.balances.get(kind, [])],
        "trend": [{"period": {"start": p.period.start.isoformat(), "end": p.period.end.isoformat(),
                              "label": p.period.label},
                   "coefficients": {k: (two(v) or None) for k, v in p.coefficients.items()},
                   "contracts": p.contracts} for p in result.trend],
        "areas": [{"area": a.area, "all_orders_eur": euros(a.total_eur), "country_orders_eur": euros(a.country_eur),
                   "contracts": a.contracts, "country_contracts": a.country_contracts,
                   "country_share_pct": two(a.share)}
                  for a in result.areas],
        "awards": [{"key": c.fact.key, "origin": c.fact.origin, "source": c.fact.source, "also_in": c.fact.also_in,
                    "date": c.fact.day.isoformat(), "supplier": c.fact.supplier, "country": c.fact.country,
                    "amount": str(c.fact.amount), "currency": c.fact.currency, "eur": euros(c.eur),
                    "rate": c.rate_note or None, "kind": c.fact.kind, "areas": c.fact.areas, "title": c.fact.title,
                    "call": c.fact.call_uid} for c in result.counted],
        "left_out": [{"key": f.key, "origin": f.origin, "source": f.source, "date": f.day.isoformat(),
                      "supplier": f.supplier, "country": f.country, "why": why} for f, why in result.left_out],
    }
