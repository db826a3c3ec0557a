"""Where mails go: an ``outbox`` folder of RFC 5322 .eml files, or an SMTP server.

Both take the serialised message the ledger stored, so a retry sends exactly the bytes of the
first attempt (same Message-ID: a receiver can tell a duplicate). SMTP errors are sorted into
``SendError(permanent=True)`` for 5xx replies (recorded, never retried) and temporary ones (4xx,
connection trouble: retried with backoff). ``connection_lost`` tells the caller to stop this run
instead of timing out on every remaining message.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from tenderwatch.config.models import MailSettings


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool, connection_lost: bool = False,
                 code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.connection_lost = connection_lost
        self.code = code


class Transport(Protocol):
    def send(self, data: str, *, sender: str, recipients: list[str], kind: str) -> str:
        """Deliver the serialised message; return where it went (file path or server reply)."""
        ...

    def close(self) -> None: ...


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:60] or "x"


class OutboxTransport:
    """Writes each message atomically as ``<kind>/<utc time>-<recipient>-<hash>.eml`` under the outbox."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def send(self, data: str, *, sender: str, recipients: list[str], kind: str) -> str:
        target_dir = self.folder / _slug(kind)  # a kind is ours, but a path never comes from a value unslugged
        target_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(data.encode("ascii", "surrogateescape")).hexdigest()[:10]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = target_dir / f"{stamp}-{_slug(recipients[0])}-{digest}.eml"
        fd, tmp = tempfile.mkstemp(dir=target_dir, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("ascii", "surrogateescape"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return str(path)

    def close(self) -> None:
        return None


class SmtpTransport:
    """One connection per run (opened on the first message), STARTTLS, SSL or plain; login when a user is set."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings.smtp
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds,
                                                      context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
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

    def send(self, data: str, *, sender: str, recipients: list[str], kind: str) -> str:
        if self._conn is None:
            self._conn = self._connect()
        try:
            refused = self._conn.sendmail(sender, recipients, data.encode("ascii", "surrogateescape"))
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
        return f"smtp {self.settings.host}:{self.settings.port}"

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

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
