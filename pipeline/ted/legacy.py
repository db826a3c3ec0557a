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
    cpv,
    first_on_path,
    iter_on_path,
    local_datetime,
    local_deadline,
    money,
    text_of,
)


def is_legacy(root: etree._Element) -> bool:
    return isinstance(root.tag, str) and etree.QName(root).localname == "TED_EXPORT"


@lru_cache(maxsize=256)
def _steps(ns: str, path: str) -> tuple[str, ...]:
    """'A/B' -> ('{ns}A', '{ns}B') (legacy notices put every element in one default namespace)."""
    return tuple(part if not ns or part.startswith("{") else f"{{{ns}}}{part}" for part in path.split("/"))


class _Doc:
    def __init__(self, root: etree._Element) -> None:
        self.ns = etree.QName(root).namespace or ""

    def find(self, el: etree._Element | None, path: str) -> etree._Element | None:
        return None if el is None else first_on_path(el, _steps(self.ns, path))

    def findall(self, el: etree._Element | None, path: str) -> list[etree._Element]:
        return [] if el is None else list(iter_on_path(el, _steps(self.ns, path)))

    def text(self, el: etree._Element | None, path: str) -> str | None:
        found = self.find(el, path)
        if found is None or found.text is None:
            return None
        return found.text.strip() or None

    def attr(self, el: etree._Element | None, path: str, name: str) -> str | None:
        found = self.find(el, path)
        return None if found is None else found.get(name)


def _original(doc: _Doc, forms: list[etree._Element], orig_langs: list[str]) -> etree._Element:
    originals = [f for f in forms if f.get("CATEGORY") == "ORIGINAL"]
    for lang in orig_langs:
        for form in originals:
            if (form.get("LG") or "").upper() == lang:
                return form
    return originals[0] if originals else forms[0]


def _notice_type(form: etree._Element, form_no: str, doc: _Doc) -> str:
    if form_no in codelists.LEGACY_FORMS:
        return codelists.LEGACY_FORMS[form_no]
    kind = (doc.attr(form, "NOTICE", "TYPE") or "").upper()
    for prefix, notice_type in codelists.LEGACY_NOTICE_TYPE_PREFIXES:
        if kind.startswith(prefix):
            return notice_type
    return "other"


