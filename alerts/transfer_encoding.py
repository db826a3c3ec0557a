"""Transfer encodings of mail bodies, as fast as a digest run needs and identical to the ``email``
package's: ``qp_body`` (quoted-printable, runs of lines that recur across mails encoded once) and
``base64_body``. ``alerts.message`` builds the message tree around them.

Quoted-printable works line by line, so the encoding of a body is the join of the encodings of its
runs of whole lines. A caller that builds a body from such runs (a digest: a call's block, the line
saying why it matched, the company's answer links) can keep each run's encoding beside it
(``qp_text``, once per run for the parts that recur) and hand the message an ``Encoded`` body:
the same bytes ``qp_body`` would write for the joined text, without encoding it again per mail.
``splice`` puts such runs into a page rendered with placeholders for them.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email import policy
from functools import lru_cache

_PLAIN_LINE = re.compile(rb"(?:[\t !-<>-~]{0,75}[!-<>-~])?")
"""A line quoted-printable leaves as it is: safe characters only, at most 76 (RFC 2045's limit), no
trailing blank."""
_SAFE_LINE = re.compile(r"(?:[\t !-<>-~]*[!-<>-~])?")
"""A line of safe characters, of any length, with no trailing blank: quoted-printable only breaks it."""
LINE = 76


@lru_cache(maxsize=1 << 15)
def _qp_line(line: bytes) -> str:
    """One line in quoted-printable (RFC 2045: '=' and non-ASCII as =XX, soft breaks within 76 characters;
    binascii's C encoder, a quarter of the time of ``quoprimime``'s, whose lines it matches in length)."""
    return binascii.b2a_qp(line, istext=True).decode("ascii")


def _qp_lines(chunk: bytes) -> str:
    plain = _PLAIN_LINE.fullmatch
    return "\n".join([line.decode("ascii") if plain(line) else _qp_line(line) for line in chunk.split(b"\n")])


def _qp_lines_once(chunk: bytes) -> str:
    """``_qp_lines`` for a run seen in one mail only: its lines are not cached either (a digest's answer
    links are a hundred distinct lines a mail, which pushed the recurring lines out of ``_qp_line``'s
    cache: 0.86 -> 0.66 ms a digest body on 600 text and HTML bodies of the 2,000-company bench)."""
    plain, encode = _PLAIN_LINE.fullmatch, binascii.b2a_qp
    return "\n".join([line.decode("ascii") if plain(line) else encode(line, istext=True).decode("ascii")
                      for line in chunk.split(b"\n")])


_qp_chunk = lru_cache(maxsize=1 << 15)(_qp_lines)
_CHUNK = re.compile(rb'\n(?=\n|<tr>|<div class="why">|<div class="ans">|BEGIN:VEVENT|[^\n<]*/answer/)')
"""Where a body is cut into runs of whole lines that recur across mails: a digest's calls are separated
by a blank line in text and start with <tr> in HTML, the line saying why a call matched (which differs
between companies) is cut from the call's lines (which do not), and so are the company's own answer
links under it (which differ in every mail), and a calendar's events each start with BEGIN:VEVENT.
Only speed depends on it: any cut is exact."""
_CHUNK_CACHED = 4096
_PER_MAIL = b"/answer/"
"""A run holding a company's answer links (``alerts.tokens``) is in one mail only: encoded, not cached,
so it does not push the runs that recur out of the cache."""


def qp_body(text: str) -> str:
    """``text`` as a UTF-8 quoted-printable body (what ``set_content(text, cte='quoted-printable')`` stores,
    up to where soft line breaks fall).

    Quoted-printable works line by line, so the body is the join of its lines' encodings, and of the
    encodings of any runs of whole lines: runs that recur (a call in many digests) are encoded once.
    """
    data = text.encode("utf-8")
    if b"\r" in data:  # CR, CRLF and LF all end a line: go line by line
        return "".join([_qp_lines(line) + "\n" for line in data.splitlines()]) or "\n"
    body = "\n".join([_qp_lines_once(c) if _PER_MAIL in c else _qp_chunk(c) if len(c) <= _CHUNK_CACHED
                       else _qp_lines(c) for c in _CHUNK.split(data)])
    return body if data.endswith(b"\n") else body + "\n"


def _soft_breaks(line: str) -> str:
    """A line of safe characters (``_SAFE_LINE``) in quoted-printable: cut by soft line breaks where
    binascii's encoder cuts it (75 characters and '=' a line; the last line may hold 76)."""
    if len(line) <= LINE:
        return line
    cuts = range(0, len(line) - LINE, LINE - 1)
    return "=\n".join([line[i:i + LINE - 1] for i in cuts]) + "=\n" + line[cuts[-1] + LINE - 1:]


def qp_text(text: str) -> str:
    """A run of whole lines in quoted-printable, line by line, without ``qp_body``'s caches: for a run
    whose encoding the caller keeps or that is in one mail only. For ``a`` ending with a newline,
    ``qp_text(a) + qp_text(b)`` is ``qp_text(a + b)``, and ``qp_body(t)`` is ``qp_text(t)`` plus the
    newline that ends a body (when ``t`` has no CR; a CR ends a line too, which only ``qp_body`` knows).

    A line of safe characters is only cut (a company's answer links: long URLs), in Python and without
    a round trip through bytes; any other line goes through binascii's encoder, as in ``qp_body``."""
    safe, encode = _SAFE_LINE.fullmatch, binascii.b2a_qp
    return "\n".join([_soft_breaks(line) if safe(line) else encode(line.encode("utf-8"), istext=True).decode("ascii")
                      for line in text.split("\n")])


@dataclass(frozen=True, slots=True)
class Encoded:
    """A body and its quoted-printable form, made from runs encoded beforehand (``qp_body(text) == qp``)."""

    text: str
    qp: str
    joined: bool = True
    """False when ``splice`` fell back to encoding the whole body (the same bytes, the slow way)."""


def splice(page: str, marker: re.Pattern[str], runs: Mapping[str, tuple[str, str]]) -> Encoded:
    """``page`` with each ``marker`` match (its one group a key of ``runs``) replaced by the run's text,
    and the quoted-printable form joined from the runs' encodings and the page's own text encoded here.

    Exact when every run starts a line and ends with a newline (a template that puts a run mid-line,
    or text with a CR, falls back to encoding the whole body with ``qp_body``: same bytes, slower).
    """
    parts = marker.split(page)
    texts: list[str] = []
    codes: list[str | None] = []
    aligned = at_line_start = True
    for i, part in enumerate(parts):
        if i % 2:
            text, code = runs[part]
            if text and (not at_line_start or not text.endswith("\n")):
                aligned = False
            texts.append(text)
            codes.append(code)
        else:
            texts.append(part)
            codes.append(None)
        if texts[-1]:
            at_line_start = texts[-1].endswith("\n")
    body = "".join(texts)
    if not aligned or "\r" in body:
        return Encoded(body, qp_body(body), joined=False)
    qp = "".join([qp_text(t) if c is None else c for t, c in zip(texts, codes, strict=True)])
    return Encoded(body, qp if body.endswith("\n") else qp + "\n")


def base64_body(data: bytes) -> str:
    """What ``set_content(bytes)`` stores: base64 in lines of 76 characters (57 bytes each, a multiple of 3,
    so encoding the whole and cutting it is the same as encoding line by line)."""
    width = policy.default.max_line_length // 4 * 4
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    return "".join([encoded[i:i + width] + "\n" for i in range(0, len(encoded), width)])
