"""The companies' answers summed per area (administration page), a profile change suggested to a company
that keeps rejecting one of its areas (preferences page), and the morning reminders of interested
companies without a bid, once a day, through a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine, select

from alerts.notify import run_ilo_notifications
from alerts.tokens import make_token
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice
from tenderwatch.followup.precision import SUGGEST_AFTER, answers_per_area, profile_suggestions
from tenderwatch.followup.records import Actor, change_state, find_company
from tests.alerts.support import NOW, Recorder, company, notice, set_companies, store
from tests.web.conftest import ILO_PASSWORD


def _answer(engine: Engine, call: str, key: str, answer: str, reason: str | None = None,
            now=NOW) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        change_state(s, call_uid=call, company=find_company(s, key), state=answer, actor=Actor("company", key),
                     reason=reason, now=now)


def _calls(engine: Engine) -> dict[str, str]:
    with session_scope(engine) as s:
        return {n.reference or "": n.call_uid for n in s.scalars(select(Notice))}


def test_not_for_us_per_area_and_a_suggested_profile_change(engine: Engine, config: Config) -> None:
    set_companies(engine, config, [company("cryo", areas=["cryogenics", "vacuum"]), company("vac", areas=["vacuum"])])
    store(engine, config, [notice(f"V-{i}", f"Vacuum chamber {i}", areas=["vacuum"]) for i in range(4)]
          + [notice("C-1", "Cryostat", areas=["cryogenics"])])
    calls = _calls(engine)
    for i in range(SUGGEST_AFTER):
        _answer(engine, calls[f"REF-V-{i}"], "cryo", "not_interested", "wrong_area" if i else None)
    _answer(engine, calls["REF-V-3"], "cryo", "interested")  # changed its mind: counts as its latest answer
    _answer(engine, calls["REF-V-3"], "cryo", "not_interested", "too_big")
    _answer(engine, calls["REF-C-1"], "cryo", "interested")
    _answer(engine, calls["REF-V-0"], "vac", "interested")
    with session_scope(engine) as s:
        per_area = {a.area: (a.not_for_us, a.interested, dict(a.reasons)) for a in answers_per_area(s)}
        assert per_area == {"vacuum": (4, 1, {"none": 1, "wrong_area": 2, "too_big": 1}),
                            "cryogenics": (0, 1, {})}
        suggestions = profile_suggestions(s, find_company(s, "cryo"))
        assert [(x.area, x.not_for_us, x.interested, x.wrong_area) for x in suggestions] == [("vacuum", 4, 0, 2)]
        assert profile_suggestions(s, find_company(s, "vac")) == []


def test_the_preferences_page_suggests_and_the_admin_page_sums(client, engine, seeded, config) -> None:  # type: ignore[no-untyped-def]
    # areas given, so the sums do not move with the classifier's rules
    store(engine, config, [notice(f"V-{i}", f"UHV vacuum vessel {i}", areas=["vacuum"]) for i in range(3)]
          + [notice("M-1", "Corrector magnets", areas=["magnets"])])
    calls = _calls(engine)
    for i in range(3):  # each in vacuum, one of the company's areas
        _answer(engine, calls[f"REF-V-{i}"], "cryovac-delft", "not_interested", "wrong_area")
    _answer(engine, calls["REF-M-1"], "twente-precision", "interested")
    with session_scope(engine) as s:
        expected = profile_suggestions(s, find_company(s, "cryovac-delft"))
        per_area = answers_per_area(s)
    assert [x.area for x in expected] == ["vacuum"]
    token = make_token(config.settings, "cryovac-delft", "preferences")
    page = client.get(f"/preferences/{token}?lang=en").text
    assert re.findall(r"<li>([^<]+): you answered “Not for us” to (\d+) of (\d+) calls \((\d+) said", page) == [
        ("Vacuum", "3", "3", "3")]
    assert "Untick it below" in page
    other = client.get(f"/preferences/{make_token(config.settings, 'twente-precision', 'preferences')}").text
    assert "suggest a change to your profile" not in other
    login = client.get("/login").text
    client.post("/login", data={"username": "root-admin", "password": ILO_PASSWORD, "next": "/admin/",
                                "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)})  # type: ignore[union-attr]
    admin = client.get("/admin/").text
    assert "Companies&#39; answers per technology area" in admin
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>", admin)
    assert rows[0] == ("Vacuum", "3", "0") and ("Magnets and superconductivity", "0", "1") in rows
    assert len(rows) == len(per_area) and "wrong area 3" in admin


def test_morning_reminders_name_interested_companies_without_a_bid_once_a_day(
        engine: Engine, smtp_config: Config, smtp: tuple[Recorder, object]) -> None:
    recorder, _ = smtp
    set_companies(engine, smtp_config, [company("cryo", name="Cryo B.V.", areas=["cryogenics"]),
                                        company("late", areas=["cryogenics"])])
    store(engine, smtp_config, [notice("S-1", "Cryostat closing soon", areas=["cryogenics"], days=5),
                                notice("S-2", "Cryostat closing later", areas=["cryogenics"], days=20),
                                notice("S-3", "Cryostat at ESS", organisation="ESS", areas=["cryogenics"], days=2)],
          now=NOW - timedelta(days=30))  # old calls: nothing new to report, only the reminders
    calls = _calls(engine)
    _answer(engine, calls["REF-S-1"], "cryo", "interested")
    _answer(engine, calls["REF-S-2"], "cryo", "interested")  # closes in 20 days: no reminder yet
    _answer(engine, calls["REF-S-3"], "late", "interested")
    with session_scope(engine) as s:  # a bid is recorded: no reminder
        change_state(s, call_uid=calls["REF-S-3"], company=find_company(s, "late"), state="bid_submitted",
                     actor=Actor("ilo", "anna"), now=NOW)
    assert run_ilo_notifications(engine, smtp_config, now=NOW).queued == 0  # after a crawl: no reminders
    report = run_ilo_notifications(engine, smtp_config, now=NOW, reminders=True)
    assert report.queued == 1 and report.sent == 1
    mail = recorder.to("ilo-cern@example.nl")[0]
    assert mail["Subject"] == "Tenderwatch CERN: 1 bedrijf met interesse zonder inschrijving"  # the ILO reads Dutch
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Cryo B.V. · Cryostat closing soon" in text and "Cryostat closing later" not in text
    assert "Cryostat at ESS" not in text and "/ilo/follow-up?state=interested" in text
    assert run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(hours=3), reminders=True).queued == 0
    next_day = run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(days=1), reminders=True)
    assert next_day.queued == 1 and len(recorder.to("ilo-cern@example.nl")) == 2
