"""The weekly digest run, delivery included: 10k and 50k companies against 5,000 open calls.

Each size and mode runs in a fresh child process on a fresh database (SQLite in a temporary folder,
or ``--database`` PostgreSQL, one new schema per child) filled by ``tests/alerts/scale.py`` (issue
19's shape: companies with 2-4 areas, keywords, CPV prefixes and organisation filters; a median of
about 86 matching calls per company). Then, timed:

- ``outbox``: ``run_digests`` for the week, to the outbox folder with the ledger: matching, rendering,
  ledger rows, .eml files, previews and the outbox index;
- ``smtp-stock``: the same run delivering to an SMTP server on loopback, aiosmtpd as it is shipped
  (its stock ``Controller`` and ``SMTP`` with a handler that accepts and discards, in its own
  process) over ``--connections`` connections per batch (default 1, as ``mail.smtp.connections``),
  and the run's delivery alone (mails/s over the time spent sending), with the server's own CPU
  and lines a mail (its DATA loop reads a mail line by line: its cost goes by lines); the server
  must have accepted exactly the mails and bytes the ledger says were sent;
- ``smtp``: the same with aiosmtpd reading the message after DATA whole rather than line by line
  (``smtp_sink``): what Tenderwatch's side of the conversation costs when the server is not the limit;
- ``bare``: the floor, a bare Jinja2 render of the same rows (each company's listed calls through a
  minimal table template, the matching done before the clock starts).

Printed per size: seconds (wall and CPU of the one process), mails/s, the ratio to the bare render,
peak memory, database growth and outbox bytes per delivered mail, the largest mail, and the load
average (the machine may be shared: compare ratios, and run twice). Targets (issue 19): 10,000
companies to the outbox in under 60 s on one core, linear to 50,000; SMTP delivery >= 200 mails/s
to aiosmtpd as shipped over one connection per batch.

    .venv/bin/python bench/digest_delivery.py [--sizes 10000,50000] [--notices 5000]
                                              [--modes outbox,smtp-stock,bare] [--connections 1]
                                              [--database postgresql+psycopg://...] [--profile FILE]
                                              [--calendar attachment|link] (modes: outbox, smtp-stock, smtp, bare)

``--calendar link`` runs with ``digest.calendar: link`` (a link to the company's calendar instead of the
.ics attachment, about 1,000 of a digest's 1,600 lines).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2025, 6, 4, 8, tzinfo=UTC)
"""A Wednesday of ISO week 2025-W23: every generated call was first seen within the digest's week."""
BARE = """<table>{% for r in rows %}<tr><td><a href="{{ r.url }}">{{ r.title }}</a></td><td>{{ r.organisation }} \
{{ r.reference }}</td><td>{{ r.deadline }}</td></tr>
{% endfor %}</table>
{% for r in rows %}* {{ r.title }} {{ r.organisation }} {{ r.reference }} {{ r.deadline }} {{ r.url }}
{% endfor %}"""
"""The bare render: each listed call's title, link, organisation, reference and deadline, as HTML and text."""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _database(url: str | None, folder: Path) -> str:
    if not url:
        return f"sqlite:///{folder}/bench.db"
    from sqlalchemy import text

    from tenderwatch.db.engine import make_engine

    schema = "bench_" + uuid.uuid4().hex[:10]
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _database_bytes(engine: Any) -> int:
    from sqlalchemy import text

    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return int(conn.execute(text(  # pages in use (a pruned body's pages go on the free list)
                "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, pragma_freelist_count, "
                "pragma_page_size")).scalar())
        return int(conn.execute(text(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
            "AND c.relkind IN ('r', 'm')")).scalar())


