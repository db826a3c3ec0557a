"""Technology-area classifier: CPV prefixes and multilingual keyword rules, with evidence.

Interface used by the rest of the system: ``Classifier(taxonomy).classify(title, description,
cpv_codes, language) -> list[AreaScore]``.

Long on purpose: the ``Classifier`` is one engine. Its compiled per-language rule tables, word cache
and scoring are read together by ``findings``, the hot path of every crawl and import, and change
together when a rule changes; what stands alone already lives apart (``morphology``, ``cpv``,
``evidence``, ``linear_layer``, ``evaluation``, ``reclassify``).

Why it is built this way:

- **Explainable.** Every area comes with the signals that put it there (``cpv:31643000``,
  ``title:superconducting``, ``description:kryostat``), so an ILO can see why a company was
  alerted and an administrator can fix the rule in ``config/taxonomy.yaml`` instead of code.
- **Words, not substrings.** Text is case- and accent-folded and cut into words with one regex
  pass per field; keywords are compared word by word at their lemma (``pipeline.morphology``:
  "magnets", "magnet" -> ``magnet``; "magneten", "magneet" -> ``magneet``), so "ram" never fires inside
  "programme". Keyword forms in the YAML:

  ``word`` or ``two words``   lemma whole-word match (a phrase's words in order, up to two
                              articles or prepositions between them: ``phrase_gap_words``)
  ``=word``                   exact folded word, no stemming (short or ambiguous words: ``=vide``)
  ``word*``                   a word starting with it (German/Dutch compounds: ``vakuum*``)
  ``*word``                   a word ending with it (compound heads: ``*pumpe``)

- **Language-aware.** Keywords are listed per language, and a notice is matched against the rules
  of its own language plus English (technical English runs through every language's titles:
  "Lieferung von FPGA-Boards"), not against every language's: a word that is a keyword in one
  language can be an ordinary word in another (Dutch "lassen", welding, is German "let"; Italian
  "lente", lens, is Dutch "spring"). A notice of no or an unlisted language gets every rule.
- **Compound heads decide.** In a German or Dutch compound the last part names the thing and the
  first part what it is for: "Beschleunigertunnel" is a tunnel (civil), not an accelerator. A
  ``word*`` rule only sees a compound's modifier, so when the word's head (a ``*word`` rule) or the
  whole word (a word rule) belongs to other areas, the modifier's area is weighed like a
  destination (below): "Strahlenschutzmessgeräte" stays nuclear only if nothing outweighs it.
- **Destination is not product.** In a title, the words after the first context word ("for",
  "pour", "für", ...) name where the thing goes, not what it is: "RF amplifiers for the storage
  ring" is RF, not accelerator. Keywords there weigh ``context_factor`` as much, except for the
  platform areas (``platform: true`` in the taxonomy: space, telescopes) whose labelling rule is "built for it
  counts" (an item built for a satellite is space; a service for one is not: "Insurance for the
  satellite launch" is services), and for a cryo or vacuum plant after a control
  system (``controlled: true``: "Control system for the cryogenic plant" is electronics and cryogenics),
  and for magnets after a tool, a test set-up or a measuring machine (``tested: true``: "Cold test
  facility for the poloidal field coils" is cryogenics and magnets).
- **Fast.** Rules are compiled once per language; each distinct word is looked up once and cached, so a
  notice costs one tokenising regex pass per field plus a dictionary lookup per word
  (``bench/classify_eval.py`` measures notices/s).
- **Scores** combine independent signals with a noisy-or, ``1 - prod(1 - w)``: a title keyword
  weighs more than a description keyword, a weak keyword less than a strong one, and a CPV code
  by how specific its matching prefix is (the most specific prefix in the table wins).
  Negative rules drop an area's keyword evidence from a field that contains them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter
from typing import TYPE_CHECKING

from pipeline import cpv, morphology, rule_cache
from pipeline.cpv import vocabulary
from pipeline.linear_layer import Findings, LinearLayer
from pipeline.morphology import compound, fold, key, known, prefixed_noun, split
from pipeline.records import AreaScore
from tenderwatch.config.models import TaxonomyConfig

if TYPE_CHECKING:
    from tenderwatch.config import Config

_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_COMPILER_FILES = (__file__, morphology.__file__, cpv.__file__, cpv.DATA)
"""What compiled tables are computed by, besides the taxonomy: their cache key (``pipeline.rule_cache``)."""
_CACHE_LIMIT = 50_000
"""Words per generation of a view's word cache (``_Compiled.word_cache``): at most twice this many are kept
per view, about 260 bytes each (measured on 3,465 real TED notices in 22 languages)."""
_BUYER_CACHE_LIMIT = 10_000
_KEPT_VIEWS = 8 * rule_cache.KEEP
"""Kept views' word files: the eight views (six languages, foreign, none) of as many taxonomies as tables."""
_OBJECT_REACH = 3
_CARRIER_REACH = 3
"""The first words of a title in which a services keyword followed by a carrier word opens a destination."""
_ARTICLES = frozenset({"the", "der", "die", "das", "de", "het", "la", "le", "les", "il", "lo", "el", "los", "las"})
"""Words after a context word in which an object word ("supply", "fornitura") cancels the destination."""

STRONG, WEAK, NEGATIVE, ALONE, SALE = "strong", "weak", "negative", "alone", "sale"
PRODUCT, DESTINATION, MODIFIER, CARRIED = "product", "destination", "modifier", "carried"
_ISO639_2 = {"eng": "en", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de", "nld": "nl", "dut": "nl",
             "ita": "it", "spa": "es"}
FOREIGN = "*"
"""The view key of a notice in a language the taxonomy does not list (Polish, Greek, Finnish, ...): it is
read with the lingua franca's rules only, strictly (a word's lemma where that dictionary knows it, else
the word as written: no stemming, no compound split), as a word of a listed language is read with another
language's rules. A title holding the lingua franca's markers ("the", "for") is read as plain English.
Read with every listed language's dictionaries, Polish "roboty" (works) was a German robot, Romanian
"transportoare" (conveyors) a transport service and Czech "sítě" (networks) a building site, at 2.5-4.5 ms
a notice of cold dictionary lookups; loanwords (software, kV, ETCS, router) still match."""
_NO_LANGUAGE = frozenset({"mul", "und", "zxx", "mis"})
"""Tags that name no one language (ISO 639-2): such a notice is read with every language's rules."""


def tokens(text: str) -> list[str]:
    """The folded words of a text (letters and digits; hyphens, slashes and dots separate)."""
    return _TOKEN.findall(fold(text))


@dataclass(frozen=True)
class _Rule:
    area: str
    kind: str  # strong | weak | negative | alone
    lang: str = ""  # the language table of the taxonomy it comes from


_SOLD = _Rule("", SALE)
"""What ``matches`` yields, alone, for a title that names a sale by the buyer (``sale_words``)."""


