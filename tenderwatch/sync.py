"""Mirror the config folder into the database (organisations, sources, areas, companies, ILOs).

Config is the truth for these; the database keeps what config cannot (run health, unsubscribes).
Called at the start of every command that reads or writes notices, so an edit of ``config/``
takes effect on the next run without code.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenderwatch.config import Config
from tenderwatch.db.models import Company, Ilo, Organisation, Source, TechnologyArea

SELF_SERVICE_FIELDS = ("areas", "keywords", "organisations", "frequency", "language")
"""Company fields the company itself edits on the web preferences page."""


def sync_config(session: Session, config: Config, *, companies: bool = True) -> None:
    orgs = {o.code: o for o in session.scalars(select(Organisation))}
    for oc in config.organisations:
        org = orgs.get(oc.code) or Organisation(code=oc.code)
        org.name, org.country, org.timezone = oc.name, oc.country, oc.timezone
        org.member_states = oc.member_states or []
        session.add(org)

    sources = {s.name: s for s in session.scalars(select(Source))}
    for sc in config.sources:
        src = sources.get(sc.name) or Source(name=sc.name, state={})
        src.kind, src.organisation_code, src.enabled = sc.kind, sc.organisation, sc.enabled
        session.add(src)
    for name, src in sources.items():
        if config.source(name) is None:
            src.enabled = False  # removed from config: keep its history, stop using it

    areas = {a.id: a for a in session.scalars(select(TechnologyArea))}
    for ac in config.taxonomy.areas:
        area = areas.get(ac.id) or TechnologyArea(id=ac.id)
        area.label, area.description = ac.label, ac.description
        session.add(area)

    ilos = {i.email.lower(): i for i in session.scalars(select(Ilo))}
    for ic, codes in config.ilos():
        ilo = ilos.get(ic.email.lower()) or Ilo(email=ic.email)
        ilo.name, ilo.country, ilo.language, ilo.organisations = ic.name, ic.country, ic.language, codes
        session.add(ilo)

    if companies:
        existing = {c.key: c for c in session.scalars(select(Company))}
        for cc in config.companies:
            comp = existing.get(cc.key)
            if comp is None:
                comp = Company(key=cc.key)
                session.add(comp)
            data = cc.model_dump()
            if comp.profile_edited_at is not None:  # the company's own choices (preferences page) win
                for name in SELF_SERVICE_FIELDS:
                    data.pop(name, None)
            apply_company(comp, data)
    session.flush()


def apply_company(comp: Company, data: dict) -> None:
    """Copy a validated company profile onto its row (config sync and CSV import share this)."""
    for field in ("name", "recipients", "country", "language", "timezone", "areas", "keywords",
                  "cpv_prefixes", "organisations", "value_min", "value_max", "frequency"):
        if field in data:
            setattr(comp, field, data[field])
    comp.updated_at = datetime.now(UTC)
