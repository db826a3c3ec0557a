"""The weekly digest run on issue 19's world (``tests/alerts/scale.py``), checked against a plain oracle.

The oracle is written here from the matching rule as the README states it, reading the database rows
directly (no ``alerts.matching``, no ``alerts.facts``): a call matches a company when one of its areas is
the company's, or a CPV code starts with one of its prefixes, or a keyword occurs as whole words in
its title or description; and its organisation is one the company follows (or it follows all); and
the company's country is eligible; and the call is open at the period's end. For sampled companies
the mail on disk must name exactly the calls the oracle expects (the first ``MAX_LISTED`` by deadline,
then the closing-soon ones), and no other call; a company the oracle gives nothing gets no mail.
A second run for the same week writes nothing and sends nothing.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import timedelta
from email import message_from_bytes, policy

from sqlalchemy import select

from alerts.digest import MAX_CLOSING, MAX_LISTED, run_digests
from alerts.periods import period_for
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company, Delivery, Notice, NoticeArea, Organisation
from tests.alerts.scale import populate
from tests.alerts.support import NOW, set_companies

COMPANIES, NOTICES, SAMPLED = 1_000, 5_000, 60


def _oracle(engine, as_of, since, sample: int):
    """For ``sample`` companies drawn at random: company id -> (company, the ids of the calls it matches,
    by deadline), by the README's rule, straight from the rows."""
    with session_scope(engine) as s:
        orgs = dict(s.execute(select(Organisation.id, Organisation.code)).all())
        areas: dict[int, set[str]] = defaultdict(set)
        for nid, area in s.execute(select(NoticeArea.notice_id, NoticeArea.area_id)):
            areas[nid].add(area)
        calls = [(n.id, orgs[n.organisation_id], n.reference, n.deadline_at, n.first_seen_at, set(n.cpv_codes or []),
                  (n.title + " " + (n.description or "")).lower(), n.eligible_countries, areas[n.id])
                 for n in s.scalars(select(Notice).where(Notice.status == "open"))]
        companies = list(s.scalars(select(Company).order_by(Company.id)))
    companies = random.Random(19).sample(companies, sample)
    deadline = {c[0]: c[3] for c in calls}
    reference = {c[0]: c[2] for c in calls}
    out = {}
    for company in companies:
        words = [re.compile(r"(?<!\w)" + re.escape(k.lower()) + r"(?!\w)") for k in company.keywords or []]
        mine = []
        for nid, org, _ref, due, first_seen, cpv, text, eligible, call_areas in calls:
            if (due is not None and due <= as_of) or first_seen < since:
                continue
            if company.organisations and org not in company.organisations:
                continue
            if eligible is not None and company.country not in eligible:
                continue
            if (call_areas & set(company.areas or []) or any(c.startswith(p) for c in cpv for p in company.cpv_prefixes
                                                              or []) or any(w.search(text) for w in words)):
                mine.append(nid)
        out[company.id] = (company, sorted(mine, key=lambda i: (deadline[i], i)))
    return out, deadline, reference


def _mail_text(path):
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    return msg.get_body(preferencelist=("plain",)).get_content()


def test_sampled_matches_and_non_matches_are_right_and_a_rerun_sends_nothing(engine, config, secret, tmp_path):
    outbox = tmp_path / "outbox"
    config.settings.mail.backend, config.settings.mail.outbox = "outbox", str(outbox)
    set_companies(engine, config, [])
    populate(engine, config, companies=COMPANIES, notices=NOTICES, now=NOW)
    report = run_digests(engine, config, now=NOW)
    assert report.failed == 0 and report.sent == report.queued > COMPANIES // 2

    period = period_for("weekly", now=NOW, timezone=config.settings.timezone)
    oracle, deadline, reference = _oracle(engine, period.as_of, period.as_of - period.length, SAMPLED)
    closing_by = period.as_of + timedelta(days=config.settings.digest.closing_soon_days)
    counts = sorted(len(m) for _c, m in oracle.values())
    assert 60 <= counts[len(counts) // 2] <= 115  # the world: a median of about 86 calls per company
    with session_scope(engine) as s:
        rows = {r.company_id: r for r in s.scalars(select(Delivery).where(Delivery.kind == "digest"))}
    codes = "|".join(sorted({re.escape(r.split("-")[0]) for r in reference.values()}))
    named = re.compile(rf"\b(?:{codes})-\d{{5}}\b")

    checked_empty = 0
    for cid in oracle:
        company, matches = oracle[cid]
        if not matches:
            assert cid not in rows, f"{company.key} matches nothing but got a digest"
            checked_empty += 1
            continue
        row = rows[cid]
        listed = matches[:MAX_LISTED]
        closing = [i for i in matches if deadline[i] <= closing_by][:MAX_CLOSING]
        expected = {reference[i] for i in listed + closing}
        in_mail = set(named.findall(_mail_text(outbox / row.location.removeprefix("outbox:"))))
        assert in_mail == expected, (f"{company.key}: missing {sorted(expected - in_mail)[:5]}, "
                                     f"not matching {sorted(in_mail - expected)[:5]}")
        assert row.payload["unlisted"] == len(matches) - len(listed)
    assert checked_empty < SAMPLED // 2

    files = sorted(p.name for p in outbox.rglob("*.eml"))
    again = run_digests(engine, config, now=NOW + timedelta(hours=3))
    assert (again.queued, again.sent, again.rendered) == (0, 0, 0) and again.already == report.queued
    assert sorted(p.name for p in outbox.rglob("*.eml")) == files