@dataclass
class _Compiled:
    languages: tuple[str, ...] = ()
    """The languages whose rules the view holds (the notice's and the lingua franca, or all)."""
    own: str | None = None
    """The notice's language (None: unknown, every language's rules)."""
    exact: dict[str, list[_Rule]] = field(default_factory=dict)
    keys: dict[str, dict[str, list[_Rule]]] = field(default_factory=dict)
    """language -> lemma key -> rules of that language's keywords."""
    phrases: dict[str, dict[str, list[tuple[tuple[str, ...], _Rule]]]] = field(default_factory=dict)
    """language -> first word's key -> (every word's key, rule)."""
    prefixes: list[tuple[str, _Rule]] = field(default_factory=list)
    suffixes: list[tuple[str, _Rule]] = field(default_factory=list)
    affix_starts: tuple[str, ...] = ()
    affix_ends: tuple[str, ...] = ()
    """Every ``word*`` prefix and every ``*word`` suffix: a new word that starts with none and ends with none
    skips the affix rules (one C call each, where a regex of all affixes searched every position)."""
    context: frozenset[str] = frozenset()
    objects: frozenset[str] = frozenset()
    carriers: frozenset[str] = frozenset()
    building: frozenset[str] = frozenset()
    """Words that open a title with building work ("Construction", "Neubau"): with a carrier word
    after them, what follows is the building, and a services word there names its use, not a service."""
    """Words that, after a services keyword, make what follows its object ("transport of the coils")."""
    sale: frozenset[str] = frozenset()
    """Words that name a sale by the buyer ("Verkauf", "vendita"): as a title's object, no delivery."""
    exclusive: frozenset[str] = frozenset()
    """Words that, right after a context word, say the object itself follows ("for the supply of")."""
    procedure: frozenset[str] = frozenset()
    """Words that name a procedure or an object word, context words and articles: a context word with
    only these before it opens no destination ("Tender for ...")."""
    gaps: frozenset[str] = frozenset()
    """Articles and prepositions that may stand between a phrase's words ("pompes à vide", "recupero
    dell'elio"): the taxonomy's ``phrase_gap_words`` of the view's languages, folded."""
    lingua: str = "en"
    """The taxonomy's ``lingua_franca``: the language of rules written without one, and the one a word
    of the notice's own language is not read in."""
    continues: dict[str, frozenset[str]] = field(default_factory=dict)
    """language -> every key that a phrase's second or later word has: the only keys of a word that
    ``matches`` reads after the word's entry is made (``_WordEntry`` keeps no others)."""
    word_cache: dict[str, _WordEntry] = field(default_factory=dict)
    """Each word's entry, computed once (``Classifier._word``). Two generations bound it: when this one
    holds ``_CACHE_LIMIT`` words it becomes ``older_words`` and a new one starts; a word found only in
    the older one moves back. Frequent words survive every turn, so a long import of new vocabulary
    never recomputes them (emptying a full cache did: cold, a word costs about 300 us)."""
    older_words: dict[str, _WordEntry] = field(default_factory=dict)
    fresh: int = 0
    """Entries computed since the view's words were last loaded or kept (``Classifier.keep_words``)."""


_Starts = tuple[tuple[str, dict[str, tuple[tuple[tuple[str, ...], _Rule], ...]]], ...]
"""The phrases a word starts, per language and indexed by the key of their second word: a phrase is
tried only when the next word has that key (most words start phrases that the next word ends at once)."""
_WordEntry = tuple[dict[str, tuple[str, ...]], tuple[_Rule, ...], tuple[_Rule, ...], _Starts, bool, str, int]
"""A lower-cased word in one view: (its keys per language that continue a phrase (``_Compiled.continues``;
most words have none, and keeping every key cost 780 bytes a word on real notices instead of 260), rules,
modifier rules, phrases starting with it (``_Starts``), whether any of these three, the folded word, how
many of its rules are not weak (they come first))."""
_ACTIVE = itemgetter(4)
_FOLDED = itemgetter(5)
_NO_KEYS: dict[str, tuple[str, ...]] = {}
"""The keys of a word that continues no phrase (most words): one shared dict, only ever read."""
_BLANK: _WordEntry = (_NO_KEYS, (), (), (), False, "", 0)


def _name_words(name: str) -> tuple[str, ...]:
    """The words by which a name is masked."""
    words = tuple(tokens(name))
    if len(words) > 1 and words[0] in _ARTICLES:
        # "The SKA Observatory" is masked from "SKA": a leading article is no evidence either way,
        # and a name starting with one made every "the" of every text a name to check
        words = words[1:]
    return words


@dataclass(frozen=True, slots=True)
class _NameTable:
    """Names whose words are no evidence, by first word (each word's names longest first): the
    organisations' shared table and, laid over it, one buyer's (``own``: its first word with the shared
    names of that word plus the buyer's), read as if merged."""

    shared: dict[str, list[tuple[str, ...]]]
    own: dict[str, list[tuple[str, ...]]]

    def any_in(self, words: list[str]) -> bool:
        """Whether any of ``words`` starts a name."""
        return not (self.shared.keys().isdisjoint(words) and self.own.keys().isdisjoint(words))


