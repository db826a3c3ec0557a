"""``document``: a list circulated as a PDF, XLSX or CSV file, one notice per table row.

ESO and CERN also circulate their advance lists as downloadable documents. Recipe (YAML only):

1. ``start_urls``: the document itself, or an HTML page with ``links`` (a selector of the
   links to the documents, e.g. ``a[href$='.pdf']``).
2. ``columns``: header text -> field (``{"Title": title, "Planned Date": published}``). The
   header row is the first table row holding every one of these headers (case and spaces
   folded), so cover pages and notes above the table are skipped; a repeated header on a later
   PDF page is skipped too.
3. ``fields`` for more per-row values from a column, e.g.
   ``notice_type: {column: "Reference", regex: "^([A-Z]+)"}``.
4. ``format``: ``auto`` (from the Content-Type, the extension, then the first bytes), ``pdf``,
   ``xlsx`` or ``csv``. PDF tables are read with pdfplumber: ``table_strategy: lines`` for
   tables drawn with rules, ``text`` for aligned text. ``sheet`` picks one XLSX sheet.
5. Rows have no page of their own: each notice's ``documents_url`` is the document. Leave ``url``
   out of the source's ``required_fields`` (``listing_url_as_url`` would give every row the same
   URL, and rows without a reference are then told apart by title only).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from spiders.kinds import extract
from spiders.kinds.common import PageTally, RowSpider, follow, http_url
from spiders.kinds.options import DocumentOptions

MAX_ROWS = 10_000
"""A document yields at most this many rows (a decompressed XLSX can be far larger than its download)."""


class DocumentError(ValueError):
    """The document cannot be read as the configured format."""


def detect_format(body: bytes, content_type: str, url: str) -> str:
    ctype = content_type.lower()
    path = url.lower().split("?")[0]
    if "pdf" in ctype or path.endswith(".pdf") or body.startswith(b"%PDF"):
        return "pdf"
    if "spreadsheetml" in ctype or path.endswith(".xlsx") or body.startswith(b"PK\x03\x04"):
        return "xlsx"
    if "csv" in ctype or path.endswith(".csv") or "text/plain" in ctype:
        return "csv"
    raise DocumentError(f"cannot tell the format of {url} (Content-Type {content_type!r}); set options.format")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return extract.squash(str(value)) or ""


def read_rows(body: bytes, fmt: str, *, sheet: str | None = None, strategy: str = "lines") -> list[list[str]]:
    """Every table row of the document as a list of cell texts."""
    rows: list[list[str]] = []
    if fmt == "pdf":
        import pdfplumber

        settings = {"vertical_strategy": strategy, "horizontal_strategy": strategy}
        try:
            with pdfplumber.open(io.BytesIO(body)) as pdf:
                for page in pdf.pages:
                    for table in page.extract_tables(settings):
                        rows.extend([_cell(c) for c in row] for row in table)
        except Exception as exc:  # pdfminer raises many types for a damaged file
            raise DocumentError(f"not a readable PDF: {type(exc).__name__}: {exc}") from exc
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
        except Exception as exc:  # zipfile, KeyError, InvalidFileException...
            raise DocumentError(f"not a readable XLSX workbook: {type(exc).__name__}: {exc}") from exc
        sheets = [book[sheet]] if sheet and sheet in book.sheetnames else book.worksheets
        if sheet and sheet not in book.sheetnames:
            raise DocumentError(f"no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})")
        for ws in sheets:
            for row in ws.iter_rows(values_only=True):
                rows.append([_cell(c) for c in row])
                if len(rows) > MAX_ROWS:
                    break
        book.close()
    else:
        text = body.decode("utf-8-sig", errors="strict") if _is_utf8(body) else body.decode("cp1252", "replace")
        # the most frequent of , ; TAB: csv.Sniffer is misled by the note lines lists often start with
        sample = text[:4096]
        delimiter = max(",;\t", key=sample.count)
        try:  # newline="": csv does its own line splitting, so a lone CR inside a field is not an error
            rows = [[_cell(c) for c in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
        except csv.Error as exc:
            raise DocumentError(f"not a readable CSV file: {exc}") from exc
    return rows[:MAX_ROWS]


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def table_records(rows: list[list[str]], headers: list[str]) -> tuple[list[dict[str, str]], list[str] | None]:
    """Rows after the header row, as {folded header: cell}; also the header row found (None if none)."""
    wanted = {extract.fold(h) for h in headers}
    header: list[str] | None = None
    out: list[dict[str, str]] = []
    for row in rows:
        folded = [extract.fold(c) for c in row]
        if wanted <= set(folded):
            header = folded  # a header (again, on a later PDF page)
            continue
        if header is None or not any(row):
            continue
        out.append({h: c for h, c in zip(header, row, strict=False) if h})
    return out, header


class DocumentSpider(RowSpider):
    kind = "document"
    options_model = DocumentOptions
    options: DocumentOptions

    def parse(self, response: Any) -> Iterator[Any]:
        if self.options.links:
            links = extract.select(response.selector, self.options.links).getall()
            if not links:
                self.problem_named("selector_empty/links",
                                   f"{response.url}: links selector {self.options.links!r} matched nothing")
            for href in dict.fromkeys(h.strip() for h in links):
                if not http_url(response.urljoin(href)):
                    self.problem_named("link_not_http", f"{response.url}: document link {href[:200]!r} is not http(s)")
                    continue
                yield follow(response, href, callback=self.parse_document, errback=self.listing_failed)
            return
        yield from self.parse_document(response)

    def parse_document(self, response: Any) -> Iterator[Any]:
        opts = self.options
        ctype = response.headers.get("Content-Type", b"").decode("latin-1")
        try:
            fmt = opts.format if opts.format != "auto" else detect_format(response.body, ctype, response.url)
            rows = read_rows(response.body, fmt, sheet=opts.sheet, strategy=opts.table_strategy)
        except DocumentError as exc:
            self.problem_named("unreadable", f"{response.url}: {exc}")
            return
        records, header = table_records(rows, list(opts.columns))
        if header is None:
            self.problem_named("selector_empty/header",
                               f"{response.url}: no row holds all the headers {sorted(opts.columns)}")
            return
        tally = PageTally(list(dict.fromkeys([*opts.columns.values(), *opts.fields])))
        found = 0
        for record in records:
            values: dict[str, Any] = {}
            for col, field in opts.columns.items():
                if record.get(extract.fold(col)):
                    values[field] = record[extract.fold(col)]
            for field, spec in opts.fields.items():
                value = extract.from_mapping(record, spec, columns=record)
                if value is not None:
                    values[field] = value
            if not any(values.values()):
                continue
            values.setdefault("documents_url", response.url)  # the row's only document is the list itself
            values["fields"] = {k: v for k, v in record.items() if v}
            found += 1
            tally.saw(values)
            yield from self.emit(values, None, response.url)
        self.check_page(response.url, tally, rows_found=found, rows_expr="table rows")

