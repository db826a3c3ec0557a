"""The labelling rules that live in config/taxonomy.yaml as area flags and word lists, not in code.

Each flag is read from the configuration: with it removed from a copy of the shipped taxonomy, the
notice it was written for loses exactly the area it promised, and a bad entry is refused by the
config loader in one line that names the file and the field.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipeline.classify import Classifier
from tenderwatch.config import ConfigError, TaxonomyConfig, load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def taxonomy() -> TaxonomyConfig:
    return load_config(ROOT / "config").taxonomy


def found(taxonomy: TaxonomyConfig, title: str) -> set[str]:
    return {a.id for a in Classifier(taxonomy).classify(title, None, [], "en")}


def without_flag(taxonomy: TaxonomyConfig, area: str, **changes: object) -> TaxonomyConfig:
    areas = [a.model_copy(update=changes) if a.id == area else a for a in taxonomy.areas]
    return taxonomy.model_copy(update={"areas": areas})


@pytest.mark.parametrize(("area", "flag", "title", "with_flag", "without"), [
    # built for it counts (telescopes): without the flag the destination weighs context_factor
    ("telescopes", {"platform": False}, "Infrared detectors for the telescope", {"detectors", "telescopes"},
     {"detectors"}),
    # a control system for the plant is part of the plant (cryogenics)
    ("cryogenics", {"controlled": False}, "Control system for the cryogenic plant",
     {"cryogenics", "electronics"}, {"electronics"}),
    # the magnets' test set-ups belong to them
    ("magnets", {"tested": False}, "Cold test facility for the poloidal field coils",
     {"cryogenics", "magnets"}, {"cryogenics"}),
    # radioactive transport needs the nuclear licence: nuclear stays beside services
    ("nuclear", {"licensed": False}, "Transport of Class 7 radioactive goods packages",
     {"nuclear", "services"}, {"services"}),
    # the control stems say which electronics products are control systems
    ("electronics", {"control_stems": []}, "Control system for the cryogenic plant",
     {"cryogenics", "electronics"}, {"electronics"}),
])
def test_each_area_flag_is_read_from_the_taxonomy(taxonomy: TaxonomyConfig, area: str, flag: dict[str, object],
                                                  title: str, with_flag: set[str], without: set[str]) -> None:
    assert found(taxonomy, title) == with_flag
    assert found(without_flag(taxonomy, area, **flag), title) == without


def test_an_italian_automation_system_is_a_control_system(taxonomy: TaxonomyConfig) -> None:
    """'automaz' (automazione) is a control stem: LABELLING.md gives a control system for a cryo plant
    the plant's area too, in every language."""
    clf = Classifier(taxonomy)
    title = "Sistema di automazione per l'impianto criogenico"
    assert {a.id for a in clf.classify(title, None, [], "it")} == {"cryogenics", "electronics"}


def test_test_stems_and_lingua_franca_markers_are_read_from_the_taxonomy(taxonomy: TaxonomyConfig) -> None:
    title = "Cold test facility for the poloidal field coils"
    assert found(taxonomy.model_copy(update={"test_stems": []}), title) == {"cryogenics"}
    # a German-tagged English title is read with the English rules ("for" opens a destination) only
    # through the markers; without them the German rules read it and "for" is no context word
    english = "Supply of the power supplies for the magnets"
    tagged_german = Classifier(taxonomy).classify(english, None, [], "de")
    assert [a.id for a in tagged_german] == ["power"]
    unmarked = taxonomy.model_copy(update={"lingua_franca_markers": []})
    assert [a.id for a in Classifier(unmarked).classify(english, None, [], "de")] == ["magnets"]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.update(test_stems=["Werkzeug"]), "field 'test_stems.0': String should match pattern"),
    (lambda t: t["areas"][0].update(platform="sometimes"), "field 'areas.0.platform': Input should be a valid boolean"),
    (lambda t: t.update(lingua_franca="english"), "field 'lingua_franca': String should match pattern"),
])
def test_a_bad_flag_is_refused_in_one_clear_line(tmp_path: Path, edit, message: str) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    raw = yaml.safe_load((config / "taxonomy.yaml").read_text(encoding="utf-8"))
    edit(raw)
    (config / "taxonomy.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(config)
    lines = [p for p in err.value.problems if "taxonomy" in p]
    assert len(lines) == 1 and message in lines[0] and "taxonomy.yaml" in lines[0], err.value.problems
