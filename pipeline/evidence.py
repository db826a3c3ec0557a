"""A notice's technology-area evidence in words, for every place that explains a match.

The classifier stores evidence as short machine tags (``title:cryostat``, ``description:kryostat``,
``cpv:24111800``), which the public export carries unchanged. People read sentences instead:
"Cryogenics: 'cryostat' in the title, CPV 24111800 (Liquid helium)". This module is the one place
that turns tags into words, so the digest lines, the ILO mails and the call page say the same thing
in English or Dutch. Unknown tags (an older classifier's) are left out rather than shown raw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

PHRASES = {
    "en": {"title": "'{word}' in the title", "description": "'{word}' in the description",
           "cpv": "CPV {code}", "cpv_label": "CPV {code} ({label})", "more": "{count} more"},
    "nl": {"title": "'{word}' in de titel", "description": "'{word}' in de beschrijving",
           "cpv": "CPV {code}", "cpv_label": "CPV {code} ({label})", "more": "nog {count}"},
}
SHOWN = 3
"""Evidence items named per area; the rest is counted ("2 more"): a mail line stays one line."""
WORD_LIMIT = 80


def evidence_phrases(evidence: Iterable[str], language: str = "en",
                     cpv_label: Callable[[str, str], str | None] | None = None) -> list[str]:
    """Each known evidence tag as a phrase in ``language`` (en or nl; others get English).

    ``cpv_label(code, language)`` may name a CPV code ("Liquid helium"); without it the code alone.
    """
    words = PHRASES.get(language, PHRASES["en"])
    out: list[str] = []
    for tag in evidence:
        kind, _, value = str(tag).partition(":")
        value = " ".join(value.split())[:WORD_LIMIT]
        if not value:
            continue
        if kind in ("title", "description"):
            phrase = words[kind].format(word=value)
        elif kind == "cpv":
            label = cpv_label(value, language) if cpv_label else None
            phrase = words["cpv_label"].format(code=value, label=label) if label else words["cpv"].format(code=value)
        else:
            continue
        if phrase not in out:
            out.append(phrase)
    return out


def evidence_text(label: str, evidence: Iterable[str], language: str = "en",
                  cpv_label: Callable[[str, str], str | None] | None = None, shown: int = SHOWN) -> str:
    """"Cryogenics: 'cryostat' in the title, 'helium' in the description" (the label alone without evidence)."""
    phrases = evidence_phrases(evidence, language, cpv_label)
    if not phrases:
        return label
    rest = len(phrases) - shown
    if rest > 0:
        phrases = [*phrases[:shown], PHRASES.get(language, PHRASES["en"])["more"].format(count=rest)]
    return f"{label}: {', '.join(phrases)}"
