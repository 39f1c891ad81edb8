"""The registration card as a PDF (both languages, no photo) and its QR code as SVG for the portal.

**fpdf2 with HarfBuzz shaping (uharfbuzz)**: the text stays text (selectable, searchable, a few KB),
Arabic is shaped by HarfBuzz — the engine browsers use, so joined letter forms, lam-alef ligatures
and harakat are right — and fpdf2 orders mixed Arabic/Latin runs with the Unicode bidi algorithm.
(arabic-reshaper + python-bidi only substitute presentation forms and miss ligatures and marks;
Pillow with raqm shapes as well but would make the card a picture.) The face is DejaVu Sans,
which has Arabic letters and is installed with the system packages (fonts-dejavu-core).

The QR code (segno, error correction M) holds the verification page's URL with the signed token;
it is drawn as vector squares, sharp at any print size. The token is also in the PDF's metadata
(`/Keywords` "mumaris-card:<token>"), so `mumaris verify card.pdf` reads it without a camera.
"""

from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
KEYWORD = "mumaris-card:"
WIDTH_MM, HEIGHT_MM = 171.2, 108.0  # twice the ID-1 card size, to print and cut or to show on a phone

WORDS = {
    "title": ("بطاقة التسجيل المهني", "Professional registration card"),
    "authority": ("الهيئة السعودية للتخصصات الصحية — منصة ممارس", "Saudi Commission for Health Specialties — Mumaris"),
    "number": ("رقم التسجيل", "Registration number"),
    "profession": ("المهنة", "Profession"),
    "classification": ("التصنيف المهني", "Classification"),
    "validity": ("سارية", "Valid"),
    "from_to": ("من {start} إلى {end}", "from {start} to {end}"),
    "scan": ("امسح الرمز للتحقق من سريانها الآن", "Scan to check it is valid now"),
}


def _ltr(text: str) -> str:
    """A left-to-right run inside an Arabic line (an isolate: dates and numbers keep their order)."""
    return f"\u2066{text}\u2069"


def _from_to(lang: int, entry: dict[str, Any], wrap: Any) -> str:
    return WORDS["from_to"][lang].format(start=wrap(entry["valid_from"]), end=wrap(entry["valid_until"]))


def qr_code(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str, title: str) -> str:
    """Inline SVG for a page (the pages' policy allows no data: images)."""
    svg: str = qr_code(url).svg_inline(border=4, title=title, svgclass="qr", lineclass=None, omitsize=True)
    # 240 px whatever the code's version: it fits a phone's card, and scales by its viewBox
    return svg.replace("<svg ", '<svg width="240" height="240" ', 1)


def _line(pdf: FPDF, text: str, *, size: float, rtl: bool, bold: bool = False, w: float = 0) -> None:
    pdf.set_font("card", "B" if bold else "", size)
    if rtl:
        pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab", language="ara")
    else:
        pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
    pdf.cell(w=w, h=size * 0.5, text=text, align="R" if rtl else "L", new_x="LMARGIN", new_y="NEXT")


def card_pdf(entry: dict[str, Any], token: str, url: str) -> bytes:
    """`entry`: the register's public entry (rules.public_entry) the token was signed from."""
    pdf = FPDF(orientation="landscape", unit="mm", format=(HEIGHT_MM, WIDTH_MM))
    pdf.set_margins(8, 8, 8)
    pdf.set_auto_page_break(False)
    pdf.add_font("card", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("card", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"{WORDS['title'][1]} {entry['registration_number']}")
    pdf.set_author("Mumaris")
    pdf.set_keywords(KEYWORD + token)
    pdf.set_lang("ar")
    pdf.add_page()
    pdf.set_fill_color(0, 106, 78)
    pdf.rect(0, 0, WIDTH_MM, 6, style="F")
    pdf.set_y(9)
    text_w = WIDTH_MM - 16
    _line(pdf, WORDS["title"][0], size=15, rtl=True, bold=True, w=text_w)
    _line(pdf, WORDS["title"][1], size=12, rtl=False, bold=True, w=text_w)
    _line(pdf, WORDS["authority"][0], size=8, rtl=True, w=text_w)
    _line(pdf, WORDS["authority"][1], size=8, rtl=False, w=text_w)
    pdf.ln(3)
    name, profession, classification = entry["name"], entry["profession"], entry["classification"]
    if name.get("ar"):
        _line(pdf, name["ar"], size=16, rtl=True, bold=True, w=text_w)
    if name.get("latin"):
        _line(pdf, name["latin"], size=14, rtl=False, bold=True, w=text_w)
    pdf.ln(2)
    fields_w = WIDTH_MM - 16 - 52
    rows = (
        ("number", _ltr(entry["registration_number"]), entry["registration_number"]),
        ("profession", profession["ar"], profession["en"]),
        ("classification", classification["ar"], classification["en"]),
        ("validity", _from_to(0, entry, _ltr), _from_to(1, entry, str)),
    )
    for key, arabic, english in rows:
        _line(pdf, f"{WORDS[key][0]}: {arabic}", size=10, rtl=True, w=fields_w)
        _line(pdf, f"{WORDS[key][1]}: {english}", size=9, rtl=False, w=fields_w)
    _draw_qr(pdf, qr_code(url), x=WIDTH_MM - 8 - 48, y=HEIGHT_MM - 8 - 54, size=48)
    pdf.set_xy(WIDTH_MM - 8 - 52, HEIGHT_MM - 8 - 5)
    _line(pdf, WORDS["scan"][1], size=6, rtl=False, w=52)
    pdf.set_xy(WIDTH_MM - 8 - 52, HEIGHT_MM - 8 - 2)
    _line(pdf, WORDS["scan"][0], size=6, rtl=True, w=52)
    return bytes(pdf.output())


def _draw_qr(pdf: FPDF, code: segno.QRCode, *, x: float, y: float, size: float) -> None:
    rows = [list(row) for row in code.matrix_iter(border=4)]
    module = size / len(rows)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")
            else:
                c += 1
