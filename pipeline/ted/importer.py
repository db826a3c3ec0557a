"""``tenderwatch import`` for TED: XML notices, folders of them, and TED daily packages (.tar.gz).

``TED_IMPORTERS`` (suffix -> importer) is what ``pipeline.importers`` adds to its own. Packages are read as a
stream (``tarfile`` mode ``r|gz``): one member in memory at a time, never the whole package.
Every file that cannot be a notice (unsafe XML, not well-formed, not TED, no title...) becomes a
``Problem`` naming the file (``package.tar.gz:member.xml``) and the reason, and its bytes (the
first ``REJECT_PREFIX`` of them, with the size and SHA-256 of the whole in the reason) are kept in
the rejects folder (``$TENDERWATCH_REJECTS_DIR``, default ``var/rejects``) as well as in the
rejects table, so it can be re-imported after a fix. The import's ``ImportLimits`` bound what the
package may decompress to and what the rejects folder receives.
"""

from __future__ import annotations

import hashlib
import os
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.import_base import REJECT_PREFIX, Importer, ImportLimits, Item, Problem
from pipeline.ted.parse import parse_notice
from pipeline.ted.safexml import MAX_DOCUMENT_BYTES

REJECTS_ENV = "TENDERWATCH_REJECTS_DIR"
DEFAULT_REJECTS = "var/rejects"


def rejects_dir() -> Path:
    return Path(os.environ.get(REJECTS_ENV) or DEFAULT_REJECTS)


def keep_rejected(location: str, data: bytes, limits: ImportLimits | None = None) -> Path | None:
    """Copy a rejected file's first ``REJECT_PREFIX`` bytes into the rejects folder under a content-addressed,
    safe name (the hash is of the whole file); None when it cannot be written or the import's budget for the
    rejects folder is spent."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", location.rsplit("/", 1)[-1].rsplit(":", 1)[-1])[-80:] or "notice"
    digest = hashlib.sha256(data).hexdigest()[:16]
    kept = data[:REJECT_PREFIX]
    folder = rejects_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{digest}-{base}"
        if not target.exists():
            if limits is not None and not limits.may_keep_on_disk(len(kept)):
                return None
            target.write_bytes(kept)
    except OSError:
        return None
    return target


def notice_item(data: bytes, location: str, limits: ImportLimits | None = None) -> Item:
    """One document -> a record, or a Problem with the reason and (the start of) the raw file kept."""
    try:
        return parse_notice(data, location)
    except ValueError as exc:  # TedParseError, UnsafeXmlError, BadXmlError, pydantic ValidationError
        reason = str(exc).splitlines()[0]
        if reason.startswith(location + ": "):
            reason = reason[len(location) + 2:]
        kept = keep_rejected(location, data, limits)
        if kept is not None:
            reason += f" (file kept as {kept})"
        elif limits is not None and limits.reject_disk >= limits.max_reject_disk:
            reason += " (not kept in the rejects folder: this import's share of it is used up)"
        return Problem(location, reason, data)


def import_xml(path: Path, limits: ImportLimits | None = None) -> Iterator[Item]:
    limits = limits or ImportLimits()
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        yield Problem(str(path), f"{size} bytes is more than the {MAX_DOCUMENT_BYTES} allowed for one notice")
        return
    refusal = limits.take(size, str(path))
    if refusal:
        yield Problem(str(path), refusal)
        return
    yield notice_item(path.read_bytes(), str(path), limits)


def import_package(path: Path, limits: ImportLimits | None = None) -> Iterator[Item]:
    """Every XML member of a TED daily package, streamed; other members are skipped silently
    only if they are folders, reported otherwise. Every member's size (read or skipped: skipping
    decompresses it too) counts against the package's ratio and the import's total."""
    limits = limits or ImportLimits()
    compressed = path.stat().st_size
    decompressed = 0
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            for member in tar:
                where = f"{path}:{member.name}"
                decompressed += member.size
                refusal = limits.package_refusal(decompressed, compressed) or limits.take(member.size, where)
                if refusal:
                    yield Problem(where, refusal)
                    return
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
                yield notice_item(fh.read(), where, limits)
    except (tarfile.TarError, EOFError, OSError) as exc:
        yield Problem(str(path), f"not a readable tar.gz package (the rest of it is skipped): {exc}")


TED_IMPORTERS: dict[str, Importer] = {".xml": import_xml, ".tar.gz": import_package, ".tgz": import_package}
