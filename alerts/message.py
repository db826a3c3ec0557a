"""Build an email from structured values with the ``email`` package: headers can never be injected.

Every header value passes through ``header_text`` (CR, LF and other control characters become
spaces; length bounded) before the ``email`` package encodes it (RFC 2047 for non-ASCII). Text
bodies (and a text attachment: a calendar) are 8bit, UTF-8 as it is, whenever their lines allow
(at most 998 octets, no CR or NUL: ``alerts.transfer_encoding.eight_bit``), else quoted-printable;
headers stay ASCII. A message is one str with the bytes above 127 as surrogate escapes (what the
ledger stores and every retry sends, byte for byte: ``str.encode('ascii', 'surrogateescape')``);
``alerts.transport.seven_bit`` turns its 8bit parts into quoted-printable for an SMTP server that
does not advertise 8BITMIME. Every mail carries ``X-Tenderwatch-Kind`` and ``Auto-Submitted:
auto-generated`` (RFC 3834, so auto-responders stay quiet).

Why 8bit: a receiving server reads a message line by line (aiosmtpd's DATA loop is most of its cost
per mail), and quoted-printable cuts every line at 76 characters and spells each non-ASCII byte as
three: a digest's text and HTML in 8bit are about half the lines and a tenth fewer bytes.

Speed (10,000 digests per run): the message tree is the one ``set_content`` / ``add_alternative``
/ ``add_attachment`` would build (same parts, same headers in the same order, same encodings),
but put together directly. Headers that are the same in every mail (From, the kind, the MIME
part headers, the multipart boundaries) are header objects made by the ``email`` package once
per process and re-used; per-mail headers (To, Subject, Date, Message-ID, List-Unsubscribe) are
made by the ``email`` package's header factory from structured values on every mail, as before.
Quoted-printable bodies (``alerts.transfer_encoding``) are encoded line by line (binascii's C
encoder, lines of at most 76 characters as RFC 2045 asks), remembering lines that recur across
mails (a call's lines appear in hundreds of digests); an 8bit body is its UTF-8 bytes.
``serialise`` writes what ``Generator`` would write for such a tree, folding headers with the
``email`` package's own ``policy.fold`` (cached for the shared header objects), and falls back to
``Generator`` for any tree it does not recognise.
``bench/match_render.py --check`` holds both to the ``email`` package's own output.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address, BaseHeader, Group, HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid, parseaddr
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from alerts.transfer_encoding import Encoded, base64_body, eight_bit, qp_body

KINDS = ("digest", "ilo-notification", "health", "targeted")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
SUBJECT_LIMIT = 200
WIRE = policy.default.clone(linesep="\r\n", max_line_length=998)
"""CRLF, and folding only beyond RFC 5322's hard limit: a List-Unsubscribe URI longer than 78
characters must stay one URI, not become RFC 2047 encoded words that no mail client reads."""


def header_text(value: str, limit: int = SUBJECT_LIMIT) -> str:
    """A single-line, bounded header value: no CR/LF can survive to start a new header."""
    text = " ".join(_CONTROL.sub(" ", value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def address(name: str | None, email: str) -> Address:
    """A structured address; the display name is cleaned, the address must be a plain addr-spec."""
    email = email.strip()
    if _CONTROL.search(email) or "<" in email or ">" in email or "," in email:
        raise ValueError(f"not a plain email address: {email!r}")
    return Address(display_name=header_text(name or "", 100), addr_spec=email)


def parse_from(value: str) -> Address:
    """``'Tenderwatch <tw@example.org>'`` from settings -> Address."""
    name, addr = parseaddr(value)
    return address(name, addr)


def mail_domain(value: str) -> str:
    return parse_from(value).domain or "localhost"


@dataclass(frozen=True)
class Attachment:
    data: bytes
    maintype: str
    subtype: str
    filename: str
    params: tuple[tuple[str, str], ...] = ()
    encoded: str | None = None
    """A text attachment's quoted-printable body made beforehand from runs encoded once (a digest's calendar:
    each event's lines are encoded once per run); must be ``qp_body`` of ``data`` decoded, CRLF as LF."""


@dataclass(frozen=True)
class Unsubscribe:
    """RFC 2369 + RFC 8058: the https one-click URI and a mailto fallback."""

    https_url: str
    mailto: str
    token: str

    def header(self) -> str:
        subject = quote(f"unsubscribe {self.token}")
        return f"<{self.https_url}>, <mailto:{self.mailto}?subject={subject}>"


