"""The classifier's compiled keyword tables, kept between processes in the user's cache folder.

Why: compiling the taxonomy's ~14,000 keyword rules looks up the lemma of every keyword word in six
languages' dictionaries and reads the official CPV labels: about 0.3 s of CPU in every process that
classifies (every ``tenderwatch import``, crawl child and scheduler job), 2 % of a 20,000-notice
import. The compiled tables only change when their inputs do, and a pickle of them loads in a fifth
of that time.

An entry is keyed by everything the tables are computed from (``entry_key``): the taxonomy (its whole
validated model), the source of the modules that compile them and the shipped CPV labels (the
classifier names these files), the simplemma version (its dictionaries give the lemmas) and the
Python version. Any change is a new key, so a stale table is never read; the newest
``KEEP`` entries are kept and older ones deleted as a new one is written.

The classifier keeps a second kind of entry the same way (``WORDS``, one file per view): what each word
of a notice is under the taxonomy (its lemma keys, rules and phrase starts), computed on first sight at
about 100 us of dictionary lookups and, on real notices, most of the classifier's cost. An import leaves
them for the next one (``Classifier.keep_words``), under the tables' key and the view's language.

The cache is an optimisation and nothing else: a folder that cannot be written, a file that cannot
be read or does not unpickle to what was stored is a miss, and the classifier compiles its tables
as it would without a cache. The folder is the user's own (``platformdirs``' user cache folder, as
the dictionaries' tries beside it), trusted as the virtual environment's byte code is: it holds
pickles, which only the user who runs Tenderwatch can write there.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

log = logging.getLogger(__name__)

KEEP = 8
"""Entries kept: a few taxonomies in use at once (a checkout's and a branch's, tests' variants)."""
TABLES = "rule-tables"
"""The folder of the compiled tables; ``pipeline.classify`` keeps its word entries in another (``WORDS``)."""
WORDS = "word-entries"
"""The folder of each view's word entries (``Classifier.keep_words``): what a word of a notice is, under
one taxonomy, computed once per machine rather than once per process."""
_FORMAT = 1
"""Bumped when what is stored changes shape."""


def folder(kind: str = TABLES) -> Path:
    """Where entries of ``kind`` are kept: under ``TENDERWATCH_CACHE_DIR`` if set, else the user's cache folder."""
    return Path(os.environ.get("TENDERWATCH_CACHE_DIR") or user_cache_dir("tenderwatch")) / kind


def entry_key(files: Iterable[str | Path], text: str) -> str:
    """The key of what is computed from ``text`` (the taxonomy's ``model_dump_json()``) by the code and
    data of ``files``, with this Python and simplemma."""
    digest = hashlib.sha256(_code_digest(tuple(map(str, files))))
    digest.update(text.encode())
    return digest.hexdigest()[:32]


@cache
def _code_digest(files: tuple[str, ...]) -> bytes:
    """The digest of the compiling code, its data and versions: read once per process (about 0.6 MB; a
    process may build many classifiers, the web site one per configuration reload, the tests hundreds)."""
    digest = hashlib.sha256()
    digest.update(f"{_FORMAT} {sys.version_info[:2]} {_simplemma_version()}\0".encode())
    for source in files:
        digest.update(Path(source).read_bytes())
        digest.update(b"\0")
    return digest.digest()


def _simplemma_version() -> str:
    try:
        return version("simplemma")
    except PackageNotFoundError:  # run from a source tree without metadata: its files then stand for it
        return "unknown"


def load(key: str, kind: str = TABLES) -> Any | None:
    """The entry stored under ``key``, or None (missing, unreadable or not a stored entry)."""
    path = folder(kind) / f"{key}.pickle"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        stored_key, payload = pickle.loads(data)  # noqa: S301 - the user's own cache folder (module docstring)
    except Exception as exc:  # a truncated or foreign file: compiled anew and overwritten
        log.debug("rule table cache %s unreadable (%s): compiling", path, exc)
        return None
    return payload if stored_key == key else None


def store(key: str, payload: Any, kind: str = TABLES, keep: int = KEEP) -> None:
    """Write an entry (whole or not at all: a temporary file renamed), then delete all but the newest
    ``keep``; a failure is logged at debug level and otherwise ignored."""
    where = folder(kind)
    try:
        where.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=where, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((key, payload), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(name, where / f"{key}.pickle")
        finally:
            Path(name).unlink(missing_ok=True)
        _prune(where, keep)
    except OSError as exc:
        log.debug("rule table cache %s not written (%s)", where, exc)


def _prune(where: Path, keep: int) -> None:
    entries = []
    for path in where.glob("*.pickle"):
        try:
            entries.append((path.stat().st_mtime, path))
        except OSError:  # deleted meanwhile by another process's prune
            continue
    for _, path in sorted(entries, reverse=True)[keep:]:
        path.unlink(missing_ok=True)
