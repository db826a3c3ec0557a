"""Companies and open calls at scale, written straight into a Tenderwatch database (bench and size tests).

The shape follows issue 19's profile: companies with 2-4 technology areas, keywords, CPV prefixes and
(for most) an organisation filter; open calls of every configured organisation with 0-2 areas and
their evidence, 1-3 CPV codes, member-state eligibility for some, values (CERN cost-range codes
among them), deadlines one to ninety days out. ``ScaleShape.calibrated()`` gives a median of about 86
matching calls per company against 5,000 calls, as in the issue (``python -m tests.alerts.scale``
prints the distribution).

Rows go in through ``tenderwatch.db.bulk.insert_rows`` (the import path's bulk insert), after the
schema is upgraded and config synced as any command does: 5,000 calls and 10,000 companies take a
few seconds. Everything is drawn from one seeded ``random.Random``: the same arguments give the same
database.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select

from tenderwatch.config import Config
from tenderwatch.db.bulk import insert_rows
from tenderwatch.db.models import Company, Notice, NoticeArea, Organisation

TERMS = {
    "accelerator": ["beam dump", "collimator", "kicker magnet", "beam instrumentation"],
    "magnets": ["superconducting coil", "quadrupole magnet", "magnet yoke", "niobium-tin strand"],
    "cryogenics": ["cryostat", "helium liquefier", "cold box", "transfer line"],
    "vacuum": ["vacuum chamber", "leak detection", "ion pump", "bellows"],
    "rf": ["klystron", "solid-state amplifier", "waveguide", "rf cavity"],
    "power": ["power converter", "transformer", "switchgear", "ups system"],
    "electronics": ["fpga board", "readout electronics", "crate controller", "timing system"],
    "detectors": ["scintillator", "silicon sensor", "photomultiplier", "calorimeter module"],
    "optics": ["x-ray mirror", "deformable mirror", "laser system", "monochromator"],
    "mechanical": ["machined supports", "precision machining", "welding", "girder"],
    "materials": ["copper plates", "stainless steel", "titanium", "ceramic insulators"],
    "ict": ["storage servers", "network switches", "software licences", "data centre cooling"],
    "civil": ["civil engineering works", "building", "roads", "tunnel lining"],
    "nuclear": ["radiation shielding", "remote handling", "hot cell", "dosimetry"],
    "space": ["satellite payload", "star tracker", "thermal vacuum test", "antenna"],
    "telescopes": ["telescope mount", "dome", "primary mirror segment", "adaptive optics"],
    "services": ["cleaning services", "maintenance services", "consultancy", "catering"],
}
FILLER = [f"item{i:03d}" for i in range(600)]
"""Words of descriptions no company asks for (real descriptions are mostly such words)."""
COUNTRIES = ["NL"] * 6 + ["BE", "DE", "FR", "US"]
CERN_CODES = ["Cost range A: < 750 kCHF", "Cost range B: 750 kCHF - 5 MCHF", "Cost range C: 5 - 10 MCHF",
              "Cost range D: > 10 MCHF"]
TYPES = ["invitation_to_tender", "market_survey", "price_enquiry", "prior_information"]


@dataclass(frozen=True)
class ScaleShape:
    """How the generated world looks (probabilities per call or company)."""

    notice_areas: tuple[float, float, float] = (0.75, 0.22, 0.03)
    """Share of calls with 0, 1 and 2 technology areas."""
    restricted_share: float = 0.4
    """Calls open only to member states (a list of countries); the rest are open to all."""
    filtered_share: float = 0.85
    """Companies that follow only some organisations (2-4 of them)."""
    cpv_share: float = 0.5
    """Companies with CPV prefixes (1-2 of them)."""
    changed_share: float = 0.0
    """Calls first seen weeks ago whose deadline changed this week (the digest's 'changed' section)."""

    @classmethod
    def calibrated(cls) -> ScaleShape:
        return cls()


def _uid(i: int) -> str:
    return "tw-" + hashlib.sha256(f"scale-{i}".encode()).hexdigest()[:16]


def prepare(engine: Engine, config: Config) -> None:
    """Upgrade the schema and sync organisations, sources and areas from config (no configured companies)."""
    from tenderwatch.db.engine import session_scope
    from tenderwatch.db.migrate import upgrade
    from tenderwatch.sync import sync_config

    upgrade(engine)
    with session_scope(engine) as session:
        sync_config(session, config, companies=False)


def populate(engine: Engine, config: Config, *, companies: int, notices: int, now: datetime, seed: int = 19,
             shape: ScaleShape | None = None, frequency: str = "weekly") -> None:
    """Write ``notices`` open calls (first seen within the week before ``now``) and ``companies`` companies."""
    shape = shape or ScaleShape.calibrated()
    rng = random.Random(seed)
    areas = [a.id for a in config.taxonomy.areas]
    with engine.begin() as conn:
        orgs = {code: (oid, members) for oid, code, members in conn.execute(
            select(Organisation.id, Organisation.code, Organisation.member_states))}
        codes = sorted(orgs)
        notice_rows, area_rows = [], []
        first_id = (conn.execute(select(Notice.id).order_by(Notice.id.desc()).limit(1)).scalar() or 0) + 1
        for i in range(notices):
            nid = first_id + i
            code = rng.choice(codes)
            org_id, members = orgs[code]
            n_areas = rng.choices((0, 1, 2), weights=shape.notice_areas)[0]
            chosen = rng.sample(areas, n_areas)
            term = rng.choice(TERMS[chosen[0]] if chosen else rng.choice(list(TERMS.values())))
            title = f"Supply of {term} for the {rng.choice(FILLER)} project ({code} {i})"
            description = " ".join([*rng.choices(FILLER, k=30), term])
            cpv = [f"{rng.randint(30, 51)}{rng.randint(100000, 999999)}" for _ in range(rng.randint(1, 3))]
            first_seen = now - timedelta(days=rng.uniform(0.1, 6.5))
            note = amount = currency = None
            if code == "CERN" and rng.random() < 0.5:
                note = rng.choice(CERN_CODES)
            elif rng.random() < 0.4:
                amount, currency = Decimal(rng.randint(5, 5000) * 1000), "EUR"
            eligible = sorted(members) if members and rng.random() < shape.restricted_share else None
            deadline = now + timedelta(days=rng.randint(1, 90), hours=rng.randint(0, 23))
            uid = _uid(nid)
            notice_rows.append({
                "id": nid, "uid": uid, "call_uid": uid, "organisation_id": org_id, "source_id": None,
                "reference": f"{code}-{i:05d}", "reference_key": f"{code}-{i:05d}".lower(),
                "notice_type": rng.choice(TYPES), "title": title, "description": description,
                "url": f"https://procurement.example.org/{code.lower()}/{i}", "documents_url": None,
                "published_at": first_seen - timedelta(hours=6), "deadline_at": deadline, "cpv_codes": cpv,
                "value_amount": amount, "value_currency": currency, "value_note": note, "buyer_name": None,
                "buyer_country": None, "eligible_countries": eligible, "eligibility_note": None, "languages": ["en"],
                "status": "open", "first_seen_at": first_seen, "last_seen_at": first_seen,
                "last_changed_at": first_seen, "content_hash": hashlib.sha256(title.encode()).hexdigest(),
                "raw": {}, "warnings": [], "extra": {},
            })
            for rank, area in enumerate(chosen):
                area_rows.append({"notice_id": nid, "area_id": area, "score": 0.9 - 0.2 * rank,
                                  "evidence": [f"title:{term}"] if rank == 0 else [f"cpv:{cpv[0]}"]})
        insert_rows(conn, Notice.__table__, _with_known_columns(notice_rows, Notice))
        insert_rows(conn, NoticeArea.__table__, area_rows)

        company_rows = []
        for i in range(companies):
            mine = rng.sample(areas, rng.randint(2, 4))
            keywords = [rng.choice(TERMS[rng.choice(mine)]) for _ in range(rng.randint(1, 3))]
            company_rows.append({
                "key": f"scale-{seed}-{i:06d}", "name": f"Scale Company {i:06d} B.V.",
                "recipients": [f"bids{i}@company{i}.example.nl"], "country": rng.choice(COUNTRIES),
                "language": rng.choice(("en", "nl")), "timezone": "Europe/Amsterdam", "areas": mine,
                "keywords": sorted(set(keywords)),
                "cpv_prefixes": [str(rng.randint(30, 51)) + str(rng.randint(0, 9)) for _ in range(rng.randint(1, 2))]
                if rng.random() < shape.cpv_share else [],
                "organisations": sorted(rng.sample(codes, rng.randint(2, 4))) if rng.random() < shape.filtered_share
                else [],
                "value_min": None, "value_max": None, "frequency": frequency, "active": True, "unsubscribed_at": None,
                "profile_edited_at": None, "created_at": now, "updated_at": now,
            })
        insert_rows(conn, Company.__table__, _with_known_columns(company_rows, Company))


def _with_known_columns(rows: list[dict], model: type) -> list[dict]:
    """The rows restricted to the model's columns (a column another branch adds gets its default)."""
    columns = set(model.__table__.c.keys())  # type: ignore[attr-defined]
    missing = {c.key: c.default.arg for c in model.__table__.c  # type: ignore[attr-defined]
               if c.key not in rows[0] and c.default is not None and not callable(c.default.arg)} if rows else {}
    return [{**{k: v for k, v in row.items() if k in columns}, **missing} for row in rows]


def main() -> None:
    """Print how many calls each company matches in a generated world (the shape's calibration)."""
    import statistics
    import tempfile
    from datetime import UTC

    from alerts.facts import load_companies, load_open_notices
    from alerts.matching import NoticeIndex
    from tenderwatch.config import load_config
    from tenderwatch.db.engine import make_engine, session_scope

    now = datetime(2025, 6, 4, 8, tzinfo=UTC)
    config = load_config("config")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/scale.db")
        prepare(engine, config)
        populate(engine, config, companies=2000, notices=5000, now=now)
        with session_scope(engine) as s:
            index = NoticeIndex(load_open_notices(s, now))
            counts = [len(index.match(c)) for c in load_companies(s)]
    print(f"matching calls per company: median {statistics.median(counts)}, mean {statistics.mean(counts):.0f}, "
          f"min {min(counts)}, max {max(counts)}, over 50: {sum(c > 50 for c in counts) / len(counts):.0%}")


if __name__ == "__main__":
    main()
