"""``bench/classify_changes.py``: the stored notices another taxonomy classifies differently, never a test one."""

from __future__ import annotations

from types import ModuleType

import pytest
from sqlalchemy import Engine

from pipeline.classify import Classifier
from pipeline.evaluation import ROOT, load_taxonomy, organisation_names
from pipeline.ingest import Ingestor
from pipeline.records import NoticeRecord
from tenderwatch.config import Config
from tests.bench_scripts import load_bench


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("classify_changes")


def store(engine: Engine, config: Config, rows: list[tuple[str, str, str]]) -> None:
    """(publication number, language, title) as TED notices of no configured organisation."""
    with Ingestor(engine, config) as ing:
        for number, language, title in rows:
            ing.add(NoticeRecord(source="ted", external_id=number, title=title, languages=[language],
                                 extra={"ted_publication_number": number}))


def test_changed_notices_are_listed_dev_ones_marked_and_test_ones_never_read(
        bench: ModuleType, engine: Engine, config: Config) -> None:
    store(engine, config, [
        ("111-2019", "fr", "Exploitation du casino municipal"),
        ("222-2019", "fr", "Exploitation du casino de la plage"),  # in the test part: never read
        ("333-2019", "fr", "Gestion du casino du port"),  # in the dev part
        ("444-2019", "fr", "Fourniture de lits d'hôpital"),  # unchanged
        ("555-2019", "de", "Betrieb des Casino am See"),  # changes too, but is not in the languages asked for
    ])
    after = Classifier(load_taxonomy(ROOT / "config" / "taxonomy.yaml"), names=organisation_names())
    old_taxonomy = load_taxonomy(ROOT / "config" / "taxonomy.yaml")
    optics = next(a for a in old_taxonomy.areas if a.id == "optics")
    optics.keywords = {**optics.keywords, **{lang: [*optics.keywords.get(lang, []), "casino"]  # a false friend
                                             for lang in ("fr", "de")}}
    before = Classifier(old_taxonomy, names=organisation_names())
    found = list(bench.changes(engine, before, after, {"fr"}, test_ids={"ted-222-2019"}, dev_ids={"ted-333-2019"}))
    assert [(c.title, c.part) for c in found] == [("Exploitation du casino municipal", ""),
                                                 ("Gestion du casino du port", "dev")]
    assert all("optics" in c.before and "optics" not in c.after for c in found)
    assert found[0].evidence["optics"] == ["title:casino"]
    both = bench.changes(engine, before, after, {"fr", "de"}, test_ids={"ted-222-2019"}, dev_ids=set())
    assert [c.language for c in both] == ["fr", "fr", "de"]


def test_a_labelled_id_is_made_from_a_ted_publication_number(bench: ModuleType) -> None:
    assert bench.labelled_id("00425049-2019") == "ted-425049-2019"
    assert bench.labelled_id("15279-2021") == "ted-15279-2021"
    assert bench.labelled_id(None) is None
    assert bench.labelled_id("PN-1") is None
