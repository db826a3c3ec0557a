"""Word keys for keyword matching: dictionary lemmas (simplemma) and German/Dutch compound heads.

Why a library and not suffix rules: a language-neutral suffix stripper maps "routier" and "router",
"transform" and "transformer", "lander" and "land", "domein" and "dome" to one stem, which made
keywords fire on the wrong words; and it cannot undo "magneten" -> "magneet" or "Geräte" ->
"Gerät". simplemma (a kept, offline, dictionary-based lemmatiser, MIT) gives the lemma of an
inflected word in its own language, so a keyword and a notice word meet at their lemma.

- ``key(word, lang)``: the folded lemma of a lower-cased word. The taxonomy's keywords are written
  folded (no accents), which the dictionaries do not always know ("detecteurs"); a word the
  dictionary does not know falls back to a light stripping of inflection endings (``stem``), so
  "detecteurs" and "détecteurs" (lemma "détecteur") still meet. French, Italian and Spanish lemmas
  and unknown words alike are cut to their singular without its final vowel (``_romance``), so a
  plural meets a folded singular keyword ("klystrons"/"klystron", "criomódulos"/"criomodulo"), and a
  noun the dictionary reads as a verb form keeps its own form ("vacíos" is no "vaciar").
- ``compound(word, lang)``: for German and Dutch, the longest known word that ends a compound is
  its head, the rest its modifier: "Beschleunigertunnel" -> ("beschleuniger", "tunnel"); where that
  modifier is no word, a shorter head that leaves one wins ("Tieftemperatur|anlage"). The head
  names the thing ("compound head decides", see ``pipeline.classify``).

Both are cached, in small caches (``KEY_CACHE``, ``PART_CACHE``): the classifier keeps its own result per
word, so below it these mostly meet words they have not seen, and large caches only held memory that grew
with a real import's vocabulary.

The dictionaries are read as MARISA tries kept in the user's cache folder (simplemma's
``TrieDictionaryFactory``): simplemma's default decodes its compressed word lists into Python dicts in
every process, 4-7 s and 330 MB for the six languages here, which every import, crawl child and the
scheduler paid; a cached trie loads in milliseconds and takes a few MB (built once per machine and
simplemma version, the first time a language is needed; same lemmas, the same word lists).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy, DictionaryLookupStrategy
from simplemma.strategies.dictionaries import DEFAULT_DICTIONARY_FACTORY, DictionaryFactory
from simplemma.strategies.dictionaries.trie_dictionary_factory import TrieDictionaryFactory
from simplemma.utils import normalize_token

if TYPE_CHECKING:
    from marisa_trie import BytesTrie

_COMBINING = re.compile(r"[\u0300-\u036f]")
LANGUAGES = frozenset({"en", "fr", "de", "nl", "it", "es"})
COMPOUND_LANGUAGES = frozenset({"de", "nl"})
_SUFFIXES = (
    "ungen",
    "ingen",
    "ions",
    "ies",
    "ung",
    "ing",
    "ion",
    "es",
    "en",
    "er",
    "e",
    "s",
    "i",
    "a",
    "o",
    "y",
    "n",
)
_MIN_STEM = 4
_IT_HARD_PLURALS = ("che", "chi", "ghe", "ghi")
MIN_HEAD, MIN_MODIFIER, MIN_COMPOUND = 4, 3, 8
MIN_KNOWN_SPLIT = 5
"""The shortest word that a modifier may end with to count as a word (``_names_a_word``)."""
_LINKS = ("s", "-")
"""Linking elements between a German or Dutch compound's modifier and head ("Strahlenschutz-s-...")."""


_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
"""Letters that Unicode does not decompose: French "maîtrise d'œuvre" is written "maitrise d oeuvre"."""


def fold(text: str) -> str:
    """Lower-case and strip accents so 'Kryostat', 'kryostat' and 'kryóstat' compare equal (and
    'œ' is 'oe')."""
    text = text.casefold()
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.translate(_LIGATURES)))


def stem(word: str) -> str:
    """Strip up to two inflection endings, keeping at least four characters: the fallback for words
    no dictionary knows (and for languages without one)."""
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


class _CachedTries(TrieDictionaryFactory):
    """simplemma's trie factory, writing each cached trie under a temporary name and renaming it: a
    process that starts while another one is writing the cache reads a whole trie or builds its own,
    never a half-written file."""

    def _write_trie_to_disk(self, lang: str, trie: BytesTrie) -> None:
        folder = Path(self._cache_dir)
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{lang}-", suffix=".tmp")
        os.close(fd)
        try:
            trie.save(name)
            os.replace(name, folder / f"{lang}.dic")
        finally:
            Path(name).unlink(missing_ok=True)


