"""The company directory end to end on the real site: a company edits its record through its signed
preferences link, it waits for an ILO, the ILO publishes it, it appears in /directory, and the brochure
PDF (WeasyPrint), read back with pdfplumber, holds it under its technology area with its reference.
Then the company's later edit waits for review while the public keeps the reviewed copy, and opting
out removes it at once. Forged links, missing CSRF tokens and bad fields change nothing."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.tokens import make_token
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company, DirectoryProfile
from tenderwatch.georeturn.award_list import import_award_list

from .test_site import _csrf, _login

LIST = """organisation,date,supplier,supplier_country,value,currency,category,title
CERN,2024-10-15,CryoVac Delft BV,NL,230000,EUR,cryogenics,Cryogenic valves for the test hall
CERN,2024-11-02,Someone Else B.V.,NL,1000,EUR,vacuum,Not theirs
"""
FORM = {"listed": "1", "description_en": "Cryostats and helium transfer lines, leak-tested.",
        "description_nl": "Cryostaten en heliumleidingen.", "areas": ["cryogenics", "vacuum"],
        "capabilities": "Cryostat design\nHelium leak testing", "certifications": "ISO 9001", "sme": "yes",
        "website": "cryovac.example.nl", "contact_name": "A. de Vries",
        "contact_email": "bigscience@cryovac.example.nl"}


def _record(engine) -> DirectoryProfile | None:
    with session_scope(engine) as session:
        company = session.scalar(select(Company).where(Company.key == "cryovac-delft"))
        profile = session.get(DirectoryProfile, company.id)
        if profile is not None:
            session.expunge(profile)
        return profile


def _brochure_text(engine, config, tmp_path: Path) -> list[str]:
    pdfplumber = pytest.importorskip("pdfplumber")
    from tenderwatch.directory.brochure import PdfUnavailableError, brochure_html, write_pdf

    with session_scope(engine) as session:
        html, count = brochure_html(session, config, made=date(2026, 12, 3))
    assert count == 1
    try:
        write_pdf(html, tmp_path / "brochure.pdf")
    except PdfUnavailableError as exc:
        pytest.skip(str(exc))
    with pdfplumber.open(tmp_path / "brochure.pdf") as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def test_a_company_edits_an_ilo_publishes_the_directory_and_brochure_show_it(client, engine, config, seeded,
                                                                            tmp_path) -> None:
    (tmp_path / "cern.csv").write_text(LIST, encoding="utf-8")
    with session_scope(engine) as session:
        import_award_list(session, config, tmp_path / "cern.csv")
    token = make_token(config.settings, "cryovac-delft", "preferences")
    page = client.get(f"/preferences/{token}/directory")
    assert page.status_code == 200 and "Cryogenic valves for the test hall" in page.text
    assert "Not theirs" not in page.text  # only awards under the company's name are offered
    reference = re.search(r'name="references" value="([^"]+)"', page.text)[1]  # type: ignore[index]
    saved = client.post(f"/preferences/{token}/directory", data={**FORM, "references": [reference],
                                                                  "csrf_token": _csrf(page.text)},
                        follow_redirects=False)
    assert saved.status_code == 303
    record = _record(engine)
    assert record is not None and record.status == "pending" and record.published is None
    assert record.website == "https://cryovac.example.nl" and record.confirmed_references == [reference]
    assert "CryoVac" not in client.get("/directory").text  # not public before review
    assert client.get("/directory/cryovac-delft").status_code == 404

    _login(client)
    assert 'href="/ilo/directory"' in client.get("/ilo/").text  # the ILO's first page leads to the queue
    queue = client.get("/ilo/directory").text
    assert "CryoVac Delft B.V." in queue and "pending" in queue
    review = client.get("/directory/cryovac-delft")
    assert review.status_code == 200 and "Publish" in review.text
    published = client.post("/ilo/directory/cryovac-delft", data={"action": "publish",
                                                                   "csrf_token": _csrf(review.text)},
                            follow_redirects=False)
    assert published.status_code == 303
    assert _record(engine).published_by == "ilo-cern"  # type: ignore[union-attr]
    client.post("/logout", data={"csrf_token": _csrf(client.get("/ilo/").text)})

    listing = client.get("/directory", params={"area": "cryogenics", "q": "helium"}).text
    assert "CryoVac Delft B.V." in listing
    assert "CryoVac" not in client.get("/directory", params={"area": "optics"}).text
    public = client.get("/directory/cryovac-delft").text
    assert "Cryostats and helium transfer lines" in public and "CERN 2024: Cryogenic valves for the test hall" in public

    pages = _brochure_text(engine, config, tmp_path)
    entry = next(i for i, text in enumerate(pages) if "Cryostats and helium transfer lines" in text)
    text = pages[entry]
    assert "Cryogenics" in text and text.index("Cryogenics") < text.index("CryoVac Delft B.V.")
    assert "CERN 2024: Cryogenic valves for the test hall" in text and "ISO 9001" in text
    index = next(t for t in pages if t.startswith("Index") or "\nIndex" in t)
    assert re.search(rf"CryoVac Delft B\.V\.\W*{entry + 1}\b", index)  # the index gives its page number

    # a later edit waits for review: the public keeps the reviewed copy
    page = client.get(f"/preferences/{token}/directory")
    client.post(f"/preferences/{token}/directory", data={**FORM, "description_en": "Something else entirely.",
                                                          "csrf_token": _csrf(page.text)})
    assert _record(engine).status == "pending"  # type: ignore[union-attr]
    assert "Cryostats and helium" in client.get("/directory/cryovac-delft").text
    # opting out removes it at once
    page = client.get(f"/preferences/{token}/directory")
    client.post(f"/preferences/{token}/directory", data={**{k: v for k, v in FORM.items() if k != "listed"},
                                                          "csrf_token": _csrf(page.text)})
    assert client.get("/directory/cryovac-delft").status_code == 404
    assert "CryoVac" not in client.get("/directory").text


def test_bad_input_changes_nothing(client, engine, config, seeded) -> None:
    token = make_token(config.settings, "cryovac-delft", "preferences")
    assert client.get("/preferences/garbage/directory").status_code == 403
    unsubscribe_only = make_token(config.settings, "cryovac-delft", "unsubscribe")
    assert client.get(f"/preferences/{unsubscribe_only}/directory").status_code == 403
    page = client.get(f"/preferences/{token}/directory")
    no_csrf = client.post(f"/preferences/{token}/directory", data=FORM)
    assert no_csrf.status_code == 403
    bad = client.post(f"/preferences/{token}/directory", data={
        **FORM, "website": "javascript:alert(1)", "contact_email": "not-an-address", "areas": ["nowhere"],
        "description_en": "", "csrf_token": _csrf(page.text)})
    assert bad.status_code == 400
    for said in ("website: not an http(s) address", "contact e-mail", "unknown area: nowhere",
                 "a listed company needs an English description"):
        assert said in bad.text
    record = _record(engine)
    assert record is None or (record.status == "draft" and record.website is None)
    review = client.post("/ilo/directory/cryovac-delft", data={"action": "publish"}, follow_redirects=False)
    assert review.status_code in (303, 403)  # not signed in: to the sign-in page, never published
    assert (_record(engine) is None) or _record(engine).published is None  # type: ignore[union-attr]


def test_partners_cover_every_area_of_a_call() -> None:
    from tenderwatch.directory.partners import partners

    found = partners(["cryogenics", "vacuum", "magnets", "space"], [
        ("CryoVac", ["cryogenics", "vacuum"]), ("Twente", ["magnets", "mechanical"]), ("Solo", ["vacuum"]),
        ("All-but-one", ["cryogenics", "magnets"])])
    assert found.per_area == {"cryogenics": ["CryoVac", "All-but-one"], "vacuum": ["CryoVac", "Solo"],
                              "magnets": ["Twente", "All-but-one"], "space": []}
    assert found.uncovered == ["space"]
    # the fewest companies (two); first the team covering most areas twice over
    assert found.teams == [["CryoVac", "All-but-one"], ["CryoVac", "Twente"], ["All-but-one", "Solo"]]
    assert partners(["optics"], [("A", ["optics"])]).teams == []  # one area needs no team


def test_the_matching_page_proposes_partners_for_a_call_in_several_areas(client, engine, seeded) -> None:
    from tenderwatch.db.models import Notice, NoticeArea

    # The seeded cryostat call ("... vacuum insulated") is cryogenics for the classifier; give it vacuum as
    # well, as a reclassification could, so that it spans two areas whatever the classifier's weights are.
    with session_scope(engine) as session:
        for notice in session.scalars(select(Notice).where(Notice.call_uid == seeded.cryostat_call)):
            if "vacuum" not in {a.area_id for a in notice.areas}:
                session.add(NoticeArea(notice_id=notice.id, area_id="vacuum", score=0.6, evidence=[]))
    with session_scope(engine) as session:
        areas = set(session.scalars(select(NoticeArea.area_id).join(Notice, NoticeArea.notice_id == Notice.id)
                                    .where(Notice.call_uid == seeded.cryostat_call)))
    assert {"cryogenics", "vacuum"} <= areas
    _login(client)
    page = client.get(f"/ilo/calls/{seeded.cryostat_call}/companies").text
    assert "Partners for this call" in page
    per_area = re.search(r'<table class="plain per-area">(.*?)</table>', page, re.S)
    assert per_area and "Cryogenics" in per_area[1] and "CryoVac Delft B.V." in per_area[1]
    teams = re.search(r'<ol class="teams">(.*?)</ol>', page, re.S)
    assert teams and "<strong>CryoVac Delft B.V.</strong>" in teams[1]


def test_an_ilo_sees_unpublished_records_only_within_its_scope(client, engine, config, seeded) -> None:
    """noordwijk-space-systems follows ESA and ESO; an ILO bound to the CERN address does not see its
    unpublished record (nor may review it), the ILO of ESO/SKAO does (settings.ilo_scope: organisations)."""
    from tenderwatch.directory import profiles
    from tenderwatch.web.users import add_user

    from .conftest import ILO_PASSWORD

    with session_scope(engine) as session:
        company = session.scalar(select(Company).where(Company.key == "noordwijk-space-systems"))
        profiles.save(session, company, {"listed": True, "description_en": "Space-qualified electronics.",
                                         "areas": ["space", "electronics"]})
    add_user(engine, "ilo-of-cern", ILO_PASSWORD, "ilo", ilo_email="ilo-cern@example.nl")
    add_user(engine, "ilo-of-eso", ILO_PASSWORD, "ilo", ilo_email="ilo-astro@example.nl")
    _login(client, "ilo-of-cern")
    assert "Noordwijk" not in client.get("/directory").text and "Noordwijk" not in client.get("/ilo/directory").text
    assert client.get("/directory/noordwijk-space-systems").status_code == 404
    page = client.get("/ilo/directory").text
    refused = client.post("/ilo/directory/noordwijk-space-systems", data={"action": "publish",
                                                                           "csrf_token": _csrf(page)})
    assert refused.status_code == 403 and _record_of(engine, "noordwijk-space-systems").published is None
    client.post("/logout", data={"csrf_token": _csrf(page)})
    _login(client, "ilo-of-eso")
    assert "Noordwijk Space Systems B.V." in client.get("/directory").text
    assert "Space-qualified electronics." in client.get("/directory/noordwijk-space-systems").text


def _record_of(engine, key: str) -> DirectoryProfile:
    with session_scope(engine) as session:
        company = session.scalar(select(Company).where(Company.key == key))
        profile = session.get(DirectoryProfile, company.id)
        session.expunge(profile)
        return profile
