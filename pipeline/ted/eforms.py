"""eForms (UBL 2.3 with the efext/efac/efbc extensions): every notice subtype, one reader.

PIN, CN, PMC/CEI, CAN/VEAT/result and change notices share the UBL skeleton: the procedure in
``cac:ProcurementProject``, lots in ``cac:ProcurementProjectLot``, organisations in the
extension's ``efac:Organizations`` referenced by id (ORG-xxxx), results in ``efac:NoticeResult``
(lot result -> lot tender -> tendering party -> organisation). A change notice carries
``efac:Changes`` with the identifier of the notice it changes. Texts repeat per language: the
notice's own language (``cbc:NoticeLanguageCode``) is kept.

Long on purpose: one reader of every subtype, run on every notice of a bulk import (a year of TED is
~700,000), so its hot parts are written out: each parent's children read in one pass comparing tags, the
elements the record takes kept as they come, rather than through small helpers and mappings of lists
looked up again per field (``bench/ted_ingest.py --stages``: the extraction is a quarter of an import).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from lxml import etree

from pipeline.records import AwardRecord, LotRecord, Money
from pipeline.ted import codelists
from pipeline.ted.common import (
    Deadline,
    Extracted,
    TedParseError,
    children,
    cpv,
    eforms_datetime,
    eforms_deadline,
    first,
    first_on_path,
    leaf_text,
    money,
    text_of,
)

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "efext": "http://data.europa.eu/p27/eforms-ubl-extensions/1",
    "efac": "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1",
    "efbc": "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1",
}
UBL_PREFIX = "urn:oasis:names:specification:ubl:schema:xsd:"


def _tag(name: str) -> str:
    """'cac:Name' -> '{namespace}Name'."""
    prefix, _, local = name.partition(":")
    return f"{{{NS[prefix]}}}{local}"


def _tags(*names: str) -> frozenset[str]:
    return frozenset(map(_tag, names))


# Every element the parser reads, by its Clark tag, and what it reads below each parent (one pass each)
ID, NAME, DESCRIPTION = _tag("cbc:ID"), _tag("cbc:Name"), _tag("cbc:Description")
ISSUE_DATE, ISSUE_TIME = _tag("cbc:IssueDate"), _tag("cbc:IssueTime")
NOTICE_TYPE, NOTICE_LANGUAGE = _tag("cbc:NoticeTypeCode"), _tag("cbc:NoticeLanguageCode")
VERSION = _tag("cbc:VersionID")
ADDITIONAL_LANGUAGE, FOLDER = _tag("cac:AdditionalNoticeLanguage"), _tag("cbc:ContractFolderID")
CONTRACTING_PARTY, PARTY = _tag("cac:ContractingParty"), _tag("cac:Party")
PARTY_IDENTIFICATION, PROJECT, LOT = _tag("cac:PartyIdentification"), _tag("cac:ProcurementProject"), _tag(
    "cac:ProcurementProjectLot")
EXTENSIONS = (_tag("ext:UBLExtensions"), _tag("ext:UBLExtension"), _tag("ext:ExtensionContent"),
              _tag("efext:EformsExtension"))
SUBTYPE, SUBTYPE_CODE, CHANGES, MODIFICATION = (_tag("efac:NoticeSubType"), _tag("cbc:SubTypeCode"),
                                                 _tag("efac:Changes"), _tag("efac:ContractModification"))
CHANGED_NOTICE, ORGANIZATIONS, ORGANIZATION, COMPANY = (_tag("efbc:ChangedNoticeIdentifier"),
                                                         _tag("efac:Organizations"), _tag("efac:Organization"),
                                                         _tag("efac:Company"))
PUBLICATION, PUBLICATION_ID, PUBLICATION_DATE, RESULT = (_tag("efac:Publication"), _tag("efbc:NoticePublicationID"),
                                                          _tag("efbc:PublicationDate"), _tag("efac:NoticeResult"))
MAIN_CPV, MORE_CPV, CPV_CODE = (_tag("cac:MainCommodityClassification"),
                                _tag("cac:AdditionalCommodityClassification"), _tag("cbc:ItemClassificationCode"))
TOTAL, ESTIMATE = _tag("cac:RequestedTenderTotal"), _tag("cbc:EstimatedOverallContractAmount")
TENDERING, SUBMISSION, REQUESTS = (_tag("cac:TenderingProcess"), _tag("cac:TenderSubmissionDeadlinePeriod"),
                                   _tag("cac:ParticipationRequestReceptionPeriod"))
END_DATE, END_TIME = _tag("cbc:EndDate"), _tag("cbc:EndTime")
PARTY_NAME, ADDRESS, COUNTRY, COUNTRY_CODE, LEGAL, COMPANY_ID = (
    _tag("cac:PartyName"), _tag("cac:PostalAddress"), _tag("cac:Country"), _tag("cbc:IdentificationCode"),
    _tag("cac:PartyLegalEntity"), _tag("cbc:CompanyID"))
LOT_TENDER, TENDERING_PARTY, SETTLED, LOT_RESULT = (_tag("efac:LotTender"), _tag("efac:TenderingParty"),
                                                    _tag("efac:SettledContract"), _tag("efac:LotResult"))
RESULT_CODE, TENDER_LOT, MONETARY_TOTAL, PAYABLE = (_tag("cbc:TenderResultCode"), _tag("efac:TenderLot"),
                                                     _tag("cac:LegalMonetaryTotal"), _tag("cbc:PayableAmount"))
TENDERER, GROUP_LEAD = _tag("efac:Tenderer"), _tag("efbc:GroupLeadIndicator")

_ROOT = frozenset({NOTICE_TYPE, NOTICE_LANGUAGE, ADDITIONAL_LANGUAGE, CONTRACTING_PARTY, PROJECT, ID, VERSION,
                   ISSUE_DATE, ISSUE_TIME, LOT, FOLDER, EXTENSIONS[0]})
_EXTENSION = frozenset({SUBTYPE, CHANGES, MODIFICATION, ORGANIZATIONS, PUBLICATION, RESULT})
_RESULT = frozenset({LOT_TENDER, TENDERING_PARTY, SETTLED, LOT_RESULT})
_TENDER = frozenset({ID, MONETARY_TOTAL, TENDERING_PARTY, TENDER_LOT})
_TENDERING_PARTY = frozenset({ID, TENDERER})
_TENDERER = frozenset({ID, GROUP_LEAD})
_LOT_RESULT = frozenset({RESULT_CODE, TENDER_LOT, LOT_TENDER})
_SETTLED = frozenset({ISSUE_DATE, LOT_TENDER})


def is_eforms(root: etree._Element) -> bool:
    return isinstance(root.tag, str) and (etree.QName(root).namespace or "").startswith(UBL_PREFIX)


def _first_below(parents: list[etree._Element] | None, tag: str) -> etree._Element | None:
    """The first ``tag`` child of any of ``parents``, in document order (``A/B`` where the A are given)."""
    for parent in parents or ():
        for child in parent:  # a handful of children: cheaper than building iterchildren's tag matcher
            if child.tag == tag:
                return child
    return None


def _text_below(parents: list[etree._Element] | None, tag: str) -> str | None:
    return leaf_text(_first_below(parents, tag))


class _Lang:
    """Picks, among an element's per-language children, the one in the notice's language."""

    def __init__(self, lang3: str | None) -> None:
        self.lang3 = (lang3 or "").upper()

    def pick(self, items: list[etree._Element] | None) -> str | None:
        if not items:
            return None
        for item in items:
            if (item.get("languageID") or "").upper() == self.lang3:
                return text_of(item)
        return text_of(items[0])


class _Organisations:
    """The notice's organisations by id (the last of an id wins); a company's other children are read (in one
    pass) and its fields taken when it is first asked for: a notice names many (review bodies, tenderers that
    did not win), the record uses the buyer and the winners. A name given in several languages is taken in the notice's
    own (a multilingual notice of the JRC names it in 24 languages, German first)."""

    def __init__(self, organizations: list[etree._Element] | None, lang: _Lang) -> None:
        self.lang = lang
        self._companies: dict[str, etree._Element] = {}
        self._read: dict[str, dict[str, str | None]] = {}
        companies = self._companies
        for organizations_el in organizations or ():
            # tags compared rather than ``iterchildren``'s matcher, which would be built anew for each organisation
            for organization in organizations_el:
                if organization.tag != ORGANIZATION:
                    continue
                for company in organization:
                    if company.tag == COMPANY:
                        oid = _company_id(company)
                        if oid:
                            companies[oid] = company

    def get(self, oid: str, default: dict[str, str | None]) -> dict[str, str | None]:
        known = self._read.get(oid)
        if known is not None:
            return known
        company = self._companies.get(oid)
        if company is None:
            return default
        names: list[etree._Element] = []
        country = identifier = None
        for child in company:  # one pass, tags compared
            tag = child.tag
            if tag == PARTY_NAME:
                names += [name for name in child if name.tag == NAME]
            elif tag == ADDRESS:
                if country is None:  # the first address that names a country
                    country = _first_below([child], COUNTRY)
            elif tag == LEGAL and identifier is None:
                identifier = _first_below([child], COMPANY_ID)
        known = self._read[oid] = {
            "name": self.lang.pick(names),
            "country": codelists.country_alpha2(_text_below([country] if country is not None else None,
                                                            COUNTRY_CODE)),
            "identifier": leaf_text(identifier),
        }
        return known


def _company_id(company: etree._Element) -> str | None:
    """A company's identifier: the first ``cbc:ID`` below its ``cac:PartyIdentification`` children, read
    without collecting the company's other children (only the buyer's and the winners' are read)."""
    for child in company:
        if child.tag == PARTY_IDENTIFICATION:
            for grandchild in child:
                if grandchild.tag == ID:
                    return leaf_text(grandchild)
    return None


