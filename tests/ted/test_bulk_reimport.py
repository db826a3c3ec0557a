"""A re-import through the bulk path (``Ingestor.add_many``) stores what storing the records one by one stores:
records seen before and unchanged are marked seen in bulk (``bulk_insert.insert_new``), a changed one, a second
record of the same key in one batch, and a sighting stored without its own hash go through ``upsert``.

Every TED fixture is imported one by one, then imported again a few days later in one batch, by ``add_many``
and by ``add``; the two databases are compared row for row (``records_digest.stored_rows``), with the counts.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from pipeline.ingest import Ingestor
from pipeline.records import NoticeRecord
from pipeline.ted import parse_notice
from tenderwatch.config import Config
from tenderwatch.db.models import Notice, NoticeSource
from tests.ted.records_digest import NOW, fresh_engine, stored_rows
from tests.ted.test_import import FIXTURES

LATER = NOW + timedelta(days=3)
NAMES = sorted(p.name for p in FIXTURES.glob("*.xml"))


def _records(changed: str | None = None) -> list[NoticeRecord]:
    out = []
    for name in NAMES:
        record = parse_notice((FIXTURES / name).read_bytes(), name, now=NOW)
        if name == changed:
            record.title += " (new title)"
        out.append(record)
    return out


def _reimported(tmp: Path, config: Config, second: list[NoticeRecord], bulk: bool,
                drop_hashes: bool = False) -> list[str]:
    engine = fresh_engine(f"sqlite:///{tmp / ('bulk.db' if bulk else 'one.db')}")
    try:
        with Ingestor(engine, config, now=NOW) as ing:
            for record in _records():
                ing.add(record)
        if drop_hashes:  # sightings stored before they kept their own hash
            with engine.begin() as conn:
                conn.execute(text("UPDATE notice_sources SET content_hash = NULL"))
        with Ingestor(engine, config, now=LATER) as ing:
            for batch in [second] if bulk else []:  # the bulk path: one batch
                ing.add_many(batch)
            for record in [] if bulk else second:  # one by one
                ing.add(record)
        return [f"counts {sorted(ing.stats.counts.items())}", *stored_rows(engine)]
    finally:
        engine.dispose()


def _both(tmp: Path, config: Config, second: list[NoticeRecord], **kwargs: bool) -> list[str]:
    copy = [record.model_copy(deep=True) for record in second]
    bulk = _reimported(tmp, config, second, bulk=True, **kwargs)
    assert bulk == _reimported(tmp, config, copy, bulk=False, **kwargs)
    return bulk


def test_an_unchanged_reimport_is_marked_seen(tmp_path: Path, config: Config) -> None:
    rows = _both(tmp_path, config, _records())
    assert rows[0] == f"counts {[('unchanged', len(NAMES))]}"
    assert any(LATER.isoformat(" ")[:19] in line for line in rows if line.startswith("notice_sources "))


@pytest.mark.parametrize("name", ["eforms-cn-f4e.xml", "legacy-f14-fair.xml"])
def test_a_changed_record_among_unchanged_ones(tmp_path: Path, config: Config, name: str) -> None:
    rows = _both(tmp_path, config, _records(changed=name))
    assert rows[0] != f"counts {[('unchanged', len(NAMES))]}"


@pytest.mark.parametrize("changed_first", [True, False])
def test_the_same_key_twice_in_one_batch(tmp_path: Path, config: Config, changed_first: bool) -> None:
    """A record changed and changed back (or the reverse) in one batch: the last one wins, as one by one."""
    name = "eforms-can-ess.xml"
    changed, same = _records(changed=name), _records()
    twice = [r for r in changed if r.external_id == same[NAMES.index(name)].external_id]
    original = same[NAMES.index(name)]
    second = [*(twice if changed_first else [original]), *same, *([] if changed_first else twice)]
    _both(tmp_path, config, second)


def test_a_sighting_without_its_own_hash(tmp_path: Path, config: Config) -> None:
    rows = _both(tmp_path, config, _records(), drop_hashes=True)
    assert rows[0] == f"counts {[('unchanged', len(NAMES))]}"


def test_a_reimport_on_the_test_database(engine: Engine, config: Config) -> None:
    """The two updates on the test database (PostgreSQL in CI): every sighting and notice seen at the second
    import's moment, their URLs and hashes kept, no row added."""
    sightings = select(NoticeSource.id, NoticeSource.url, NoticeSource.content_hash, NoticeSource.first_seen_at,
                       NoticeSource.notice_id).order_by(NoticeSource.id)
    with Ingestor(engine, config, now=NOW) as ing:
        ing.add_many(_records())
    with engine.connect() as conn:
        before = conn.execute(sightings).all()
        notices = conn.execute(select(func.count()).select_from(Notice)).scalar_one()
    with Ingestor(engine, config, now=LATER) as ing:
        ing.add_many(_records())
    assert dict(ing.stats.counts) == {"unchanged": len(NAMES)}
    with engine.connect() as conn:
        assert conn.execute(sightings).all() == before
        assert conn.execute(select(func.count()).select_from(Notice)).scalar_one() == notices
        seen = [*conn.execute(select(NoticeSource.last_seen_at)).scalars(),
                *conn.execute(select(Notice.last_seen_at)).scalars()]
    assert len(seen) == len(before) + notices
    assert set(seen) == {LATER}
