"""``tenderwatch sources list`` and ``sources check`` as an administrator runs them."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tenderwatch.cli import app, load_commands


def cli(config_dir: Path, db_url: str, *args: str) -> tuple[int, str]:
    load_commands()
    result = CliRunner().invoke(app, ["--config", str(config_dir), "--database", db_url, *args],
                                env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_sources_list_shows_how_well_each_format_is_known(config_dir: Path, db_url: str) -> None:
    code, out = cli(config_dir, db_url, "sources", "list")
    assert code == 0, out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 5}
    assert "verified" in rows["esa-tenders"] and "reconstructed" not in rows["esa-tenders"]
    assert "reconstructed" in rows["cern-forthcoming"]
    assert "format" in out
