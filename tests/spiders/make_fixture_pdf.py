"""Write a small ruled-table PDF (no PDF library needed): how the ESO advance-list fixture was made.

Run ``.venv/bin/python -m tests.spiders.make_fixture_pdf`` to regenerate
``tests/fixtures/www.eso.org/public/industry/advance-information.pdf``. The page is a
reconstruction (see that folder's README): a title, a note, then a table drawn with rules so
pdfplumber's ``lines`` strategy finds its cells, as it would in a word-processor export.
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "www.eso.org" / "public" / "industry" / \
    "advance-information.pdf"

TITLE = "ESO - Advance information on calls for tender above EUR 150,000"
NOTE = "Indicative planning, subject to change. Issued November 2026."
HEADER = ["Title", "Type", "Planned Date", "Estimated Value"]
ROWS = [
    ["Cryogenic vacuum pumps for ELT instruments", "Call for Tender", "15.02.2027", "250 000 EUR"],
    ["Maintenance of the Paranal power plant", "Call for Tender", "01.03.2027", "1 200 000 EUR"],
    ["Adaptive optics deformable mirror actuators", "Preliminary Inquiry", "15.03.2027", "800 000 EUR"],
    ["Data centre network switches, Garching", "Price Inquiry", "01.04.2027", "180 000 EUR"],
]
WIDTHS = [240, 100, 80, 100]


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def content() -> bytes:
    ops = ["BT /F1 12 Tf 40 800 Td (" + _esc(TITLE) + ") Tj ET", "BT /F1 9 Tf 40 782 Td (" + _esc(NOTE) + ") Tj ET",
           "0.5 w"]
    y = 750
    for row in [HEADER, *ROWS]:
        x = 30
        for width, cell in zip(WIDTHS, row, strict=True):
            ops.append(f"{x} {y} {width} 20 re S")
            ops.append(f"BT /F1 8 Tf {x + 3} {y + 7} Td ({_esc(cell)}) Tj ET")
            x += width
        y -= 20
    return "\n".join(ops).encode("latin-1")


def pdf() -> bytes:
    stream = content()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(pdf())
    print(f"wrote {OUT}")
