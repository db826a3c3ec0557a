"""Georeturn's parts on a real database: contribution shares from config (and their errors), an award
list imported with its bad rows reported by line, ECB rates (the shipped table, the ECB's own file
formats, a dated conversion), wins from the follow-up, and the return coefficient computed by hand."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook
from sqlalchemy import select

from pipeline.classify import Classifier
from pipeline.records import AwardRecord as TedAward
from pipeline.records import Money, NoticeRecord
from pipeline.store import Store
from tenderwatch.config import ConfigError, load_config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import AwardRecord
from tenderwatch.georeturn.award_list import import_award_list, parse_list
from tenderwatch.georeturn.awards import gather, supplier_awards
from tenderwatch.georeturn.balance import Period, contribution_shares, report
from tenderwatch.georeturn.rates import (
    RateError,
    RateFileError,
    RateTable,
    load_table,
    parse_rates,
    shipped_rates,
    store_rates,
)

GOOD_AND_BAD = """organisation,date,supplier,supplier_country,value,currency,category,title
CERN,2024-03-01,Delft Cryo B.V.,NL,110,CHF,cryogenics,Helium valves
CERN,31-13-2024,Nowhere Ltd,GB,100,EUR,vacuum,Bad date
CERN,2024-04-02,Berlin Magnets GmbH,DE,300,EUR,magnets,Coils
NASA,2024-04-02,Houston Inc,US,5,USD,optics,Unknown organisation
CERN,2024-05-06,Lyon Vide SAS,FR,600,EUR,vacuum,Chambers
CERN,2024-05-07,,XX,lots,EURO-ish,,Everything wrong at once
CERN,2024-06-10,Delft Services B.V.,NL,50,EUR,service,Operation support
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- config


def test_contribution_shares_and_the_rule_come_from_config(config) -> None:
    cern = config.organisation("CERN")
    assert cern.return_rule is not None and [c.kind for c in cern.return_rule.contracts] == ["supplies", "services"]
    assert cern.contributions[0].shares["NL"] == Decimal("4.79") and cern.contributions[0].source
    used = contribution_shares(cern, Period.year(2024))
    assert used is not None and used.fallbacks == [(2024, 2009)] and used.shares["DE"] == Decimal("19.88")


def test_a_year_spanning_period_weighs_the_years_by_days(config) -> None:
    org = config.organisation("CERN").model_copy(deep=True)
    org.contributions[0].year = 2023
    extra = org.contributions[0].model_copy(update={"year": 2024, "shares": {"NL": Decimal(6)}})
    org.contributions.append(extra)
    used = contribution_shares(org, Period(date(2023, 7, 1), date(2024, 6, 30), "x"))
    # 184 days of 2023 at 4.79 and 182 days of 2024 at 6.00, out of 366
    assert used is not None and used.shares["NL"] == Decimal("4.79") * 184 / 366 + Decimal(6) * 182 / 366


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"shares": {"NL": 120}}, "contributions.0.shares", "a percentage from 0 to 100"),
    ({"shares": {"QQ": 1}}, "contributions.0.shares", "unknown country code 'QQ'"),
    ({"shares": {"NL": 60, "DE": 60}}, "contributions.0.shares", "more than 100%"),
    ({"source": ""}, "contributions.0.source", "at least 1 character"),
])
def test_bad_contribution_figures_name_file_entry_and_field(config_dir, change, field, message) -> None:
    path = config_dir / "organisations.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cern = next(o for o in data["organisations"] if o["code"] == "CERN")
    cern["contributions"][0].update(change)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir)
    line = next(p for p in caught.value.problems if field in p)
    assert "organisations.yaml: entry 'CERN' (#1): field " in line and message in line


def test_class_limits_must_rise(config_dir) -> None:
    path = config_dir / "organisations.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cern = next(o for o in data["organisations"] if o["code"] == "CERN")
    cern["return_rule"]["contracts"][0]["classes"].reverse()
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir)
    assert any("field 'return_rule.contracts.0.classes'" in p and "rise strictly" in p for p in caught.value.problems)


# --------------------------------------------------------------------------- award lists