class Classifier:
    """Compiled taxonomy rules; ``classify`` is pure and thread-safe apart from its word cache."""

    def __init__(self, taxonomy: TaxonomyConfig, names: Iterable[str] = (), layer: LinearLayer | None = None,
                 ) -> None:
        """``names``: buyer and organisation names whose words never count as evidence
        ("European Organization for Nuclear Research" is not a nuclear notice). ``layer``: a learned
        layer over the rules' findings (default: the shipped one when the taxonomy says
        ``learned_layer``, else none)."""
        self.taxonomy = taxonomy
        if layer is None and taxonomy.learned_layer:
            layer = LinearLayer.shipped({a.id for a in taxonomy.areas})
        self.layer = layer
        self._cpv = {prefix.rstrip("0").ljust(2, "0"): areas for prefix, areas in taxonomy.cpv.items()}
        self._cpv_lengths = sorted({len(k) for k in self._cpv}, reverse=True)
        self._cpv_seen: dict[str, tuple[str, list[str]] | None] = {}
        self._gap_words = {lang: frozenset(fold(w) for w in words)
                           for lang, words in taxonomy.phrase_gap_words.items()}
        self._views: dict[str | None, _Compiled] = {}
        # the rules and every language's word and phrase tables, compiled once per machine and taxonomy
        # (``pipeline.rule_cache``); on a miss, the first view compiles every language's tables and stores them
        self._cache_key = rule_cache.entry_key(_COMPILER_FILES, taxonomy.model_dump_json())
        cached = rule_cache.load(self._cache_key)
        self._tables: dict[str, _Compiled]
        if cached is not None:
            self._all_rules, self._tables = cached
            self._cached = True
        else:
            self._all_rules = self._rules(taxonomy)
            self._tables = {}
            self._cached = False
        self._languages = {r.lang for _, r in self._all_rules} | set(taxonomy.context_words)
        self._areas = {a.id for a in taxonomy.areas}
        self._exclusive = frozenset(a.id for a in taxonomy.areas if a.exclusive)
        self._works = tuple(taxonomy.cpv_works)  # CPV prefixes of construction work (``_works_use``)
        # the labelling rules that weigh a title's destination fully, or keep an area beside services
        self._platforms = frozenset(a.id for a in taxonomy.areas if a.platform)
        self._tested = frozenset(a.id for a in taxonomy.areas if a.tested)
        self._controlled = frozenset(a.id for a in taxonomy.areas if a.controlled)
        self._licensed = frozenset(a.id for a in taxonomy.areas if a.licensed)
        self._control_stems = {a.id: tuple(a.control_stems) for a in taxonomy.areas if a.control_stems}
        self._test_stems = re.compile("|".join(map(re.escape, taxonomy.test_stems))) if taxonomy.test_stems else None
        self._lingua = taxonomy.lingua_franca
        self._lingua_markers = frozenset(fold(w) for w in taxonomy.lingua_franca_markers)
        self.names = tuple(names)
        self._names: dict[str, list[tuple[str, ...]]] = {}
        self._buyer_names: dict[str, _NameTable] = {}
        self._language_keys: dict[str, str] = {}
        self._function_words: dict[str, frozenset[str]] = {}
        for name in self.names:
            self._add_name(self._names, name)
        self._shared = _NameTable(self._names, {})

    def _rules(self, taxonomy: TaxonomyConfig) -> list[tuple[str, _Rule]]:
        """Every keyword of the taxonomy with its rule, hand-written ones first, then the official CPV
        labels' (``cpv_vocabulary``); equal rules are one object (a few hundred for 14,000 keywords).
        A keyword without letters or digits fails here, before any view is compiled."""
        interned: dict[_Rule, _Rule] = {}
        rules: list[tuple[str, _Rule]] = []
        for area in taxonomy.areas:
            for kind, table in ((STRONG, area.keywords), (WEAK, area.weak), (NEGATIVE, area.negative),
                                (ALONE, area.alone)):
                for lang, words in table.items():
                    rule = _Rule(area.id, kind, lang)
                    rule = interned.setdefault(rule, rule)
                    rules += [(word, rule) for word in words]
        if taxonomy.cpv_vocabulary:  # the official CPV labels of reviewed branches, as keywords
            rules += [(word, interned.setdefault(rule, rule))
                      for word, rule in self._vocabulary_rules(rules, taxonomy.cpv_vocabulary)]
        for word, rule in rules:
            if not _TOKEN.findall(fold(word).strip().strip("=*")):
                raise ValueError(f"taxonomy keyword {word!r} of area {rule.area!r} has no letters or digits")
        return rules

    def _all_tables(self) -> None:
        """Compile every language's tables and keep them in the cache for the next process (after a miss)."""
        for lang in sorted({r.lang for _, r in self._all_rules}):
            self._language_tables(lang)
        rule_cache.store(self._cache_key, (self._all_rules, self._tables))
        self._cached = True

    def _vocabulary_rules(self, hand_rules: list[tuple[str, _Rule]], prefixes: list[str]) -> list[tuple[str, _Rule]]:
        """Strong rules from the official labels of the CPV branches ``prefixes``, except a term that
        a hand-written rule of the same language gives to another area (the labels are not
        reviewed one by one: French "Restauration" names error-monitoring equipment there)."""
        hand: dict[tuple[str, tuple[str, ...]], set[str]] = {}
        for word, rule in hand_rules:
            hand.setdefault(self._term_key(word, rule.lang), set()).add(rule.area)
        out: list[tuple[str, _Rule]] = []
        terms = vocabulary(prefixes, lambda code: (self.cpv_areas(code) or ("", []))[1])
        for area, table in terms.items():
            for lang, words in table.items():
                out += [(word, _Rule(area, STRONG, lang)) for word in words
                        if hand.get(self._term_key(word, lang), {area}) == {area}]
        return out

    @staticmethod
    def _term_key(word: str, lang: str) -> tuple[str, tuple[str, ...]]:
        """Folded words, not lemmas: comparing terms must not load every language's dictionary."""
        return lang, tuple(_TOKEN.findall(fold(word.strip("=*"))))

    @classmethod
    def for_config(cls, config: Config) -> Classifier:
        """The classifier of a whole configuration: its taxonomy, with the organisations' names masked."""
        names = [n for org in config.organisations for n in (org.name, *org.official_names)]
        return cls(config.taxonomy, names=names)

    def _names_with(self, buyer: str) -> _NameTable:
        """The organisations' names with a buyer's laid over them, built once per distinct buyer.

        Nothing is copied: the overlay holds only the buyer's first word, with the shared names of that
        word plus the buyer's (longest first), so masking is exactly as in one merged table; a buyer whose
        name is one of the organisations' gets the shared table itself. A cached overlay is a few hundred
        bytes (copying the whole table cost 28-30 us a new buyer and kept up to 10,000 copies)."""
        table = self._buyer_names.get(buyer)
        if table is None:
            if len(self._buyer_names) >= _BUYER_CACHE_LIMIT:
                self._buyer_names.clear()
            table = self._shared
            words = _name_words(buyer[:300])
            if words and words not in self._names.get(words[0], ()):
                own = {words[0]: sorted([*self._names.get(words[0], ()), words], key=len, reverse=True)}
                table = _NameTable(self._names, own)
            self._buyer_names[buyer] = table
        return table

    @staticmethod
    def _add_name(table: dict[str, list[tuple[str, ...]]], name: str) -> None:
        words = _name_words(name)
        if words and words not in table.get(words[0], ()):
            # a new list, never one another table shares; the longest name wins where names overlap
            table[words[0]] = sorted([*table.get(words[0], ()), words], key=len, reverse=True)

    # ------------------------------------------------------------------ compilation

    def _plain_english(self, words: list[str], lang: str) -> bool:
        """Whether a title holding an English function word holds none of its notice language's
        articles and prepositions: FAIR's German-tagged "Exhaust air measurement system for FAIR" is
        English, and a word German also knows ("system") would lose its English reading."""
        own = self._function_words.get(lang)
        if own is None:
            tax = self.taxonomy
            own = self._function_words[lang] = frozenset(
                fold(w) for table in (tax.phrase_gap_words, tax.context_words, tax.carrier_words)
                for w in table.get(lang, ()))
        return own.isdisjoint(words)

    def language_key(self, language: str | None) -> str | None:
        """The taxonomy language of a notice's language tag ('de', 'DE', 'de-CH', 'deu'); ``FOREIGN`` for a
        language the taxonomy does not list; None (every language's rules) when the tag is missing or
        names no one language."""
        if not language:
            return None
        known_key = self._language_keys.get(language)
        if known_key is not None:
            return known_key or None
        code = language.strip().lower().replace("_", "-").split("-", 1)[0]
        code = _ISO639_2.get(code, code)
        found = code if code in self._languages else (None if not code or code in _NO_LANGUAGE else FOREIGN)
        if len(self._language_keys) < _BUYER_CACHE_LIMIT:
            self._language_keys[language] = found or ""
        return found

    def _view(self, language: str | None) -> _Compiled:
        """The rules of one language plus the lingua franca (all rules for None), compiled once.

        The word and phrase tables of a language are compiled once per classifier (``_language_tables``) and
        shared by every view holding that language: the English rules are in every view, and compiling them
        again for each notice language cost an import of notices in the six languages 0.21 s instead of 0.15 s
        (the rest is each language's own rules and dictionary, read once). The exact and affix rules, cheap
        to add, are added here in the rules' order."""
        view = self._views.get(language)
        if view is not None:
            return view
        if not self._cached:
            self._all_tables()
        langs = None if language is None else {self._lingua} if language == FOREIGN else {language, self._lingua}
        view = _Compiled(lingua=self._lingua)
        chosen = sorted({r.lang for _, r in self._all_rules if langs is None or r.lang in langs})
        tables = [self._language_tables(lang) for lang in chosen]
        if self._tables_overlap(tables):  # rules without a language beside the lingua franca's: one table
            self._add_rules(view, langs)
        else:
            for table in tables:
                view.keys.update(table.keys)
                view.phrases.update(table.phrases)
            self._add_rules(view, langs, words=False)
        view.gaps = frozenset().union(*(g for lang, g in self._gap_words.items() if langs is None or lang in langs))
        view.languages = tuple(sorted(set(view.keys) | set(view.phrases)))
        view.continues = {lang: frozenset(k for seqs in by_first.values() for seq, _ in seqs for k in seq[1:])
                          for lang, by_first in view.phrases.items()}
        view.own = language
        view.affix_starts = tuple(dict.fromkeys(p for p, _ in view.prefixes))
        view.affix_ends = tuple(dict.fromkeys(s for s, _ in view.suffixes))
        view.context = frozenset(fold(w) for lang, words in self.taxonomy.context_words.items()
                                 if langs is None or lang in langs for w in words)
        view.building = frozenset(fold(w) for lang, words in self.taxonomy.building_words.items()
                                  if langs is None or lang in langs for w in words)
        view.sale = frozenset(fold(w) for lang, words in self.taxonomy.sale_words.items()
                              if langs is None or lang in langs for w in words)
        view.carriers = frozenset(fold(w) for lang, words in self.taxonomy.carrier_words.items()
                                  if langs is None or lang in langs for w in words)
        view.exclusive = self._exclusive
        view.objects = frozenset(fold(w) for lang, words in self.taxonomy.object_words.items()
                                 if langs is None or lang in langs for w in words)
        view.procedure = view.objects | view.context | _ARTICLES | {""} | frozenset(
            fold(w) for lang, words in self.taxonomy.procedure_words.items() if langs is None or lang in langs
            for w in words)
        view.word_cache = self._stored_words(language)
        self._views[language] = view
        return view

    def _words_key(self, language: str | None) -> str:
        return f"{self._cache_key}-{'all' if language is None else 'foreign' if language == FOREIGN else language}"

    def _stored_words(self, language: str | None) -> dict[str, _WordEntry]:
        """The word entries an earlier process kept for this view (``keep_words``), or none."""
        stored = rule_cache.load(self._words_key(language), rule_cache.WORDS)
        return stored if isinstance(stored, dict) else {}

    def keep_words(self) -> None:
        """Keep each view's word entries (the newest ``_CACHE_LIMIT``) for the next process, as the
        compiled tables are kept (``pipeline.rule_cache``, under the same key): on real notices the
        first sight of a word is most of the classifier's cost (about 100 us of dictionary lookups in
        each language of the view), and a daily import meets mostly words that earlier ones met. Only
        views that met new words are written; the ingestor calls this when it closes."""
        for language, view in list(self._views.items()):
            if not view.fresh:
                continue
            entries = {**view.older_words, **view.word_cache}
            if len(entries) > _CACHE_LIMIT:
                entries = dict(list(entries.items())[-_CACHE_LIMIT:])  # the newest: the current generation last
            rule_cache.store(self._words_key(language), entries, rule_cache.WORDS, keep=_KEPT_VIEWS)
            view.fresh = 0

    def _add_rules(self, view: _Compiled, langs: set[str] | None, *, affixes: bool = True,
                   words: bool = True) -> None:
        """Every rule of ``langs`` (None: all) compiled into ``view`` one by one, in the rules' order
        (``affixes``, ``words``: as ``_add``)."""
        for word, rule in self._all_rules:
            if langs is None or rule.lang in langs:
                self._add(view, word, rule, self._gap_words.get(rule.lang or self._lingua, frozenset()),
                          affixes=affixes, words=words)

    def _language_tables(self, lang: str) -> _Compiled:
        """The word and phrase tables of the rules of taxonomy language ``lang`` (``_add``'s ``words``),
        compiled once (``_all_tables``, after a cache miss); views share them and never change them."""
        tables = self._tables.get(lang)
        if tables is None:
            tables = _Compiled(lingua=self._lingua)
            self._add_rules(tables, {lang}, affixes=False)
            self._tables[lang] = tables  # whole before it is shared: another thread may compile a view meanwhile
        return tables

    @staticmethod
    def _tables_overlap(tables: list[_Compiled]) -> bool:
        """Whether two languages' tables fill one table language (rules without a language go to the
        lingua franca's): then the view is compiled rule by rule, so each table keeps the rules' order."""
        keys = [lang for t in tables for lang in t.keys]
        phrases = [lang for t in tables for lang in t.phrases]
        return len(keys) != len(set(keys)) or len(phrases) != len(set(phrases))

    @staticmethod
    def _add(view: _Compiled, keyword: str, rule: _Rule, gaps: frozenset[str] = frozenset(), *,
             affixes: bool = True, words: bool = True) -> None:
        """Compile one keyword into ``view``. A phrase keeps its first and last word and the inner words
        that are not ``gaps`` (its language's articles and prepositions), so that "pompe a vide" is
        (pompe, vide) and matches "pompes à vide" and "pompe de vide" alike (see ``_phrase_end``).
        ``affixes``: add an exact (``=word``), prefix or suffix rule; ``words``: add a word or phrase rule
        (``_view`` compiles the two apart)."""
        text = fold(keyword.strip())
        if text.startswith("="):
            text = text[1:]
            if _TOKEN.fullmatch(text):
                if affixes:
                    view.exact.setdefault(text, []).append(rule)
                return
            # '=hl-lhc' is several words: a phrase, which is specific enough without exactness
        if text.endswith("*") and not text.startswith("*"):
            if affixes:
                view.prefixes.append((text[:-1], rule))
        elif text.startswith("*") and not text.endswith("*"):
            if affixes:
                view.suffixes.append((text[1:], rule))
        elif words:
            lang = rule.lang or view.lingua
            found = _TOKEN.findall(text)
            if len(found) > 2:
                found = [found[0], *(t for t in found[1:-1] if t not in gaps), found[-1]]
            words = tuple(key(t, lang) for t in found)
            if not words:
                raise ValueError(f"taxonomy keyword {keyword!r} of area {rule.area!r} has no letters or digits")
            if len(words) == 1:
                view.keys.setdefault(lang, {}).setdefault(words[0], []).append(rule)
                # another language's notice looks an English word up as written (``key``'s strict
                # form): jargon the English dictionary lacks ("microtca", "gyrotrons") is stemmed
                # here, so it is indexed as written too ("Châssis MicroTCA", "Sistema SpaceWire")
                strict = key(found[0], lang, strict=True)
                if lang == view.lingua and strict != words[0]:
                    view.keys[lang].setdefault(strict, []).append(rule)
            else:
                view.phrases.setdefault(lang, {}).setdefault(words[0], []).append((words, rule))
                strict_words = tuple(key(t, lang, strict=True) for t in found)
                if lang == view.lingua and strict_words != words:  # the same for a phrase's words
                    view.phrases[lang].setdefault(strict_words[0], []).append((strict_words, rule))

    @staticmethod
    def _word(view: _Compiled, word: str) -> _WordEntry:
        """The entry (see ``_WordEntry``) of a lower-cased word, computed once per distinct word and view.

        The word is looked up by its lemma in each language of the view (``pipeline.morphology``).
        A compound's head decides: the rules of a German or Dutch compound's modifier
        ("Beschleuniger-" in "Beschleunigertunnel", or a ``word*`` rule) become modifier rules,
        weighed like a destination, when a strong rule of its head ("-tunnel", or a ``*word``
        rule) or of the whole word matches and none of those is of the modifier's area. Negative
        modifiers ("Schoonmaak-" in "Schoonmaakdiensten": cleaning is not civil) keep their veto.
        """
        hit = view.word_cache.get(word)
        if hit is not None:
            return hit
        hit = view.older_words.get(word)
        if hit is not None:
            Classifier._keep(view, word, hit)
            return hit
        folded = fold(word)
        own = view.own
        # the key of the word as written and of its folded form: the taxonomy writes keywords folded
        # ("maitrise d oeuvre"), and a dictionary may lemmatise the folded and the accented spelling
        # differently ("maîtrise" and "maitrise")
        # a word of the notice's own language is read with its rules only: French "mission",
        # Italian "bar" or Dutch "transport" are not the English words they look like (decided first:
        # the English keys of such a word, lemmas looked up in vain, are not computed at all)
        own_only = own is not None and own != view.lingua and len(word) > 3 and known(word, own)
        # a French/Italian/Spanish noun joined to a prefix is read as the noun too ("elettropompe": "pompe")
        keys = {lang: tuple(dict.fromkeys(key(w, lang, own is not None and lang != own)
                                          for w in (word, folded, prefixed_noun(folded, lang)) if w))
                for lang in view.languages if not (own_only and lang == view.lingua)}
        rules: list[_Rule] = list(view.exact.get(folded, ()))
        for lang, ks in keys.items():
            for k in ks:
                rules += view.keys.get(lang, {}).get(k, ())
        heads: list[_Rule] = []
        modifiers: list[_Rule] = []
        demoted: list[_Rule] = []
        inner_modifiers: list[str] = []
        head_start = len(word)  # where the compound's head begins (the shortest modifier of any split)
        for lang in view.languages:
            parts = compound(word, lang)
            if parts is not None:
                table = view.keys.get(lang, {})
                modifiers += table.get(parts[0], ())
                head = table.get(parts[1], ())
                modifier_raw, head_raw = split(word, lang)  # type: ignore[misc]
                if not head:
                    # a head that is a compound itself: its own head decides ("-reinigungsarbeiten")
                    inner = Classifier._word(view, head_raw)
                    head, demoted = inner[1], demoted + list(inner[2])
                heads += head
                inner_modifiers.append(modifier_raw)
                head_start = min(head_start, len(word) - len(head_raw))
        if folded.startswith(view.affix_starts) or folded.endswith(view.affix_ends):
            # the bare word counts too: 'vakuum*' matches "Vakuum" as well as "Vakuumkammer"
            heads += [r for s, r in view.suffixes if folded.endswith(s)]
            # a prefix that reaches into the compound's head names the thing, not its modifier:
            # 'energiekabel*' in "Energiekabeln" (energie|kabeln) is a cable, 'ortsdosis*' in
            # "Ortsdosisleistungsmessgeräte" only says what the instrument measures
            for p, r in view.prefixes:
                if folded.startswith(p):
                    (heads if len(p) > head_start else modifiers).append(r)
        if not rules and not heads:
            # a compound whose head names nothing ("-arbeiten", "-leistungen") is read as its modifier,
            # whose own head decides: "Gebäudereinigungsarbeiten" is cleaning ("-reinigung"), not a building
            for modifier_raw in inner_modifiers:
                inner = Classifier._word(view, modifier_raw)
                modifiers += inner[1]
                demoted += inner[2]
        if heads or modifiers:
            decided = {r.area for r in [*rules, *heads] if r.kind == STRONG}
            if decided:
                demoted += [r for r in modifiers if r.area not in decided and r.kind != NEGATIVE]
                modifiers = [r for r in modifiers if r.area in decided or r.kind == NEGATIVE]
            rules += modifiers + heads
        starts = _phrase_starts(view, keys)
        # strong rules first: a word that is a weak word of an area and, as a compound, a strong one of it
        # ("Energiekabeln": energie-, energiekabel*) counts as strong (a tag counts once, the first time)
        unique = tuple(sorted(dict.fromkeys(rules), key=_is_weak))
        modifying = tuple(dict.fromkeys(demoted))
        strong = sum(1 for r in unique if r.kind != WEAK)  # the weak rules come last (sorted above)
        continuing = {lang: kept for lang, ks in keys.items()
                      if (kept := tuple(k for k in ks if k in view.continues.get(lang, ())))}
        hit = (continuing or _NO_KEYS, unique, modifying, starts, bool(unique or modifying or starts), folded, strong)
        Classifier._keep(view, word, hit)
        view.fresh += 1
        return hit

    @staticmethod
    def _keep(view: _Compiled, word: str, entry: _WordEntry) -> None:
        """``entry`` into the view's current generation (``_Compiled.word_cache``), turning it first if full."""
        if len(view.word_cache) >= _CACHE_LIMIT:
            view.older_words, view.word_cache = view.word_cache, {}
        view.word_cache[word] = entry

    # ------------------------------------------------------------------ matching

    def matches(self, text: str, language: str | None = None, names: _NameTable | None = None,
                destinations: bool = True) -> Iterable[tuple[int, int, str, _Rule, str]]:
        """(first word's position, number of words, matched words, rule, role) for every keyword rule
        found in ``text``, using the rules of ``language`` (a taxonomy language key, see
        ``language_key``). The role is ``PRODUCT``,
        ``DESTINATION`` (after a context word; only with ``destinations``, which a description does not
        need), ``CARRIED`` (what a title's opening service carries or serves: a destination too) or
        ``MODIFIER`` (a compound's modifier). Words of
        ``names`` (default: the classifier's organisation names) are blanked out first. A title (with
        ``destinations``) whose object is a sale by the buyer yields that word alone, with ``_SOLD``."""
        raw = _TOKEN.findall(text.casefold())
        if destinations and language is not None and language != self._lingua and not (
                self._lingua_markers.isdisjoint(raw)) and self._plain_english(raw, language):
            language = self._lingua  # a title in plain English is read with the English rules
        view = self._view(language)
        cache, word = view.word_cache, self._word  # the cache hit inline: one call per new word, not per word
        looked = list(map(cache.get, raw))
        if None in looked:  # new words: computed once each (most texts reuse known words only)
            looked = [hit if hit is not None else word(view, w) for hit, w in zip(looked, raw, strict=True)]
        words = list(map(_FOLDED, looked))
        names = self._shared if names is None else names
        if names.any_in(words):
            for j in _name_positions(words, names):
                words[j], looked[j] = "", _BLANK
        if destinations and not view.sale.isdisjoint(words):
            # a title whose object (its first word that names no procedure, object, context, article or
            # number) is a sale by the buyer: the supplier delivers nothing to it (LABELLING.md, rule 1)
            first = next((i for i, w in enumerate(words) if w not in view.procedure and not w.isdigit()), None)
            if first is not None and words[first] in view.sale:
                yield first, 1, words[first], _SOLD, PRODUCT
                return
        # every word from the first context word after the first word on is in the DESTINATION role,
        # unless an object word follows it closely and none came before: "Procedura per la fornitura di
        # rivelatori" names the object after "per", but in "Fornitura di niobio per la realizzazione
        # delle cavità" the object is named already and "per la realizzazione" says what it is for
        first_context = len(words)
        destination = DESTINATION
        if destinations and len(words) > 1 and not view.context.isdisjoint(words[1:]):
            for i in range(1, len(words)):
                if words[i] not in view.context:
                    continue
                if all(w in view.procedure or w.isdigit() for w in words[:i]):
                    # "Tender for ...", "Call for tenders for ...", "Rahmenvertrag für ...": what precedes
                    # names the procedure, so the object follows
                    continue
                if (view.objects.isdisjoint(words[i + 1 : i + 1 + _OBJECT_REACH])
                        or not view.objects.isdisjoint(words[:i])):
                    first_context = i
                    break
        if destinations and len(words) > 2 and not view.carriers.isdisjoint(words[1:first_context]):
            # "Air transport of the toroidal field coils": the coils are what a service carries (only
            # where the title opens with the service: "... réseau de transport d'énergie" is no transport)
            for i in range(min(first_context, len(words) - 1, _CARRIER_REACH)):
                if words[i + 1] in view.carriers and any(
                        r.area in view.exclusive and r.kind == STRONG for r in looked[i][1]):
                    first_context, destination = i + 1, CARRIED
                    break
        # "Construction of the staff canteen", "Neubau der Kantine": a services word in the building is its use
        built = len(words)
        if (destinations and len(words) > 2 and not view.building.isdisjoint(words[:3])
                and not view.carriers.isdisjoint(words[1:4])):
            for i in range(min(3, len(words) - 1)):
                if words[i] in view.building and words[i + 1] in view.carriers:
                    built = i + 2
                    break
        # only words with a rule, a modifier rule or a phrase start can yield (most words have none)
        count = len(looked)
        gaps = view.gaps
        for i in compress(range(count), map(_ACTIVE, looked)):
            _keys, rules, demoted, starts, _, _, strong = looked[i]
            role = destination if i >= first_context else PRODUCT
            # a word's strongest reading first (a tag counts once, at its first weight): its strong rules,
            # then its modifier rules, then its weak ones ("Vacuümpompsysteem": the modifier 'vacuum'
            # before the weak 'pomp')
            for rule in rules[:strong] if demoted else rules:
                if i >= built and rule.area in view.exclusive:
                    continue
                yield i, 1, words[i], rule, role
            if demoted:
                for rule in demoted:
                    yield i, 1, words[i], rule, MODIFIER
                for rule in rules[strong:]:
                    if i >= built and rule.area in view.exclusive:
                        continue
                    yield i, 1, words[i], rule, role
            if not starts or i + 1 == count:
                continue
            following = looked[i + 1][0]
            after = None
            if words[i + 1] in gaps:  # "pompes à vide": or the next word that is no article or preposition
                after = i + 2 if i + 2 < count and words[i + 2] not in gaps else (
                    i + 3 if i + 3 < count and words[i + 2] in gaps and words[i + 3] not in gaps else None)
            for lang, by_second in starts:
                # phrases indexed by their second word's key: only those the next word continues are tried
                direct = following.get(lang, ())
                seconds = direct if after is None else (*direct, *looked[after][0].get(lang, ()))
                for second in seconds:
                    for seq, rule in by_second.get(second, ()):
                        end = i + 2 if len(seq) == 2 and second in direct else (
                            _phrase_end(seq, lang, looked, words, i, gaps))
                        if end is not None:
                            yield i, end - i, " ".join(words[i:end]), rule, role

    def cpv_areas(self, code: str) -> tuple[str, list[str]] | None:
        """(matching prefix, areas) of the most specific table entry for a CPV code, if any."""
        try:
            return self._cpv_seen[code]
        except KeyError:
            pass
        digits = code.split("-", maxsplit=1)[0].strip()
        found = None
        for length in self._cpv_lengths:
            areas = self._cpv.get(digits[:length])
            if areas is not None:
                found = digits[:length], areas
                break
        if len(self._cpv_seen) >= _BUYER_CACHE_LIMIT:
            self._cpv_seen.clear()
        self._cpv_seen[code] = found  # codes repeat across notices: each is looked up once
        return found

    def classify(self, title: str, description: str | None = None, cpv_codes: list[str] | None = None,
                 language: str | None = None, buyer: str | None = None) -> list[AreaScore]:
        """Areas with score in [0, 1] and evidence, best first; an empty list when nothing fires
        (such a notice still reaches companies through their keywords and CPV prefixes).

        ``language`` (the notice's language tag) selects that language's rules plus English; with
        no or an unlisted language every language's rules apply. ``buyer`` is the notice's buyer
        name: its words, like the organisations' names, are never evidence. With a learned layer
        (``layer``), it decides the areas it was shown to decide better than the rules
        (``pipeline.linear_layer``) from the rules' findings and the notice's words.
        """
        if self.layer is None:
            return self.findings(title, description, cpv_codes, language, buyer, terms=False).chosen
        return self.layer.decide(self.findings(title, description, cpv_codes, language, buyer))

    def findings(self, title: str, description: str | None = None, cpv_codes: list[str] | None = None,
                 language: str | None = None, buyer: str | None = None, terms: bool = True) -> Findings:
        """What the rules find in a notice: every area that scored (``candidates``), the areas the
        labelling rules keep of them (``chosen``, best first) and, with ``terms``, the notice's words
        and CPV prefixes as features of the learned layer (feature -> evidence tag)."""
        tax = self.taxonomy
        lang = self.language_key(language)
        names = self._names_with(buyer) if buyer and buyer.strip() else self._shared
        weights: dict[str, list[float]] = {}
        evidence: dict[str, list[str]] = {}
        alone_only: dict[str, bool] = {}
        named: set[str] = set()

        def add(area: str, weight: float, tag: str, alone: bool = False) -> None:
            # a tag counts once, at its first rule's weight: ``matches`` yields a word's strongest first
            alone_only[area] = alone_only.get(area, True) and alone
            tags = evidence.setdefault(area, [])
            if tag not in tags:
                tags.append(tag)
                weights.setdefault(area, []).append(weight)

        # CPV codes are one signal per area: the strongest code counts (the main, first code fully,
        # the others by cpv_secondary), the rest are listed as evidence only
        cpv_best: dict[str, float] = {}
        catch_all = tax.cpv_catch_all
        if catch_all and cpv_codes and len(cpv_codes) >= catch_all and len(
                {code.strip()[:2] for code in cpv_codes}) >= catch_all:
            # a register of suppliers for everything (codes from a dozen divisions and more) names no
            # object: its codes say nothing of the notice's areas
            cpv_codes = []
        for position, code in enumerate(cpv_codes or []):
            found = self.cpv_areas(code)
            if found is None:
                continue
            prefix, areas = found
            weight = tax.cpv_weight * tax.cpv_specificity[min(len(prefix), 5) - 2]
            if position:
                weight *= tax.cpv_secondary
            for area in areas:
                evidence.setdefault(area, []).append(f"cpv:{code}")
                cpv_best[area] = max(cpv_best.get(area, 0.0), weight)
        for area, weight in cpv_best.items():
            named.add(area)
            alone_only[area] = False
            weights.setdefault(area, []).append(weight)

        # areas the title names only as the destination ("MLI blankets for the LHC magnets"): the
        # description's mentions of them describe the same destination and weigh as little
        title_product: set[str] = set()
        title_destination: set[str] = set()
        # a title's alone words ("travaux", "construction", "Neubau") say what kind of work it is, not
        # its object: they count only when no other technical area names the object in the title
        # (a services word does not: "construction of the canteen" is still civil)
        alone_hits: list[tuple[str, float, str]] = []
        title_objects: set[str] = set()
        title_controls = False  # the title's product is a control system (an area's control_stems)
        title_tests = False  # the title's product is a tool, a test set-up or a measuring machine (test_stems)
        platforms, tested, controlled_areas = self._platforms, self._tested, self._controlled
        control_stems, test_stems = self._control_stems, self._test_stems
        for name, text, base in (("title", title, tax.title_weight),
                                 ("description", description, tax.description_weight)):
            if not text:
                continue
            destination_only = title_destination - title_product
            found = list(self.matches(text, lang, names, destinations=name == "title"))
            if not found:
                continue
            if found[0][3] is _SOLD:  # a sale by the buyer ("Verkauf von ...", "vendita di ..."): no area
                return Findings([], [], self._terms(title, description, cpv_codes, lang, names) if terms else {})
            vetoed = {rule.area for *_, rule, _ in found if rule.kind == NEGATIVE}
            # a phrase is one signal: its own words do not count again for the same area
            phrases = [(i, n, rule.area) for i, n, _, rule, _ in found if n > 1 and rule.kind != NEGATIVE]
            spans = {(area, j) for i, n, area in phrases for j in range(i, i + n)}
            inner = _inner_phrases(phrases) if len(phrases) > 1 else ()
            # ... nor, if it is a weak word, for another area: "superconducting" in "superconducting
            # cavities" (accelerator) is no hint of magnets
            phrased = {j for _, j in spans}
            weak_seen: set[str] = set()
            for i, n, words, rule, found_role in found:
                # what a service carries ("transport of radioactive goods") is a destination, except
                # where it needs a licence the service has (licensed areas): nuclear and services
                licensed = found_role is CARRIED and rule.area in self._licensed
                role = DESTINATION if found_role is CARRIED else found_role
                if rule.kind == NEGATIVE or rule.area in vetoed or (n == 1 and (rule.area, i) in spans) or (
                        rule.kind == WEAK and n == 1 and i in phrased) or (
                        n > 1 and (i, n, rule.area) in inner):
                    continue
                if rule.kind == ALONE and name == "description":
                    continue
                weight = base * (tax.weak_factor if rule.kind == WEAK else 1.0)
                controlled = role is DESTINATION and ((rule.area in controlled_areas and title_controls)
                                                      or (rule.area in tested and title_tests))
                # a platform is built for, not served: "Insurance for the satellite launch" is services
                platform = rule.area in platforms and not (
                    role is DESTINATION and name == "title" and not self._exclusive.isdisjoint(title_objects))
                if not platform and not controlled and not licensed and (
                        role is MODIFIER or rule.area in destination_only or (role is DESTINATION and name == "title")):
                    weight *= tax.context_factor
                if name == "title" and rule.kind != ALONE:
                    (title_destination if role is not PRODUCT else title_product).add(rule.area)
                    if rule.kind == STRONG and role is PRODUCT:
                        title_objects.add(rule.area)
                        stems = control_stems.get(rule.area)
                        if stems and any(stem in words for stem in stems):
                            title_controls = True
                        if not title_tests and test_stems is not None and test_stems.search(words):
                            title_tests = True
                if rule.kind == WEAK:
                    # weak words are one hint per field: five of them in a description are not five signals
                    if rule.area in weak_seen:
                        tags = evidence.setdefault(rule.area, [])
                        if f"{name}:{words}" not in tags:
                            tags.append(f"{name}:{words}")
                        continue
                    weak_seen.add(rule.area)
                if rule.kind == ALONE:
                    alone_hits.append((rule.area, weight, f"{name}:{words}"))
                    continue
                add(rule.area, weight, f"{name}:{words}")
                if rule.kind != WEAK:
                    named.add(rule.area)

        for area, weight, tag in alone_hits:
            if not title_objects - self._exclusive - {area}:
                add(area, weight, tag, alone=True)
                named.add(area)
        scored: list[AreaScore] = []
        for area in self._exclusive & weights.keys():
            # a description lists ancillary duties ("transport, installation and training"): an
            # exclusive area (services) needs the title or a CPV code to say so
            if all(tag.startswith("description:") for tag in evidence[area]):
                del weights[area]
        for area, ws in weights.items():
            miss = 1.0
            for w in ws:
                miss *= 1.0 - min(w, 1.0)
            score = round(1.0 - miss, 3)
            if score >= tax.threshold and area in named:
                # validated: pydantic's compiled validator builds the model faster than model_construct
                scored.append(AreaScore(id=area, score=score, evidence=evidence[area]))
        if len(scored) > 1 and cpv_codes and self._works and cpv_codes[0].strip().startswith(self._works):
            scored = _works_use(scored, f"cpv:{cpv_codes[0]}", self._exclusive)
        chosen = self._select(scored, alone_only, _ancillary_tags(cpv_codes))
        if len(chosen) > 1:
            chosen = sorted(chosen, key=_best_first)
        features = self._terms(title, description, cpv_codes, lang, names) if terms else {}
        return Findings(scored, chosen, features)

    def _terms(self, title: str, description: str | None, cpv_codes: list[str] | None, lang: str | None,
               names: _NameTable) -> dict[str, str]:
        """The learned layer's word and CPV features of a notice, each with the evidence tag that
        names it: ``t:<lemma key>`` -> ``title:<word>``, ``d:<key>`` -> ``description:<word>``,
        ``c:<2-5 digit prefix>`` -> ``cpv:<code>``. Name words are left out, as for the rules."""
        out: dict[str, str] = {}
        klang = self._lingua if lang in (None, FOREIGN) else lang
        for field_name, prefix, text in (("title", "t", title), ("description", "d", description)):
            if not text:
                continue
            words = tokens(text)
            if names.any_in(words):
                words = _blank_names(words, names)
            for w in words:
                if len(w) > 2 and not w.isdigit():
                    out.setdefault(f"{prefix}:{key(w, klang)}", f"{field_name}:{w}")
        for code in cpv_codes or []:
            digits = code.split("-", maxsplit=1)[0].strip()
            for n in (2, 3, 4, 5):
                if len(digits) >= n:
                    out.setdefault(f"c:{digits[:n]}", f"cpv:{code}")
        return out

    def _select(self, scored: list[AreaScore], alone_only: dict[str, bool], ancillary: frozenset[str] = frozenset(),
                ) -> list[AreaScore]:
        """The areas a notice gets from those above the threshold, by the labelling rules.

        An area resting only on its ``alone`` words (a service whose object decides) goes when
        another area applies (``findings`` already left those words out where another area's strong
        keyword names the title's object); an area named only in the description, or only by the
        notice's further CPV codes (``ancillary``: their tags), goes beside one named otherwise unless
        it scores ``description_secondary``; then areas below
        ``relative_threshold`` of the best go; then an exclusive area (services) goes when a
        technical area scores as much as it (LABELLING.md: services is normally exclusive; a tie is
        no plain service), unless that area is a licensed one (``licensed: true``: radioactive
        transport is nuclear and services), and when it stays on top, the technical areas go with it
        except the licensed ones. Last, the areas a kept area's CPV code names beside it come back
        (``_with_partners``).
        """
        if len(scored) < 2:
            return scored
        offered = scored
        scored = [a for a in scored if not alone_only[a.id]] or scored
        # a description tells the context ("for the cavities of the linac"): an area named only there
        # stays beside one the title or a CPV code names when the description keeps coming back to it;
        # the further CPV codes list a job's ancillary parts (the trenching, the cabling, the fittings
        # of a works lot): an area only they name is no second area by itself (LABELLING.md, rule 2)
        told = [a for a in scored if not _secondary_only(a, ancillary)]
        if told and len(told) < len(scored):
            floor = self.taxonomy.description_secondary
            scored = [a for a in scored if a.score >= floor or not _secondary_only(a, ancillary)]
        floor = round(max(a.score for a in scored) * self.taxonomy.relative_threshold, 3)  # no float ties
        scored = [a for a in scored if a.score >= floor]
        technical = [a for a in scored if a.id not in self._exclusive]
        if technical and len(technical) < len(scored):
            best = max(a.score for a in technical)
            licensed_top = any(a.id in self._licensed for a in technical if a.score == best)
            scored = [a for a in scored if a.id not in self._exclusive or a.score > best
                      or (a.score == best and licensed_top)]
            if len(scored) > len(technical):
                # services stayed, so it scores more than any technical area, or as much as a licensed
                # one: only the licensed areas stay beside it
                scored = [a for a in scored if a.id in self._exclusive or a.id in self._licensed]
        return self._with_partners(scored, offered) if len(scored) < len(offered) else scored

    def _with_partners(self, kept: list[AreaScore], offered: list[AreaScore]) -> list[AreaScore]:
        """``kept`` and the areas of ``offered`` that a CPV code of a kept area names beside it.

        A table entry of two areas names one object that is both (LABELLING.md: radiation monitors
        and dosimeters are detectors and nuclear, telescopes telescopes and optics, radar rf and
        detectors): when words of one of them outscore the other, the relative threshold must not
        part them ("Exhaust air measurement system", CPV 38940000 nuclear evaluation instruments).
        """
        partners: set[str] = set()
        for area in kept:
            for tag in area.evidence:
                if tag.startswith("cpv:"):
                    found = self.cpv_areas(tag[4:])
                    if found and len(found[1]) > 1:
                        partners.update(found[1])
        if not partners:
            return kept
        partners.difference_update(a.id for a in kept)
        return kept + [a for a in offered if a.id in partners]


