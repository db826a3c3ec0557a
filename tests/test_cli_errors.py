"""Every command, given a bad argument of each kind, says what is wrong in one line and exits non-zero,
without a traceback: a mistyped SQLite path (never created), a database URL of an unsupported kind,
a server refusing the connection, a missing file, a folder that does not exist, a bad or
out-of-range date, an unknown name, a bad URL.

The commands run in this process through ``tenderwatch.cli.main`` (the console script's own entry
point, with its error handling); two cases also run as a separate ``python -m tenderwatch``.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.tokens import make_token
from tenderwatch.cli import HELP_PANELS, load_commands, main
from tenderwatch.config import load_config

ROOT = Path(__file__).resolve().parents[1]
SECRET = "cli-errors-test-secret-0123456789abcdef"

# Every command that opens the database, with arguments that are otherwise good.
DB_COMMANDS: dict[str, list[str]] = {
    "crawl": ["crawl", "cern-forthcoming"],
    "sources list": ["sources", "list"],
    "sources test": ["sources", "test", "cern-forthcoming", "--file", "{page}"],
    "notify": ["notify"],
    "digest": ["digest", "--dry-run"],
    "deliver": ["deliver"],
    "awards": ["awards"],
    "export": ["export"],
    "rejects list": ["rejects", "list"],
    "rejects show": ["rejects", "show", "1"],
    "rejects retry": ["rejects", "retry"],
    "import": ["import", "{jsonl}"],
    "reclassify": ["reclassify"],
    "serve": ["serve", "--port", "0"],
    "users list": ["users", "list"],
    "users add": ["users", "add", "someone"],
    "users create-admin": ["users", "create-admin"],
    "companies import": ["companies", "import", "{csv}"],
    "links": ["links", "cryovac-delft"],
    "unsubscribe": ["unsubscribe", "{token}"],
    "jobs": ["jobs"],
    "run --once": ["run", "--once"],
    "db upgrade": ["db", "upgrade"],
    "follow-up list": ["follow-up", "list"],
    "follow-up set": ["follow-up", "set", "some-call", "cryovac-delft", "informed"],
    "follow-up export": ["follow-up", "export", "--format", "jsonl"],
    "follow-up import": ["follow-up", "import", "{jsonl}"],
    "follow-up answers": ["follow-up", "answers"],
    "georeturn import": ["georeturn", "import", "{csv}"],
    "georeturn rates": ["georeturn", "rates"],
    "georeturn report": ["georeturn", "report", "--organisation", "CERN"],
    "directory list": ["directory", "list"],
    "directory publish": ["directory", "publish", "cryovac-delft", "--by", "ilo"],
    "directory brochure": ["directory", "brochure", "--format", "html", "--output", "{tmp}/brochure.html"],
}
CREATE_THEIR_OWN = {"run --once", "db upgrade"}  # a missing SQLite file is what they create

# (case id, arguments, what the one line says); they run on a good database.
ARGUMENT_CASES: list[tuple[str, list[str], str]] = [
    ("export into a missing folder", ["export", "--output", "{tmp}/no/such/folder/x.csv"], "cannot write"),
    ("export unknown format", ["export", "--format", "xml"], "unknown format 'xml'"),
    ("import missing file", ["import", "{tmp}/missing.jsonl"], "no such file or folder"),
    ("classify missing file", ["classify", "{tmp}/missing.jsonl"], "cannot read"),
    ("companies import missing file", ["companies", "import", "{tmp}/missing.csv"], "no such file"),
    ("sources test unknown source", ["sources", "test", "no-such-source"], "unknown source 'no-such-source'"),
    ("sources test missing file", ["sources", "test", "cern-forthcoming", "--file", "{tmp}/missing.html"],
     "cannot read the page"),
    ("sources test bad URL", ["sources", "test", "cern-forthcoming", "--url", "not a url"], "not an http(s) URL"),
    ("crawl unknown source", ["crawl", "no-such-source"], "unknown source 'no-such-source'"),
    ("crawl bad rewrite", ["crawl", "--rewrite", "{not json", "cern-forthcoming"], "--rewrite is not JSON"),
    ("links unknown company", ["links", "no-such-company"], "no company 'no-such-company'"),
    ("awards unknown organisation", ["awards", "--organisation", "NASA"], "unknown organisation 'NASA'"),
    ("awards unknown country", ["awards", "--country", "XX"], "unknown country code 'XX'"),
    ("awards bad date", ["awards", "--since", "2025-13-45"], "--since: '2025-13-45' is not a date"),
    ("awards date out of range", ["awards", "--since", "9999-12-31"], "--since: 9999-12-31 is out of range"),
    ("digest day out of range", ["digest", "--daily", "--day", "0001-01-01"], "--day: 0001-01-01 is out of range"),
    ("digest week out of range", ["digest", "--week", "9999-W52"], "--week: 9999-W52 is out of range"),
    ("digest bad week", ["digest", "--week", "23"], "--week: '23' is not a week"),
    ("rejects show unknown id", ["rejects", "show", "99999"], "no reject 99999"),
    ("rejects retry unknown id", ["rejects", "retry", "99999"], "no reject 99999"),
    ("unsubscribe forged token", ["unsubscribe", "garbage"], "not valid"),
    ("users add unknown role", ["users", "add", "someone", "--role", "king"], "unknown role 'king'"),
    ("demo into a file", ["demo", "--folder", "{jsonl}"], "cannot use the folder"),
    ("demo into a folder of other files", ["demo", "--folder", "{tmp}"], "holds files a demo did not write"),
    ("missing config folder", ["--config", "{tmp}/no-config", "sources", "list"], "config folder not found"),
    ("serve port out of range", ["serve", "--port", "70000"], "65535"),
    ("rejects show not a number", ["rejects", "show", "abc"], "Invalid value for 'ID'"),
    ("follow-up unknown state", ["follow-up", "list", "--state", "maybe"], "unknown state 'maybe'"),
    ("follow-up unknown organisation", ["follow-up", "list", "-o", "NASA"], "unknown organisation 'NASA'"),
    ("follow-up unknown area", ["follow-up", "export", "--area", "cooking"], "unknown technology area 'cooking'"),
    ("follow-up unknown ILO", ["follow-up", "list", "--ilo", "nobody@example.nl"], "no ILO with address"),
    ("follow-up set unknown call", ["follow-up", "set", "no-call", "cryovac-delft", "informed"], "no call 'no-call'"),
    ("follow-up set unknown company", ["follow-up", "set", "no-call", "nobody", "informed"], "no company 'nobody'"),
    ("follow-up set bad value", ["follow-up", "set", "x", "cryovac-delft", "won", "--value", "lots"],
     "'lots' is not an amount"),
    ("follow-up export bad format", ["follow-up", "export", "--format", "xml"], "unknown format 'xml'"),
    ("follow-up import missing file", ["follow-up", "import", "{tmp}/missing.jsonl"], "no such file"),
    ("georeturn import missing file", ["georeturn", "import", "{tmp}/missing.csv"], "no such file"),
    ("georeturn import unknown organisation", ["georeturn", "import", "{csv}", "-o", "NASA"],
     "unknown organisation 'NASA'"),
    ("georeturn rates missing file", ["georeturn", "rates", "{tmp}/missing.zip"], "No such file"),
    ("georeturn rates not ECB", ["georeturn", "rates", "{csv}"], "expected the ECB's header"),
    ("georeturn report unknown organisation", ["georeturn", "report", "-o", "NASA"], "unknown organisation 'NASA'"),
    ("georeturn report bad date", ["georeturn", "report", "-o", "CERN", "--end", "2025-13-45"],
     "--end: '2025-13-45' is not a date"),
    ("georeturn report unknown country", ["georeturn", "report", "-o", "CERN", "--country", "XX"],
     "unknown country code 'XX'"),
    ("directory publish unknown company", ["directory", "publish", "nope", "--by", "ilo"], "no company 'nope'"),
    ("directory publish not listed", ["directory", "publish", "cryovac-delft", "--by", "ilo"],
     "has not asked to be listed"),
    ("directory brochure unknown format", ["directory", "brochure", "--format", "doc"], "unknown format 'doc'"),
    ("directory brochure into a missing folder", ["directory", "brochure", "--output", "{tmp}/no/b.pdf"],
     "no folder"),
]
USAGE_ERRORS = {"serve port out of range", "rejects show not a number", "missing config folder"}
"""Errors shown by the command-line library (usage line + message) or the config report (a list)."""


@pytest.fixture
def files(tmp_path: Path, config_dir: Path) -> dict[str, str]:
    (tmp_path / "page.html").write_text("<html><body><table></table></body></html>", encoding="utf-8")
    (tmp_path / "notices.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "companies.csv").write_text("name,recipients,country,areas\nA B.V.,a@a.example.nl,NL,optics\n",
                                            encoding="utf-8")
    token = make_token(load_config(config_dir).settings, "cryovac-delft", "unsubscribe")
    return {"tmp": str(tmp_path), "page": str(tmp_path / "page.html"), "jsonl": str(tmp_path / "notices.jsonl"),
            "csv": str(tmp_path / "companies.csv"), "token": token}


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, config_dir: Path) -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level  # 'run' configures logging for its process
    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("TENDERWATCH_SECRET_KEY", SECRET)
    monkeypatch.setenv("TENDERWATCH_NEW_PASSWORD", "a long enough password")
    monkeypatch.delenv("TENDERWATCH_DEBUG", raising=False)
    yield
    root.handlers[:], root.level = handlers, level


def refused_url() -> str:
    """A PostgreSQL URL on a loopback port nobody listens on (taken from the OS, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql://tenderwatch:secret@127.0.0.1:{port}/tenderwatch"


def run(capsys: pytest.CaptureFixture[str], args: list[str], values: dict[str, str]) -> tuple[int, str, str]:
    argv = [a.format(**values) if "{" in a and not a.startswith("{not") else a for a in args]
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 1), out, err


