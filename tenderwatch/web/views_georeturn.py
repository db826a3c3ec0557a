"""/georeturn: how balanced is a country's return from an organisation (``tenderwatch.georeturn``).

One page, its CSV (every country's balance, as the page's table) and its JSON (everything the page
shows). They share one parse of the query (``GeoQuery.parse``: a bad date, year, country or
organisation is left out and said, through ``tenderwatch.date_input`` like every date typed on the
site) and one ``tenderwatch.georeturn.figures`` for rounding, so the numbers are the same in all
three. Rates come from the shipped ECB table and the database: nothing is fetched at page load.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipeline.csv_export import write_csv
from tenderwatch.config import Config
from tenderwatch.config.models import OrganisationConfig
from tenderwatch.db.engine import session_scope
from tenderwatch.georeturn import figures
from tenderwatch.georeturn.awards import ORIGIN_PLURALS, gather
from tenderwatch.georeturn.balance import Period, Report, report
from tenderwatch.georeturn.rates import load_table
from tenderwatch.web import i18n, queries
from tenderwatch.web.charts import trend_chart
from tenderwatch.web.pages import render, state
from tenderwatch.web.security import attachment

CSV_TYPE = "text/csv; charset=utf-8"
KIND_LABELS = {"all": "All contracts", "supplies": "Supply contracts", "services": "Service contracts"}


@dataclass
class GeoQuery:
    organisation: OrganisationConfig
    country: str
    period: Period
    year: int | None
    start: date | None
    end: date | None
    chosen: bool
    """Whether the visitor asked for a period, even one left out as invalid (else the default rolling period,
    which moves to the latest known award when it holds none)."""
    problems: list[queries.FilterProblem]

    @classmethod
    def parse(cls, params: Any, config: Config, today: date) -> GeoQuery:
        problems: list[queries.FilterProblem] = []
        orgs = {o.code: o for o in config.organisations}
        code = str(params.get("organisation") or "")
        if code and code not in orgs:
            problems.append(queries.FilterProblem("organisation", queries.UNKNOWN_VALUE, {"value": repr(code[:40])}))
        org = orgs.get(code) or next((o for o in config.organisations if o.contributions), config.organisations[0])
        country = str(params.get("country") or "").strip().upper()
        if country and not queries.COUNTRY_RE.match(country):
            problems.append(queries.FilterProblem("country", queries.NOT_A_COUNTRY, {"value": repr(country[:40])}))
            country = ""
        country = country or config.settings.home_country
        year_text = str(params.get("year") or "").strip()
        year = int(year_text) if year_text.isdigit() and 1950 <= int(year_text) <= 2100 else None
        if year_text and year is None:
            problems.append(queries.FilterProblem("year", "{value} is not a year from 1950 to 2100",
                                                  {"value": repr(year_text[:40])}))
        start = queries.read_date(params, "start", problems)
        end = queries.read_date(params, "end", problems)
        months = org.return_rule.period_months if org.return_rule else 12
        if year is not None:
            period = Period.year(year)
        elif start or end:
            last = end or today
            first = start or Period.rolling(last, months).start
            first, last = min(first, last), max(first, last)
            period = Period(first, last, f"{first.isoformat()} – {last.isoformat()}")
        else:
            period = Period.rolling(today, months)
        asked = any(str(params.get(key) or "").strip() for key in ("year", "start", "end"))
        return cls(org, country, period, year, start, end, asked, problems)

    def as_query(self) -> dict[str, str]:
        out = {"organisation": self.organisation.code, "country": self.country}
        if self.year:
            out["year"] = str(self.year)
        elif self.chosen:
            out.update(start=self.period.start.isoformat(), end=self.period.end.isoformat())
        return out


def _latest_award_day(session: Any, org: str, before: date) -> date | None:
    """The day of the newest known award of ``org`` up to ``before`` (for an empty default window)."""
    facts = gather(session, organisation=org, start=date(1950, 1, 1), end=before)
    return max((f.day for f in facts), default=None)


def _report(request: Request) -> tuple[GeoQuery, Report, date | None]:
    web = state(request)
    q = GeoQuery.parse(request.query_params, web.config, web.now().astimezone(web.tz).date())
    moved: date | None = None
    with session_scope(web.engine) as session:
        rates = load_table(session)
        result = report(session, q.organisation, q.country, q.period, rates)
        if not q.chosen and not result.known:
            latest = _latest_award_day(session, q.organisation.code, q.period.start - timedelta(days=1))
            if latest is not None:
                months = q.organisation.return_rule.period_months if q.organisation.return_rule else 12
                q.period, moved = Period.rolling(latest, months), latest
                result = report(session, q.organisation, q.country, q.period, rates)
    return q, result, moved


def georeturn_page(request: Request) -> Response:
    web = state(request)
    q, result, moved = _report(request)
    lang = i18n.pick_language(request)
    t = partial(i18n.translate, lang)
    kinds = [t(KIND_LABELS[k]) for k in result.kinds]
    rules = [(kind, rule) for kind in result.kinds if (rule := result.rule_for(kind))]
    lines = sorted({float(c.below) for _, rule in rules for c in rule.classes})
    note = "; ".join((f"{t(KIND_LABELS[kind])}: " if len(rules) > 1 else "") + ", ".join(
        f"< {c.below:.2f} {t(c.label)}" for c in rule.classes) for kind, rule in rules)
    points = [(p.period.label, [float(v) if v is not None else None for v in p.coefficients.values()])
              for p in result.trend]
    # without a coefficient in any period (no contribution figures, nothing known) a chart of dashes says
    # nothing: the page says why instead, and the table below still counts the contracts known
    chart = trend_chart(points, series=kinds, lines=lines,
                        title=t("Return coefficient of {country} at {organisation}, five periods",
                                country=q.country, organisation=q.organisation.code)) if any(
        v is not None for _, vs in points for v in vs) else None
    orgs = [(o.code, o.name, bool(o.contributions)) for o in web.config.organisations]
    return render(request, "georeturn.html", {
        "q": q, "r": result, "moved": moved, "chart": chart, "organisations": orgs, "kind_labels": KIND_LABELS,
        "euros": figures.euros, "two": figures.two, "contribution_note": figures.contribution_note(result),
        "query": q.as_query(), "problems": q.problems, "origin_plurals": ORIGIN_PLURALS,
        "show": lambda figure: figures.display(figure, lang),
        "limits_note": note,
    }, status_code=400 if q.problems else 200)


def problems_response(problems: list[queries.FilterProblem]) -> Response:
    return Response("".join(f"{p}\n" for p in problems), status_code=400, media_type="text/plain; charset=utf-8")


def georeturn_csv(request: Request) -> Response:
    q, result, _ = _report(request)
    if q.problems:
        return problems_response(q.problems)
    out = io.StringIO()
    write_csv(out, figures.CSV_COLUMNS, figures.csv_rows(result))
    name = f"georeturn-{q.organisation.code}-{q.country}-{q.period.start.isoformat()}-{q.period.end.isoformat()}.csv"
    return Response(out.getvalue(), media_type=CSV_TYPE, headers={"content-disposition": attachment(name)})


def georeturn_json(request: Request) -> Response:
    q, result, _ = _report(request)
    if q.problems:
        return problems_response(q.problems)
    body = json.dumps(figures.report_json(result, state(request).config), ensure_ascii=False, indent=1)
    return Response(body, media_type="application/json")


ROUTES = [
    Route("/georeturn", georeturn_page, name="georeturn"),
    Route("/georeturn.csv", georeturn_csv, name="georeturn_csv"),
    Route("/georeturn.json", georeturn_json, name="georeturn_json"),
]
