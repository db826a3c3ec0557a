"""An older commit's code, extracted beside this checkout, for benches that compare against it.

Why: a figure measured at one time of day does not compare with one measured at another on a shared
machine (the same code ran 3.09x and 3.29x on two afternoons). Running the old code and the new one in
turn, on the same input, in the same minutes, compares them under the same conditions:
``bench/classify_heldout.py`` scores an old commit's rules on notices it never saw,
``bench/ted_ingest.py --against`` times its import command.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ("pipeline", "tenderwatch", "config", "spiders", "alerts", "scheduling", "scheduler.py")
"""What runs a command: the packages and the configuration (those the commit has)."""


def git(*args: str) -> bytes:
    """Output of a git command in this checkout; a clear error when git refuses."""
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=False)
    if done.returncode:
        raise SystemExit(f"error: git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def extract(commit: str, folder: Path, trees: tuple[str, ...] = CODE) -> None:
    """The commit's ``trees`` (those it has), written into ``folder``: run them with ``PYTHONPATH=folder``
    and ``folder`` as the working directory, so its ``config/`` is the one read."""
    present = set(git("ls-tree", "--name-only", commit).decode().split())
    with tarfile.open(fileobj=io.BytesIO(git("archive", commit, *(t for t in trees if t in present)))) as archive:
        archive.extractall(folder, filter="data")