def _dictionaries() -> DictionaryFactory:
    try:
        return _CachedTries()
    except ImportError:  # marisa-trie missing (a virtualenv older than pyproject.toml): the slow default
        return DEFAULT_DICTIONARY_FACTORY


_DICTIONARIES = _dictionaries()
_LEMMATIZER = Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=_DICTIONARIES))
_LOOKUP = DictionaryLookupStrategy(_DICTIONARIES)


def _is_known(word: str, lang: str) -> bool:
    """``simplemma.is_known`` on our dictionaries (a word is known when the dictionary gives it a lemma)."""
    return _LOOKUP.get_lemma(normalize_token(word), lang) is not None


def _known(word: str, lang: str) -> bool:
    return _is_known(word, lang) or (lang == "de" and _is_known(word.capitalize(), lang))


_UMLAUTS = {"a": "ä", "o": "ö", "u": "ü"}
MAX_UMLAUT_SPOTS = 3


def _with_umlauts(word: str) -> str | None:
    """The German word a folded one was (the taxonomy writes "luftung" for "Lüftung"): the first
    variant with umlauts on up to three a/o/u that the dictionary knows, or None."""
    spots = [i for i, c in enumerate(word) if c in _UMLAUTS][:MAX_UMLAUT_SPOTS]
    for mask in range(1, 2 ** len(spots)):
        chars = list(word)
        for bit, i in enumerate(spots):
            if mask >> bit & 1:
                chars[i] = _UMLAUTS[chars[i]]
        variant = "".join(chars)
        if _known(variant, "de"):
            return variant
    return None


KEY_CACHE = 50_000
"""Words whose matching key is kept. The classifier keeps its own result per word (``_Compiled.word_cache``), so
these caches see a word again only when another language's rules or view read it: on 3,476 real TED notices
(22 languages) ``key`` answered 38 % of its calls from the cache and held 200,000 entries at its former size."""
PART_CACHE = 4_096
"""Words whose compound split, head and prefixed noun are kept: called below the classifier's word cache, they
were answered from a 200,000-entry cache 3-5 % of the time on those notices, and the four caches together held
81 MB after 1,600 of them (17 MB at these sizes, the same CPU time)."""


@lru_cache(maxsize=KEY_CACHE)
def key(word: str, lang: str, strict: bool = False) -> str:
    """The matching key of a lower-cased word of language ``lang``: its folded lemma when the
    dictionary knows the word, else its folded stem (``strict``: the folded word itself, for a
    word read with another language's rules, where stripping endings only invents matches:
    Italian "roveri" is no English "rover")."""
    if lang == "en" and word.endswith(("ing", "ings", "ed")):
        # English gerunds name things in notices ("cleaning", "machining", "building") and participles
        # qualify them ("machined parts", "coated"): the dictionary would make them verbs ("clean",
        # "machine", "coat") and join unrelated words ("machined" and "machines")
        return fold(word.removesuffix("s"))
    if lang in LANGUAGES and len(word) > 2 and not word.isdigit():
        if lang == "de" and word.isascii() and not _known(word, lang):
            word = _with_umlauts(word) or word
        if lang == "de" and _is_known(word.capitalize(), lang):
            word = word.capitalize()  # notice words come lower-cased; German nouns are capitalised
        # the dictionary's lemma, looked up once: it is what ``lemmatize`` gives a word the dictionary knows
        # (its first strategy for these languages), and it says whether the word is known (``_known``)
        token = normalize_token(word)
        lemma = _LOOKUP.get_lemma(token, lang)
        if lemma is None or token.isnumeric():
            lemma, is_known = _LEMMATIZER.lemmatize(word, lang), lemma is not None
        else:
            is_known = True
        if lemma != word or is_known:
            if lang in ROMANCE:
                # notices name things: a noun the dictionary reads as a verb form ("vacíos" -> vaciar,
                # "criomodulo" -> criomodular, "satelites" -> satelitar) keeps its own form
                verb = lemma != word and fold(lemma).endswith(_INFINITIVES[lang])
                return _romance(fold(word if verb else lemma), lang)
            return _light(fold(lemma)) if lang != "en" else fold(lemma)
        word = word.casefold()
        if lang in ROMANCE and not strict:
            return _romance(fold(word), lang)
    return fold(word) if strict else stem(fold(word))


ROMANCE = frozenset({"fr", "it", "es"})
_INFINITIVES = {"fr": ("er", "ir", "re"), "es": ("ar", "er", "ir"), "it": ("are", "ere", "ire")}


