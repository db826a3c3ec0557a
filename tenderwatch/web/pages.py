"""What every page of the site needs: the site's state (``WebState``, ``state(request)``) and
``render`` (a template with the language, formatting helpers and CSRF token), with the helpers it
hands templates. View modules import this; ``tenderwatch.web.app`` builds the application from the
view modules' routes, so no view imports the app that imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup
from sqlalchemy import Engine, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from pipeline.evidence import evidence_phrases
from pipeline.values import ValueBands
from tenderwatch import formats
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Organisation, TechnologyArea
from tenderwatch.web import i18n
from tenderwatch.web.security import csrf_token, current_user

HERE = Path(__file__).resolve().parent


@dataclass
class WebState:
    config: Config
    engine: Engine
    secret: str
    templates: Jinja2Templates
    clock: Any = None
    """Optional callable returning the current aware datetime (tests pin time through it)."""

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(UTC)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.settings.timezone)

    @property
    def site_url(self) -> str:
        return self.config.settings.site_base_url

    @cached_property
    def value_bands(self) -> ValueBands:
        """The sources' cost-range codes, read once per site (call pages show values through them)."""
        return ValueBands(self.config.sources)

    def vocabulary(self) -> tuple[dict[str, str], dict[str, str]]:
        """Organisation code -> name and area id -> label, as stored (config mirrored into the DB)."""
        with session_scope(self.engine) as session:
            orgs = {o.code: o.name for o in session.scalars(select(Organisation).order_by(Organisation.code))}
            areas = {a.id: a.label for a in session.scalars(select(TechnologyArea).order_by(TechnologyArea.id))}
        return orgs, areas

    def area_label(self, area_id: str, lang: str) -> str:
        for a in self.config.taxonomy.areas:
            if a.id == area_id:
                return (a.label_nl or a.label) if lang == "nl" else a.label
        return area_id


def state(request: Request) -> WebState:
    return request.app.state.web


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None, *, lang: str | None = None) -> Response:
    """Render a template with the language, helpers and CSRF token every page needs. ``lang`` is the
    reader's language when the page knows it better than the request (a company's own pages)."""
    web = state(request)
    lang = i18n.pick_language(request, default=lang)
    tz = web.config.settings.timezone

    def t(text: str, **values: object) -> str:
        return i18n.translate(lang, text, **values)

    ctx = {
        "lang": lang,
        "t": t,
        "when": lambda dt, with_time=True: when(dt, lang, tz, with_time=with_time),
        "deadline": lambda notice: deadline_html(notice, lang, tz),
        "when_day": lambda day: formats.format_date(day, lang, weekday=False),
        "csrf": lambda: csrf_token(request),
        "user": current_user(request),
        "area_label": lambda area_id: web.area_label(area_id, lang),
        "evidence_words": lambda tags: ", ".join(evidence_phrases(tags, lang)),
        "site_url": web.site_url,
        "lang_url": lambda code: local_url(request, lang=code),
        "link": http_link,
        **(context or {}),
    }
    response = web.templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax",
                            secure=request.url.scheme == "https")
    return response


def when(value: datetime | None, lang: str, tz: str, *, with_time: bool = True) -> str:
    """A stored moment as the site shows it: ``tenderwatch.formats``' time, or its day in the site's zone."""
    if value is None:
        return ""
    return formats.format_time(value, tz, lang) if with_time else formats.format_day(value, tz, lang)


def deadline_html(notice: Any, lang: str, tz: str) -> Markup:
    """A notice's deadline as a ``<time>`` element: the day alone for a date-only deadline, else the moment."""
    day = notice.deadline_date
    machine = day.isoformat() if day is not None else notice.deadline_at.isoformat()
    return Markup('<time datetime="{}">{}</time>').format(
        machine, formats.format_deadline(notice.deadline_at, tz, lang, day))


def local_url(request: Request, **params: str) -> str:
    """The request's own path and query (with ``params`` set) as a site-relative link: never built from the
    ``Host`` header a client sent."""
    return str(request.url.replace(scheme="", netloc="").include_query_params(**params))


def http_link(url: str | None) -> str:
    """Only http(s) URLs from scraped data become links (``pipeline.cleaning.public_url``); else "#"."""
    from pipeline.cleaning import public_url

    return public_url(url) or "#"


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template is HTML: scraped text is hostile
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)
