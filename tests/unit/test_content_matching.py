"""Content matching for the reviewer: normalization, name/issuer/date matching on plain text
(clean, OCR-noisy and missing), and the fallbacks of `content_findings`. No Tesseract here: the
real OCR is exercised in tests/integration/test_ocr.py."""

import os
import sys
import threading
import types
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from mumaris.errors import MESSAGES, localized
from schemas.events import Finding
from services.validator.inspection import content
from services.validator.inspection.content import (
    OcrUnavailable,
    content_findings,
    match_content,
    normalize,
    ocr_text,
)

MARCH_14 = date(2025, 3, 14)
NAME = "Sara Ahmed Al-Qahtani"
ISSUER = "King Saud University Medical City"
ARABIC_NAME = "سارة أحمد القحطاني"
ARABIC_ISSUER = "الهيئة السعودية للتخصصات الصحية"

CERTIFICATE = """CERTIFICATE OF COMPLETION
This is to certify that
Dr. Sara Ahmed Al-Qahtani
has attended Basic Life Support (BLS), 8 CPD hours,
King Saud University Medical City, Riyadh
Date: 14 March 2025
"""


def by_rule(findings: list[Finding]) -> dict[str, Finding]:
    return {finding.rule: finding for finding in findings}


def name_finding(text: str, name: str = NAME) -> Finding:
    return by_rule(match_content(text, name=name, issuer=ISSUER, obtained_on=MARCH_14))["content.name"]


def issuer_finding(text: str, issuer: str = ISSUER) -> Finding:
    return by_rule(match_content(text, name=NAME, issuer=issuer, obtained_on=MARCH_14))["content.issuer"]


def date_finding(text: str, obtained_on: date = MARCH_14) -> Finding:
    return by_rule(match_content(text, name=NAME, issuer=ISSUER, obtained_on=obtained_on))["content.date"]


def assert_found(finding: Finding) -> None:
    assert finding.outcome == "pass", finding
    assert finding.code is None and finding.message is None
    assert finding.score is not None and 0 < finding.score <= 1
    assert finding.evidence and len(finding.evidence) <= content.MAX_EVIDENCE_CHARS


def assert_missing(finding: Finding, code: str) -> None:
    assert finding.outcome == "warn", finding
    assert finding.code == code
    assert finding.message == localized(code)


