"""Legacy TED XML (``TED_EXPORT``, schema R2.0.9, forms F01-F25).

A notice holds one form per language version; the buyer's own text is the form marked
``CATEGORY="ORIGINAL"`` (when several are original, the first language of ``LG_ORIG``), whose
title and buyer name are kept; the other versions only add their language. Dates are the buyer's
local time without an offset, so they are read in the time zone of the buyer's country. A
corrigendum (F14) gives only what its CHANGES section changes: the time limit for tenders (section
IV.2.2) as its deadline, new CPV codes (II.1.2, II.2.2); its title and reference name the notice.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from lxml import etree

from pipeline.records import AwardRecord, LotRecord
from pipeline.ted import codelists
from pipeline.ted.common import (
    Extracted,
    TedParseError,
    children,
    cpv,
    first_on_path,
    iter_on_path,
    leaf_text,
    local_datetime,
    local_deadline,
    money,
    text_of,
)

Found = dict[str, list[etree._Element]]


def is_legacy(root: etree._Element) -> bool:
    return isinstance(root.tag, str) and etree.QName(root).localname == "TED_EXPORT"


@lru_cache(maxsize=256)
def _steps(ns: str, path: str) -> tuple[str, ...]:
    """'A/B' -> ('{ns}A', '{ns}B') (legacy notices put every element in one default namespace)."""
    return tuple(part if not ns or part.startswith("{") else f"{{{ns}}}{part}" for part in path.split("/"))


@lru_cache(maxsize=256)
def _wanted(ns: str, names: str) -> frozenset[str]:
    return frozenset(f"{{{ns}}}{name}" if ns else name for name in names.split())


class _Doc:
    """One document's namespace; ``kids`` reads an element's children once for every field they give."""

    def __init__(self, root: etree._Element) -> None:
        self.ns = etree.QName(root).namespace or ""
        self.cut = len(self.ns) + 2 if self.ns else 0

    def kids(self, el: etree._Element | None, names: str) -> Found:
        """The children of ``el`` named in ``names`` (local names, space-separated), by local name, in order."""
        found = children(el, _wanted(self.ns, names))
        cut = self.cut
        return {tag[cut:]: items for tag, items in found.items()} if cut else found

    def below(self, parents: list[etree._Element] | None, name: str) -> etree._Element | None:
        """The first ``name`` child of any of ``parents`` (``A/B`` where the A are given)."""
        tag = _steps(self.ns, name)[0]
        for parent in parents or ():
            for child in parent:  # comparing tags: cheaper than building iterchildren's tag matcher
                if child.tag == tag:
                    return child
        return None

    def all_below(self, parents: list[etree._Element] | None, path: str) -> list[etree._Element]:
        """Every element at ``path`` below any of ``parents``, in document order."""
        steps = _steps(self.ns, path)
        return [found for parent in parents or () for found in iter_on_path(parent, steps)]


def _first(found: Found, name: str) -> etree._Element | None:
    items = found.get(name)
    return items[0] if items else None


def _text(found: Found, name: str) -> str | None:
    return leaf_text(_first(found, name))


def _attr(el: etree._Element | None, name: str) -> str | None:
    return None if el is None else el.get(name)


def _original(forms: list[etree._Element], orig_langs: list[str]) -> etree._Element:
    originals = [f for f in forms if f.get("CATEGORY") == "ORIGINAL"]
    for lang in orig_langs:
        for form in originals:
            if (form.get("LG") or "").upper() == lang:
                return form
    return originals[0] if originals else forms[0]


def _notice_type(notice: etree._Element | None, form_no: str) -> str:
    if form_no in codelists.LEGACY_FORMS:
        return codelists.LEGACY_FORMS[form_no]
    kind = (_attr(notice, "TYPE") or "").upper()
    for prefix, notice_type in codelists.LEGACY_NOTICE_TYPE_PREFIXES:
        if kind.startswith(prefix):
            return notice_type
    return "other"


def parse_legacy(root: etree._Element, where: str) -> Extracted:
    """Extract the export contract's fields from a TED_EXPORT document (forms F01-F25).

    Each element the record needs is read in one pass over its parent's children (``_Doc.kids``), not one
    path look-up per field."""
    doc = _Doc(root)
    top = doc.kids(root, "CODED_DATA_SECTION FORM_SECTION TRANSLATION_SECTION")
    coded = doc.kids(_first(top, "CODED_DATA_SECTION"), "NOTICE_DATA REF_OJS")
    notice_data = doc.kids(_first(coded, "NOTICE_DATA"), "LG_ORIG ISO_COUNTRY ORIGINAL_CPV REF_NOTICE URI_LIST")
    section = _first(top, "FORM_SECTION")
    forms: list[etree._Element] = []
    uuid_tag = _steps(doc.ns, "NOTICE_UUID")[0]
    notice_uuid = None
    for child in section if section is not None else ():
        if not isinstance(child.tag, str):
            continue
        if child.get("FORM"):
            forms.append(child)
        if notice_uuid is None and child.tag == uuid_tag:
            notice_uuid = child
    if not forms:
        raise TedParseError(f"{where}: TED_EXPORT without a form in FORM_SECTION")
    orig_langs = [(e.text or "").strip().upper() for e in notice_data.get("LG_ORIG", ())]
    form = _original(forms, orig_langs)
    form_no = (form.get("FORM") or "").upper()
    lang = (form.get("LG") or "").upper()
    languages = [codelists.language_alpha2(lang)] + [codelists.language_alpha2(f.get("LG")) for f in forms]

    in_form = doc.kids(form, "CONTRACTING_BODY OBJECT_CONTRACT PROCEDURE CHANGES COMPLEMENTARY_INFO NOTICE "
                             "AWARD_CONTRACT")
    body = doc.kids(doc.below(in_form.get("CONTRACTING_BODY"), "ADDRESS_CONTRACTING_BODY"),
                    "COUNTRY OFFICIALNAME NATIONALID")
    buyer_country = codelists.country_alpha2(_attr(_first(body, "COUNTRY"), "VALUE")) or codelists.country_alpha2(
        _attr(_first(notice_data, "ISO_COUNTRY"), "VALUE"))
    tz = codelists.country_timezone(buyer_country)
    obj = doc.kids(_first(in_form, "OBJECT_CONTRACT"), "TITLE CPV_MAIN OBJECT_DESCR VAL_ESTIMATED_TOTAL VAL_TOTAL "
                                                        "SHORT_DESCR REFERENCE_NUMBER")
    procedure = doc.kids(_first(in_form, "PROCEDURE"), "DATE_RECEIPT_TENDERS TIME_RECEIPT_TENDERS NOTICE_NUMBER_OJ")

    title = text_of(_first(obj, "TITLE"))
    if title is None:
        for ti in iter_on_path(root, _steps(doc.ns, "TRANSLATION_SECTION/ML_TITLES/ML_TI_DOC")):
            if (ti.get("LG") or "").upper() == lang:
                title = text_of(first_on_path(ti, _steps(doc.ns, "TI_TEXT")))

    cpvs = [cpv(_attr(doc.below(obj.get("CPV_MAIN"), "CPV_CODE"), "CODE"))]
    lots: list[LotRecord] = []
    items = obj.get("OBJECT_DESCR", [])
    for item_el in items:
        item = doc.kids(item_el, "CPV_ADDITIONAL LOT_NO VAL_OBJECT TITLE")
        lot_cpvs = [cpv(c.get("CODE")) for c in doc.all_below(item.get("CPV_ADDITIONAL"), "CPV_CODE")]
        lot_no = _text(item, "LOT_NO")
        value_el = _first(item, "VAL_OBJECT")
        if lot_no is not None or len(items) > 1:
            lots.append(LotRecord(lot_number=lot_no or item_el.get("ITEM") or str(len(lots) + 1),
                                  title=text_of(_first(item, "TITLE")),
                                  cpv_codes=[c for c in lot_cpvs if c],
                                  value=None if value_el is None else money(value_el.text, value_el.get("CURRENCY"))))
        else:
            cpvs += lot_cpvs
    if not [c for c in cpvs if c]:
        cpvs += [cpv(c.get("CODE")) for c in notice_data.get("ORIGINAL_CPV", ())]

    value_el = _first(obj, "VAL_ESTIMATED_TOTAL")
    if value_el is None:
        value_el = _first(obj, "VAL_TOTAL")
    value = None if value_el is None else money(value_el.text, value_el.get("CURRENCY"))

    deadline = local_deadline(_text(procedure, "DATE_RECEIPT_TENDERS"), _text(procedure, "TIME_RECEIPT_TENDERS"), tz)
    description = text_of(_first(obj, "SHORT_DESCR"))
    if form_no == "F14":
        # a corrigendum repeats the notice's title and reference and states what changed in CHANGES; the
        # rest of its form (main CPV, summary) is not a change: only the changed values are kept
        cpvs, lots, value, description = [], [], None, None
    for change_el in doc.all_below(in_form.get("CHANGES"), "CHANGE"):
        change = doc.kids(change_el, "WHERE NEW_VALUE")
        section_label = (leaf_text(doc.below(change.get("WHERE"), "SECTION")) or "").replace(")", "").strip()
        new_value = change.get("NEW_VALUE")
        if section_label == "IV.2.2":
            moved = local_deadline(leaf_text(doc.below(new_value, "DATE")), leaf_text(doc.below(new_value, "TIME")),
                                   tz)
            if moved.at is not None:
                deadline = moved
        elif section_label in ("II.1.2", "II.2.2"):
            cpvs += [cpv(c.get("CODE")) for c in doc.all_below(new_value, "CPV_MAIN/CPV_CODE")]
            cpvs += [cpv(c.get("CODE")) for c in doc.all_below(new_value, "CPV_ADDITIONAL/CPV_CODE")]

    previous = codelists.publication_number(leaf_text(doc.below(notice_data.get("REF_NOTICE"), "NO_DOC_OJS")))
    if previous is None:
        previous = codelists.publication_number(
            leaf_text(doc.below(in_form.get("COMPLEMENTARY_INFO"), "NOTICE_NUMBER_OJ"))
            or _text(procedure, "NOTICE_NUMBER_OJ"))

    published = local_datetime(leaf_text(doc.below(coded.get("REF_OJS"), "DATE_PUB")), None, "Europe/Luxembourg")
    return Extracted(
        format="ted-xml",
        publication_number=codelists.publication_number(root.get("DOC_ID")),
        notice_id=leaf_text(notice_uuid),
        notice_type=_notice_type(_first(in_form, "NOTICE"), form_no),
        type_code=form_no,
        title=title,
        description=description,
        reference=_text(obj, "REFERENCE_NUMBER"),
        buyer_name=_text(body, "OFFICIALNAME"),
        buyer_country=buyer_country,
        buyer_identifier=_text(body, "NATIONALID"),
        published_at=published,
        deadline_at=deadline.at,
        deadline_date=deadline.day,
        cpv_codes=[c for c in cpvs if c],
        value=value,
        languages=[x for x in languages if x],
        lots=lots,
        awards=_awards(doc, in_form.get("AWARD_CONTRACT", []), tz),
        previous_notice=previous,
        url=leaf_text(doc.below(notice_data.get("URI_LIST"), "URI_DOC")),
        extra={"ted_form": form_no, "ted_original_language": lang.lower() or None},
    )


def _awards(doc: _Doc, contracts: list[etree._Element], tz: str) -> list[AwardRecord]:
    """One row per contractor of each awarded contract; a joint award's value goes on its first member."""
    awards: list[AwardRecord] = []
    for contract_el in contracts:
        contract = doc.kids(contract_el, "AWARDED_CONTRACT LOT_NO")
        awarded_el = _first(contract, "AWARDED_CONTRACT")
        if awarded_el is None:
            continue  # NO_AWARDED_CONTRACT: procedure closed without a winner
        awarded = doc.kids(awarded_el, "VALUES VAL_TOTAL DATE_CONCLUSION_CONTRACT CONTRACTORS CONTRACTOR")
        lot_no = _text(contract, "LOT_NO")
        total = doc.below(awarded.get("VALUES"), "VAL_TOTAL")
        if total is None:
            total = _first(awarded, "VAL_TOTAL")
        value = None if total is None else money(total.text, total.get("CURRENCY"))
        concluded: datetime | None = local_datetime(_text(awarded, "DATE_CONCLUSION_CONTRACT"), None, tz)
        contractors = doc.all_below(awarded.get("CONTRACTORS"), "CONTRACTOR/ADDRESS_CONTRACTOR") or doc.all_below(
            awarded.get("CONTRACTOR"), "ADDRESS_CONTRACTOR")
        for i, address_el in enumerate(contractors):
            address = doc.kids(address_el, "OFFICIALNAME COUNTRY")
            name = _text(address, "OFFICIALNAME")
            if not name:
                continue
            awards.append(AwardRecord(winner_name=name,
                                      winner_country=codelists.country_alpha2(_attr(_first(address, "COUNTRY"),
                                                                                    "VALUE")),
                                      lot_number=lot_no, value=value if i == 0 else None, awarded_at=concluded))
    return awards
