"""The directory's capability records: what a company says about itself, reviewed before it is public.

The life of a record (``DirectoryProfile.status``):

- the company edits it through its signed preferences link (``save``): "pending" when it asks to be
  listed, "draft" when it does not; its published copy, if any, stays as it was until reviewed;
- an ILO ``publish``-es it (the live fields are copied into ``published``, the only copy the public
  directory and the brochure show) or ``send_back``-s it with a note ("returned");
- a company that no longer wants to be listed (``listed`` false) leaves the public directory at
  once (``save`` clears the published copy): publication is opt-in, and so is staying.

Text is bounded and cleaned like every other field (``pipeline.cleaning.clean_text``); the website
goes through the one URL policy (``pipeline.cleaning.public_url``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.cleaning import clean_text, public_url
from tenderwatch.config.base import check_email
from tenderwatch.db.models import Company, DirectoryProfile
from tenderwatch.georeturn.awards import AwardFact, supplier_awards

MAX_DESCRIPTION = 2000
MAX_ITEMS = 30
MAX_ITEM = 120
MAX_NOTE = 1000
LIST_SPLIT = re.compile(r"[\n;]+")


class ProfileError(ValueError):
    """A review step that does not apply (publishing a company that did not opt in...)."""


@dataclass
class ProfileForm:
    """What the company typed, checked; ``errors`` say what was refused (nothing is saved then)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _text(value: Any, limit: int) -> str | None:
    text = clean_text(str(value or ""))
    return text[:limit] if text else None


def _items(value: Any) -> list[str]:
    out: list[str] = []
    for part in LIST_SPLIT.split(str(value or "")):
        item = clean_text(part)
        if item and item.casefold() not in {o.casefold() for o in out}:
            out.append(item[:MAX_ITEM])
    return out


def read_form(form: Any, areas: list[str], reference_keys: set[str]) -> ProfileForm:
    """The profile form (a mapping with ``getlist``) checked: every problem at once."""
    result = ProfileForm()
    chosen = [a for a in form.getlist("areas") if isinstance(a, str)]
    unknown = sorted(set(chosen) - set(areas))
    if unknown:
        result.errors.append("unknown area: " + ", ".join(unknown[:5]))
    capabilities, certifications = _items(form.get("capabilities")), _items(form.get("certifications"))
    for name, items in (("capabilities", capabilities), ("certifications", certifications)):
        if len(items) > MAX_ITEMS:
            result.errors.append(f"at most {MAX_ITEMS} {name}")
    website = str(form.get("website") or "").strip()
    if website and not website.startswith(("http://", "https://")):
        website = "https://" + website
    safe_site = public_url(website) if website else None
    if website and not safe_site:
        result.errors.append("website: not an http(s) address")
    email = str(form.get("contact_email") or "").strip()
    if email:
        try:
            email = check_email(email)
        except ValueError as exc:
            result.errors.append(f"contact e-mail: {exc}")
    sme = str(form.get("sme") or "")
    if sme not in ("", "yes", "no"):
        result.errors.append("SME: yes, no or not said")
    listed = str(form.get("listed") or "") in ("1", "on", "yes")
    description = _text(form.get("description_en"), MAX_DESCRIPTION)
    if listed and not description:
        result.errors.append("a listed company needs an English description")
    confirmed = [k for k in form.getlist("references") if isinstance(k, str) and k in reference_keys]
    result.values = {
        "listed": listed, "description_en": description,
        "description_nl": _text(form.get("description_nl"), MAX_DESCRIPTION),
        "areas": [a for a in areas if a in chosen], "capabilities": capabilities, "certifications": certifications,
        "sme": {"yes": True, "no": False}.get(sme), "website": safe_site,
        "contact_name": _text(form.get("contact_name"), 200), "contact_email": email or None,
        "contact_phone": _text(form.get("contact_phone"), 60), "confirmed_references": confirmed,
    }
    return result


def profile_of(session: Session, company: Company) -> DirectoryProfile:
    """The company's record, created (a draft, its alert areas as a start) when it has none."""
    profile = session.get(DirectoryProfile, company.id)
    if profile is None:
        profile = DirectoryProfile(company_id=company.id, listed=False, areas=list(company.areas or []),
                                   capabilities=[], certifications=[], confirmed_references=[], status="draft")
        session.add(profile)
        session.flush()
    return profile


