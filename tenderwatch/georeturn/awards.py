"""Every known contract award, from its three origins, in one shape (``AwardFact``).

- ``ted``: winners of TED award notices (``awards``, parsed by ``pipeline.ted``), dated by the
  contract, else the notice's publication;
- ``list``: rows of award lists organisations publish, imported by ``tenderwatch georeturn import``
  (``tenderwatch.georeturn.award_list``) into ``award_records``;
- ``followup``: wins ILOs record in the follow-up of a call, read through the follow-up's own
  ``tenderwatch.followup.wins.recorded_wins`` (the one place that says which follow-ups are wins),
  dated by the day the win was recorded.

``gather`` reads them for an organisation and period. One contract may be known twice (an ILO records
a win that TED publishes later): awards of one organisation with the same supplier and value within
``SAME_AWARD_DAYS`` are taken for one, kept from the most official origin (list, then TED, then
follow-up), and the others are named in ``also_in``, so nothing is counted twice and no origin is lost.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tenderwatch.db.models import Award, AwardRecord, Company, Notice, NoticeArea, Organisation

ORIGINS = ("list", "ted", "followup")
"""Most official first: when one contract is known from several origins, the first is kept."""
ORIGIN_LABELS = {"ted": "TED award notice", "list": "organisation's award list", "followup": "ILO follow-up"}
ORIGIN_PLURALS = {"ted": "from TED award notices", "list": "from the organisation's award lists",
                  "followup": "from ILOs' follow-up"}
SAME_AWARD_DAYS = 120
MIN_NAME_WORD = 3
SERVICES_AREA = "services"
FIRST_SERVICES_DIVISION = 50
"""CPV divisions 50 to 98 are services (03-44 and 48 supplies, 45 works)."""
SERVICE_WORDS = frozenset({"service", "services", "dienst", "diensten", "dienstverlening", "dienstleistung",
                           "dienstleistungen", "prestation", "prestations"})
LEGAL_FORMS = re.compile(
    r"\b(b\.?v\.?|n\.?v\.?|gmbh|ag|s\.?a\.?s?|s\.?r\.?l\.?|s\.?p\.?a\.?|ltd|limited|plc|inc|oy|ab|a/s|as|sa|bv|nv|"
    r"co|kg|se|spa|srl)\b\.?")


@dataclass
class AwardFact:
    """One awarded contract as georeturn counts it, with where it is known from."""

    key: str
    """``ted:<id>``, ``list:<id>`` or ``followup:<id>``: stable, used by the directory's references."""
    origin: str
    organisation: str
    day: date
    supplier: str
    country: str | None
    amount: Decimal | None
    currency: str | None
    title: str | None = None
    areas: list[str] = field(default_factory=list)
    category: str | None = None
    cpv: str | None = None
    """The main CPV code of the award's notice (TED), which says supplies, services or works."""
    company_id: int | None = None
    call_uid: str | None = None
    source: str = ""
    """Where exactly: the TED publication number, the list's file and line, who recorded the win."""
    also_in: list[str] = field(default_factory=list)
    """Other origins that know the same contract (not counted again)."""

    @property
    def kind(self) -> str:
        """``services`` or ``supplies``, for organisations that balance them apart (CERN): the list's
        category when it says service, else the CPV division (50-98 are services; 45, works, and the
        rest count as supplies), else the ``services`` area."""
        words = set(re.findall(r"[a-zà-ÿ]+", (self.category or "").casefold()))
        if words & SERVICE_WORDS:
            return "services"
        if self.cpv and self.cpv[:2].isdigit():
            return "services" if int(self.cpv[:2]) >= FIRST_SERVICES_DIVISION else "supplies"
        return "services" if SERVICES_AREA in self.areas else "supplies"

    @property
    def origin_label(self) -> str:
        return ORIGIN_LABELS.get(self.origin, self.origin)


