"""CLI tables at 80 columns: codes (names, ids, dates, references) whole on one line, text wrapped,
nothing wider than the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from tenderwatch.cli import main
from tenderwatch.cli.tables import CODE, NUM, TEXT, fitted_table

CODES = ["crawl:ted-research-infrastructures", "IO/26/CFE/12890/JTR", "2026-12-03"]
TITLE = ("Framework contract for the supply of vacuum engineering support to the ITER project, "
         "including cryopumps, leak detection and bake-out equipment")


def render(table, width: int = 80) -> list[str]:  # type: ignore[no-untyped-def]
    console = Console(width=width, record=True, color_system=None)
    console.print(table)
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [80, 120, 200])
def test_codes_stay_whole_and_text_wraps(width: int) -> None:
    table = fitted_table("Calls", [("job", CODE), ("reference", CODE), ("when", CODE), ("n", NUM), ("title", TEXT)],
                         [(*CODES, "1 234", TITLE), ("crawl:x", "R-1", "2026-01-01", "7", "Short title")])
    lines = render(table, width)
    assert max(len(line.rstrip()) for line in lines) <= width
    for code in (*CODES, "1 234", "crawl:x"):
        assert sum(code in line for line in lines) == 1, (code, lines)
    assert sum(bool(line.strip()) for line in lines) >= (5 if width == 80 else 4)
    words = " ".join(" ".join(lines).split())
    assert "bake-out equipment" in words and "…" not in words and "Short title" in words
    assert table.fits(width) == (width > 80)  # at 80 the titles go under their codes


def test_sources_list_reads_at_80_columns(engine, config_dir: Path, db_url: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as done:
        main(["--config", str(config_dir), "--database", db_url, "sources", "list"])
    assert done.value.code in (0, None)
    out = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in out) <= 80
    assert any("ted-research-infrastructures" in line for line in out)  # the longest name, whole