# --- normalize --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # alef forms, alef maksura, teh marbuta, hamza on waw / yeh
        ("أحمد إبراهيم آمنة ٱلقرآن", "احمد ابراهيم امنه القران"),
        ("مصطفى", "مصطفي"),
        ("فاطمة", "فاطمه"),
        ("مسؤول هيئة", "مسوول هييه"),
        # harakat, shadda, superscript alef and tatweel
        ("مُحَمَّد", "محمد"),
        ("عـــلي", "علي"),
        ("هٰذا", "هذا"),
        # Arabic-Indic and Persian digits
        ("٢٠٢٥/٠٣/١٤", "2025 03 14"),
        ("۱۴۰۳", "1403"),
        # Persian letter forms Tesseract's Arabic model emits
        ("کریم", "كريم"),
        # presentation forms and ligatures (NFKC)
        ("ﻻ ﺳﺎﺭﺓ", "لا ساره"),
        ("ﬁle", "file"),
        # bidi marks Tesseract puts around Arabic lines
        ("\u200fسارة\u200e", "ساره"),
        # Latin: case, accents, punctuation, whitespace
        ("Dr. José  O'Brien,\n MD", "dr jose o brien md"),
        ("STRASSE Straße", "strasse strasse"),
        ("  --  ", ""),
        # digits split from letters they touch
        ("2025م", "2025 م"),
        ("14th", "14 th"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_is_idempotent() -> None:
    once = normalize(CERTIFICATE + ARABIC_NAME + " ١٤ مارس ٢٠٢٥م")
    assert normalize(once) == once


# --- the practitioner's name ------------------------------------------------------------------


def test_the_name_as_printed_is_found_with_the_original_text_as_evidence() -> None:
    finding = name_finding(CERTIFICATE)
    assert_found(finding)
    assert finding.score == 1.0
    assert finding.evidence == "Sara Ahmed Al-Qahtani"


@pytest.mark.parametrize(
    "printed",
    [
        "This is to certify that SARA AHMED AL-QAHTANI has attended",  # capitals
        "Name: Al-Qahtani, Sara Ahmed",  # family name first
        "Name: AlQahtani Sara Ahmed",  # particle joined
        "awarded to Sara Ahmed Al Qahtani for",  # particle apart
        "awarded to Dr Sara Ahmed AlQahtani, MD",  # titles around it
        "awarded to Sara Ahrned AI-Qahtanl for",  # OCR slips: m -> rn, l -> I, i -> l
        "awarded to  S ara Ahmed Al-Qahtani",  # a word split by OCR
    ],
)
def test_the_name_is_found_despite_case_order_particles_titles_and_ocr_slips(printed: str) -> None:
    assert_found(name_finding(printed))


def test_a_declared_title_is_not_part_of_the_name() -> None:
    assert_found(name_finding("awarded to Sara Al-Qahtani", name="Dr. Sara Al-Qahtani"))


def test_a_missing_middle_name_still_finds_the_name_with_a_lower_score() -> None:
    finding = name_finding("This is to certify that Sara Al-Qahtani has attended")
    assert_found(finding)
    assert finding.score is not None and finding.score < 1.0
    assert finding.evidence == "Sara Al-Qahtani"


@pytest.mark.parametrize(
    "printed",
    [
        "This is to certify that Nora Khalid Al-Qahtani has attended",  # same family, another person
        "This is to certify that Sara Mohammed Al-Harbi has attended",  # same first name only
        "Signed by Prof. Ahmed Al-Qahtani",  # her father's name, without hers
        "Sara attended. Signed by the dean, Prof. Khalid Al-Qahtani, in Riyadh on behalf of the board",
        "This is to certify that Mona Ali has attended",
        "",
    ],
)
def test_someone_else_or_scattered_parts_are_not_the_name(printed: str) -> None:
    assert_missing(name_finding(printed), "content.name_not_found")


@pytest.mark.parametrize(
    "printed",
    [
        "تشهد الهيئة بأن الدكتورة سارة أحمد القحطاني قد أتمت الدورة",
        "تشهد الهيئة بأن ساره احمد القحطانى قد أتمت الدورة",  # spelling variants (ة/ه, أ/ا, ي/ى)
        "تشهد الهيئة بأن سَارَة أَحْمَد القَحْطَانِي قد أتمت الدورة",  # with harakat
        "تشهد الهيئة بأن سارة القحطاني قد أتمت الدورة",  # no father's name
        "\u200fتشهد الهيئة بأن سارة أحمد القحطانى\u200e",  # as Tesseract prints an Arabic line
    ],
)
def test_an_arabic_name_is_found_in_its_spelling_variants(printed: str) -> None:
    assert_found(name_finding(printed, name=ARABIC_NAME))


def test_arabic_particles_may_be_joined_or_apart() -> None:
    assert_found(name_finding("الاسم: محمد عبدالله الغامدي", name="محمد عبد الله الغامدي"))
    assert_found(name_finding("الاسم: محمد عبد الله الغامدي", name="محمد عبدالله الغامدي"))


def test_a_latin_name_on_an_arabic_document_is_found_by_sound() -> None:
    # Transliteration (services/validator/inspection/names.py): more in tests/unit/test_name_matching.py.
    finding = name_finding("تشهد الهيئة بأن سارة أحمد القحطاني قد أتمت الدورة")
    assert_found(finding)
    assert finding.evidence == "سارة أحمد القحطاني"
    assert finding.detail == "content.name_found" and finding.params == {"script": "latin"}


def test_an_arabic_name_on_a_latin_document_is_found_by_sound() -> None:
    finding = name_finding(CERTIFICATE, name=ARABIC_NAME)
    assert_found(finding)
    assert finding.evidence == "Sara Ahmed Al-Qahtani"
    assert finding.params == {"script": "arabic"}


def test_without_the_family_name_it_is_another_family() -> None:
    # "Ibrahim Yusuf Al-Enezi" is not "Ibrahim Yusuf Al-Masri", even though two parts of three match.
    assert_missing(
        name_finding("This is to certify that Ibrahim Yusuf Al-Masri has attended", name="Ibrahim Yusuf Al-Enezi"),
        "content.name_not_found",
    )


# --- the issuer -------------------------------------------------------------------------------


def test_the_issuer_is_found_with_evidence() -> None:
    finding = issuer_finding(CERTIFICATE)
    assert_found(finding)
    assert finding.evidence == "King Saud University Medical City"


@pytest.mark.parametrize(
    ("printed", "issuer"),
    [
        ("Issued by KING SAUD UNIVERSITY MEDICAL CITY", ISSUER),
        ("Issued by King Saud Universlty Medica1 City", ISSUER),  # OCR slips
        ("King Saud University - Riyadh", ISSUER),  # most of the significant words
        ("Saudi Commission for Health Specialities", "Saudi Commission for Health Specialties"),
        ("The American Heart Association certifies", "American Heart Association (AHA)"),
        ("Ministry of Health, Kingdom of Saudi Arabia", "Ministry of Health"),
        ("تشهد الهيئه السعوديه للتخصصات الصحيه بأن", ARABIC_ISSUER),
        ("صادرة عن الهيئة السعودية للتخصصات الصحية", ARABIC_ISSUER),
    ],
)
def test_the_issuer_is_found_when_most_of_its_significant_words_are(printed: str, issuer: str) -> None:
    assert_found(issuer_finding(printed, issuer))


@pytest.mark.parametrize(
    ("printed", "issuer"),
    [
        (CERTIFICATE, "King Fahad Medical City"),  # only the generic words are shared
        (CERTIFICATE, "Saudi Commission for Health Specialties"),
        ("Issued by Medical City", ISSUER),  # too little of it
        (CERTIFICATE, ARABIC_ISSUER),  # no translation
        ("", ISSUER),
    ],
)
def test_another_institution_is_not_the_issuer(printed: str, issuer: str) -> None:
    assert_missing(issuer_finding(printed, issuer), "content.issuer_not_found")


# --- the declared date ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "printed",
    [
        "Date: 2025-03-14",
        "Date: 2025/3/14",
        "Date: 14/03/2025",
        "Date: 14-03-2025",
        "Date: 14.03.2025",
        "Date: 14/3/2025",
        "Date: 03/14/2025",  # month first, but 14 cannot be a month
        "Date: 14 March 2025",
        "on the 14th of March, 2025",
        "Date: 14 MAR 2025",
        "Date: March 14, 2025",
        "Date: Mar. 14th, 2025",
        "بتاريخ 14 مارس 2025م",
        "بتاريخ ١٤ مارس ٢٠٢٥م",
        "بتاريخ ١٤/٠٣/٢٠٢٥",
        "بتاريخ ۱۴/۰۳/۲۰۲۵",
        "بتاريخ 14 آذار 2025",
        "issued 14 mars 2025",
    ],
)
def test_the_declared_date_is_found_in_its_written_forms(printed: str) -> None:
    finding = date_finding(printed)
    assert_found(finding)
    assert finding.score == 1.0
    assert finding.evidence is not None and finding.evidence in printed


