"""Build an email from structured values with the ``email`` package: headers can never be injected.

Every header value passes through ``header_text`` (CR, LF and other control characters become
spaces; length bounded) before the ``email`` package encodes it (RFC 2047 for non-ASCII). Bodies
are quoted-printable so the serialised message is pure ASCII and survives being stored in the
ledger and re-sent byte for byte. Every mail carries ``X-Tenderwatch-Kind`` and
``Auto-Submitted: auto-generated`` (RFC 3834, so auto-responders stay quiet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import quote

KINDS = ("digest", "ilo-notification", "health")
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


@dataclass(frozen=True)
class Unsubscribe:
    """RFC 2369 + RFC 8058: the https one-click URI and a mailto fallback."""

    https_url: str
    mailto: str
    token: str

    def header(self) -> str:
        subject = quote(f"unsubscribe {self.token}")
        return f"<{self.https_url}>, <mailto:{self.mailto}?subject={subject}>"


def build_message(*, kind: str, from_address: str, to: list[Address], subject: str, text: str,
                  html: str | None = None, attachments: tuple[Attachment, ...] = (),
                  unsubscribe: Unsubscribe | None = None, date: datetime | None = None,
                  extra_headers: dict[str, str] | None = None) -> EmailMessage:
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind!r} (known: {', '.join(KINDS)})")
    sender = parse_from(from_address)
    msg = EmailMessage(policy=policy.default)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = header_text(subject)
    msg["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(UTC))
    msg["Message-ID"] = make_msgid("tw", domain=sender.domain or "localhost")
    msg["X-Tenderwatch-Kind"] = kind
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe is not None:
        msg["List-Unsubscribe"] = unsubscribe.header()
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in (extra_headers or {}).items():
        msg[header_text(name, 60)] = header_text(value, 300)
    msg.set_content(text, cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
    for a in attachments:
        msg.add_attachment(a.data, maintype=a.maintype, subtype=a.subtype, filename=a.filename,
                           params=dict(a.params) or None)
    return msg


def serialise(msg: EmailMessage) -> str:
    """The message as RFC 5322 text (ASCII), what the ledger stores and every retry sends."""
    return msg.as_string(policy=WIRE)


def parse(data: str | bytes) -> EmailMessage:
    raw = data.encode("ascii", "surrogateescape") if isinstance(data, str) else data
    return BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[return-value]
