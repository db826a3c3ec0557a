"""Rejected input is kept with where, why and the raw bytes, and can be re-processed after a fix.

Through the real command line: ``tenderwatch import`` rejects what it cannot store, ``rejects
list`` shows it, ``rejects show`` gives the raw input back byte for byte, and ``rejects retry``
stores what a fix made acceptable, leaves the rest open (with the reason) and never multiplies
reject rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from tenderwatch.cli import app, load_commands
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice, Reject
from tests.reliability.figures import Figures

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<ContractNotice>&lol2;</ContractNotice>
"""


def cli(*args: str):
    load_commands()
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, config_dir: Path, db_url: str, engine, tmp_path: Path) -> None:
    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("TENDERWATCH_DATABASE_URL", db_url)
    monkeypatch.setenv("TENDERWATCH_REJECTS_DIR", str(tmp_path / "rejects"))


def line(uid: str, source: str, title: str) -> str:
    return json.dumps({"id": uid, "source": source, "title": title, "technology_areas": []})


def test_rejects_are_kept_listed_shown_and_retried(cli_env, engine, tmp_path: Path, figures: Figures) -> None:
    first = tmp_path / "first.jsonl"
    first.write_text(line("tw-conflict", "src-a", "A stale test entry") + "\n", encoding="utf-8")
    assert cli("import", str(first)).exit_code == 0

    broken = '{"id": "tw-broken", "source": "src-b", "title": "Unclosed'  # not JSON
    second = tmp_path / "second.jsonl"
    second.write_text("\n".join([line("tw-ok", "src-b", "Fine call"), broken,
                                 line("tw-conflict", "src-b", "The real call")]) + "\n", encoding="utf-8")
    (tmp_path / "bomb.xml").write_bytes(BOMB)
    with figures.fault("rejects kept and re-processable", "bad JSON line, uid conflict, entity bomb"):
        result = cli("import", str(second), str(tmp_path / "bomb.xml"))
        assert result.exit_code == 1
        with session_scope(engine) as s:
            rejects = {r.location: r for r in s.scalars(select(Reject))}
            for r in rejects.values():
                s.expunge(r)
        assert set(rejects) == {f"{second}:2", "src-b:tw-conflict", str(tmp_path / "bomb.xml")}, set(rejects)
        assert rejects[f"{second}:2"].raw.rstrip("\n") == broken and "not valid JSON" in rejects[f"{second}:2"].reason
        assert "entity" in rejects[str(tmp_path / "bomb.xml")].reason
        assert rejects[str(tmp_path / "bomb.xml")].raw.encode() == BOMB
        assert "could not store" in rejects["src-b:tw-conflict"].reason

        listing = cli("rejects", "list")
        assert listing.exit_code == 0 and "Rejects (3 open)" in listing.output and "import" in listing.output
        shown = cli("rejects", "show", str(rejects[f"{second}:2"].id))
        assert shown.exit_code == 0 and shown.stdout.rstrip("\n") == broken

        # before the fix: nothing goes through, nothing is multiplied
        again = cli("rejects", "retry")
        assert again.exit_code == 1 and "0 re-processed" in again.output
        # the fix: the stale test entry that held the uid is removed; the conflicting record now goes in
        with session_scope(engine) as s:
            s.execute(delete(Notice).where(Notice.uid == "tw-conflict"))
        fixed = cli("rejects", "retry")
        assert fixed.exit_code == 1 and "1 re-processed and stored, 2 still rejected" in fixed.output
        with session_scope(engine) as s:
            assert s.scalar(select(Notice.title).where(Notice.uid == "tw-conflict")) == "The real call"
            assert s.scalar(select(func.count()).select_from(Reject)) == 3
            assert s.scalar(select(func.count()).select_from(Reject).where(Reject.reprocessed_at.is_(None))) == 2
        assert "Rejects (2 open)" in cli("rejects", "list").output
        with session_scope(engine) as s:
            stored = set(s.scalars(select(Notice.uid)))
    figures.count("notices", "rejected then retried", lost=len({"tw-ok", "tw-conflict"} - stored))
