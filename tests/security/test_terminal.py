"""Issue 18 finding 11: scraped text never reaches the operator's terminal with its control
sequences (``tenderwatch.terminal``): ``sources test``, ``awards``, ``import`` messages, and rich
markup in scraped text stays text."""

from __future__ import annotations

import io
import re
import tarfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from rich.table import Table
from rich.text import Text
from typer.testing import CliRunner

from pipeline.ingest import Ingestor
from pipeline.records import AwardRecord, Money, NoticeRecord
from tenderwatch.cli import app, load_commands
from tenderwatch.terminal import SafeConsole, shown

ROOT = Path(__file__).resolve().parents[2]
TITLE_ESC = "\x1b]0;pwned\x07"  # sets the terminal's title
HIDE = "\x1b[8m"  # hidden text from here on
CSI = "\x9b2J"  # C1 control: clears the screen on 8-bit terminals
HOSTILE = f"Helium {TITLE_ESC}compressors {HIDE}rm -rf{CSI} \r[/][link=https://evil.example]x[/link]\u202e"


def _clean(output: str) -> None:
    for bad in ("\x1b", "\x9b", "\x07", "\r", "\u202e"):
        assert bad not in output, f"{bad!r} reaches the terminal"


def test_safe_console_strips_every_kind_of_renderable() -> None:
    out = io.StringIO()
    console = SafeConsole(file=out, force_terminal=True, color_system="standard", width=200, highlight=False)
    table = Table("title")
    table.add_row(shown(HOSTILE))
    console.print(f"[red]rejected[/] {shown(HOSTILE)}")
    console.print(Text(HOSTILE))
    console.print(table)
    console.print(HOSTILE, markup=False)
    text = out.getvalue()
    assert "\x1b[31m" in text, "rich's own colours are kept"
    assert HIDE not in text
    _clean(re.sub(r"\x1b\[[0-9;]*m", "", text))  # what is left after rich's own colour codes
    assert "[link=https://evil.example]" in text, "markup in scraped text is shown as text"


def _invoke(config_dir: Path, db_url: str, *args: str):  # type: ignore[no-untyped-def]
    load_commands()
    return CliRunner(env={"COLUMNS": "400"}).invoke(app, ["--config", str(config_dir), "--database", db_url, *args],
                                                   catch_exceptions=False)


def test_sources_test_output_is_terminal_safe(config_dir: Path, db_url: str, engine, tmp_path: Path) -> None:
    page = (ROOT / "tests/fixtures/found.cern.ch/java-ext/found/CFTSingleSearch.do").read_text(encoding="utf-8")
    hostile_page = tmp_path / "page.html"
    hostile_page.write_text(page.replace("Supply of helium refrigeration compressor units", HOSTILE), encoding="utf-8")
    result = _invoke(config_dir, db_url, "sources", "test", "cern-forthcoming", "--file", str(hostile_page))
    assert "compressors" in result.output
    _clean(result.output)


def test_awards_output_is_terminal_safe(config_dir: Path, db_url: str, engine, config) -> None:
    with Ingestor(engine, config) as ing:
        ing.add(NoticeRecord(
            source="ted", external_id="123-2025", organisation="ESO", notice_type="contract_award",
            title=f"Award {HOSTILE}", status="awarded", published_at=datetime.now(UTC) - timedelta(days=3),
            awards=[AwardRecord(winner_name=f"Delft {HOSTILE} B.V.", winner_country="NL",
                                value=Money(amount=Decimal(100), currency="EUR"))]))
    for fmt in ("table", "json", "csv"):
        result = _invoke(config_dir, db_url, "awards", "--format", fmt)
        assert "Delft" in result.output, result.output
        _clean(result.output)


def test_import_messages_are_terminal_safe(config_dir: Path, db_url: str, engine, tmp_path: Path,
                                           figures) -> None:
    package = tmp_path / "daily.tar.gz"
    with tarfile.open(package, "w:gz") as tar:
        data = b"<not-xml"
        info = tarfile.TarInfo(f"{TITLE_ESC}{HIDE}notice[/].xml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    result = _invoke(config_dir, db_url, "import", str(package))
    escapes = sum(result.output.count(c) for c in ("\x1b", "\x9b", "\x07", "\r", "\u202e"))
    figures.attack("terminal: ESC ]0; (title), ESC [8m (hidden), CSI, [/] markup in a package member's name",
                   stopped=escapes == 0, detail=f"{escapes} control characters reached the terminal")
    assert result.exit_code == 1 and "rejected" in result.output and "notice[/].xml" in result.output
    _clean(result.output)
