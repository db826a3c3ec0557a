"""HTTP faults injected on the loopback server, crawled through the real Scrapy engine.

Each fault hits the ``faults`` source while ``calm`` is crawled in the same process: transient
faults are retried (with backoff, honouring ``Retry-After``) and the run ends ok; persistent ones
fail the run with a reason, turn the source unhealthy and leave ``calm`` untouched; a detail page
that fails or arrives cut off never lends its partial content to a notice.
"""

from __future__ import annotations

import gzip
import re
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from alerts.health import check_health
from spiders.runner import crawl_async
from tenderwatch.config import Config
from tenderwatch.loopback import FIXTURES, FixtureServer
from tests.conftest import deferred_test
from tests.reliability.figures import Figures
from tests.reliability.sites import CALM, DETAIL, FAST, FAULTS, LISTING, fault_config, last_run, notices_of, source_row

REFS = {"FX-001", "FX-002", "FX-003"}
LISTING_BYTES = (FIXTURES / FAULTS / "list.html").read_bytes()


@pytest.fixture
def cfg(config_dir: Path, engine: Engine) -> Config:
    return fault_config(config_dir, engine)


async def crawl(cfg: Config, engine: Engine, server: FixtureServer, **settings: Any) -> None:
    await crawl_async(cfg, engine, ["faults", "calm"], url_rewrite=server.rewrite_for(FAULTS, CALM),
                      extra_settings={**FAST, **settings})


def assert_calm_unaffected(engine: Engine) -> None:
    run = last_run(engine, "calm")
    assert (run.status, run.notices_found) == ("ok", 2), run.problems
    assert set(notices_of(engine, "calm")) == {"CA-101", "CA-102"}


def assert_whole(engine: Engine) -> None:
    """Every listing row stored, each with the description of its detail page."""
    stored = notices_of(engine, "faults")
    assert set(stored) == REFS
    for ref, notice in stored.items():
        assert notice.description == f"Description of call {ref}: scope, quantities and delivery terms."


# --------------------------------------------------------------------------- transient: retried, run ok

