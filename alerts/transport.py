"""Where mails go: an ``outbox`` folder of RFC 5322 .eml files, or an SMTP server.

Both take the serialised message the ledger stored, so a retry sends exactly the bytes of the
first attempt (same Message-ID: a receiver can tell a duplicate). The outbox names each file after
its ledger row, so writing a row again rewrites the same file (``idempotent``); SMTP cannot take a
mail back, so each acceptance is marked at once (``alerts.outgoing``). SMTP errors are sorted into
``SendError(permanent=True)`` for 5xx replies (recorded, never retried) and temporary ones (4xx,
connection trouble: retried with backoff). ``connection_lost`` tells the caller to stop this run
instead of timing out on every remaining message.

A message with 8bit bodies (``alerts.message``: every body whose lines allow) goes to a server that
advertises 8BITMIME as it is, with ``BODY=8BITMIME`` (RFC 6152); to one that does not, its 8bit
parts are converted to quoted-printable first (``alerts.transport.seven_bit``: the same text, the
same headers), as RFC 6152 asks of a client that cannot send 8bit. The conversion is the same for
every attempt, so a retry to such a server still sends the bytes of the first.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import os
import re
import smtplib
import ssl
import tempfile
from datetime import UTC
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from alerts.message import EIGHT_BIT, QP, WIRE, parse
from alerts.transfer_encoding import qp_bytes
from tenderwatch.config.models import MailSettings

if TYPE_CHECKING:
    from alerts.ledger import Outgoing


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool, connection_lost: bool = False,
                 code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.connection_lost = connection_lost
        self.code = code


class Transport(Protocol):
    idempotent: bool
    """Sending the same ledger row twice has the effect of sending it once (the outbox rewrites one file):
    then a batch's rows may be marked sent together after the batch."""
    connections: int
    """How many of this transport a batch is sent over in parallel (``another`` makes the others)."""

    def send(self, item: Outgoing, *, sender: str) -> str:
        """Deliver the row's serialised message; return where it went (``outbox:<path>``, ``smtp:<host>:<port>``)."""
        ...

    def end_batch(self) -> None:
        """A batch is done (SMTP: its connection is closed; the next batch opens a new one)."""
        ...

    def another(self) -> Transport:
        """One more of this transport to the same place (SMTP: another connection, for ``mail.smtp.connections``)."""
        ...

    def close(self) -> None: ...


def slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:60] or "x"


def atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def outbox_name(item: Outgoing) -> str:
    """``<kind>/<day queued>/<row id>-<recipient>-<Message-ID hash>.eml``: the same row always gets the same
    name (so writing it again is harmless), and two databases sharing an outbox never overwrite each other."""
    assert item.id is not None and item.created_at is not None
    digest = hashlib.sha256((item.message_id or item.data[:2000]).encode("utf-8", "surrogateescape")).hexdigest()
    day = item.created_at.astimezone(UTC).date().isoformat()
    return f"{slug(item.kind)}/{day}/{item.id:08d}-{slug(item.recipient)}-{digest[:10]}.eml"


class OutboxTransport:
    """Writes each message atomically under the outbox folder, with an HTML preview beside it."""

    idempotent = True
    connections = 1  # one writer: files are rewritten, never sent twice

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self._dirs: set[Path] = set()

    def send(self, item: Outgoing, *, sender: str) -> str:
        name = outbox_name(item)
        path = self.folder / name
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        try:
            atomic_write(path, item.data.encode("ascii", "surrogateescape"))
            preview = item.preview if item.preview is not None else preview_of(item.data)
            atomic_write(path.with_suffix(".html"), preview.encode("utf-8", "surrogateescape"))
        except OSError as exc:
            raise SendError(f"cannot write to the outbox {self.folder}: {exc}", permanent=False,
                            connection_lost=True) from exc
        return f"outbox:{name}"

    def end_batch(self) -> None:
        return None

    def another(self) -> OutboxTransport:
        return OutboxTransport(self.folder)

    def close(self) -> None:
        return None


def preview_of(data: str) -> str:
    """The HTML part of a serialised message (or its text, escaped) for a browser (the outbox's previews).

    Read with the ``compat32`` policy: the headers stay strings (the modern policy's header objects made
    re-reading a large outbox cost more than writing it)."""
    msg = BytesParser(policy=compat32).parsebytes(data.encode("ascii", "surrogateescape"))
    text = None
    for part in msg.walk():
        if part.get_content_maintype() == "multipart" or part.get_filename():
            continue
        body = part.get_payload(decode=True)
        if not isinstance(body, bytes):
            continue
        decoded = body.decode(part.get_content_charset() or "utf-8", "replace")
        if part.get_content_type() == "text/html":
            return decoded
        if part.get_content_type() == "text/plain" and text is None:
            text = decoded
    return f"<!DOCTYPE html><meta charset='utf-8'><title>preview</title><pre>{html.escape(text or '')}</pre>"


def is_eight_bit(data: str) -> bool:
    """A serialised message with 8bit data in it (a byte above 127): it needs a server with 8BITMIME."""
    return not data.isascii()


