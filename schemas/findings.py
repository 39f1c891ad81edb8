"""What a validation finding measured or found, in Arabic and in English: the one wording every
reader shares (the practitioner's portal, the reviewer's console, the notifier's messages).

A `Finding` (schemas/events.py) says *what is wrong* with its `code` (worded by
`mumaris.errors.MESSAGES`, carried as `message`) and *what was measured or found* with its
`detail`, a key of `DETAILS`, and the `params` the wording is filled with:

    Finding(rule="image.resolution", outcome="fail", code="image.too_small",
            detail="image.resolution_measured", params={"short_side": 480, "minimum": 600})
    describe(finding, "ar") == "الضلع الأقصر للصورة 480 بكسل؛ والمطلوب 600 بكسل على الأقل"

A detail code never changes meaning once published; a new measure is a new code. Findings of
before carry no detail: `describe` answers None and a reader shows their English `evidence`.
Plain Python, no service imports: other systems may use it too.
"""

from collections.abc import Mapping
from typing import Any, Literal

Language = Literal["ar", "en"]

# code: (Arabic, English), with {param} fields (format specs allowed: {brightness:.0f}).
DETAILS: dict[str, tuple[str, str]] = {
    # image clarity (services/validator/inspection/checks.py)
    "image.resolution_measured": (
        "الضلع الأقصر للصورة {short_side} بكسل؛ والمطلوب {minimum} بكسل على الأقل",
        "shorter side {short_side} px; at least {minimum} px needed",
    ),
    "image.drawn_text": (
        "النص في الصفحة الأولى مكتوب رقمياً لا ممسوح ضوئياً؛ فلا تُقاس دقة المسح",
        "text is drawn on page 1: drawn, not scanned, so there is no scan resolution to judge",
    ),
    "image.drawn_page": (
        "لا توجد صورة ممسوحة في الصفحة الأولى؛ فالصفحة مرسومة رقمياً ولا تُقاس دقة المسح",
        "no raster image on page 1: drawn, not scanned, so there is no scan resolution to judge",
    ),
    "image.exposure_measured": (
        "متوسط درجة الرمادي {brightness:.0f} من 255؛ والمقبول من {minimum:.0f} إلى {maximum:.0f}"
        "، أو أكثر سطوعاً مع تباين كافٍ",
        "mean grey level {brightness:.0f} of 255; {minimum:.0f} to {maximum:.0f} accepted"
        ", or brighter with enough contrast",
    ),
    "image.contrast_measured": (
        "تفاوت درجات الرمادي {contrast:.1f} في مواضع الكتابة؛ والمطلوب {minimum:g} على الأقل",
        "grey-level spread {contrast:.1f} where the page has detail; at least {minimum:g} needed",
    ),
    "image.sharpness_measured": (
        "درجة وضوح الكتابة {sharpness:.0f}؛ والمطلوب {minimum:g} على الأقل",
        "sharpness of the writing {sharpness:.0f}; at least {minimum:g} needed",
    ),
    "pdf.text_layer_measured": (
        "{characters} حرفاً من النص في الصفحة الأولى",
        "{characters} characters of text on page 1",
    ),
    "file.checker_died": (
        "توقفت عملية فحص المستند أثناء قراءة هذا الملف",
        "the document checker's process ended while reading this file",
    ),
    # declared details and duplicates (rules.py)
    "metadata.date_declared": ("التاريخ المدخل: {obtained_on}", "date entered: {obtained_on}"),
    "metadata.fields_blank": ("الحقول الفارغة: {fields}", "empty fields: {fields}"),
    "duplicate.of": ("الطلب السابق: {submission_id}", "earlier submission: {submission_id}"),
    # content of the document (content.py)
    "content.name_found": (
        "يطابق اسم الممارس المسجّل {script}",
        "matches the practitioner's registered name {script}",
    ),
    "content.name_missing": (
        "بُحث بالنطق والتهجئة بالحروف العربية واللاتينية عن أسماء الممارس المسجّلة ({names})",
        "looked for by sound and spelling, in Arabic and Latin letters: the registered names ({names})",
    ),
    "content.date_found": ("{precision}", "{precision}"),
    "content.ocr_off": ("التعرف الضوئي على النص متوقف", "OCR is turned off"),
    "content.ocr_stopped": (
        "توقف التعرف الضوئي: انتهت العملية التي كانت تقرأ هذه الصفحة",
        "OCR stopped: the process reading this page ended",
    ),
    "content.ocr_failed": ("تعذر التعرف الضوئي على النص ({reason})", "OCR could not run ({reason})"),
    "content.no_page": ("لا توجد صورة صفحة لقراءتها", "no page image to read"),
    "content.no_text": ("لا يوجد نص مقروء في الصفحة", "no readable text on the page"),
}

# Words some params stand for, in each language.
_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "script": {"arabic": ("بالحروف العربية", "in Arabic letters"), "latin": ("بالحروف اللاتينية", "in Latin letters")},
    "precision": {
        "day": ("اليوم والشهر والسنة كما أدخلها الممارس", "day, month and year as declared"),
        "short_year": ("اليوم والشهر والسنة بخانتين", "day, month and a two-digit year"),
        "month": ("الشهر والسنة فقط", "month and year only"),
    },
    "fields": {
        "institution": ("الجهة المانحة", "issuer"),
        "specialty": ("التخصص", "specialty"),
        "degree": ("الدرجة", "degree"),
    },
}


def _word(key: str, value: Any, index: int) -> Any:
    words = _WORDS.get(key)
    if words is None or not isinstance(value, str):
        return value
    separator = "، " if index == 0 else ", "
    return separator.join(words[part][index] if part in words else part for part in value.split(","))


def describe(finding: Any, language: Language) -> str | None:
    """The finding's detail in `language`, or None when it has none this catalogue knows (a
    finding of before, or one whose params do not fit): the reader then shows its `evidence`.
    `finding` is a `schemas.events.Finding` or its stored form (a mapping)."""
    detail = finding.get("detail") if isinstance(finding, Mapping) else getattr(finding, "detail", None)
    params = (finding.get("params") if isinstance(finding, Mapping) else getattr(finding, "params", None)) or {}
    wording = DETAILS.get(detail) if isinstance(detail, str) else None
    if wording is None:
        return None
    index = 0 if language == "ar" else 1
    try:
        return wording[index].format_map({key: _word(key, value, index) for key, value in params.items()})
    except (KeyError, ValueError, IndexError):
        return None