def _inner_phrases(phrases: list[tuple[int, int, str]]) -> set[tuple[int, int, str]]:
    """The (position, words, area) phrases that a longer phrase of the same area covers: "materiale
    radioattivo" in "trasporto di materiale radioattivo" is the same signal, not a second one."""
    return {(i, n, area) for i, n, area in phrases
            if any(m > n and j <= i and i + n <= j + m and other == area for j, m, other in phrases)}


def _is_weak(rule: _Rule) -> bool:
    return rule.kind == WEAK


def _best_first(area: AreaScore) -> tuple[float, str]:
    return -area.score, area.id


def _secondary_only(area: AreaScore, ancillary: frozenset[str]) -> bool:
    """Whether an area rests only on the description, or only on the further CPV codes (``ancillary``)."""
    evidence = area.evidence
    return all(tag.startswith("description:") for tag in evidence) or ancillary.issuperset(evidence)


def _works_use(scored: list[AreaScore], main_tag: str, exclusive: frozenset[str]) -> list[AreaScore]:
    """``scored`` without the exclusive areas that only words name, when the notice's main CPV code (``main_tag``,
    a construction work: ``cpv_works``) gives an area: the supplier builds, and the services words name what
    the building is for (LABELLING.md, rule 1). An exclusive area a CPV code names too stays (a works lot
    beside a service lot)."""
    if not any(main_tag in a.evidence for a in scored if a.id not in exclusive):
        return scored
    return [a for a in scored if a.id not in exclusive or any(t.startswith("cpv:") for t in a.evidence)]