def parse_legacy(root: etree._Element, where: str) -> Extracted:
    """Extract the export contract's fields from a TED_EXPORT document (forms F01-F25)."""
    doc = _Doc(root)
    coded = doc.find(root, "CODED_DATA_SECTION")
    notice_data = doc.find(coded, "NOTICE_DATA")
    section = doc.find(root, "FORM_SECTION")
    forms = [f for f in (section if section is not None else []) if isinstance(f.tag, str) and f.get("FORM")]
    if not forms:
        raise TedParseError(f"{where}: TED_EXPORT without a form in FORM_SECTION")
    orig_langs = [(e.text or "").strip().upper() for e in doc.findall(notice_data, "LG_ORIG")]
    form = _original(doc, forms, orig_langs)
    form_no = (form.get("FORM") or "").upper()
    lang = (form.get("LG") or "").upper()
    languages = [codelists.language_alpha2(lang)] + [codelists.language_alpha2(f.get("LG")) for f in forms]

    body = doc.find(form, "CONTRACTING_BODY/ADDRESS_CONTRACTING_BODY")
    buyer_country = codelists.country_alpha2(doc.attr(body, "COUNTRY", "VALUE")) or codelists.country_alpha2(
        doc.attr(notice_data, "ISO_COUNTRY", "VALUE"))
    tz = codelists.country_timezone(buyer_country)
    obj = doc.find(form, "OBJECT_CONTRACT")
    procedure = doc.find(form, "PROCEDURE")

    title = text_of(doc.find(obj, "TITLE"))
    if title is None:
        for ti in doc.findall(root, "TRANSLATION_SECTION/ML_TITLES/ML_TI_DOC"):
            if (ti.get("LG") or "").upper() == lang:
                title = text_of(doc.find(ti, "TI_TEXT"))

    cpvs = [cpv(doc.attr(obj, "CPV_MAIN/CPV_CODE", "CODE"))]
    lots: list[LotRecord] = []
    for item in doc.findall(obj, "OBJECT_DESCR"):
        lot_cpvs = [cpv(c.get("CODE")) for c in doc.findall(item, "CPV_ADDITIONAL/CPV_CODE")]
        lot_no = doc.text(item, "LOT_NO")
        value_el = doc.find(item, "VAL_OBJECT")
        if lot_no is not None or len(doc.findall(obj, "OBJECT_DESCR")) > 1:
            lots.append(LotRecord(lot_number=lot_no or item.get("ITEM") or str(len(lots) + 1),
                                  title=text_of(doc.find(item, "TITLE")),
                                  cpv_codes=[c for c in lot_cpvs if c],
                                  value=None if value_el is None else money(value_el.text, value_el.get("CURRENCY"))))
        else:
            cpvs += lot_cpvs
    if not [c for c in cpvs if c]:
        cpvs += [cpv(c.get("CODE")) for c in doc.findall(notice_data, "ORIGINAL_CPV")]

    value_el = doc.find(obj, "VAL_ESTIMATED_TOTAL")
    if value_el is None:
        value_el = doc.find(obj, "VAL_TOTAL")
    value = None if value_el is None else money(value_el.text, value_el.get("CURRENCY"))

    deadline = local_deadline(doc.text(procedure, "DATE_RECEIPT_TENDERS"), doc.text(procedure, "TIME_RECEIPT_TENDERS"),
                              tz)
    description = text_of(doc.find(obj, "SHORT_DESCR"))
    if form_no == "F14":
        # a corrigendum repeats the notice's title and reference and states what changed in CHANGES; the
        # rest of its form (main CPV, summary) is not a change: only the changed values are kept
        cpvs, lots, value, description = [], [], None, None
    for change in doc.findall(form, "CHANGES/CHANGE"):
        section_label = (doc.text(change, "WHERE/SECTION") or "").replace(")", "").strip()
        if section_label == "IV.2.2":
            moved = local_deadline(doc.text(change, "NEW_VALUE/DATE"), doc.text(change, "NEW_VALUE/TIME"), tz)
            if moved.at is not None:
                deadline = moved
        elif section_label in ("II.1.2", "II.2.2"):
            cpvs += [cpv(c.get("CODE")) for c in doc.findall(change, "NEW_VALUE/CPV_MAIN/CPV_CODE")]
            cpvs += [cpv(c.get("CODE")) for c in doc.findall(change, "NEW_VALUE/CPV_ADDITIONAL/CPV_CODE")]

    previous = codelists.publication_number(doc.text(notice_data, "REF_NOTICE/NO_DOC_OJS"))
    if previous is None:
        previous = codelists.publication_number(
            doc.text(form, "COMPLEMENTARY_INFO/NOTICE_NUMBER_OJ") or doc.text(procedure, "NOTICE_NUMBER_OJ"))

    published = local_datetime(doc.text(coded, "REF_OJS/DATE_PUB"), None, "Europe/Luxembourg")
    return Extracted(
        format="ted-xml",
        publication_number=codelists.publication_number(root.get("DOC_ID")),
        notice_id=doc.text(section, "NOTICE_UUID"),
        notice_type=_notice_type(form, form_no, doc),
        type_code=form_no,
        title=title,
        description=description,
        reference=doc.text(obj, "REFERENCE_NUMBER"),
        buyer_name=doc.text(body, "OFFICIALNAME"),
        buyer_country=buyer_country,
        buyer_identifier=doc.text(body, "NATIONALID"),
        published_at=published,
        deadline_at=deadline.at,
        deadline_date=deadline.day,
        cpv_codes=[c for c in cpvs if c],
        value=value,
        languages=[x for x in languages if x],
        lots=lots,
        awards=_awards(doc, form, tz),
        previous_notice=previous,
        url=doc.text(notice_data, "URI_LIST/URI_DOC"),
        extra={"ted_form": form_no, "ted_original_language": lang.lower() or None},
    )


def _awards(doc: _Doc, form: etree._Element, tz: str) -> list[AwardRecord]:
    """One row per contractor of each awarded contract; a joint award's value goes on its first member."""
    awards: list[AwardRecord] = []
    for contract in doc.findall(form, "AWARD_CONTRACT"):
        awarded = doc.find(contract, "AWARDED_CONTRACT")
        if awarded is None:
            continue  # NO_AWARDED_CONTRACT: procedure closed without a winner
        lot_no = doc.text(contract, "LOT_NO")
        total = doc.find(awarded, "VALUES/VAL_TOTAL")
        if total is None:
            total = doc.find(awarded, "VAL_TOTAL")
        value = None if total is None else money(total.text, total.get("CURRENCY"))
        concluded: datetime | None = local_datetime(doc.text(awarded, "DATE_CONCLUSION_CONTRACT"), None, tz)
        contractors = doc.findall(awarded, "CONTRACTORS/CONTRACTOR/ADDRESS_CONTRACTOR") or doc.findall(
            awarded, "CONTRACTOR/ADDRESS_CONTRACTOR")
        for i, address in enumerate(contractors):
            name = doc.text(address, "OFFICIALNAME")
            if not name:
                continue
            awards.append(AwardRecord(winner_name=name,
                                      winner_country=codelists.country_alpha2(doc.attr(address, "COUNTRY", "VALUE")),
                                      lot_number=lot_no, value=value if i == 0 else None, awarded_at=concluded))
    return awards
