"""``RawNotice`` (strings as extracted) -> ``NoticeRecord`` (typed, aware, ISO codes).

Fields a source lacks stay None; nothing is invented. Every problem is a warning on the notice.
Text, URLs and whole records are cleaned by ``pipeline.cleaning``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pipeline.cleaning import clean_text, cpv_codes
from pipeline.dates import parse_date, plausibility
from pipeline.records import MAX_TITLE, NoticeRecord, RawNotice
from pipeline.values import parse_value
from tenderwatch.config import Config, SourceConfig
from tenderwatch.config.models import OrganisationConfig

_OPEN_TO_ALL = re.compile(r"\b(all countries|open to all|no (geographical )?restrictions?|worldwide)\b", re.I)
_ALSO = re.compile(r"\b(also|additionally|as well|in addition)\b", re.I)
_ONLY = re.compile(r"\b(only|restricted|limited|exclusively)\b", re.I)


def countries_named(text: str) -> list[str]:
    """ISO alpha-2 codes of the countries a sentence names in English ("Japan and the United States")."""
    import pycountry

    found: list[str] = []
    folded = " " + re.sub(r"[^\w\s]", " ", text).casefold() + " "
    for country in pycountry.countries:
        names = {getattr(country, attr, None) for attr in ("name", "common_name")}
        for name in filter(None, names):
            if f" {name.casefold()} " in folded and country.alpha_2 not in found:
                found.append(country.alpha_2)
    return found


def eligible_countries(member_states: list[str] | None, note: str | None) -> list[str] | None:
    """Who may bid: the organisation's member states, widened or narrowed by the notice's own words.

    "Open also to firms in Japan and the United States" adds JP and US to the member states; "open to
    all countries" lifts the restriction (None); "restricted to firms in France" narrows it to FR.
    """
    if not note:
        return list(member_states) if member_states else None
    if _OPEN_TO_ALL.search(note):
        return None
    named = countries_named(note)
    if named and _ONLY.search(note) and not _ALSO.search(note):
        return sorted(named)
    if named and member_states:
        return sorted(set(member_states) | set(named))
    return list(member_states) if member_states else None


def map_notice_type(label: str | None, source: SourceConfig) -> str:
    """The organisation's vocabulary -> ours, by the source's table; the source's default when it has no entry."""
    if not label:
        return source.default_notice_type
    return lookup_notice_type(label, source.notice_types) or source.default_notice_type


def lookup_notice_type(label: str, table: dict[str, str]) -> str | None:
    """``label`` in an organisation's type table (exact, then case-folded, then prefix or word); None if absent."""
    if label in table:
        return table[label]
    folded = {k.casefold(): v for k, v in table.items()}
    key = " ".join(label.split()).casefold()
    if key in folded:
        return folded[key]
    for k, v in sorted(folded.items(), key=lambda kv: -len(kv[0])):
        if key.startswith(k) and not (k[-1].isdigit() and key[len(k):len(k) + 1].isdigit()):
            return v  # a prefix ("Call for Tender" of "Call for Tenders"), but code 1 is no prefix of code 10
        if re.search(rf"\b{re.escape(k)}\b", key):
            return v
    return None


def _is_organisation(buyer: str | None, org: OrganisationConfig) -> bool:
    """The buyer is the organisation itself (no name given, or one of its names), not a prime buying for it:
    only then is the organisation's country the buyer's."""
    name = clean_text(buyer)
    return name is None or name.casefold() in {org.name.casefold(), *(n.casefold() for n in org.official_names)}


def resolve_organisation(raw: RawNotice, source: SourceConfig, config: Config) -> str | None:
    """Organisation code from the source, or for aggregators from the row (code, name or official name)."""
    if raw.organisation:
        label = raw.organisation.strip()
        for org in config.organisations:
            names = {org.code.casefold(), org.name.casefold(), *(n.casefold() for n in org.official_names)}
            if label.casefold() in names:
                return org.code
        aliases = source.options.get("organisation_aliases") or {}
        if label in aliases:
            return aliases[label]
        return None
    return source.organisation


def normalise(raw: RawNotice, config: Config, now: datetime | None = None) -> NoticeRecord:
    """Raises ValueError when the record cannot be a notice at all (no title)."""
    now = now or datetime.now(UTC)
    source = config.source(raw.source)
    if source is None:
        raise ValueError(f"unknown source {raw.source!r}")
    warnings: list[str] = []
    org_code = resolve_organisation(raw, source, config)
    if raw.organisation and org_code is None:
        warnings.append(f"unknown organisation {raw.organisation!r}")
    org = config.organisation(org_code) if org_code else None
    tz = source.timezone or (org.timezone if org else config.settings.timezone)
    langs = [raw.language or source.language] if (raw.language or source.language) else []

    title = clean_text(raw.title, MAX_TITLE)
    if not title:
        raise ValueError("no title")
    published = parse_date(raw.published, tz, languages=None)
    deadline = parse_date(raw.deadline, tz, end_of_day=True, languages=None)
    warnings += [p for p in (published.problem, deadline.problem) if p]
    warnings += plausibility(published.value, deadline.value, now)

    ranges = source.options.get("value_ranges") or {}
    value, value_note = parse_value(raw.value, raw.currency or source.options.get("currency"), ranges)

    eligibility_note = clean_text(raw.eligibility, 2000)
    eligible = eligible_countries(org.member_states if org else None, eligibility_note)

    status = "open"
    if raw.status and re.search(r"closed|cancel|award", raw.status, re.I):
        status = "cancelled" if re.search(r"cancel", raw.status, re.I) else "closed"
    if deadline.value is not None and deadline.value < now:
        status = "closed"
    notice_type = map_notice_type(raw.notice_type, source)
    if notice_type == "contract_award":
        status = "awarded"

    return NoticeRecord(
        organisation=org_code,
        source=raw.source,
        external_id=raw.reference or raw.url or title,
        reference=clean_text(raw.reference, 200),
        notice_type=notice_type,  # type: ignore[arg-type]
        title=title,
        description=clean_text(raw.description),
        url=raw.url,
        documents_url=raw.documents_url,
        published_at=published.value,
        deadline_at=deadline.value,
        deadline_date=deadline.day,
        cpv_codes=cpv_codes(raw.cpv_codes),
        estimated_value=value,
        value_note=value_note,
        buyer_name=clean_text(raw.buyer_name, 500) or (org.name if org else None),
        buyer_country=raw.buyer_country or (org.country if org and _is_organisation(raw.buyer_name, org) else None),
        eligible_countries=eligible,
        eligibility_note=eligibility_note,
        languages=[lang for lang in langs if lang],
        status=status,
        warnings=warnings,
        raw=raw.model_dump(exclude_defaults=True),
    )
