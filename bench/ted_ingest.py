"""TED ingest throughput beside a bare ``lxml`` parse of the same documents.

Generates N notices (1k, 10k, 100k by default) by varying the official samples in
``../shared/ted`` (or, without them, the repository's own fixtures): each copy gets its own
publication number and notice id, so every one is a new notice. For each size it reports

- bare: ``lxml.etree.fromstring`` of every document (the floor: reading the XML at all);
- ingest: safe parse + eForms/legacy extraction + classification + storing through the one
  ``Ingestor`` (SQLite file, committed batches), i.e. what ``tenderwatch import`` does per notice;

as notices/s, the ratio ingest/bare, and the peak RSS of a fresh process per size (memory must stay
flat as N grows: nothing is kept per notice). Documents are generated on the fly, never all held.

    .venv/bin/python bench/ted_ingest.py [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "ted"
OWN = ROOT / "tests" / "fixtures" / "api.ted.europa.eu" / "notices"
_IDS = re.compile(rb'(NoticePublicationID[^>]*>)\d+-\d{4}(<)|(DOC_ID=")\d+-\d{4}(")|'
                  rb'(schemeName="notice-id">)[0-9a-f-]{36}(<)|(<REFERENCE_NUMBER>)[^<]*(<)|'
                  rb'(schemeName="InternalID">)[^<]*(<)')
"""Identifiers varied per copy: publication number, notice id, and the buyer's reference (copies are
distinct calls, not stages of one call, which the lifecycle rules would link)."""


def templates() -> list[list[bytes]]:
    """Each sample split around its identifiers, so a copy is a join with new ones (cheap)."""
    folder = SHARED if SHARED.is_dir() else OWN
    out = []
    for path in sorted(folder.rglob("*.xml")):
        data = path.read_bytes()
        parts, last = [], 0
        for m in _IDS.finditer(data):
            prefix = next(g for g in (m.group(1), m.group(3), m.group(5), m.group(7), m.group(9)) if g is not None)
            parts.append(data[last:m.start()] + prefix)
            last = m.end() - 1  # keep the closing '<' or '"'
        parts.append(data[last:])
        out.append(parts)
    return out


def documents(n: int) -> Iterator[bytes]:
    tpl = templates()
    for i, parts in zip(range(n), itertools.cycle(tpl), strict=False):
        number = f"{900000 + i}-2099".encode()
        uuid = f"00000000-0000-4000-8000-{i:012d}".encode()
        pieces = [parts[0]]
        reference = f"BENCH-{i}".encode()
        for part in parts[1:]:
            tail = pieces[-1]
            ident = uuid if tail.endswith(b'notice-id">') else reference if tail.endswith(
                (b"<REFERENCE_NUMBER>", b'InternalID">')) else number
            pieces += [ident, part]
        yield b"".join(pieces)


def run_bare(n: int) -> float:
    from lxml import etree

    start = time.perf_counter()
    for data in documents(n):
        etree.fromstring(data)
    return time.perf_counter() - start


def run_ingest(n: int, db: str, bulk_only: bool = False) -> tuple[float, dict[str, int]]:
    from pipeline.ingest import Ingestor
    from pipeline.ted import parse_notice
    from tenderwatch.config import load_config
    from tenderwatch.db.engine import make_engine, session_scope
    from tenderwatch.db.migrate import upgrade
    from tenderwatch.sync import sync_config

    config = load_config(ROOT / "config")
    engine = make_engine(db)
    upgrade(engine)
    with session_scope(engine) as s:
        sync_config(s, config)
    start = time.perf_counter()
    with Ingestor(engine, config, batch_size=500) as ing:
        if bulk_only:  # no buyer is a Big Science organisation: nothing takes the per-record lifecycle path
            ing.buyers.match = lambda name: None  # type: ignore[method-assign]
        batch = []
        for i, data in enumerate(documents(n)):
            batch.append(parse_notice(data, f"doc-{i}"))
            if len(batch) == 500:
                ing.add_many(batch)
                batch = []
        ing.add_many(batch)
    elapsed = time.perf_counter() - start
    return elapsed, dict(ing.stats.counts)


def one(n: int, mode: str, bulk_only: bool = False) -> None:
    """Child process: one size, one mode; prints JSON with the peak RSS of this process alone."""
    if mode == "bare":
        elapsed, counts = run_bare(n), {}
    else:
        with tempfile.TemporaryDirectory() as tmp:
            elapsed, counts = run_ingest(n, f"sqlite:///{tmp}/bench.db", bulk_only)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"n": n, "mode": mode, "seconds": elapsed, "peak_mb": peak_mb, "counts": counts}))


def child(n: int, mode: str, bulk_only: bool = False) -> dict:
    flags = ["--bulk-only"] if bulk_only else []
    out = subprocess.run([sys.executable, __file__, "--one", str(n), "--mode", mode, *flags], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--one", type=int)
    parser.add_argument("--mode", default="ingest")
    parser.add_argument("--bulk-only", action="store_true",
                        help="treat every buyer as unknown: parse + classify + bulk store, no per-record lifecycle")
    args = parser.parse_args()
    if args.one:
        one(args.one, args.mode, args.bulk_only)
        return
    source = SHARED if SHARED.is_dir() else OWN
    print(f"samples: {len(templates())} notices from {source}" + (" (bulk only)" if args.bulk_only else ""))
    print(f"{'notices':>8} {'bare/s':>9} {'ingest/s':>9} {'ratio':>6} {'bare MB':>8} {'ingest MB':>9}  outcome")
    for n in (int(x) for x in args.sizes.split(",")):
        bare = child(n, "bare")
        ing = child(n, "ingest", args.bulk_only)
        ratio = ing["seconds"] / bare["seconds"]
        print(f"{n:>8} {n / bare['seconds']:>9.0f} {n / ing['seconds']:>9.0f} {ratio:>5.1f}x "
              f"{bare['peak_mb']:>8.0f} {ing['peak_mb']:>9.0f}  {ing['counts']}", flush=True)
    print("target: ingest within 3x the bare parse; peak memory flat in N; 700k notices in < 10 min")


if __name__ == "__main__":
    main()