class _Project:
    """A ``cac:ProcurementProject`` (the procedure's or a lot's), its children read in one pass: the elements
    the record takes kept as they come (each lot has one, so the pass compares tags rather than filling a
    mapping of lists that each field then looks up again)."""

    __slots__ = ("descriptions", "ident", "main_cpv", "more_cpv", "names", "total")

    def __init__(self, el: etree._Element | None) -> None:
        names: list[etree._Element] = []
        descriptions: list[etree._Element] = []
        more: list[etree._Element] = []
        ident = main = total = None
        if el is not None:
            for child in el:
                tag = child.tag
                if tag == NAME:
                    names.append(child)
                elif tag == DESCRIPTION:
                    descriptions.append(child)
                elif tag == MORE_CPV:
                    more.append(child)
                elif tag == MAIN_CPV:
                    if main is None:  # the first main classification that gives a code
                        main = next((c for c in child if c.tag == CPV_CODE), None)
                elif tag == ID:
                    if ident is None:
                        ident = child
                elif tag == TOTAL and total is None:
                    total = next((c for c in child if c.tag == ESTIMATE), None)
        self.names, self.descriptions, self.ident = names, descriptions, ident
        self.main_cpv, self.more_cpv, self.total = main, more, total

    def cpvs(self) -> list[str]:
        codes = []
        main = self.main_cpv
        if main is not None:
            code = cpv(leaf_text(main))
            if code:
                codes.append(code)
        for more in self.more_cpv:
            for c in more:
                if c.tag == CPV_CODE:
                    code = cpv(c.text)
                    if code:
                        codes.append(code)
        return codes

    def value(self) -> Money | None:
        amount = self.total
        return None if amount is None else money(amount.text, amount.get("currencyID"))


