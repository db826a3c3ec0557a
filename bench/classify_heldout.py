"""An older commit's rules on the dev notices added after it: a held-out check that needs no test part.

Why: the rules are tuned on the dev part, so the dev figure flatters them; the test part is measured
only by the lead. The dev notices added *after* a commit are notices that commit's rules never saw:
the rules of 49f7da5 score micro-F1 0.816 on the 519 dev notices they were tuned on and 0.686 on the
371 added later, the same dev/test gap on dev data alone. A structural idea (how title, description
and CPV evidence combine, when a second area applies) can be ported into that old copy and judged on
the unseen notices: one that wins only on the rows it was found on is a dev-only fit.

The commit's ``pipeline``, ``tenderwatch`` and ``config`` are extracted (``git archive``) into a
folder, and a child Python process runs *that* code on today's dev notices; they are scored here with
today's metric (``pipeline.evaluation.compare``), split into the notices the commit's
``tests/data/real_dev.jsonl`` held ("seen") and the rest ("unseen"). Only the dev part is read.

    .venv/bin/python bench/classify_heldout.py 49f7da5                  # that commit's rules
    .venv/bin/python bench/classify_heldout.py 49f7da5 --keep /tmp/lab  # ... extracted into /tmp/lab
    .venv/bin/python bench/classify_heldout.py 49f7da5 --copy /tmp/lab  # the copy, after editing it
    .venv/bin/python bench/classify_heldout.py 49f7da5 --errors         # and the unseen notices' errors
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.commit_copy import extract, git  # noqa: E402
from pipeline.evaluation import compare, load_part, load_taxonomy  # noqa: E402

TREES = ("pipeline", "tenderwatch", "config")
DEV = "tests/data/real_dev.jsonl"
# run inside the extracted copy: its own classifier predicts each notice read from stdin
_PREDICT = """
import json, sys
from pipeline.evaluation import load_classifier, predict
classifier = load_classifier()
for line in sys.stdin:
    print(json.dumps(sorted(predict(classifier, json.loads(line)))))
"""


def seen_ids(commit: str) -> set[str]:
    """The ids of the dev notices the commit held: the rows its rules could be tuned on."""
    return {json.loads(line)["id"] for line in git("show", f"{commit}:{DEV}").decode().splitlines() if line.strip()}


def predictions(copy: Path, notices: list[dict[str, Any]]) -> list[set[str]]:
    """The areas the copy's own code gives each notice (a child process, so no module of this checkout
    is shared with it)."""
    env = {**os.environ, "PYTHONPATH": str(copy)}
    done = subprocess.run([sys.executable, "-c", _PREDICT], cwd=copy, env=env, capture_output=True, text=True,
                          input="".join(json.dumps(n) + "\n" for n in notices), check=False)
    if done.returncode:
        raise SystemExit(f"error: the rules in {copy} failed:\n{done.stderr.strip()}")
    lines = done.stdout.splitlines()
    if len(lines) != len(notices):
        raise SystemExit(f"error: the rules in {copy} answered {len(lines)} of {len(notices)} notices")
    return [set(json.loads(line)) for line in lines]


def report(commit: str, copy: Path, errors: bool) -> None:
    notices = load_part("dev")
    seen = seen_ids(commit)
    got = predictions(copy, notices)
    areas = [a.id for a in load_taxonomy(ROOT / "config" / "taxonomy.yaml").areas]
    for name, keep in (("seen", True), ("unseen", False)):
        pairs = [(n, p) for n, p in zip(notices, got, strict=True) if (n["id"] in seen) == keep]
        if not pairs:
            print(f"{name}: no notices")
            continue
        part, predicted = [n for n, _ in pairs], [p for _, p in pairs]
        result = compare(part, predicted, areas)
        exact = 1 - len(result.errors) / len(part)
        print(f"{name} ({len(part)} dev notices): micro-F1 {result.micro_f1:.4f}  macro-F1 {result.macro_f1:.4f}  "
              f"exact match {exact:.4f}")
        if errors and not keep:
            for notice, wrong in result.errors:
                print(f"  {notice['id']}  gold={sorted(notice['areas'])} got={wrong}  {notice['title'][:90]!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="An older commit's rules on the dev notices added after it.")
    parser.add_argument("commit", help="the commit whose rules and dev rows split seen from unseen")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--keep", type=Path, help="extract the commit's code into this (new) folder and keep it")
    where.add_argument("--copy", type=Path, help="evaluate this extracted (and edited) copy instead")
    parser.add_argument("--errors", action="store_true", help="list the unseen notices the rules get wrong")
    args = parser.parse_args(argv)
    if args.copy is not None:
        if not (args.copy / "pipeline" / "classify.py").is_file():
            parser.exit(1, f"error: {args.copy} holds no extracted copy (pipeline/classify.py)\n")
        report(args.commit, args.copy, args.errors)
        return 0
    if args.keep is not None:
        if args.keep.exists() and any(args.keep.iterdir()):
            parser.exit(1, f"error: {args.keep} is not empty\n")
        args.keep.mkdir(parents=True, exist_ok=True)
        extract(args.commit, args.keep, TREES)
        report(args.commit, args.keep, args.errors)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        extract(args.commit, Path(folder), TREES)
        report(args.commit, Path(folder), args.errors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
