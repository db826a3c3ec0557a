"""The export contract: every line validates against the JSON Schema; export -> import -> export is the identity."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import Engine, func, select

from pipeline.export import export_schema
from pipeline.exporters import export_jsonl
from pipeline.import_base import Problem
from pipeline.importers import iter_items
from pipeline.ingest import Ingestor
from pipeline.records import AwardRecord, LotRecord, Money, NoticeRecord
from tenderwatch.config import Config
from tenderwatch.db.engine import make_engine, session_scope
from tenderwatch.db.migrate import upgrade
from tenderwatch.db.models import Notice, Reject
from tenderwatch.sync import sync_config

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def sample_records() -> list[NoticeRecord]:
    return [
        NoticeRecord(
            organisation="CERN", source="cern-forthcoming", external_id="IT-3255/TS/CMS",
            reference="IT-3255/TS/CMS", notice_type="invitation_to_tender",
            title="Supply of superconducting magnet coils", description="Nb3Sn coils for HL-LHC",
            url="https://found.cern.ch/x", published_at=NOW - timedelta(days=3),
            deadline_at=datetime(2027, 1, 15, 12, 0, tzinfo=UTC), cpv_codes=["31643000"],
            estimated_value=Money(amount=Decimal("5000000"), currency="CHF"),
            buyer_name="CERN", buyer_country="CH", eligible_countries=["NL", "DE"], languages=["en"],
        ),
        NoticeRecord(
            organisation="F4E", source="ted-f4e", external_id="426734-2026", reference="F4E-OMF-2021 (TB23)",
            notice_type="contract_award", title="Operation and maintenance framework", buyer_name="Fusion for Energy",
            buyer_country="ES", languages=["en", "fr"], status="awarded",
            lots=[LotRecord(lot_number="LOT-0001", title="Lot 1", cpv_codes=["31720000"],
                            value=Money(amount=Decimal("1000.50"), currency="EUR"))],
            awards=[AwardRecord(winner_name="Acme B.V.", winner_country="NL", lot_number="LOT-0001",
                                value=Money(amount=Decimal("999"), currency="EUR"))],
        ),
        NoticeRecord(organisation=None, source="bss", external_id="https://example.se/25-24",
                     title="Lifetime impact study <script>alert(1)</script>", eligible_countries=None),
    ]


def _export(engine: Engine, config: Config) -> list[dict]:
    buf = io.StringIO()
    export_jsonl(engine, config, buf)
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_every_exported_line_follows_the_schema(engine: Engine, config: Config) -> None:
    with Ingestor(engine, config, now=NOW) as ing:
        for rec in sample_records():
            ing.add(rec)
    lines = _export(engine, config)
    assert len(lines) == 3
    validator = jsonschema.Draft202012Validator(export_schema())
    for line in lines:
        validator.validate(line)
    cern = next(line for line in lines if line["organisation"] == "CERN")
    assert cern["deadline_at"] == "2027-01-15T12:00:00+00:00"
    assert cern["estimated_value"] == {"amount": 5000000.0, "currency": "CHF"}
    assert cern["call_id"] == cern["id"]
    assert {a["id"] for a in cern["technology_areas"]} >= {"magnets"}
    assert all(a["evidence"] for a in cern["technology_areas"])


def test_schema_rejects_a_broken_line() -> None:
    validator = jsonschema.Draft202012Validator(export_schema())
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"id": "x", "notice_type": "tender"})


def test_round_trip_export_import_export(engine: Engine, config: Config, tmp_path: Path) -> None:
    with Ingestor(engine, config, now=NOW) as ing:
        for rec in sample_records():
            ing.add(rec)
    first = _export(engine, config)
    dump = tmp_path / "notices.jsonl"
    dump.write_text("".join(json.dumps(x) + "\n" for x in first))

    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    with session_scope(other) as s:
        sync_config(s, config)
    with Ingestor(other, config, now=NOW + timedelta(days=1)) as ing:
        for item in iter_items([dump]):
            assert not isinstance(item, Problem), item
            ing.add(item)
    assert _export(other, config) == first

    # a second import of the same lines changes nothing
    with Ingestor(other, config, now=NOW + timedelta(days=2)) as ing:
        for item in iter_items([dump]):
            assert not isinstance(item, Problem)
            ing.add(item)
        assert ing.stats.counts["new"] == 0
    with session_scope(other) as s:
        assert s.scalar(select(func.count()).select_from(Notice)) == 3


def test_bad_lines_are_reported_and_kept(engine: Engine, config: Config, tmp_path: Path) -> None:
    good = json.dumps({"id": "tw-1", "source": "x", "title": "Vacuum pumps", "sources": [], "notice_type": "other"})
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([good, "{not json", json.dumps({"id": "tw-2"}), "[1,2]"]) + "\n")
    items = list(iter_items([path]))
    problems = [i for i in items if isinstance(i, Problem)]
    assert [p.location for p in problems] == [f"{path}:2", f"{path}:3", f"{path}:4"]
    assert "not valid JSON" in problems[0].reason
    assert "missing field" in problems[1].reason
    with Ingestor(engine, config) as ing:
        for item in items:
            if isinstance(item, Problem):
                ing.reject(stage="import", location=item.location, reason=item.reason, raw=item.raw)
            else:
                ing.add(item)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Notice)) == 1
        rejects = s.scalars(select(Reject).order_by(Reject.id)).all()
        assert [r.location for r in rejects] == [p.location for p in problems]
        assert rejects[0].raw.startswith("{not json")