def _ancillary_tags(cpv_codes: list[str] | None) -> frozenset[str]:
    """The evidence tags of a notice's CPV codes after the main (first) one, less the main one's."""
    if not cpv_codes or len(cpv_codes) < 2:
        return frozenset()
    return frozenset(f"cpv:{code}" for code in cpv_codes[1:]) - {f"cpv:{cpv_codes[0]}"}


def _phrase_starts(view: _Compiled, keys: dict[str, tuple[str, ...]]) -> _Starts:
    """The phrases of ``view`` that a word with ``keys`` starts, per language, by their second word's key."""
    out: list[tuple[str, dict[str, tuple[tuple[tuple[str, ...], _Rule], ...]]]] = []
    for lang, ks in keys.items():
        by_second: dict[str, tuple[tuple[tuple[str, ...], _Rule], ...]] = {}
        for k in ks:
            for seq, rule in view.phrases.get(lang, {}).get(k, ()):
                by_second[seq[1]] = (*by_second.get(seq[1], ()), (seq, rule))
        if by_second:
            out.append((lang, by_second))
    return tuple(out)


_MAX_GAP = 2
"""Gap words allowed between two words of a phrase ("recuperation de l'helium": two; ``matches`` looks
for a phrase's second word at most this far, written out for speed)."""


