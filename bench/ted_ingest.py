"""TED ingest throughput beside a bare ``lxml`` parse of the same documents.

Generates N notices (1k, 10k, 100k by default) by varying the official samples in
``../shared/ted`` (or, without them, the repository's own fixtures): each copy gets its own
publication number and notice id, so every one is a new notice. For each size it reports

- bare: ``lxml.etree.fromstring`` of every document (the floor: reading the XML at all);
- ingest: safe parse + eForms/legacy extraction + classification + storing through the one
  ``Ingestor`` (SQLite file, committed batches), i.e. what ``tenderwatch import`` does per notice;

as notices/s, the ratio ingest/bare (wall clock, and CPU time: steadier on a shared machine), and
the peak RSS of a fresh process per size (memory must stay
flat as N grows: nothing is kept per notice). Documents are generated on the fly, never all held.

``--whole-process`` times what a user runs instead, both as processes from start to exit (start-up,
config, classifier and file reading included): ``tenderwatch import FOLDER`` into a new SQLite
database (``--postgres URL``: a new schema of that PostgreSQL database) against a bare ``lxml`` parse of
the same files (a Python process walking the folder, reading each file and calling ``etree.fromstring``,
nothing else), for generated eForms notices written one file each (6k and 20k by default), each pair run
twice (``--repeat``). CPU time (user + system) is the steadier figure on a shared machine.
``--against COMMIT`` adds that commit's import to each turn (its code and config extracted,
``bench/commit_copy.py``) and prints this checkout's import CPU over the commit's, pair by pair, and their
median: the two sides see the same hour of a shared machine, which single runs hours apart do not. On a
busy machine pairs still scatter (2026-12-06, load 0.6-1.0: 0.85-1.07 for a change worth about 0.99), so
take many pairs, and take a small change's figure from a quiet hour.

``--whole-process --folder DIR`` times the same on a folder of real TED XML files instead of generated
ones. Generated copies of 49 samples repeat their vocabulary, so the classifier is warm after the first
few; real notices bring new words all the time, in two dozen languages (a word seen first costs a
dictionary lookup). On the 3,476 real notices of ``OP-TED/ted-rdf-mapping``'s test data (commit
2004fef; see ``README.md``) the import was 8x the bare parse on 2026-12-06, where the generated eForms
case is 3.2-3.5x.

Each timed import gets a cache folder with the user's compiled rule tables and no word entries, so it
meets its words for the first time; ``--kept-words`` lets it keep and reuse them in the user's cache
folder instead, as a machine's daily imports do (``Classifier.keep_words``).

``--stages`` says where an import's CPU goes (parse, extraction, store, classification), each stage timed
on its own beside the bare parse of the same document.

``--digest`` prints, per case and size, a digest of the records the store is given and of the rows an
import stores (``tests/ted/records_digest.py``): run it before and after a change of ingest to show
that the records are unchanged byte for byte on generated copies too.

    .venv/bin/python bench/ted_ingest.py [--sizes 1000,10000,100000] [--cases year,hard,typical]
    .venv/bin/python bench/ted_ingest.py --whole-process [--sizes 6000,20000] [--cases eforms] [--postgres URL]
    .venv/bin/python bench/ted_ingest.py --whole-process --sizes 20000 --repeat 4 --against 0ec77aa
    .venv/bin/python bench/ted_ingest.py --whole-process --folder DIR_OF_REAL_TED_XML [--repeat 3]
    .venv/bin/python bench/ted_ingest.py --digest --sizes 3000 --cases year,hard,eforms
    .venv/bin/python bench/ted_ingest.py --stages --sizes 3000 --cases eforms
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tenderwatch.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "ted"
OWN = ROOT / "tests" / "fixtures" / "api.ted.europa.eu" / "notices"
_SLOTS = re.compile(rb'(?P<number>(?:NoticePublicationID[^>]*>)\d+-\d{4}(?=<)|DOC_ID="\d+-\d{4}(?="))|'
                    rb'(?P<uuid>schemeName="notice-id">[0-9a-f-]{36}(?=<))|'
                    rb'(?P<reference>(?:<REFERENCE_NUMBER>|schemeName="InternalID">)[^<]*(?=<))|'
                    rb'(?P<iso>(?<![\d-])20\d\d-[01]\d-[0-3]\d(?!\d))|(?P<compact>>20\d\d[01]\d[0-3]\d(?=<))|'
                    rb'(?P<title><cbc:Name languageID="[A-Z]{3}">[^<]*(?=</cbc:Name>)|'
                    rb'<(?:TITLE|TI_TEXT)>\s*<P>[^<]*(?=</P>))')
"""What a copy varies: its identifiers (publication number, notice id, the buyer's reference: copies
are distinct calls, not stages of one call, which the lifecycle rules would link) and, in a realistic
year, every date (shifted together, so deadlines stay after publication) and every title. In eForms the
title's pattern (``cbc:Name`` with a language) also matches every organisation's name: each copy names new
buyers and winners, which is harder than a real import, where the same buyers come again and again (each
new buyer costs the organisation matcher and the classifier's buyer overlay about 9 us together)."""
_PREFIX = {"number": re.compile(rb'^(?:NoticePublicationID[^>]*>|DOC_ID=")'), "uuid": re.compile(rb'^[^>]*>'),
           "reference": re.compile(rb'^(?:<REFERENCE_NUMBER>|schemeName="InternalID">)')}


CASES = ("year", "hard", "typical", "eforms")


def templates(eforms_only: bool = False) -> list[tuple[list[bytes], list[tuple[str, bytes]]]]:
    """Each sample split around what a copy varies: (parts, slots), a copy is parts joined by slot values."""
    folder = SHARED if SHARED.is_dir() else OWN
    out = []
    for path in sorted(folder.rglob("*.xml")):
        data = path.read_bytes()
        if eforms_only and b"TED_EXPORT" in data[:4096]:
            continue
        parts, slots, last = [], [], 0
        for m in _SLOTS.finditer(data):
            kind, text = m.lastgroup or "", m.group()
            keep = text if kind == "title" else _PREFIX[kind].match(text).group() if kind in _PREFIX else b""
            parts.append(data[last:m.start()] + keep)
            slots.append((kind, text[len(keep):]))  # the original value (a date, a title's text)
            last = m.end()
        parts.append(data[last:])
        out.append((parts, slots))
    return out


def _shift(kind: str, text: bytes, days: int) -> bytes:
    if kind == "iso":
        return (date.fromisoformat(text.decode()) + timedelta(days=days)).isoformat().encode()
    return b">" + (date(int(text[1:5]), int(text[5:7]), int(text[7:9])) + timedelta(days=days)).strftime(
        "%Y%m%d").encode()


def _organisation_names() -> list[bytes]:
    """Every name by which a buyer is recognised as a configured organisation (longest first)."""
    from tenderwatch.config import load_config

    names = {name.encode() for org in load_config(ROOT / "config").organisations
             for name in (org.name, *org.official_names) if len(name) > 6}
    return sorted(names, key=len, reverse=True)


def documents(n: int, case: str = "year") -> Iterator[bytes]:
    """N copies of the samples, cycled. ``hard``: every copy of a sample keeps its dates and title
    (one organisation's copies all fall in one date window with one title: the worst case of the
    cross-source matching). ``year``: copy k of a sample is shifted by k days (mod 365) and its
    titles get a distinct suffix, like a year of notices; about 8% of the samples' buyers are
    configured organisations, so 8% of the copies go through the same-call lookups, against an
    organisation's notices that grow with N (a hundred times the real share). ``typical``: ``year``
    where only one copy in a hundred keeps such a buyer (the others name "Bench Buyer"): 0.08% of
    the notices, about the share Big Science buyers have in a real year of TED (a few hundred of
    ~700,000 notices). ``eforms``: ``year`` of the eForms samples alone (TED's format since 2023)."""
    if case not in CASES:
        raise SystemExit(f"unknown case {case!r} (known: {', '.join(CASES)})")
    tpl = templates(eforms_only=case == "eforms")
    names = _organisation_names() if case == "typical" else []
    present = [[name for name in names if any(name in part for part in parts)] for parts, _ in tpl]
    for i, (parts, slots) in zip(range(n), itertools.cycle(tpl), strict=False):
        cycle = i // len(tpl)
        values = {"number": f"{900000 + i}-2099".encode(), "uuid": f"00000000-0000-4000-8000-{i:012d}".encode(),
                  "reference": f"BENCH-{i}".encode()}
        pieces = [parts[0]]
        for (kind, original), part in zip(slots, parts[1:], strict=True):
            if kind in values:
                value = values[kind]
            elif case == "hard":
                value = b"" if kind == "title" else original
            elif kind == "title":
                value = f" ({_WORDS[cycle % len(_WORDS)]} {cycle})".encode()
            else:
                try:
                    value = _shift(kind, original, cycle % 365)
                except ValueError:
                    value = original
            pieces += [value, part]
        data = b"".join(pieces)
        if i % 100:
            for name in present[i % len(tpl)]:
                data = data.replace(name, b"Bench Buyer")
        yield data


_WORDS = ["north site", "south site", "framework", "renewal", "extension", "upgrade", "spares", "campaign"]


def timed(n: int, case: str, gen: list[float]) -> Iterator[bytes]:
    """Documents, adding the time spent generating them to ``gen[0]`` (wall) and ``gen[1]`` (CPU): it is left
    out of both timings."""
    it = documents(n, case)
    while True:
        t, c = time.perf_counter(), time.process_time()
        data = next(it, None)
        gen[0] += time.perf_counter() - t
        gen[1] += time.process_time() - c
        if data is None:
            return
        yield data


def run_bare(n: int, case: str) -> tuple[float, float]:
    """(wall, CPU) seconds of a bare parse of the N documents."""
    from lxml import etree

    gen = [0.0, 0.0]
    start, cpu = time.perf_counter(), time.process_time()
    for data in timed(n, case, gen):
        etree.fromstring(data)
    return time.perf_counter() - start - gen[0], time.process_time() - cpu - gen[1]


def prepared_database(db: str) -> tuple[Engine, Config]:
    """A migrated database with the configuration mirrored in and one site notice of every organisation."""
    from pipeline.ingest import Ingestor
    from pipeline.records import NoticeRecord
    from tenderwatch.config import load_config
    from tenderwatch.db.engine import make_engine, session_scope
    from tenderwatch.db.migrate import upgrade
    from tenderwatch.sync import sync_config

    config = load_config(ROOT / "config")
    engine = make_engine(db)
    upgrade(engine)
    with session_scope(engine) as s:
        sync_config(s, config)
    with Ingestor(engine, config) as ing:  # every organisation also publishes on its own site (not timed):
        for org in config.organisations:  # so TED notices of an organisation do go through fuzzy matching
            ing.add(NoticeRecord(source="bench-site", external_id=f"site-{org.code}", organisation=org.code,
                                 notice_type="invitation_to_tender", title=f"Site call of {org.code}",
                                 published_at=datetime(2021, 3, 1, tzinfo=UTC)))
    return engine, config


def run_ingest(n: int, db: str, case: str, bulk_only: bool = False) -> tuple[float, float, dict[str, int]]:
    from pipeline.ingest import Ingestor, fewer_collections
    from pipeline.ted import parse_notice

    engine, config = prepared_database(db)
    gen = [0.0, 0.0]
    start, cpu = time.perf_counter(), time.process_time()
    with fewer_collections(), Ingestor(engine, config, batch_size=500) as ing:  # as tenderwatch import does
        if bulk_only:  # no buyer is a Big Science organisation: no lifecycle lookups at all
            ing.buyers.match = lambda name: None  # type: ignore[method-assign]
        batch = []
        for i, data in enumerate(timed(n, case, gen)):
            batch.append(parse_notice(data, f"doc-{i}"))
            if len(batch) == 500:
                ing.add_many(batch)
                batch = []
        ing.add_many(batch)
    return time.perf_counter() - start - gen[0], time.process_time() - cpu - gen[1], dict(ing.stats.counts)


def run_stages(n: int, case: str) -> None:
    """``--stages``: where an import's CPU goes, each stage timed on its own in one process beside a bare parse
    of the same documents (held in memory first, so nothing else is timed; each document's bare parse runs just
    before its import, so both see the same machine): the safe parse, the extraction
    (eForms or legacy walk and the record built, the tree freed), storing (buyer match, cleaning,
    classification, rows, inserts, commits: ``Ingestor.add_many`` in batches of 500, as ``tenderwatch
    import``), and, of storing, classification alone (the classifier's calls, timed where the store makes
    them)."""
    from lxml import etree

    from pipeline.ingest import Ingestor, fewer_collections
    from pipeline.ted.parse import parse_tree
    from pipeline.ted.safexml import parse_bytes

    docs = list(documents(n, case))
    cpu = time.process_time
    bare = 0.0
    spent = {"parse": 0.0, "extraction": 0.0, "store": 0.0, "classification": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        engine, config = prepared_database(f"sqlite:///{tmp}/bench.db")
        with fewer_collections(), Ingestor(engine, config, batch_size=500) as ing:
            classify = ing.classifier.classify

            def timed_classify(*args: object, **kwargs: object) -> object:
                start = cpu()
                try:
                    return classify(*args, **kwargs)  # type: ignore[arg-type]
                finally:
                    spent["classification"] += cpu() - start

            ing.classifier.classify = timed_classify  # type: ignore[method-assign]
            batch = []
            for i, data in enumerate(docs):
                where = f"doc-{i}"
                start = cpu()
                etree.fromstring(data)
                bare_end = cpu()
                bare += bare_end - start
                start = bare_end
                tree = parse_bytes(data, where)
                parsed = cpu()
                batch.append(parse_tree(tree, where))
                del tree
                spent["parse"] += parsed - start
                spent["extraction"] += cpu() - parsed
                if len(batch) == 500 or i == len(docs) - 1:
                    start = cpu()
                    ing.add_many(batch)
                    spent["store"] += cpu() - start
                    batch = []
        engine.dispose()
    total = spent["parse"] + spent["extraction"] + spent["store"]
    print(f"{case:>7} {n:>8}  bare parse {1e6 * bare / n:6.0f} us a notice; import {1e6 * total / n:6.0f} us "
          f"({total / bare:.2f}x), load {os.getloadavg()[0]:.1f}")
    for stage, seconds in spent.items():
        label = "  of which classification" if stage == "classification" else stage
        print(f"{'':>17}{label:<26} {1e6 * seconds / n:6.0f} us  {seconds / bare:5.2f}x bare  "
              f"{100 * seconds / total:3.0f}% of the import", flush=True)


def one(n: int, mode: str, case: str, bulk_only: bool = False) -> None:
    """Child process: one size, one mode; prints JSON with the peak RSS of this process alone."""
    if mode == "bare":
        (elapsed, cpu), counts = run_bare(n, case), {}
    else:
        with tempfile.TemporaryDirectory() as tmp:
            elapsed, cpu, counts = run_ingest(n, f"sqlite:///{tmp}/bench.db", case, bulk_only)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"n": n, "mode": mode, "seconds": elapsed, "cpu": cpu, "peak_mb": peak_mb, "counts": counts}))