def test_a_two_digit_year_is_a_slightly_weaker_match() -> None:
    finding = date_finding("Date: 14/03/25")
    assert_found(finding)
    assert finding.score is not None and 0.6 < finding.score < 1.0


@pytest.mark.parametrize("printed", ["Completed in March 2025", "Mar 2025", "شهر مارس 2025", "Valid from 03/2025"])
def test_month_and_year_alone_is_a_weaker_match(printed: str) -> None:
    finding = date_finding(printed)
    assert_found(finding)
    assert finding.score is not None and finding.score < 0.9


@pytest.mark.parametrize(
    "printed",
    [
        "Date: 15 March 2025",  # another day of the same month: not even a weak match
        "Date: March 15, 2025",
        "Date: 2025-03-15",
        "Date: 15/03/2025",
        "Date: 14 April 2025",
        "Date: 14/03/2024",
        "Issued in 2025",
        "Reference 114/03/20251",  # digits inside longer numbers
        "",
    ],
)
def test_another_date_is_not_the_declared_one(printed: str) -> None:
    assert_missing(date_finding(printed), "content.date_not_found")


def test_an_ambiguous_numeric_date_is_read_day_first() -> None:
    # 05/03/2025 is 5 March here: it confirms a declared 5 March, never a declared 3 May.
    assert_found(date_finding("Date: 05/03/2025", obtained_on=date(2025, 3, 5)))
    assert_missing(date_finding("Date: 05/03/2025", obtained_on=date(2025, 5, 3)), "content.date_not_found")


