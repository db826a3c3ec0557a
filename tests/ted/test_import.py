"""TED import: hostile XML refused with a clear reason while the rest goes on, packages streamed,
rejected files kept, a second import changes nothing, awards stored and listed."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from pipeline.import_base import Problem
from pipeline.importers import iter_items
from pipeline.ted.safexml import UnsafeXmlError, parse_bytes
from tenderwatch.cli import app, load_commands
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Award, Notice, Organisation, Reject

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api.ted.europa.eu" / "notices"

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE TED_EXPORT [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<TED_EXPORT xmlns="http://publications.europa.eu/resource/schema/ted/R2.0.9/publication">&secret;</TED_EXPORT>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE TED_EXPORT SYSTEM "http://127.0.0.1:9/ted.dtd">
<TED_EXPORT xmlns="http://publications.europa.eu/resource/schema/ted/R2.0.9/publication"/>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">""" + b"".join(
    b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
) + b"""]><lolz>&lol9;</lolz>"""


@pytest.mark.parametrize(("data", "reason"), [
    (XXE, "external entity"), (EXTERNAL_DTD, "external DTD"), (LAUGHS, "entity-expansion bomb")])
def test_unsafe_xml_refused(data: bytes, reason: str) -> None:
    with pytest.raises(UnsafeXmlError, match=reason):
        parse_bytes(data, "evil.xml")


def test_unsafe_documents_never_resolve_anything(tmp_path: Path) -> None:
    """Even below the DOCTYPE check, the parser itself expands nothing and fetches nothing."""
    from lxml import etree

    from pipeline.ted.safexml import _PARSER

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doc = XXE.replace(b"file:///etc/passwd", secret.as_uri().encode())
    root = etree.fromstring(doc, _PARSER)
    assert "TOP-SECRET" not in etree.tostring(root, encoding="unicode")
    with pytest.raises(etree.XMLSyntaxError, match="amplification"):  # libxml2's own guard, kept on
        etree.fromstring(LAUGHS, _PARSER)


def _cli(engine: Engine, config_dir: Path, *args: str) -> object:
    load_commands()
    return CliRunner().invoke(app, ["--config", str(config_dir), "--database",
                                    engine.url.render_as_string(hide_password=False), *args], env={"COLUMNS": "300"})


