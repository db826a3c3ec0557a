"""A bad day: the whole ``tenderwatch run --once`` with every source down, as an operator would run it.

    python bench/outage.py                  # every source's connection refused (loopback, no server)
    python bench/outage.py --mode offline   # no rewrite: whatever this machine's network does to the real hosts
    python bench/outage.py --runs 2         # twice (the machine is shared: quote both and the load)

The project's own ``config/`` is copied to a temporary folder with mail going to a temporary outbox;
the database is a fresh SQLite file. In ``refused`` mode every ``http://`` and ``https://`` URL is
rewritten to a loopback port nothing listens on (``TENDERWATCH_URL_REWRITE``), so each request is
refused at once, as when a site's server is down. The command runs as a process of its own; the
figures are its wall time, its exit status, the administrator's health mails in the outbox, how many
sources each names, and whether a Python traceback reached the operator's terminal.

Beside it, the bare cost: one ``tenderwatch --help`` process (start-up alone), so the cycle's time
can be read as a multiple of what starting a single command costs on this machine now.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(folder: Path) -> tuple[Path, Path, int]:
    config = folder / "config"
    shutil.copytree(ROOT / "config", config)
    settings_path = config / "settings.yaml"
    settings = yaml.safe_load(settings_path.read_text(encoding="utf-8"))
    outbox = folder / "outbox"
    settings["mail"].update({"backend": "outbox", "outbox": str(outbox)})
    settings_path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    sources = yaml.safe_load((config / "sources.yaml").read_text(encoding="utf-8"))["sources"]
    enabled = sum(1 for s in sources if s.get("enabled", True))
    return config, outbox, enabled


def run_once(mode: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="tw-outage-") as tmp:
        folder = Path(tmp)
        config, outbox, enabled = prepare(folder)
        env = dict(os.environ, TENDERWATCH_CONFIG_DIR=str(config),
                   TENDERWATCH_DATABASE_URL=f"sqlite:///{folder / 'tw.db'}",
                   TENDERWATCH_SECRET_KEY="outage-bench-secret-0123456789abcdef", COLUMNS="100")
        if mode == "refused":
            port = closed_port()
            env["TENDERWATCH_URL_REWRITE"] = json.dumps({"https://": f"http://127.0.0.1:{port}/https/",
                                                          "http://": f"http://127.0.0.1:{port}/http/"})
        else:
            env.pop("TENDERWATCH_URL_REWRITE", None)
        command = [sys.executable, "-m", "tenderwatch", "run", "--once"]
        started = time.monotonic()
        proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                 for p in sorted(outbox.rglob("*.eml"))] if outbox.exists() else []
        health = [m for m in mails if m["X-Tenderwatch-Kind"] == "health"]
        names = [s["name"] for s in yaml.safe_load((config / "sources.yaml").read_text())["sources"]
                 if s.get("enabled", True)]
        body = "\n".join(m.get_body(("plain",)).get_content() for m in health)
        return {"wall": wall, "exit": proc.returncode, "sources": enabled, "health_mails": len(health),
                "named": sum(1 for n in names if n in body),
                "traceback": "Traceback" in proc.stdout + proc.stderr, "output": proc.stdout + proc.stderr}


def bare() -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "tenderwatch", "--help"], cwd=ROOT, capture_output=True, check=True)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("refused", "offline"), default="refused")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--show-output", action="store_true", help="print the command's output of the last run")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    base = bare()
    print(f"bare: one 'tenderwatch --help' process {base:.1f} s")
    result: dict[str, object] = {}
    for i in range(args.runs):
        result = run_once(args.mode)
        print(f"run {i + 1} ({args.mode}): {result['wall']:.1f} s wall ({float(result['wall']) / base:.1f}x bare), "
              f"exit {result['exit']}, {result['sources']} sources, {result['health_mails']} health mail(s) "
              f"naming {result['named']} source(s), traceback: {'yes' if result['traceback'] else 'no'}")
    if args.show_output:
        print(result["output"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