def _is_group(id_el: etree._Element | None, lot_id: str) -> bool:
    """A ``ProcurementProjectLot`` that is a group of lots (BT-330, ``schemeName="LotsGroup"``, ``GLO-0001``)."""
    scheme = (id_el.get("schemeName") or "") if id_el is not None else ""
    return scheme.casefold() == "lotsgroup" or lot_id.upper().startswith("GLO-")


def _first_two(parents: Iterable[etree._Element], one: str, other: str,
               ) -> tuple[etree._Element | None, etree._Element | None]:
    """The first child tagged ``one`` and the first tagged ``other`` among the parents' children, in one
    pass comparing tags (a period's end date and time, a lot's submission and participation periods)."""
    first_one = first_other = None
    for parent in parents:
        for child in parent:
            tag = child.tag
            if tag == one:
                if first_one is None:
                    first_one = child
            elif tag == other and first_other is None:
                first_other = child
    return first_one, first_other


def _deadline(period: etree._Element | None, buyer_tz: str) -> Deadline | None:
    if period is None:
        return None
    end_date, end_time = _first_two((period,), END_DATE, END_TIME)
    deadline = eforms_deadline(leaf_text(end_date), leaf_text(end_time), buyer_tz)
    return deadline if deadline.at is not None else None


def _extension(root_found: dict[str, list[etree._Element]]) -> etree._Element | None:
    """``ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/efext:EformsExtension``, the first."""
    for extensions in root_found.get(EXTENSIONS[0], ()):
        found = first_on_path(extensions, EXTENSIONS[1:])
        if found is not None:
            return found
    return None


