"""Classifier quality and speed on the labelled notices of ``tests/data/``.

Prints, for the dev part (tuned on) and the test part (measured only), per-area precision,
recall and F1 and micro/macro F1; then notices/s on one core beside a bare baseline (the same
loop doing only case/accent folding and tokenising, the least any classifier must do), as a
ratio. ``--errors dev`` lists the dev notices the rules get wrong: improve the rules against
those, never against the test part.

    .venv/bin/python bench/classify_eval.py [--taxonomy config/taxonomy.yaml] [--errors dev]
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
from pipeline.evaluation import PARTS, evaluate, load_part, load_taxonomy  # noqa: E402

SPEED_NOTICES = 50_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", type=Path, default=ROOT / "config" / "taxonomy.yaml")
    parser.add_argument("--errors", choices=PARTS, help="list the misclassified notices of this part")
    args = parser.parse_args()
    console = Console()
    classifier = Classifier(load_taxonomy(args.taxonomy))
    parts = {part: load_part(part) for part in PARTS}

    table = Table(title=f"Technology areas: precision / recall / F1 ({args.taxonomy.name})")
    table.add_column("area")
    for part in PARTS:
        for col in ("P", "R", "F1", "n"):
            table.add_column(f"{part} {col}", justify="right")
    results = {part: evaluate(classifier, notices) for part, notices in parts.items()}
    for area in (a.id for a in classifier.taxonomy.areas):
        row = [area]
        for part in PARTS:
            c = results[part].areas[area]
            row += [f"{c.precision:.2f}", f"{c.recall:.2f}", f"{c.f1:.2f}", str(c.tp + c.fn)]
        table.add_row(*row)
    console.print(table)
    for part in PARTS:
        r = results[part]
        console.print(f"[bold]{part}[/] ({len(parts[part])} notices): micro-F1 [bold]{r.micro_f1:.3f}[/]  "
                      f"macro-F1 [bold]{r.macro_f1:.3f}[/]  exact match "
                      f"{1 - len(r.errors) / len(parts[part]):.3f}")

    if args.errors:
        for notice, predicted in results[args.errors].errors:
            console.print(f"[red]{notice['id']}[/] {notice['title']!r} gold={notice['areas']} got={predicted}",
                          highlight=False)
        return 0

    sample = parts["dev"] + parts["test"]
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