def supplier_key(name: str) -> str:
    """A supplier's name folded for comparison: accents, case, punctuation and legal forms dropped."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return " ".join(LEGAL_FORMS.sub(" ", re.sub(r"[^\w/.]+", " ", ascii_name)).replace(".", " ").split())


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min, tzinfo=UTC), datetime.combine(end + timedelta(days=1), time.min,
                                                                            tzinfo=UTC)


def award_moment() -> Any:
    """When a TED award counts: the contract's date, else the notice's publication, else when first seen."""
    return func.coalesce(Award.awarded_at, Notice.published_at, Notice.first_seen_at)


def _ted(session: Session, *where: Any) -> list[AwardFact]:
    stmt = (select(Award, Notice, Organisation.code).join(Notice, Award.notice_id == Notice.id)
            .join(Organisation, Notice.organisation_id == Organisation.id).where(*where))
    rows = session.execute(stmt).all()
    areas: dict[int, list[str]] = {}
    notice_ids = list({n.id for _a, n, _c in rows})
    for i in range(0, len(notice_ids), 500):
        for notice_id, area in session.execute(select(NoticeArea.notice_id, NoticeArea.area_id).where(
                NoticeArea.notice_id.in_(notice_ids[i:i + 500]))):
            areas.setdefault(notice_id, []).append(area)
    out = []
    for award, notice, code in rows:
        moment = award.awarded_at or notice.published_at or notice.first_seen_at
        number = (notice.extra or {}).get("ted_publication_number") or notice.reference or notice.uid
        out.append(AwardFact(
            key=f"ted:{award.id}", origin="ted", organisation=code, day=moment.astimezone(UTC).date(),
            supplier=award.winner_name, country=award.winner_country, amount=award.value_amount,
            currency=award.value_currency, title=notice.title, areas=sorted(areas.get(notice.id, [])),
            cpv=str((notice.cpv_codes or [""])[0]) or None, call_uid=notice.call_uid,
            source=f"TED {number}" + (f", lot {award.lot_number}" if award.lot_number else "")))
    return out


def _records(session: Session, *where: Any) -> list[AwardFact]:
    stmt = (select(AwardRecord, Organisation.code).join(Organisation, AwardRecord.organisation_id == Organisation.id)
            .where(*where))
    return [AwardFact(
        key=f"{r.origin}:{r.id}", origin=r.origin, organisation=code, day=r.awarded_on, supplier=r.supplier_name,
        country=r.supplier_country, amount=r.value_amount, currency=r.value_currency, title=r.title,
        areas=list(r.areas or []), category=r.category, company_id=r.company_id,
        source=r.source_name or "") for r, code in session.execute(stmt)]


def call_areas(session: Session, call_uids: Iterable[str]) -> dict[str, list[str]]:
    """The technology areas of calls (any of their stages)."""
    out: dict[str, set[str]] = {}
    uids = sorted(set(call_uids))
    for i in range(0, len(uids), 500):
        for call_uid, area in session.execute(select(Notice.call_uid, NoticeArea.area_id).join(
                Notice, NoticeArea.notice_id == Notice.id).where(Notice.call_uid.in_(uids[i:i + 500]))):
            out.setdefault(call_uid, set()).add(area)
    return {k: sorted(v) for k, v in out.items()}


def _followup(session: Session, *, organisation: str | None = None, start: date | None = None,
              end: date | None = None, company_key: str | None = None) -> list[AwardFact]:
    from tenderwatch.followup.wins import recorded_wins

    wins = [w for w in recorded_wins(session, organisation=organisation, start=start, end=end)
            if w.organisation and (company_key is None or w.company_key == company_key)]
    if not wins:
        return []
    areas = call_areas(session, [w.call_uid for w in wins])
    ids = dict(session.execute(select(Company.key, Company.id).where(
        Company.key.in_(sorted({w.company_key for w in wins})))).all())
    return [AwardFact(
        key=f"followup:{w.follow_up_uid}", origin="followup", organisation=w.organisation or "",
        day=w.won_at.astimezone(UTC).date(), supplier=w.winner_name, country=w.winner_country,
        amount=w.value_amount, currency=w.value_currency, title=w.title or None, areas=areas.get(w.call_uid, []),
        company_id=ids.get(w.company_key), call_uid=w.call_uid, source=f"recorded by {w.recorded_by}")
        for w in wins]


def merge_duplicates(facts: Iterable[AwardFact]) -> list[AwardFact]:
    """One fact per contract (see the module docstring), oldest first."""
    ordered = sorted(facts, key=lambda f: (ORIGINS.index(f.origin) if f.origin in ORIGINS else 9, f.day, f.key))
    kept: list[AwardFact] = []
    index: dict[tuple[str, str, Decimal | None, str | None], list[AwardFact]] = {}
    for fact in ordered:
        same = (fact.organisation, supplier_key(fact.supplier), fact.amount, (fact.currency or "").upper() or None)
        twin = next((k for k in index.get(same, []) if abs((k.day - fact.day).days) <= SAME_AWARD_DAYS
                     and k.origin != fact.origin), None) if fact.amount is not None else None
        if twin is not None:
            twin.also_in.append(f"{fact.origin_label} ({fact.source})" if fact.source else fact.origin_label)
            twin.company_id = twin.company_id or fact.company_id
            twin.areas = twin.areas or fact.areas
            continue
        index.setdefault(same, []).append(fact)
        kept.append(fact)
    return sorted(kept, key=lambda f: (f.day, f.key))


def gather(session: Session, *, organisation: str | None, start: date, end: date) -> list[AwardFact]:
    """Every award of ``organisation`` (all when None) dated in [start, end], duplicates merged."""
    low, high = _day_bounds(start, end)
    of_org = [Organisation.code == organisation] if organisation else []
    moment = award_moment()
    return merge_duplicates([
        *_ted(session, moment >= low, moment < high, *of_org),
        *_records(session, AwardRecord.awarded_on >= start, AwardRecord.awarded_on <= end, *of_org),
        *_followup(session, organisation=organisation, start=start, end=end)])


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def supplier_awards(session: Session, name: str, company_id: int | None = None,
                    company_key: str | None = None) -> list[AwardFact]:
    """Every award to a supplier of this name (legal form, case and accents aside) or won by the
    company in the follow-up: the Big Science references the directory offers a company to confirm."""
    wanted = supplier_key(name)
    longest = max(wanted.split(), key=len, default="")
    if len(longest) < MIN_NAME_WORD:
        return []
    pattern = _like(longest)
    ted = _ted(session, Award.winner_name.ilike(pattern, escape="\\"))
    mine = or_(AwardRecord.supplier_name.ilike(pattern, escape="\\"),
               AwardRecord.company_id == company_id) if company_id else \
        AwardRecord.supplier_name.ilike(pattern, escape="\\")
    facts = [f for f in [*ted, *_records(session, mine)]
             if supplier_key(f.supplier) == wanted or (company_id and f.company_id == company_id)]
    if company_key:
        facts += _followup(session, company_key=company_key)
    return merge_duplicates(facts)
