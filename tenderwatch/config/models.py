"""Typed models of the files in ``config/``: settings, organisations and sources here, the taxonomy
(``taxonomy.py``) and companies (``companies.py``) beside, what they share in ``base.py``; ``Config``
is the whole folder, cross-checked.

Models forbid unknown keys, so a typo is an error that names the field rather than a setting
silently ignored. Spider-kind options are validated by each kind's options model, named in
``spiders.kind_options`` (see ``SourceConfig.options``).
"""

from __future__ import annotations

import os
import re
from datetime import time
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tenderwatch.config.base import (
    NoticeType,
    Strict,
    check_country,
    check_email,
    check_timezone,
)
from tenderwatch.config.companies import CompanyConfig
from tenderwatch.config.taxonomy import TaxonomyConfig

# --------------------------------------------------------------------------- schedules


class Schedule(Strict):
    """When a job runs: a cron expression (5 fields, in the settings' time zone) or an interval."""

    cron: str | None = None
    interval_minutes: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_of(self) -> Schedule:
        if (self.cron is None) == (self.interval_minutes is None):
            raise ValueError("give exactly one of 'cron' or 'interval_minutes'")
        if self.cron is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(self.cron)
            except ValueError as exc:
                raise ValueError(f"bad cron expression {self.cron!r}: {exc}") from exc
        return self


# --------------------------------------------------------------------------- settings.yaml


class SmtpSettings(Strict):
    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str = "TENDERWATCH_SMTP_PASSWORD"
    """Name of the environment variable holding the password: secrets never live in config files."""
    timeout_seconds: float = 30
    connections: int = Field(default=1, ge=1, le=16)
    """Connections a batch is sent over in parallel (raise it where the server allows several from one client)."""

    def password(self) -> str | None:
        return os.environ.get(self.password_env)


class MailSettings(Strict):
    backend: Literal["outbox", "smtp"] = "outbox"
    from_address: str = "Tenderwatch <tenderwatch@example.org>"
    admin_address: str = "admin@example.org"
    outbox: str = "var/outbox"
    smtp: SmtpSettings = SmtpSettings()
    max_attempts: int = Field(default=5, ge=1)
    retry_backoff_seconds: int = Field(default=300, ge=1)
    send_empty_digests: bool = False
    batch_size: int = Field(default=200, ge=1, le=5000)
    """Mails per ledger transaction and per SMTP connection."""
    retention_days: int = Field(default=30, ge=0)
    """Days a sent (or given-up) mail's body stays in the ledger, and its file in the outbox; then pruned."""
    ledger_days: int = Field(default=400, ge=30)
    """Days a ledger row (who got which period's mail) is kept; older periods cannot be sent again."""

    @field_validator("admin_address")
    @classmethod
    def _email(cls, v: str) -> str:
        return check_email(v)


class CrawlSettings(Strict):
    default_schedule: Schedule = Schedule(cron="0 6 * * *")
    politeness_floor_seconds: float = Field(default=2.0, ge=0)
    """Minimum delay between two requests to one domain, and the shortest allowed crawl interval is 60x it."""
    min_interval_minutes: int = Field(default=60, ge=1)
    download_maxsize_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    download_timeout_seconds: int = Field(default=60, ge=1)
    crawl_time_limit_seconds: int = Field(default=1800, ge=10)
    max_concurrent_crawls: int = Field(default=4, ge=1, le=32)
    """Crawl child processes at once (``run --once`` and the scheduler): each is a Python process of its own."""
    contact: str = "ilo-net@example.org"
    """Contact address put in the User-Agent so site owners can reach us."""


class HealthSettings(Strict):
    empty_runs_threshold: int = Field(default=3, ge=1)
    failed_runs_threshold: int = Field(default=1, ge=1)
    missing_fields_share: float = Field(default=0.5, gt=0, le=1)
    check_schedule: Schedule = Schedule(cron="30 8 * * *")


class DigestSettings(Strict):
    schedule: Schedule = Schedule(cron="0 7 * * mon")
    daily_schedule: Schedule = Schedule(cron="0 7 * * *")
    closing_soon_days: int = Field(default=14, ge=1)
    calendar: Literal["attachment", "link"] = "attachment"
    """A digest's deadlines: an .ics ``attachment`` of its calls, or a ``link`` to the company's calendar on the
    site (always current; a digest without the file has about 600 lines, not 1,600: ``alerts.digest_render``)."""


class FollowUpSettings(Strict):
    """The ILO's follow-up (``tenderwatch.followup``)."""

    reminder_schedule: Schedule = Schedule(cron="0 7 * * *")
    """The morning ILO notification: it carries the day's reminders (interested, no bid, closing within a week)."""


class MatchingSettings(Strict):
    """When two sources' notices without a shared reference are taken for one call (``pipeline.lifecycle``)."""

    title_similarity: float = Field(default=90, ge=50, le=100)
    """rapidfuzz token-set ratio (0-100) the normalised titles must reach."""
    date_window_days: int = Field(default=14, ge=0)
    """Publication dates at most this far apart (or the same deadline day)."""


