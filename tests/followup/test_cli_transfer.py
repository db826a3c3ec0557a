"""``tenderwatch follow-up`` on a real database, and the move of a SQLite database to another database
(PostgreSQL when ``TENDERWATCH_TEST_DATABASE_URL`` is set, as in CI) through the JSON lines exports:
notices with ``export``/``import``, follow-ups with their history and bidder lists with
``follow-up export --format jsonl``/``follow-up import``. The moved follow-ups are the same, line for line."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tenderwatch.cli import main
from tenderwatch.config import Config
from tenderwatch.db.engine import make_engine, session_scope
from tenderwatch.db.migrate import upgrade
from tenderwatch.db.models import FollowUp, FollowUpChange, Notice, Reject
from tenderwatch.followup.bidders import record_bidders
from tenderwatch.followup.records import Actor, add_company, change_state, find_company
from tenderwatch.sync import sync_config
from tests.alerts.support import NOW, notice, store


def cli(capsys: pytest.CaptureFixture[str], config: Config, url: str, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(["--config", str(config.directory), "--database", url, *args])
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def fill(engine: Engine, config: Config) -> dict[str, str]:
    """Three calls, follow-ups in several states with history, a company added with a reason, a bidder list."""
    store(engine, config, [
        notice("F-1", "Cryostat for a magnet test stand", areas=["cryogenics"]),
        notice("F-2", "UHV vacuum chamber", organisation="ESS", areas=["vacuum"]),
        notice("F-3", "Superconducting magnet coils", areas=["magnets"], days=3),
    ])
    with session_scope(engine) as s:
        calls = {n.reference: n.call_uid for n in s.scalars(select(Notice))}
        c1, c2, c3 = calls["REF-F-1"], calls["REF-F-2"], calls["REF-F-3"]
        ilo = Actor("ilo", "anna")

        def go(call: str, key: str, *states: str, **kw: object) -> None:
            for i, state in enumerate(states):
                change_state(s, call_uid=call, company=find_company(s, key), state=state,
                             actor=kw.get("actor", ilo), now=NOW + timedelta(hours=i),  # type: ignore[arg-type]
                             **{k: v for k, v in kw.items() if k != "actor"})  # type: ignore[arg-type]

        go(c1, "cryovac-delft", "informed", "interested", "bid_submitted", note="PO promised")
        go(c1, "cryovac-delft", "won", value=Decimal("125000.50"), currency="CHF")
        go(c2, "cryovac-delft", "not_interested", actor=Actor("company", "cryovac-delft"), reason="too_big")
        go(c3, "twente-precision", "interested", actor=Actor("company", "twente-precision"))
        add_company(s, call_uid=c3, company=find_company(s, "groningen-rf"), why="they wind coils too", actor=ilo,
                    now=NOW)
        record_bidders(s, c1, [("Air Liquide", "FR"), ("CryoVac Delft B.V.", "NL")], by="anna", now=NOW)
    return {"cern": c1, "ess": c2, "soon": c3}


def test_list_set_and_export_from_the_command_line(engine: Engine, config: Config, db_url: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    calls = fill(engine, config)
    code, out, _ = cli(capsys, config, db_url, "follow-up", "list", "--all")
    assert code == 0 and "won" in out and "Cryostat for a magnet" in out and "groningen-rf" in out
    code, out, _ = cli(capsys, config, db_url, "follow-up", "list", "--ilo", "ilo-np@example.nl", "--all")
    assert code == 0 and "UHV vacuum chamber" in out and "Cryostat" not in out  # ESS only: the scope rule
    code, _, err = cli(capsys, config, db_url, "follow-up", "set", calls["soon"], "twente-precision", "won")
    assert code == 2 and "needs a bid" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, config, db_url, "follow-up", "set", calls["ess"], "photon-optics-eindhoven",
                       "proposed")
    assert code == 2 and "does not match this call" in err and "--why" in err
    code, out, _ = cli(capsys, config, db_url, "follow-up", "set", calls["soon"], "twente-precision",
                       "bid-submitted", "--by", "bert", "--note", "sent by courier")
    assert code == 0 and "interested → bid submitted" in out
    code, out, _ = cli(capsys, config, db_url, "follow-up", "export", "--all", "--area", "magnets")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {(r["company_key"], r["state"], r["changed_by"]) for r in rows} == {
        ("twente-precision", "bid_submitted", "bert"), ("groningen-rf", "suggested", "anna")}
    code, out, _ = cli(capsys, config, db_url, "follow-up", "answers")
    assert code == 0 and "Vacuum" in out and "too big 1" in out


def test_sqlite_to_another_database_keeps_every_follow_up(engine: Engine, config: Config, db_url: str,
                                                          tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``engine`` is the target (PostgreSQL in CI's second run); the source is always a SQLite file."""
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    source = make_engine(source_url)
    upgrade(source)
    with session_scope(source) as s:
        sync_config(s, config)
    fill(source, config)
    notices, follow_ups = tmp_path / "notices.jsonl", tmp_path / "follow-up.jsonl"
    assert cli(capsys, config, source_url, "export", "--output", str(notices))[0] == 0
    exported = cli(capsys, config, source_url, "follow-up", "export", "--format", "jsonl", "--output", str(follow_ups))
    assert exported[0] == 0
    lines = [json.loads(line) for line in follow_ups.read_text().splitlines()]
    assert [line["record"] for line in lines].count("follow-up") == 4
    assert [line["record"] for line in lines].count("bidder") == 2

    early = cli(capsys, config, db_url, "follow-up", "import", str(follow_ups))  # before the calls exist
    assert early[0] == 1 and "is not in this database (import the notices first)" in early[2]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(FollowUp)) == 0
        assert s.scalar(select(func.count()).select_from(Reject).where(Reject.stage == "follow-up-import")) == 6
    assert cli(capsys, config, db_url, "import", str(notices))[0] == 0
    code, out, err = cli(capsys, config, db_url, "follow-up", "import", str(follow_ups))
    assert code == 0, err
    assert "4 new" in out and "2 bidder-list entries" in out
    again = cli(capsys, config, db_url, "follow-up", "import", str(follow_ups))
    assert again[0] == 0 and "4 unchanged" in again[1] and "0 bidder-list entries" in again[1]

    moved = tmp_path / "moved.jsonl"
    assert cli(capsys, config, db_url, "follow-up", "export", "--format", "jsonl", "--output", str(moved))[0] == 0
    assert moved.read_text() == follow_ups.read_text()  # the same follow-ups, histories and bidders
    with session_scope(engine) as s:
        won = s.scalar(select(FollowUp).where(FollowUp.state == "won"))
        assert won is not None and (won.value_amount, won.value_currency) == (Decimal("125000.50"), "CHF")
        assert [c.to_state for c in won.changes] == ["informed", "interested", "bid_submitted", "won"]
        assert s.scalar(select(func.count()).select_from(FollowUpChange)) == 7


