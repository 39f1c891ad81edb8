"""Certificate scans set in real type, each with what its practitioner declares beside it: a name,
an issuer and a date. For measuring how often OCR finds what the content rules look for
(tests/benchmarks/validator_ocr.py) on pages like the ones practitioners upload.

The pages vary as uploads do: Latin or Arabic, A4 portrait or landscape at 100 to 300 dpi, serif
or sans type, the issuer in the header or at the foot, the date in the formats certificates print
(and Arabic-Indic digits), and a scanner's or phone's faults: a slight skew, a little blur, camera
noise, JPEG compression. Deterministic for a seed; no I/O beyond reading installed fonts.
"""

import io
import random
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, features

Script = Literal["latin", "arabic"]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

LATIN_NAMES = (
    "Sara Ahmed Al-Qahtani",
    "Mohammed Abdullah Al-Harbi",
    "Nora Khalid Al-Otaibi",
    "Fatimah Saleh Al-Dosari",
    "Abdulrahman Ali Al-Ghamdi",
    "Reem Hassan Al-Shehri",
    "Omar Faisal Al-Mutairi",
    "Lama Ibrahim Al-Zahrani",
    "Yousef Nasser Al-Anazi",
    "Huda Majed Al-Shammari",
)
ARABIC_NAMES = (
    "سارة أحمد القحطاني",
    "محمد عبدالله الحربي",
    "نورة خالد العتيبي",
    "فاطمة صالح الدوسري",
    "عبدالرحمن علي الغامدي",
    "ريم حسن الشهري",
    "عمر فيصل المطيري",
    "لمى إبراهيم الزهراني",
    "يوسف ناصر العنزي",
    "هدى ماجد الشمري",
)
LATIN_ISSUERS = (
    "King Saud University Medical City",
    "Saudi Heart Association",
    "King Faisal Specialist Hospital",
    "Saudi Commission for Health Specialties",
    "Prince Sultan Military Medical City",
    "Imam Abdulrahman Bin Faisal University",
    "Saudi Society of Emergency Medicine",
)
ARABIC_ISSUERS = (
    "الهيئة السعودية للتخصصات الصحية",
    "جامعة الملك سعود",
    "مستشفى الملك فيصل التخصصي",
    "الجمعية السعودية لطب القلب",
    "مدينة الملك فهد الطبية",
    "جامعة الإمام عبدالرحمن بن فيصل",
    "الجمعية السعودية لطب الطوارئ",
)
_LATIN_COURSES = (
    "Basic Life Support (BLS) Provider Course",
    "Infection Prevention and Control Programme",
    "Advanced Cardiac Life Support",
    "Continuing Professional Development in Nursing",
    "Patient Safety and Quality Workshop",
)
_ARABIC_COURSES = (
    "دورة دعم الحياة الأساسي",
    "برنامج مكافحة العدوى والوقاية منها",
    "دورة دعم الحياة القلبي المتقدم",
    "التطوير المهني المستمر في التمريض",
    "ورشة سلامة المرضى وجودة الرعاية",
)
_LATIN_BODY = (
    "has successfully completed the requirements of the programme",
    "and is awarded continuing education credit hours",
    "in recognition of active participation and assessment",
    "held in Riyadh under the accreditation of the commission",
)
_ARABIC_BODY = (
    "قد أتم بنجاح متطلبات البرنامج التدريبي",
    "ويمنح ساعات التعليم الطبي المستمر المعتمدة",
    "تقديرا للمشاركة الفعالة واجتياز التقييم",
    "المنعقد في مدينة الرياض باعتماد الهيئة",
)
_LATIN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ARABIC_MONTHS = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)
_ARABIC_INDIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_A4_INCHES = (8.27, 11.69)
_PAPER = (250, 248, 240)
_INK = (25, 25, 40)


@dataclass(frozen=True)
class CertificateScan:
    data: bytes
    """The upload: a JPEG."""
    name: str
    issuer: str
    obtained_on: date
    """What the practitioner declared, as printed on the page."""
    script: Script
    dpi: int
    landscape: bool
    date_text: str
    """The date as printed."""


def certificate_scans(count: int, seed: int = 0) -> list[CertificateScan]:
    """`count` scans, alternately Latin and Arabic (all Latin when Pillow cannot shape Arabic or
    no Arabic font is installed)."""
    arabic_possible = features.check("raqm") and _font_file("arabic", bold=False) is not None
    return [
        certificate_scan(seed + index, "arabic" if arabic_possible and index % 2 else "latin") for index in range(count)
    ]


def certificate_scan(seed: int, script: Script = "latin") -> CertificateScan:
    rng = random.Random(seed)
    dpi = rng.choice((100, 150, 150, 200, 300))
    landscape = rng.random() < 0.4
    names, issuers = (LATIN_NAMES, LATIN_ISSUERS) if script == "latin" else (ARABIC_NAMES, ARABIC_ISSUERS)
    name, issuer = rng.choice(names), rng.choice(issuers)
    obtained_on = date(rng.randint(2012, 2025), rng.randint(1, 12), rng.randint(1, 28))
    date_text = _printed_date(obtained_on, script, rng)
    page = _draw_page(rng, script, dpi, landscape, name, issuer, date_text)
    return CertificateScan(
        data=_as_scan(page, rng, dpi),
        name=name,
        issuer=issuer,
        obtained_on=obtained_on,
        script=script,
        dpi=dpi,
        landscape=landscape,
        date_text=date_text,
    )


