"""Whole-vocabulary audits of the taxonomy's keywords, in every language at once.

Word lists written for one wording carry over little to the next (README, classification: the
held-out probe forms), so these audits check the rules' *forms* across the whole vocabulary instead
of adding words one by one:

- ``dictionary``: classify every word of a language's dictionary (simplemma's word list, words of
  8+ letters) with two taxonomies and list the words whose areas change, by area: what a change of
  keywords does to words nobody wrote a probe for (it found 'Goalgetter', 'Ampelkoalition',
  'fluitketel' among the words new keywords gave an area).
- ``heads``: every German and Dutch single-word keyword put behind a modifier ('Versuchs-',
  'Proef-'): a compound split only at heads the dictionary knows misses technical heads it lacks,
  which then need a ``*word`` rule.
- ``loanwords``: every single-word English keyword read in the five other languages: a word the
  notice language's dictionary knows is read with that language's rules only, so an English
  loanword the dictionary holds needs a keyword of that language too.

    .venv/bin/python bench/taxonomy_audit.py dictionary LANG [--before OLD_TAXONOMY] [--show N]
    .venv/bin/python bench/taxonomy_audit.py heads
    .venv/bin/python bench/taxonomy_audit.py loanwords

Nothing is changed: the lists are for a person to read and decide, word by word.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simplemma.strategies.dictionaries import DefaultDictionaryFactory  # noqa: E402

from pipeline.classify import Classifier  # noqa: E402
from pipeline.evaluation import load_classifier  # noqa: E402
from pipeline.morphology import known  # noqa: E402

TAXONOMY = ROOT / "config" / "taxonomy.yaml"
OTHERS = ("de", "fr", "nl", "it", "es")
MODIFIERS = {"de": "Versuchs", "nl": "Proef"}


def areas(classifier: Classifier, text: str, language: str) -> set[str]:
    return {a.id for a in classifier.classify(text, None, [], language)}


def keywords(language: str) -> list[tuple[str, str]]:
    """(area, keyword) of the strong keywords of one language, as written in the taxonomy."""
    with TAXONOMY.open(encoding="utf-8") as fh:
        taxonomy = yaml.safe_load(fh)
    return [(area["id"], str(k)) for area in taxonomy["areas"]
            for k in (area.get("keywords") or {}).get(language, []) or []]


def plain(keyword: str) -> bool:
    """A single word without the '=', 'word*' and '*word' forms."""
    return " " not in keyword and not keyword.startswith(("=", "*")) and not keyword.endswith("*")


def dictionary(language: str, before: Path, show: int) -> None:
    old, new = load_classifier(before), load_classifier(TAXONOMY)
    words = sorted({k.decode() if isinstance(k, bytes) else k
                    for k in DefaultDictionaryFactory().get_dictionary(language)})
    # German nouns are capitalised; the lower-case rest are inflected verbs and adjectives
    words = [w for w in words if len(w) >= 8 and w.isalpha() and (language != "de" or w[:1].isupper())]
    gained: dict[str, list[str]] = defaultdict(list)
    lost: dict[str, list[str]] = defaultdict(list)
    for word in words:
        a, b = areas(old, word, language), areas(new, word, language)
        for area in b - a:
            gained[area].append(word)
        for area in a - b:
            lost[area].append(word)
    changed = {w for ws in (*gained.values(), *lost.values()) for w in ws}
    print(f"{language}: {len(words):,} words, {len(changed):,} change areas")
    for label, table in (("gain", gained), ("lose", lost)):
        for area, ws in sorted(table.items(), key=lambda kv: -len(kv[1])):
            print(f"  {label} {area} ({len(ws)}): {', '.join(ws[:show])}")


def heads() -> None:
    classifier = load_classifier(TAXONOMY)
    for language, modifier in MODIFIERS.items():
        tried, missed = 0, defaultdict(list)
        for area, keyword in keywords(language):
            if not plain(keyword) or len(keyword) < 6 or area not in areas(classifier, keyword.capitalize(), language):
                continue
            tried += 1
            if area not in areas(classifier, (modifier + keyword).capitalize(), language):
                missed[area].append(keyword)
        print(f"{language}: {tried} keywords behind '{modifier}-', {sum(map(len, missed.values()))} not found")
        for area, ws in sorted(missed.items()):
            print(f"  {area}: {', '.join(ws)}")


def loanwords() -> None:
    classifier = load_classifier(TAXONOMY)
    total, missing = 0, defaultdict(list)
    for area, keyword in keywords("en"):
        if not plain(keyword):
            continue
        for language in OTHERS:
            if known(keyword, language):
                total += 1
                if area not in areas(classifier, keyword, language):
                    missing[(area, language)].append(keyword)
    print(f"{total} English keywords that another language's dictionary knows; "
          f"{sum(map(len, missing.values()))} get no area there")
    for (area, language), ws in sorted(missing.items()):
        print(f"  {area} {language}: {', '.join(ws)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="audit", required=True)
    d = sub.add_parser("dictionary", help="words whose areas change between two taxonomies")
    d.add_argument("language", choices=("en", *OTHERS))
    d.add_argument("--before", type=Path, required=True, help="the taxonomy to compare with (e.g. from git show)")
    d.add_argument("--show", type=int, default=25, help="words listed per area")
    sub.add_parser("heads", help="German and Dutch keywords as compound heads")
    sub.add_parser("loanwords", help="English keywords read by the other languages' rules")
    args = parser.parse_args()
    if args.audit == "dictionary":
        dictionary(args.language, args.before, args.show)
    elif args.audit == "heads":
        heads()
    else:
        loanwords()
    return 0


if __name__ == "__main__":
    sys.exit(main())
