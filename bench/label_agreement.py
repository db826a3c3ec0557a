"""How far two careful labellers agree on the real labelled notices: the ceiling of any classifier.

``tests/data/blind_relabel.jsonl`` holds a second labelling of a fixed sample of the real parts,
made blind by ``../shared/classify/LABELLING.md`` (see ``tests/data/README.md``, "How consistent
the labels are"). This tool scores that second labelling against the stored labels with the same
metric the classifier is scored by (``pipeline.evaluation.compare``): micro and macro F1,
exact-set agreement (with a bootstrap 95 % interval for micro-F1), per area (F1 and Cohen's kappa)
and per language. No classifier is built or run: a classifier measured on these labels cannot be
expected to agree with them more than a second labeller does.

Rows carry the ``round`` they were labelled in (README: round 1 fully blind, round 2 after the
first adjudication); ``--round`` keeps one. ``--disagreements`` lists the dev rows where the two
differ (never the test part's, which only the lead reads). ``--data`` reads the parts from another
folder, for example the labels as they stood at an earlier commit
(``git archive <commit> tests/data | tar -x -C /tmp/at``, then ``--data /tmp/at/tests/data``).

    .venv/bin/python bench/label_agreement.py [--labels FILE] [--data DIR] [--round N] [--disagreements]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from pipeline.evaluation import DATA, Evaluation, compare, load_part, load_taxonomy  # noqa: E402

LABELS = DATA / "blind_relabel.jsonl"
RESAMPLES = 2_000


def load_pairs(labels: Path, data_dir: Path, rounds: set[int] | None = None) -> list[tuple[dict[str, Any], set[str]]]:
    """(stored notice, second labeller's areas) for every row of ``labels`` (of ``rounds``), in its order."""
    stored = {n["id"]: (part, n) for part in ("dev", "test") for n in load_part(part, data_dir)}
    pairs = []
    with labels.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            if rounds and row["round"] not in rounds:
                continue
            part, notice = stored[row["id"]]
            if part != row["part"]:
                raise SystemExit(f"{row['id']}: in the {part} part, not {row['part']}")
            pairs.append(({**notice, "_part": part, "_round": row["round"]}, set(row["areas"])))
    return pairs


def score(pairs: list[tuple[dict[str, Any], set[str]]], area_ids: list[str]) -> Evaluation:
    return compare([n for n, _ in pairs], [a for _, a in pairs], area_ids)


def interval(pairs: list[tuple[dict[str, Any], set[str]]], area_ids: list[str]) -> tuple[float, float]:
    """Bootstrap 95 % interval of micro-F1 over the notices (fixed seed, so it prints the same)."""
    rng = random.Random(14)
    values = sorted(score(rng.choices(pairs, k=len(pairs)), area_ids).micro_f1 for _ in range(RESAMPLES))
    return values[int(0.025 * RESAMPLES)], values[int(0.975 * RESAMPLES) - 1]


def summary(pairs: list[tuple[dict[str, Any], set[str]]], area_ids: list[str]) -> tuple[Evaluation, float]:
    result = score(pairs, area_ids)
    return result, 1 - len(result.errors) / len(pairs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS, help="the second labelling (JSON lines)")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of real_dev.jsonl and real_test.jsonl")
    parser.add_argument("--round", type=int, action="append", dest="rounds",
                        help="only this round of the second labelling (repeatable; default all)")
    parser.add_argument("--taxonomy", type=Path, default=ROOT / "config" / "taxonomy.yaml")
    parser.add_argument("--disagreements", action="store_true", help="list the dev rows where the labels differ")
    args = parser.parse_args()
    console = Console(highlight=False)
    area_ids = [a.id for a in load_taxonomy(args.taxonomy).areas]
    pairs = load_pairs(args.labels, args.data, set(args.rounds or ()))

    if args.disagreements:
        for notice, areas in pairs:
            if notice["_part"] == "dev" and areas != set(notice["areas"]):
                console.print(f"{notice['id']} [{notice['language']}] {notice['title'][:120]!r}\n"
                              f"    stored={sorted(notice['areas'])} second={sorted(areas)}")
        return 0

    parts = Table(title=f"Second labelling against the stored labels ({args.labels.name})")
    for col in ("part", "notices", "micro-F1", "95 % interval", "macro-F1", "exact set"):
        parts.add_column(col, justify="left" if col == "part" else "right")
    rounds = sorted({n["_round"] for n, _ in pairs})
    by_round = [(f"dev, round {r}", [p for p in pairs if p[0]["_part"] == "dev" and p[0]["_round"] == r])
                for r in rounds] if len(rounds) > 1 else []
    for part, chosen in (*by_round, ("dev", [p for p in pairs if p[0]["_part"] == "dev"]),
                         ("test", [p for p in pairs if p[0]["_part"] == "test"]), ("all", pairs)):
        if chosen:
            result, exact = summary(chosen, area_ids)
            low, high = interval(chosen, area_ids)
            parts.add_row(part, str(len(chosen)), f"{result.micro_f1:.3f}", f"{low:.3f}-{high:.3f}",
                          f"{result.macro_f1:.3f}", f"{exact:.3f}")
    console.print(parts)

    result = score(pairs, area_ids)
    areas = Table(title="per area (all sampled notices)")
    for col in ("area", "stored", "second", "both", "F1", "kappa"):
        areas.add_column(col, justify="left" if col == "area" else "right")
    for area in area_ids:
        c = result.areas[area]
        areas.add_row(area, str(c.tp + c.fn), str(c.tp + c.fp), str(c.tp), f"{c.f1:.2f}", f"{c.kappa(len(pairs)):.2f}")
    empty = sum(1 for n, a in pairs if not n["areas"]), sum(1 for _, a in pairs if not a)
    both_empty = sum(1 for n, a in pairs if not n["areas"] and not a)
    areas.add_row("(no area)", str(empty[0]), str(empty[1]), str(both_empty), "", "")
    console.print(areas)

    group_table(console, "language", pairs, area_ids, lambda n: n.get("language") or "?")
    return 0


def group_table(console: Console, title: str, pairs: list[tuple[dict[str, Any], set[str]]],
                area_ids: list[str], key: Callable[[dict[str, Any]], str]) -> None:
    table = Table(title=f"per {title} (all sampled notices)")
    for col in (title, "notices", "micro-F1", "macro-F1", "exact set"):
        table.add_column(col, justify="left" if col == title else "right")
    groups: dict[str, list[tuple[dict[str, Any], set[str]]]] = {}
    for pair in pairs:
        groups.setdefault(key(pair[0]), []).append(pair)
    for group, chosen in sorted(groups.items()):
        result, exact = summary(chosen, area_ids)
        table.add_row(group, str(len(chosen)), f"{result.micro_f1:.3f}", f"{result.macro_f1:.3f}", f"{exact:.3f}")
    console.print(table)


if __name__ == "__main__":
    raise SystemExit(main())
