"""``index.html`` in the outbox folder: every .eml listed, each HTML part previewable in a browser.

A browser cannot open .eml files, so each message's HTML part (or its text part, escaped) is
written beside it as ``<name>.html`` and shown through a sandboxed iframe: no script of a
hostile title could run even if escaping had failed.
"""

from __future__ import annotations

import html
import os
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from alerts.message import parse
from alerts.render import environment


def _preview(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html",))
    if part is not None:
        return part.get_content()
    text = msg.get_body(preferencelist=("plain",))
    body = text.get_content() if text is not None else ""
    return f"<!DOCTYPE html><meta charset='utf-8'><pre>{html.escape(body)}</pre>"


def write_index(folder: str | os.PathLike[str]) -> Path:
    """(Re)write ``index.html`` and the previews for every .eml under ``folder``; returns the index path."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in sorted(root.glob("**/*.eml")):
        msg = parse(path.read_bytes())
        preview = path.with_suffix(".html")
        if not preview.exists() or preview.stat().st_mtime < path.stat().st_mtime:
            preview.write_text(_preview(msg), encoding="utf-8")
        attachments = [a.get_filename() or "" for a in msg.iter_attachments()]
        rows.append({
            "kind": str(msg.get("X-Tenderwatch-Kind", "")),
            "date": str(msg.get("Date", "")),
            "to": str(msg.get("To", "")),
            "subject": str(msg.get("Subject", "")),
            "eml": path.relative_to(root).as_posix(),
            "preview": preview.relative_to(root).as_posix(),
            "attachments": attachments,
        })
    rows.sort(key=lambda r: (r["kind"], r["to"]))
    page = environment().get_template("outbox_index.html.j2").render(
        rows=rows, generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    index = root / "index.html"
    tmp = index.with_suffix(".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(index)
    return index
