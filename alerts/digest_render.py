"""What a company's digest says: its calls grouped by the company's areas, closing-soon repeats, the
subject counting what is listed, the calendar, and one message per recipient.

``DigestRenderer`` is shared by the digest run (``alerts.digest``) and the benches. Everything in a
call's block is the same for every company reading it in one language and zone, so blocks are
rendered once per run and joined per company: 10,000 digests render a popular call a handful of
times, not thousands.

The same holds for the mail's transfer encoding when a body goes quoted-printable (a line too long
for 8bit, which is how bodies go when their lines allow: ``alerts.message``): a call's block, the
line saying why it matched and a calendar event are encoded to quoted-printable once per run, kept
beside the text, and the bodies of a mail are joined from those encodings
(``alerts.transfer_encoding.splice``), with only the company's own lines (its answer links, the page
around the sections) encoded for that mail, and only when its quoted-printable form is asked for.

The calendar (``digest.calendar``): by default an .ics attachment of the calls the digest shows;
with ``link``, a link to the company's own calendar on the site instead (every open call matching
its profile, current whenever the calendar app refreshes it). The file is about 1,000 of a digest's
1,600 lines (20 a call, iCalendar folding lines at 75 octets), and a receiving server's cost goes by
lines: to aiosmtpd as shipped over one connection, 2,000 digests went at 317 a second without it
against 160 with it (load 3.0).
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from markupsafe import Markup

from alerts.digest_calendar import DigestCalendar
from alerts.facts import CompanyProfile, NoticeFacts
from alerts.i18n import Texts
from alerts.matching import Match, Reason
from alerts.message import Attachment, Unsubscribe, address, build_message, parse_from
from alerts.periods import Period
from alerts.render import environment, render_pair
from alerts.tokens import AnswerSigner, TokenError, answer_urls, calendar_url, make_token
from alerts.transfer_encoding import Encoded, Piece, qp_text, splice
from alerts.views import NoticeView, bounded_reasons, notice_view, reason_label
from pipeline.values import ValueBands
from tenderwatch.config import Config
from tenderwatch.formats import format_day

KIND = "digest"
MAX_LISTED = 50
"""Calls listed in one digest; beyond that the mail says how many more (a mail must stay readable)."""
MAX_CLOSING = 10
"""Calls repeated under "closing soon" (the soonest first): the issue asks for a short section."""
MAX_CACHED_ENDS = 20_000
"""Rendered 'why' lines kept for re-use (a 10,000-company run has hundreds of thousands of distinct ones)."""
_YES, _NO = "\x00interested\x00", "\x00not-interested\x00"
"""Where a company's two answer URLs go in the answer lines rendered once per language."""