def save(session: Session, company: Company, values: dict[str, Any], *,
         now: datetime | None = None) -> DirectoryProfile:
    """The company's own edit: it waits for review when the company wants to be listed."""
    profile = profile_of(session, company)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.edited_at = now or datetime.now(UTC)
    if profile.listed:
        profile.status = "pending"
    else:
        profile.status, profile.published, profile.published_at = "draft", None, None
    return profile


def references(session: Session, company: Company) -> list[AwardFact]:
    """Awards that may be the company's (its follow-up wins and awards to a supplier of its name), newest first."""
    return sorted(supplier_awards(session, company.name, company.id, company.key), key=lambda f: (f.day, f.key),
                  reverse=True)


def reference_entry(fact: AwardFact) -> dict[str, Any]:
    """A reference as the directory shows it (and keeps it in the published copy)."""
    return {"key": fact.key, "organisation": fact.organisation, "year": fact.day.year, "title": fact.title or
            fact.category or "", "origin": fact.origin_label, "source": fact.source}


def snapshot(profile: DirectoryProfile, company: Company, facts: list[AwardFact]) -> dict[str, Any]:
    """The copy that becomes public: the live fields and the confirmed references, as they are now."""
    confirmed = set(profile.confirmed_references or [])
    return {
        "name": company.name, "country": company.country, "description_en": profile.description_en,
        "description_nl": profile.description_nl, "areas": list(profile.areas or []),
        "capabilities": list(profile.capabilities or []), "certifications": list(profile.certifications or []),
        "sme": profile.sme, "website": profile.website, "contact_name": profile.contact_name,
        "contact_email": profile.contact_email, "contact_phone": profile.contact_phone,
        "references": [reference_entry(f) for f in facts if f.key in confirmed],
    }


def publish(session: Session, company: Company, *, by: str, now: datetime | None = None) -> DirectoryProfile:
    """An ILO's approval: the record as it is now becomes the public one."""
    profile = session.get(DirectoryProfile, company.id)
    if profile is None or not profile.listed:
        raise ProfileError(f"{company.name} has not asked to be listed in the directory")
    if not profile.description_en:
        raise ProfileError(f"{company.name} has no English description yet")
    profile.published = snapshot(profile, company, references(session, company))
    profile.published_at, profile.published_by = now or datetime.now(UTC), by[:200]
    profile.status, profile.review_note = "published", None
    return profile


def send_back(session: Session, company: Company, *, by: str, note: str) -> DirectoryProfile:
    """An ILO returns the record to the company with a note; a published copy stays until replaced."""
    profile = session.get(DirectoryProfile, company.id)
    if profile is None:
        raise ProfileError(f"{company.name} has no directory profile")
    text = _text(note, MAX_NOTE)
    if not text:
        raise ProfileError("say what the company should change")
    profile.status, profile.review_note = "returned", f"{text} ({by[:200]})"
    return profile


def unpublish(session: Session, company: Company) -> DirectoryProfile:
    """An ILO takes a record out of the public directory (it stays for the company to edit)."""
    profile = profile_of(session, company)
    profile.published, profile.published_at = None, None
    profile.status = "pending" if profile.listed else "draft"
    return profile


@dataclass
class Listed:
    """A company in the directory: its key and the copy shown (published, or live for ILOs)."""

    key: str
    data: dict[str, Any]
    status: str
    published_at: datetime | None


def directory(session: Session, *, area: str = "", words: str = "", include_unpublished: bool = False,
              visible: Any = None) -> list[Listed]:
    """The directory, by name; ``area`` and ``words`` (all must appear) filter it. ILOs
    (``include_unpublished``) see every record, live, unless ``visible(company)`` says otherwise."""
    rows = session.execute(select(DirectoryProfile, Company).join(Company, DirectoryProfile.company_id == Company.id)
                           .order_by(Company.name)).all()
    out: list[Listed] = []
    needles = [w.casefold() for w in words.split()[:10]]
    for profile, company in rows:
        if include_unpublished:
            if visible is not None and not visible(company):
                continue
            data = snapshot(profile, company, [])
            data["references"] = (profile.published or {}).get("references", [])
        elif profile.published:
            data = profile.published
        else:
            continue
        if area and area not in data.get("areas", []):
            continue
        haystack = " ".join(str(v) for v in (data.get("name"), data.get("description_en"), data.get("description_nl"),
                                             *data.get("capabilities", []), *data.get("certifications", []))).casefold()
        if all(n in haystack for n in needles):
            out.append(Listed(company.key, data, profile.status, profile.published_at))
    return out
