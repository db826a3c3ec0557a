"""A digest run killed (SIGKILL) after k of n messages: the rerun delivers exactly the other n - k.

The real command runs in a subprocess against the real SMTP server on loopback; the server kills
it when it asks to send message k + 1, i.e. after k messages were accepted and recorded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import select

from tenderwatch.config import load_config
from tenderwatch.db.engine import make_engine, session_scope
from tenderwatch.db.models import Delivery
from tests.alerts.support import SECRET, notice, store

ROOT = Path(__file__).resolve().parents[2]
N, K = 6, 2


def _command(config_dir: Path, db_url: str) -> list[str]:
    return [sys.executable, "-m", "tenderwatch", "--config", str(config_dir), "--database", db_url, "digest"]


def test_killed_after_k_of_n_then_rerun_delivers_exactly_n(tmp_path, config_dir, db_url, smtp):
    recorder, controller = smtp
    settings = yaml.safe_load((config_dir / "settings.yaml").read_text())
    settings["mail"].update(backend="smtp", smtp={"host": "127.0.0.1", "port": controller.port, "security": "none",
                                                  "timeout_seconds": 5})
    (config_dir / "settings.yaml").write_text(yaml.safe_dump(settings))
    companies = [{"key": f"c{i}", "name": f"Company {i}", "recipients": [f"c{i}@example.nl"], "country": "NL",
                  "areas": ["cryogenics"]} for i in range(N)]
    (config_dir / "companies.yaml").write_text(yaml.safe_dump({"companies": companies}))
    env = dict(os.environ, TENDERWATCH_SECRET_KEY=SECRET, PYTHONPATH=str(ROOT))

    # the database, with one open call every company matches
    subprocess.run([*_command(config_dir, db_url)[:-1], "db", "upgrade"], check=True, env=env, cwd=tmp_path,
                   capture_output=True)
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    store(engine, load_config(config_dir), [notice("k1", "Helium cryostat", areas=["cryogenics"], now=now)], now=now)

    proc = subprocess.Popen(_command(config_dir, db_url), env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    recorder.fail_after = K
    recorder.on_fail = lambda: os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert len(recorder.received) == K
    with session_scope(engine) as s:
        statuses = sorted(s.scalars(select(Delivery.status)))
    assert statuses == ["pending"] * (N - K) + ["sent"] * K

    recorder.fail_after = recorder.on_fail = None
    rerun = subprocess.run(_command(config_dir, db_url), check=False, env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{N - K} sent" in rerun.stdout
    recipients = sorted(r.rcpt_tos[0] for r in recorder.received)
    assert recipients == sorted(f"c{i}@example.nl" for i in range(N))  # exactly n, nobody twice

    third = subprocess.run(_command(config_dir, db_url), check=False, env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert third.returncode == 0 and "0 sent" in third.stdout
    assert len(recorder.received) == N
    engine.dispose()
