"""Quoted-printable bodies: the encodings made once per run and joined per mail are the bytes the
whole-body encoder writes, every line within RFC 2045's 76 characters, and digests built from them
decode back to exactly what was rendered."""

from __future__ import annotations

import binascii
import re
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.digest_render import DigestRenderer
from alerts.facts import CompanyProfile, NoticeFacts
from alerts.matching import Match, Reason
from alerts.message import parse, serialise
from alerts.periods import period_for
from alerts.transfer_encoding import Encoded, qp_body, qp_text, splice
from tenderwatch.config import Config
from tests.alerts.support import NOW

ALPHABET = "ab =.\t-x<>~!é·\"/:_"
lines = st.text(alphabet=ALPHABET, max_size=400)


@settings(max_examples=400, deadline=None)
@given(lines)
def test_a_line_is_encoded_as_binascii_encodes_it(line: str) -> None:
    expected = binascii.b2a_qp(line.encode("utf-8"), istext=True).decode("ascii")
    assert qp_text(line) == (line if line == "." else expected)  # a lone dot: qp_body's plain line, valid QP


@settings(max_examples=300, deadline=None)
@given(st.lists(lines, max_size=8), st.booleans())
def test_runs_join_to_the_whole_body_and_decode_back(runs: list[str], final_newline: bool) -> None:
    text = "\n".join(runs) + ("\n" if final_newline else "")
    body = qp_body(text)
    assert qp_text(text) + ("" if text.endswith("\n") else "\n") == body
    assert all(len(line) <= 76 for line in body.split("\n"))
    assert binascii.a2b_qp(body.encode("ascii")).decode("utf-8").rstrip("\n") == text.rstrip("\n")


def test_plain_lines_of_77_and_78_characters_are_cut_within_76() -> None:
    for n in (76, 77, 78, 200):
        body = qp_body("x" * n + "\n")
        assert max(len(line) for line in body.split("\n")) <= 76
        assert binascii.a2b_qp(body.encode("ascii")) == b"x" * n + b"\n"


MARK = re.compile("\x00([a-z0-9]+)\x00")


def test_splice_puts_encoded_runs_into_a_page_and_falls_back_when_a_run_is_mid_line() -> None:
    texts = {"a": "* Caf\u00e9 = bar\n  " + "y" * 90 + "\n", "b": "last line\n"}
    # a run of pieces: one with its form made beforehand, one encoded only when asked (a mail's own line)
    runs = {k: [(text, qp_text(text)), ("  per mail \u00b7 " + "z" * 80 + "\n", None)] for k, text in texts.items()}
    page = "Intro \u00b7 line\n\x00a\x00middle\n\x00b\x00end without newline"
    joined = splice(page, MARK, runs)
    expected_text = page.replace("\x00a\x00", "".join(t for t, _c in runs["a"])).replace(
        "\x00b\x00", "".join(t for t, _c in runs["b"]))
    assert joined.text == expected_text
    assert joined.qp == qp_body(expected_text) and joined.joined
    assert joined == Encoded(expected_text, qp_body(expected_text))
    mid_line = splice("before \x00a\x00after\n", MARK, runs)
    assert mid_line.qp == qp_body(mid_line.text) and not mid_line.joined


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def _notice(i: int, title: str) -> NoticeFacts:
    return NoticeFacts(
        id=i, uid=f"tw-{i:04d}", call_uid=f"tw-{i:04d}", organisation="CERN", organisation_name="CERN",
        organisation_timezone="Europe/Zurich", reference=f"REF={i}", notice_type="invitation_to_tender",
        title=title, url=f"https://example.org/calls/{i}?a=1&b=2", deadline_at=NOW + timedelta(days=3 + i),
        published_at=None, first_seen_at=NOW - timedelta(days=1), last_changed_at=NOW, status="open",
        value_amount=Decimal("1250000"), value_currency="EUR", value_note=None, cpv_codes=["38000000"],
        eligible_countries=None, areas=[("cryogenics", 0.9)], area_evidence={"cryogenics": ["title:cryostat"]})


def test_a_digest_joined_from_encoded_runs_is_what_the_whole_body_encoder_writes(config: Config,
                                                                                 secret: str) -> None:
    """Titles with '=', non-ASCII and long lines, in both languages."""
    titles = ["Cryostat = 4 K \u00e9t\u00e9 \u00b7 " + "long " * 30, "Cryostat <b>bold</b> & \u201cquoted\u201d",
              "Cryostat " + "x" * 150, "Cryostat."]
    notices = [_notice(i, t) for i, t in enumerate(titles)]
    renderer = DigestRenderer(config, period_for("weekly", now=NOW, timezone="Europe/Amsterdam"))
    since = NOW - timedelta(days=7)
    for key, language in (("cryo", "en"), ("koud_b-v", "nl")):
        company = CompanyProfile(
            id=1, key=key, name="Caf\u00e9 = Cryo, B.V.", recipients=["a@example.nl"], country="NL",
            language=language, timezone="Europe/Amsterdam", areas=["cryogenics"], keywords=[], cpv_prefixes=[],
            organisations=[], value_min=None, value_max=None, frequency="weekly")
        matches = [Match(n, [Reason("area", "cryogenics")]) for n in notices]
        rendered = renderer.render(company, [(m, "new") for m in matches], matches[:2], since)
        assert rendered.bodies is not None and rendered.ics is not None
        text, html = rendered.bodies
        assert text.joined and html.joined  # the fast path was taken, not the fallback
        assert (text.text, html.text) == (rendered.text, rendered.html)
        assert text.qp == qp_body(rendered.text) and html.qp == qp_body(rendered.html)
        assert rendered.ics_qp == qp_body(rendered.ics.decode("utf-8").replace("\r\n", "\n"))
        (_rcpt, message), = renderer.messages(company, rendered, company.recipients)
        wire = serialise(message)
        assert max(len(line) for line in wire.split("\r\n")) <= 998
        back = parse(wire)  # read back by the email package, line ends as LF
        assert _lf(back.get_body(preferencelist=("plain",)).get_content()) == rendered.text
        assert _lf(back.get_body(preferencelist=("html",)).get_content()) == rendered.html
        (calendar,) = [p for p in back.iter_attachments() if p.get_content_type() == "text/calendar"]
        assert _lf(calendar.get_content()) == _lf(rendered.ics.decode("utf-8"))
        assert rendered.text.count("/answer/") == 2 * len(notices)
