"""Evidence in words (one function for mail and web) and ``tenderwatch reclassify``."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, select

from pipeline import rule_cache
from pipeline.classify import Classifier
from pipeline.evidence import evidence_text
from pipeline.reclassify import reclassify
from pipeline.records import NoticeRecord
from pipeline.store import Store
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import NoticeArea

ROOT = Path(__file__).resolve().parents[2]


def test_evidence_in_words_in_english_and_dutch() -> None:
    tags = ["title:cryostat", "description:helium", "cpv:24111800", "fallback:no-technical-signal"]
    assert evidence_text("Cryogenics", tags) == ("Cryogenics: 'cryostat' in the title, 'helium' in the "
                                                 "description, CPV 24111800")
    assert evidence_text("Cryogenie", tags[:1], "nl") == "Cryogenie: 'cryostat' in de titel"
    assert evidence_text("Cryogenics", []) == "Cryogenics"
    many = [f"title:w{i}" for i in range(5)]
    assert evidence_text("X", many).endswith("'w2' in the title, 2 more")


def _store(engine: Engine, classifier: Classifier, titles: list[str]) -> None:
    with session_scope(engine) as session:
        store = Store(session, classifier)
        for i, title in enumerate(titles):
            store.upsert(NoticeRecord(source="test", organisation="CERN", languages=["en"], external_id=f"R-{i}",
                                      title=title))


def _areas(engine: Engine) -> dict[int, set[str]]:
    with session_scope(engine) as session:
        out: dict[int, set[str]] = {}
        for nid, area in session.execute(select(NoticeArea.notice_id, NoticeArea.area_id)):
            out.setdefault(nid, set()).add(area)
        return out


def test_reclassify_rewrites_changed_notices_and_counts_them(engine: Engine, config: Config) -> None:
    # stored by a classifier that calls every ion pump 'cryogenics'
    old_taxonomy = config.taxonomy.model_copy(deep=True)
    cryo = next(a for a in old_taxonomy.areas if a.id == "cryogenics")
    cryo.keywords = {**cryo.keywords, "en": [*cryo.keywords["en"], "ion pumps"]}
    _store(engine, Classifier(old_taxonomy), ["Supply of ion pumps", "Supply of a cryostat", "Miscellaneous"])
    assert sorted(map(sorted, _areas(engine).values())) == [["cryogenics"], ["cryogenics", "vacuum"]]

    seen: list[int] = []
    report = reclassify(engine, Classifier.for_config(config), batch=2, progress=seen.append)
    assert (report.total, report.changed) == (3, 1)
    assert report.lost == {"cryogenics": 1} and not report.gained
    assert seen == [2, 1]  # one call per committed batch
    assert sorted(map(sorted, _areas(engine).values())) == [["cryogenics"], ["vacuum"]]
    again = reclassify(engine, Classifier.for_config(config))
    assert (again.total, again.changed, again.rescored) == (3, 0, 0)


def test_reclassify_command_reports_changes(engine: Engine, config: Config, db_url: str, tmp_path: Path) -> None:
    _store(engine, Classifier(config.taxonomy.model_copy(update={"cpv": {}})), ["Supply of ion pumps"])
    cache = tmp_path / "cache"
    proc = subprocess.run([sys.executable, "-m", "tenderwatch", "--config", config.directory, "--database", db_url,
                           "reclassify"], check=False, capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "TENDERWATCH_CACHE_DIR": str(cache)})
    assert proc.returncode == 0, proc.stderr
    assert "reclassified 1 notice(s): 0 changed areas, 0 changed only scores or evidence" in proc.stdout
    # the words it met are kept for the next import (``Classifier.keep_words``)
    kept = [pickle.loads(p.read_bytes())[1] for p in (cache / rule_cache.WORDS).glob("*.pickle")]
    assert any({"ion", "pumps"} <= words.keys() for words in kept)
