"""``tenderwatch import`` for TED: XML notices, folders of them, and TED daily packages (.tar.gz).

Registers itself in ``pipeline.importers.IMPORTERS`` when imported. Packages are read as a
stream (``tarfile`` mode ``r|gz``): one member in memory at a time, never the whole package.
Every file that cannot be a notice (unsafe XML, not well-formed, not TED, no title...) becomes a
``Problem`` naming the file (``package.tar.gz:member.xml``) and the reason, and its bytes are
kept in the rejects folder (``$TENDERWATCH_REJECTS_DIR``, default ``var/rejects``) as well as in
the rejects table, so nothing is lost and it can be re-imported after a fix.
"""

from __future__ import annotations

import hashlib
import os
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.importers import IMPORTERS, Item, Problem
from pipeline.ted.parse import parse_notice
from pipeline.ted.safexml import MAX_DOCUMENT_BYTES

REJECTS_ENV = "TENDERWATCH_REJECTS_DIR"
DEFAULT_REJECTS = "var/rejects"


def rejects_dir() -> Path:
    return Path(os.environ.get(REJECTS_ENV) or DEFAULT_REJECTS)


def keep_rejected(location: str, data: bytes) -> Path | None:
    """Copy a rejected file's bytes into the rejects folder under a content-addressed, safe name."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", location.rsplit("/", 1)[-1].rsplit(":", 1)[-1])[-80:] or "notice"
    digest = hashlib.sha256(data).hexdigest()[:16]
    folder = rejects_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{digest}-{base}"
        if not target.exists():
            target.write_bytes(data)
    except OSError:
        return None
    return target


def notice_item(data: bytes, location: str) -> Item:
    """One document -> a record, or a Problem with the reason and the raw file kept."""
    try:
        return parse_notice(data, location)
    except ValueError as exc:  # TedParseError, UnsafeXmlError, BadXmlError, pydantic ValidationError
        reason = str(exc).splitlines()[0]
        if reason.startswith(location + ": "):
            reason = reason[len(location) + 2:]
        kept = keep_rejected(location, data)
        if kept is not None:
            reason += f" (file kept as {kept})"
        return Problem(location, reason, data)


def import_xml(path: Path) -> Iterator[Item]:
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        yield Problem(str(path), f"{size} bytes is more than the {MAX_DOCUMENT_BYTES} allowed for one notice")
        return
    yield notice_item(path.read_bytes(), str(path))


def import_package(path: Path) -> Iterator[Item]:
    """Every XML member of a TED daily package, streamed; other members are skipped silently
    only if they are folders, reported otherwise."""
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            for member in tar:
                where = f"{path}:{member.name}"
                if member.isdir():
                    continue
                if not member.isfile():
                    yield Problem(where, "not a regular file (link or device) in the package")
                    continue
                if not member.name.lower().endswith(".xml"):
                    yield Problem(where, "not an XML file")
                    continue
                if member.size > MAX_DOCUMENT_BYTES:
                    yield Problem(where, f"{member.size} bytes is more than the {MAX_DOCUMENT_BYTES} allowed")
                    continue
                fh = tar.extractfile(member)
                if fh is None:
                    yield Problem(where, "cannot read the member")
                    continue
                yield notice_item(fh.read(), where)
    except (tarfile.TarError, EOFError, OSError) as exc:
        yield Problem(str(path), f"not a readable tar.gz package (the rest of it is skipped): {exc}")


IMPORTERS.update({".xml": import_xml, ".tar.gz": import_package, ".tgz": import_package})