def assert_one_clear_line(code: int, out: str, err: str, expected: str, *, usage: bool = False) -> None:
    assert code != 0, (out, err)
    assert "Traceback" not in out + err and 'File "' not in out + err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert sum(expected in line for line in lines) == 1, f"expected one line with {expected!r} in:\n{err}"
    if not usage:
        assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "unexpected" not in err, err  # the catch-all for bugs must not be what answers


KINDS = {
    "missing SQLite file": (lambda tmp: f"sqlite:///{tmp}/typo/tenderwatch.db", "no database at"),
    "unsupported kind": (lambda tmp: "mysql://tenderwatch@127.0.0.1/tenderwatch", "unsupported database mysql://"),
    "not a URL": (lambda tmp: "tenderwatch.db", "is not a database URL"),
    "connection refused": (lambda tmp: refused_url(), "Connection refused"),
}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("command", list(DB_COMMANDS))
def test_every_command_refuses_a_bad_database_in_one_line(command, kind, cli_env, files, tmp_path, capsys) -> None:
    if kind == "missing SQLite file" and command in CREATE_THEIR_OWN:
        pytest.skip(f"{command} creates its database")
    make_url, expected = KINDS[kind]
    url = make_url(tmp_path)
    code, out, err = run(capsys, ["--database", url, *DB_COMMANDS[command]], files)
    assert_one_clear_line(code, out, err, expected)
    assert not (tmp_path / "typo").exists(), "a mistyped SQLite path must not be created"
    assert "secret@" not in err, "passwords are masked"


