"""Issue 18 finding 3: a small package of huge members costs a bounded amount of memory and disk.

A real ``tenderwatch import`` in a subprocess, its peak memory read from the kernel (``VmHWM``):
a 0.4 MB ``.tar.gz`` of eight 45 MiB members of spaces is refused by name once it decompresses to
more than a hundred times its size, each reject keeps a 64 KiB prefix and the hash of the whole,
and the process's peak memory stays within a fixed margin of a tiny package's import (one small
rejected member: the same path without the bulk)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipeline.import_base import REJECT_PREFIX, ImportLimits, Problem
from pipeline.importers import iter_items, read_jsonl
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Reject

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "api.ted.europa.eu" / "notices"
MEMBER = 45 * 1024 * 1024


def _bomb(path: Path, members: int) -> None:
    chunk = b" " * (1024 * 1024)
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for i in range(members):
            info = tarfile.TarInfo(f"2025/notice-{i:02d}.xml")
            info.size = MEMBER
            class Spaces(io.RawIOBase):
                left = MEMBER

                def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
                    n = min(len(buffer), self.left, len(chunk))
                    buffer[:n] = chunk[:n]
                    self.left -= n
                    return n

                def readable(self) -> bool:
                    return True

            tar.addfile(info, io.BufferedReader(Spaces()))


PEAK_REPORTER = (
    "import atexit, sys\n"
    "def peak():\n"
    "    with open('/proc/self/status') as fh:\n"
    "        sys.stderr.write('peak-rss-kib ' + next(l for l in fh if l.startswith('VmHWM')).split()[1] + '\\n')\n"
    "atexit.register(peak)\n"
    "sys.argv[0] = 'tenderwatch'\n"
    "from tenderwatch.cli import main\n"
    "main()\n")
"""``tenderwatch`` with its own peak resident memory (``VmHWM``, which starts afresh at ``exec``, unlike the
rusage high-water mark a child inherits from the test process it was forked from) written at exit."""


def _import(config_dir: Path, db_url: str, rejects: Path, *paths: Path) -> tuple[int, str, int]:
    """(exit code, output, peak resident memory in KiB) of ``tenderwatch import``."""
    env = {**os.environ, "TENDERWATCH_REJECTS_DIR": str(rejects), "COLUMNS": "500"}
    done = subprocess.run([sys.executable, "-c", PEAK_REPORTER, "--config", str(config_dir), "--database", db_url,
                           "import", *map(str, paths)], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False, timeout=600)
    peak = re.search(r"peak-rss-kib (\d+)", done.stderr)
    assert peak, done.stderr
    return done.returncode, done.stdout + done.stderr.replace(peak.group(0), ""), int(peak.group(1))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak memory from /proc (Linux)")
def test_a_package_of_huge_members_is_refused_within_bounds(tmp_path: Path, config_dir: Path, db_url: str,
                                                          engine, figures) -> None:
    tiny = tmp_path / "tiny.tar.gz"  # the same path through the import (a rejected member), without the bulk
    with tarfile.open(tiny, "w:gz") as tar:
        info = tarfile.TarInfo("2025/notice-00.xml")
        info.size = 1024
        tar.addfile(info, io.BytesIO(b" " * 1024))
    code, output, tiny_rss = _import(config_dir, db_url, tmp_path / "rejects-tiny", tiny)
    assert code == 1 and "1 rejected" in output, output

    bomb = tmp_path / "bomb.tar.gz"
    _bomb(bomb, 8)
    assert bomb.stat().st_size < 2_000_000
    rejects = tmp_path / "rejects"
    code, output, bomb_rss = _import(config_dir, db_url, rejects, bomb)
    flat = " ".join(output.split())
    assert code == 1
    assert f"{bomb}:2025/notice-" in flat and "compression bomb" in flat, output
    assert "sha256" in flat and "the first 64 KiB kept" in flat
    on_disk = sum(p.stat().st_size for p in rejects.rglob("*") if p.is_file())
    figures.attack(f"import: {bomb.stat().st_size / 1e6:.1f} MB .tar.gz of eight 45 MiB members of spaces",
                   stopped=on_disk <= 8 * REJECT_PREFIX and bomb_rss - tiny_rss < 200 * 1024
                   and "compression bomb" in flat,
                   detail=f"refused by name; peak {bomb_rss // 1024} MiB (tiny import {tiny_rss // 1024} MiB), "
                          f"rejects on disk {on_disk // 1024} KiB")
    assert on_disk <= 8 * REJECT_PREFIX, f"{on_disk} bytes of rejects written"
    with session_scope(engine) as s:
        assert s.scalar(select(func.max(func.length(Reject.raw)))) <= REJECT_PREFIX
    # the process held one member at a time, never the rejects: a fixed margin over a tiny import
    assert bomb_rss - tiny_rss < 200 * 1024, f"peak {bomb_rss} KiB against {tiny_rss} KiB for a tiny import"


def test_the_total_an_import_may_decompress_is_capped(tmp_path: Path) -> None:
    data = (FIXTURES / "eforms-pin-xfel.xml").read_bytes()
    package = tmp_path / "day.tar.gz"
    with tarfile.open(package, "w:gz") as tar:
        for i in range(5):
            info = tarfile.TarInfo(f"n{i}.xml")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    items = list(iter_items([package], ImportLimits(max_bytes=3 * len(data))))
    refused = [i for i in items if isinstance(i, Problem)]
    assert len(items) == 4 and len(refused) == 1
    assert refused[0].location == f"{package}:n3.xml" and "--max-gib" in refused[0].reason


def test_a_huge_json_line_keeps_a_prefix_and_its_hash() -> None:
    line = '{"title": "' + "x" * 5_000_000 + "\n"
    (problem,) = list(read_jsonl(io.StringIO(line), "big.jsonl"))
    assert isinstance(problem, Problem) and len(problem.raw or "") == REJECT_PREFIX
    assert "sha256" in problem.reason and "5,000,012 bytes" in problem.reason
