"""What one field of a spider kind's options is (``FieldSpec``), the ``RawNotice`` attributes it may
fill, and the syntax checks of its selectors, paths and patterns (CSS, XPath, JMESPath, regular
expressions), run when the config is loaded. Used by every kind's options (``spiders.kinds.options``)
and by extraction (``spiders.kinds.extract``). No Scrapy here (only lxml/parsel for selector syntax).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from lxml import etree
from parsel.csstranslator import HTMLTranslator
from pydantic import BaseModel, ConfigDict, model_validator

RAW_FIELDS = (
    "url",
    "reference",
    "notice_type",
    "title",
    "description",
    "published",
    "deadline",
    "cpv_codes",
    "value",
    "currency",
    "buyer_name",
    "buyer_country",
    "eligibility",
    "language",
    "documents_url",
    "status",
    "is_new",
    "organisation",
)
"""The ``RawNotice`` attributes a field spec may fill."""

URL_FIELDS = ("url", "documents_url")
"""Fields made absolute against the page URL."""

_TRANSLATOR = HTMLTranslator()


def looks_like_xpath(expr: str) -> bool:
    return expr.startswith(("/", "./", "(", "..")) or expr.startswith("string(")


def _compiled(
    expr: str, what: str, compile_: Callable[[str], object], errors: type[Exception] | tuple[type[Exception], ...]
) -> str:
    """``expr`` unchanged when ``compile_`` accepts it; else a ValueError naming ``what`` and the reason."""
    try:
        compile_(expr)
    except errors as exc:
        raise ValueError(f"bad {what} {expr!r}: {exc}") from exc
    return expr


def check_css(expr: str) -> str:
    # cssselect raises several types; every one means "bad syntax"
    return _compiled(expr, "CSS selector", _TRANSLATOR.css_to_xpath, Exception)


def check_xpath(expr: str) -> str:
    return _compiled(expr, "XPath", etree.XPath, etree.XPathSyntaxError)


def check_selector(expr: str) -> str:
    """A CSS selector, or an XPath expression when it starts like one."""
    return check_xpath(expr) if looks_like_xpath(expr) else check_css(expr)


def check_path(expr: str) -> str:
    return _compiled(expr, "JMESPath", jmespath.compile, JMESPathError)


def check_regex(expr: str) -> str:
    return _compiled(expr, "regular expression", re.compile, re.error)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldSpec(Strict):
    """Where one value comes from, and how to clean it. Exactly one of css, xpath, path, column, label."""

    css: str | None = None
    xpath: str | None = None
    path: str | None = None
    """JMESPath (a dotted path is valid JMESPath) into a JSON item or feed entry."""
    column: str | None = None
    """A column header (``html_table`` with ``header_row``, ``document``); case and spaces folded."""
    label: str | None = None
    """A label of a labelled block ("Closing Date" in "Closing Date: 09/06/2020")."""
    regex: str | None = None
    """Keep the first group (or the whole match) of this pattern; no match means the field is absent."""
    join: str = " "
    """How several matched text nodes are joined."""
    many: bool = False
    """Keep every match as a list (for ``cpv_codes``)."""
    html: bool = False
    """The value is HTML markup (a JSON API's ``description`` with ``<p>`` and ``<br>``): keep its text."""
    optional: bool = False
    """Most rows lack it (a cancellation flag): a page where it matches nothing is not reported."""

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        given = [k for k in ("css", "xpath", "path", "column", "label") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of css, xpath, path, column or label")
        if self.css is not None:
            check_css(self.css)
        if self.xpath is not None:
            check_xpath(self.xpath)
        if self.path is not None:
            check_path(self.path)
        if self.regex is not None:
            check_regex(self.regex)
        return self


FieldValue = str | FieldSpec


def fields_check(fields: dict[str, Any], shorthand: str) -> dict[str, FieldSpec]:
    """Turn shorthand strings into FieldSpecs (meaning depends on the kind) and check field names."""
    out: dict[str, FieldSpec] = {}
    for name, given in fields.items():
        if name not in RAW_FIELDS:
            raise ValueError(f"unknown field {name!r} (known: {', '.join(RAW_FIELDS)})")
        if isinstance(given, str):
            if shorthand == "selector":
                spec = FieldSpec(xpath=given) if looks_like_xpath(given) else FieldSpec(css=given)
            else:
                spec = FieldSpec(**{shorthand: given})
        else:
            spec = FieldSpec.model_validate(given)
        out[name] = spec
    return out


def template_fields(template: str) -> list[str]:
    """The names in braces of a URL template (``{id}``, ``{reference}``)."""
    import string

    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def labels_check(labels: dict[str, str]) -> dict[str, str]:
    for label, field in labels.items():
        if field not in RAW_FIELDS:
            raise ValueError(f"label {label!r} maps to unknown field {field!r} (known: {', '.join(RAW_FIELDS)})")
    return labels
