"""Digest matching + rendering throughput: 1k, 10k and 50k companies against 5,000 open notices.

Each size runs in a fresh child process (so peak memory is that size's own) and does what a
digest run does per company, minus the database and the network: index the notices once, match
the company, render text + HTML + .ics, and build and serialise one RFC 5322 message per
recipient. The bare baseline renders the same digest template with a fixed, pre-built context
for every company (no matching, no per-company views, no calendar): the floor of "one mail per
company". Target (issue 7): 10,000 companies in under 60 s on one core, time linear in companies.
The load column is the 1-minute load average after the size ran (the machine may be shared).
After the timing, the first mails of each size are serialised again through ``email.generator``
and must be identical to what ``alerts.message.serialise`` wrote.

    .venv/bin/python bench/match_render.py [--sizes 1000,10000,50000] [--notices 5000] [--profile FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ["cryostat", "helium", "vacuum chamber", "leak detection", "x-ray mirror", "klystron", "magnet", "coil",
         "fpga", "detector", "laser", "telescope", "antenna", "welding", "machining", "niobium", "copper",
         "power converter", "satellite", "software", "cooling water", "shielding", "waveguide", "scintillator"]
FILLER = [f"term{i}" for i in range(400)]
"""Description words no company asks for: real descriptions are mostly words like these."""
ORGS = ["CERN", "ESA", "ESO", "ITER", "F4E", "ESS", "XFEL", "EMBL", "ESRF", "ILL", "SKAO", "FAIR"]
COUNTRIES = ["NL", "DE", "FR", "BE", "IT", "ES", "US", "CH"]
NOW = datetime(2025, 6, 4, 8, tzinfo=UTC)


def make_data(n_notices: int, n_companies: int, areas: list[str]):  # type: ignore[no-untyped-def]
    from alerts.facts import CompanyProfile, NoticeFacts, keyword_text

    rng = random.Random(2025)
    notices = []
    for i in range(n_notices):
        title = f"Supply of {rng.choice(WORDS)} for the {rng.choice(FILLER)} upgrade"
        text = keyword_text(title, " ".join(rng.choices(FILLER + WORDS, k=12)))
        notices.append(NoticeFacts(
            id=i, uid=f"tw-{i:08d}", call_uid=f"tw-{i:08d}", organisation=rng.choice(ORGS),
            organisation_name="Organisation", organisation_timezone="Europe/Paris", reference=f"REF-{i}",
            notice_type="invitation_to_tender", title=title, url=f"https://example.org/call/{i}",
            deadline_at=NOW + timedelta(days=rng.randint(1, 90), hours=rng.randint(0, 23)), published_at=None,
            first_seen_at=NOW - timedelta(days=rng.randint(0, 55)), last_changed_at=NOW, status="open",
            value_amount=Decimal(rng.randint(1, 500) * 10_000) if rng.random() < 0.4 else None,
            value_currency="EUR", value_note=None,
            cpv_codes=[f"{rng.randint(30, 50)}{rng.randint(100000, 999999)}"],
            eligible_countries=None if rng.random() < 0.3 else frozenset(rng.sample(COUNTRIES, 5)),
            areas=[(a, 0.8) for a in rng.sample(areas, rng.randint(1, 2))], folded_text=text,
            words=frozenset(re.findall(r"\w+", text)),
        ))
    companies = [CompanyProfile(
        id=i, key=f"company-{i}", name=f"Company {i} B.V.", recipients=[f"c{i}@example.nl"],
        country=rng.choice(COUNTRIES), language=rng.choice(["en", "nl"]), timezone="Europe/Amsterdam",
        areas=rng.sample(areas, rng.randint(1, 3)), keywords=rng.sample(WORDS, rng.randint(0, 2)),
        cpv_prefixes=[str(rng.randint(30, 50))] if rng.random() < 0.3 else [],
        organisations=rng.sample(ORGS, 3) if rng.random() < 0.2 else [], value_min=None, value_max=None,
        frequency="weekly") for i in range(n_companies)]
    return notices, companies


CHECKED = 50
"""Mails (the first ones) re-serialised through email.generator after the timing, to hold the fast path to it."""


def child(n_companies: int, n_notices: int, mode: str, profile: str | None = None) -> dict[str, float]:
    os.environ.setdefault("TENDERWATCH_SECRET_KEY", "bench-secret-not-for-production-use")
    from alerts.digest import DigestRenderer, Relevance
    from alerts.i18n import Texts
    from alerts.matching import NoticeIndex
    from alerts.message import parse, serialise, serialise_with_generator
    from alerts.periods import period_for
    from alerts.render import render_pair
    from tenderwatch.config import load_config

    config = load_config(ROOT / "config")
    notices, companies = make_data(n_notices, n_companies, [a.id for a in config.taxonomy.areas])
    period = period_for("weekly", now=NOW, timezone="Europe/Amsterdam")
    renderer = DigestRenderer(config, period)
    kept: list[tuple[object, str]] = []
    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    mails = calls = 0
    if mode == "baseline":
        ctx = {"t": Texts("en"), "subject": "s", "company": "c", "period": "p", "intro": "i", "sections": [],
               "closing_text": "", "closing_html": "", "closing_days": 14, "more": 0, "preferences_url": "https://x/p",
               "unsubscribe_url": "https://x/u", "expires": "e", "has_calendar": False,
               "calendar_url": None}
        for _c in companies:
            render_pair("digest", ctx)
            mails += 1
    else:
        # What run_digests does per company, minus the database and the network.
        index = NoticeIndex(notices, at=period.as_of)
        relevance = Relevance(notices, period, 14)
        since = period.as_of - period.length
        new, _changed = relevance.since(since)
        window = relevance.window(since)
        for company in companies:
            matches = index.match(company, within=window)
            main = [(m, "new") for m in matches if m.notice.id in new]
            closing = [m for m in matches if m.notice.id in relevance.closing]
            if not main and not closing:
                continue
            rendered = renderer.render(company, main, closing, since)
            for _rcpt, msg in renderer.messages(company, rendered, company.recipients):
                wire = serialise(msg)
                if len(kept) < CHECKED:
                    kept.append((msg, wire))
                mails += 1
            calls += len(main)
    seconds = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for msg, wire in kept:  # outside the timing
        if wire != serialise_with_generator(msg):
            raise SystemExit("serialise() differs from email.generator's output")
        back = parse(wire)
        if back.get_body(preferencelist=("plain",)) is None or back.get_body(preferencelist=("html",)) is None:
            raise SystemExit("a digest without its text or HTML part")
    return {"companies": n_companies, "seconds": seconds, "mails": mails, "calls": calls, "peak_mb": peak_mb,
            "checked": len(kept)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--notices", type=int, default=5000)
    parser.add_argument("--child", nargs=2, metavar=("COMPANIES", "MODE"))
    parser.add_argument("--profile", metavar="FILE", help="cProfile the timed part of the full run of each size "
                        "into FILE.<size> (pstats format)")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.notices, args.child[1], args.profile)))
        return
    print(f"digest matching + rendering, {args.notices} open notices, one core, each size in a fresh process; "
          f"load average at start {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'':>10} {'':>7} {'':>8} | {'full run (match + render + build + serialise)':^46} | "
          f"{'bare baseline (template only)':^31} |")
    print(f"{'companies':>10} {'mails':>7} {'calls':>8} | {'seconds':>8} {'mails/s':>8} {'ms/company':>10} "
          f"{'peak MB':>8} {'ratio':>6} | {'seconds':>8} {'ms/company':>10} {'peak MB':>8} {'load':>5}")
    per_company = []
    for size in (int(s) for s in args.sizes.split(",")):
        results = {}
        for mode in ("baseline", "full"):
            cmd = [sys.executable, __file__, "--notices", str(args.notices), "--child", str(size), mode]
            if args.profile and mode == "full":
                cmd += ["--profile", f"{args.profile}.{size}"]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        full, base = results["full"], results["baseline"]
        per_company.append(full["seconds"] / size)
        print(f"{size:>10} {full['mails']:>7} {full['calls']:>8} | {full['seconds']:>8.2f} "
              f"{full['mails'] / full['seconds']:>8.0f} {full['seconds'] / size * 1000:>10.2f} "
              f"{full['peak_mb']:>8.0f} {full['seconds'] / base['seconds']:>5.1f}x | {base['seconds']:>8.2f} "
              f"{base['seconds'] / size * 1000:>10.2f} {base['peak_mb']:>8.0f} {os.getloadavg()[0]:>5.2f}")
    if len(per_company) > 1:
        print(f"time per company: {', '.join(f'{p * 1000:.2f} ms' for p in per_company)} "
              "(constant = linear in companies)")
    print(f"the first {CHECKED} mails of each size re-serialised through email.generator after the timing: identical")


if __name__ == "__main__":
    main()
