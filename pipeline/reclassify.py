"""Re-run the classifier over every stored notice after the rules or the taxonomy changed.

Why a module of its own: a database holds hundreds of thousands of notices (a TED year is about
700,000), so the work goes in id-ordered batches, each committed on its own, reading only the
columns the classifier needs and rewriting the ``notice_areas`` rows of the notices whose
outcome differs. A stopped run loses at most one batch and can simply be run again. The report
says how many notices changed areas (their set of area ids), and which areas gained and lost
notices, so an administrator sees what a taxonomy edit did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, delete, func, insert, select

from pipeline.classify import Classifier
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice, NoticeArea, TechnologyArea

BATCH = 1000


@dataclass
class ReclassifyReport:
    total: int = 0
    changed: int = 0
    """Notices whose set of areas changed."""
    rescored: int = 0
    """Notices with the same areas but another score or evidence."""
    gained: Counter[str] = field(default_factory=Counter)
    """Area id -> notices that entered it."""
    lost: Counter[str] = field(default_factory=Counter)
    """Area id -> notices that left it."""


def count_notices(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(Notice)) or 0


def reclassify(engine: Engine, classifier: Classifier, *, batch: int = BATCH,
               progress: Callable[[int], None] | None = None) -> ReclassifyReport:
    """Classify every stored notice again and store the outcome where it differs.

    ``progress(n)`` is called after each committed batch with the number of notices it held.
    """
    report = ReclassifyReport()
    last_id = 0
    with session_scope(engine) as session:
        known = set(session.scalars(select(TechnologyArea.id)))
    while True:
        with session_scope(engine) as session:
            rows = session.execute(
                select(Notice.id, Notice.title, Notice.description, Notice.cpv_codes, Notice.languages,
                       Notice.buyer_name).where(Notice.id > last_id).order_by(Notice.id).limit(batch)
            ).all()
            if not rows:
                break
            ids = [r.id for r in rows]
            stored: dict[int, dict[str, tuple[float, list[str]]]] = {i: {} for i in ids}
            for nid, area, score, evidence in session.execute(
                select(NoticeArea.notice_id, NoticeArea.area_id, NoticeArea.score, NoticeArea.evidence)
                .where(NoticeArea.notice_id.in_(ids))
            ):
                stored[nid][area] = (score, list(evidence or []))
            rewrite: list[int] = []
            new_rows: list[dict[str, object]] = []
            for r in rows:
                areas = classifier.classify(r.title, r.description, list(r.cpv_codes or []),
                                            r.languages[0] if r.languages else None, r.buyer_name)
                fresh = {a.id: (a.score, list(a.evidence)) for a in areas if a.id in known}
                before = stored[r.id]
                if fresh == before:
                    continue
                if fresh.keys() != before.keys():
                    report.changed += 1
                    report.gained.update(fresh.keys() - before.keys())
                    report.lost.update(before.keys() - fresh.keys())
                else:
                    report.rescored += 1
                rewrite.append(r.id)
                new_rows += [{"notice_id": r.id, "area_id": a, "score": s, "evidence": e}
                             for a, (s, e) in fresh.items()]
            if rewrite:
                session.execute(delete(NoticeArea).where(NoticeArea.notice_id.in_(rewrite)))
                if new_rows:
                    session.execute(insert(NoticeArea), new_rows)
        report.total += len(rows)
        last_id = ids[-1]
        if progress is not None:
            progress(len(rows))
    return report
