"""Open data: the OCDS export validates against the official OCDS 1.1 schema (offline), the CSV
export guards against formulas, Atom parses with feedparser, iCalendar with icalendar, and a moved
deadline updates the calendar event in place (same UID, higher SEQUENCE)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from icalendar import Calendar

from pipeline.classify import Classifier
from pipeline.csv_export import csv_safe
from pipeline.exporters import EXPORTERS
from pipeline.store import Store
from tenderwatch.db.engine import session_scope

from .conftest import NOW, _rec

RELEASE_URI = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
ROOT = Path(__file__).resolve().parents[2]


def _validator(shared_dir: Path):  # type: ignore[no-untyped-def]
    from jsonschema import Draft4Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    ocds = shared_dir / "ocds"
    if not (ocds / "release-package-schema.json").is_file():
        pytest.skip("../shared/ocds not present")
    package = json.loads((ocds / "release-package-schema.json").read_text(encoding="utf-8"))
    release = json.loads((ocds / "release-schema.json").read_text(encoding="utf-8"))
    registry = Registry().with_resource(RELEASE_URI, Resource.from_contents(release, default_specification=DRAFT4))
    return Draft4Validator(package, registry=registry, format_checker=FormatChecker())


def test_ocds_export_validates_against_the_official_schema(engine, config, seeded, shared_dir, tmp_path) -> None:
    validator = _validator(shared_dir)
    out = io.StringIO()
    count = EXPORTERS["ocds"](engine, config, out)
    package = json.loads(out.getvalue())
    errors = sorted(validator.iter_errors(package), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    releases = package["releases"]
    assert count == len(releases) == 5  # four notices as published, and the cryostat's moved deadline
    assert len({r["id"] for r in releases}) == len(releases)
    cryo_published, cryo_moved = [r for r in releases if r["tender"]["id"] == "TEST-CRYO-1"]
    # a market survey is planning: its tender is being planned, not active; its deadline is a milestone
    assert cryo_published["ocid"] == f"ocds-unregistered-{seeded.cryostat_call}"
    assert cryo_published["tag"] == ["planning"] and cryo_published["tender"]["status"] == "planning"
    assert "tenderPeriod" not in cryo_published["tender"]
    # dated by publication, not by when it was stored; as published (the first deadline)
    assert cryo_published["date"] == (NOW - timedelta(days=10)).isoformat()
    (milestone,) = cryo_published["planning"]["milestones"]
    assert milestone["dueDate"].startswith((NOW + timedelta(days=20)).date().isoformat())
    assert cryo_published["tender"]["items"][0]["classification"] == {"scheme": "CPV", "id": "42123000"}
    # the move: its own release, dated when it was seen, saying what changed
    assert cryo_moved["tag"] == ["planningUpdate"] and cryo_moved["date"] == (NOW - timedelta(days=2)).isoformat()
    assert cryo_moved["planning"]["milestones"][0]["dueDate"].startswith((NOW + timedelta(days=27)).date().isoformat())
    (amendment,) = cryo_moved["tender"]["amendments"]
    assert amendment["amendsReleaseID"] == cryo_published["id"] and amendment["releaseID"] == cryo_moved["id"]
    assert amendment["description"].startswith("deadline moved from ")
    award = next(r for r in releases if r["tender"]["id"] == "TEST-AW-1")
    assert award["tag"] == ["award"] and award["tender"]["status"] == "complete"
    suppliers = {p["name"]: p for p in award["parties"] if "supplier" in p["roles"]}
    assert set(suppliers) == {"Delft Coatings B.V.", "Optique SA"}
    assert suppliers["Delft Coatings B.V."]["address"]["countryName"] == "Netherlands"
    assert [a["value"]["amount"] for a in award["awards"]] == [1200000.0, 300000.0]
    itt = next(r for r in releases if r["tender"]["id"] == "TEST-MAG-7")
    assert itt["tag"] == ["tender"] and itt["tender"]["status"] == "active"
    assert itt["date"] == (NOW - timedelta(days=5)).isoformat()


def test_ocds_award_without_winners_and_the_configured_prefix(engine, config, seeded, shared_dir) -> None:
    validator = _validator(shared_dir)
    config.settings.open_data.ocid_prefix = "ocds-abc123"
    with session_scope(engine) as session:
        Store(session, Classifier(config.taxonomy), now=NOW).upsert(_rec(
            external_id="TEST-AW-2", reference="TEST-AW-2", notice_type="contract_award", status="awarded",
            title="Award: antenna bases", published_at=NOW - timedelta(days=1)))
    out = io.StringIO()
    EXPORTERS["ocds"](engine, config, out)
    package = json.loads(out.getvalue())
    validator.validate(package)
    assert all(r["ocid"].startswith("ocds-abc123-") for r in package["releases"])
    bare = next(r for r in package["releases"] if r["tender"]["id"] == "TEST-AW-2")
    assert bare["tag"] == ["tenderUpdate"] and "awards" not in bare  # "award" only with awards


def test_ocds_stages_of_one_call_share_an_ocid(engine, config, seeded, shared_dir) -> None:
    validator = _validator(shared_dir)
    with session_scope(engine) as session:
        store = Store(session, Classifier(config.taxonomy))
        store.upsert(_rec(external_id="TEST-CRYO-1-ITT", reference="TEST-CRYO-1", notice_type="invitation_to_tender",
                          title="Cryostat: invitation to tender", deadline_at=NOW + timedelta(days=60),
                          call_id=seeded.cryostat_call))
    out = io.StringIO()
    EXPORTERS["ocds"](engine, config, out)
    package = json.loads(out.getvalue())
    validator.validate(package)
    tags = sorted(r["tag"][0] for r in package["releases"] if r["ocid"].endswith(seeded.cryostat_call))
    assert tags == ["planning", "planningUpdate", "tender"]


def test_export_command_writes_ocds_and_csv(db_url, config_dir, seeded, tmp_path, shared_dir) -> None:
    validator = _validator(shared_dir)
    target = tmp_path / "ocds.json"
    env = {**os.environ, "TENDERWATCH_CONFIG_DIR": str(config_dir)}
    cmd = [sys.executable, "-m", "tenderwatch", "--config", str(config_dir), "--database", db_url, "export"]
    done = subprocess.run([*cmd, "--format", "ocds", "--output", str(target)], capture_output=True, text=True,
                          check=False, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "exported 5 release(s) as ocds" in done.stderr
    validator.validate(json.loads(target.read_text(encoding="utf-8")))
    csv_out = subprocess.run([*cmd, "--format", "csv", "--open-only"], capture_output=True, text=True, env=env,
                             check=False, cwd=ROOT, timeout=120)
    assert csv_out.returncode == 0, csv_out.stderr
    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    assert len(rows) == 3 and {r["status"] for r in rows} == {"open"}


def test_csv_cells_never_become_formulas() -> None:
    assert csv_safe("=HYPERLINK(\"http://evil\")") == "'=HYPERLINK(\"http://evil\")"
    assert csv_safe("@SUM(1)") == "'@SUM(1)" and csv_safe("-2+3") == "'-2+3"
    assert csv_safe("Cryostat") == "Cryostat" and csv_safe(["NL", "DE"]) == "NL DE" and csv_safe(None) == ""


def test_atom_feeds_parse(client, seeded) -> None:
    feed = feedparser.parse(client.get("/feeds/organisation/CERN.atom").content)
    assert not feed.bozo, feed.get("bozo_exception")
    titles = [e.title for e in feed.entries]
    assert "CERN: Supply of a cryostat for superconducting magnet tests" in titles
    hostile = next(e for e in feed.entries if "Vacuum chamber" in e.title)
    assert "<script>" in hostile.title  # delivered as text, escaped in XML: the reader shows it, never runs it
    entry = next(e for e in feed.entries if "cryostat" in e.title)
    assert entry.link.endswith(f"/calls/{seeded.cryostat_call}")
    assert {t.term for t in entry.tags} >= {"cryogenics"}
    area = feedparser.parse(client.get("/feeds/area/cryogenics.atom").content)
    assert [e.title for e in area.entries] == ["CERN: Supply of a cryostat for superconducting magnet tests"]
    assert client.get("/feeds/area/nonsense.atom").status_code == 404


def _events(body: bytes) -> dict[str, object]:
    cal = Calendar.from_ical(body)
    return {str(ev["uid"]): ev for ev in cal.walk("VEVENT")}


def test_calendar_event_updated_in_place_when_the_deadline_moves(client, seeded, engine, config) -> None:
    before = _events(client.get("/calendar/area/cryogenics.ics").content)
    assert len(before) == 1
    uid, event = next(iter(before.items()))
    assert uid.startswith(seeded.cryostat_call + "-deadline@")
    assert event.decoded("dtstart") == (NOW + timedelta(days=27))
    assert int(event["sequence"]) == 1  # one recorded deadline move since first seen
    with session_scope(engine) as session:
        Store(session, Classifier(config.taxonomy), now=NOW).upsert(_rec(
            external_id="TEST-CRYO-1", reference="TEST-CRYO-1", notice_type="market_survey",
            title="Supply of a cryostat for superconducting magnet tests",
            description="Market survey for a helium cryostat with leak detection; vacuum insulated.",
            url="https://procurement.example.org/ms/TEST-CRYO-1", documents_url="https://procurement.example.org/docs/1",
            published_at=NOW - timedelta(days=10), deadline_at=NOW + timedelta(days=35), cpv_codes=["42123000"],
            eligible_countries=["NL", "DE", "FR"]))
    after = _events(client.get("/calendar/area/cryogenics.ics").content)
    assert list(after) == [uid]
    assert after[uid].decoded("dtstart") == NOW + timedelta(days=35)
    assert int(after[uid]["sequence"]) == 2


def test_company_calendar_needs_a_signed_link(client, seeded) -> None:
    from tenderwatch.web.links import calendar_token

    secret = client.app.state.web.secret
    events = _events(client.get(f"/calendar/company/{calendar_token(secret, 'cryovac-delft')}.ics").content)
    # cryostat (area cryogenics, keyword) and the vacuum chamber (area vacuum); not the SE/DK-only magnets
    assert {uid.split("-deadline@")[0] for uid in events} == {seeded.cryostat_call, seeded.hostile_call}
    assert client.get("/calendar/company/cryovac-delft.forged.ics").status_code == 404
    assert client.get(f"/calendar/company/{calendar_token('another-secret-0123456789', 'cryovac-delft')}.ics"
                      ).status_code == 404
