"""Transfer encodings of mail bodies, as fast as a digest run needs and identical to the ``email``
package's: ``eight_bit`` (8bit: the UTF-8 text as it is, what every body is sent as when its lines
allow), ``qp_body`` (quoted-printable, runs of lines that recur across mails encoded once: bodies with
a line too long for 8bit, and mails converted for a server without 8BITMIME) and ``base64_body``.
``alerts.message`` builds the message tree around them.

8bit needs no run-by-run encoding: a body's 8bit form is its UTF-8 bytes (held as a str with the
bytes above 127 as surrogate escapes, as ``set_content(cte='8bit')`` stores them), one C call per
body (35 µs for a digest's text and HTML together), and its line-length check is another.

Quoted-printable works line by line, so the encoding of a body is the join of the encodings of its
runs of whole lines. A caller that builds a body from such runs (a digest: a call's block, the line
saying why it matched, the company's answer links) can keep each run's encoding beside it
(``qp_text``, once per run for the parts that recur) and hand the message an ``Encoded`` body,
whose quoted-printable form is joined from them only when the body goes quoted-printable: the same
bytes ``qp_body`` would write for the joined text, without encoding it again per mail. ``splice``
puts such runs into a page rendered with placeholders for them.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping, Sequence
from email import policy
from functools import lru_cache

_PLAIN_LINE = re.compile(rb"(?:[\t !-<>-~]{0,75}[!-<>-~])?")
"""A line quoted-printable leaves as it is: safe characters only, at most 76 (RFC 2045's limit), no
trailing blank."""
_SAFE_LINE = re.compile(r"(?:[\t !-<>-~]*[!-<>-~])?")
"""A line of safe characters, of any length, with no trailing blank: quoted-printable only breaks it."""
LINE = 76
MAX_LINE = 998
"""RFC 5322 2.1.1: a line of a message holds at most 998 octets before its CRLF (8bit bodies included)."""


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


def qp_bytes(data: bytes) -> str:
    """A body's bytes (any charset, LF line ends) in quoted-printable, line by line and uncached: what
    ``qp_body`` writes for UTF-8 text, for a part converted once (``alerts.transport.seven_bit``)."""
    if data.endswith(b"\n"):
        data = data[:-1]
    return _qp_lines(data) + "\n"


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


Piece = tuple[str, str | None]
"""Whole lines of a body and their quoted-printable form made beforehand (a run encoded once per run), or
None: encoded from the text only if the body's quoted-printable form is asked for (a line of one mail)."""


class Encoded:
    """A body and the pieces it was joined from, whose quoted-printable form (``qp``, the same as
    ``qp_body(text)``) is joined from the pieces' forms only when asked for: a body that goes 8bit (every
    body whose lines allow) never needs it, so nothing is encoded per mail for it."""

    __slots__ = ("_joined", "_pieces", "_qp", "text")

    def __init__(self, text: str, qp: str | None = None, *, pieces: Sequence[Piece] = ()) -> None:
        self.text = text
        self._qp = qp
        self._pieces = pieces
        self._joined = qp is not None

    @classmethod
    def join(cls, pieces: Sequence[Piece]) -> Encoded:
        return cls("".join([text for text, _code in pieces]), pieces=pieces)

    @property
    def qp(self) -> str:
        if self._qp is None:
            self._qp, self._joined = _join_qp(self.text, self._pieces)
            self._pieces = ()
        return self._qp

    @property
    def joined(self) -> bool:
        """True when ``qp`` was joined from the pieces' forms; False when it fell back to encoding the whole
        body (the same bytes, the slow way: a piece with a form of its own that does not start a line or
        does not end with a newline, or a CR in the text)."""
        _ = self.qp
        return self._joined

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Encoded) and (self.text, self.qp) == (other.text, other.qp)

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"Encoded(text={self.text[:40]!r}..., {len(self.text)} characters)"


def _join_qp(body: str, pieces: Sequence[Piece]) -> tuple[str, bool]:
    """(``qp_body(body)``, whether it was joined from the pieces): pieces without a form are encoded together
    (``qp_text``) between those with one, which must each start a line and end with a newline."""
    if "\r" in body:
        return qp_body(body), False
    out: list[str] = []
    pending: list[str] = []
    at_line_start = True
    for text, code in pieces:
        if code is None:
            pending.append(text)
        else:
            if text and (not at_line_start or not text.endswith("\n")):
                return qp_body(body), False
            if pending:
                out.append(qp_text("".join(pending)))
                pending = []
            out.append(code)
        if text:
            at_line_start = text.endswith("\n")
    if pending:
        out.append(qp_text("".join(pending)))
    qp = "".join(out)
    return (qp if body.endswith("\n") else qp + "\n"), True


def splice(page: str, marker: re.Pattern[str], runs: Mapping[str, Sequence[Piece]]) -> Encoded:
    """``page`` with each ``marker`` match (its one group a key of ``runs``) replaced by the run's pieces;
    the page's own text between them is a piece without a form (encoded only if ``qp`` is asked for).

    The quoted-printable join is exact when every piece with a form starts a line and ends with a newline
    (a template that puts a run mid-line, or text with a CR, makes ``qp`` encode the whole body with
    ``qp_body``: same bytes, slower).
    """
    parts = marker.split(page)
    pieces: list[Piece] = []
    for i, part in enumerate(parts):
        if i % 2:
            pieces.extend(runs[part])
        elif part:
            pieces.append((part, None))
    return Encoded.join(pieces)


def eight_bit(text: str) -> str | None:
    """``text`` as an 8bit body: what ``set_content(text, cte='8bit')`` stores (UTF-8, the bytes above 127
    as surrogate escapes, ending with a newline); None when 8bit cannot carry it: a CR (a line end of
    its own on the wire), a NUL, or a line over ``MAX_LINE`` octets (then the body goes quoted-printable)."""
    data = text.encode("utf-8")
    if b"\r" in data or b"\x00" in data:
        return None
    if len(data) > MAX_LINE and max(map(len, data.split(b"\n"))) > MAX_LINE:
        return None
    body = data.decode("ascii", "surrogateescape")
    return body if body.endswith("\n") else body + "\n"


def base64_body(data: bytes) -> str:
    """What ``set_content(bytes)`` stores: base64 in lines of 76 characters (57 bytes each, a multiple of 3,
    so encoding the whole and cutting it is the same as encoding line by line)."""
    width = policy.default.max_line_length // 4 * 4
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    return "".join([encoded[i:i + width] + "\n" for i in range(0, len(encoded), width)])
