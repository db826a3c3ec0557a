"""``tenderwatch sources list`` and ``sources check`` as an administrator runs them."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from sqlalchemy import Engine
from typer.testing import CliRunner

from tenderwatch.cli import app, load_commands
from tenderwatch.loopback import FIXTURES, FixtureServer


def cli(config_dir: Path, db_url: str, *args: str) -> tuple[int, str]:
    """Run the command on ``db_url`` (tests create that database through the ``engine`` fixture)."""
    load_commands()
    result = CliRunner().invoke(app, ["--config", str(config_dir), "--database", db_url, *args],
                                env={"COLUMNS": "250"})
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result.exit_code, result.output


def test_sources_list_shows_how_well_each_format_is_known(config_dir: Path, db_url: str, engine: Engine) -> None:
    code, out = cli(config_dir, db_url, "sources", "list")
    assert code == 0, out
    lines = out.splitlines()

    def source(name: str) -> str:  # a source's cell: its name, then its kind and format under it
        at = next(i for i, line in enumerate(lines) if line.split()[:1] == [name])
        return lines[at] + " " + lines[at + 1]

    assert "verified" in source("esa-tenders") and "reconstructed" not in source("esa-tenders")
    assert "reconstructed" in source("cern-forthcoming")


# --------------------------------------------------------------------------- sources check, on loopback

SHELL = (b'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>EsaStarPublication</title>'
         b'<base href="/"><link rel="stylesheet" href="styles.3f1c.css"></head><body><app-root></app-root>'
         b'<noscript>Please enable JavaScript to continue using this application.</noscript>'
         b'<script src="runtime.7b2a.js" type="module"></script><script src="main.91d0.js" type="module"></script>'
         b"</body></html>")


def loopback_config(config_dir: Path, server: FixtureServer, names: list[str], extra: list[dict]) -> None:
    """The shipped entries ``names`` with their hosts on the loopback server, plus ``extra`` entries."""
    path = config_dir / "sources.yaml"
    entries = [e for e in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"] if e["name"] in names]
    for entry in entries:
        entry["start_urls"] = [re.sub(r"^https?://", f"{server.base}/", u) for u in entry["start_urls"]]
    path.write_text(yaml.safe_dump({"sources": entries + extra}, allow_unicode=True), encoding="utf-8")
    settings = config_dir / "settings.yaml"
    data = yaml.safe_load(settings.read_text(encoding="utf-8")) or {}
    data.setdefault("crawl", {})["politeness_floor_seconds"] = 0  # one host (loopback) for every source here
    settings.write_text(yaml.safe_dump(data), encoding="utf-8")


def blocks(output: str) -> dict[str, str]:
    """The check's output per source name (a source's lines start with its name)."""
    out: dict[str, str] = {}
    name = ""
    for line in output.splitlines():
        if line and not line.startswith(" ") and " (" in line:
            name = line.split(" ")[0]
        if name:
            out[name] = out.get(name, "") + line + "\n"
    return out


def test_check_reports_matching_pages_drifted_pages_a_shell_and_a_refused_connection(
        config_dir: Path, db_url: str, engine: Engine, server: FixtureServer) -> None:
    html = "/found.cern.ch/java-ext/found/CFTSingleSearch.do"
    drifted = (FIXTURES / html.lstrip("/")).read_bytes().replace(b'id="cft"', b'id="cft-2027"')
    server.override("/eso.drifted/public/industry/cp.html", body=drifted)
    server.override("/esastar-publication-ext.sso.esa.int/ESATenderActions/filter/open", body=SHELL)
    server.override("/esastar-publication-ext.sso.esa.int/api/nonESATA/filter/10/0",
                    body=b'{"count": 2, "data": [{"tanumber": "x"}]}', headers={"Content-Type": "application/json"})
    loopback_config(config_dir, server, ["cern-forthcoming", "esa-tenders", "esa-nonesa-tenders", "eu-ft-tenders"], [
        {"name": "cern-drifted", "kind": "html_table", "organisation": "CERN",
         "start_urls": [f"{server.base}/eso.drifted/public/industry/cp.html"], "required_fields": ["title"],
         "options": {"rows": "table#cft tbody tr", "columns": {"Reference": "reference", "Title": "title"}}},
        {"name": "esa-html", "kind": "html_list", "organisation": "ESA",
         "start_urls": [f"{server.base}/esastar-publication-ext.sso.esa.int/ESATenderActions/filter/open"],
         "options": {"rows": "div.tender-card", "fields": {"title": "h3 a::text"}}},
        {"name": "gone", "kind": "html_list", "organisation": "ESO",
         "start_urls": ["http://127.0.0.1:1/calls.html"], "options": {"rows": "li", "fields": {"title": "a"}}},
    ])
    code, out = cli(config_dir, db_url, "sources", "check")
    assert code == 1, out
    assert "Traceback" not in out
    got = blocks(out)
    assert "7 notice(s)" in got["cern-forthcoming"] and "missing" not in got["cern-forthcoming"]
    assert "10 notice(s)" in got["esa-tenders"]  # the first page of 10 (of 12)
    assert "/api/tenderAction/filter/10/0?all=true" in got["esa-tenders"]  # {take}/{skip} filled in
    assert "3 notice(s)" in got["eu-ft-tenders"]  # the search answered a multipart POST
    assert "0 notice(s)" in got["cern-drifted"]
    assert "selector 'table#cft tbody tr' matched nothing" in got["cern-drifted"]
    assert "the page: HTML" in got["cern-drifted"] and "looks like a JavaScript application shell" not in \
        got["cern-drifted"]
    assert "title 'EsaStarPublication'" in got["esa-html"]
    assert "looks like a JavaScript application shell" in got["esa-html"]
    assert "top-level keys: count, data" in got["esa-nonesa-tenders"]
    assert "items path 'items' is not a list" in got["esa-nonesa-tenders"]
    assert [line for line in got["gone"].splitlines() if line.startswith(" ")] == [
        "  not reachable: connection refused"]  # one clear line
    assert "3 page(s) give notices with every required field, 4 need attention" in out
    posts = [body for method, path, _, body in server.log if method == "POST"]
    assert len(posts) == 1 and b'name="query"' in posts[0]  # fetched as the crawl would: once, with its body


def test_check_of_matching_pages_exits_0_and_names_missing_required_fields(
        config_dir: Path, db_url: str, engine: Engine, server: FixtureServer) -> None:
    loopback_config(config_dir, server, ["cern-forthcoming", "esa-tenders"], [
        {"name": "cern-needs-url", "kind": "html_table", "organisation": "CERN",
         "start_urls": [f"{server.base}/found.cern.ch/java-ext/found/CFTSingleSearch.do"],
         "options": {"rows": "table#cft tbody tr", "columns": {"Reference": "reference", "Title": "title"}}},
    ])
    code, out = cli(config_dir, db_url, "sources", "check", "cern-forthcoming", "esa-tenders")
    assert code == 0, out
    assert "2 page(s) give notices with every required field, 0 need attention" in out
    code, out = cli(config_dir, db_url, "sources", "check", "cern-needs-url")
    assert code == 1 and "required field 'url' missing on 7 of 7" in out
    assert server.requests["/found.cern.ch/java-ext/found/CFTSingleSearch.do"] == 2  # once per check run


def test_check_honours_robots_txt(config_dir: Path, db_url: str, engine: Engine, server: FixtureServer) -> None:
    server.override("/robots.txt", body=b"User-agent: *\nDisallow: /found.cern.ch/\n",
                    headers={"Content-Type": "text/plain"})
    loopback_config(config_dir, server, ["cern-forthcoming"], [])
    code, out = cli(config_dir, db_url, "sources", "check")
    assert code == 1 and "robots.txt refuses this page" in out
    assert server.requests["/found.cern.ch/java-ext/found/CFTSingleSearch.do"] == 0


def test_check_of_an_unknown_source_is_one_line(config_dir: Path, db_url: str, engine: Engine) -> None:
    code, out = cli(config_dir, db_url, "sources", "check", "nope")
    assert code == 2 and "unknown source 'nope'" in out and "Traceback" not in out
