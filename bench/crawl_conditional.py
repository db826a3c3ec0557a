"""Conditional requests: what a first crawl and an unchanged re-crawl of every source cost.

Serves the fixture pages on the loopback server, crawls every enabled organisation source (kinds
other than ``ted``) twice with the HTTP cache on (each crawl in its own process, as the scheduler
runs ``tenderwatch crawl --http-cache``; politeness delays off, as in the demo), and prints per
crawl the requests, 200s, 304s and body bytes the server sent. The first crawl is the baseline; the
ratio line shows what the re-crawl costs against it. An unchanged re-crawl must download no full
page: every listing answers 304 and no detail page is requested (rows unchanged on the listing keep
their stored record).

Run: ``.venv/bin/python bench/crawl_conditional.py``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tenderwatch.config import load_config  # noqa: E402
from tenderwatch.loopback import FixtureServer  # noqa: E402


def main() -> int:
    config = load_config(ROOT / "config")
    sources = [s for s in config.sources if s.enabled and s.kind != "ted"]
    hosts = sorted({urlparse(u).hostname or "" for s in sources for u in s.start_urls} - {""})
    server = FixtureServer().start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TENDERWATCH_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
               "TENDERWATCH_CONFIG_DIR": str(ROOT / "config")}
        rewrite = json.dumps(server.rewrite_for(*hosts))
        rows = []
        for label in ("first crawl", "unchanged re-crawl"):
            server.reset()
            cmd = [sys.executable, __file__, "--child", rewrite, f"{tmp}/cache", *[s.name for s in sources]]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(done.stdout[-3000:], done.stderr[-3000:])
                return 1
            rows.append((label, sum(server.requests.values()), server.statuses[200], server.statuses[304],
                         sum(server.bytes_sent.values())))
        server.stop()
    print(f"sources: {len(sources)} ({', '.join(s.name for s in sources)})")
    print(f"{'crawl':<20} {'requests':>9} {'200':>5} {'304':>5} {'body bytes':>11}")
    for label, req, ok, nm, size in rows:
        print(f"{label:<20} {req:>9} {ok:>5} {nm:>5} {size:>11}")
    base, again = rows[0], rows[1]
    print(f"ratio re-crawl/first: requests {again[1] / base[1]:.2f}, body bytes {again[4] / max(base[4], 1):.3f}")
    if again[2] or again[4]:
        print("FAIL: the unchanged re-crawl downloaded full pages")
        return 1
    return 0


def child(rewrite: str, cache: str, names: list[str]) -> int:
    """One crawl in this process (a Twisted reactor cannot be restarted)."""
    from spiders.runner import crawl_sources
    from tenderwatch.context import AppContext

    ctx = AppContext()
    engine = ctx.prepare_database()
    runs = crawl_sources(ctx.config, engine, names, url_rewrite=json.loads(rewrite), http_cache_dir=cache,
                         log_level="ERROR", extra_settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False})
    bad = [r for r in runs if r.status != "ok"]
    for r in bad:
        print(f"{r.source}: {r.status} {r.problems}")
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child(sys.argv[2], sys.argv[3], sys.argv[4:]))
    sys.exit(main())
