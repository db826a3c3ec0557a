"""Which Big Science organisation a buyer is: by its official name, never by an acronym alone.

"ESS ERIC" is both the European Spallation Source and the European Social Survey, so a buyer is
matched only against the names listed in ``organisations.yaml`` (``name`` and ``official_names``),
after folding case, accents, quotes and spacing; an official name that is just the organisation's
code is skipped. An unknown buyer gets no organisation rather than a guess.
"""

from __future__ import annotations

import re
import unicodedata

from tenderwatch.config import Config

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


_SEPARATORS = re.compile(r"[\s\-–—_,.]+")
_LEADING_THE = re.compile(r"^the ")


def fold_name(name: str) -> str:
    """'The European Joint Undertaking … (‘Fusion for Energy’)' and its ASCII spelling fold alike.

    An ASCII name skips the decomposition and the accent filter (both leave ASCII as it is); every new buyer
    of an import is folded once."""
    text = name.translate(_QUOTES).casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _SEPARATORS.sub(" ", text).strip()
    return _LEADING_THE.sub("", text)


class OrganisationMatcher:
    def __init__(self, config: Config) -> None:
        self._names: dict[str, str] = {}
        self._seen: dict[str, str | None] = {}
        """Buyer names already matched: one buyer publishes many notices, folded once each."""
        for org in config.organisations:
            for name in (org.name, *org.official_names):
                if name.strip().casefold() == org.code.casefold():
                    continue  # an acronym alone is no identification
                self._names.setdefault(fold_name(name), org.code)

    def match(self, buyer_name: str | None) -> str | None:
        if not buyer_name:
            return None
        try:
            return self._seen[buyer_name]
        except KeyError:
            pass
        if len(self._seen) >= 50_000:  # bounded: a year of TED names fewer buyers, but never grow without end
            self._seen.clear()
        found = self._seen[buyer_name] = self._names.get(fold_name(buyer_name))
        return found
