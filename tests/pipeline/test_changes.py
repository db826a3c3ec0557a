"""Changes are changes, not new calls: corrigenda, TED change notices and re-published rows update the
notice they change, are recorded as changes (field, old, new, when, which notice), and a re-crawl of
every source of a call changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from pipeline.ingest import Ingestor
from pipeline.records import NoticeRecord
from pipeline.ted import parse_notice
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice, NoticeChange

TED = Path(__file__).resolve().parents[1] / "fixtures" / "api.ted.europa.eu" / "notices"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 4, 15, 11, 0, tzinfo=UTC)


def rec(**fields: Any) -> NoticeRecord:
    fields.setdefault("source", "cern-site")
    fields.setdefault("organisation", "CERN")
    fields.setdefault("external_id", fields.get("reference") or fields["title"])
    fields.setdefault("published_at", T0)
    return NoticeRecord(**fields)


def store(engine: Engine, config: Config, *records: NoticeRecord, now: datetime = T0) -> list[str]:
    with Ingestor(engine, config, now=now) as ing:
        return [r.outcome for r in (ing.add(x.model_copy(deep=True)) for x in records) if r is not None]


def state(engine: Engine) -> list[dict[str, Any]]:
    """Every notice with its sightings and changes, as comparable values."""
    with session_scope(engine) as s:
        return [{"type": n.notice_type, "ref": n.reference, "deadline": n.deadline_at, "day": n.deadline_date,
                 "title": n.title, "published": n.published_at, "url": n.url,
                 "sightings": sorted((x.source_name, x.external_id, x.amends) for x in n.sightings),
                 "changes": [(c.field, c.old_value, c.new_value, c.source_name, c.notice_ref) for c in n.changes]}
                for n in s.scalars(select(Notice).order_by(Notice.id))]


def ted(name: str) -> NoticeRecord:
    return parse_notice((TED / name).read_bytes(), name)


# --------------------------------------------------------------------------- site corrigenda


def test_a_site_corrigendum_updates_the_call_it_corrects(engine: Engine, config: Config) -> None:
    itt = rec(reference="IT-4721/TE", notice_type="invitation_to_tender", title="Supply of pumping groups",
              deadline_at=DEADLINE, url="https://found.example/itt")
    corrigendum = rec(external_id="IT-4721/TE#corr-1", reference="IT-4721/TE", notice_type="corrigendum",
                      title="Supply of pumping groups", deadline_at=DEADLINE + timedelta(days=14),
                      url="https://found.example/corr", published_at=T0 + timedelta(days=5))
    assert store(engine, config, itt) == ["new"]
    assert store(engine, config, corrigendum, now=T0 + timedelta(days=5)) == ["changed"]
    (notice,) = state(engine)
    assert notice["type"] == "invitation_to_tender"  # a corrigendum is not a stage: the call stays an ITT
    assert notice["deadline"] == DEADLINE + timedelta(days=14)
    assert notice["published"] == T0 and notice["url"] == "https://found.example/itt"  # its own, not the change's
    assert notice["changes"] == [("deadline_at", DEADLINE.isoformat(), (DEADLINE + timedelta(days=14)).isoformat(),
                                  "cern-site", "IT-4721/TE#corr-1")]
    with session_scope(engine) as s:
        change = s.scalars(select(NoticeChange)).one()
        assert change.published_at == T0 + timedelta(days=5)
    # every later crawl sees both rows again: nothing moves back, nothing is recorded twice
    for day in (6, 7):
        assert store(engine, config, itt, corrigendum, now=T0 + timedelta(days=day)) == ["unchanged", "unchanged"]
    assert state(engine) == [notice]


@pytest.mark.parametrize("order", ["call first", "change row first"])
def test_a_sites_change_row_joins_its_call_in_either_order(engine: Engine, config: Config, order: str) -> None:
    """ECMWF lists "CAMS2_91 Change Notice" above "CAMS2_91"; its reference pattern gives both one call key."""
    call = rec(source="ecmwf-copernicus-itts", organisation="ECMWF", reference="CAMS2_91",
               notice_type="invitation_to_tender", title="Provision of the CAMS greenhouse gas flux inversions",
               deadline_at=DEADLINE, url="https://ecmwf.example/itt")
    change = rec(source="ecmwf-copernicus-itts", organisation="ECMWF", reference="CAMS2_91 Change Notice",
                 notice_type="corrigendum", title="Provision of the CAMS greenhouse gas flux inversions",
                 deadline_at=DEADLINE + timedelta(days=14), url="https://ecmwf.example/change")
    store(engine, config, *([call, change] if order == "call first" else [change, call]))
    (notice,) = state(engine)
    assert (notice["type"], notice["ref"], notice["url"]) == ("invitation_to_tender", "CAMS2_91",
                                                              "https://ecmwf.example/itt")
    assert notice["deadline"] == DEADLINE + timedelta(days=14)
    assert notice["changes"] == [("deadline_at", DEADLINE.isoformat(), (DEADLINE + timedelta(days=14)).isoformat(),
                                  "ecmwf-copernicus-itts", "CAMS2_91 Change Notice")]
    assert store(engine, config, change, call, now=T0 + timedelta(days=1)) == ["unchanged", "unchanged"]
    assert state(engine) == [notice]


def test_a_republished_row_with_a_new_deadline_is_one_change(engine: Engine, config: Config) -> None:
    row = rec(reference="IT-9/EN", notice_type="invitation_to_tender", title="Cables", deadline_at=DEADLINE,
              deadline_date=None)
    moved = row.model_copy(update={"deadline_at": DEADLINE + timedelta(days=7)})
    assert store(engine, config, row) == ["new"]
    assert store(engine, config, moved, now=T0 + timedelta(days=1)) == ["changed"]
    assert store(engine, config, moved, now=T0 + timedelta(days=2)) == ["unchanged"]
    (notice,) = state(engine)
    assert [c[0] for c in notice["changes"]] == ["deadline_at"]


# --------------------------------------------------------------------------- TED change notices


@pytest.mark.parametrize("order", ["notice first", "change first"])
def test_a_ted_change_notice_updates_its_notice_in_either_order(engine: Engine, config: Config, order: str) -> None:
    cn, change = ted("eforms-cn-f4e.xml"), ted("eforms-change-f4e.xml")
    assert change.previous_notice == cn.alias_id  # eForms cites the notice's identifier-version, not its number
    records = [cn, change] if order == "notice first" else [change, cn]
    store(engine, config, *records)
    (notice,) = state(engine)
    assert notice["type"] == "invitation_to_tender" and notice["ref"] == "F4E-OMF-1234"
    assert notice["url"] == "https://ted.europa.eu/en/notice/100001-2025/html"
    assert notice["deadline"] == datetime(2035, 4, 10, 16, 0, tzinfo=UTC)
    assert notice["sightings"] == [("ted", "100001-2025", None),
                                   ("ted", "100004-2025", "0b3a1f9e-1111-4c2e-9a55-000000000001-01")]
    assert notice["changes"] == [("deadline_at", "2035-03-13T16:00:00+00:00", "2035-04-10T16:00:00+00:00", "ted",
                                  "100004-2025")]
    with session_scope(engine) as s:
        n = s.scalars(select(Notice)).one()
        assert n.extra["ted_publication_number"] == "100001-2025"
    # a re-import of both changes nothing
    assert store(engine, config, *records, now=T0 + timedelta(days=1)) == ["unchanged", "unchanged"]
    assert state(engine) == [notice]


def test_bulk_import_of_a_change_that_arrived_first(engine: Engine, config: Config) -> None:
    """``tenderwatch import`` (``add_many``): the change notice in one batch, its notice in a later one."""
    with Ingestor(engine, config, now=T0) as ing:
        ing.add_many([ted("eforms-change-f4e.xml")])
        ing.flush()
        ing.add_many([ted("eforms-cn-f4e.xml")])
        assert dict(ing.stats.counts) == {"new": 1, "merged": 1}
    (notice,) = state(engine)
    assert notice["type"] == "invitation_to_tender" and len(notice["changes"]) == 1


def test_a_legacy_f14_changes_only_what_it_lists(engine: Engine, config: Config) -> None:
    store(engine, config, ted("legacy-f02-fair.xml"), ted("legacy-f14-fair.xml"))
    (notice,) = state(engine)
    assert [c[0] for c in notice["changes"]] == ["deadline_at"]  # not its main CPV, summary or value
    assert notice["sightings"] == [("ted", "12345-2021", None), ("ted", "23456-2021", "12345-2021")]


# --------------------------------------------------------------------------- two sources of one call


def test_two_sources_of_one_call_never_undo_each_other(engine: Engine, config: Config) -> None:
    site = rec(reference="IT-4721/TE", notice_type="invitation_to_tender", title="Supply of pumping groups",
               deadline_at=DEADLINE, description="The site's words")
    on_ted = rec(source="ted", external_id="123456-2026", reference="IT 4721/TE", notice_type="invitation_to_tender",
                 title="Switzerland-Geneva: Pumps", description="TED's words", deadline_at=DEADLINE,
                 cpv_codes=["42122000"])
    assert store(engine, config, site, on_ted) == ["new", "merged"]
    first = state(engine)
    assert [c[0] for c in first[0]["changes"]] == ["cpv_codes"]  # TED filled what the site left empty
    for day in (1, 2, 3):
        assert store(engine, config, site, on_ted, now=T0 + timedelta(days=day)) == ["unchanged", "unchanged"]
    assert state(engine) == first and first[0]["title"] == "Supply of pumping groups"
    # TED moves the deadline: the second source may do that, and only that
    moved = on_ted.model_copy(update={"deadline_at": DEADLINE + timedelta(days=7), "title": "Pumps (corrected)"})
    assert store(engine, config, site, moved, now=T0 + timedelta(days=4)) == ["unchanged", "changed"]
    (notice,) = state(engine)
    assert notice["title"] == "Supply of pumping groups"
    assert [c[0] for c in notice["changes"]] == ["cpv_codes", "deadline_at"]


# --------------------------------------------------------------------------- date-only deadlines


def test_a_date_only_deadline_is_kept_as_its_day(engine: Engine, config: Config) -> None:
    from pipeline.normalise import normalise
    from pipeline.records import RawNotice

    raw = RawNotice(source="skao-procurement", reference="SKAO-CFT-9", title="Low-frequency antenna bases",
                    deadline="18 December 2026", url="https://www.skao.int/x")
    record = normalise(raw, config, now=T0)
    assert record.deadline_date == date(2026, 12, 18)
    assert record.deadline_at == datetime(2026, 12, 18, 23, 59, tzinfo=ZoneInfo("Europe/London"))
    store(engine, config, record)
    (notice,) = state(engine)
    assert notice["day"] == date(2026, 12, 18)
    with session_scope(engine) as s:  # the shown day never moves to the reader's next day
        from tenderwatch.formats import format_deadline

        n = s.scalars(select(Notice)).one()
        assert format_deadline(n.deadline_at, "Europe/Amsterdam", "en", n.deadline_date) == "Fri 18 Dec 2026"
    # a record of the same moment stored before the date-only mark existed gets the mark, not a change
    with session_scope(engine) as s:
        n = s.scalars(select(Notice)).one()
        n.deadline_date, n.content_hash, n.sightings[0].content_hash = None, "hash of an older version", None
    assert store(engine, config, record, now=T0 + timedelta(days=1)) == ["unchanged"]
    assert state(engine)[0]["day"] == date(2026, 12, 18) and not state(engine)[0]["changes"]
    # the day moves: the change says so in days
    later = record.model_copy(update={"deadline_at": record.deadline_at + timedelta(days=7),
                                      "deadline_date": date(2026, 12, 25)})
    assert store(engine, config, later, now=T0 + timedelta(days=2)) == ["changed"]
    assert state(engine)[0]["changes"][0][:3] == ("deadline_at", "2026-12-18", "2026-12-25")


def test_the_hour_an_organisations_rules_give(engine: Engine, config: Config) -> None:
    config.organisation("SKAO").deadline_time = time(12, 0)
    record = rec(source="skao-procurement", organisation="SKAO", reference="SKAO-CFT-10", title="Dishes",
                 deadline_at=datetime(2026, 12, 18, 23, 59, tzinfo=ZoneInfo("Europe/London")),
                 deadline_date=date(2026, 12, 18))
    store(engine, config, record)
    (notice,) = state(engine)
    assert notice["day"] is None and notice["deadline"] == datetime(2026, 12, 18, 12, 0, tzinfo=UTC)


def test_legacy_and_eforms_date_only_deadlines(shared_dir: Path) -> None:
    """The Bulgarian F14 moves a deadline given as a date only; eForms samples without an end time."""
    f14 = parse_notice((shared_dir / "ted" / "legacy" / "218017-2021.xml").read_bytes(), "218017-2021.xml")
    assert f14.deadline_date == date(2021, 5, 21)
    assert f14.deadline_at == datetime(2021, 5, 21, 23, 59, tzinfo=ZoneInfo("Europe/Sofia"))
    timed = parse_notice((shared_dir / "ted" / "legacy" / "23-119901-001-EXP.xml").read_bytes(), "x.xml")
    assert timed.deadline_date is None and timed.deadline_at is not None
    days = [parse_notice(p.read_bytes(), p.name) for p in sorted((shared_dir / "ted" / "eforms").glob("*.xml"))]
    for r in days:
        if r.deadline_date is not None:
            assert r.deadline_at is not None and r.deadline_at.date() == r.deadline_date
            assert (r.deadline_at.hour, r.deadline_at.minute) == (23, 59)


def test_changes_survive_export_and_import(engine: Engine, config: Config, tmp_path: Path) -> None:
    import io
    import json

    from pipeline.exporters import export_jsonl
    from pipeline.importers import iter_items
    from tenderwatch.db.engine import make_engine
    from tenderwatch.db.migrate import upgrade
    from tenderwatch.sync import sync_config

    store(engine, config, ted("eforms-cn-f4e.xml"), ted("eforms-change-f4e.xml"),
          rec(source="skao-procurement", organisation="SKAO", reference="SKAO-CFT-11", title="Cabling",
              deadline_at=datetime(2026, 12, 18, 23, 59, tzinfo=ZoneInfo("Europe/London")),
              deadline_date=date(2026, 12, 18)))

    def export(eng: Engine) -> list[dict[str, Any]]:
        buf = io.StringIO()
        export_jsonl(eng, config, buf)
        return [json.loads(line) for line in buf.getvalue().splitlines()]

    first = export(engine)
    f4e = next(x for x in first if x["reference"] == "F4E-OMF-1234")
    assert [s["external_id"] for s in f4e["sources"]] == ["100001-2025", "100004-2025"]
    assert f4e["sources"][1]["amends"] == "0b3a1f9e-1111-4c2e-9a55-000000000001-01"
    assert [(c["field"], c["notice_ref"]) for c in f4e["changes"]] == [("deadline_at", "100004-2025")]
    skao = next(x for x in first if x["reference"] == "SKAO-CFT-11")
    assert skao["deadline_date"] == "2026-12-18"
    dump = tmp_path / "dump.jsonl"
    dump.write_text("".join(json.dumps(x) + "\n" for x in first))
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    with session_scope(other) as s:
        sync_config(s, config)
    with Ingestor(other, config, now=T0 + timedelta(days=3)) as ing:
        for item in iter_items([dump]):
            ing.add(item)  # type: ignore[arg-type]
    again = export(other)
    for a, b in zip(again, first, strict=True):
        assert {k: v for k, v in a.items() if a[k] != b.get(k)} == {}, a["reference"]
    with session_scope(other) as s:
        assert s.scalar(select(func.count()).select_from(NoticeChange)) == 1
