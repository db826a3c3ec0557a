"""One call tracked across its life: references, stages, sources, and what changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from pipeline.fuzzy_match import titles_match
from pipeline.ingest import Ingestor
from pipeline.lifecycle import LifecycleRules, fold_reference
from pipeline.records import NoticeRecord
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice, NoticeChange

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def rec(**fields: Any) -> NoticeRecord:
    fields.setdefault("source", "cern-site")
    fields.setdefault("organisation", "CERN")
    fields.setdefault("external_id", fields.get("reference") or fields["title"])
    fields.setdefault("published_at", T0)
    return NoticeRecord(**fields)


def store(engine: Engine, config: Config, *records: NoticeRecord, now: datetime = T0) -> list[str]:
    with Ingestor(engine, config, now=now) as ing:
        return [r.outcome for r in (ing.add(x) for x in records) if r is not None]


def notices(engine: Engine) -> list[Notice]:
    with session_scope(engine) as s:
        found = s.scalars(select(Notice).order_by(Notice.id)).all()
        for n in found:
            _ = (n.sightings, n.changes)
        s.expunge_all()
        return list(found)


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize("variant", ["IT-3255/TS/CMS", "it-3255/ts/cms", "IT 3255 / TS / CMS", "IT–3255/TS/CMS",
                                     " IT_3255/TS/CMS "])
def test_reference_variants_fold_together(variant: str) -> None:
    assert fold_reference(variant) == "IT-3255/TS/CMS"


def test_organisation_patterns_give_the_call_key(config: Config) -> None:
    rules = LifecycleRules.from_config(config)
    assert rules.reference_key("CERN", "MS-4721/TE") == rules.reference_key("CERN", "IT 4721/te") == "4721/TE"
    assert rules.reference_key("ESA", "AO10251") == "AO10251"  # no pattern: the folded reference
    assert rules.reference_key("ESA", "1-10775") != rules.reference_key("ESA", "AO10775")
    assert rules.reference_key("ESO", "MS-4721/TE") == "MS-4721/TE"  # CERN's convention is CERN's only


# --------------------------------------------------------------------------- stages


def test_market_survey_and_tender_are_one_call(engine: Engine, config: Config) -> None:
    outcomes = store(engine, config,
                     rec(reference="MS-4721/TE", notice_type="market_survey", title="Turbomolecular pumping groups"),
                     rec(reference="IT-4721/TE", notice_type="invitation_to_tender",
                         title="Supply of turbomolecular pumping groups"),
                     rec(reference="IT-4722/TE", notice_type="invitation_to_tender", title="Supply of ion pumps"))
    assert outcomes == ["new", "new", "new"]
    ms, itt, other = notices(engine)
    assert (ms.notice_type, itt.notice_type) == ("market_survey", "invitation_to_tender")
    assert ms.call_uid == itt.call_uid == ms.uid
    assert other.call_uid == other.uid


def test_previous_notice_links_an_award_to_its_call(engine: Engine, config: Config) -> None:
    store(engine, config,
          rec(source="ted", organisation="F4E", external_id="194769-2026", notice_type="invitation_to_tender",
              title="Provision of mechanical works"),
          rec(source="ted", organisation="F4E", external_id="426734-2026", notice_type="contract_award",
              title="Provision of mechanical works", previous_notice="194769-2026"))
    first, award = notices(engine)
    assert award.call_uid == first.call_uid and award.id != first.id


# --------------------------------------------------------------------------- sources


def test_same_reference_on_ted_and_site_is_stored_once(engine: Engine, config: Config) -> None:
    outcomes = store(engine, config,
                     rec(reference="IT-4721/TE", notice_type="invitation_to_tender", title="Supply of pumping groups"),
                     rec(source="ted", external_id="123456-2026", reference="IT 4721/TE",
                         notice_type="invitation_to_tender", title="Switzerland-Geneva: Pumps",
                         cpv_codes=["42122000"]))
    assert outcomes == ["new", "merged"]
    (notice,) = notices(engine)
    assert {s.source_name for s in notice.sightings} == {"cern-site", "ted"}
    assert notice.title == "Supply of pumping groups"  # the second source completes, it does not overwrite
    assert notice.cpv_codes == ["42122000"]


DEADLINE = datetime(2026, 4, 15, 11, 0, tzinfo=UTC)


def test_fuzzy_merge_without_reference(engine: Engine, config: Config) -> None:
    outcomes = store(engine, config,
                     rec(source="ess-site", organisation="ESS", external_id="https://ess.example/t/17",
                         notice_type="invitation_to_tender", title="Supply of 704 MHz klystrons",
                         deadline_at=DEADLINE),
                     rec(source="ted", organisation="ESS", external_id="200001-2026",
                         notice_type="invitation_to_tender",
                         title="Sweden-Lund: Supply of 704 MHz klystrons for the ESS linac",
                         published_at=T0 + timedelta(days=3), deadline_at=DEADLINE + timedelta(hours=1)))
    assert outcomes == ["new", "merged"]
    (notice,) = notices(engine)
    assert {s.external_id for s in notice.sightings} == {"https://ess.example/t/17", "200001-2026"}
    assert "title similarity" in notice.extra["merged"][0]["by"]


@pytest.mark.parametrize(("second", "why"), [
    ({"title": "Supply of 352 MHz klystrons"}, "another number"),
    ({"title": "Supply of 704 MHz klystrons, lot 2"}, "a lot marker"),
    ({"title": "Supply of 704 MHz klystron modulators and HV cabling"}, "another thing"),
    ({"deadline_at": DEADLINE + timedelta(days=7)}, "another deadline"),
    ({"organisation": "ESO"}, "another organisation"),
    ({"source": "ess-site"}, "the same source with another identifier"),
    ({"reference": "ESS-2026-88"}, "a reference that differs from the first's"),
])
def test_near_misses_are_not_merged(engine: Engine, config: Config, second: dict[str, Any], why: str) -> None:
    base = {"source": "ess-site", "organisation": "ESS", "notice_type": "invitation_to_tender",
            "title": "Supply of 704 MHz klystrons", "deadline_at": DEADLINE}
    first = rec(**base, external_id="https://ess.example/t/17", reference="ESS-2026-17")
    other = rec(**{**base, "source": "ted", "external_id": "200001-2026", **second})
    assert store(engine, config, first, other) == ["new", "new"], why
    assert all(len(n.sightings) == 1 for n in notices(engine))


def test_phase_titles_differ() -> None:
    assert titles_match("Phase A study of a lunar lander", "Phase A study of a lunar lander", 90)[0]
    assert not titles_match("Phase A study of a lunar lander", "Phase B study of a lunar lander", 90)[0]
    assert not titles_match("Supply", "Supply of ion pumps", 90)[0]


# --------------------------------------------------------------------------- changes


def test_recrawl_records_a_moved_deadline(engine: Engine, config: Config) -> None:
    first = rec(reference="IT-4721/TE", notice_type="invitation_to_tender", title="Supply of pumping groups",
                deadline_at=DEADLINE, raw={"title": "Supply of pumping groups", "deadline": "15.04.2026 13:00"})
    later = T0 + timedelta(days=10)
    moved = first.model_copy(update={"deadline_at": DEADLINE + timedelta(days=14),
                                     "raw": {"title": "Supply of pumping groups", "deadline": "29.04.2026 13:00"}})
    assert store(engine, config, first) == ["new"]
    assert store(engine, config, first, now=T0 + timedelta(days=5)) == ["unchanged"]
    assert store(engine, config, moved, now=later) == ["changed"]
    (notice,) = notices(engine)
    (change,) = notice.changes
    assert change.field == "deadline_at"
    assert change.old_value == DEADLINE.isoformat()
    assert change.new_value == (DEADLINE + timedelta(days=14)).isoformat()
    assert change.changed_at == later and change.source_name == "cern-site"
    assert notice.last_changed_at == later
    assert notice.raw["deadline"] == "29.04.2026 13:00"  # the raw record follows, for re-normalisation


def test_change_is_queryable_for_alerts(engine: Engine, config: Config) -> None:
    first = rec(reference="IT-1/EN", notice_type="invitation_to_tender", title="Supply of cables", deadline_at=DEADLINE)
    store(engine, config, first)
    store(engine, config, first.model_copy(update={"title": "Supply of LV cables"}), now=T0 + timedelta(days=1))
    with session_scope(engine) as s:
        fields = s.scalars(select(NoticeChange.field)).all()
    assert fields == ["title"]