class OpenDataSettings(Strict):
    ocid_prefix: str = Field(default="ocds-unregistered", pattern=r"^ocds-[a-z0-9-]{1,60}$")
    """The OCDS ``ocid`` prefix of every release (``ocds-`` + the publisher's code). The default
    ``ocds-unregistered`` is a placeholder that says so: a site that publishes OCDS registers a prefix
    with the Open Contracting Partnership and sets it here."""


class Settings(Strict):
    timezone: str = "Europe/Amsterdam"
    site_base_url: str = "https://tenderwatch.example.org"
    secret_key_env: str = "TENDERWATCH_SECRET_KEY"
    token_max_age_days: int = Field(default=60, ge=1)
    mail: MailSettings = MailSettings()
    crawl: CrawlSettings = CrawlSettings()
    health: HealthSettings = HealthSettings()
    digest: DigestSettings = DigestSettings()
    follow_up: FollowUpSettings = FollowUpSettings()
    matching: MatchingSettings = MatchingSettings()
    open_data: OpenDataSettings = OpenDataSettings()
    scheduler_misfire_grace_seconds: int = Field(default=6 * 3600, ge=1)
    ilo_scope: Literal["organisations", "network"] = "organisations"
    """Which companies an ILO sees (``tenderwatch.web.scope``): a user bound to an ILO address, those of the
    organisations it covers (an unbound account: all); or, with ``network``, every user every company."""
    trusted_hosts: list[str] = []
    """Host names the site answers to besides the host of ``site_base_url`` and loopback (``*.example.org``
    allowed); a request naming another host gets 400."""
    home_country: str = "NL"
    """The country the ILO network works for: the georeturn page's default country."""

    _tz = field_validator("timezone")(classmethod(lambda cls, v: check_timezone(v)))
    _home = field_validator("home_country")(classmethod(lambda cls, v: check_country(v)))

    @field_validator("site_base_url")
    @classmethod
    def _https(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError("site_base_url must be an http(s) URL")
        return v.rstrip("/")

    def secret_key(self) -> str | None:
        return os.environ.get(self.secret_key_env)


# --------------------------------------------------------------------------- organisations.yaml


class IloConfig(Strict):
    name: str
    email: str
    country: str = "NL"
    language: Literal["en", "nl"] = "en"

    _e = field_validator("email")(classmethod(lambda cls, v: check_email(v)))
    _c = field_validator("country")(classmethod(lambda cls, v: check_country(v)))


class BalanceClass(Strict):
    """A coefficient below ``below`` is classed ``label`` (the lowest matching class wins)."""

    below: Decimal = Field(gt=0)
    label: str = Field(min_length=1, max_length=60)


class ContractBalance(Strict):
    """How one kind of contract is balanced: ``all`` contracts together, or ``supplies`` and ``services``
    apart (CERN classes supply and service contracts with different thresholds)."""

    kind: Literal["all", "supplies", "services"] = "all"
    classes: list[BalanceClass] = Field(min_length=1)
    otherwise: str = Field(default="well balanced", min_length=1, max_length=60)
    """The class of a coefficient at or above every ``below``."""

    @field_validator("classes")
    @classmethod
    def _ascending(cls, v: list[BalanceClass]) -> list[BalanceClass]:
        limits = [c.below for c in v]
        if limits != sorted(set(limits)):
            raise ValueError(f"classes must rise strictly by 'below' (got {', '.join(str(x) for x in limits)})")
        return v


class ReturnRule(Strict):
    """The organisation's own georeturn rule: a return coefficient (a country's share of the value of
    the contracts awarded, divided by its share of the contributions) over a rolling period, classed
    by thresholds. The source names where the organisation publishes the rule."""

    name: str = Field(min_length=1, max_length=120)
    source: str = Field(min_length=1, max_length=300)
    url: str | None = None
    period_months: int = Field(default=12, ge=1, le=60)
    contracts: list[ContractBalance] = Field(min_length=1)

    @field_validator("contracts")
    @classmethod
    def _kinds(cls, v: list[ContractBalance]) -> list[ContractBalance]:
        kinds = [c.kind for c in v]
        if len(set(kinds)) != len(kinds) or ("all" in kinds and len(kinds) > 1):
            raise ValueError("give either one 'all' entry or at most one 'supplies' and one 'services' entry")
        return v


class ContributionYear(Strict):
    """Each member state's share (per cent) of the organisation's budget in one year, and where the
    figures come from. ``illustrative: true`` marks figures that are not the organisation's own: the
    web page then says so next to every number computed from them."""

    year: int = Field(ge=1950, le=2100)
    source: str = Field(min_length=1, max_length=300)
    url: str | None = None
    illustrative: bool = False
    shares: dict[str, Decimal] = Field(min_length=1)

    @field_validator("shares")
    @classmethod
    def _shares(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for code, share in v.items():
            country = check_country(code)
            if not Decimal(0) <= share <= Decimal(100):
                raise ValueError(f"share of {country} is {share}: a percentage from 0 to 100")
            out[country] = share
        total = sum(out.values(), Decimal(0))
        if total > Decimal("100.5"):
            raise ValueError(f"shares add up to {total}%, more than 100%")
        return out


class OrganisationConfig(Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
    name: str
    country: str | None = None
    """Host country (ISO alpha-2) of the organisation's headquarters or site."""
    timezone: str = "UTC"
    member_states: list[str] | None = None
    """Countries whose firms may bid by default; None means open to all."""
    official_names: list[str] = []
    """Buyer names as they appear on TED and elsewhere (for matching by name, not acronym)."""
    ilos: list[IloConfig] = []
    website: str | None = None
    reference_patterns: list[str] = []
    """Regular expressions on the folded reference (upper case, dashes and spaces as '-'); the
    first that matches gives the call key in its ``call`` group, so the stages of one call
    (CERN ``MS-4721/TE`` then ``IT-4721/TE``) share it. See ``pipeline.lifecycle``."""
    deadline_time: time | None = None
    """The hour (``"12:00"``) the organisation's own rules set for a deadline its notices give as a date
    only. Unset (the default), such a deadline stays a date: shown without a time, an all-day event in
    calendars, open until the end of that day in ``timezone``. Set only where the organisation's
    published rules say so."""
    contributions: list[ContributionYear] = []
    """Contribution shares per member state and year, for the return coefficient (``tenderwatch.georeturn``)."""
    return_rule: ReturnRule | None = None

    _tz = field_validator("timezone")(classmethod(lambda cls, v: check_timezone(v)))

    @field_validator("reference_patterns")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        for pattern in v:
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
            if "call" not in compiled.groupindex:
                raise ValueError(f"reference pattern {pattern!r} needs a named group (?P<call>...)")
        return v

    @field_validator("contributions")
    @classmethod
    def _years(cls, v: list[ContributionYear]) -> list[ContributionYear]:
        years = [c.year for c in v]
        if len(set(years)) != len(years):
            raise ValueError(f"a year is given twice: {sorted(y for y in set(years) if years.count(y) > 1)}")
        return sorted(v, key=lambda c: c.year)

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        return None if v is None else check_country(v)

    @field_validator("member_states")
    @classmethod
    def _members(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [check_country(c) for c in v]


# --------------------------------------------------------------------------- sources.yaml


class SourceConfig(Strict):
    """One source: a spider kind plus its options. Kind-specific options are checked by the kind's model."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")
    kind: str
    organisation: str | None = None
    """Organisation code; None for an aggregator whose rows name their organisation."""
    enabled: bool = True
    start_urls: list[str] = []
    allowed_domains: list[str] = []
    schedule: Schedule | None = None
    crawl_time_limit_seconds: int | None = Field(default=None, ge=10)
    """This source's hard limit for one crawl; default: ``settings.crawl.crawl_time_limit_seconds``
    (a TED backfill needs more than a page of ten calls, and a source known to hang can be cut short)."""
    language: str | None = None
    timezone: str | None = None
    """Time zone of dates the pages give without one; default: the organisation's."""
    notice_types: dict[str, NoticeType] = {}
    """The organisation's own vocabulary -> Tenderwatch notice type (e.g. 'MS': market_survey)."""
    default_notice_type: NoticeType = "other"
    required_fields: list[str] = ["title", "reference", "url"]
    options: dict[str, Any] = {}
    description: str | None = None
    format: Literal["verified", "reconstructed"] = "reconstructed"
    """How well the channel's format is known: ``verified`` (seen in real pages or API data; the
    evidence is named in its fixture README) or ``reconstructed`` (written against a guessed page:
    check it live with ``tenderwatch sources check``)."""

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        return None if v is None else check_timezone(v)

    @field_validator("start_urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for url in v:
            if not re.match(r"^https?://[^\s/]+", url):
                raise ValueError(f"bad URL {url!r}: must be http(s)://host/...")
        return v


class Config(BaseModel):
    """Everything in the config folder, cross-checked (sources name known organisations, etc.)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    directory: str
    settings: Settings
    organisations: list[OrganisationConfig]
    sources: list[SourceConfig]
    taxonomy: TaxonomyConfig
    companies: list[CompanyConfig]

    def organisation(self, code: str) -> OrganisationConfig | None:
        for org in self.organisations:
            if org.code == code:
                return org
        return None

    def source(self, name: str) -> SourceConfig | None:
        for src in self.sources:
            if src.name == name:
                return src
        return None

    def ilos(self) -> list[tuple[IloConfig, list[str]]]:
        """Each ILO once, with the organisation codes they cover."""
        seen: dict[str, tuple[IloConfig, list[str]]] = {}
        for org in self.organisations:
            for ilo in org.ilos:
                entry = seen.setdefault(ilo.email.lower(), (ilo, []))
                entry[1].append(org.code)
        return list(seen.values())