class _LazyHeader(BaseHeader):
    """Every header class's base here: a header made by ``_plain`` has no parse tree until something
    folds it through the email package (``Generator``), which then parses it as it would have."""

    def fold(self, *, policy: Any) -> str:
        if self._parse_tree is None:  # type: ignore[has-type]
            kwds: dict[str, Any] = {"defects": []}
            type(self).parse(str(self), kwds)  # type: ignore[attr-defined]
            self._parse_tree = kwds["parse_tree"]
        return super().fold(policy=policy)


class _Registry(HeaderRegistry):
    """``policy.default``'s header registry, minus the new class it creates for every header it makes."""

    def __init__(self) -> None:
        super().__init__(base_class=_LazyHeader)
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


_HEADERS = _Registry()
MIME = policy.default.clone(header_factory=_HEADERS)
"""``policy.default`` (what ``EmailMessage()`` gets) with the class-caching registry: every header
assignment asks the registry for the header's class (max_count), which would build a new class."""
_FOLDED: dict[int, tuple[BaseHeader, str]] = {}
"""id(shared header object) -> (the object, its folded wire form); the object is kept alive here."""


def _shared(name: str, value: Any) -> BaseHeader:
    """A header object used in many mails: made once, its wire form folded once."""
    header = _HEADERS(name, value)
    _FOLDED[id(header)] = (header, WIRE.fold(name, header))
    return header


def _fits(name: str, text: str) -> bool:
    """A value ``WIRE`` writes as it is: plain ASCII (no encoded words, no line breaks) on one line."""
    return (text.isascii() and len(name) + len(text) + 2 <= WIRE.max_line_length and "=?" not in text
            and "\r" not in text and "\n" not in text and text == text.strip())


def _plain(name: str, value: Any, text: str, **init: Any) -> BaseHeader:
    """The header ``_HEADERS(name, value)`` makes, without parsing ``text`` (its decoded value) when it
    fits as it is: the parse is most of a mail's header cost, and folding such a value needs none."""
    if not _fits(name, text):
        return _HEADERS(name, value)
    header = str.__new__(_HEADERS[name], text)
    header.init(name, parse_tree=None, defects=[], **init)
    return header


@lru_cache(maxsize=64)
def _constant(name: str, value: str) -> BaseHeader:
    return _shared(name, value)


@lru_cache(maxsize=16)
def _sender(from_address: str) -> tuple[Address, BaseHeader]:
    sender = parse_from(from_address)
    return sender, _shared("From", sender)


@lru_cache(maxsize=16)
def _date(value: str) -> BaseHeader:
    return _HEADERS("Date", value)


def _part_headers(*args: Any, **kwargs: Any) -> tuple[tuple[str, BaseHeader], ...]:
    """The headers ``set_content`` gives a part, made by ``set_content`` itself (once) and shared."""
    part = EmailMessage(policy=MIME)
    part.set_content(*args, **kwargs)
    if "filename" in kwargs and "content-disposition" not in part:
        part["Content-Disposition"] = "attachment"  # what add_attachment adds
    out = []
    for name, value in part.raw_items():
        header = value if isinstance(value, BaseHeader) else _HEADERS(name, value)
        _FOLDED[id(header)] = (header, WIRE.fold(name, header))
        out.append((name, header))
    return tuple(out)


QP, EIGHT_BIT = "quoted-printable", "8bit"


@lru_cache(maxsize=8)
def _text_headers(subtype: str, cte: str) -> tuple[tuple[str, BaseHeader], ...]:
    """Content-Type (utf-8), Content-Transfer-Encoding (8bit or quoted-printable), MIME-Version."""
    return _part_headers("x", subtype=subtype, cte=cte)


@lru_cache(maxsize=64)
def _attachment_headers(maintype: str, subtype: str, filename: str, params: tuple[tuple[str, str], ...],
                        cte: str) -> tuple[tuple[str, BaseHeader], ...]:
    """An attachment's headers as ``add_attachment`` writes them: a text attachment (a calendar) as UTF-8
    in ``cte`` (8bit or quoted-printable), anything else as base64."""
    if maintype == "text":
        return _part_headers("x", subtype=subtype, filename=filename, params=dict(params) or None, cte=cte)
    return _part_headers(b"x", maintype=maintype, subtype=subtype, filename=filename, params=dict(params) or None)