@pytest.mark.parametrize(("args", "expected"), [c[1:] for c in ARGUMENT_CASES], ids=[c[0] for c in ARGUMENT_CASES])
def test_every_bad_argument_gets_one_clear_line(args, expected, request, cli_env, files, db_url, engine,
                                                capsys) -> None:
    code, out, err = run(capsys, ["--database", db_url, *args], files)
    assert_one_clear_line(code, out, err, expected, usage=request.node.callspec.id in USAGE_ERRORS)


def test_db_upgrade_creates_the_database_the_others_refused(cli_env, tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path}/new/tenderwatch.db"
    code, _, err = run(capsys, ["--database", url, "export"], {})
    assert code == 1 and "no database at" in err and not (tmp_path / "new").exists()
    code, out, _ = run(capsys, ["--database", url, "db", "upgrade"], {})
    assert code == 0 and "at revision" in out and (tmp_path / "new" / "tenderwatch.db").is_file()
    code, _, err = run(capsys, ["--database", url, "export"], {})
    assert code == 0 and "exported 0 notice(s)" in err


def test_the_console_script_shows_no_traceback(tmp_path, config_dir) -> None:
    for args, expected in ((["--database", "mysql://u@localhost/x", "export"], "unsupported database"),
                           (["--database", f"sqlite:///{tmp_path}/typo.db", "export", "-o", f"{tmp_path}/a/b.csv"],
                            "no database at")):
        done = subprocess.run([sys.executable, "-m", "tenderwatch", "--config", str(config_dir), *args],
                              capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert [line for line in done.stderr.splitlines() if line.strip()] == [
            next(line for line in done.stderr.splitlines() if expected in line)]


def test_a_bug_is_one_line_too_with_the_traceback_on_request(cli_env, monkeypatch, capsys) -> None:
    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("pipeline.classify.Classifier.__init__", broken)
    code, _, err = run(capsys, ["classify", "-"], {})
    assert code == 70 and "unexpected RuntimeError: boom" in err and "TENDERWATCH_DEBUG=1" in err
    monkeypatch.setenv("TENDERWATCH_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["classify", "-"])


def test_help_shows_types_not_bool_and_groups_every_command(capsys) -> None:
    app = load_commands()
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    grouped = [name for names_ in HELP_PANELS.values() for name in names_]
    assert sorted(grouped) == sorted(names), "every command has one panel"
    for args in (["--help"], ["export", "--help"], ["digest", "--help"]):
        with pytest.raises(SystemExit):
            main(args)
        out = capsys.readouterr().out
        assert "<bool>" not in out
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.index("Daily use") < out.index("Web site and companies") < out.index("Setting up and trying out")
    assert "--database" in out and "URL" in out
