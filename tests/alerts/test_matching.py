"""The matcher: both directions agree with a plain per-pair reading of the rule on random data."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from alerts.facts import CompanyProfile, NoticeFacts, keyword_text
from alerts.matching import CompanyIndex, NoticeIndex, keyword_in, value_in_band

AREAS = ["cryogenics", "vacuum", "optics", "rf", "space"]
ORGS = ["CERN", "ESA", "ESO", "ESS"]
WORDS = ["cryostat", "leak detection", "x-ray mirror", "Kryostat", "mirror", "klystron", "hélium"]
AT = datetime(2025, 6, 4, tzinfo=UTC)


def make_notice(i: int, rng: random.Random) -> NoticeFacts:
    title = " ".join(rng.sample(["supply", "of", "a", "cryostàt", "X-Ray  mirror", "leak", "detection", "helium",
                                 "klystrons", "mirrors"], 4))
    text = keyword_text(title, None)
    return NoticeFacts(
        id=i, uid=f"n{i}", call_uid=f"n{i}", organisation=rng.choice(ORGS), organisation_name=None,
        organisation_timezone="UTC", reference=None, notice_type="invitation_to_tender", title=title, url=None,
        deadline_at=AT + timedelta(days=rng.randint(-3, 30)), published_at=None, first_seen_at=AT,
        last_changed_at=AT, status=rng.choice(["open", "open", "open", "cancelled"]),
        value_amount=Decimal(rng.choice([50_000, 500_000])) if rng.random() < 0.5 else None,
        value_currency=rng.choice(["EUR", "CHF"]), value_note=None,
        cpv_codes=rng.sample(["42122000", "38000000", "31643000", "72000000"], rng.randint(0, 2)),
        eligible_countries=None if rng.random() < 0.3 else frozenset(rng.sample(["NL", "DE", "US"], 2)),
        areas=[(a, 0.5) for a in rng.sample(AREAS, rng.randint(0, 2))], folded_text=text,
        words=frozenset(re.findall(r"\w+", text)),
    )


def make_company(i: int, rng: random.Random) -> CompanyProfile:
    return CompanyProfile(
        id=i, key=f"c{i}", name=f"C{i}", recipients=[f"c{i}@example.nl"], country=rng.choice(["NL", "DE", "US"]),
        language="en", timezone="UTC", areas=rng.sample(AREAS, rng.randint(0, 2)),
        keywords=rng.sample(WORDS, rng.randint(0, 2)), cpv_prefixes=rng.sample(["42", "4212", "38", "316431"],
                                                                                 rng.randint(0, 1)),
        organisations=rng.sample(ORGS, rng.randint(0, 2)) if rng.random() < 0.4 else [],
        value_min=Decimal(100_000) if rng.random() < 0.3 else None, value_max=None, frequency="weekly",
    )


def reference(company: CompanyProfile, notice: NoticeFacts) -> bool:
    """The rule read literally, pair by pair: what the indexes must reproduce."""
    if not notice.is_open(AT):
        return False
    if company.organisations and notice.organisation not in company.organisations:
        return False
    if notice.eligible_countries is not None and company.country not in notice.eligible_countries:
        return False
    if not value_in_band(notice, company.value_min, company.value_max):
        return False
    return (any(a in company.areas for a, _ in notice.areas)
            or any(c.startswith(p) for p in company.cpv_prefixes for c in notice.cpv_codes)
            or any(keyword_in(k, notice) for k in company.keywords))


def test_forward_reverse_and_reference_agree():
    rng = random.Random(7)
    notices = [make_notice(i, rng) for i in range(300)]
    companies = [make_company(i, rng) for i in range(200)]
    forward = NoticeIndex(notices, at=AT)
    backward = CompanyIndex(companies)
    pairs_forward = {(c.id, m.notice.id): m.reasons for c in companies for m in forward.match(c)}
    pairs_backward = {(m.company.id, n.id): m.reasons for n in notices for m in backward.companies_for(n, at=AT)}
    expected = {(c.id, n.id) for c in companies for n in notices if reference(c, n)}
    assert len(expected) > 500, "the random data must exercise the rule"
    assert set(pairs_forward) == expected
    assert set(pairs_backward) == expected
    assert pairs_forward == pairs_backward  # same reasons, same order


def test_keywords_are_whole_words_folded():
    rng = random.Random(1)
    n = make_notice(1, rng)
    n.folded_text = keyword_text("Supply of an X-Ray  Mirror and a Kryostàt; mirrors", None)
    n.words = frozenset(re.findall(r"\w+", n.folded_text))
    assert keyword_in("x-ray mirror", n) and keyword_in("kryostat", n) and keyword_in("MIRRORS", n)
    assert not keyword_in("ray mirror and cryostat", n) and not keyword_in("mirr", n) and not keyword_in("--", n)


def test_reasons_say_why():
    rng = random.Random(3)
    n = make_notice(1, rng)
    n.status, n.deadline_at, n.eligible_countries, n.value_amount = "open", AT + timedelta(days=3), None, None
    n.areas, n.cpv_codes = [("vacuum", 0.9)], ["42122000"]
    c = make_company(1, rng)
    c.areas, c.cpv_prefixes, c.keywords, c.organisations = ["vacuum"], ["4212"], [], []
    (m,) = NoticeIndex([n]).match(c)
    assert [r.as_dict() for r in m.reasons] == [{"kind": "area", "value": "vacuum"},
                                                {"kind": "cpv", "value": "4212", "detail": "42122000"}]