TRANSIENT = {
    "500 once": {"status": 500, "body": b"oops"},
    "502 twice": {"status": 502, "body": b"bad gateway", "times": 2},
    "503 once, no Retry-After": {"status": 503, "body": b"busy"},
    "503 once, Retry-After: 0": {"status": 503, "body": b"busy", "headers": {"Retry-After": "0"}},
    "429 once": {"status": 429, "body": b"slow down", "headers": {"Retry-After": "0"}},
    "connection reset once": {"reset": True},
    "read timeout once": {"delay": 3.0},
    "body cut halfway once": {"body": LISTING_BYTES, "truncate_at": len(LISTING_BYTES) // 2},
}


@pytest.mark.parametrize("fault", list(TRANSIENT))
@deferred_test
async def test_transient_listing_fault_is_retried(fault: str, cfg: Config, engine: Engine, server: FixtureServer,
                                                  figures: Figures) -> None:
    spec = {"times": 1, **TRANSIENT[fault]}
    with figures.fault("http: transient, retried", fault):
        server.override(LISTING, **spec)
        await crawl(cfg, engine, server)
        # the fault served `times` times, then the good answer; a loaded machine may time out on a good
        # answer and retry it once more, within the retry budget
        assert spec["times"] + 1 <= server.requests[LISTING] <= FAST["RETRY_TIMES"] + 1
        run = last_run(engine, "faults")
        assert (run.status, run.notices_found) == ("ok", 3), run.problems
        assert_whole(engine)
        assert_calm_unaffected(engine)
    figures.count("notices", f"transient {fault}", lost=len(REFS - set(notices_of(engine, "faults"))))


# --------------------------------------------------------------------------- backoff and Retry-After


def _timed(server: FixtureServer, path: str, answers: list[tuple[int, dict[str, str]]]) -> list[float]:
    """Answer ``path`` with the given failures, then the fixture file; return the arrival times."""
    arrivals: list[float] = []
    body = (FIXTURES / path.lstrip("/")).read_bytes()

    def answer(method: str, full: str, headers: dict[str, str], data: bytes) -> tuple[int, dict[str, str], bytes]:
        arrivals.append(time.monotonic())
        if len(arrivals) <= len(answers):
            status, extra = answers[len(arrivals) - 1]
            return status, {"Content-Type": "text/plain", **extra}, b"try later"
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body

    server.route(path, answer)
    return arrivals


@pytest.mark.parametrize("status", [503, 429])
@deferred_test
async def test_retry_after_is_honoured(status: int, cfg: Config, engine: Engine, server: FixtureServer,
                                       figures: Figures) -> None:
    with figures.fault("http: transient, retried", f"{status} with Retry-After: 1"):
        arrivals = _timed(server, LISTING, [(status, {"Retry-After": "1"})])
        await crawl(cfg, engine, server)
        assert len(arrivals) == 2
        assert arrivals[1] - arrivals[0] >= 0.95, "the retry came before the server's Retry-After"
        assert_whole(engine)
        assert_calm_unaffected(engine)


@deferred_test
async def test_retries_back_off_exponentially(cfg: Config, engine: Engine, server: FixtureServer,
                                              figures: Figures) -> None:
    with figures.fault("http: transient, retried", "500 twice: growing backoff"):
        arrivals = _timed(server, LISTING, [(500, {}), (500, {})])
        await crawl(cfg, engine, server, TENDERWATCH_RETRY_BASE_DELAY=0.3)
        assert len(arrivals) == 3
        first, second = arrivals[1] - arrivals[0], arrivals[2] - arrivals[1]
        assert first >= 0.3 and second >= 0.6, (first, second)
        assert_whole(engine)


@deferred_test
async def test_retry_after_beyond_the_cap_is_not_waited_for(cfg: Config, engine: Engine, server: FixtureServer,
                                                            figures: Figures) -> None:
    """A server asking for an hour gets no hour-long crawl: the run fails now and says why."""
    with figures.fault("http: persistent, source unhealthy", "503 with Retry-After: 3600"):
        server.override(LISTING, status=503, body=b"maintenance", headers={"Retry-After": "3600"})
        started = time.monotonic()
        await crawl(cfg, engine, server)
        assert time.monotonic() - started < 10
        run = last_run(engine, "faults")
        assert run.status == "failed"
        assert any("Retry-After" in p or "503" in p for p in run.problems), run.problems
        assert_calm_unaffected(engine)


# --------------------------------------------------------------------------- persistent: failed, unhealthy


def _bomb() -> bytes:
    return gzip.compress(b"<html>" + b" " * (64 * 1024 * 1024) + b"</html>", compresslevel=9)


PERSISTENT: dict[str, tuple[dict[str, Any], str]] = {
    "500 always": ({"status": 500, "body": b"oops"}, "HTTP 500"),
    "503 always": ({"status": 503, "body": b"busy"}, "HTTP 503"),
    "connection reset always": ({"reset": True}, "onnection"),
    "read timeout always": ({"delay": 3.0}, "took longer than"),
    "body cut halfway always": ({"body": LISTING_BYTES, "truncate_at": len(LISTING_BYTES) // 2}, "ailed"),
    "redirect loop": ({"status": 302, "headers": {"Location": f"https://{FAULTS}/list.html?loop=1"}},
                      "redirect"),
    "oversized page": ({"body": b"<html>" + b"x" * (512 * 1024) + b"</html>"}, r"download.?max.?size"),
    "gzip bomb": ({"body": b"", "headers": {"Content-Encoding": "gzip"}}, r"download.?max.?size"),
}


@pytest.mark.parametrize("fault", list(PERSISTENT))
@deferred_test
async def test_persistent_listing_fault_fails_the_source_only(fault: str, cfg: Config, engine: Engine,
                                                              server: FixtureServer, figures: Figures) -> None:
    spec, reason = PERSISTENT[fault]
    if fault == "gzip bomb":
        spec = {**spec, "body": _bomb()}
    with figures.fault("http: persistent, source unhealthy", fault):
        server.override(LISTING, **spec)
        if fault == "redirect loop":
            server.override(f"{LISTING}?loop=1", **spec)
        await crawl(cfg, engine, server)
        run = last_run(engine, "faults")
        assert run.status == "failed"
        assert any(re.search(reason, p, re.I) for p in run.problems), run.problems
        assert notices_of(engine, "faults") == {}, "nothing from a failed listing is stored"
        changes = {c.source: c for c in check_health(engine, cfg, report=False)}
        assert "faults" in changes and not changes["faults"].healthy
        assert not source_row(engine, "faults").healthy
        assert source_row(engine, "calm").healthy
        assert_calm_unaffected(engine)


@deferred_test
async def test_robots_txt_disallowing_the_path(cfg: Config, engine: Engine, server: FixtureServer,
                                               figures: Figures) -> None:
    with figures.fault("http: persistent, source unhealthy", "robots.txt disallows the listing"):
        server.override(f"/{FAULTS}/robots.txt", body=b"User-agent: *\nDisallow: /list.html\n",
                        headers={"Content-Type": "text/plain"})
        await crawl(cfg, engine, server)
        assert server.requests[f"/{FAULTS}/robots.txt"] == 1
        assert server.requests[LISTING] == 0, "a path robots.txt disallows is never fetched"
        run = last_run(engine, "faults")
        assert run.status == "failed" and any("robots.txt" in p for p in run.problems), run.problems
        check_health(engine, cfg, report=False)
        assert not source_row(engine, "faults").healthy
        assert_calm_unaffected(engine)


# --------------------------------------------------------------------------- detail pages


DETAIL_FAULTS: dict[str, dict[str, Any]] = {
    "404 on a detail page": {"status": 404, "body": b"gone"},
    "detail body cut halfway": {"truncate_at": 300},
    "oversized detail page": {"body": b"<div class='description'>huge</div>" + b"x" * (512 * 1024)},
    "detail connection reset": {"reset": True},
}


@pytest.mark.parametrize("fault", list(DETAIL_FAULTS))
@deferred_test
async def test_failed_detail_page_keeps_the_row_and_lends_nothing(fault: str, cfg: Config, engine: Engine,
                                                                  server: FixtureServer, figures: Figures) -> None:
    path = DETAIL.format(2)
    spec = dict(DETAIL_FAULTS[fault])
    if "truncate_at" in spec:
        spec["body"] = (FIXTURES / path.lstrip("/")).read_bytes()
    with figures.fault("http: detail page", fault):
        server.override(path, **spec)
        await crawl(cfg, engine, server)
        stored = notices_of(engine, "faults")
        assert set(stored) == REFS, "the row of a failed detail page is still stored"
        assert stored["FX-002"].description is None, "no partial detail content is stored as if whole"
        assert stored["FX-001"].description and stored["FX-003"].description
        run = last_run(engine, "faults")
        assert run.status == "ok" and any("detail page" in p and "/d/2.html" in p for p in run.problems)
        assert_calm_unaffected(engine)

        # the fault goes away: the next crawl fetches the detail page again and completes the notice
        server.reset()
        await crawl(cfg, engine, server)
        assert 1 <= server.requests[path] <= FAST["RETRY_TIMES"] + 1  # fetched again (a slow answer may be retried)
        assert_whole(engine)
    figures.count("notices", f"detail {fault}", lost=len(REFS - set(notices_of(engine, "faults"))))


# --------------------------------------------------------------------------- charsets


ACCENTED = "Électronique de puissance – 2 €"


def _listing_in(encoding: str, meta: str | None) -> bytes:
    text = LISTING_BYTES.decode("utf-8").replace("Ultra-high vacuum gate valves", ACCENTED)
    text = text.replace('<meta charset="utf-8">', f'<meta charset="{meta}">' if meta else "")
    return text.encode(encoding)


CHARSETS: dict[str, tuple[bytes, str, bool]] = {
    "no charset in the header, meta windows-1252": (_listing_in("cp1252", "windows-1252"), "text/html", True),
    "no charset anywhere, windows-1252 bytes": (_listing_in("cp1252", None), "text/html", False),
    "header says utf-8, bytes are windows-1252": (_listing_in("cp1252", None), "text/html; charset=utf-8", False),
    "header says iso-8859-1, bytes are utf-8": (_listing_in("utf-8", None), "text/html; charset=iso-8859-1", False),
}


@pytest.mark.parametrize("case", list(CHARSETS))
@deferred_test
async def test_wrong_or_missing_charset(case: str, cfg: Config, engine: Engine, server: FixtureServer,
                                        figures: Figures) -> None:
    body, ctype, exact = CHARSETS[case]
    with figures.fault("http: charset", case):
        server.override(LISTING, body=body, headers={"Content-Type": ctype})
        await crawl(cfg, engine, server)
        stored = notices_of(engine, "faults")
        assert set(stored) == REFS
        title = stored["FX-002"].title
        if exact:
            assert title == ACCENTED
        assert "lectronique de puissance" in title
        assert not any(ord(ch) < 32 for ch in title)
