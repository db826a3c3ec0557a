"""The model of ``config/companies.yaml``: a company's alert profile (also what a CSV import and the
preferences page fill in).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator

from tenderwatch.config.base import Strict, check_country, check_cpv_prefix, check_email, check_timezone


class CompanyConfig(Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")
    name: str
    recipients: list[str] = Field(min_length=1)
    country: str
    language: Literal["en", "nl"] = "en"
    timezone: str = "Europe/Amsterdam"
    areas: list[str] = []
    keywords: list[str] = []
    cpv_prefixes: list[str] = []
    organisations: list[str] = []
    value_min: Decimal | None = None
    value_max: Decimal | None = None
    frequency: Literal["weekly", "daily"] = "weekly"

    _c = field_validator("country")(classmethod(lambda cls, v: check_country(v)))
    _tz = field_validator("timezone")(classmethod(lambda cls, v: check_timezone(v)))

    @field_validator("recipients")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        return [check_email(e) for e in v]

    @field_validator("cpv_prefixes")
    @classmethod
    def _cpv(cls, v: list[str]) -> list[str]:
        return [check_cpv_prefix(p) for p in v]
