"""Company digests: one mail per recipient per period with the new and changed calls that match.

Interface (stable; the demo and the scheduler call it):

``run_digests(engine, config, *, week=None, now=None, dry_run=False, frequency="weekly",
day=None, progress=None) -> DigestReport``

- ``week`` 'YYYY-Www' (any week, past or next; default the current ISO week in the settings'
  time zone); ``frequency='daily'`` sends the daily companies' digest of ``day`` (default today).
- A call is in a company's digest when it matches the profile (``alerts.matching``) and was
  first seen, or changed, since that company's previous digest (the ledger knows when; the first
  digest looks back one period). Changed calls are marked and say what changed. A "closing soon"
  section repeats every matched open call whose deadline falls within
  ``digest.closing_soon_days``. Deadlines are shown in the company's time zone with days left,
  and attached as an .ics file.
- Exactly once: each recipient's mail becomes a ledger row (``alerts.outgoing``) before it is
  sent; a second run for the same period renders nothing and sends nothing, and a run cut short
  is finished by the next one. ``dry_run`` renders without writing the ledger or sending.
- Raises ``AlertsError`` before doing anything when no secret key is set (links in the mail are
  signed; a default key would make them forgeable).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import Engine, func, select

from alerts.facts import CompanyProfile, NoticeFacts, attach_changes, load_companies, load_open_notices
from alerts.i18n import Texts
from alerts.matching import Match, NoticeIndex, Reason
from alerts.message import Attachment, Unsubscribe, address, build_message, parse_from
from alerts.outgoing import DeliveryReport, deliver_pending, enqueue
from alerts.periods import Period, period_for
from alerts.render import environment, render_pair
from alerts.tokens import TokenError, make_token
from alerts.views import NoticeView, notice_view, reason_label
from pipeline.values import ValueBands
from tenderwatch.calendars import CalendarWriter, DeadlineEvent, deadline_sequences
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Delivery
from tenderwatch.formats import format_day

KIND = "digest"
MAX_LISTED = 50
"""Calls listed in one digest; beyond that the mail says how many more (a mail must stay readable)."""
MAX_CLOSING = 10
"""Calls repeated under "closing soon" (the soonest first): the issue asks for a short section."""
COMMIT_EVERY = 200


class AlertsError(RuntimeError):
    """A problem that stops an alert run before anything is sent (missing secret, bad week...)."""


@dataclass
class RenderedDigest:
    company_key: str
    subject: str
    text: str
    html: str
    ics: bytes | None
    payload: dict[str, Any]
    listed: int
    closing_soon: int
    links: tuple[str, str, str] | None = None
    """(preferences URL, unsubscribe URL, unsubscribe token), as rendered (the mail's headers re-use them)."""


@dataclass
class DigestReport:
    period: str = ""
    frequency: str = "weekly"
    dry_run: bool = False
    companies: int = 0
    """Companies considered (active, subscribed, of this frequency)."""
    matched: int = 0
    """Companies with at least one call in this period's digest."""
    empty: int = 0
    """Companies with nothing to report (no mail unless ``send_empty_digests``)."""
    already: int = 0
    """Recipients whose digest for this period is already in the ledger (not rendered again)."""
    queued: int = 0
    """Ledger rows written by this run."""
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    previews: list[RenderedDigest] = field(default_factory=list)
    """Dry run only: what would be sent."""

    @property
    def sent(self) -> int:
        return self.delivery.sent

    @property
    def failed(self) -> int:
        return self.delivery.failed + self.delivery.rejected

    def __str__(self) -> str:
        head = f"{self.frequency} digest {self.period}{' (dry run)' if self.dry_run else ''}: "
        body = (f"{self.companies} companies, {self.matched} with matches, {self.empty} empty; "
                f"{self.queued} queued, {self.already} already in the ledger")
        if self.dry_run:
            return head + body + f"; {len(self.previews)} rendered"
        d = self.delivery
        return head + body + f"; {d.sent} sent, {d.failed} failed, {d.rejected} rejected, {d.deferred} deferred"


def require_secret(config: Config) -> None:
    if not config.settings.secret_key():
        raise AlertsError(
            f"no secret key: set the environment variable {config.settings.secret_key_env} "
            "(digest links are signed with it; Tenderwatch will not sign with a default key)")


def area_labels(config: Config, language: str) -> dict[str, str]:
    return {a.id: (a.label_nl if language == "nl" and a.label_nl else a.label) for a in config.taxonomy.areas}


class DigestRenderer:
    """Turns one company's matches into subject, text, HTML and calendar (shared by run and bench)."""

    def __init__(self, config: Config, period: Period) -> None:
        self.config = config
        self.settings = config.settings
        self.period = period
        self.closing_days = config.settings.digest.closing_soon_days
        self.labels = {lang: area_labels(config, lang) for lang in ("en", "nl")}
        self.texts = {lang: Texts(lang) for lang in ("en", "nl")}
        self.area_order = {a.id: i for i, a in enumerate(config.taxonomy.areas)}
        self.calendar = CalendarWriter(site_url=config.settings.site_base_url, stamp=period.as_of)
        self.sequences: dict[str, int] = {}
        """How often each call's deadline moved (``tenderwatch.calendars.deadline_sequences``), set by the run."""
        self.value_bands = ValueBands(config.sources)
        self._blocks: dict[tuple[Any, ...], tuple[NoticeView, str, Markup]] = {}
        self._reasons: dict[tuple[Reason, str], str] = {}
        self._ends: dict[tuple[tuple[Reason, ...], str], tuple[str, Markup]] = {}
        self.unsubscribe_mailto = parse_from(config.settings.mail.from_address).addr_spec
        env = environment()
        self._block_text, self._block_html = env.get_template("_block.txt.j2"), env.get_template("_block.html.j2")
        self._text_macros = env.get_template("_notice.txt.j2").module
        self._html_macros = env.get_template("_notice.html.j2").module
        self._row_start = self._html_macros.row_start()  # type: ignore[attr-defined]

    def block(self, notice: NoticeFacts, language: str, timezone: str, status: str | None,
              since: datetime) -> tuple[NoticeView, str, Markup]:
        """A call's view and rendered text/HTML blocks, built once per run for each language, zone and status.

        Everything in a call's block is the same for every company reading it in that language
        and zone; only the reasons differ, and they are rendered beside it. This is what makes
        10,000 digests cheap: a popular call is rendered a handful of times, not thousands.
        """
        key = (notice.id, language, timezone, status, since)
        hit = self._blocks.get(key)
        if hit is None:
            t = self.texts[language]
            view = notice_view(notice, t=t, timezone=timezone, at=self.period.as_of, reasons=[],
                               area_labels=self.labels[language], status=status, since=since,
                               value_bands=self.value_bands)
            hit = self._blocks[key] = (view, self._block_text.render(n=view, t=t).rstrip("\n") + "\n",
                                       Markup(self._block_html.render(n=view, t=t)))  # noqa: S704 - autoescaped
        return hit

    def deadline_event(self, n: NoticeFacts) -> DeadlineEvent | None:
        """A call's calendar event, as the web's calendars write it (same UID and SEQUENCE)."""
        if n.deadline_at is None:
            return None
        return DeadlineEvent(call_uid=n.call_uid, title=n.title, deadline_at=n.deadline_at,
                             deadline_date=n.deadline_date, organisation=n.organisation, reference=n.reference,
                             sequence=self.sequences.get(n.call_uid, 0), cancelled=n.status == "cancelled",
                             last_modified=n.last_changed_at, areas=tuple(a for a, _s in n.areas))

    def reason_labels(self, reasons: list[Reason], language: str, notice: NoticeFacts) -> list[str]:
        out = []
        for r in reasons:
            if r.kind == "area":  # in words with this notice's evidence: "Cryogenics: 'cryostat' in the title"
                out.append(reason_label(r, self.texts[language], self.labels[language], notice.area_evidence))
                continue
            label = self._reasons.get((r, language))
            if label is None:
                label = self._reasons[(r, language)] = reason_label(r, self.texts[language], self.labels[language])
            out.append(label)
        return out

    def item_ends(self, reasons: list[Reason], language: str, notice: NoticeFacts) -> tuple[str, Markup]:
        """What follows a call's block in the text and HTML digest (why it matched), once per distinct
        reasons and evidence."""
        key = (tuple(reasons), language,
               tuple(tuple(notice.area_evidence.get(r.value, ())) for r in reasons if r.kind == "area"))
        hit = self._ends.get(key)
        if hit is None:
            t, labels = self.texts[language], self.reason_labels(reasons, language, notice)
            hit = self._ends[key] = (self._text_macros.item_end(labels, t),  # type: ignore[attr-defined]
                                     self._html_macros.row_end(labels, t))  # type: ignore[attr-defined]
        return hit

    def links(self, company_key: str) -> tuple[str, str, str]:
        """(preferences URL, one-click unsubscribe URL, unsubscribe token)."""
        try:
            prefs = make_token(self.settings, company_key, "preferences")
            unsub = make_token(self.settings, company_key, "unsubscribe")
        except TokenError as exc:
            raise AlertsError(str(exc)) from exc
        base = self.settings.site_base_url
        return f"{base}/preferences/{prefs}", f"{base}/u/{unsub}", unsub

    def _section_of(self, company: CompanyProfile, match: Match) -> str | None:
        chosen = [a for a, _s in match.notice.areas if a in company.areas]
        if chosen:
            return chosen[0]
        return match.notice.areas[0][0] if match.notice.areas else None

    def render(self, company: CompanyProfile, main: list[tuple[Match, str]], closing: list[Match],
               since: datetime) -> RenderedDigest:
        lang = company.language if company.language in self.texts else "en"
        t, labels, as_of, tz = self.texts[lang], self.labels[lang], self.period.as_of, company.timezone
        # Per section, the text and HTML of its calls as lists of strings rendered once per run
        # (blocks, reason lines), joined here rather than re-rendered through macros per company.
        grouped: dict[str | None, tuple[list[str], list[str]]] = defaultdict(lambda: ([], [self._row_start]))
        listed = main[:MAX_LISTED]
        payload_notices = []
        row_start = self._row_start
        for match, status in listed:
            _view, text_block, html_block = self.block(match.notice, lang, tz, status, since)
            text_end, html_end = self.item_ends(match.reasons, lang, match.notice)
            texts, htmls = grouped[self._section_of(company, match)]
            texts += (text_block, text_end)
            htmls += (html_block, html_end, row_start)
            payload_notices.append({"uid": match.notice.uid, "status": status,
                                    "reasons": [r.as_dict() for r in match.reasons]})
        company_rank = {a: i for i, a in enumerate(company.areas)}
        order = sorted(grouped, key=lambda a: (a is None, company_rank.get(a or "", 100),
                                               self.area_order.get(a or "", 1000)))
        sections = [{"label": labels.get(a, t.other_area) if a else t.other_area, "text": "".join(grouped[a][0]),
                     "html": Markup("".join(grouped[a][1][:-1]))}  # noqa: S704 - autoescaped blocks and macros
                    for a in order]
        closing_views = [self.block(m.notice, lang, tz, None, since)[0] for m in closing[:MAX_CLOSING]]
        links = prefs_url, unsub_url, _token = self.links(company.key)
        subject = self.subject(t, company.name, [status for _m, status in listed], len(closing_views))
        expires = format_day(as_of + timedelta(days=self.settings.token_max_age_days), tz, lang)
        shown = [m.notice for m, _ in listed] + [m.notice for m in closing[:MAX_CLOSING]]
        ics = self.calendar.calendar((e for e in map(self.deadline_event, shown) if e is not None),
                                     name=f"Tenderwatch deadlines: {company.name}")
        context = {
            "t": t, "subject": subject, "company": company.name, "period": self.period.label(lang),
            "intro": t("digest_intro", company=company.name, period=self.period.label(lang)),
            "sections": sections, "closing_soon": closing_views, "closing_days": self.closing_days,
            "more": max(0, len(main) - MAX_LISTED), "preferences_url": prefs_url, "unsubscribe_url": unsub_url,
            "expires": expires, "has_calendar": ics is not None,
        }
        text, html = render_pair("digest", context)
        payload = {"period": self.period.key, "company": company.key, "notices": payload_notices,
                   "closing_soon": [m.notice.uid for m in closing[:MAX_CLOSING]],
                   "unlisted": max(0, len(main) - MAX_LISTED)}
        return RenderedDigest(company.key, subject, text, html, ics, payload, len(listed), len(closing_views), links)

    def subject(self, t: Texts, company: str, listed: list[str], closing: int) -> str:
        """What the mail lists, counted: '3 new calls, 1 changed, 2 closing soon' (never '0 calls' above a
        list of closing-soon calls). ``listed``: the status of each call listed in the main sections."""
        period = self.period.label(t.language)
        new = listed.count("new")
        summary = t.summary(("n_new", new), ("n_changed", len(listed) - new), ("n_closing", closing))
        if not summary:
            return t("digest_subject_none", period=period, company=company)
        return t("digest_subject", period=period, summary=summary, company=company)

    def messages(self, company: CompanyProfile, rendered: RenderedDigest, recipients: list[str]) -> list[Any]:
        """One EmailMessage per recipient (each gets its own Message-ID and To)."""
        _prefs, unsub_url, token = rendered.links or self.links(company.key)
        unsubscribe = Unsubscribe(https_url=unsub_url, mailto=self.unsubscribe_mailto, token=token)
        attachments = ()
        if rendered.ics is not None:
            attachments = (Attachment(rendered.ics, "text", "calendar", f"tenderwatch-{self.period.key}.ics",
                                      (("method", "PUBLISH"),)),)
        return [
            (rcpt, build_message(kind=KIND, from_address=self.settings.mail.from_address,
                                 to=[address(company.name, rcpt)], subject=rendered.subject, text=rendered.text,
                                 html=rendered.html, attachments=attachments, unsubscribe=unsubscribe,
                                 date=None))
            for rcpt in recipients
        ]


class Relevance:
    """Which open notices are worth a company's digest, per 'since' moment (cached: most companies share one)."""

    def __init__(self, notices: list[NoticeFacts], period: Period, closing_days: int) -> None:
        self.notices = notices
        limit = period.as_of + timedelta(days=closing_days)
        self.closing = frozenset(n.id for n in notices if n.deadline_at is not None and n.deadline_at <= limit)
        self._cache: dict[datetime, tuple[frozenset[int], frozenset[int]]] = {}
        self._windows: dict[datetime, frozenset[int]] = {}

    def since(self, moment: datetime) -> tuple[frozenset[int], frozenset[int]]:
        """(new ids, changed ids) since ``moment``."""
        hit = self._cache.get(moment)
        if hit is None:
            new = frozenset(n.id for n in self.notices if n.first_seen_at >= moment)
            changed = frozenset(n.id for n in self.notices
                                if n.id not in new and any(c.changed_at >= moment for c in n.changes))
            hit = self._cache[moment] = (new, changed)
        return hit

    def window(self, moment: datetime) -> frozenset[int]:
        """Every notice a digest since ``moment`` may show: new, changed or closing soon (one set per moment)."""
        hit = self._windows.get(moment)
        if hit is None:
            new, changed = self.since(moment)
            if len(self._windows) >= 64:  # companies' previous digests differ by milliseconds: stay bounded
                self._windows.clear()
            hit = self._windows[moment] = new | changed | self.closing
        return hit


def _previous_digests(session: Any, period: Period) -> dict[int, datetime]:
    rows = session.execute(
        select(Delivery.company_id, func.max(Delivery.created_at))
        .where(Delivery.kind == KIND, Delivery.period_key != period.key, Delivery.created_at < period.as_of,
               Delivery.company_id.is_not(None))
        .group_by(Delivery.company_id)
    )
    out = {}
    for cid, at in rows:
        if at is not None:
            out[cid] = at if at.tzinfo else at.replace(tzinfo=UTC)
    return out


def run_digests(engine: Engine, config: Config, *, week: str | None = None, now: datetime | None = None,
                dry_run: bool = False, frequency: str = "weekly", day: date | None = None,
                progress: Callable[[int, int], None] | None = None) -> DigestReport:
    """Match, render, ledger and send this period's digests; see the module docstring."""
    require_secret(config)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        period = period_for(frequency, now=now, timezone=config.settings.timezone, week=week, day=day)
    except ValueError as exc:
        raise AlertsError(str(exc)) from exc
    report = DigestReport(period=period.key, frequency=frequency, dry_run=dry_run)
    renderer = DigestRenderer(config, period)
    send_empty = config.settings.mail.send_empty_digests

    with session_scope(engine) as session:
        companies = load_companies(session, frequency)
        previous = _previous_digests(session, period)
        done = {r for (r,) in session.execute(
            select(Delivery.recipient).where(Delivery.kind == KIND, Delivery.period_key == period.key))}
        notices = load_open_notices(session, period.as_of)
        earliest = min([period.as_of - period.length, *previous.values()])
        attach_changes(session, notices, earliest)
        renderer.sequences = deadline_sequences(session, {n.call_uid for n in notices if n.deadline_at is not None})
    index = NoticeIndex(notices)
    relevance = Relevance(notices, period, renderer.closing_days)
    report.companies = len(companies)

    pending_rows: list[tuple[CompanyProfile, RenderedDigest, list[str]]] = []

    def flush() -> None:
        if not pending_rows:
            return
        with session_scope(engine) as s:
            for company, rendered, recipients in pending_rows:
                for rcpt, msg in renderer.messages(company, rendered, recipients):
                    if enqueue(s, recipient=rcpt, kind=KIND, period_key=period.key, message=msg,
                               company_id=company.id, payload=rendered.payload, now=now) is not None:
                        report.queued += 1
        pending_rows.clear()

    for i, company in enumerate(companies):
        recipients = [r for r in dict.fromkeys(r.strip().lower() for r in company.recipients) if r not in done]
        report.already += len(company.recipients) - len(recipients)
        if not recipients:
            if progress:
                progress(i + 1, len(companies))
            continue
        since = previous.get(company.id, period.as_of - period.length)
        new, changed = relevance.since(since)
        matches = index.match(company, within=relevance.window(since))
        main = [(m, "new" if m.notice.id in new else "changed") for m in matches
                if m.notice.id in new or m.notice.id in changed]
        closing = [m for m in matches if m.notice.id in relevance.closing]
        if main:
            report.matched += 1
        if not main and not closing and not send_empty:
            report.empty += 1
        else:
            rendered = renderer.render(company, main, closing, since)
            if dry_run:
                report.previews.append(rendered)
            else:
                pending_rows.append((company, rendered, recipients))
                if len(pending_rows) >= COMMIT_EVERY:
                    flush()
        if progress:
            progress(i + 1, len(companies))
    if not dry_run:
        flush()
        report.delivery = deliver_pending(engine, config, now=now)
    return report