def _phrase_end(seq: tuple[str, ...], lang: str, looked: list[_WordEntry], words: list[str], start: int,
                gaps: frozenset[str]) -> int | None:
    """The position after the last word of the phrase ``seq`` (word keys of language ``lang``) read from
    ``start``, where ``seq[0]`` matched, or None. Up to ``_MAX_GAP`` gap words (articles and
    prepositions) may stand before each following word, unless that word is the phrase's own."""
    pos = start
    count = len(looked)
    for k in seq[1:]:
        pos += 1
        skipped = 0
        while pos < count and skipped < _MAX_GAP and words[pos] in gaps and k not in looked[pos][0].get(lang, ()):
            pos += 1
            skipped += 1
        if pos >= count or k not in looked[pos][0].get(lang, ()):
            return None
    return pos + 1


def _name_positions(words: list[str], names: _NameTable) -> list[int]:
    """The positions of ``words`` that an occurrence of a name's word sequence covers."""
    out: list[int] = []
    after = 0  # the first word after the last blanked name
    shared, own = names.shared, names.own
    for i in [i for i, w in enumerate(words) if w in shared or w in own]:
        if i < after:
            continue
        for name in own.get(words[i]) or shared[words[i]]:
            n = len(name)
            if tuple(words[i:i + n]) == name:
                out += range(i, i + n)
                after = i + n
                break
    return out


def _blank_names(words: list[str], names: _NameTable) -> list[str]:
    """``words`` with every occurrence of a name's word sequence replaced by empty strings."""
    out = list(words)
    for j in _name_positions(words, names):
        out[j] = ""
    return out
