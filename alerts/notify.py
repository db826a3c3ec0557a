"""ILO notifications: after each crawl, the new calls and significant changes of the organisations an
ILO covers, one batched mail per ILO per run, with the companies that match each call.

Interface (stable; the scheduler calls it after every crawl, the demo once):

``run_ilo_notifications(engine, config, *, now=None, lookback=LOOKBACK) -> NotifyReport``

Events: a new open notice (not an award) first seen within ``lookback``; a change of its deadline
(``notice_changes.field == 'deadline_at'``); its cancellation (``status`` -> cancelled). Events of
several stages of one call in one batch make one entry, read by the latest stage. Each event
has a key (``new:<uid>``, ``change:<id>``) and the ledger row of the batch that reports it keeps
the keys in ``payload['events']``: an event in any earlier batch of that ILO is never reported
again, and the batch's ``period_key`` is a hash of its event keys, so two processes that compute
the same batch at once write one ledger row between them. Calling it after every crawl is cheap
when nothing happened (no mail, no ledger row).

The mail: per call, its block (deadline, value band, changes), links to the call's page and to its
matching-companies page on the site, and the ``MAX_COMPANIES`` top matching companies (the ILO's
own country first, then the most reasons to match) with how many match in all; a footer saying why
the ILO receives it, with links to their page and to the sources' health. Its size does not grow
with the number of companies.

Reminders (``reminders=True``: the morning run, ``settings.follow_up.reminder_schedule``): the
follow-ups of the ILO's organisations whose company said it is interested, with no bid recorded, in
a call closing within ``tenderwatch.followup.reminders.DAYS`` days; each reminded once a day (event
key ``remind:<follow-up>:<day>``), in the same mail as that run's calls.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import Engine, or_, select

from alerts.facts import NoticeFacts, attach_changes, load_companies, load_notices
from alerts.i18n import Texts
from alerts.matching import CompanyIndex, CompanyMatch
from alerts.message import address, build_message, serialise
from alerts.outgoing import DeliveryReport, deliver_pending, enqueue
from alerts.render import environment, render_pair
from alerts.views import area_in_words, bounded_reasons, display_text, notice_view, reason_label
from pipeline.values import ValueBands
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Delivery, Ilo, Notice, NoticeChange, Organisation
from tenderwatch.followup.reminders import Reminder, due_reminders
from tenderwatch.formats import days_left, format_days_left, format_deadline
from tenderwatch.health.verdicts import unhealthy_sources

KIND = "ilo-notification"
LOOKBACK = timedelta(days=14)
"""How far back a first notification (or one after an outage) reaches."""
MAX_LISTED = 100
"""Calls per mail; the rest come in the next batch."""
MAX_COMPANIES = 10
"""Matching companies listed under a call; the call's matching-companies page on the site has them all
(10,000 companies made a 100-call mail 16-19 MB when every one was listed)."""
MAX_MAIL_BYTES = 1_000_000
"""No notification is larger (many mail servers refuse more; most accept 10 MB, some far less)."""
MAX_CONTACTS = 3
"""Contact addresses shown per company (its profile on the site has the rest)."""
PRIORITY = {"cancelled": 0, "new": 1, "deadline": 2}


@dataclass
class NotifyReport:
    ilos: int = 0
    """ILOs with something to report in this run."""
    events: int = 0
    calls: int = 0
    queued: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    @property
    def sent(self) -> int:
        return self.delivery.sent

    def __str__(self) -> str:
        d = self.delivery
        return (f"{self.ilos} ILO(s), {self.calls} call(s), {self.events} event(s); "
                f"{self.queued} queued; {d.sent} sent, {d.failed} failed, {d.rejected} rejected, {d.deferred} deferred")


@dataclass
class _Item:
    notice_id: int
    organisation: str
    kind: str
    keys: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    """Event key -> its kind, so a batch is labelled by its fresh events only."""


def _events(session: Any, orgs: set[str], since: datetime, now: datetime) -> dict[str, dict[int, _Item]]:
    """Per organisation code: notice id -> the events concerning it since ``since``."""
    out: dict[str, dict[int, _Item]] = defaultdict(dict)
    rows = session.execute(
        select(Notice.id, Notice.uid, Organisation.code)
        .join(Organisation, Organisation.id == Notice.organisation_id)
        .where(Organisation.code.in_(orgs), Notice.first_seen_at >= since, Notice.status == "open",
               Notice.notice_type != "contract_award",
               or_(Notice.deadline_at.is_(None), Notice.deadline_at > now))
    )
    for nid, uid, code in rows:
        out[code][nid] = _Item(nid, code, "new", [f"new:{uid}"], {f"new:{uid}": "new"})
    changes = session.execute(
        select(NoticeChange.id, NoticeChange.notice_id, NoticeChange.field, NoticeChange.new_value, Organisation.code)
        .join(Notice, Notice.id == NoticeChange.notice_id)
        .join(Organisation, Organisation.id == Notice.organisation_id)
        .where(Organisation.code.in_(orgs), NoticeChange.changed_at >= since,
               NoticeChange.field.in_(("deadline_at", "status")))
        .order_by(NoticeChange.id)
    )
    for cid, nid, fld, new_value, code in changes:
        if fld == "deadline_at" and new_value is None:
            continue
        if fld == "status" and new_value != "cancelled":
            continue
        kind = "deadline" if fld == "deadline_at" else "cancelled"
        item = out[code].get(nid)
        if item is None:
            item = out[code][nid] = _Item(nid, code, kind)
        elif PRIORITY[kind] < PRIORITY[item.kind]:
            item.kind = kind
        item.keys.append(f"change:{cid}")
        item.kinds[f"change:{cid}"] = kind
    return out


def _one_entry_per_call(items: list[_Item], facts: dict[int, NoticeFacts]) -> list[_Item]:
    """Stages of one call with events in the same batch (a market survey and the invitation to tender
    that follows it, a site notice and its TED copy) become one entry: the ILO hears of the call once,
    read by its latest stage (published later, else first seen later, then stored later), under the
    most pressing of its events, and the batch's ledger row still keeps every event key."""
    by_call: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        by_call[facts[item.notice_id].call_uid].append(item)
    merged = []
    for stages in by_call.values():
        if len(stages) == 1:
            merged.append(stages[0])
            continue
        latest = max(stages, key=lambda i: (facts[i.notice_id].published_at or facts[i.notice_id].first_seen_at,
                                            i.notice_id))
        kind = min((i.kind for i in stages), key=PRIORITY.__getitem__)
        merged.append(_Item(latest.notice_id, latest.organisation, kind, [k for i in stages for k in i.keys]))
    return merged


