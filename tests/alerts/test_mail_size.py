"""No mail over 1 MB: 5,000 new calls and 10,000 companies (issue 19's world), through the real runs.

ILO notifications are the mails that grew with the number of companies (16-19 MB when every matching
company was listed): each ILO of the shipped config gets its batch. Digests are bounded by the calls
they list: the broadest companies there can be (every area, every call) get the largest digests,
sent as the daily digest so that only they are rendered, while the 10,000 others are in the database.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select, update

from alerts.digest import MAX_LISTED, run_digests
from alerts.notify import MAX_COMPANIES, MAX_MAIL_BYTES, run_ilo_notifications
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company, Ilo
from tests.alerts.scale import populate
from tests.alerts.support import NOW, set_companies

BROAD = 5


def test_no_mail_over_1_mb_with_5000_new_calls_and_10000_companies(engine, smtp_config, smtp) -> None:
    recorder, _ = smtp
    set_companies(engine, smtp_config, [])  # only the generated companies
    populate(engine, smtp_config, companies=10_000, notices=5_000, now=NOW)
    areas = [a.id for a in smtp_config.taxonomy.areas]
    with session_scope(engine) as s:
        broad = list(s.scalars(select(Company.id).order_by(Company.id).limit(BROAD)))
        s.execute(update(Company).where(Company.id.in_(broad)).values(
            frequency="daily", areas=areas, organisations=[], cpv_prefixes=["3", "4", "5"],
            keywords=["supply", "project"]))
        ilos = s.scalar(select(Ilo.id).limit(1)) is not None
    assert ilos, "the shipped config has ILOs"

    notified = run_ilo_notifications(engine, smtp_config, now=NOW)
    digests = run_digests(engine, smtp_config, now=NOW, frequency="daily")
    assert notified.sent >= 5 and digests.sent == BROAD and digests.failed == 0

    sizes = Counter()
    for r in recorder.received:
        kind = str(r.message["X-Tenderwatch-Kind"])
        assert len(r.raw) <= MAX_MAIL_BYTES, f"{kind} to {r.rcpt_tos[0]}: {len(r.raw):,} bytes"
        sizes[kind] = max(sizes[kind], len(r.raw))
    assert sizes["ilo-notification"] > 0 and sizes["digest"] > 0
    # each call of an ILO mail lists at most MAX_COMPANIES companies and links to the full list on the site
    most = 0
    for r in recorder.received:
        if r.message["X-Tenderwatch-Kind"] != "ilo-notification":
            continue
        text = r.message.get_body(preferencelist=("plain",)).get_content()
        for event in text.split("\n== ")[1:]:
            listed = [line for line in event.splitlines() if line.startswith("  - ")]
            assert len(listed) <= MAX_COMPANIES
            most = max(most, len(listed))
        assert "/companies" in text
    assert most == MAX_COMPANIES
    assert notified.calls >= 5 * 50
    assert digests.listed == BROAD * MAX_LISTED
