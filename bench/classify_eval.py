"""Classifier quality and speed on the labelled notices of ``tests/data/``.

Prints, for the dev part (the one the rules are tuned on), per-area precision, recall and F1 and
micro/macro F1; then notices/s on one core beside a bare baseline (the same loop doing only
case/accent folding and tokenising, the least any classifier must do), as a ratio.

The held-out test part is only measured when asked (``--part test`` or ``--part all``), so that
tuning runs never show test figures: look at them once, at the end, not between rule edits.
``--errors dev`` lists the dev notices the rules get wrong: improve the rules against those; the
test part's individual errors are never listed.

    .venv/bin/python bench/classify_eval.py [--taxonomy config/taxonomy.yaml] [--errors dev]
                                            [--part dev|test|all] [--no-speed]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from pipeline.classify import Classifier, tokens  # noqa: E402
from pipeline.evaluation import evaluate, load_part, load_taxonomy  # noqa: E402

SPEED_NOTICES = 50_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", type=Path, default=ROOT / "config" / "taxonomy.yaml")
    parser.add_argument("--part", choices=("dev", "test", "all"), default="dev",
                        help="which part's figures to print (default dev; the test part only when asked)")
    parser.add_argument("--errors", choices=("dev",), help="list the misclassified notices of the dev part")
    parser.add_argument("--no-speed", action="store_true", help="skip the notices/s measurement")
    args = parser.parse_args()
    console = Console()
    classifier = Classifier(load_taxonomy(args.taxonomy))
    shown = ("dev", "test") if args.part == "all" else (args.part,)
    parts = {part: load_part(part) for part in shown}

    table = Table(title=f"Technology areas: precision / recall / F1 ({args.taxonomy.name})")
    table.add_column("area")
    for part in shown:
        for col in ("P", "R", "F1", "n"):
            table.add_column(f"{part} {col}", justify="right")
    results = {part: evaluate(classifier, notices) for part, notices in parts.items()}
    for area in (a.id for a in classifier.taxonomy.areas):
        row = [area]
        for part in shown:
            c = results[part].areas[area]
            row += [f"{c.precision:.2f}", f"{c.recall:.2f}", f"{c.f1:.2f}", str(c.tp + c.fn)]
        table.add_row(*row)
    console.print(table)
    for part in shown:
        r = results[part]
        console.print(f"[bold]{part}[/] ({len(parts[part])} notices): micro-F1 [bold]{r.micro_f1:.3f}[/]  "
                      f"macro-F1 [bold]{r.macro_f1:.3f}[/]  exact match "
                      f"{1 - len(r.errors) / len(parts[part]):.3f}")

    if args.errors:
        errors = results[args.errors].errors if args.errors in results else evaluate(
            classifier, load_part(args.errors)).errors
        for notice, predicted in errors:
            console.print(f"[red]{notice['id']}[/] {notice['title']!r} gold={notice['areas']} got={predicted}",
                          highlight=False)
        return 0
    if args.no_speed:
        return 0

    sample = load_part("dev") + load_part("test")  # texts only: no labels or figures are looked at
    loop = [sample[i % len(sample)] for i in range(SPEED_NOTICES)]
    start = time.perf_counter()
    for n in loop:
        tokens(n["title"])
        tokens(n.get("description") or "")
    bare = time.perf_counter() - start
    fresh = Classifier(classifier.taxonomy)  # cold word cache: the first pass pays for compiling words
    start = time.perf_counter()
    for n in loop:
        fresh.classify(n["title"], n.get("description"), n.get("cpv_codes") or [], n.get("language"))
    took = time.perf_counter() - start
    rate, bare_rate = SPEED_NOTICES / took, SPEED_NOTICES / bare
    console.print(f"speed: classify {rate:,.0f} notices/s; bare fold+tokenise baseline {bare_rate:,.0f} "
                  f"notices/s; ratio {took / bare:.1f}x the baseline's time (one core, {SPEED_NOTICES:,} notices)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
