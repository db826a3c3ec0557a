"""Config loading: the shipped config is valid; mistakes are named by file, entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tenderwatch.cli import app, load_commands
from tenderwatch.config import ConfigError, load_config


def _cli(*args: str) -> object:
    load_commands()
    return CliRunner().invoke(app, list(args))


def test_shipped_config_is_valid(config_dir: Path) -> None:
    cfg = load_config(config_dir)
    assert {a.id for a in cfg.taxonomy.areas} >= {
        "accelerator", "magnets", "cryogenics", "vacuum", "rf", "power", "electronics", "detectors", "optics",
        "mechanical", "materials", "ict", "civil", "nuclear", "space", "telescopes", "services",
    }
    cern = cfg.organisation("CERN")
    assert cern is not None and "NL" in (cern.member_states or [])
    # YAML 1.1 would read Norway's code as False; our loader keeps it a string.
    assert "NO" in (cern.member_states or [])


def test_mistake_names_file_entry_and_field(config_dir: Path) -> None:
    path = config_dir / "companies.yaml"
    path.write_text(path.read_text().replace("country: NL\n    language: nl\n    areas: [cryogenics, vacuum]",
                                             "country: XX\n    language: nl\n    areas: [cryogenics, vacuum]", 1))
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    line = next(p for p in err.value.problems if "cryovac-delft" in p)
    assert "companies.yaml" in line and "field 'country'" in line and "XX" in line


def test_bad_yaml_reports_line(config_dir: Path) -> None:
    (config_dir / "settings.yaml").write_text("timezone: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert any("settings.yaml" in p and "line" in p for p in err.value.problems)


def test_unknown_key_is_an_error(config_dir: Path) -> None:
    path = config_dir / "settings.yaml"
    path.write_text(path.read_text() + "\ntimezon: Europe/Paris\n")
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert any("timezon" in p for p in err.value.problems)


def test_config_check_command_exit_codes(config_dir: Path) -> None:
    ok = _cli("--config", str(config_dir), "config", "check")
    assert ok.exit_code == 0, ok.output
    (config_dir / "organisations.yaml").write_text(
        (config_dir / "organisations.yaml").read_text().replace("timezone: Europe/Zurich", "timezone: Mars/Base", 1)
    )
    bad = _cli("--config", str(config_dir), "config", "check")
    assert bad.exit_code == 1
    assert "organisations.yaml" in bad.output and "entry 'CERN'" in bad.output and "timezone" in bad.output


def test_config_dir_from_environment(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(config_dir))
    assert load_config().directory == str(config_dir)


def test_a_cpv_works_prefix_that_is_no_cpv_prefix_is_named(config_dir: Path) -> None:
    path = config_dir / "taxonomy.yaml"
    path.write_text(path.read_text().replace('cpv_works: ["45"]', 'cpv_works: ["4 5"]', 1))
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert any("taxonomy.yaml" in p and "cpv_works prefix '4 5' must be 2 to 8 digits" in p
               for p in err.value.problems)