def parse_eforms(root: etree._Element, where: str) -> Extracted:
    """Extract the export contract's fields from an eForms notice (any subtype).

    Each element the record needs is read in one pass over its parent's children (``children``): the
    root's, the extension's, the project's, each lot's and each organisation's, not one path look-up per
    field."""
    top = children(root, _ROOT)
    ext = _extension(top)
    found_ext = children(ext, _EXTENSION)
    type_code = leaf_text(first(top, NOTICE_TYPE))
    subtype = _text_below(found_ext.get(SUBTYPE), SUBTYPE_CODE)
    if type_code is None and subtype is None:
        raise TedParseError(f"{where}: eForms document without cbc:NoticeTypeCode or notice subtype")
    lang3 = leaf_text(first(top, NOTICE_LANGUAGE))
    lang = _Lang(lang3)
    languages = [codelists.language_alpha2(lang3)]
    languages += [codelists.language_alpha2(e.text) for more in top.get(ADDITIONAL_LANGUAGE, ())
                  for e in more.iterchildren(ID)]

    changes = first(found_ext, CHANGES)
    notice_type = codelists.EFORMS_SUBTYPES.get(subtype or "") or codelists.EFORMS_NOTICE_TYPES.get(
        type_code or "", "other")
    previous = None
    if changes is not None:
        notice_type = "corrigendum"
        previous = leaf_text(next(changes.iterchildren(CHANGED_NOTICE), None))
    modification = first(found_ext, MODIFICATION)
    if modification is not None and previous is None:
        previous = leaf_text(next(modification.iterchildren(CHANGED_NOTICE), None))

    orgs = _Organisations(found_ext.get(ORGANIZATIONS), lang)
    buyer_id = None
    for party in top.get(CONTRACTING_PARTY, ()):
        buyer_id = first_on_path(party, (PARTY, PARTY_IDENTIFICATION, ID))
        if buyer_id is not None:
            break
    buyer = orgs.get(leaf_text(buyer_id) or "", {})

    project = _Project(first(top, PROJECT))
    notice_id = leaf_text(first(top, ID))
    version = leaf_text(first(top, VERSION))
    publication = found_ext.get(PUBLICATION)
    pub_number = codelists.publication_number(_text_below(publication, PUBLICATION_ID))
    published = eforms_datetime(_text_below(publication, PUBLICATION_DATE)) or eforms_datetime(
        leaf_text(first(top, ISSUE_DATE)), leaf_text(first(top, ISSUE_TIME)))
    buyer_tz = codelists.country_timezone(buyer.get("country"))

    lots: list[LotRecord] = []
    deadlines: list[Deadline] = []
    requests: list[Deadline] = []  # restricted/negotiated procedures: requests to participate (BT-1311)
    for lot_el in top.get(LOT, ()):
        id_el = project_el = None
        tenderings = []
        for child in lot_el:  # one pass, tags compared: a lot's few children, no mapping of lists
            tag = child.tag
            if tag == ID:
                if id_el is None:
                    id_el = child
            elif tag == PROJECT:
                if project_el is None:
                    project_el = child
            elif tag == TENDERING:
                tenderings.append(child)
        lot_id = leaf_text(id_el)
        if not lot_id or _is_group(id_el, lot_id):
            continue  # a group of lots (GLO-...) describes lots listed on their own; it is not one
        lot_project = _Project(project_el)
        lots.append(LotRecord(lot_number=lot_id, title=lang.pick(lot_project.names),
                              cpv_codes=lot_project.cpvs(), value=lot_project.value()))
        submission, participation = _first_two(tenderings, SUBMISSION, REQUESTS)
        deadline = _deadline(submission, buyer_tz)
        if deadline is not None:
            deadlines.append(deadline)
        deadline = _deadline(participation, buyer_tz)
        if deadline is not None:
            requests.append(deadline)

    value = project.value()
    value_note = None
    if value is None:
        lot_values = [lot.value for lot in lots if lot.value is not None]
        if lot_values and len({v.currency for v in lot_values}) == 1:
            value = Money(amount=sum((v.amount for v in lot_values), Decimal(0)), currency=lot_values[0].currency)
            value_note = "sum of the lots' estimated values"

    extra: dict[str, str] = {}
    if not deadlines and requests:
        deadlines = requests  # what a firm must meet first; said so in the extras
        extra["deadline_kind"] = "requests to participate"
    result = first(found_ext, RESULT)
    awards = _awards(result, orgs) if result is not None else []
    first_deadline = min(deadlines, key=lambda d: d.at) if deadlines else None  # the earliest lot's deadline
    title = lang.pick(project.names)
    if title is None and lots:
        title = lots[0].title
    return Extracted(
        format="eforms",
        publication_number=pub_number,
        notice_id=f"{notice_id}-{version}" if notice_id and version else notice_id,
        notice_type=notice_type,
        type_code=f"{type_code}/{subtype}" if subtype else type_code,
        title=title,
        description=lang.pick(project.descriptions),
        reference=leaf_text(project.ident),
        buyer_name=buyer.get("name"),
        buyer_country=buyer.get("country"),
        buyer_identifier=buyer.get("identifier"),
        published_at=published,
        deadline_at=first_deadline.at if first_deadline else None,
        deadline_date=first_deadline.day if first_deadline else None,
        cpv_codes=project.cpvs(),
        value=value,
        value_note=value_note,
        languages=[x for x in languages if x],
        lots=lots,
        awards=awards,
        previous_notice=previous,
        procedure_id=leaf_text(first(top, FOLDER)),
        extra=extra,
    )