def test_an_award_list_is_imported_with_its_bad_rows_reported_by_line(engine, config, tmp_path) -> None:
    path = _write(tmp_path, "cern-2024.csv", GOOD_AND_BAD)
    with session_scope(engine) as session:
        result = import_award_list(session, config, path)
    problems = {p.line: p.message for p in result.problems}
    assert sorted(problems) == [3, 5, 7]
    assert "date: '2024-13-31' is not a date" in problems[3]
    assert "unknown organisation 'NASA'" in problems[5]
    wrong = problems[7]  # every problem of the row at once
    for part in ("supplier: missing", "supplier_country: unknown country code 'XX'", "value: 'lots' is not an amount",
                 "currency: 'EURO-ish'", "category: missing"):
        assert part in wrong
    assert result.added == 4
    with session_scope(engine) as session:
        rows = {r.supplier_name: r for r in session.scalars(select(AwardRecord))}
        assert set(rows) == {"Delft Cryo B.V.", "Berlin Magnets GmbH", "Lyon Vide SAS", "Delft Services B.V."}
        assert rows["Delft Cryo B.V."].areas == ["cryogenics"] and rows["Delft Cryo B.V."].origin == "list"
        assert rows["Delft Cryo B.V."].source_name == "cern-2024.csv line 2"
        again = import_award_list(session, config, path)
    assert again.added == 0 and again.unchanged == 4


