"""The printed brochure of the published directory: HTML from a template, PDF through WeasyPrint.

Companies are grouped by technology area in the taxonomy's order: a company's entry stands under the
first of its areas in that order, and its other areas list it with a pointer back to it. An index of
companies and of areas comes first, with page numbers that WeasyPrint fills in (CSS
``target-counter``). Only the reviewed, published copy of each record is printed
(``DirectoryProfile.published``).

WeasyPrint needs Pango (Debian: ``libpango-1.0-0 libpangoft2-1.0-0``); without it ``PdfUnavailable``
says so and the HTML form still works.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import jinja2
from sqlalchemy.orm import Session

from tenderwatch.config import Config
from tenderwatch.directory.profiles import Listed, directory

TEMPLATES = Path(__file__).resolve().parent / "templates"
TITLE = "Dutch companies for Big Science"


class PdfUnavailableError(RuntimeError):
    """WeasyPrint or the system libraries it needs (Pango) are missing."""


def sections(config: Config, companies: Sequence[Listed]) -> list[tuple[object, list[tuple[Listed, bool]]]]:
    """(area, [(company, whether its entry stands here)]) for every area with a company, in taxonomy order."""
    order = {a.id: i for i, a in enumerate(config.taxonomy.areas)}

    def first_area(company: Listed) -> str:
        return min(company.data["areas"], key=lambda a: order.get(a, len(order)))

    out = []
    for area in config.taxonomy.areas:
        members = [(c, first_area(c) == area.id) for c in companies if area.id in c.data.get("areas", [])]
        if members:
            members.sort(key=lambda m: (not m[1], m[0].data["name"].casefold()))
            out.append((area, members))
    return out


def brochure_html(session: Session, config: Config, *, made: date) -> tuple[str, int]:
    """The brochure as one HTML document, and how many companies it holds."""
    companies = [c for c in directory(session) if c.data.get("areas")]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    html = env.get_template("brochure.html").render(
        title=TITLE, subtitle=f"The company directory of the ILO network ({config.settings.home_country})",
        made=made.isoformat(), companies=sorted(companies, key=lambda c: c.data["name"].casefold()),
        sections=sections(config, companies), labels={a.id: a.label for a in config.taxonomy.areas})
    return html, len(companies)


def write_pdf(html: str, path: Path) -> None:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango library itself is missing
        raise PdfUnavailableError(
            f"the PDF brochure needs WeasyPrint and Pango ({exc}); on Debian: apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0, or write the HTML form with --format html") from None
    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(path)