def _awards(result: etree._Element, orgs: _Organisations) -> list[AwardRecord]:
    """Winners: selected lot results -> their tenders -> tendering parties -> organisations.

    A tender by a group yields one row per member; the tender's value goes on the group leader
    (or the first member) only, so totals per country never count one contract twice.
    """
    found = children(result, _RESULT)
    tenders: dict[str, dict[str, list[etree._Element]]] = {}
    for tender in found.get(LOT_TENDER, ()):
        tender_found = children(tender, _TENDER)
        tid = leaf_text(first(tender_found, ID))
        if tid:
            tenders[tid] = tender_found
    parties: dict[str, dict[str, list[etree._Element]]] = {}
    for party in found.get(TENDERING_PARTY, ()):
        party_found = children(party, _TENDERING_PARTY)
        pid = leaf_text(first(party_found, ID))
        if pid:
            parties[pid] = party_found
    signed: dict[str, datetime | None] = {}
    for contract in found.get(SETTLED, ()):
        contract_found = children(contract, _SETTLED)
        issued = eforms_datetime(leaf_text(first(contract_found, ISSUE_DATE)))
        for lot_tender in contract_found.get(LOT_TENDER, ()):
            for ref in lot_tender.iterchildren(ID):
                if ref.text:
                    signed[ref.text.strip()] = issued
    awards: list[AwardRecord] = []
    seen: set[tuple[str, str | None]] = set()
    for lot_result in found.get(LOT_RESULT, ()):
        result_found = children(lot_result, _LOT_RESULT)
        code = leaf_text(first(result_found, RESULT_CODE))
        if code is not None and code != "selec-w":
            continue  # no winner chosen (closed, or still open)
        lot_number = _text_below(result_found.get(TENDER_LOT), ID)
        for lot_tender in result_found.get(LOT_TENDER, ()):
            for ref in lot_tender.iterchildren(ID):
                tid = (ref.text or "").strip()
                tender_found = tenders.get(tid)
                if tender_found is None or (tid, lot_number) in seen:
                    continue
                seen.add((tid, lot_number))
                payable = _first_below(tender_found.get(MONETARY_TOTAL), PAYABLE)
                value = None if payable is None else money(payable.text, payable.get("currencyID"))
                party_found = parties.get(_text_below(tender_found.get(TENDERING_PARTY), ID) or "")
                members = [] if party_found is None else [children(m, _TENDERER)
                                                          for m in party_found.get(TENDERER, ())]
                members.sort(key=lambda m: leaf_text(first(m, GROUP_LEAD)) != "true")
                tender_lot = _text_below(tender_found.get(TENDER_LOT), ID)
                for i, member in enumerate(members):
                    org = orgs.get(leaf_text(first(member, ID)) or "", {})
                    if not org.get("name"):
                        continue
                    awards.append(AwardRecord(winner_name=org["name"] or "", winner_country=org.get("country"),
                                              lot_number=tender_lot or lot_number,
                                              value=value if i == 0 else None, awarded_at=signed.get(tid)))
    return awards