def _printed_date(day: date, script: Script, rng: random.Random) -> str:
    if script == "latin":
        month = _LATIN_MONTHS[day.month - 1]
        formats = (
            f"{day.day} {month} {day.year}",
            f"{month} {day.day}, {day.year}",
            f"{day.day:02d}/{day.month:02d}/{day.year}",
            f"{day.isoformat()}",
            f"{day.day}{_ordinal(day.day)} of {month} {day.year}",
        )
        return rng.choice(("Date: ", "Issued on ", "Awarded on ", "")) + rng.choice(formats)
    month = _ARABIC_MONTHS[day.month - 1]
    formats = (
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        f"{day.day} {month} {day.year}",
        f"{day.day} {month} {day.year}م",
        f"{day.day:02d}/{day.month:02d}/{day.year}".translate(_ARABIC_INDIC_DIGITS),
    )
    return rng.choice(("بتاريخ ", "التاريخ: ", "صدرت في ")) + rng.choice(formats)


def _ordinal(day: int) -> str:
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _draw_page(
    rng: random.Random, script: Script, dpi: int, landscape: bool, name: str, issuer: str, date_text: str
) -> Image.Image:
    width_in, height_in = _A4_INCHES[::-1] if landscape else _A4_INCHES
    size = (round(width_in * dpi), round(height_in * dpi))
    page = Image.new("RGB", size, _PAPER)
    draw = ImageDraw.Draw(page)
    border = round(0.4 * dpi)
    draw.rectangle((border, border, size[0] - border, size[1] - border), outline=_INK, width=max(2, dpi // 40))

    def points(pt: float) -> int:
        return max(8, round(pt * dpi / 72))

    if script == "latin":
        title = rng.choice(("CERTIFICATE OF COMPLETION", "CERTIFICATE OF ATTENDANCE", "Certificate of Achievement"))
        lines = [
            (title, rng.uniform(24, 32), True),
            ("This is to certify that", rng.uniform(12, 15), False),
            (rng.choice(("", "Dr. ")) + name, rng.uniform(18, 26), True),
            (rng.choice(_LATIN_COURSES), rng.uniform(13, 16), False),
            *[(body, rng.uniform(10.5, 12.5), False) for body in rng.sample(_LATIN_BODY, rng.randint(1, 3))],
        ]
    else:
        title = rng.choice(("شهادة إتمام", "شهادة حضور", "شهادة تقدير"))
        lines = [
            (title, rng.uniform(24, 32), True),
            ("تشهد الجهة المانحة بأن", rng.uniform(12, 15), False),
            (rng.choice(("", "الدكتورة ", "الدكتور ")) + name, rng.uniform(18, 26), True),
            (rng.choice(_ARABIC_COURSES), rng.uniform(13, 16), False),
            *[(body, rng.uniform(10.5, 12.5), False) for body in rng.sample(_ARABIC_BODY, rng.randint(1, 3))],
        ]
    issuer_line = (issuer, rng.uniform(13, 18), True)
    date_line = (date_text, rng.uniform(10.5, 13), False)
    issuer_on_top = rng.random() < 0.5
    lines = [issuer_line, *lines, date_line] if issuer_on_top else [*lines, issuer_line, date_line]
    serif = rng.random() < 0.5
    spacing = (size[1] - 2 * border) / (len(lines) + 1.5)
    y = border + spacing * 0.6
    for text, pt, bold in lines:
        font = _font(script, points(pt), bold=bold, serif=serif)
        if script == "latin":
            draw.text((size[0] // 2, round(y)), text, font=font, fill=_INK, anchor="ma")
        else:
            draw.text((size[0] // 2, round(y)), text, font=font, fill=_INK, anchor="ma", direction="rtl", language="ar")
        y += spacing
    return page


def _as_scan(page: Image.Image, rng: random.Random, dpi: int) -> bytes:
    """The page as a scanner or a phone hands it over."""
    skew = rng.uniform(-0.8, 0.8)
    page = page.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=_PAPER)
    blur = rng.uniform(0.0, 0.7) * dpi / 150
    if blur > 0.15:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    noise = rng.uniform(0.0, 4.0)
    if noise > 0.5:
        levels = np.asarray(page, dtype=np.float32)
        levels += np.random.default_rng(rng.randrange(2**32)).normal(0, noise, size=(page.height, page.width, 1))
        page = Image.fromarray(levels.clip(0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=rng.randint(70, 92))
    return buffer.getvalue()


@lru_cache(maxsize=64)
def _font(script: Script, size: int, *, bold: bool, serif: bool) -> Font:
    path = _font_file(script, bold=bold, serif=serif)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


@lru_cache(maxsize=16)
def _font_file(script: Script, *, bold: bool, serif: bool = False) -> str | None:
    """A regular (or bold) upright TrueType face fontconfig knows for the script; for Arabic only
    faces that cover it (DejaVu Sans on Debian)."""
    if shutil.which("fc-list") is None:
        return None
    query = ":lang=ar" if script == "arabic" else ":lang=en"
    listed = subprocess.run(["fc-list", query, "file"], capture_output=True, text=True, timeout=30, check=False)
    files = [Path(line.split(":")[0].strip()) for line in listed.stdout.splitlines() if line.strip()]
    faces = [f for f in files if f.suffix == ".ttf" and not any(s in f.name for s in ("Oblique", "Italic", "Mono"))]
    if script == "latin":
        wanted = "Serif" if serif else "Sans"
        faces = [f for f in faces if wanted in f.name and "Condensed" not in f.name and "Light" not in f.name] or faces
    faces = [f for f in faces if ("Bold" in f.name) == bold] or faces
    return str(sorted(faces)[0]) if faces else None