# --- match_content ----------------------------------------------------------------------------


def test_match_content_gives_three_findings_in_a_stable_order() -> None:
    findings = match_content(CERTIFICATE, name=NAME, issuer=ISSUER, obtained_on=MARCH_14)
    assert [finding.rule for finding in findings] == ["content.name", "content.issuer", "content.date"]
    assert all(finding.outcome == "pass" for finding in findings)


def test_misses_are_warnings_for_the_reviewer_in_both_languages() -> None:
    findings = match_content("an unrelated page", name=NAME, issuer=ISSUER, obtained_on=MARCH_14)
    assert [(finding.outcome, finding.code) for finding in findings] == [
        ("warn", "content.name_not_found"),
        ("warn", "content.issuer_not_found"),
        ("warn", "content.date_not_found"),
    ]
    for finding in findings:
        ar, en = MESSAGES[finding.code or ""]
        assert "not found" in en and "لم يُعثر" in ar


def test_the_content_codes_are_in_the_catalogue() -> None:
    for code in ("content.name_not_found", "content.issuer_not_found", "content.date_not_found", "content.unreadable"):
        ar, en = MESSAGES[code]
        assert ar.strip() and en.strip()
        assert any("\u0600" <= character <= "\u06ff" for character in ar)


def test_evidence_is_cut_to_120_characters() -> None:
    printed = "Sara " + "x" * 200 + " Al-Qahtani"  # one huge OCR token between the parts
    finding = name_finding(printed)
    assert_found(finding)
    assert finding.evidence is not None
    assert len(finding.evidence) == content.MAX_EVIDENCE_CHARS and finding.evidence.endswith("…")


# --- content_findings: where the text comes from ----------------------------------------------


def blank_page() -> Image.Image:
    return Image.new("L", (1240, 1754), 255)


def findings_for(page: Image.Image | None, text_layer: str | None, **options: object) -> list[Finding]:
    return content_findings(page, text_layer, name=NAME, issuer=ISSUER, obtained_on=MARCH_14, **options)  # type: ignore[arg-type]


def fail_if_ocr_runs(*args: object, **kwargs: object) -> str:
    raise AssertionError("OCR should not run")


def unavailable(reason: str) -> Callable[..., str]:
    def ocr(*args: object, **kwargs: object) -> str:
        raise OcrUnavailable(reason)

    return ocr


def test_a_text_layer_with_everything_is_used_without_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content, "ocr_text", fail_if_ocr_runs)
    findings = findings_for(blank_page(), CERTIFICATE)
    assert [f.outcome for f in findings] == ["pass", "pass", "pass"]


