"""Companies' "Not for us" answers per technology area: how precise matching is, measured by the companies.

A follow-up counts with the company's latest own answer (a company that changed its mind counts once,
as it now stands); an ILO's record of "not interested" is not the company's answer and is left out. A
call counts in each of its areas (any stage). ``answers_per_area`` is the administrators' report (the
``/admin/`` page and ``tenderwatch follow-up answers``); ``profile_suggestions`` tells a company on its
preferences page which of its own areas it keeps turning down.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenderwatch.db.models import Company, FollowUp, FollowUpChange, Notice, NoticeArea

SUGGEST_AFTER = 3
"""Rejections of calls in one of its areas after which a company is asked whether the area still fits..."""
SUGGEST_SHARE = 0.75
"""...when at least this share of its answers on calls in that area were "Not for us"."""


@dataclass
class AreaAnswers:
    area: str
    not_for_us: int = 0
    interested: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def answered(self) -> int:
        return self.not_for_us + self.interested

    @property
    def not_for_us_share(self) -> float:
        return self.not_for_us / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class Suggestion:
    area: str
    not_for_us: int
    interested: int
    wrong_area: int
    """How many of the rejections gave "wrong area" as the reason."""


def _latest_answers(session: Session, company_id: int | None = None) -> list[tuple[int, str, str, str | None]]:
    """(company id, call uid, answer, reason) of each follow-up's latest company answer."""
    latest = (select(FollowUpChange.follow_up_id, func.max(FollowUpChange.id).label("change_id"))
              .where(FollowUpChange.actor == "company").group_by(FollowUpChange.follow_up_id).subquery())
    stmt = (select(FollowUp.company_id, FollowUp.call_uid, FollowUpChange.to_state, FollowUpChange.reason)
            .join(latest, latest.c.follow_up_id == FollowUp.id)
            .join(FollowUpChange, FollowUpChange.id == latest.c.change_id))
    if company_id is not None:
        stmt = stmt.where(FollowUp.company_id == company_id)
    return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]


def _call_areas(session: Session, call_uids: set[str]) -> dict[str, set[str]]:
    areas: dict[str, set[str]] = defaultdict(set)
    uids = sorted(call_uids)
    for i in range(0, len(uids), 500):
        for call_uid, area in session.execute(
                select(Notice.call_uid, NoticeArea.area_id).join(NoticeArea, NoticeArea.notice_id == Notice.id)
                .where(Notice.call_uid.in_(uids[i:i + 500]))):
            areas[call_uid].add(area)
    return areas


def answers_per_area(session: Session) -> list[AreaAnswers]:
    """Per area, the companies' answers on its calls: most "Not for us" first."""
    answers = _latest_answers(session)
    areas = _call_areas(session, {call for _c, call, _a, _r in answers})
    per_area: dict[str, AreaAnswers] = {}
    for _company, call, answer, reason in answers:
        for area in areas.get(call, ()):
            row = per_area.setdefault(area, AreaAnswers(area))
            if answer == "not_interested":
                row.not_for_us += 1
                row.reasons[reason or "none"] += 1
            else:
                row.interested += 1
    return sorted(per_area.values(), key=lambda a: (-a.not_for_us, -a.not_for_us_share, a.area))


def profile_suggestions(session: Session, company: Company) -> list[Suggestion]:
    """The company's own areas it keeps rejecting (``SUGGEST_AFTER``, ``SUGGEST_SHARE``): a profile change
    to propose on its preferences page."""
    mine = set(company.areas or [])
    answers = _latest_answers(session, company.id)
    areas = _call_areas(session, {call for _c, call, _a, _r in answers})
    rejected: Counter[str] = Counter()
    wanted: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    for _company, call, answer, reason in answers:
        for area in areas.get(call, set()) & mine:
            if answer == "not_interested":
                rejected[area] += 1
                wrong[area] += reason == "wrong_area"
            else:
                wanted[area] += 1
    return [Suggestion(area, rejected[area], wanted[area], wrong[area])
            for area in sorted(rejected, key=lambda a: (-rejected[a], a))
            if rejected[area] >= SUGGEST_AFTER and rejected[area] / (rejected[area] + wanted[area]) >= SUGGEST_SHARE]
