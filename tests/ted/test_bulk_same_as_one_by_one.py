"""The bulk path (``Ingestor.add_many``) stores exactly the rows the one-by-one path (``Ingestor.add``) stores,
for change notices above all: a change notice whose notice has not come is bulk inserted, one whose notice
is stored or in the same batch goes through ``upsert``; either way the database ends the same.

Each case is a batch of real fixtures (legacy F02 and its F14 corrigendum, an eForms contract notice and
the change notice naming it by identifier-version), in both orders, for a configured organisation and for a
buyer the configuration does not know (no call key: only the previous-notice link joins them), compared
row for row (``records_digest.stored_rows``: ids and uids named by sightings, areas included).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ingest import Ingestor
from pipeline.records import NoticeRecord
from pipeline.ted import parse_notice
from tenderwatch.config import Config
from tests.ted.records_digest import NOW, fresh_engine, stored_rows
from tests.ted.test_import import FIXTURES

PAIRS = {"legacy": ("legacy-f02-fair.xml", "legacy-f14-fair.xml"), "eforms": ("eforms-cn-f4e.xml",
                                                                                  "eforms-change-f4e.xml")}
BUYERS = {"legacy": b"FAIR - Facility for Antiproton and Ion Research in Europe GmbH",
          "eforms": b"Fusion for Energy"}
STRANGER = b"Stadtwerke Irgendwo GmbH"


def _records(names: tuple[str, ...], stranger: bool) -> list[NoticeRecord]:
    out = []
    for name in names:
        data = (FIXTURES / name).read_bytes()
        if stranger:
            for buyer in BUYERS.values():
                data = data.replace(buyer, STRANGER)
        out.append(parse_notice(data, name, now=NOW))
    return out


def _stored(tmp: Path, config: Config, records: list[NoticeRecord], bulk: bool) -> list[str]:
    engine = fresh_engine(f"sqlite:///{tmp / ('bulk.db' if bulk else 'one.db')}")
    try:
        with Ingestor(engine, config, now=NOW) as ing:
            if bulk:
                ing.add_many(records)
            else:
                for record in records:
                    ing.add(record)
        counts = dict(ing.stats.counts)
        return [f"counts {sorted(counts.items())}", *stored_rows(engine)]
    finally:
        engine.dispose()


CASES = [(kind, order, stranger) for kind in PAIRS for order in ("notice first", "change first")
         for stranger in (False, True)]


@pytest.mark.parametrize(("kind", "order", "stranger"), CASES)
def test_bulk_stores_what_one_by_one_stores(tmp_path: Path, config: Config, kind: str, order: str,
                                            stranger: bool) -> None:
    names = PAIRS[kind] if order == "notice first" else PAIRS[kind][::-1]
    bulk = _stored(tmp_path, config, _records(names, stranger), bulk=True)
    one = _stored(tmp_path, config, _records(names, stranger), bulk=False)
    assert bulk == one
    assert sum(line.startswith("notices ") for line in bulk) == 1  # the change joined its notice


def test_both_pairs_interleaved_in_one_batch(tmp_path: Path, config: Config) -> None:
    """Four documents of two calls interleaved, changes before and after their notices: the batch stores what
    storing them one by one stores."""
    (notice, change), (cn, eforms_change) = PAIRS["legacy"], PAIRS["eforms"]
    orders = [(change, cn, notice, eforms_change), (eforms_change, notice, change, cn),
              (notice, eforms_change, change, cn)]
    for i, order in enumerate(orders):
        folder = tmp_path / str(i)
        folder.mkdir()
        for stranger in (False, True):
            assert _stored(folder, config, _records(order, stranger), bulk=True) == _stored(
                folder, config, _records(order, stranger), bulk=False), (order, stranger)
            for db in folder.glob("*.db"):
                db.unlink()
