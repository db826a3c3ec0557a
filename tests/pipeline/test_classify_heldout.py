"""``bench/classify_heldout.py``: an older commit's rules on the dev notices added after it.

The figures it prints are only worth something if the child process really runs the copy's code on
the notices it is given, and if "seen" means the rows the commit held. Real parts, a real copy of the
code and a real child process; no git history is needed except where a test says so.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from pipeline.evaluation import load_classifier, load_part, predict
from tests.bench_scripts import load_bench

ROOT = Path(__file__).resolve().parents[2]
LAB_COMMIT = "49f7da5"  # the rules before the real set's stage 5 (tests/data/README.md): 519 dev rows


def _bench() -> ModuleType:
    return load_bench("classify_heldout")


def _has_commit(commit: str) -> bool:
    done = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT, capture_output=True, check=False)
    return done.returncode == 0


def test_the_child_process_runs_the_copys_own_rules(tmp_path: Path) -> None:
    """A copy of today's code predicts what today's classifier predicts; a copy with one CPV entry
    changed predicts differently, so the answers come from the copy and not from this checkout."""
    bench = _bench()
    for tree in bench.TREES:
        shutil.copytree(ROOT / tree, tmp_path / tree, ignore=shutil.ignore_patterns("__pycache__"))
    notices = [n for n in load_part("dev") if n.get("cpv_codes")][:40]
    today = load_classifier()
    assert bench.predictions(tmp_path, notices) == [predict(today, n) for n in notices]
    # water (CPV 41) gives no area today; in the edited copy it is civil
    taxonomy = tmp_path / "config" / "taxonomy.yaml"
    text = taxonomy.read_text(encoding="utf-8")
    assert '\n  "41": []' in text
    taxonomy.write_text(text.replace('\n  "41": []', '\n  "41": [civil]'), encoding="utf-8")
    water = {"id": "probe", "title": "Supply", "description": None, "cpv_codes": ["41110000"], "language": "en",
             "areas": []}
    assert predict(today, water) == set()
    assert bench.predictions(tmp_path, [water]) == [{"civil"}]


def test_a_broken_copy_is_a_clear_error(tmp_path: Path) -> None:
    bench = _bench()
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "evaluation.py").write_text("raise RuntimeError('broken rules')\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="broken rules"):
        bench.predictions(tmp_path, [{"id": "x", "title": "t", "areas": []}])


@pytest.mark.skipif(not _has_commit(LAB_COMMIT), reason="the checkout lacks the history of the lab's commit")
def test_seen_rows_are_the_commits_dev_rows_and_the_rest_are_unseen(tmp_path: Path) -> None:
    """The lab of 2026-12-05: 519 dev notices the rules of 49f7da5 were tuned on, all still in the dev
    part; the others (371 today) are the unseen ones. Its code extracts and runs."""
    bench = _bench()
    seen = bench.seen_ids(LAB_COMMIT)
    dev = {n["id"] for n in load_part("dev")}
    assert len(seen) == 519 and seen <= dev
    bench.extract(LAB_COMMIT, tmp_path)
    assert (tmp_path / "pipeline" / "classify.py").is_file()
    assert (tmp_path / "config" / "taxonomy.yaml").is_file()
    with pytest.raises(SystemExit, match="no-such-commit"):
        bench.seen_ids("no-such-commit")
