"""Export formats: name -> function(engine, config, stream, open_only) -> count written."""

from __future__ import annotations

import json
from typing import IO

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session, selectinload

from pipeline.csv_export import export_csv
from pipeline.export import Exporter, iter_notices, notice_to_export
from pipeline.lifecycle import latest_stage
from pipeline.ocds import export_ocds
from tenderwatch.atom import atom_feed
from tenderwatch.calendars import CalendarWriter, event_of_stages
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice


def export_jsonl(engine: Engine, config: Config, out: IO[str], *, open_only: bool = False) -> int:
    count = 0
    with session_scope(engine) as session:
        for notice in iter_notices(session, open_only=open_only):
            out.write(json.dumps(notice_to_export(notice), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count


def _calls(session: Session, *, open_only: bool) -> Select[tuple[Notice]]:
    """One row per call (its latest stage), newest change first: what feeds and calendars list."""
    stmt = select(Notice).where(latest_stage()).order_by(Notice.last_changed_at.desc(), Notice.id.desc())
    return stmt.where(Notice.status == "open") if open_only else stmt


def export_atom(engine: Engine, config: Config, out: IO[str], *, open_only: bool = False) -> int:
    """Every call as one Atom feed (``tenderwatch.atom``, the web's ``/feeds/calls.atom`` for all calls)."""
    site = config.settings.site_base_url
    with session_scope(engine) as session:
        notices = list(session.scalars(_calls(session, open_only=open_only).options(
            selectinload(Notice.organisation), selectinload(Notice.areas), selectinload(Notice.changes))))
        out.write(atom_feed(notices, feed_id="urn:tenderwatch:feed:calls", title="Tenderwatch: calls",
                            self_url=f"{site}/feeds/calls.atom", site_url=site,
                            area_labels={a.id: a.label for a in config.taxonomy.areas},
                            timezone=config.settings.timezone).decode("utf-8"))
    return len(notices)


def export_ics(engine: Engine, config: Config, out: IO[str], *, open_only: bool = False) -> int:
    """The deadline of every call as one calendar (``tenderwatch.calendars``, the same events as web and mail)."""
    writer = CalendarWriter(site_url=config.settings.site_base_url)
    events = []
    with session_scope(engine) as session:
        call_uids = list(session.scalars(_calls(session, open_only=open_only).with_only_columns(Notice.call_uid)))
        for i in range(0, len(call_uids), 500):
            stages: dict[str, list[Notice]] = {}
            for n in session.scalars(select(Notice).where(Notice.call_uid.in_(call_uids[i:i + 500])).options(
                    selectinload(Notice.changes), selectinload(Notice.areas), selectinload(Notice.organisation))
                    .order_by(func.coalesce(Notice.published_at, Notice.first_seen_at), Notice.id)):
                stages.setdefault(n.call_uid, []).append(n)
            events += [e for e in (event_of_stages(stages[uid]) for uid in call_uids[i:i + 500] if uid in stages)
                       if e is not None]
    out.write((writer.calendar(events, name="Tenderwatch deadlines", empty=True) or b"").decode("utf-8"))
    return len(events)


EXPORTERS: dict[str, Exporter] = {"jsonl": export_jsonl, "csv": export_csv, "ocds": export_ocds,
                                  "atom": export_atom, "ics": export_ics}