def child(n: int, mode: str, case: str, bulk_only: bool = False) -> dict:
    flags = ["--bulk-only"] if bulk_only else []
    out = subprocess.run([sys.executable, __file__, "--one", str(n), "--mode", mode, "--cases", case, *flags],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


BARE_PROCESS = """import sys
from pathlib import Path

from lxml import etree

for path in sorted(p for p in Path(sys.argv[1]).rglob("*") if p.is_file()):
    etree.fromstring(path.read_bytes())
"""
"""The bare process: what any reader of the files must do (walk the folder, read, parse), nothing more."""


def write_documents(n: int, case: str, folder: Path) -> int:
    """The N documents as files, a thousand a folder (as a daily package unpacked); their total bytes."""
    total = 0
    for i, data in enumerate(documents(n, case)):
        sub = folder / f"{i // 1000:04d}"
        if i % 1000 == 0:
            sub.mkdir(parents=True)
        (sub / f"notice-{i:07d}.xml").write_bytes(data)
        total += len(data)
    return total


def run_process(argv: list[str], env: dict[str, str] | None = None,
                cwd: Path = ROOT) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds (user + system), peak RSS MB of the process, its last output line); the
    process must succeed. CPU time is the steadier figure on a shared machine: a busy neighbour stretches
    the wall time of whichever process it overlaps, not the work each one does."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out.decode(errors="replace").strip()
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv[:4])}... exited {proc.returncode}:\n{text[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text.splitlines()[-1] if text else ""


def tenderwatch_command() -> list[str]:
    script = Path(sys.executable).with_name("tenderwatch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tenderwatch"]


@contextmanager
def new_database(tmp: Path, run: int, postgres: str | None) -> Iterator[str]:
    """A new SQLite file, or with ``postgres`` a new schema in that PostgreSQL database (dropped after)."""
    if not postgres:
        yield f"sqlite:///{tmp / f'import-{run}.db'}"
        return
    from sqlalchemy import create_engine, text

    schema = f"bench_import_{os.getpid()}_{run}"
    server = create_engine(postgres)
    with server.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{postgres}{'&' if '?' in postgres else '?'}options=-csearch_path%3D{schema}"
    finally:
        with server.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        server.dispose()


def first_sight_cache(tmp: Path, run: int) -> Path:
    """A cache folder for one import that holds the user's compiled rule tables but no word entries
    (``pipeline.rule_cache.WORDS``): each timed import meets its words for the first time, as the first
    import on a machine does, not the words an earlier run of the bench kept."""
    from pipeline import rule_cache

    cache = tmp / f"cache-{run}"
    tables = rule_cache.folder(rule_cache.TABLES)
    if not cache.exists() and tables.is_dir():
        shutil.copytree(tables, cache / rule_cache.TABLES)
    return cache


def timed_import(folder: Path, tmp: Path, run: int, postgres: str | None,
                 copy: Path | None = None, kept_words: bool = False) -> tuple[float, float, float, str]:
    """``run_process`` of ``tenderwatch import FOLDER`` into a new database, by this checkout or by the
    extracted ``copy`` of another commit (its own code and configuration: ``bench/commit_copy.py``); with
    ``kept_words`` in the user's own cache folder (word entries earlier imports kept), else in a
    ``first_sight_cache``."""
    with new_database(tmp, run, postgres) as url:
        env = {**os.environ, "TENDERWATCH_DATABASE_URL": url, "TENDERWATCH_REJECTS_DIR": str(tmp / "rejects"),
               "COLUMNS": "200"}
        if not kept_words:
            env["TENDERWATCH_CACHE_DIR"] = str(first_sight_cache(tmp, run))
        command, cwd = tenderwatch_command(), ROOT
        if copy is not None:
            env["PYTHONPATH"] = str(copy)
            command, cwd = [sys.executable, "-m", "tenderwatch"], copy
        run_process([*command, "db", "upgrade"], env, cwd)  # not timed: done once per database
        return run_process([*command, "import", str(folder)], env, cwd)


def whole_process(n: int, case: str, repeat: int, postgres: str | None = None, against: str | None = None,
                  real: Path | None = None, kept_words: bool = False) -> None:
    """``tenderwatch import FOLDER`` (a new SQLite database, or PostgreSQL schema, each time) against the bare
    process, in turns. On PostgreSQL the import's CPU is the command's own (the server's work is not in it).
    With ``against`` (a commit), that commit's import runs in each turn too, and the line after each turn
    gives this checkout's CPU time over the commit's: a difference too small to see across a day of a shared
    machine shows in pairs run minutes apart."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder = tmp / "notices"
        if real is None:
            size = write_documents(n, case, folder)
        else:
            folder, files = real, [p for p in real.rglob("*") if p.is_file()]
            n, size = len(files), sum(p.stat().st_size for p in files)
        copy = None
        if against:
            from bench.commit_copy import extract

            copy = tmp / "against"
            extract(against, copy)
        pairs: list[float] = []
        for run in range(1, repeat + 1):
            bare, bare_cpu, bare_mb, _ = run_process([sys.executable, "-c", BARE_PROCESS, str(folder)])
            ingest, ingest_cpu, ingest_mb, summary = timed_import(folder, tmp, run, postgres, kept_words=kept_words)
            print(f"{case:>7} {n:>8} {run:>3} {n / bare:>9.0f} {n / ingest:>9.0f} {ingest / bare:>5.2f}x "
                  f"{bare:>7.1f} {ingest:>7.1f} {ingest_cpu / bare_cpu:>8.2f}x {bare_cpu:>7.1f} {ingest_cpu:>7.1f} "
                  f"{bare_mb:>8.0f} {ingest_mb:>9.0f}  {size / 1e6:.0f} MB of XML, load {os.getloadavg()[0]:.1f}; "
                  f"{summary}", flush=True)
            if copy is not None:
                _, old_cpu, old_mb, _ = timed_import(folder, tmp, -run, postgres, copy)
                pairs.append(ingest_cpu / old_cpu)
                print(f"{'':>20} {against}: import {old_cpu:.1f} s CPU ({old_cpu / bare_cpu:.2f}x bare), "
                      f"{old_mb:.0f} MB; this checkout / {against}: {pairs[-1]:.3f}", flush=True)
        if pairs:
            print(f"{'':>20} this checkout / {against}, CPU of the import: median {statistics.median(pairs):.3f} "
                  f"over {len(pairs)} pairs (range {min(pairs):.3f}-{max(pairs):.3f})", flush=True)


def print_digests(n: int, case: str) -> None:
    """The digests of the records and of the stored rows of N generated documents (``--digest``)."""
    from tests.ted.records_digest import digest, fresh_engine, import_documents, record_json, stored_rows

    docs = [(f"doc-{i}", data) for i, data in enumerate(documents(n, case))]
    records = digest(record_json(data, where) for where, data in docs)
    with tempfile.TemporaryDirectory() as tmp:
        engine = fresh_engine(f"sqlite:///{tmp}/digest.db")
        import_documents(engine, docs)
        rows = list(stored_rows(engine))
        engine.dispose()
    print(f"{case:>7} {n:>8}  records {records}  stored rows ({len(rows)}) {digest(rows)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="notices per run (default: 1000,10000,100000; --whole-process: "
                                          "6000,20000)")
    parser.add_argument("--cases", help="year: varied dates and titles; hard: shared ones; typical: year with "
                                        "0.08%% of buyers configured organisations, as in a real year; eforms: "
                                        "year of the eForms samples alone (see documents()). Default: "
                                        "year,hard,typical; --whole-process: eforms")
    parser.add_argument("--whole-process", action="store_true",
                        help="time the tenderwatch import command against a bare parse process, both from start "
                             "to exit, on the documents written as files")
    parser.add_argument("--repeat", type=int, default=2, help="--whole-process: runs of each pair (default 2)")
    parser.add_argument("--against", metavar="COMMIT",
                        help="--whole-process: run that commit's import too in each turn (its code and config, "
                             "extracted) and print this checkout's CPU time over its, pair by pair")
    parser.add_argument("--postgres", metavar="URL",
                        help="--whole-process: import into a new schema of this PostgreSQL database (dropped after) "
                             "instead of a new SQLite file")
    parser.add_argument("--folder", type=Path, metavar="DIR",
                        help="--whole-process: import the real TED XML files of DIR (every file under it) instead "
                             "of generated ones")
    parser.add_argument("--kept-words", action="store_true",
                        help="--whole-process: the import keeps and reuses the classifier's word entries in the "
                             "user's cache folder, as daily imports do (default: each run meets its words first)")
    parser.add_argument("--digest", action="store_true",
                        help="print digests of the records and stored rows instead of timing (compare them "
                             "before and after a change)")
    parser.add_argument("--stages", action="store_true",
                        help="time each stage of the import (parse, extraction, store, classification) on its own, "
                             "in one process beside a bare parse (the documents are held in memory)")
    parser.add_argument("--one", type=int)
    parser.add_argument("--mode", default="ingest")
    parser.add_argument("--bulk-only", action="store_true",
                        help="treat every buyer as unknown: parse + classify + bulk store, no lifecycle lookups")
    args = parser.parse_args()
    cases = (args.cases or ("eforms" if args.whole_process else "year,hard,typical")).split(",")
    sizes = [int(x) for x in (args.sizes or ("6000,20000" if args.whole_process else "1000,10000,100000")).split(",")]
    if args.one:
        one(args.one, args.mode, cases[0], args.bulk_only)
        return
    source = SHARED if SHARED.is_dir() else OWN
    print(f"samples: {len(templates())} notices from {source}" + (" (bulk only)" if args.bulk_only else ""))
    if args.digest:
        for case in cases:
            for n in sizes:
                print_digests(n, case)
        return
    if args.stages:
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; CPU time of each stage")
        for case in cases:
            for n in sizes:
                run_stages(n, case)
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if args.whole_process:
        target = "PostgreSQL schema" if args.postgres else "SQLite database"
        print(f"whole process: tenderwatch import FOLDER (new {target}) against a bare lxml parse process "
              "(reads each file and parses it with etree.fromstring)")
        print(f"{'case':>7} {'notices':>8} {'run':>3} {'bare/s':>9} {'import/s':>9} {'ratio':>6} {'bare s':>7} "
              f"{'import s':>7} {'cpu ratio':>9} {'bare cpu':>7} {'imp cpu':>7} {'bare MB':>8} {'import MB':>9}")
        if args.folder is not None:
            if not args.folder.is_dir():
                raise SystemExit(f"--folder {args.folder}: not a folder")
            whole_process(0, "real", args.repeat, args.postgres, args.against, real=args.folder,
                          kept_words=args.kept_words)
        else:
            for case in cases:
                for n in sizes:
                    whole_process(n, case, args.repeat, args.postgres, args.against, kept_words=args.kept_words)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        print("target: the whole import of 20,000 eForms notices within 3x the bare parse; peak memory flat in N")
        return
    print(f"{'case':>7} {'notices':>8} {'bare/s':>9} {'ingest/s':>9} {'ratio':>6} {'cpu ratio':>9} {'bare MB':>8} "
          f"{'ingest MB':>9}  outcome")
    for case in cases:
        for n in sizes:
            bare = child(n, "bare", case)
            ing = child(n, "ingest", case, args.bulk_only)
            ratio = ing["seconds"] / bare["seconds"]
            print(f"{case:>7} {n:>8} {n / bare['seconds']:>9.0f} {n / ing['seconds']:>9.0f} {ratio:>5.2f}x "
                  f"{ing['cpu'] / bare['cpu']:>8.2f}x {bare['peak_mb']:>8.0f} {ing['peak_mb']:>9.0f}  {ing['counts']}, "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("target: ingest within 2.5x the bare parse; peak memory flat in N; 700k notices in < 10 min")


if __name__ == "__main__":
    main()
