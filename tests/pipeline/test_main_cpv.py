"""A notice's main CPV code stays first: stored in the published order (duplicates dropped), compared as a set.

The fixture is FAIR's legacy F02 contract notice, whose ``CPV_MAIN`` 31643000 (particle accelerators) is not
its smallest code (31640000 comes from its ``CPV_ADDITIONAL``): sorted codes put the wrong one first.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from pipeline.classify import Classifier
from pipeline.exporters import export_jsonl
from pipeline.import_base import Problem
from pipeline.importers import iter_items
from pipeline.ingest import Ingestor
from pipeline.ocds import export_ocds
from pipeline.reclassify import reclassify
from pipeline.records import NoticeRecord
from pipeline.ted import parse_notice
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice, NoticeArea, NoticeChange
from tests.ted.records_digest import NOW, fresh_engine
from tests.ted.test_import import FIXTURES

PUBLISHED = ["31643000", "31640000"]
"""The F02's codes as published: CPV_MAIN, then CPV_ADDITIONAL."""


def _f02() -> NoticeRecord:
    return parse_notice((FIXTURES / "legacy-f02-fair.xml").read_bytes(), "legacy-f02-fair.xml", now=NOW)


def _areas(engine: Engine) -> list[tuple[str, float]]:
    with session_scope(engine) as s:
        return sorted((a.area_id, round(a.score, 3)) for a in s.scalars(select(NoticeArea)))


def _stored(engine: Engine) -> tuple[list[str], int]:
    """The stored notice's codes, and how many changes are recorded."""
    with session_scope(engine) as s:
        codes = s.scalars(select(Notice.cpv_codes)).one()
        return list(codes), len(s.scalars(select(NoticeChange.id)).all())


def test_the_parser_gives_the_main_code_first() -> None:
    assert _f02().cpv_codes == PUBLISHED
    assert PUBLISHED[0] != min(PUBLISHED)  # the case sorting gets wrong


def test_one_by_one_and_bulk_store_the_main_code_first(engine: Engine, config: Config, tmp_path: Path) -> None:
    rec = _f02()
    rec.cpv_codes = [*PUBLISHED, PUBLISHED[0]]  # a repeated code is stored once, where it first stood
    with Ingestor(engine, config, now=NOW) as ing:
        ing.add(rec)
    assert _stored(engine) == (PUBLISHED, 0)
    # classified from the main code first (sorted codes gave FAIR's F02 accelerator 0.67, the published 0.725)
    classifier = Classifier.for_config(config)
    f02 = _f02()
    published = sorted((a.id, round(a.score, 3)) for a in classifier.classify(
        f02.title, f02.description, PUBLISHED, f02.languages[0], f02.buyer_name))
    assert _areas(engine) == published
    assert reclassify(engine, classifier).changed + reclassify(engine, classifier).rescored == 0

    bulk = fresh_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    try:
        with Ingestor(bulk, config, now=NOW) as ing:
            ing.add_many([_f02()])
        assert _stored(bulk) == (PUBLISHED, 0)
        assert _areas(bulk) == published
    finally:
        bulk.dispose()


def test_same_codes_in_another_order_are_no_change(engine: Engine, config: Config) -> None:
    with Ingestor(engine, config, now=NOW) as ing:
        ing.add(_f02())
    again = _f02()
    again.cpv_codes = PUBLISHED[::-1]
    with Ingestor(engine, config, now=NOW + timedelta(days=1)) as ing:
        result = ing.add(again)
    assert result is not None and result.outcome == "unchanged"
    assert _stored(engine) == (PUBLISHED, 0)  # the stored order stays

    other = _f02()
    other.cpv_codes = ["38000000", *PUBLISHED]  # another set: a change, stored in its published order
    with Ingestor(engine, config, now=NOW + timedelta(days=2)) as ing:
        result = ing.add(other)
    assert result is not None and result.outcome == "changed"
    assert [c[0] for c in result.changes] == ["cpv_codes"]
    assert _stored(engine) == (["38000000", *PUBLISHED], 1)


def test_exports_keep_the_main_code_first_and_round_trip(engine: Engine, config: Config, tmp_path: Path) -> None:
    with Ingestor(engine, config, now=NOW) as ing:
        ing.add(_f02())
    buf = io.StringIO()
    export_jsonl(engine, config, buf)
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert [line["cpv_codes"] for line in lines] == [PUBLISHED]

    ocds = io.StringIO()
    export_ocds(engine, config, ocds)
    items = json.loads(ocds.getvalue())["releases"][0]["tender"]["items"]
    assert [(i["id"], i["classification"]["id"]) for i in items if i["id"].startswith("cpv-")] == \
        [("cpv-1", PUBLISHED[0]), ("cpv-2", PUBLISHED[1])]

    dump = tmp_path / "notices.jsonl"
    dump.write_text(buf.getvalue())
    items = list(iter_items([dump]))
    assert not [i for i in items if isinstance(i, Problem)]
    other = fresh_engine(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        with Ingestor(other, config, now=NOW + timedelta(days=1)) as ing:
            ing.add_many([i for i in items if isinstance(i, NoticeRecord)])
        assert _stored(other) == (PUBLISHED, 0)
    finally:
        other.dispose()