def _romance(word: str, lang: str) -> str:
    """The key of a French, Italian or Spanish lemma or unknown word: its singular without its final
    vowel. The same cut applies to a dictionary's lemma ("magnetrón" of "magnetrones") and to a word
    no dictionary knows, as the taxonomy writes it folded ("magnetron"), so that both meet:
    "klystrons"/"klystron", "criomodulos"/"criomodulo", "specchi"/"specchio", "spatiaux"/"spatial".
    (A suffix stripper cut "klystron" to "klystr" and "klystrons" to "klystro".)"""
    if lang == "fr":
        if word.endswith("aux") and len(word) > _MIN_STEM + 1:
            word = word[:-3] + "al"
        elif word.endswith(("s", "x")) and len(word) > _MIN_STEM:
            word = word[:-1]
    elif lang == "es":
        if word.endswith("ces") and len(word) > _MIN_STEM + 1:
            word = word[:-3] + "z"
        elif word.endswith("es") and len(word) > _MIN_STEM + 1 and word[-3] not in "aeiou":
            word = word[:-2]
        elif word.endswith("s") and len(word) > _MIN_STEM:
            word = word[:-1]
    elif word.endswith(_IT_HARD_PLURALS) and len(word) > _MIN_STEM + 1:
        # Italian keeps the hard c/g of a plural with an h ("criogeniche", "fotoniche")
        return word[:-2]
    elif word.endswith("io") and len(word) > _MIN_STEM + 1:
        return word[:-2]  # "specchio", plural "specchi"
    return _light(word)


def _light(lemma: str) -> str:
    """A lemma without its final vowel or s: the taxonomy writes words folded ("cavita", "detecteurs"),
    which the dictionaries do not know and ``stem`` cuts the same way ("cavit", "detecteur")."""
    if len(lemma) >= _MIN_STEM + 1 and lemma[-1] in "aeios":
        return lemma[:-1]
    return lemma


def known(word: str, lang: str) -> bool:
    """Whether the dictionary of ``lang`` knows the lower-cased word (as written or, for German, as
    a capitalised noun)."""
    return lang in LANGUAGES and _known(word, lang)


@lru_cache(maxsize=PART_CACHE)
def split(word: str, lang: str) -> tuple[str, str] | None:
    """(modifier, head) of a German or Dutch compound whose head the dictionary knows, the linking
    element dropped ("strahlenschutzs-" -> "strahlenschutz"); None for a short word, another language
    or no known head. The longest known head, unless its modifier is no word and a shorter known
    head leaves one (``_names_a_word``): "Tieftemperatur|anlage", not "tieftemperat|uranlage";
    "Druck|luft", not "druc|kluft"."""
    if lang not in COMPOUND_LANGUAGES or len(word) < MIN_COMPOUND or not word.isalpha():
        return None
    longest: tuple[str, str] | None = None
    for i in range(MIN_MODIFIER, len(word) - MIN_HEAD + 1):
        head = word[i:]
        if _known(head, lang):
            raw = modifier = word[:i]
            for link in _LINKS:
                if modifier.endswith(link) and len(modifier) > MIN_MODIFIER:
                    modifier = modifier[: -len(link)]
            if longest is None:
                longest = modifier, head
            if _names_a_word(raw, lang) or _names_a_word(modifier, lang):
                return modifier, head
    return longest


def _names_a_word(modifier: str, lang: str) -> bool:
    """Whether a compound's modifier is a known word or ends with one of ``MIN_KNOWN_SPLIT`` letters
    or more ("tieftemperatur" ends with "temperatur")."""
    return any(_known(modifier[i:], lang) for i in range(len(modifier) - MIN_KNOWN_SPLIT + 1))


ROMANCE_PREFIXES = {"it": ("elettro",), "es": ("electro",), "fr": ("electro",)}
"""Prefixes that French, Italian and Spanish write joined to a noun ("elettropompe", "électrovanne",
"electrobombas"): the noun after them names the thing."""


@lru_cache(maxsize=PART_CACHE)
def prefixed_noun(word: str, lang: str) -> str | None:
    """The noun a folded French/Italian/Spanish word joins to a ``ROMANCE_PREFIXES`` prefix, when the
    dictionary knows it and it has ``MIN_KNOWN_SPLIT`` letters or more ("elettropompe" -> "pompe";
    "électronique" -> None), else None."""
    for prefix in ROMANCE_PREFIXES.get(lang, ()):
        rest = word[len(prefix):]
        # "electron-" is its own word ("électronique" is no "électro-nique")
        if word.startswith(prefix) and rest[:1] != "n" and len(rest) >= MIN_KNOWN_SPLIT and _known(rest, lang):
            return rest
    return None


@lru_cache(maxsize=PART_CACHE)
def compound(word: str, lang: str) -> tuple[str, str] | None:
    """(modifier key, head key) of a German or Dutch compound (``split``), or None."""
    parts = split(word, lang)
    return None if parts is None else (key(parts[0], lang), key(parts[1], lang))
