"""What every config model shares: ``Strict`` (an unknown key is an error naming the field, never a
setting silently ignored), the value checks (time zone, country, e-mail address) and the notice
types Tenderwatch knows.
"""

from __future__ import annotations

import re
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from pydantic import BaseModel, ConfigDict

NoticeType = Literal[
    "forthcoming",
    "prior_information",
    "market_survey",
    "invitation_to_tender",
    "price_enquiry",
    "expression_of_interest",
    "contract_award",
    "corrigendum",
    "other",
]
NOTICE_TYPES: tuple[str, ...] = get_args(NoticeType)
"""The notice types, in the order of ``NoticeType`` (filters and exports list them so)."""

EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


CPV_PREFIX = re.compile(r"\d{2,8}")
"""A CPV code prefix as profiles and the taxonomy write it: 2 to 8 digits (trailing zeros not significant)."""


def check_cpv_prefix(value: str, what: str = "CPV prefix") -> str:
    if not CPV_PREFIX.fullmatch(value):
        raise ValueError(f"{what} {value!r} must be 2 to 8 digits")
    return value


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Amsterdam)") from exc
    return value


def check_country(value: str) -> str:
    code = value.strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"unknown country code {value!r} (use ISO 3166 alpha-2, e.g. NL)")
    return code


def check_email(value: str) -> str:
    if not EMAIL_RE.match(value.strip()):
        raise ValueError(f"not an email address: {value!r}")
    return value.strip()