def _folder_bytes(folder: Path) -> tuple[int, int]:
    sizes = [p.stat().st_size for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    return sum(sizes), len(sizes)


def smtp_sink(stock: bool) -> None:
    """An SMTP server on a loopback port that accepts every message and keeps nothing (its own process):
    aiosmtpd, its session and commands as they are; unless ``stock``, the message after DATA is read as
    a whole (up to the CRLF.CRLF that ends it, then un-dot-stuffed as RFC 5321 4.5.2 says) instead of
    line by line: aiosmtpd's line loop costs 4-5 ms of CPU for a digest's 1,900 lines, a server of
    its own that Tenderwatch never runs against (a real MTA takes a mail in a fraction of that)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class Sink:
        count = 0
        bytes = 0
        lines = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
            Sink.count += 1
            Sink.bytes += len(envelope.original_content)
            Sink.lines += envelope.original_content.count(b"\n")
            return "250 2.0.0 accepted"

    class WholeData(SMTP):
        async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's command method
            assert self.envelope is not None
            if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
                return
            if not self.envelope.rcpt_tos:
                await self.push("503 Error: need RCPT command")
                return
            if arg:
                await self.push("501 Syntax: DATA")
                return
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            data = bytearray()
            while not (data.endswith(b"\r\n.\r\n") or data == b".\r\n"):
                chunk = await self._reader.read(1 << 16)  # the client waits for our reply: nothing follows the dot
                if not chunk:
                    return
                data += chunk
            body = bytes(data[:-3]).replace(b"\r\n..", b"\r\n.")
            body = body[1:] if body.startswith(b"..") else body
            self.envelope.content = self.envelope.original_content = body
            status = await self._call_handler_hook("DATA")
            self._set_post_data_state()
            await self.push(status)

    class Loopback(Controller):
        def _trigger_server(self) -> None:
            assert self.server is not None
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

        def factory(self) -> SMTP:
            return SMTP(self.handler, **self.SMTP_kwargs) if stock else WholeData(self.handler, **self.SMTP_kwargs)

    controller = Loopback(Sink(), hostname="127.0.0.1", port=0, data_size_limit=0)
    controller.start()
    print(controller.port, flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin
    finally:
        controller.stop()
        print(json.dumps({"accepted": Sink.count, "bytes": Sink.bytes, "lines": Sink.lines, "cpu": _cpu()}),
              flush=True)


def child(size: int, notices: int, mode: str, database: str | None, profile: str | None,
          connections: int, calendar: str = "attachment") -> dict[str, Any]:
    os.environ.setdefault("TENDERWATCH_SECRET_KEY", "bench-secret-not-for-production-use")
    from alerts.digest import run_digests
    from alerts.ledger import prune
    from tenderwatch.config import load_config
    from tenderwatch.db.engine import make_engine
    from tests.alerts.scale import populate, prepare

    with tempfile.TemporaryDirectory(prefix="tw-digest-bench-") as tmp:
        folder = Path(tmp)
        config = load_config(ROOT / "config")
        config.companies = []
        config.settings.digest.calendar = calendar  # type: ignore[assignment]
        mail = config.settings.mail
        mail.outbox = str(folder / "outbox")
        engine = make_engine(_database(database, folder))
        prepare(engine, config)
        populate(engine, config, companies=size, notices=notices, now=NOW)
        before = _database_bytes(engine)
        sink = None
        if mode in ("smtp", "smtp-stock"):
            sink = subprocess.Popen([sys.executable, __file__, "--smtp-sink", mode], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True)
            assert sink.stdout is not None
            mail.backend = "smtp"
            mail.smtp.host, mail.smtp.port, mail.smtp.security = "127.0.0.1", int(sink.stdout.readline()), "none"
            mail.smtp.connections = connections
        if mode == "bare":
            return bare(engine, config, size)
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        cpu, start = _cpu(), time.perf_counter()
        sink_report: dict[str, Any] = {}
        try:
            report = run_digests(engine, config, now=NOW)
        finally:
            if sink is not None:
                sink.stdin.close()  # type: ignore[union-attr]
                sink_report = json.loads(sink.stdout.read().strip().splitlines()[-1])  # type: ignore[union-attr]
                sink.wait(10)
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
        if sink is not None and (sink_report["accepted"], sink_report["bytes"]) != (
                report.delivery.sent, report.delivery.bytes):
            raise SystemExit(f"the server accepted {sink_report['accepted']} mails ({sink_report['bytes']} bytes), "
                             f"the ledger says {report.delivery.sent} sent ({report.delivery.bytes} bytes)")
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        outbox_bytes, outbox_files = _folder_bytes(folder / "outbox")
        sent = report.delivery.sent
        grown = _database_bytes(engine) - before
        # the ledger once the bodies are past mail.retention_days (what it keeps for mail.ledger_days)
        prune(engine, config, now=NOW + timedelta(days=mail.retention_days + 1))
        kept = _database_bytes(engine) - before
        return {"mode": mode, "companies": size, "seconds": seconds, "cpu": cpu, "mails": sent,
                "bytes": report.delivery.bytes,
                "failed": report.failed, "peak_mb": peak_mb, "db_growth": grown, "db_kept": kept,
                "outbox_bytes": outbox_bytes, "outbox_files": outbox_files,
                "deliver_seconds": report.delivery.seconds, "deliver_cpu": report.delivery.cpu_seconds,
                "sink_cpu": sink_report.get("cpu"), "sink_accepted": sink_report.get("accepted"),
                "sink_lines": sink_report.get("lines"),
                "largest": report.delivery.largest, "listed": report.listed}


def bare(engine: Any, config: Any, size: int) -> dict[str, Any]:
    """The same companies' listed rows through a bare template (the matching is done before the clock)."""
    from jinja2 import Environment

    from alerts.digest import MAX_LISTED
    from alerts.facts import load_companies, load_open_notices
    from alerts.matching import NoticeIndex
    from tenderwatch.db.engine import session_scope

    with session_scope(engine) as s:
        notices = load_open_notices(s, NOW)
        companies = load_companies(s, "weekly")
    index = NoticeIndex(notices)
    work = [[{"title": m.notice.title, "url": m.notice.url, "organisation": m.notice.organisation,
              "reference": m.notice.reference, "deadline": m.notice.deadline_at.isoformat()}
             for m in index.match(c)[:MAX_LISTED]] for c in companies]
    template = Environment(autoescape=True).from_string(BARE)
    cpu, start = _cpu(), time.perf_counter()
    for rows in work:
        template.render(rows=rows)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    return {"mode": "bare", "companies": size, "seconds": seconds, "cpu": cpu, "mails": sum(1 for r in work if r),
            "listed": sum(len(r) for r in work), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--notices", type=int, default=5000)
    parser.add_argument("--modes", default="outbox,smtp-stock,bare")
    parser.add_argument("--database", help="a PostgreSQL URL (each child makes its own schema); default SQLite")
    parser.add_argument("--profile", metavar="FILE", help="cProfile each timed run into FILE.<mode>.<size>")
    parser.add_argument("--connections", type=int, default=1, help="mail.smtp.connections of the smtp modes")
    parser.add_argument("--calendar", choices=["attachment", "link"], default="attachment",
                        help="digest.calendar: the .ics attachment (the default) or a link to the company's calendar")
    parser.add_argument("--child", nargs=2, metavar=("COMPANIES", "MODE"), help=argparse.SUPPRESS)
    parser.add_argument("--smtp-sink", choices=["smtp", "smtp-stock"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smtp_sink:
        smtp_sink(stock=args.smtp_sink == "smtp-stock")
        return
    if args.child:
        result = child(int(args.child[0]), args.notices, args.child[1], args.database, args.profile, args.connections,
                       args.calendar)
        print(json.dumps(result))
        return
    backend = "PostgreSQL" if args.database else "SQLite"
    print(f"weekly digest run, {args.notices} open calls, {backend}, one process per size and mode; "
          f"load average at start {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"smtp modes over mail.smtp.connections = {args.connections}; digest.calendar = {args.calendar}")
    print(f"{'mode':>7} {'companies':>9} {'mails':>7} | {'wall s':>7} {'cpu s':>7} {'mails/s':>8} {'x bare':>7} | "
          f"{'deliver/s':>9} {'peak MB':>8} {'db B/mail':>9} {'outbox B/mail':>13} {'largest':>9} | {'load':>5}")
    per_company: dict[str, list[float]] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        results: dict[str, dict[str, Any]] = {}
        for mode in ["bare", *[m for m in args.modes.split(",") if m != "bare"]]:
            cmd = [sys.executable, __file__, "--notices", str(args.notices), "--connections", str(args.connections),
                   "--calendar", args.calendar, "--child", str(size), mode]
            if args.database:
                cmd += ["--database", args.database]
            if args.profile:
                cmd += ["--profile", f"{args.profile}.{mode}.{size}"]
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise SystemExit(f"{mode} {size} failed:\n{out.stderr[-3000:]}")
            r = results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
            bare_cpu = results["bare"]["cpu"]
            mails = max(r["mails"], 1)
            deliver = f"{r['mails'] / r['deliver_seconds']:>9.0f}" if r.get("deliver_seconds") else f"{'':>9}"
            db = f"{r['db_growth'] / mails:>9.0f}" if "db_growth" in r else f"{'':>9}"
            outbox = f"{r['outbox_bytes'] / mails:>13.0f}" if r.get("outbox_bytes") else f"{'':>13}"
            largest = f"{r['largest']:>9}" if r.get("largest") else f"{'':>9}"
            print(f"{mode:>7} {size:>9} {r['mails']:>7} | {r['seconds']:>7.2f} {r['cpu']:>7.2f} "
                  f"{r['mails'] / r['seconds']:>8.0f} {r['cpu'] / bare_cpu:>6.1f}x | {deliver} {r['peak_mb']:>8.0f} "
                  f"{db} {outbox} {largest} | {os.getloadavg()[0]:>5.2f}", flush=True)
            if r.get("deliver_seconds"):
                sink = (f"; the loopback server's own CPU {r['sink_cpu']:.1f} s "
                        f"({r['sink_cpu'] / mails * 1000:.2f} ms a mail, {r['sink_lines'] / mails:.0f} lines "
                        f"and {r['bytes'] / mails / 1000:.1f} KB a mail)" if r.get("sink_cpu") else "")
                print(f"{'':>7} {'':>9} {mode} delivery alone: {r['mails']} mails in {r['deliver_seconds']:.1f} s wall "
                      f"({r['mails'] / r['deliver_seconds']:.0f}/s), {r['deliver_cpu']:.1f} s CPU of this process "
                      f"({r['mails'] / max(r['deliver_cpu'], 1e-9):.0f}/s per core){sink}", flush=True)
            if "db_kept" in r:
                print(f"{'':>7} {'':>9} {mode} ledger after mail.retention_days: {r['db_kept'] / mails:.0f} bytes "
                      "a mail (bodies pruned; rows kept for mail.ledger_days)", flush=True)
            per_company.setdefault(mode, []).append(r["cpu"] / size)
        print(f"{'':>7} {'':>9} rows listed: {results['bare']['listed']} "
              f"(bare render {results['bare']['cpu']:.2f} s cpu)")
    for mode, values in per_company.items():
        if len(values) > 1 and mode != "bare":
            print(f"{mode}: cpu per company {', '.join(f'{v * 1000:.2f} ms' for v in values)} "
                  "(constant = linear in companies)")


if __name__ == "__main__":
    main()