class Block(NamedTuple):
    """A call's block as every company reading it in one language and zone gets it, with its encodings."""

    view: NoticeView
    text: str
    html: Markup
    text_qp: str
    """``text`` in quoted-printable."""
    row: str
    """The HTML row's start and ``html``: where a call's row begins in a digest, whole lines."""
    row_qp: str


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
    bodies: tuple[Encoded, Encoded] | None = None
    """``text`` and ``html`` with their quoted-printable forms (joined from runs encoded once per run)."""
    ics_qp: str | None = None
    """``ics`` in quoted-printable, CRLF as LF (each event's lines encoded once per run)."""


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
        self.calendar = DigestCalendar(config.settings.site_base_url, period.as_of)
        self._expires: dict[tuple[str, str], str] = {}
        self._period_labels: dict[str, str] = {}
        self.value_bands = ValueBands(config.sources)
        self._blocks: dict[tuple[Any, ...], Block] = {}
        self._reasons: dict[tuple[Reason, str], str] = {}
        self._closing: dict[tuple[int, str, str], tuple[str, Markup, str, str]] = {}
        self._ends: dict[tuple[Any, ...], tuple[str, Markup, str]] = {}
        token = secrets.token_hex(8)  # no company name or scraped title can hold it by chance
        self._run_marker = re.compile(f"\x00{token}:([a-z0-9]+)\x00")
        self._run_place = f"\x00{token}:{{}}\x00"
        self.unsubscribe_mailto = parse_from(config.settings.mail.from_address).addr_spec
        env = environment()
        self._block_text, self._block_html = env.get_template("_block.txt.j2"), env.get_template("_block.html.j2")
        self._text_macros = env.get_template("_notice.txt.j2").module
        self._html_macros = env.get_template("_notice.html.j2").module
        self._row_start = self._html_macros.row_start()  # type: ignore[attr-defined]
        self._row_close = self._html_macros.row_close()  # type: ignore[attr-defined]
        self._signer: AnswerSigner | None = None
        self._answers = {lang: (str(self._text_macros.answers(_YES, _NO, t)),  # type: ignore[attr-defined]
                                str(self._html_macros.answers(_YES, _NO, t)))  # type: ignore[attr-defined]
                         for lang, t in self.texts.items()}

    def block(self, notice: NoticeFacts, language: str, timezone: str, status: str | None,
              since: datetime) -> Block:
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
            text = self._block_text.render(n=view, t=t).rstrip("\n") + "\n"
            html = Markup(self._block_html.render(n=view, t=t))  # noqa: S704 - autoescaped
            row = self._row_start + html
            hit = self._blocks[key] = Block(view, text, html, qp_text(text), row, qp_text(row))
        return hit

    def period_label(self, language: str) -> str:
        label = self._period_labels.get(language)
        if label is None:
            label = self._period_labels[language] = self.period.label(language)
        return label

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

    def item_ends(self, reasons: list[Reason], language: str, notice: NoticeFacts) -> tuple[str, Markup, str]:
        """Why a call matched, under its block in the text and HTML digest, once per distinct reasons and
        evidence, the text's lines also in quoted-printable (the company's answer links follow:
        ``answer_links``; in HTML on the same line, which is encoded per mail)."""
        key = (tuple(reasons), language,
               tuple(tuple(notice.area_evidence.get(r.value, ())) for r in reasons if r.kind == "area"))
        hit = self._ends.get(key)
        if hit is None:
            if len(self._ends) >= MAX_CACHED_ENDS:  # keys are nearly per (call, reasons): stay bounded
                self._ends.clear()
            t = self.texts[language]
            labels = bounded_reasons(self.reason_labels(reasons, language, notice), t)
            text = self._text_macros.why(labels, t)  # type: ignore[attr-defined]
            html = self._html_macros.why(labels, t)  # type: ignore[attr-defined]
            hit = self._ends[key] = (text, html, qp_text(text))
        return hit

    def answer_links(self, company_key: str, call_uid: str, language: str) -> tuple[str, str]:
        """The company's "Interested" / "Not for us" links under a call (``alerts.tokens``' answer links,
        signed for this company and call): the language's lines, rendered once, with the two URLs put in."""
        if self._signer is None:
            try:
                self._signer = AnswerSigner(self.settings)
            except TokenError as exc:
                raise AlertsError(str(exc)) from exc
        urls = answer_urls(self.settings.site_base_url, self._signer, company_key, call_uid)
        text, html = self._answers[language]
        yes, no = urls["interested"], urls["not_interested"]
        return text.replace(_YES, yes).replace(_NO, no), html.replace(_YES, yes).replace(_NO, no)

    def closing(self, matches: list[Match], language: str, timezone: str,
                since: datetime) -> tuple[list[NoticeView], list[Piece], list[Piece]]:
        """The "closing soon" calls: their views, and their lines in text and HTML, each with its
        quoted-printable form (every line rendered and encoded once per run)."""
        views: list[NoticeView] = []
        texts: list[Piece] = []
        htmls: list[Piece] = []
        for m in matches:
            view = self.block(m.notice, language, timezone, None, since).view
            key = (m.notice.id, language, timezone)
            lines = self._closing.get(key)
            if lines is None:
                text = self._text_macros.closing_line(view)  # type: ignore[attr-defined]
                html = self._html_macros.closing_line(view)  # type: ignore[attr-defined]
                lines = self._closing[key] = (text, html, qp_text(text), qp_text(html))
            views.append(view)
            texts.append((lines[0], lines[2]))
            htmls.append((lines[1], lines[3]))
        return views, texts, htmls

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
        # Per section, the text and HTML of its calls as pieces rendered (and encoded) once per run (blocks,
        # reason lines) or per mail (answer links: encoded only if the body goes quoted-printable), joined
        # here rather than re-rendered through macros per company: (text part, HTML part).
        grouped: dict[str | None, tuple[list[Piece], list[Piece]]] = defaultdict(lambda: ([], []))
        listed = main[:MAX_LISTED]
        payload_notices = []
        row_close = self._row_close
        for match, status in listed:
            block = self.block(match.notice, lang, tz, status, since)
            text_why, html_why, text_why_qp = self.item_ends(match.reasons, lang, match.notice)
            text_answers, html_answers = self.answer_links(company.key, match.notice.call_uid, lang)
            texts, htmls = grouped[self._section_of(company, match)]
            texts += ((block.text, block.text_qp), (text_why, text_why_qp), (text_answers, None), ("\n", "\n"))
            # one line after the block: why, the company's answer links, the row's end
            htmls += ((block.row, block.row_qp), ("".join((html_why, html_answers, row_close)), None))  # HTML all
            payload_notices.append(match.notice.uid if status == "new" else [match.notice.uid, status])
        company_rank = {a: i for i, a in enumerate(company.areas)}
        order = sorted(grouped, key=lambda a: (a is None, company_rank.get(a or "", 100),
                                               self.area_order.get(a or "", 1000)))
        # The page is rendered with a placeholder where each section's calls go (and the closing-soon
        # lines); ``splice`` puts the runs in, text and encoding alike.
        runs: dict[str, list[Piece]] = {}
        place = self._run_place
        sections = []
        for i, a in enumerate(order):
            runs[f"t{i}"], runs[f"h{i}"] = grouped[a]
            sections.append({"label": labels.get(a, t.other_area) if a else t.other_area,
                             "text": place.format(f"t{i}"), "html": Markup(place.format(f"h{i}"))})  # noqa: S704
        closing_views, runs["tc"], runs["hc"] = self.closing(closing[:MAX_CLOSING], lang, tz, since)
        links = prefs_url, unsub_url, _token = self.links(company.key)
        subject = self.subject(t, company.name, [status for _m, status in listed], len(closing_views))
        expires = self._expires.get((tz, lang))
        if expires is None:  # the same for every company in one zone and language
            expires = self._expires[(tz, lang)] = format_day(
                as_of + timedelta(days=self.settings.token_max_age_days), tz, lang)
        period = self.period_label(lang)
        calendar = None
        if self.settings.digest.calendar == "link":  # the company's calendar on the site, not a file
            ics, ics_qp = None, None
            calendar = calendar_url(self.settings.site_base_url, self.settings.secret_key() or "", company.key,
                                    company.calendar_version)
        else:
            shown = [m.notice for m, _ in listed] + [m.notice for m in closing[:MAX_CLOSING]]
            ics, ics_qp = self.calendar.attachment(f"Tenderwatch deadlines: {company.name}", shown)
        context = {
            "t": t, "subject": subject, "company": company.name, "period": period,
            "intro": t("digest_intro", company=company.name, period=period), "sections": sections,
            "closing_text": place.format("tc") if runs["tc"] else "",
            "closing_html": Markup(place.format("hc")) if runs["hc"] else "",  # noqa: S704 - a placeholder
            "closing_days": self.closing_days,
            "more": max(0, len(main) - MAX_LISTED), "preferences_url": prefs_url, "unsubscribe_url": unsub_url,
            "expires": expires, "has_calendar": ics is not None, "calendar_url": calendar,
        }
        text_page, html_page = render_pair("digest", context)
        text, html = splice(text_page, self._run_marker, runs), splice(html_page, self._run_marker, runs)
        # what the runs that follow may ask of the ledger: the calls listed (uid, or [uid, status] when
        # not new), not the mail again (the message itself holds the words and the reasons)
        payload = {"notices": payload_notices, "closing_soon": [m.notice.uid for m in closing[:MAX_CLOSING]],
                   "unlisted": max(0, len(main) - MAX_LISTED)}
        return RenderedDigest(company.key, subject, text.text, html.text, ics, payload, len(listed),
                              len(closing_views), links, (text, html), ics_qp)

    def subject(self, t: Texts, company: str, listed: list[str], closing: int) -> str:
        """What the mail lists, counted: '3 new calls, 1 changed, 2 closing soon' (never '0 calls' above a
        list of closing-soon calls). ``listed``: the status of each call listed in the main sections."""
        period = self.period_label(t.language)
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
                                      (("method", "PUBLISH"),), encoded=rendered.ics_qp),)
        text, html = rendered.bodies or (rendered.text, rendered.html)
        return [
            (rcpt, build_message(kind=KIND, from_address=self.settings.mail.from_address,
                                 to=[address(company.name, rcpt)], subject=rendered.subject, text=text,
                                 html=html, attachments=attachments, unsubscribe=unsubscribe, date=None))
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
