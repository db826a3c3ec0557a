"""``tenderwatch import`` scales cyclic garbage collection to a bulk import (``fewer_collections``) from its
start: the configuration, its mirror in the database and the classifier are built under it, and the
interpreter's settings are back as they were when the import ends."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from pipeline.classify import Classifier
from pipeline.ingest import BULK_GC_THRESHOLD, fewer_collections
from tenderwatch import context
from tenderwatch.cli import app, load_commands
from tenderwatch.config import Config, load_config

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api.ted.europa.eu" / "notices"


def test_fewer_collections_freezes_and_gives_back() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] == BULK_GC_THRESHOLD
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_import_reads_its_configuration_and_builds_its_classifier_under_bulk_collections(
        tmp_path: Path, engine: Engine, config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, int] = {}
    build = Classifier.for_config.__func__  # type: ignore[attr-defined]

    def for_config(cls: type[Classifier], config: Config) -> Classifier:
        seen["classifier"] = gc.get_threshold()[0]
        return build(cls, config)

    def read_config(directory: Path) -> Config:
        seen["configuration"] = gc.get_threshold()[0]
        return load_config(directory)

    monkeypatch.setattr(Classifier, "for_config", classmethod(for_config))
    monkeypatch.setattr(context, "load_config", read_config)
    monkeypatch.setenv("TENDERWATCH_REJECTS_DIR", str(tmp_path / "rejects"))
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIXTURES / "eforms-cn-f4e.xml", folder / "eforms-cn-f4e.xml")
    before = gc.get_threshold()
    load_commands()
    result = CliRunner().invoke(app, ["--config", str(config_dir), "--database",
                                      engine.url.render_as_string(hide_password=False), "import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output
    assert seen == {"configuration": BULK_GC_THRESHOLD, "classifier": BULK_GC_THRESHOLD}
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
