"""What every importer shares: a ``Problem`` (a reject with where and why), the ``ImportLimits`` one
import may cost, and the ``Importer`` signature. ``pipeline.importers`` (JSON lines, dispatch) and
``pipeline.ted.importer`` (TED XML and packages) both build on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.records import NoticeRecord

REJECT_PREFIX = 64 * 1024
"""Bytes (or characters) of a rejected input that are kept; the rest is described by size and hash."""
GIB = 1024**3


@dataclass
class Problem:
    """A line or file that is not a notice: where, why, and (the start of) what it held."""

    location: str
    reason: str
    raw: str | bytes | None = None

    def __post_init__(self) -> None:
        if self.raw is not None and len(self.raw) > REJECT_PREFIX:
            data = self.raw.encode("utf-8", "replace") if isinstance(self.raw, str) else self.raw
            self.reason += (f" ({len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}; "
                            f"the first {REJECT_PREFIX // 1024} KiB kept)")
            self.raw = self.raw[:REJECT_PREFIX]


@dataclass
class ImportLimits:
    """What one import may cost; counts what it has used. Refusals name the limit and how to raise it."""

    max_bytes: int = 64 * GIB
    """Bytes all the XML files and package members of one import may hold, decompressed."""
    max_ratio: int = 100
    """A package may decompress to this many times its size (TED packages: about 10), beyond ``ratio_floor``."""
    ratio_floor: int = 64 * 1024**2
    max_reject_disk: int = 256 * 1024**2
    """Bytes the rejects folder may receive from one import (each reject at most ``REJECT_PREFIX``)."""
    read: int = 0
    reject_disk: int = 0

    def take(self, size: int, where: str) -> str | None:
        """Count ``size`` bytes about to be read; the refusal (naming ``where``) when it would pass the limit."""
        if self.read + size > self.max_bytes:
            return (f"refused: this import has read {self.read:,} bytes and {where} would pass the "
                    f"{self.max_bytes:,} one import may decompress (tenderwatch import --max-gib)")
        self.read += size
        return None

    def package_refusal(self, decompressed: int, compressed: int) -> str | None:
        """Why a package must stop (a compression bomb), or None."""
        allowed = max(self.ratio_floor, self.max_ratio * compressed)
        if decompressed > allowed:
            return (f"refused: the package decompresses to more than {allowed:,} bytes, {self.max_ratio} times "
                    f"its {compressed:,} (a compression bomb?); the rest of it is skipped")
        return None

    def may_keep_on_disk(self, size: int) -> bool:
        if self.reject_disk + size > self.max_reject_disk:
            return False
        self.reject_disk += size
        return True


Item = NoticeRecord | Problem
Importer = Callable[[Path, ImportLimits], Iterator[Item]]