def test_an_xlsx_list_and_a_list_that_is_not_one(engine, config, tmp_path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Leverancier", "Land", "Datum", "Bedrag", "Valuta", "Categorie"])
    sheet.append(["Delft Cryo B.V.", "NL", date(2024, 3, 1), 1250.5, "€", "Cryogenics"])
    sheet.append(["Gent Optics NV", "BE", "2024-02-30", 10, "EUR", "optics"])
    out = io.BytesIO()
    book.save(out)
    result = parse_list(out.getvalue(), "list.xlsx", config, organisation="ESO")
    assert [(r.supplier, r.value, r.currency, r.awarded_on) for r in result.rows] == [
        ("Delft Cryo B.V.", Decimal("1250.5"), "EUR", date(2024, 3, 1))]
    assert [(p.line, p.message) for p in result.problems] == [(3, "date: '2024-02-30' is not a date: use YYYY-MM-DD, "
                                                                  "e.g. 2026-03-31")]
    assert result.areas[2] == ["cryogenics"]
    wrong = parse_list(b"name,recipients,country\nA,a@b.nl,NL\n", "companies.csv", config)
    assert not wrong.rows and "unknown column 'name'" in str(wrong.problems[0])
    assert parse_list(b"\xff\xfe", "x.csv", config).problems[0].message.startswith("not UTF-8")


# --------------------------------------------------------------------------- rates


def test_the_shipped_ecb_table_converts_with_the_rate_of_the_day_or_the_day_before() -> None:
    table = RateTable(shipped_rates().rates, "shipped")
    assert table.last_day is not None and table.last_day >= date(2026, 10, 30)
    friday = table.to_eur(Decimal(1000), "CHF", date(2024, 6, 14))
    saturday = table.to_eur(Decimal(1000), "CHF", date(2024, 6, 15))
    assert friday.rate == Decimal("0.9534") and friday.rate_day == date(2024, 6, 14)  # ECB, 14 June 2024
    assert saturday == friday and friday.eur == Decimal("1048.88")
    assert table.to_eur(Decimal(5), "EUR", date(2024, 6, 15)).eur == Decimal(5)
    with pytest.raises(RateError, match="no ECB reference rate for 'XYZ'"):
        table.to_eur(Decimal(1), "XYZ", date(2024, 6, 15))
    with pytest.raises(RateError, match="on or shortly before 2008-06-15"):
        table.to_eur(Decimal(1), "CHF", date(2008, 6, 15))  # before the shipped table


ECB_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<gesmes:subject>Reference rates</gesmes:subject>
<Cube><Cube time="2026-11-02"><Cube currency="USD" rate="1.1201"/><Cube currency="CHF" rate="0.9210"/>
<Cube currency="GBP" rate="oops"/></Cube></Cube></gesmes:Envelope>"""
DAILY_CSV = b"Date, USD, JPY, CHF, \n02 November 2026, 1.1201, 176.10, 0.9210, \n"


def test_the_ecb_formats_are_read_and_bad_cells_reported() -> None:
    xml = parse_rates(ECB_XML, "eurofxref-daily.xml")
    assert xml.rates["CHF"] == {date(2026, 11, 2): Decimal("0.9210")} and "GBP" not in xml.rates
    assert xml.problems == ["eurofxref-daily.xml: line 5: 'oops' is not a number"]
    daily = parse_rates(DAILY_CSV, "eurofxref.csv")
    assert daily.rates["JPY"][date(2026, 11, 2)] == Decimal("176.10") and not daily.problems
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("eurofxref.csv", DAILY_CSV)
    assert parse_rates(packed.getvalue(), "eurofxref.zip").rates == daily.rates
    with pytest.raises(RateFileError, match="expected the ECB's header"):
        parse_rates(b"Day,USD\n2026-01-01,1\n", "other.csv")
    with pytest.raises(RateFileError, match="refused: declares internal entities"):
        parse_rates(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x time="1">&a;</x>', "evil.xml")


def test_loaded_rates_take_precedence_over_the_shipped_table(engine) -> None:
    with session_scope(engine) as session:
        added, changed = store_rates(session, parse_rates(ECB_XML, "eurofxref-daily.xml"), "test")
        assert (added, changed) == (2, 0)
        store_rates(session, parse_rates(b"Date,CHF,\n2024-06-14,1.5,\n", "fix.csv"), "test")
        table = load_table(session)
    assert table.rate("CHF", date(2026, 11, 3)) == (date(2026, 11, 2), Decimal("0.9210"))
    assert table.rate("CHF", date(2024, 6, 14))[1] == Decimal("1.5")
    assert table.rate("USD", date(2024, 6, 14))[1] == shipped_rates().rates["USD"][date(2024, 6, 14)]


# --------------------------------------------------------------------------- the coefficient by hand


def _ted_award(engine, config, *, winner: str, country: str, amount: int, currency: str, day: date) -> str:
    with session_scope(engine) as session:
        store = Store(session, Classifier(config.taxonomy))
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return store.upsert(NoticeRecord(
            source="test", organisation="CERN", external_id=f"TEST-AW-{winner}", reference=f"TEST-AW-{winner}",
            notice_type="contract_award", title="Award: cryostat test bench", status="awarded", languages=["en"],
            published_at=moment, awards=[TedAward(winner_name=winner, winner_country=country, awarded_at=moment,
                                                  value=Money(amount=Decimal(amount), currency=currency))],
        )).notice.call_uid


def test_the_return_coefficient_computed_by_hand(engine, config, tmp_path) -> None:
    """Supplies in 2024: NL 110 CHF (100 EUR at the loaded 1.1 CHF per euro), DE 300 EUR, FR 600 EUR;
    services: NL 50 EUR. CERN's 2009 shares apply (NL 4.79, DE 19.88, FR 15.34).
    NL supplies: 100 / 1000 = 10% of orders; 10 / 4.79 = 2.0877 -> well balanced.
    FR: 60% / 15.34 = 3.911; DE: 30% / 19.88 = 1.509; NL services: 100% / 4.79 = 20.877."""
    path = _write(tmp_path, "cern-2024.csv", GOOD_AND_BAD)
    with session_scope(engine) as session:
        store_rates(session, parse_rates(b"Date,CHF,\n2024-03-01,1.1,\n", "test.csv"), "test")
        import_award_list(session, config, path)
        result = report(session, config.organisation("CERN"), "NL", Period.year(2024), load_table(session))
    supplies = {b.country: b for b in result.balances["supplies"]}
    assert supplies["NL"].orders_eur == Decimal(100) and supplies["NL"].total_eur == Decimal(1000)
    assert supplies["NL"].coefficient == Decimal(10) / Decimal("4.79")
    assert round(supplies["NL"].coefficient, 4) == Decimal("2.0877")
    assert round(supplies["FR"].coefficient, 3) == Decimal("3.911")
    assert round(supplies["DE"].coefficient, 3) == Decimal("1.509")
    assert supplies["GB"].coefficient == 0 and result.label("supplies", supplies["GB"].coefficient) == \
        "very poorly balanced"
    assert result.label("supplies", supplies["NL"].coefficient) == "well balanced"
    services = result.balance("services")
    assert services is not None and round(services.coefficient, 3) == Decimal("20.877")
    assert result.completeness() == "CERN: 4 of an unknown number of contracts known (4 from the organisation's " \
                                    "award lists)"
    assert [a.area for a in result.areas if a.country_eur] == ["cryogenics", "services"]
    assert {a.area for a in result.areas if not a.country_eur} == {"vacuum", "magnets"}


# --------------------------------------------------------------------------- three origins, one contract


def win(engine, *, call_uid: str, company_key: str, value: int, currency: str = "EUR",
        when: datetime | None = None) -> str:
    """An ILO records a bid and then a win in the follow-up (``tenderwatch.followup.records``)."""
    from tenderwatch.followup.records import Actor, change_state, find_company

    ilo = Actor("ilo", "ilo-cern")
    with session_scope(engine) as session:
        company = find_company(session, company_key)
        change_state(session, call_uid=call_uid, company=company, state="bid_submitted", actor=ilo, now=when)
        follow_up, _ = change_state(session, call_uid=call_uid, company=company, state="won", actor=ilo,
                                    value=Decimal(value), currency=currency, now=when)
        return follow_up.uid


def test_wins_from_the_follow_up_count_once_beside_ted(engine, config) -> None:
    call = _ted_award(engine, config, winner="CryoVac Delft B.V.", country="NL", amount=400, currency="EUR",
                      day=date(2024, 9, 2))
    other = _ted_award(engine, config, winner="Somebody Else GmbH", country="DE", amount=10, currency="EUR",
                       day=date(2024, 9, 3))
    recorded = datetime(2024, 8, 20, 10, tzinfo=UTC)
    uid = win(engine, call_uid=call, company_key="cryovac-delft", value=400, when=recorded)
    win(engine, call_uid=other, company_key="twente-precision", value=80, when=recorded)
    with session_scope(engine) as session:
        facts = gather(session, organisation="CERN", start=date(2024, 1, 1), end=date(2024, 12, 31))
        assert [(f.origin, f.supplier, f.country) for f in facts] == [
            ("followup", "Twente Precision Engineering B.V.", "NL"), ("ted", "CryoVac Delft B.V.", "NL"),
            ("ted", "Somebody Else GmbH", "DE")]
        assert facts[1].also_in == ["ILO follow-up (recorded by ilo-cern)"]  # the same contract, counted once
        assert facts[0].key.startswith("followup:") and facts[0].day == date(2024, 8, 20)
        mine = supplier_awards(session, "CryoVac Delft BV", company_key="cryovac-delft")
        assert [f.key for f in mine] == [facts[1].key] and uid
    from tenderwatch.followup.records import Actor, change_state, find_company

    with session_scope(engine) as session:  # the win corrected to lost: no longer an award
        change_state(session, call_uid=other, company=find_company(session, "twente-precision"), state="lost",
                     actor=Actor("ilo", "ilo-cern"))
        facts = gather(session, organisation="CERN", start=date(2024, 1, 1), end=date(2024, 12, 31))
        assert [f.origin for f in facts] == ["ted", "ted"]


def test_the_import_command_reports_each_bad_row_and_imports_the_rest(engine, db_url, config_dir, tmp_path,
                                                                      monkeypatch, capsys) -> None:
    from tenderwatch.cli import main

    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(config_dir))
    path = _write(tmp_path, "cern-2024.csv", GOOD_AND_BAD)
    with pytest.raises(SystemExit) as done:
        main(["--database", db_url, "georeturn", "import", str(path)])
    out, err = capsys.readouterr()
    assert done.value.code == 1 and "Traceback" not in err
    assert [line.split(":")[0] for line in err.splitlines() if line.startswith("line ")] == ["line 3", "line 5",
                                                                                              "line 7"]
    assert "4 award(s) added, 0 already known; 3 row(s) skipped" in " ".join(out.split())
    with pytest.raises(SystemExit) as done:
        main(["--database", db_url, "georeturn", "report", "-o", "CERN", "--year", "2024", "--format", "json"])
    doc = __import__("json").loads(capsys.readouterr().out)
    assert done.value.code in (0, None) and doc["completeness"].startswith("CERN: 4 of an unknown number")


def test_the_rates_command_reads_an_ecb_file_from_a_url(db_url, engine, config_dir, monkeypatch, capsys) -> None:
    """``tenderwatch georeturn rates URL`` over real HTTP (a server on loopback serving the ECB's daily XML)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tenderwatch.cli import main

    class Ecb(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.end_headers()
            self.wfile.write(ECB_XML)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ecb)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(config_dir))
    try:
        with pytest.raises(SystemExit) as done:
            main(["--database", db_url, "georeturn", "rates", f"http://127.0.0.1:{server.server_port}/daily.xml"])
    finally:
        server.shutdown()
    out, err = capsys.readouterr()
    assert done.value.code in (0, None), err
    assert "2 rates of 2 currencies up to 2026-11-02; 2 added, 0 changed" in " ".join(out.split())
    assert "'oops' is not a number" in err
    with session_scope(engine) as session:
        assert load_table(session).rate("USD", date(2026, 11, 2))[1] == Decimal("1.1201")
