"""A digest run killed (SIGKILL) mid-run: the rerun delivers exactly what was not delivered, nothing twice.

The real command runs in a subprocess. Over SMTP (a real server on loopback) the server kills it
when it asks to send message k + 1, i.e. after k messages were accepted and recorded: in one batch,
and in the second of several batches (rows written in bulk, batch by batch). Into the outbox, the
test kills it as soon as k files are there, wherever it is (writing a batch's files, marking them,
rendering the next batch): each mail must end up in the outbox once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from alerts.message import parse
from tenderwatch.config import load_config
from tenderwatch.db.engine import make_engine, session_scope
from tenderwatch.db.models import Delivery
from tests.alerts.support import SECRET, notice, store

ROOT = Path(__file__).resolve().parents[2]
N, K = 6, 2


def _command(config_dir: Path, db_url: str) -> list[str]:
    return [sys.executable, "-m", "tenderwatch", "--config", str(config_dir), "--database", db_url, "digest"]


def _world(tmp_path: Path, config_dir: Path, db_url: str, companies: int, **mail: object) -> dict[str, str]:
    """Config with ``companies`` companies and the mail settings given; a database with one call all match."""
    settings = yaml.safe_load((config_dir / "settings.yaml").read_text())
    settings["mail"].update(mail)
    (config_dir / "settings.yaml").write_text(yaml.safe_dump(settings))
    rows = [{"key": f"c{i}", "name": f"Company {i}", "recipients": [f"c{i}@example.nl"], "country": "NL",
             "areas": ["cryogenics"]} for i in range(companies)]
    (config_dir / "companies.yaml").write_text(yaml.safe_dump({"companies": rows}))
    env = dict(os.environ, TENDERWATCH_SECRET_KEY=SECRET, PYTHONPATH=str(ROOT))
    subprocess.run([*_command(config_dir, db_url)[:-1], "db", "upgrade"], check=True, env=env, cwd=tmp_path,
                   capture_output=True)
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    store(engine, load_config(config_dir), [notice("k1", "Helium cryostat", areas=["cryogenics"], now=now)], now=now)
    engine.dispose()
    return env


def _statuses(db_url: str) -> Counter[str]:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        statuses = Counter(s.scalars(select(Delivery.status)))
    engine.dispose()
    return statuses


@pytest.mark.parametrize("batch_size", [200, 3], ids=["one batch", "batches of 3"])
def test_killed_after_k_of_n_then_rerun_delivers_exactly_n(tmp_path, config_dir, db_url, smtp, batch_size):
    recorder, controller = smtp
    env = _world(tmp_path, config_dir, db_url, N, backend="smtp", batch_size=batch_size,
                 smtp={"host": "127.0.0.1", "port": controller.port, "security": "none", "timeout_seconds": 5})
    k = K if batch_size >= N else batch_size + 1  # in the second batch

    proc = subprocess.Popen(_command(config_dir, db_url), env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    recorder.fail_after = k
    recorder.on_fail = lambda: os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert len(recorder.received) == k
    statuses = _statuses(db_url)
    assert statuses["sent"] == k  # each accepted mail was marked as it was accepted
    # the rows of the batches written so far; later companies are not in the ledger yet
    assert set(statuses) <= {"sent", "pending"} and statuses["pending"] == min(N, -(-k // batch_size) * batch_size) - k

    recorder.fail_after = recorder.on_fail = None
    rerun = subprocess.run(_command(config_dir, db_url), check=False, env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{N - k} sent" in rerun.stdout
    recipients = sorted(r.rcpt_tos[0] for r in recorder.received)
    assert recipients == sorted(f"c{i}@example.nl" for i in range(N))  # exactly n, nobody twice

    third = subprocess.run(_command(config_dir, db_url), check=False, env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert third.returncode == 0 and "0 sent" in third.stdout
    assert len(recorder.received) == N
    assert _statuses(db_url) == {"sent": N}


def test_killed_while_writing_the_outbox_then_rerun_leaves_each_mail_once(tmp_path, config_dir, db_url):
    companies, seen = 40, 12
    outbox = tmp_path / "outbox"
    env = _world(tmp_path, config_dir, db_url, companies, backend="outbox", outbox=str(outbox), batch_size=5)
    proc = subprocess.Popen(_command(config_dir, db_url), env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    at_kill: list[int] = []

    def watch() -> None:
        while proc.poll() is None:
            emls = len(list(outbox.rglob("*.eml"))) if outbox.exists() else 0
            if emls >= seen:
                os.kill(proc.pid, signal.SIGKILL)
                at_kill.append(emls)
                return
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    proc.communicate(timeout=180)
    watcher.join()
    assert proc.returncode == -signal.SIGKILL and at_kill and at_kill[0] < companies
    assert _statuses(db_url)["sent"] < companies

    rerun = subprocess.run(_command(config_dir, db_url), check=False, env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    emls = sorted(outbox.rglob("*.eml"))
    recipients = Counter(str(parse(p.read_bytes())["To"]).rsplit("<", 1)[-1].strip(">") for p in emls)
    assert recipients == {f"c{i}@example.nl": 1 for i in range(companies)}  # each once, none missing
    assert _statuses(db_url) == {"sent": companies}
    index = (outbox / "index.html").read_text()
    assert all(index.count(p.relative_to(outbox).as_posix()) == 1 for p in emls)
