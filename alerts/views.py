"""Notices and match reasons turned into what a mail shows: cleaned, bounded, localised strings.

Scraped text is hostile: every string a template receives from a notice passes through
``display_text`` (control and bidi characters removed, whitespace collapsed, length bounded), and
links are kept only when they are plain http(s) URLs, so a ``javascript:`` URL never becomes an
``href``. Autoescaping in the HTML templates does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from alerts.facts import NoticeFacts
from alerts.i18n import Texts
from alerts.matching import Reason
from pipeline.cleaning import clean_text, public_url
from pipeline.evidence import evidence_phrases, evidence_text
from pipeline.values import ValueBands, names_only_a_unit
from tenderwatch.formats import (
    days_left,
    describe_change,
    format_days_left,
    format_deadline,
    format_money,
    format_value_band,
)

TITLE_LIMIT = 300
"""Characters of a title shown in a mail; the call's page has the rest."""
SHOWN_CHANGES = {"deadline_at", "notice_type", "status", "title", "value", "documents_url"}


def display_text(value: str | None, limit: int = TITLE_LIMIT) -> str:
    return clean_text(value, limit) or ""


def safe_url(value: str | None) -> str | None:
    """The URL if it may be a link (``pipeline.cleaning.public_url``: http(s), sane length), else None."""
    return public_url(value)


MAX_REASONS = 5
"""Reasons named for one match; the rest are counted ("3 more"): a company with a hundred keywords
gets a readable line, and a bounded mail."""


def bounded_reasons(labels: list[str], t: Texts) -> list[str]:
    if len(labels) <= MAX_REASONS:
        return labels
    return [*labels[:MAX_REASONS], t("more_reasons", n=len(labels) - MAX_REASONS)]


def reason_label(reason: Reason, t: Texts, area_labels: dict[str, str],
                 area_evidence: dict[str, list[str]] | None = None) -> str:
    if reason.kind == "area":
        return area_in_words(reason.value, t, area_labels, area_evidence)
    if reason.kind == "keyword":
        return t("keyword_label", value=display_text(reason.value, 100))
    if reason.detail:
        return t("cpv_label", value=reason.value, detail=reason.detail)
    return t("cpv_label_plain", value=reason.value)


def area_in_words(area: str, t: Texts, area_labels: dict[str, str],
                  area_evidence: dict[str, list[str]] | None = None) -> str:
    """"Cryogenics: 'cryostat' in the title" when the notice's evidence for the area is known, else
    "area Cryogenics"."""
    label = area_labels.get(area, area)
    evidence = (area_evidence or {}).get(area) or []
    if evidence_phrases(evidence, t.language):
        return display_text(evidence_text(label, evidence, t.language), 300)
    return t("area_label", label=label)


@dataclass(slots=True)
class NoticeView:
    """One call as a mail shows it."""

    uid: str
    title: str
    organisation: str
    organisation_name: str
    reference: str
    type_text: str
    deadline_at: datetime | None
    deadline_text: str
    days_text: str
    value_text: str
    link: str | None
    reasons: list[str] = field(default_factory=list)
    status: str | None = None
    """'new', 'changed' or None (closing-soon repeats)."""
    change_notes: list[str] = field(default_factory=list)


def value_text(notice: NoticeFacts, language: str, bands: ValueBands | None = None) -> str:
    """The call's value as the reader should read it (see ``describe_value``)."""
    return describe_value(notice.organisation, notice.value_note, notice.value_amount, notice.value_currency,
                          language, bands)


def describe_value(organisation: str | None, note: str | None, amount: Decimal | None, currency: str | None,
                   language: str, bands: ValueBands | None = None) -> str:
    """A value as the reader should read it, in mail and on the call page alike.

    A cost-range code config knows ("Cost range C: 5 - 10 MCHF", "> 500 KEURO") is shown as its band
    in the reader's language and digits, with the organisation's name for the code; another note (a
    free-text range) in the organisation's words; else the amount we store, as money.
    """
    if note and not names_only_a_unit(note):
        band = bands.find(organisation, note) if bands is not None else None
        text = format_value_band(band.low, band.high, band.currency, language) if band is not None else None
        if text is None or band is None:
            return display_text(note, 100)
        return f"{text} ({band.name})" if band.name else text
    if amount is not None:
        return format_money(amount, currency, language)
    return ""


def notice_view(notice: NoticeFacts, *, t: Texts, timezone: str, at: datetime, reasons: list[Reason],
                area_labels: dict[str, str], status: str | None = None, since: datetime | None = None,
                value_bands: ValueBands | None = None) -> NoticeView:
    """Render-ready view of a notice for a reader in ``timezone`` reading at ``at``."""
    lang = t.language
    if notice.deadline_at is not None:
        deadline_text = format_deadline(notice.deadline_at, timezone, lang, notice.deadline_date)
        days_text = format_days_left(days_left(notice.deadline_at, at, timezone, notice.deadline_date), lang)
    else:
        deadline_text, days_text = t.no_deadline, ""
    notes: list[str] = []
    if since is not None:
        for change in notice.changes:
            if change.changed_at < since or change.field not in SHOWN_CHANGES:
                continue
            note = describe_change(change.field, change.old_value, change.new_value, timezone, lang)
            if note not in notes:
                notes.append(note)
    return NoticeView(
        uid=notice.uid,
        title=display_text(notice.title),
        organisation=notice.organisation or "",
        organisation_name=display_text(notice.organisation_name, 200),
        reference=display_text(notice.reference, 100),
        type_text=t.notice_type(notice.notice_type),
        deadline_at=notice.deadline_at,
        deadline_text=deadline_text,
        days_text=days_text,
        value_text=value_text(notice, lang, value_bands),
        link=safe_url(notice.url),
        reasons=[reason_label(r, t, area_labels, notice.area_evidence) for r in reasons],
        status=status,
        change_notes=notes,
    )
