"""The model of ``config/taxonomy.yaml``: technology areas with their keywords in six languages,
the CPV table and the classifier's weights (``pipeline.classify`` reads it).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from tenderwatch.config.base import Strict, check_cpv_prefix

Stem = Annotated[str, Field(pattern=r"^[a-z0-9]+$")]
"""A folded word stem (lower case, no accents), found anywhere inside a matched keyword."""


class AreaConfig(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    label_nl: str | None = None
    description: str | None = None
    keywords: dict[str, list[str]] = {}
    """Language code -> words or phrases; matched on whole words, accents and case folded.
    Forms: ``word`` (stemmed), ``=word`` (exact), ``word*`` (word starts with), ``*word`` (ends with)."""
    weak: dict[str, list[str]] = {}
    """Language code -> words that hint at the area but need a second signal (score x weak_factor)."""
    negative: dict[str, list[str]] = {}
    """Language code -> words that, when present in a field, veto this area's keyword evidence there."""
    alone: dict[str, list[str]] = {}
    """Language code -> words that give this area only when no other area applies: the service words
    whose object decides ("consultancy", "support", "maintenance": expertise for cryogenics is
    cryogenics, by the labelling specification)."""
    exclusive: bool = False
    """An exclusive area (``services``) is dropped when another area scores higher; when it scores
    highest, it keeps beside it only the technical areas a title keyword names as the product (and
    the ``licensed`` areas: radioactive transport is nuclear and services)."""
    platform: bool = False
    """Built for it counts (LABELLING.md: an item built for a satellite is space): this area's
    keywords in a title's destination ("... for the satellite") weigh fully, not ``context_factor``;
    a service for it ("Insurance for the satellite launch") still gives it nothing."""
    tested: bool = False
    """The area's tooling and test set-ups belong to it (LABELLING.md, magnets): after a title
    product that is a tool, a test stand or a measuring machine (``test_stems``), its keywords in the
    destination weigh fully ("Cold test facility for the poloidal field coils")."""
    controlled: bool = False
    """A control system for this plant is part of the plant (LABELLING.md, electronics: a control
    system for a cryo or vacuum plant also gets that plant's area): after a title product that is a
    control system (an area's ``control_stems``), its keywords in the destination weigh fully."""
    licensed: bool = False
    """The area stays beside services when the service's object needs its licence (LABELLING.md:
    radioactive transport and radioactive laundry are nuclear and services)."""
    control_stems: list[Stem] = []
    """Stems of this area's keywords that name a control system, not boards or firmware
    ("control", "steuer", "scada"): such a title product makes the ``controlled`` areas weigh fully."""