def seven_bit(data: str) -> str:
    """A serialised message for a server without 8BITMIME (RFC 6152 3: convert, do not send 8bit): each 8bit
    part's body in quoted-printable and its Content-Transfer-Encoding changed, everything else as it was
    (the ``email`` package writes back the headers it parsed from our serialised messages as they were)."""
    msg = parse(data)
    for part in msg.walk():
        if part.is_multipart() or part.get("Content-Transfer-Encoding", "").lower() != EIGHT_BIT:
            continue
        raw = part.get_payload(decode=True)  # the body's bytes, in whatever charset it declares
        assert isinstance(raw, bytes)
        part.replace_header("Content-Transfer-Encoding", QP)
        part.set_payload(qp_bytes(raw.replace(b"\r\n", b"\n")))
    return msg.as_bytes(policy=WIRE).decode("ascii", "surrogateescape")


def dot_stuffed(data: bytes) -> bytes:
    """A message as DATA sends it (RFC 5321 4.5.2): a dot doubled where it starts a line, CRLF at the end, then
    the line with one dot. What smtplib's ``data`` does with a regular expression over every byte (0.4 ms of
    CPU for a 108 KB digest), with ``bytes.replace`` (the same for a message whose lines end with LF or
    CRLF, as ``alerts.message`` writes them)."""
    stuffed = data.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


class _Data:
    """smtplib's DATA with ``dot_stuffed`` (``sendmail`` and its replies as they are)."""

    def data(self: smtplib.SMTP, msg: bytes | str) -> tuple[int, bytes]:  # type: ignore[misc]
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):  # as smtplib does (Tenderwatch sends bytes)
            msg = smtplib._fix_eols(msg).encode("ascii")  # type: ignore[attr-defined]
        self.send(dot_stuffed(msg))
        return self.getreply()


class _Client(_Data, smtplib.SMTP):
    pass


class _SslClient(_Data, smtplib.SMTP_SSL):
    pass


class SmtpTransport:
    """One connection per batch (opened on its first message), STARTTLS, SSL or plain; login when a user is set.
    ``connections``: how many of these a batch is sent over in parallel (``another`` makes the others)."""

    idempotent = False

    def __init__(self, settings: MailSettings) -> None:
        self.mail = settings
        self.settings = settings.smtp
        self.connections = settings.smtp.connections
        self._conn: smtplib.SMTP | None = None

    def another(self) -> SmtpTransport:
        return SmtpTransport(self.mail)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.security == "ssl":
                conn: smtplib.SMTP = _SslClient(s.host, s.port, timeout=s.timeout_seconds,
                                                context=ssl.create_default_context())
            else:
                conn = _Client(s.host, s.port, timeout=s.timeout_seconds)
                if s.security == "starttls":
                    conn.starttls(context=ssl.create_default_context())
            if s.username:
                password = s.password()
                if password is None:
                    raise SendError(f"SMTP user {s.username!r} set but ${s.password_env} is empty",
                                    permanent=False, connection_lost=True)
                conn.login(s.username, password)
        except SendError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"SMTP login refused: {exc.smtp_code} {exc.smtp_error!r}", permanent=False,
                            connection_lost=True, code=exc.smtp_code) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"cannot connect to SMTP {s.host}:{s.port}: {exc}", permanent=False,
                            connection_lost=True) from exc
        return conn

    def send(self, item: Outgoing, *, sender: str) -> str:
        if self._conn is None:
            self._conn = self._connect()
        data, options = item.data, ()
        if is_eight_bit(data):
            try:
                self._conn.ehlo_or_helo_if_needed()  # what the server advertises (sendmail's own EHLO is too late)
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                raise SendError(f"SMTP connection lost: {exc}", permanent=False, connection_lost=True) from exc
            if self._conn.has_extn("8bitmime"):
                options = ("BODY=8BITMIME",)
            else:
                data = seven_bit(data)
        try:
            refused = self._conn.sendmail(sender, [item.recipient], data.encode("ascii", "surrogateescape"),
                                          mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            permanent = all(code >= 500 for code in codes)
            raise SendError(f"recipient refused: {exc.recipients!r}", permanent=permanent,
                            code=max(codes) if codes else None) from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code in (421,):
                self._drop()
                raise SendError(f"server closing: {exc.smtp_code} {exc.smtp_error!r}", permanent=False,
                                connection_lost=True, code=exc.smtp_code) from exc
            raise SendError(f"SMTP {exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500,
                            code=exc.smtp_code) from exc
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise SendError(f"SMTP connection lost: {exc}", permanent=False, connection_lost=True) from exc
        if refused:
            raise SendError(f"some recipients refused: {refused!r}", permanent=False)
        return f"smtp:{self.settings.host}:{self.settings.port}"

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def end_batch(self) -> None:
        self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()


def make_transport(settings: MailSettings) -> Transport:
    if settings.backend == "smtp":
        return SmtpTransport(settings)
    return OutboxTransport(settings.outbox)
