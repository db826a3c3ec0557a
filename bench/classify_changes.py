"""Which stored notices would the current taxonomy classify differently from an older one? A diff to read.

    .venv/bin/python bench/classify_changes.py DATABASE_URL --before OLD_TAXONOMY [--languages en,de,...] [--show N]

A rule change is judged on notices it was not written for: fill a database with real notices nobody
labelled (``tenderwatch import`` of the EU Publications Office's TED test data, say), make the change,
and read every notice whose areas move, with the evidence the old rules had. Notices of the labelled test
part (matched by TED publication number) are skipped without being shown, so the diff never tunes on the
test part; notices of the dev part are marked ``dev``. ``OLD_TAXONOMY`` is a taxonomy file, e.g.
``git show HEAD:config/taxonomy.yaml > /tmp/old.yaml``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, select  # noqa: E402

from pipeline.classify import Classifier  # noqa: E402
from pipeline.cpv import LANGUAGES  # noqa: E402
from pipeline.evaluation import load_part, load_taxonomy, organisation_names  # noqa: E402
from pipeline.ted.codelists import publication_number  # noqa: E402
from tenderwatch.db.engine import make_engine  # noqa: E402
from tenderwatch.db.models import Notice  # noqa: E402


@dataclass
class Change:
    part: str
    """``dev`` for a notice of the labelled dev part, else empty."""
    language: str
    title: str
    before: list[str]
    after: list[str]
    evidence: dict[str, list[str]]
    """The old rules' evidence per area they gave."""


def labelled_id(number: str | None) -> str | None:
    """The id a TED notice has in the labelled parts (``ted-NUMBER-YEAR``), from its publication number."""
    normal = publication_number(number)
    return f"ted-{normal}" if normal else None


def changes(engine: Engine, before: Classifier, after: Classifier, languages: Collection[str] = LANGUAGES,
            test_ids: Collection[str] | None = None, dev_ids: Collection[str] | None = None) -> Iterator[Change]:
    """Every stored notice in ``languages`` that is not of the test part and whose areas differ."""
    test_ids = {n["id"] for n in load_part("test")} if test_ids is None else test_ids
    dev_ids = {n["id"] for n in load_part("dev")} if dev_ids is None else dev_ids
    query = select(Notice.title, Notice.description, Notice.cpv_codes, Notice.languages, Notice.buyer_name,
                   Notice.extra)
    with engine.connect() as conn:
        for title, description, cpv, notice_languages, buyer, extra in conn.execute(query).yield_per(500):
            language = (notice_languages or [None])[0]
            if language not in languages:
                continue
            ident = labelled_id((extra or {}).get("ted_publication_number"))
            if ident in test_ids:
                continue  # never read: the test part is only measured
            old = before.classify(title, description, cpv or [], language, buyer)
            new = sorted(a.id for a in after.classify(title, description, cpv or [], language, buyer))
            if sorted(a.id for a in old) != new:
                yield Change("dev" if ident in dev_ids else "", language, title, sorted(a.id for a in old), new,
                             {a.id: a.evidence for a in old})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", help="a Tenderwatch database URL (sqlite:///path.db, postgresql+psycopg://...)")
    parser.add_argument("--before", type=Path, required=True, help="the taxonomy file to compare with")
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    parser.add_argument("--show", type=int, default=200, help="print at most this many changes (all are counted)")
    args = parser.parse_args(argv)
    names = organisation_names()
    before = Classifier(load_taxonomy(args.before), names=names)
    after = Classifier(load_taxonomy(ROOT / "config" / "taxonomy.yaml"), names=names)
    engine = make_engine(args.database)
    count = 0
    for change in changes(engine, before, after, set(args.languages.split(","))):
        count += 1
        if count <= args.show:
            evidence = "; ".join(f"{area}: {', '.join(tags[:3])}" for area, tags in change.evidence.items())
            print(f"[{change.language}]{' dev' if change.part else ''} {change.title[:110]} | {change.before} -> "
                  f"{change.after} | {evidence}")
    print(f"{count} notices change areas (notices of the test part are not read)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