def _already_notified(session: Any, since: datetime) -> dict[str, set[str]]:
    done: dict[str, set[str]] = defaultdict(set)
    for recipient, payload in session.execute(
        select(Delivery.recipient, Delivery.payload).where(Delivery.kind == KIND, Delivery.created_at >= since)
    ):
        done[recipient].update((payload or {}).get("events", []))
    return done


def _reminders(session: Any, ilos: list[Ilo], notified: dict[str, set[str]], now: datetime,
               timezone: str) -> dict[int, list[tuple[str, Reminder]]]:
    """Per ILO id: (event key, reminder) not yet sent today (the day in ``timezone``)."""
    day = now.astimezone(ZoneInfo(timezone)).date().isoformat()
    out: dict[int, list[tuple[str, Reminder]]] = {}
    for ilo in ilos:
        done = notified.get(ilo.email.lower(), set())
        due = [(f"remind:{r.uid}:{day}", r)
               for r in due_reminders(session, now, organisations=frozenset(ilo.organisations or []))]
        fresh = [(key, r) for key, r in due if key not in done]
        if fresh:
            out[ilo.id] = fresh
    return out


def run_ilo_notifications(engine: Engine, config: Config, *, now: datetime | None = None,
                          lookback: timedelta = LOOKBACK, reminders: bool = False) -> NotifyReport:
    """Queue and send this run's ILO notification batches (with the day's follow-up reminders when
    ``reminders``); see the module docstring."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    since = now - lookback
    report = NotifyReport()
    with session_scope(engine) as session:
        ilos = list(session.scalars(select(Ilo).order_by(Ilo.email)))
        covered = {code for ilo in ilos for code in ilo.organisations or []}
        if not covered:
            return report
        events = _events(session, covered, since, now)
        notified = _already_notified(session, since - timedelta(days=1))
        wanted: dict[int, list[_Item]] = {}
        all_ids: set[int] = set()
        for ilo in ilos:
            done = notified.get(ilo.email.lower(), set())
            items = []
            for code in ilo.organisations or []:
                for item in events.get(code, {}).values():
                    fresh = [k for k in item.keys if k not in done]
                    if fresh:
                        kind = min((item.kinds[k] for k in fresh), key=PRIORITY.__getitem__)
                        items.append(_Item(item.notice_id, code, kind, fresh))
            if items:
                wanted[ilo.id] = items
                all_ids.update(i.notice_id for i in items)
        reminded = _reminders(session, ilos, notified, now, config.settings.timezone) if reminders else {}
        if not wanted and not reminded:
            return report
        all_ids.update(r.notice_id for due in reminded.values() for _key, r in due)
        facts = {n.id: n for n in load_notices(session, all_ids)}
        failing = [(src.organisation_code, src.name, display_text(src.health_reason or src.last_error or "", 300))
                   for src in unhealthy_sources(session)]
        attach_changes(session, list(facts.values()), since)
        companies = CompanyIndex(load_companies(session))
        for ilo in ilos:
            items = _one_entry_per_call(wanted.get(ilo.id, []), facts)
            due = reminded.get(ilo.id, [])
            if not items and not due:
                continue
            items.sort(key=lambda i: (PRIORITY[i.kind], facts[i.notice_id].deadline_at or now, i.notice_id))
            mine = set(ilo.organisations or [])
            unhealthy = [{"name": name, "reason": reason} for code, name, reason in failing
                         if code is None or code in mine]
            shown = MAX_LISTED
            reminding = [r for _key, r in due]
            while True:  # fewer calls while the mail would exceed MAX_MAIL_BYTES: the rest come next time
                listed = items[:shown]
                msg, payload = _message(config, ilo, listed, facts, companies, now, since,
                                        more=len(items) - len(listed), unhealthy=unhealthy, reminders=reminding)
                if shown == 1 or len(serialise(msg)) <= MAX_MAIL_BYTES:
                    break
                shown = max(1, shown // 2)
            keys = sorted([k for i in listed for k in i.keys] + [key for key, _r in due])
            period_key = "batch-" + hashlib.sha256("\n".join(keys).encode()).hexdigest()[:24]
            payload["events"] = keys
            if enqueue(session, recipient=ilo.email, kind=KIND, period_key=period_key, message=msg, ilo_id=ilo.id,
                       payload=payload, now=now) is not None:
                report.queued += 1
                report.ilos += 1
                report.calls += len(listed)
                report.events += len(keys)
    report.delivery = deliver_pending(engine, config, now=now)
    return report


def call_links(base_url: str, call_uid: str) -> tuple[str, str]:
    """(the call's public page, its matching-companies page for ILOs) on the site."""
    uid = quote(call_uid, safe="")
    return f"{base_url}/calls/{uid}", f"{base_url}/ilo/calls/{uid}/companies"


def top_companies(matches: list[CompanyMatch], country: str | None) -> list[CompanyMatch]:
    """The ILO's own country's companies first, then those with the most reasons to match, then by name."""
    return sorted(matches, key=lambda m: (m.company.country != country, -len(m.reasons), m.company.name.casefold(),
                                          m.company.id))


def _message(config: Config, ilo: Ilo, items: list[_Item], facts: dict[int, NoticeFacts], companies: CompanyIndex,
             now: datetime, since: datetime, *, more: int, unhealthy: list[dict[str, str]] | None = None,
             reminders: list[Reminder] | None = None) -> tuple[Any, dict[str, Any]]:
    """The batch mail; ``unhealthy`` lists failing sources of the ILO's organisations (the health rules'
    verdict) in the footer, so a quiet mail is not mistaken for a quiet week.

    Its size is bounded whatever the number of companies: each call lists its ``MAX_COMPANIES`` top
    matching companies and links to the full list on the site."""
    t = Texts(ilo.language or "en")
    labels = {a.id: (a.label_nl if t.language == "nl" and a.label_nl else a.label) for a in config.taxonomy.areas}
    tz = config.settings.timezone
    base = config.settings.site_base_url
    bands = ValueBands(config.sources)
    event_label = {"new": t.event_new, "deadline": t.event_deadline, "cancelled": t.event_cancelled}
    events = []
    payload_calls = []
    block_html = environment().get_template("_block.html.j2")
    for item in items:
        notice = facts[item.notice_id]
        view = notice_view(notice, t=t, timezone=tz, at=now, reasons=[], area_labels=labels,
                           status="new" if item.kind == "new" else "changed", since=since, value_bands=bands)
        matches = companies.companies_for(notice)
        shown = top_companies(matches, ilo.country)[:MAX_COMPANIES]
        page, companies_page = call_links(base, notice.call_uid)
        events.append({
            "label": f"{event_label[item.kind]} · {notice.organisation}",
            "notice": view,
            "block": Markup(block_html.render(n=view, t=t)),  # noqa: S704 - rendered with autoescape
            "page": page, "companies_page": companies_page, "matching": len(matches),
            "more_companies": len(matches) - len(shown),
            "companies": [{"name": display_text(m.company.name, 200), "country": m.company.country,
                           "recipients": [display_text(r, 320) for r in m.company.recipients[:MAX_CONTACTS]],
                           "reasons": bounded_reasons([reason_label(r, t, labels, notice.area_evidence)
                                                       for r in m.reasons], t)}
                          for m in shown],
            "areas": [area_in_words(a, t, labels, notice.area_evidence) for a, _score in notice.areas],
        })
        payload_calls.append({"uid": notice.uid, "event": item.kind, "companies": len(matches),
                              "listed": [m.company.key for m in shown]})
    reminded = [{"company": display_text(r.company_name, 200), "title": display_text(r.title),
                 "deadline": format_deadline(r.deadline_at, tz, t.language, r.deadline_date),
                 "days": format_days_left(days_left(r.deadline_at, now, tz, r.deadline_date), t.language),
                 "page": f"{base}/ilo/calls/{quote(r.call_uid, safe='')}/follow-up/{quote(r.company_key, safe='')}"}
                for r in reminders or []]
    organisations = ", ".join(sorted({i.organisation for i in items} | {r.organisation or "" for r in reminders or []}
                                     - {""}))
    kinds = [i.kind for i in items]
    summary = t.summary(("n_event_new", kinds.count("new")), ("n_event_deadline", kinds.count("deadline")),
                        ("n_event_cancelled", kinds.count("cancelled")), ("n_event_reminder", len(reminded)))
    subject = t("ilo_subject", summary=summary, organisations=organisations)
    text, html = render_pair("ilo_notification", {
        "t": t, "subject": subject, "events": events, "organisations": organisations, "more": more,
        "reminders": reminded, "board_url": f"{base}/ilo/follow-up?state=interested",
        "unhealthy": unhealthy or [], "footer": t("ilo_footer", organisations=", ".join(ilo.organisations or [])),
        "home_url": f"{base}/ilo/", "sources_url": f"{base}/ilo/sources"})
    msg = build_message(kind=KIND, from_address=config.settings.mail.from_address, to=[address(ilo.name, ilo.email)],
                        subject=subject, text=text, html=html)
    return msg, {"calls": payload_calls, "reminders": [r.uid for r in reminders or []]}


__all__ = ["KIND", "LOOKBACK", "NotifyReport", "run_ilo_notifications"]