def test_import_extends_a_history_and_refuses_a_diverging_one(engine: Engine, config: Config, db_url: str,
                                                              tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    calls = fill(engine, config)
    path = tmp_path / "f.jsonl"
    assert cli(capsys, config, db_url, "follow-up", "export", "--format", "jsonl", "--output", str(path))[0] == 0
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    soon = next(line for line in lines
                if line.get("call_id") == calls["soon"] and line["company"] == "twente-precision")
    extended = dict(soon, state="bid_submitted", history=[*soon["history"], {
        "at": (NOW + timedelta(days=1)).isoformat(), "actor": "ilo", "by": "bert", "from": "interested",
        "to": "bid_submitted", "note": None, "reason": None, "value": None}])
    diverging = dict(soon, history=[dict(soon["history"][0], by="someone else")])
    broken = ['{"record": "follow-up", "id": 5', json.dumps({"record": "invoice"}),
              json.dumps(dict(soon, id="x" * 20, company="nobody"))]
    path.write_text("\n".join([json.dumps(extended), json.dumps(diverging), *broken]) + "\n")
    code, out, err = cli(capsys, config, db_url, "follow-up", "import", str(path))
    assert code == 1 and "1 with new changes" in out and "4 rejected" in out
    assert f"{path}:2: follow-up {soon['id']} has another history here" in err
    assert f"{path}:3: not JSON" in err and "unknown record 'invoice'" in err and "company 'nobody'" in err
    with session_scope(engine) as s:
        fu = s.scalar(select(FollowUp).where(FollowUp.uid == soon["id"]))
        assert fu is not None and fu.state == "bid_submitted" and fu.changes[-1].by == "bert"
