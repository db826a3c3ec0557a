"""What a newcomer does after ``make demo``: the one documented command (``make serve-demo``, that is
``tenderwatch serve --demo``) serves the demo's database with the demo's secret; in Chromium the demo's
calls and a call page show, the printed ILO sign-in opens the ILO's first page, and a preferences
link from a demo digest opens that company's preferences, in its language.

Both commands run as separate processes, as a newcomer runs them (no secret in the environment: the
demo makes its own next to its folder); the demo's site is on a free port so that the test never
meets a server someone else runs on 8000.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_browser import CHROMIUM, _in_thread, follow, new_page, shot

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def in_chromium():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser-deps installs it)")
    return _in_thread


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tenderwatch(*args: str) -> list[str]:
    return [sys.executable, "-m", "tenderwatch", "--config", str(ROOT / "config"), *args]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """``tenderwatch demo`` then ``tenderwatch serve --demo``: the site's address, the demo folder, and
    what both printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENDERWATCH_")}
    folder, port = tmp_path / "var" / "demo", _free_port()
    made = subprocess.run(_tenderwatch("demo", "--folder", str(folder), "--port", str(port)), cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert made.returncode == 0, made.stdout + made.stderr
    server = subprocess.Popen(_tenderwatch("serve", "--demo", "--demo-folder", str(folder)), cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None and time.monotonic() < deadline, "serve --demo did not start"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", folder, made.stdout
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert "sign in as demo-ilo" in " ".join(out.split())


def _preferences_link(folder: Path, company_mail: str) -> str:
    path = next((folder / "outbox").rglob(f"*{company_mail}*.eml"))
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    return re.findall(r"https?://\S+/preferences/[\w.\-]+", text)[0]


def test_the_demo_in_a_browser(in_chromium, demo) -> None:
    site, folder, printed = demo
    said = " ".join(printed.split())
    assert f"serve --demo --demo-folder {folder}" in said and f"{site}/calls" in said
    password = re.search(r"sign in as demo-ilo, password (\S+)", said).group(1)  # type: ignore[union-attr]
    dutch_link = _preferences_link(folder, "sales-cryovac-delft")  # CryoVac Delft's profile is in Dutch
    english_link = _preferences_link(folder, "tenders-photon-optics")
    assert dutch_link.startswith(site) and english_link.startswith(site)  # the mails link to the demo's site

    def scenario(browser) -> None:  # type: ignore[no-untyped-def]
        page = new_page(browser)
        page.goto(f"{site}/calls")
        assert page.locator("table.calls tbody tr").count() >= 20
        shot(page, "demo-calls")
        follow(page, page.locator("table.calls tbody tr").first.locator("a").first)
        assert "/calls/" in page.url and page.locator("h1").inner_text()
        assert page.get_by_text("Stages").count() >= 1
        shot(page, "demo-call")

        page.goto(f"{site}/ilo/")
        assert "/login" in page.url
        page.fill("#username", "demo-ilo")
        page.fill("#password", password)
        page.click("main form button[type=submit]")
        assert page.url.endswith("/ilo/")
        assert page.locator("h2#h-new").inner_text().startswith("New calls")
        assert page.locator("#h-new + table tbody tr").count() >= 10
        assert page.locator("h2#h-closing").count() == 1 and page.locator("h2#h-searches").count() == 1
        shot(page, "demo-ilo-home")

        page.goto(dutch_link)
        assert page.locator("h1").inner_text() == "Uw attenderingsvoorkeuren"
        assert page.locator("#area-cryogenics").is_checked()
        shot(page, "demo-preferences-nl")
        page.goto(english_link)
        assert page.locator("h1").inner_text() == "Your alert preferences"

    in_chromium(scenario)