def test_what_the_text_layer_misses_is_looked_for_in_the_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content, "ocr_text", lambda page, **_: CERTIFICATE)
    layer = "Scanned by the registrar's office of King Saud University Medical City"
    findings = by_rule(findings_for(blank_page(), layer))
    assert findings["content.name"].outcome == "pass"
    assert findings["content.date"].outcome == "pass"
    assert findings["content.issuer"].evidence == "King Saud University Medical City"


def test_misses_of_the_text_layer_stand_when_ocr_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content, "ocr_text", unavailable("the Tesseract binding (tesserocr) is not installed"))
    findings = by_rule(findings_for(blank_page(), "Issued by King Saud University Medical City on 14 March 2025"))
    assert findings["content.name"].code == "content.name_not_found"
    assert findings["content.issuer"].outcome == "pass"


def test_an_empty_text_layer_means_ocr_of_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content, "ocr_text", lambda page, **_: CERTIFICATE)
    assert [f.outcome for f in findings_for(blank_page(), "  \n 1 \n")] == ["pass", "pass", "pass"]


@pytest.mark.parametrize(
    ("page", "options", "reason"),
    [
        (None, {}, "no page image to read"),
        (blank_page(), {"ocr_enabled": False}, "OCR is turned off"),
        (blank_page(), {"languages": "eng; rm -rf /"}, "not a Tesseract language list"),
    ],
)
def test_no_text_and_no_ocr_is_one_unreadable_warning(
    monkeypatch: pytest.MonkeyPatch, page: Image.Image | None, options: dict[str, object], reason: str
) -> None:
    monkeypatch.setattr(content, "_reader", fail_if_ocr_runs)
    [finding] = findings_for(page, None, **options)
    assert (finding.rule, finding.outcome, finding.code) == ("content.ocr", "warn", "content.unreadable")
    assert finding.message == localized("content.unreadable")
    assert finding.evidence is not None and reason in finding.evidence


def test_a_missing_tesseract_is_an_unreadable_warning_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content, "ocr_text", unavailable("tesseract language pack missing: ara"))
    [finding] = findings_for(blank_page(), None)
    assert finding.code == "content.unreadable"
    assert finding.evidence == "tesseract language pack missing: ara"


def test_ocr_that_reads_nothing_is_an_unreadable_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content, "ocr_text", lambda page, **_: " \n\x0c")
    [finding] = findings_for(blank_page(), None)
    assert finding.code == "content.unreadable"


def test_an_unexpected_ocr_error_never_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(page: Image.Image, **_: object) -> str:
        raise MemoryError("boom")

    monkeypatch.setattr(content, "ocr_text", explode)
    [finding] = findings_for(blank_page(), None)
    assert finding.code == "content.unreadable"


# --- ocr_text: how Tesseract is called (the tesserocr binding replaced) ---------------------------


class FakeTesseract:
    """Stands in for `tesserocr.PyTessBaseAPI`, remembering how it was made and what it read."""

    made: list[dict[str, object]]
    text = "text"
    finishes = True
    error: Exception | None = None

    def __init__(self, **options: object) -> None:
        self.made.append(options)
        self.pages: list[Image.Image] = []
        self.timeouts: list[int] = []

    def SetImage(self, image: Image.Image) -> None:
        if self.error is not None:
            raise self.error
        self.pages.append(image.copy())

    def Recognize(self, timeout: int = 0) -> bool:
        self.timeouts.append(timeout)
        return self.finishes

    def GetUTF8Text(self) -> str:
        return self.text


@pytest.fixture
def tesseract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> type[FakeTesseract]:
    """The binding replaced, with the English and Arabic language data in `tmp_path`."""
    for language in ("ara", "eng"):
        (tmp_path / f"{language}.traineddata").write_bytes(b"")
    fake = type("Tesseract", (FakeTesseract,), {"made": []})
    module = types.SimpleNamespace(
        PyTessBaseAPI=fake,
        PSM=types.SimpleNamespace(AUTO=3),
        get_languages=lambda path: (path, sorted(f.stem for f in Path(path).glob("*.traineddata"))),
    )
    monkeypatch.setitem(sys.modules, "tesserocr", module)
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    monkeypatch.setattr(content, "_readers", threading.local())
    return fake


