"""Classifier quality and speed on the labelled notices of ``tests/data/``.

Prints, for a part of the labelled set (default: ``dev``, the real notices the rules are tuned on),
per-area precision, recall and F1, micro and macro F1, and the same micro/macro figures per
language and per organisation; then notices/s on one core beside a bare baseline (the same loop
doing only case/accent folding and tokenising, the least any classifier must do), as a ratio.

Parts (``pipeline.evaluation.FILES``): ``dev`` and ``test`` are the real notices; ``written-dev``
and ``written-test`` the older set the project wrote itself. The held-out real ``test`` part is
only measured when asked (``--part test``), so that tuning runs never show test figures; its
individual notices are never listed (``--errors`` takes dev parts only), and the speed loop does
not read it.

    .venv/bin/python bench/classify_eval.py [--taxonomy config/taxonomy.yaml] [--part PART]
                                            [--errors dev|written-dev] [--no-speed]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from pipeline import morphology  # noqa: E402
from pipeline.classify import Classifier, tokens  # noqa: E402
from pipeline.evaluation import PARTS, breakdown, evaluate, load_classifier, load_part  # noqa: E402

SPEED_NOTICES = 50_000
DEV_PARTS = ("dev", "written-dev")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", type=Path, default=ROOT / "config" / "taxonomy.yaml")
    parser.add_argument("--part", choices=PARTS, default="dev",
                        help="which part's figures to print (default dev; the real test part only when asked)")
    parser.add_argument("--errors", choices=DEV_PARTS, help="list the misclassified notices of a dev part")
    parser.add_argument("--no-speed", action="store_true", help="skip the notices/s measurement")
    args = parser.parse_args()
    console = Console()
    classifier = load_classifier(args.taxonomy)

    if args.errors:
        for notice, predicted in evaluate(classifier, load_part(args.errors)).errors:
            console.print(f"[red]{notice['id']}[/] [{notice.get('language')}] {notice['title']!r} "
                          f"gold={sorted(notice['areas'])} got={predicted}", highlight=False)
        return 0

    notices = load_part(args.part)
    if not notices:
        console.print(f"part {args.part!r} has no labelled notices (yet): see tests/data/README.md")
    else:
        report(console, classifier, args.part, notices)
    if not args.no_speed:
        speed(console, classifier)
    return 0


def report(console: Console, classifier: Classifier, part: str, notices: list[dict]) -> None:
    result = evaluate(classifier, notices)
    table = Table(title=f"Technology areas on the {part} part ({len(notices)} notices)")
    for col in ("area", "P", "R", "F1", "n"):
        table.add_column(col, justify="left" if col == "area" else "right")
    for area in (a.id for a in classifier.taxonomy.areas):
        c = result.areas[area]
        table.add_row(area, f"{c.precision:.2f}", f"{c.recall:.2f}", f"{c.f1:.2f}", str(c.tp + c.fn))
    console.print(table)
    console.print(f"[bold]{part}[/] ({len(notices)} notices): micro-F1 [bold]{result.micro_f1:.3f}[/]  "
                  f"macro-F1 [bold]{result.macro_f1:.3f}[/]  exact match {1 - len(result.errors) / len(notices):.3f}")
    for title, key in (("language", lambda n: n.get("language") or "?"),
                       ("organisation", lambda n: n.get("organisation") or "(other buyer)")):
        groups = Table(title=f"per {title}")
        for col in (title, "n", "micro-F1", "macro-F1", "exact"):
            groups.add_column(col, justify="left" if col == title else "right")
        for group, (n, ev) in breakdown(classifier, notices, key).items():
            groups.add_row(group, str(n), f"{ev.micro_f1:.3f}", f"{ev.macro_f1:.3f}", f"{1 - len(ev.errors) / n:.3f}")
        console.print(groups)


def speed(console: Console, classifier: Classifier) -> None:
    """Notices/s of a warm classifier (every word seen once before) beside the bare fold+tokenise loop
    over the same texts, then of a cold one (dev parts only: the held-out part is not read)."""
    sample = [n for part in DEV_PARTS for n in load_part(part)]
    loop = [sample[i % len(sample)] for i in range(SPEED_NOTICES)]
    start = time.perf_counter()
    for n in loop:
        tokens(n["title"])
        tokens(n.get("description") or "")
    bare = time.perf_counter() - start
    fresh = Classifier(classifier.taxonomy, names=classifier.names, layer=classifier.layer)
    for n in sample:  # warm: every word seen once (the first sight of a word is the "cold" figure below)
        fresh.classify(n["title"], n.get("description"), n.get("cpv_codes") or [], n.get("language"), n.get("buyer"))
    start, cpu = time.perf_counter(), time.process_time()
    for n in loop:
        fresh.classify(n["title"], n.get("description"), n.get("cpv_codes") or [], n.get("language"),
                       n.get("buyer"))
    took, cpu_took = time.perf_counter() - start, time.process_time() - cpu
    rate, bare_rate = SPEED_NOTICES / took, SPEED_NOTICES / bare
    console.print(f"speed: classify {rate:,.0f} notices/s; bare fold+tokenise baseline {bare_rate:,.0f} "
                  f"notices/s; ratio {took / bare:.1f}x the baseline's time (one core, {SPEED_NOTICES:,} "
                  f"notices of {len(sample)} distinct)")
    # on a shared machine the wall clock counts the time other processes hold the core: the process's
    # own CPU time is what one free core would take
    console.print(f"speed on the process's CPU time: {SPEED_NOTICES / cpu_took:,.0f} notices/s "
                  f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    # the worst case: every notice new to a fresh classifier (each word's lemmas looked up for the first time)
    cold = Classifier(classifier.taxonomy, names=classifier.names)
    for language in {n.get("language") for n in sample}:
        cold.classify("", None, [], language)  # compile each language's rules first (start-up, not per notice)
    for view in cold._views.values():  # and forget the word entries earlier imports kept (``keep_words``)
        view.word_cache.clear()
    morphology.key.cache_clear()
    morphology.compound.cache_clear()
    start = time.perf_counter()
    for n in sample:
        cold.classify(n["title"], n.get("description"), n.get("cpv_codes") or [], n.get("language"), n.get("buyer"))
    cold_took = time.perf_counter() - start
    console.print(f"cold: {len(sample) / cold_took:,.0f} notices/s with every word looked up for the first time "
                  f"({len(sample)} distinct notices, fresh classifier and lemma caches)")


if __name__ == "__main__":
    raise SystemExit(main())