def test_import_goes_on_past_hostile_files_and_keeps_them(tmp_path: Path, engine: Engine, config_dir: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    rejects = tmp_path / "rejects"
    monkeypatch.setenv("TENDERWATCH_REJECTS_DIR", str(rejects))
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("eforms-cn-f4e.xml", "legacy-f03-ill.xml"):
        shutil.copy(FIXTURES / name, folder / name)
    (folder / "xxe.xml").write_bytes(XXE)
    (folder / "dtd.xml").write_bytes(EXTERNAL_DTD)
    (folder / "laughs.xml").write_bytes(LAUGHS)
    (folder / "broken.xml").write_bytes(b"<TED_EXPORT><unclosed>")
    result = _cli(engine, config_dir, "import", str(folder))
    assert result.exit_code == 1, result.output  # rejects make the exit code non-zero
    assert "2 new" in result.output and "4 rejected" in result.output
    assert "xxe.xml: refused: declares an external entity (XXE)" in result.output
    assert "laughs.xml: refused: declares internal entities" in result.output
    with session_scope(engine) as s:
        assert s.scalar(select(func.count(Notice.id))) == 2
        rows = {Path(r.location).name: r for r in s.scalars(select(Reject))}
        assert set(rows) == {"xxe.xml", "dtd.xml", "laughs.xml", "broken.xml"}
        assert "not well-formed" in rows["broken.xml"].reason
        assert rows["xxe.xml"].raw is not None and "file:///etc/passwd" in rows["xxe.xml"].raw
    kept = sorted(p.name.split("-", 1)[1] for p in rejects.iterdir())
    assert kept == ["broken.xml", "dtd.xml", "laughs.xml", "xxe.xml"]
    assert any(p.read_bytes() == XXE for p in rejects.iterdir())


def _package(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_daily_package_is_streamed_and_import_is_idempotent(tmp_path: Path, engine: Engine, config_dir: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENDERWATCH_REJECTS_DIR", str(tmp_path / "rejects"))
    members = {f"20250115/{p.name}": p.read_bytes() for p in sorted(FIXTURES.glob("*.xml"))}
    members["20250115/evil.xml"] = LAUGHS
    package = tmp_path / "20250115_010.tar.gz"
    _package(package, members)
    items = list(iter_items([package]))
    problems = [i for i in items if isinstance(i, Problem)]
    assert len(items) == 8 and [p.location for p in problems] == [f"{package}:20250115/evil.xml"]

    first = _cli(engine, config_dir, "import", str(package))
    # the change notices update the notices they change (the eForms one arrives first and is joined)
    assert "5 new, 1 changed, 0 unchanged, 1 merged, 1 rejected" in first.output, first.output
    with session_scope(engine) as s:
        before = {(n.uid, n.last_changed_at, n.content_hash) for n in s.scalars(select(Notice))}
        awards_before = s.scalar(select(func.count(Award.id)))
    second = _cli(engine, config_dir, "import", str(package))
    assert "0 new, 0 changed, 7 unchanged" in second.output, second.output
    with session_scope(engine) as s:
        assert {(n.uid, n.last_changed_at, n.content_hash) for n in s.scalars(select(Notice))} == before
        assert s.scalar(select(func.count(Award.id))) == awards_before == 5
        orgs = dict(s.execute(select(Notice.extra["ted_publication_number"].as_string(), Organisation.code)
                              .join(Organisation, Notice.organisation_id == Organisation.id)).all())
    assert orgs == {"100001-2025": "F4E", "100002-2025": "ESS", "100003-2025": "XFEL",
                    "12345-2021": "FAIR", "54321-2021": "ILL"}


def test_truncated_package_reports_and_keeps_what_was_read(tmp_path: Path) -> None:
    package = tmp_path / "p.tar.gz"
    _package(package, {"a.xml": (FIXTURES / "eforms-pin-xfel.xml").read_bytes(), "b.xml": os.urandom(200_000)})
    data = package.read_bytes()
    package.write_bytes(data[: len(data) // 2])
    items = list(iter_items([package]))
    assert not isinstance(items[0], Problem)
    assert isinstance(items[-1], Problem) and "not a readable tar.gz package" in items[-1].reason


def test_awards_command_lists_winners_with_totals(tmp_path: Path, engine: Engine, config_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENDERWATCH_REJECTS_DIR", str(tmp_path / "rejects"))
    monkeypatch.setenv("COLUMNS", "200")
    _cli(engine, config_dir, "import", str(FIXTURES))
    out = _cli(engine, config_dir, "awards", "--country", "NL").output
    assert "Cryo Techniek Delft B.V." in out and "Neutron Optics Groningen B.V." in out
    assert "Hochvakuum Dresden" not in out and "Detector Works" not in out  # DE and GB winners
    assert "1 850 000 EUR" in out and "4 200 000 SEK" in out  # currencies never added together
    only = _cli(engine, config_dir, "awards", "--country", "NL", "--organisation", "ILL", "--format", "json").output
    assert only.count("\n") == 1 and '"winner": "Neutron Optics Groningen B.V."' in only
    since = _cli(engine, config_dir, "awards", "--country", "NL", "--since", "2025-01-01", "-f", "csv").output
    assert "Neutron Optics" not in since and since.count("\n") == 3  # header + two ESS awards
    bad = _cli(engine, config_dir, "awards", "--country", "XX")
    assert bad.exit_code == 2 and "unknown country" in bad.output


def test_bulk_insert_stores_what_the_per_record_path_stores(engine: Engine, config) -> None:
    """``Ingestor.add_many`` (multi-row inserts) and ``add`` (one upsert) must store the same notice."""
    from pipeline.export import notice_to_export
    from pipeline.ingest import Ingestor
    from pipeline.ted import parse_notice

    data = (FIXTURES / "eforms-can-ess.xml").read_bytes().replace(
        b"European Spallation Source ERIC", b"Lunds kommun")  # no organisation: eligible for the bulk path
    bulk, single = parse_notice(data, "a.xml"), parse_notice(data, "b.xml")
    single.source = "ted-copy"
    with Ingestor(engine, config) as ing:
        ing.add_many([bulk])
        ing.add(single)
        ing.add_many([parse_notice(data, "again.xml")])  # already stored: goes through upsert, unchanged
        assert dict(ing.stats.counts) == {"new": 2, "unchanged": 1}
    volatile = {"id", "call_id", "first_seen_at", "last_changed_at", "sources", "source"}
    with session_scope(engine) as s:
        a, b = (notice_to_export(n) for n in s.scalars(select(Notice).order_by(Notice.id)))
    assert {k: v for k, v in a.items() if k not in volatile} == {k: v for k, v in b.items() if k not in volatile}
    assert a["awards"] and a["lots"] and a["technology_areas"]
