"""The CPV nomenclature's official labels in the six languages the classifier reads.

Why: the CPV labels are the EU's own multilingual vocabulary of what is bought ("Vacuum pumps",
"Vakuumpumpen", "Pompes à vide", "Vacuümpompen", "Pompe a vuoto", "Bombas de vacío"). With the
reviewed CPV-prefix -> area table of ``config/taxonomy.yaml`` they give every area official terms
in every language (``pipeline.classify`` derives them), and they name a notice's CPV codes in
evidence ("CPV 42122450 (Vacuum pumps)").

The labels ship as ``pipeline/data/cpv_labels.tsv.gz`` (code, then one column per language),
derived from the eForms SDK of the EU Publications Office (CC BY 4.0; see
``pipeline/data/README.md``) by

    .venv/bin/python -m pipeline.cpv PATH/TO/eForms-SDK

which reads ``translations/code_<lang>.xml`` of a checkout and writes the file again.
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from lxml import etree

LANGUAGES = ("en", "fr", "de", "nl", "it", "es")
DATA = Path(__file__).resolve().parent / "data" / "cpv_labels.tsv.gz"
_KEY = "code|name|cpv."
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@cache
def labels(path: Path = DATA) -> dict[str, tuple[str, ...]]:
    """CPV code (8 digits) -> its labels in ``LANGUAGES`` order ('' where a language lacks one)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    return {row[0]: tuple(row[1:]) for row in rows[1:] if row and row[0].isdigit()}


def cpv_label(code: str, language: str = "en") -> str | None:
    """The official label of a CPV code ('42122450' or '42122450-7') in ``language`` (English when
    the language is not one of ``LANGUAGES``), or None for an unknown code."""
    found = labels().get(code.split("-", 1)[0].strip())
    if found is None:
        return None
    index = LANGUAGES.index(language) if language in LANGUAGES else 0
    return found[index] or found[0] or None


_CONJUNCTIONS = {"en": ("and", "or"), "fr": ("et", "ou"), "de": ("und", "oder"), "nl": ("en", "of"),
                 "it": ("e", "ed", "o"), "es": ("y", "e", "o", "u")}
MAX_TERM_WORDS = 4


def label_terms(label: str, language: str, fragments: bool = True) -> list[str]:
    """The terms a label gives: the whole label when it is short, and its coordinated parts of at
    least two words ("Pumps and compressors" -> none of one word; "Vacuum pumps" -> itself;
    "Spacecraft, satellites and launch vehicles" -> "launch vehicles"). Words in brackets are
    dropped. A lone word cut from a list is too vague to stand for the code."""
    text = re.sub(r"\([^)]*\)", " ", label)
    words = text.split()
    out: list[str] = []
    if 1 <= len(_WORD.findall(text)) <= MAX_TERM_WORDS and "," not in text and not (
            set(map(str.casefold, words)) & set(_CONJUNCTIONS.get(language, ()))):
        out.append(" ".join(_WORD.findall(text)))
    if not fragments:
        return out
    conjunctions = "|".join(_CONJUNCTIONS.get(language, ()))
    splitter = rf"[,;:]|\b(?:{conjunctions})\b" if conjunctions else r"[,;:]"
    for part in re.split(splitter, text, flags=re.IGNORECASE):
        found = _WORD.findall(part)
        if 2 <= len(found) <= MAX_TERM_WORDS:
            out.append(" ".join(found))
    return list(dict.fromkeys(out))


def vocabulary(prefixes: Iterable[str], areas_of: Callable[[str], list[str] | None],
               languages: Iterable[str] = LANGUAGES) -> dict[str, dict[str, list[str]]]:
    """Area -> language -> terms, from the official labels of every code under ``prefixes``
    (``areas_of(code)`` gives a code's areas by the reviewed table). A term that codes of different
    areas share is left out: it cannot say which area a notice is."""
    wanted = tuple(p.rstrip("0") or p for p in prefixes)
    found: dict[tuple[str, str], set[tuple[str, ...]]] = {}
    for code, names in labels().items():
        if not code.startswith(wanted):
            continue
        areas = areas_of(code)
        if not areas:
            continue
        for lang, name in zip(LANGUAGES, names, strict=True):
            if lang in languages and name:
                for term in label_terms(name, lang, fragments=False):  # whole labels: fragments are vague
                    found.setdefault((lang, term.casefold()), set()).add(tuple(areas))
    out: dict[str, dict[str, list[str]]] = {}
    for (lang, term), area_sets in sorted(found.items()):
        if len(area_sets) == 1:
            for area in next(iter(area_sets)):
                out.setdefault(area, {}).setdefault(lang, []).append(term)
    return out


def read_sdk_labels(sdk: Path, language: str) -> dict[str, str]:
    """The CPV labels of one language from an eForms SDK checkout (a Java properties XML file, read
    without its DTD or any network access)."""
    path = sdk / "translations" / f"code_{language}.xml"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(path), parser).getroot()
    out: dict[str, str] = {}
    for entry in root.iter("entry"):
        key = entry.get("key") or ""
        if key.startswith(_KEY) and key[len(_KEY):].isdigit():
            out[key[len(_KEY):]] = " ".join((entry.text or "").split())
    if not out:
        raise ValueError(f"{path}: no CPV labels (entries '{_KEY}<code>')")
    return out


def build(sdk: Path, out: Path = DATA) -> int:
    """Write the labels file from an SDK checkout; returns the number of codes. The output is
    byte-for-byte reproducible (sorted rows, no time stamp in the gzip header)."""
    per_language = {lang: read_sdk_labels(sdk, lang) for lang in LANGUAGES}
    codes = sorted(set().union(*per_language.values()))
    text = io.StringIO()
    text.write("\t".join(("code", *LANGUAGES)) + "\n")
    for code in codes:
        text.write("\t".join((code, *(per_language[lang].get(code, "").replace("\t", " ") for lang in LANGUAGES)))
                   + "\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as fh:
        fh.write(text.getvalue().encode("utf-8"))
    labels.cache_clear()
    return len(codes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Derive pipeline/data/cpv_labels.tsv.gz from an eForms SDK checkout.")
    parser.add_argument("sdk", type=Path, help="a checkout of the eForms SDK (github.com/OP-TED/eForms-SDK)")
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    try:
        count = build(args.sdk, args.out)
    except (OSError, ValueError, etree.XMLSyntaxError) as exc:
        parser.exit(1, f"error: {exc}\n")
    print(f"wrote {count} CPV codes in {len(LANGUAGES)} languages to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
