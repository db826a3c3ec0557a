"""The reliability figures: run the fault-injection, fuzz and abuse suite and print what it measured.

    python bench/reliability.py            # the fast suite (also part of `make test`)
    python bench/reliability.py --soak     # plus the slow tests, with 10x the fuzz examples

Each test of ``tests/reliability/`` (and each attack of ``tests/security/``) appends its figures
(faults injected and survived, fuzz cases and unhandled exceptions, notices lost, emails duplicated
or missed, all *counted* before the test asserts them) to a JSON-lines file named by
``TENDERWATCH_RELIABILITY_REPORT``; this script runs pytest with that set and prints one row per
category and a total. It exits non-zero when a test failed or any row shows a loss, a duplicate, a
miss, an unhandled exception, an unsurvived fault or an attack not stopped: the figures are a claim,
checked every time they are printed. Below the figures, the attacks table lists every attack tried
on the running system (hostile text, tokens, XML, the findings of issue 18...) with its outcome and
what was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("injected", "survived", "cases", "unhandled", "counts", "lost", "duplicated", "missed")
BAD = ("unhandled", "lost", "duplicated", "missed")


def run_suite(soak: bool, extra: list[str]) -> tuple[int, list[dict], float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "figures.jsonl"
        env = dict(os.environ, TENDERWATCH_RELIABILITY_REPORT=str(report))
        if soak:
            env.setdefault("TENDERWATCH_FUZZ_EXAMPLES", "2000")
        marker = [] if soak else ["-m", "not slow"]
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "pytest", "tests/reliability", "tests/security", "-q", "-p",
                               "no:cacheprovider",
                               *marker, *extra], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - started
        rows = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    summary = next((line for line in reversed(proc.stdout.splitlines()) if " in " in line), proc.stdout[-500:])
    if proc.returncode:
        print(proc.stdout[-6000:], proc.stderr[-2000:], sep="\n")
    return proc.returncode, rows, elapsed, summary


def table(rows: list[dict]) -> tuple[Table, dict[str, int]]:
    by_cat: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    for row in rows:
        for col in COLUMNS:
            by_cat[row["category"]][col] += int(row.get(col, 0))
    out = Table(title="Tenderwatch reliability figures")
    out.add_column("category", no_wrap=True)
    for label in ("faults injected", "survived", "fuzz cases", "unhandled exc.", "counted", "notices lost",
                  "duplicated (notices, emails)", "emails missed"):
        out.add_column(label, justify="right")
    total = dict.fromkeys(COLUMNS, 0)
    for cat in sorted(by_cat):
        vals = by_cat[cat]
        for col in COLUMNS:
            total[col] += vals[col]
        out.add_row(cat, *(_cell(col, vals) for col in COLUMNS))
    out.add_section()
    out.add_row("[bold]total[/]", *(_cell(col, total) for col in COLUMNS))
    return out, total


def attacks(rows: list[dict]) -> tuple[Table, int]:
    """One row per attack tried: what, stopped or not, what was measured; and how many were not stopped."""
    out = Table(title="Attacks tried on the running system")
    out.add_column("attack")
    out.add_column("outcome", no_wrap=True)
    out.add_column("measured")
    open_ = 0
    for row in rows:
        if row["category"] != "attack" and not row["category"].startswith("abuse"):
            continue
        name = row["name"] if row["category"] == "attack" else f"{row['category'].split(': ', 1)[-1]}: {row['name']}"
        stopped = row["survived"] >= row["injected"]
        open_ += not stopped
        out.add_row(escape(name), "[green]stopped[/]" if stopped else "[bold red]NOT stopped[/]",
                    escape(row.get("detail") or ""))
    return out, open_


def _cell(col: str, vals: dict[str, int]) -> str:
    value = vals[col]
    if col in BAD and value:
        return f"[bold red]{value}[/]"
    if col == "survived" and value < vals["injected"]:
        return f"[bold red]{value}[/]"
    return str(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--soak", action="store_true", help="include slow tests and 10x fuzz examples")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (e.g. -k smtp)")
    args = parser.parse_args()
    console = Console(width=max(Console().width, 132))
    code, rows, elapsed, summary = run_suite(args.soak, args.pytest_args)
    out, total = table(rows)
    console.print(out)
    attack_table, not_stopped = attacks(rows)
    console.print(attack_table)
    db = "PostgreSQL" if os.environ.get("TENDERWATCH_TEST_DATABASE_URL") else "SQLite"
    console.print(f"pytest: {summary} ({elapsed:.0f} s wall, database {db})")
    bad = [c for c in BAD if total[c]] + (["unsurvived faults"] if total["survived"] < total["injected"] else []) + (
        [f"{not_stopped} attack(s) not stopped"] if not_stopped else [])
    if code or bad:
        console.print(f"[bold red]NOT RELIABLE[/]: pytest exit {code}; non-zero: {', '.join(bad) or 'none'}")
        return 1
    console.print("[bold green]every row: zero lost, zero duplicated, zero missed, zero unhandled[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
