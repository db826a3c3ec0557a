"""The web commands (serve refuses without a secret; users and links) and the Dutch wording."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tenderwatch.web.i18n import NL
from tenderwatch.web.users import authenticate

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "tenderwatch" / "web" / "templates"


def _cli(config_dir: Path, db_url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tenderwatch", "--config", str(config_dir), "--database", db_url,
                           *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)


def test_serve_refuses_to_start_without_a_secret_key(config_dir, db_url, config) -> None:
    env = {k: v for k, v in os.environ.items() if k != config.settings.secret_key_env}
    done = _cli(config_dir, db_url, "serve", "--port", "0", env=env)
    assert done.returncode == 1
    assert f"set the environment variable {config.settings.secret_key_env}" in " ".join(done.stderr.split())


def test_create_admin_and_links(config_dir, db_url, engine, config) -> None:
    env = {**os.environ, "TENDERWATCH_NEW_PASSWORD": "a long admin password", config.settings.secret_key_env:
           "cli-test-secret-0123456789abcdef"}
    done = _cli(config_dir, db_url, "users", "create-admin", "boss", env=env)
    assert done.returncode == 0, done.stderr
    user = authenticate(engine, "boss", "a long admin password")
    assert user is not None and user.role == "admin"
    assert authenticate(engine, "boss", "wrong") is None
    again = _cli(config_dir, db_url, "users", "create-admin", "boss", env=env)
    assert again.returncode == 1 and "exists" in again.stderr
    short = _cli(config_dir, db_url, "users", "add", "shorty", env={**env, "TENDERWATCH_NEW_PASSWORD": "short"})
    assert short.returncode == 1 and "10 characters" in short.stderr
    links = _cli(config_dir, db_url, "links", "cryovac-delft", env=env)
    assert links.returncode == 0, links.stderr
    base = config.settings.site_base_url
    assert re.search(rf"preferences\s+{re.escape(base)}/preferences/\S+", links.stdout)
    assert re.search(rf"unsubscribe\s+{re.escape(base)}/u/\S+", links.stdout)
    assert re.search(rf"calendar\s+{re.escape(base)}/calendar/company/\S+\.ics", links.stdout)


def test_every_template_text_has_a_dutch_translation() -> None:
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r'\bt\("([^"]+)"', path.read_text(encoding="utf-8")))
    assert len(used) > 60
    missing = sorted(text for text in used if text not in NL)
    assert not missing, f"no Dutch for: {missing}"