def _attachment_body(a: Attachment) -> tuple[str, str]:
    """(body, transfer encoding) of an attachment: a text attachment (UTF-8) in 8bit when its lines allow,
    else quoted-printable, its lines as lines (a calendar's events recur across mails, and its text
    compresses where base64 does not); anything else in base64."""
    if a.maintype == "text":
        text = a.data.decode("utf-8").replace("\r\n", "\n")
        body = eight_bit(text)
        if body is not None:
            return body, EIGHT_BIT
        return (a.encoded if a.encoded is not None else qp_body(text)), QP
    return base64_body(a.data), "base64"


def _new_boundary() -> str:
    """The form ``Generator`` gives boundaries; ``=`` never occurs bare in QP or base64 bodies."""
    return "=" * 15 + f"{random.randrange(2**63):019d}" + "=="


@lru_cache(maxsize=4)
def _multipart_header(subtype: str) -> tuple[str, BaseHeader]:
    """(boundary, Content-Type header) of one multipart subtype, chosen once per process."""
    boundary = _new_boundary()
    # The value Message.set_boundary writes when Generator picks a boundary.
    return boundary, _shared("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')


def _part(headers: tuple[tuple[str, BaseHeader], ...], payload: str | None = None) -> EmailMessage:
    part = EmailMessage(policy=MIME)
    for name, header in headers:
        part[name] = header
    if payload is not None:
        part.set_payload(payload)
    return part


def _body(body: str | Encoded) -> tuple[str, str]:
    """(payload, transfer encoding) of a text body: 8bit when its lines allow, else quoted-printable (an
    ``Encoded`` body's form joined from runs encoded once)."""
    text = body.text if isinstance(body, Encoded) else body
    payload = eight_bit(text)
    if payload is not None:
        return payload, EIGHT_BIT
    return (body.qp if isinstance(body, Encoded) else qp_body(body)), QP


def build_message(*, kind: str, from_address: str, to: list[Address], subject: str, text: str | Encoded,
                  html: str | Encoded | None = None, attachments: tuple[Attachment, ...] = (),
                  unsubscribe: Unsubscribe | None = None, date: datetime | None = None,
                  extra_headers: dict[str, str] | None = None) -> EmailMessage:
    """text/plain; + text/html as multipart/alternative; + attachments as multipart/mixed. A body may come
    ``Encoded`` already (``alerts.transfer_encoding``: its quoted-printable form joined from runs encoded once)."""
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind!r} (known: {', '.join(KINDS)})")
    extras = [(header_text(name, 60), header_text(value, 300)) for name, value in (extra_headers or {}).items()]
    if any(n.lower().startswith("content-") or n.lower() == "mime-version" for n, _v in extras):
        raise ValueError("extra headers may not set MIME headers")
    sender, from_header = _sender(from_address)
    msg = EmailMessage(policy=MIME)
    msg["From"] = from_header
    msg["To"] = _plain("To", to, ", ".join(str(a) for a in to), groups=[Group(None, [a]) for a in to])
    subject_text = header_text(subject)
    msg["Subject"] = _plain("Subject", subject_text, subject_text)
    msg["Date"] = _date(format_datetime((date or datetime.now(UTC)).astimezone(UTC)))
    message_id = make_msgid("tw", domain=sender.domain or "localhost")
    msg["Message-ID"] = _plain("Message-ID", message_id, message_id)
    msg["X-Tenderwatch-Kind"] = _constant("X-Tenderwatch-Kind", kind)
    msg["Auto-Submitted"] = _constant("Auto-Submitted", "auto-generated")
    if unsubscribe is not None:
        unsubscribe_text = unsubscribe.header()
        msg["List-Unsubscribe"] = _plain("List-Unsubscribe", unsubscribe_text, unsubscribe_text)
        msg["List-Unsubscribe-Post"] = _constant("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    for name, value in extras:
        msg[name] = value
    # The tree set_content + add_alternative + add_attachment build: the first set_content's
    # Content-* headers move into the first part, MIME-Version stays on the message.
    text_payload, text_cte = _body(text)
    plain_headers = _text_headers("plain", text_cte)
    mime_version = plain_headers[2]
    content_headers = plain_headers[:2]
    payload: str | list[EmailMessage] = text_payload
    leaves = [text_payload]
    if html is not None:
        html_payload, html_cte = _body(html)
        leaves.append(html_payload)
        payload = [_part(content_headers, payload), _part(_text_headers("html", html_cte), html_payload)]
        content_headers = (("Content-Type", _multipart_header("alternative")[1]),)
    if attachments:
        first = _part(content_headers, payload if isinstance(payload, str) else None)
        for p in payload if isinstance(payload, list) else ():
            first.attach(p)
        payload = [first]
        for a in attachments:
            data, cte = _attachment_body(a)
            leaves.append(data)
            payload.append(_part(_attachment_headers(a.maintype, a.subtype, a.filename, a.params, cte), data))
        content_headers = (("Content-Type", _multipart_header("mixed")[1]),)
    if isinstance(payload, str):
        for name, header in (*content_headers, mime_version):
            msg[name] = header
        msg.set_payload(payload)
        return msg
    for name, header in (mime_version, *content_headers):
        msg[name] = header
    for p in payload:
        msg.attach(p)
    _check_boundaries(msg, leaves)
    return msg


def _check_boundaries(msg: EmailMessage, leaves: list[str]) -> None:
    """A shared boundary must not occur in any body; it cannot in QP or base64 (a bare '=' is not theirs),
    an 8bit body might, and a mail is not a guess."""
    for part in msg.walk():
        if part.is_multipart():
            boundary = part.get_boundary()
            while boundary is None or any(f"--{boundary}" in leaf for leaf in leaves):
                boundary = _new_boundary()
                part.set_boundary(boundary)


_NLCRE = re.compile(r"\r\n|\r|\n")


def _flatten(msg: EmailMessage, out: list[str]) -> bool:
    """Append what ``Generator(policy=WIRE)`` writes for ``msg``; False if the tree is not one we know."""
    maintype = msg.get_content_maintype()
    payload = msg._payload  # as stored: get_payload() decodes an 8bit body's surrogate escapes (Generator reads this)
    if msg.is_multipart():
        if maintype != "multipart" or msg.get_content_subtype() == "signed":
            return False
        boundary = msg.get_boundary()
        if not boundary or msg.preamble is not None or msg.epilogue is not None:
            return False
        texts: list[str] = []
        for part in payload:
            if not isinstance(part, EmailMessage) or not _flatten(part, texts):
                return False
        body = (f"--{boundary}\r\n" + f"\r\n--{boundary}\r\n".join(texts) + f"\r\n--{boundary}--\r\n")
    else:
        if maintype in ("multipart", "message"):
            return False
        if payload is None:
            body = ""
        elif isinstance(payload, str) and (payload.isascii() or msg.get("Content-Transfer-Encoding") == EIGHT_BIT):
            body = payload.replace("\n", "\r\n") if "\r" not in payload else _NLCRE.sub("\r\n", payload)
        else:
            return False
    folded = []
    for name, value in msg.raw_items():
        hit = _FOLDED.get(id(value))
        folded.append(hit[1] if hit is not None and hit[0] is value else _fold(name, value))
    out.append("".join(folded) + "\r\n" + body)
    return True


def _fold(name: str, value: BaseHeader) -> str:
    """``WIRE.fold``, without its parse-tree refolding for a value it would leave as it is (``_fits``)."""
    text = str(value)
    if _fits(name, text):
        return f"{name}: {text}\r\n"
    return WIRE.fold(name, value)


def serialise(msg: EmailMessage) -> str:
    """The message as RFC 5322 text, what the ledger stores and every retry sends: ASCII headers, 8bit
    bodies' bytes above 127 as surrogate escapes (``.encode('ascii', 'surrogateescape')`` is the wire)."""
    out: list[str] = []
    if _flatten(msg, out):
        return out[0]
    return serialise_with_generator(msg)


def serialise_with_generator(msg: EmailMessage) -> str:
    """``serialise`` through ``email.generator`` alone (the reference the fast path is checked against):
    the bytes generator, which writes 8bit bodies as they are (the str one would turn them into base64)."""
    return msg.as_bytes(policy=WIRE).decode("ascii", "surrogateescape")


def parse(data: str | bytes) -> EmailMessage:
    raw = data.encode("ascii", "surrogateescape") if isinstance(data, str) else data
    return BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[return-value]
