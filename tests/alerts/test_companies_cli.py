"""Company CSV import and the alert commands, run through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alerts.companies_csv import import_companies_csv
from alerts.tokens import make_token
from tenderwatch.cli import app, load_commands
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company

CSV = """\ufeffname;recipients;country;language;areas;keywords;cpv;organisations;value_min;frequency
Delft Cryo B.V.;a@delft.example.nl, b@delft.example.nl;nl;NL;cryogenics|vacuum;cryostat;4212;cern;;weekly
Bad Country B.V.;x@bad.example.nl;XX;en;optics;;;;;weekly
Unknown Area B.V.;y@bad.example.nl;NL;en;quantum-foam;;;;;weekly
No Mail B.V.;;NL;en;optics;;;;;weekly
"Multi
Line B.V.";m@ml.example.nl;DE;en;optics;"x-ray mirror; Röntgenspiegel";;;250000;daily
Delft Cryo B.V.;dup@delft.example.nl;NL;nl;optics;;;;;weekly
"""


def cli(*args: str):
    load_commands()
    return CliRunner().invoke(app, list(args))


def test_csv_rows_are_validated_reported_by_line_and_reimport_updates(engine, config, tmp_path: Path):
    path = tmp_path / "companies.csv"
    path.write_text(CSV, encoding="utf-8")
    result = import_companies_csv(engine, config, path)
    assert sorted(result.created) == ["delft-cryo-b-v", "multi-line-b-v"]
    problems = {p.line: p.message for p in result.problems}
    assert set(problems) == {3, 4, 5, 8}
    assert "country" in problems[3] and "XX" in problems[3]
    assert "unknown area 'quantum-foam'" in problems[4]
    assert "recipients" in problems[5]
    assert "duplicate key 'delft-cryo-b-v' (first on line 2)" in problems[8]
    with session_scope(engine) as s:
        delft = s.scalars(select(Company).where(Company.key == "delft-cryo-b-v")).one()
        assert delft.recipients == ["a@delft.example.nl", "b@delft.example.nl"]
        assert delft.areas == ["cryogenics", "vacuum"] and delft.organisations == ["CERN"] and delft.language == "nl"
        multi = s.scalars(select(Company).where(Company.key == "multi-line-b-v")).one()
        assert multi.keywords == ["x-ray mirror", "Röntgenspiegel"] and multi.frequency == "daily"
        before = s.scalar(select(func.count()).select_from(Company))

    path.write_text(CSV.replace("cryogenics|vacuum", "magnets"), encoding="utf-8")
    again = import_companies_csv(engine, config, path)
    assert sorted(again.updated) == ["delft-cryo-b-v", "multi-line-b-v"] and again.created == []
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Company)) == before
        assert s.scalars(select(Company.areas).where(Company.key == "delft-cryo-b-v")).one() == ["magnets"]


def test_every_problem_of_a_row_in_one_pass_and_a_warning_for_rows_matching_nothing(engine, config, tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text("name;recipients;country;areas;organisations;cpv;value_min;value_max\n"
                    "Many Faults B.V.;ok@many.example.nl, not-mail;XX;optics|quantum-foam;NASA;12a;9;3\n"
                    "Nothing To Match B.V.;n@n.example.nl;NL;;;;;\n"
                    "Only Orgs B.V.;o@o.example.nl;NL;;CERN;;;\n", encoding="utf-8")
    result = import_companies_csv(engine, config, path)
    assert [p.line for p in result.problems] == [2]
    message = result.problems[0].message
    for part in ("country: unknown country code 'XX'", "not an email address: 'not-mail'",
                 "'12a' must be 2 to 8 digits", "unknown area 'quantum-foam'", "unknown organisation 'NASA'",
                 "value_min is above value_max"):
        assert part in message, (part, message)
    assert "optics'" not in message  # the good items are not complained about
    assert sorted(result.created) == ["nothing-to-match-b-v", "only-orgs-b-v"]
    assert [(w.line, "matches no call" in w.message) for w in result.warnings] == [(3, True), (4, True)]


def test_the_example_file_of_the_readme_imports_cleanly(engine, config):
    result = import_companies_csv(engine, config, Path(__file__).parents[2] / "docs" / "companies-example.csv")
    assert result.problems == [] and result.warnings == [] and len(result.created) == 2


def test_misspelt_header_imports_nothing(engine, config, tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text("name,recipients,country,aeras\nA,a@a.example.nl,NL,optics\n", encoding="utf-8")
    result = import_companies_csv(engine, config, path)
    assert result.created == [] and result.problems[0].line == 1 and "aeras" in result.problems[0].message


@pytest.fixture
def cli_env(monkeypatch, config_dir: Path, db_url: str, engine, secret):
    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("TENDERWATCH_DATABASE_URL", db_url)


def test_cli_companies_import_reports_lines(cli_env, tmp_path: Path):
    path = tmp_path / "companies.csv"
    path.write_text(CSV, encoding="utf-8")
    out = cli("companies", "import", str(path))
    assert out.exit_code == 1
    assert "2 created, 0 updated, 4 row(s) skipped" in out.output
    assert "companies.csv:3:" in out.output


def test_cli_links_refuses_an_unknown_company_and_knows_csv_imports(cli_env, tmp_path: Path):
    out = cli("links", "cryovac-delf")
    assert out.exit_code == 2 and "no company 'cryovac-delf'" in out.output and "cryovac-delft" in out.output
    assert "preferences" not in out.output
    path = tmp_path / "companies.csv"
    path.write_text("name,recipients,country,areas\nLeiden Lasers B.V.,l@ll.example.nl,NL,optics\n", encoding="utf-8")
    assert cli("companies", "import", str(path)).exit_code == 0
    out = cli("links", "leiden-lasers-b-v")
    assert out.exit_code == 0, out.output
    assert "Leiden Lasers B.V." in out.output and "/preferences/" in out.output


def test_cli_unsubscribe_applies_a_token(cli_env, engine, config):
    token = make_token(config.settings, "cryovac-delft", "unsubscribe")
    out = cli("unsubscribe", f"https://tenderwatch.example.nl/u/{token}")
    assert out.exit_code == 0, out.output
    assert "unsubscribed" in out.output
    with session_scope(engine) as s:
        assert s.scalars(select(Company.unsubscribed_at).where(Company.key == "cryovac-delft")).one() is not None
    assert cli("unsubscribe", token[:-3] + "AAA").exit_code == 1


def test_cli_digest_without_secret_fails_clearly(cli_env, monkeypatch):
    monkeypatch.delenv("TENDERWATCH_SECRET_KEY")
    out = cli("digest", "--dry-run")
    assert out.exit_code == 1 and "TENDERWATCH_SECRET_KEY" in out.output


def test_cli_digest_dry_run_and_bad_week(cli_env):
    out = cli("digest", "--dry-run", "--week", "2025-W23")
    assert out.exit_code == 0, out.output
    assert "dry run" in out.output
    bad = cli("digest", "--week", "23")
    assert bad.exit_code == 2 and "YYYY-Www" in bad.output
