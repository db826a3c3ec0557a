"""What TED ingest makes of a document, in a form that can be compared byte for byte across code versions.

Ingest is rewritten for speed from time to time; these digests say whether it still makes the same
records and stores the same rows:

- ``record_json``: the record the store is given for a document (parsed at a fixed moment, then
  cleaned by ``clean_record``, as the store does), as pydantic's JSON;
- ``stored_rows``: every row an import leaves in the notice tables, as the database holds them
  (JSON columns as their stored text), with the generated ids and uids replaced by the notice's
  sighting key, so that two imports of the same documents give the same lines.

``tests/ted/expected_records.json`` keeps the record digest of every official sample in
``../shared/ted`` and every XML fixture of the project (``test_records_unchanged.py`` compares them).
After a deliberate change of what TED parsing or cleaning produces, write them again and say why in
the commit:

    .venv/bin/python -m tests.ted.records_digest --write

``bench/ted_ingest.py --digest`` uses the same functions on generated copies (records and stored rows).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "ted"
FIXTURES = ROOT / "tests" / "fixtures"
EXPECTED = Path(__file__).with_name("expected_records.json")
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
"""The moment every document is read at (a notice's status depends on it): some samples' deadlines fall
before it, some after."""


def sample_files() -> dict[str, Path]:
    """Name -> path of every document compared: ``shared/...`` (when ../shared is here) and ``fixtures/...``."""
    out = {}
    if SHARED.is_dir():
        out.update({f"shared/{p.relative_to(SHARED)}": p for p in sorted(SHARED.rglob("*.xml"))})
    out.update({f"fixtures/{p.relative_to(FIXTURES)}": p for p in sorted(FIXTURES.rglob("*.xml"))
                if _is_ted(p.read_bytes())})
    return out


def _is_ted(data: bytes) -> bool:
    head = data[:4096]
    return b"TED_EXPORT" in head or b"urn:oasis:names:specification:ubl:schema:xsd:" in head


def record_json(data: bytes, where: str) -> str:
    """The cleaned record of one document, as JSON (the parse error's first line for a document that is none)."""
    from pipeline.cleaning import clean_record
    from pipeline.ted import parse_notice

    try:
        return clean_record(parse_notice(data, where, now=NOW)).model_dump_json()
    except ValueError as exc:
        return f"error: {str(exc).splitlines()[0]}"


def digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode())
        h.update(b"\n")
    return h.hexdigest()


def record_digests(files: dict[str, Path]) -> dict[str, str]:
    return {name: digest([record_json(path.read_bytes(), name)]) for name, path in files.items()}


def stored_digest(files: dict[str, Path], folder: Path) -> str:
    """The digest of the rows an import of ``files`` stores in a new SQLite database under ``folder``
    (the classifier's areas left out)."""
    engine = fresh_engine(f"sqlite:///{folder / 'records-digest.db'}")
    try:
        import_documents(engine, ((name, path.read_bytes()) for name, path in files.items()))
        return digest(stored_rows(engine, areas=False))
    finally:
        engine.dispose()


def expected_digests() -> dict[str, str]:
    """Name -> digest: each document's record, and ``stored:shared`` / ``stored:fixtures`` for each set's rows."""
    files = sample_files()
    out = record_digests(files)
    with tempfile.TemporaryDirectory() as tmp:
        for part in ("shared", "fixtures"):
            chosen = {name: path for name, path in files.items() if name.startswith(part + "/")}
            if chosen:
                (Path(tmp) / part).mkdir()
                out[f"stored:{part}"] = stored_digest(chosen, Path(tmp) / part)
    return out


_KEYED = {"notice_sources": "notice_id", "notice_areas": "notice_id", "lots": "notice_id", "awards": "notice_id",
          "notice_changes": "notice_id"}


def stored_rows(engine: Engine, *, areas: bool = True) -> Iterator[str]:
    """Every row of the notice tables, as stored, in an order and form independent of generated ids.

    A notice is named by its sightings' (source, external id) pairs; ``uid``, ``call_uid``, row ids and
    ``notice_id`` become that name; organisations become their codes. Rows of one notice keep their
    insertion order. The rejects table is given without its ids and times. ``areas=False`` leaves out
    the classifier's answers (``notice_areas``), which its own evaluation follows. SQLite only (rowid order).
    """
    with engine.connect() as conn:
        def rows(sql: str) -> list[dict[str, Any]]:
            result = conn.exec_driver_sql(sql)
            names = list(result.keys())
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

        orgs = {r["id"]: r["code"] for r in rows("SELECT id, code FROM organisations")}
        keys: dict[int, list[str]] = {}
        for s in rows("SELECT notice_id, source_name, external_id FROM notice_sources ORDER BY id"):
            keys.setdefault(s["notice_id"], []).append(f"{s['source_name']}:{s['external_id']}")
        notices = rows("SELECT * FROM notices ORDER BY id")
        name_of = {n["id"]: " ".join(keys.get(n["id"], [f"unsighted#{i}"])) for i, n in enumerate(notices)}
        by_uid = {n["uid"]: name_of[n["id"]] for n in notices}
        out: list[tuple[str, str, int, str]] = []
        for notice in notices:
            name = name_of[notice["id"]]
            out.append((name, "notices", 0, _line(dict(
                notice, id=name, uid=name, organisation_id=orgs.get(notice["organisation_id"]),
                call_uid=by_uid.get(notice["call_uid"], "other call")))))
        for table, column in _KEYED.items():
            if table == "notice_areas" and not areas:
                continue
            for i, row in enumerate(rows(f"SELECT * FROM {table} ORDER BY rowid")):
                name = name_of.get(row[column], "?")
                kept = {k: v for k, v in row.items() if k != "id"}
                out.append((name, table, i, _line({**kept, column: name})))
        for i, row in enumerate(rows("SELECT stage, source_name, location, reason FROM rejects ORDER BY id")):
            out.append(("~rejects", "rejects", i, _line(row)))
    out.sort()
    for name, table, _, line in out:
        yield f"{table} {name} {line}"


def _line(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str, ensure_ascii=False)


def import_documents(engine: Engine, documents: Iterable[tuple[str, bytes]], batch: int = 500) -> None:
    """Store documents as ``tenderwatch import`` does (batches through ``Ingestor.add_many``), at ``NOW``."""
    from pipeline.ingest import Ingestor
    from pipeline.ted import parse_notice
    from tenderwatch.config import load_config

    config = load_config(ROOT / "config")
    with Ingestor(engine, config, now=NOW) as ing:
        records = []
        for where, data in documents:
            try:
                records.append(parse_notice(data, where, now=NOW))
            except ValueError as exc:
                ing.reject(stage="import", location=where, reason=str(exc).splitlines()[0])
                continue
            if len(records) == batch:
                ing.add_many(records)
                records = []
        ing.add_many(records)


def fresh_engine(url: str) -> Engine:
    from tenderwatch.config import load_config
    from tenderwatch.db.engine import make_engine, session_scope
    from tenderwatch.db.migrate import upgrade
    from tenderwatch.sync import sync_config

    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        sync_config(s, load_config(ROOT / "config"))
    return engine


def main(argv: list[str]) -> None:
    digests = expected_digests()
    if "--write" in argv:
        if not SHARED.is_dir():
            sys.exit(f"{SHARED} is absent: the shared samples' digests cannot be written")
        EXPECTED.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {len(digests)} digests to {EXPECTED}")
        return
    for name, value in digests.items():
        print(value, name)


if __name__ == "__main__":
    main(sys.argv[1:])
