"""The bulk path (``Ingestor.add_many``, what ``tenderwatch import`` uses) applies a change notice to the
notice it changes exactly as the one-by-one path (``Ingestor.add``) does, also for a buyer that is
not a configured organisation (no call key: only the previous-notice link can find that notice):
one notice, seen twice, with the moved deadline recorded as a change brought by the change notice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from pipeline.ingest import Ingestor
from pipeline.records import NoticeRecord, SourceRef
from pipeline.ted import parse_notice
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice
from tests.ted.test_import import FIXTURES, _cli

FAIR = b"FAIR - Facility for Antiproton and Ion Research in Europe GmbH"
STRANGER = b"Stadtwerke Irgendwo GmbH"  # not a configured organisation


def _stranger(name: str) -> bytes:
    """A legacy fixture (F02 contract notice, F14 corrigendum naming it) with a buyer we do not follow."""
    return (FIXTURES / name).read_bytes().replace(FAIR, STRANGER)


def _records() -> tuple[NoticeRecord, NoticeRecord]:
    first, change = parse_notice(_stranger("legacy-f02-fair.xml"), "f02.xml"), parse_notice(
        _stranger("legacy-f14-fair.xml"), "f14.xml")
    assert change.previous_notice == first.external_id
    return first, change


def _assert_linked(engine: Engine) -> None:
    with session_scope(engine) as s:
        (notice,) = s.scalars(select(Notice)).all()
        assert notice.organisation_id is None  # really the path without an organisation
        assert notice.extra["ted_publication_number"] == "12345-2021"  # the notice keeps its own identity
        assert notice.notice_type == "invitation_to_tender" and notice.call_uid == notice.uid
        assert [(x.external_id, x.amends) for x in notice.sightings] == [("12345-2021", None),
                                                                          ("23456-2021", "12345-2021")]
        (change,) = notice.changes
        assert (change.field, change.old_value, change.new_value) == (
            "deadline_at", "2021-03-10T15:00:00+00:00", "2021-04-07T14:00:00+00:00")
        assert change.notice_ref == "23456-2021" and change.published_at is not None


@pytest.mark.parametrize("how", ["separate batches", "one batch", "one by one"])
def test_change_notice_of_an_unknown_buyer_joins_its_call(engine: Engine, config: Config, how: str) -> None:
    first, change = _records()
    with Ingestor(engine, config) as ing:
        if how == "separate batches":
            ing.add_many([first])
            ing.flush()
            ing.add_many([change])
        elif how == "one batch":
            ing.add_many([first, change])
        else:
            ing.add(first)
            ing.add(change)
        assert dict(ing.stats.counts) == {"new": 1, "changed": 1}
    _assert_linked(engine)


def test_previous_notice_handed_back_is_stored_before_its_change(engine: Engine, config: Config) -> None:
    """The notice named as previous goes through ``upsert`` (it carries a second source): the change
    notice after it in the batch must wait for it rather than be bulk inserted unlinked."""
    first, change = _records()
    first.sources = [SourceRef(name="ted-mirror", external_id="m-1")]
    with Ingestor(engine, config) as ing:
        ing.add_many([first, change])
        assert dict(ing.stats.counts) == {"new": 1, "changed": 1}
    with session_scope(engine) as s:
        (notice,) = s.scalars(select(Notice)).all()
        assert [x.external_id for x in notice.sightings] == ["12345-2021", "m-1", "23456-2021"]


@pytest.mark.parametrize("together", [True, False])
def test_import_command_links_change_notice_of_unknown_buyer(tmp_path: Path, engine: Engine, config_dir: Path,
                                                             monkeypatch: pytest.MonkeyPatch, together: bool) -> None:
    """``tenderwatch import`` of both files at once (one batch) or one after the other (two imports)."""
    monkeypatch.setenv("TENDERWATCH_REJECTS_DIR", str(tmp_path / "rejects"))
    first, change = tmp_path / "a-f02.xml", tmp_path / "b-f14.xml"
    first.write_bytes(_stranger("legacy-f02-fair.xml"))
    change.write_bytes(_stranger("legacy-f14-fair.xml"))
    runs = [[first, change]] if together else [[first], [change]]
    outputs = ""
    for paths in runs:
        result = _cli(engine, config_dir, "import", *(str(p) for p in paths))
        assert result.exit_code == 0, result.output
        outputs += result.output
    assert outputs.count("1 new") == 1 and outputs.count("1 changed") == 1, outputs
    _assert_linked(engine)


def test_site_notice_stored_by_another_process_mid_import_is_matched(engine: Engine, config: Config) -> None:
    """The bulk path remembers which sources an organisation's notices were seen on across batches; a
    source another writer adds between two batches (a crawl of FAIR's own site during a TED import)
    must be noticed at the next batch, so the TED notice of that call merges into the site's notice."""
    from datetime import UTC, datetime

    fair_call = parse_notice((FIXTURES / "legacy-f02-fair.xml").read_bytes(), "f02.xml")
    assert fair_call.organisation is None  # the buyer is matched by name when stored
    earlier = fair_call.model_copy(update={"external_id": "1-2020", "reference": None,
                                           "title": "Unrelated earlier purchase of office chairs"})
    with Ingestor(engine, config) as importer:
        importer.add_many([earlier])  # first batch: FAIR is known from TED alone
        importer.flush()
        assert importer._store is not None and importer._store.sources_of(
            importer._store.organisation_id("FAIR")) == {"ted"}
        with Ingestor(engine, config) as crawler:  # another process: FAIR's own site, the same call
            crawler.add(NoticeRecord(source="fair-site", external_id="site-1", organisation="FAIR",
                                     notice_type=fair_call.notice_type, title=fair_call.title,
                                     published_at=fair_call.published_at, deadline_at=fair_call.deadline_at,
                                     first_seen_at=datetime(2021, 1, 1, tzinfo=UTC)))
        importer.add_many([fair_call])  # next batch
        assert dict(importer.stats.counts) == {"new": 1, "merged": 1}
    with session_scope(engine) as s:
        site = s.scalars(select(Notice).where(Notice.title == fair_call.title)).one()
        assert sorted(x.source_name for x in site.sightings) == ["fair-site", "ted"]