class TaxonomyConfig(Strict):
    areas: list[AreaConfig]
    cpv: dict[str, list[str]] = {}
    """CPV prefix (2-8 digits; trailing zeros are not significant) -> area ids; the most specific
    prefix wins, and an empty list means 'no area' for that branch."""
    threshold: float = Field(default=0.3, ge=0, le=1)
    title_weight: float = Field(default=1.0, ge=0, le=1)
    description_weight: float = Field(default=0.5, ge=0, le=1)
    cpv_weight: float = Field(default=0.8, ge=0, le=1)
    weak_factor: float = Field(default=0.5, ge=0, le=1)
    """A weak keyword weighs this fraction of a strong one."""
    cpv_vocabulary: list[str] = []
    """CPV prefixes whose official labels (``pipeline/data/cpv_labels.tsv.gz``, six languages) become
    keywords of the areas the ``cpv`` table gives them (``pipeline.cpv.vocabulary``)."""
    cpv_catch_all: int = Field(default=0, ge=0)
    """A notice whose CPV codes come from this many CPV divisions or more (a supplier register for
    everything) gets no evidence from them; 0 turns the rule off."""
    cpv_secondary: float = Field(default=1.0, ge=0, le=1)
    """Weight multiplier of a notice's CPV codes after the first (the main code)."""
    cpv_works: list[str] = []
    """CPV prefixes of construction work (``["45"]``): when the notice's main code is one of them and gives
    its area, the exclusive area's words (services: "restauration", "déchets") name what the building is
    for, not the object, and that area goes unless a CPV code names it too."""
    cpv_specificity: list[float] = Field(default=[0.3, 0.5, 0.7, 1.0], min_length=4, max_length=4)
    """Multiplier of cpv_weight by the length of the matching prefix: 2, 3, 4, 5+ digits."""
    relative_threshold: float = Field(default=0.0, ge=0, le=1)
    """Drop areas scoring below this fraction of the best area's score."""
    description_secondary: float = Field(default=0.0, ge=0, le=1)
    """Least score of an area named only in the description, beside one the title or a CPV code names."""
    context_words: dict[str, list[str]] = {}
    """Language code -> words that introduce the destination of a supply ("for", "für", "pour"):
    keywords after the first of them in a title describe where the thing goes, not what it is."""
    object_words: dict[str, list[str]] = {}
    """Language code -> words that, within three words after a context word, say the object itself
    follows ("for the supply of", "per la fornitura di"): such a context word starts no destination."""
    procedure_words: dict[str, list[str]] = {}
    """Language code -> words that name the procedure ("tender", "Rahmenvertrag", "gara"): a context
    word that only these, object words, context words, articles or numbers precede opens no
    destination ("Tender for 6 hydrogen refuelling systems" names the systems as the object)."""
    building_words: dict[str, list[str]] = {}
    """Language code -> words that open a title with building work ("construction", "Neubau",
    "costruzione"): followed by a carrier word, they name a building, whose services words ("canteen",
    "training centre") say what it is for, not a service ("Construction of the staff canteen": civil)."""
    sale_words: dict[str, list[str]] = {}
    """Language code -> words that name a sale by the buyer ("sale", "Verkauf", "vente", "vendita"): a
    title whose object is one of them (its first word that names no procedure, object, context,
    article or number) gets no area, the supplier delivering nothing to the buyer."""
    carrier_words: dict[str, list[str]] = {}
    """Language code -> words that, right after a title keyword of an exclusive area (services), say
    that what follows is what the service carries or serves ("transport of the coils", "formation des
    techniciens"): keywords there weigh like a destination's."""
    phrase_gap_words: dict[str, list[str]] = {}
    """Language code -> articles and prepositions that may stand between the words of a keyword phrase
    (up to two): "pompe a vide" matches "pompes à vide" and "pompe de vide", "recupero elio" matches
    "recupero dell'elio". Inner words of a phrase that are gap words are left out of it."""
    context_factor: float = Field(default=1.0, ge=0, le=1)
    """Weight multiplier of title keywords that come after a context word."""
    test_stems: list[Stem] = []
    """Stems of title products that are tools, test set-ups or measuring machines, in any language
    ("tool", "werkzeug", "banc", "misur"): such a product makes the ``tested`` areas weigh fully."""
    lingua_franca: str = Field(default="en", pattern=r"^[a-z]{2}$")
    """The language whose rules apply to every notice beside its own language's (technical English
    runs through every language's titles: "Lieferung von FPGA-Boards")."""
    lingua_franca_markers: list[str] = []
    """Function words of the lingua franca that no other taxonomy language uses ("the", "and"): a
    title holding one and none of its notice language's articles and prepositions is read with the
    lingua franca's rules (FAIR's German-tagged "Exhaust air measurement system for FAIR")."""
    learned_layer: bool = False
    """Let the shipped learned layer (``pipeline/data/linear_layer.json``, trained on the rules of
    ``config/taxonomy.yaml``) decide the areas it decides better than the rules."""

    @model_validator(mode="after")
    def _refs(self) -> TaxonomyConfig:
        ids = {a.id for a in self.areas}
        if len(ids) != len(self.areas):
            raise ValueError("duplicate area id")
        for prefix in self.cpv_vocabulary:
            check_cpv_prefix(prefix, "cpv_vocabulary prefix")
        for prefix in self.cpv_works:
            check_cpv_prefix(prefix, "cpv_works prefix")
        for prefix, areas in self.cpv.items():
            check_cpv_prefix(prefix, "cpv prefix")
            for a in areas:
                if a not in ids:
                    raise ValueError(f"cpv prefix {prefix!r} names unknown area {a!r}")
        return self
