"""``bench/ted_ingest.py --whole-process --against COMMIT``: the pairs it prints are only worth something if
the other side of each pair really runs the other code (its own package and configuration, not this
checkout's through the installed entry point). A real copy, real ``tenderwatch import`` processes."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import ModuleType

from bench.commit_copy import CODE
from tests.bench_scripts import load_bench

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    return load_bench("ted_ingest")


def test_the_other_side_of_a_pair_runs_the_copys_own_import(tmp_path: Path) -> None:
    bench = _bench()
    copy = tmp_path / "copy"
    for tree in CODE:
        source = ROOT / tree
        if source.is_dir():
            shutil.copytree(source, copy / tree, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            shutil.copy2(source, copy / tree)
    core = copy / "tenderwatch" / "cli" / "core.py"
    text = core.read_text(encoding="utf-8")
    assert '"[green]✓[/] imported: ' in text
    core.write_text(text.replace('"[green]✓[/] imported: ', '"[green]✓[/] imported by the copy: '), encoding="utf-8")
    folder = tmp_path / "notices"
    assert bench.write_documents(20, "eforms", folder) > 0
    *_, ours = bench.timed_import(folder, tmp_path, 1, None)
    *_, theirs = bench.timed_import(folder, tmp_path, -1, None, copy)
    assert ours.startswith("✓ imported: 20 new")
    assert theirs.startswith("✓ imported by the copy: 20 new")


def test_a_folder_of_real_files_is_timed_as_it_is(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """``--whole-process --folder DIR``: every file of DIR is imported as it is (none generated), and the
    line counts them."""
    bench = _bench()
    folder = tmp_path / "real"
    shutil.copytree(ROOT / "tests" / "fixtures" / "api.ted.europa.eu" / "notices", folder)
    files = [p for p in folder.rglob("*") if p.is_file()]
    bench.whole_process(0, "real", 1, real=folder)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.split()[:3] == ["real", str(len(files)), "1"]
    assert "✓ imported: " in line and " 0 rejected" in line
    assert sorted(p for p in folder.rglob("*") if p.is_file()) == sorted(files)  # nothing written into DIR