def reader(tesseract: type[FakeTesseract]) -> FakeTesseract:
    [made] = [r for r in content._readers.by_languages.values()]
    assert isinstance(made, tesseract)
    return made


def test_tesseract_is_loaded_once_with_its_languages_and_reads_with_a_timeout_on_one_thread(
    tesseract: type[FakeTesseract], tmp_path: Path
) -> None:
    assert ocr_text(blank_page(), languages="ara+eng", timeout_s=7) == "text"
    assert ocr_text(blank_page(), languages="ara+eng", timeout_s=7) == "text"

    [options] = tesseract.made  # the models are loaded once, not per page
    assert options["lang"] == "ara+eng"
    assert options["path"] == f"{tmp_path}/"
    assert options["psm"] == 3
    assert os.environ["OMP_THREAD_LIMIT"] == "1"
    api = reader(tesseract)
    assert api.timeouts == [7000, 7000]
    assert (api.pages[0].mode, api.pages[0].size) == ("L", (1240, 1754))


def test_a_small_page_is_enlarged_and_a_huge_one_shrunk(tesseract: type[FakeTesseract]) -> None:
    ocr_text(Image.new("RGB", (400, 500), "white"))
    ocr_text(Image.new("RGB", (600, 800), "white"))
    ocr_text(Image.new("RGB", (850, 1202), "white"))  # the working scale: read as it is
    ocr_text(Image.new("RGB", (4960, 7016), "white"))  # 600 dpi A4
    ocr_text(Image.new("RGB", (100, 500), "white"))
    sizes = [page.size for page in reader(tesseract).pages]
    assert sizes == [(850, 1062), (850, 1133), (850, 1202), (2545, 3600), (300, 1500)]  # at most three times


def test_transparency_becomes_white_paper(tesseract: type[FakeTesseract]) -> None:
    ocr_text(Image.new("RGBA", (1240, 1754), (0, 0, 0, 0)))
    assert reader(tesseract).pages[0].getextrema() == (255, 255)


def test_a_missing_language_pack_makes_ocr_unavailable(tesseract: type[FakeTesseract], tmp_path: Path) -> None:
    (tmp_path / "ara.traineddata").unlink()
    with pytest.raises(OcrUnavailable, match="language pack missing: ara"):
        ocr_text(blank_page())
    assert tesseract.made == []  # never a silent English-only reading


def test_no_language_data_at_all_makes_ocr_unavailable(
    tesseract: type[FakeTesseract], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path / "nowhere"))
    monkeypatch.setattr(content, "_TESSDATA_DIRECTORIES", ())
    with pytest.raises(OcrUnavailable, match="no Tesseract language data"):
        ocr_text(blank_page())


def test_a_missing_binding_makes_ocr_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tesserocr", None)  # import fails
    monkeypatch.setattr(content, "_readers", threading.local())
    [finding] = findings_for(blank_page(), None)
    assert finding.code == "content.unreadable"
    assert finding.evidence is not None and "tesserocr" in finding.evidence


def test_a_tesseract_failure_makes_ocr_unavailable(tesseract: type[FakeTesseract]) -> None:
    tesseract.error = RuntimeError("Error in pixReadMem")
    with pytest.raises(OcrUnavailable, match="pixReadMem"):
        ocr_text(blank_page())


def test_a_slow_ocr_is_stopped(tesseract: type[FakeTesseract], monkeypatch: pytest.MonkeyPatch) -> None:
    tesseract.finishes = False
    ticks = iter([100.0, 100.6])
    monkeypatch.setattr(content.time, "monotonic", lambda: next(ticks))
    with pytest.raises(OcrUnavailable, match=r"longer than 0\.5 s"):
        ocr_text(blank_page(), timeout_s=0.5)
    assert reader(tesseract).timeouts == [500]
