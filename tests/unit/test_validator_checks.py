"""The validator's document rules: valid scans pass, every hostile file is refused with its code, and
every unclear scan is refused with every reason that applies."""

import dataclasses
import inspect
import io
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image, ImageFile
from PIL.JpegImagePlugin import JpegImageFile

from mumaris.errors import MESSAGES, localized
from mumaris.files import sniff_type
from mumaris.settings import Settings
from schemas.events import Finding
from services.validator.inspection import checks
from services.validator.inspection.checks import (
    WORKING_SHORT_SIDE,
    CheckLimits,
    DocumentReport,
    inspect_document,
    measure_page,
    passed,
)
from tests import documents

LIMITS = CheckLimits(max_bytes=5_000_000)
GATES = ["file.size", "file.type", "file.parse"]
IMAGE_RULES = ["image.resolution", "image.exposure", "image.contrast", "image.sharpness"]
SCAN_RULES = [*GATES, *IMAGE_RULES]
TEXT_PDF_RULES = [*SCAN_RULES, "pdf.text_layer"]

Outcomes = list[tuple[str, str | None]]


def inspect_with(data: bytes, **limits: object) -> DocumentReport:
    return inspect_document(data, dataclasses.replace(LIMITS, **limits))


def rules(report: DocumentReport) -> list[str]:
    return [finding.rule for finding in report.findings]


def outcomes(report: DocumentReport) -> Outcomes:
    """(rule, refusal code or None) for every rule that ran, in order."""
    return [(finding.rule, finding.code) for finding in report.findings]


def all_pass(rule_names: list[str]) -> Outcomes:
    return [(rule, None) for rule in rule_names]


def expect(rule_names: list[str], **refusals: str) -> Outcomes:
    """`rule_names` all passing except the given ones (rule name with "_" for ".")."""
    failing = {rule.replace("_", ".", 1): code for rule, code in refusals.items()}
    return [(rule, failing.get(rule)) for rule in rule_names]


def gate_refusal(report: DocumentReport) -> str | None:
    """The code of the gate that stopped the checks, None when every gate passed."""
    gates = [finding for finding in report.findings if finding.rule in GATES]
    failures = [finding for finding in gates if finding.outcome == "fail"]
    assert len(failures) <= 1, "the gates stop at the first failure"
    if failures:
        assert report.findings[-1] is failures[0], "nothing runs after a failing gate"
        return failures[0].code
    return None


def assert_accepted(report: DocumentReport, rule_names: list[str]) -> None:
    assert outcomes(report) == all_pass(rule_names)
    assert passed(report.findings)
    assert report.page is not None


@pytest.fixture(scope="module")
def small_jpeg() -> bytes:
    return documents.jpeg_bytes(120, 90)


@pytest.fixture(scope="module")
def small_pdf() -> bytes:
    return documents.pdf_bytes()


@pytest.fixture(scope="module")
def large_jpeg() -> bytes:
    # Large enough for a 1/2 DCT scale (shorter side >= 2 x the working side).
    return documents.jpeg_bytes(1800, 2400)


# --- sniff_type -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\xff\xd8\xff\xdb", "jpeg"),
        (b"", None),
        (b"%PDF", None),
        (b"\xff\xd8", None),
        (b" %PDF-1.7", None),
        (b"\xef\xbb\xbf%PDF-1.7", None),
        (b"\n\xff\xd8\xff\xe0", None),
        (b"\x89PNG\r\n\x1a\n", None),
        (b"PK\x03\x04", None),
        (b"<!DOCTYPE html>", None),
        (b"%pdf-1.7", None),
    ],
)
def test_sniff_type_reads_the_signature_at_offset_zero_only(head: bytes, expected: str | None) -> None:
    assert sniff_type(head) == expected


def test_sniff_type_rejects_a_pdf_hidden_behind_a_zip() -> None:
    polyglot = documents.pdf_zip_polyglot_bytes()
    assert b"%PDF-" in polyglot[:1024]  # what lenient PDF readers would accept
    assert sniff_type(polyglot) is None


def test_sniff_type_needs_only_the_first_bytes(small_jpeg: bytes, small_pdf: bytes) -> None:
    assert sniff_type(small_jpeg[:8]) == "jpeg"
    assert sniff_type(small_pdf[:8]) == "pdf"


# --- limits -----------------------------------------------------------------------------------


def test_check_limits_defaults_are_the_settings_defaults() -> None:
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    settings = Settings.model_construct(**defaults)  # the declared defaults, not the environment

    assert CheckLimits.from_settings(settings) == CheckLimits(max_bytes=defaults["max_upload_bytes"])


def test_check_limits_read_every_threshold_from_the_settings() -> None:
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    settings = Settings.model_construct(
        **{
            **defaults,
            "max_upload_bytes": 1,
            "max_pdf_pages": 2,
            "max_image_pixels": 3,
            "min_short_side_px": 4,
            "min_brightness": 5.0,
            "max_brightness": 6.0,
            "min_contrast": 7.0,
            "min_sharpness": 8.0,
        }
    )
    assert dataclasses.astuple(CheckLimits.from_settings(settings)) == (1, 2, 3, 4, 5.0, 6.0, 7.0, 8.0)


# --- valid documents --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "rule_names"),
    [
        pytest.param(lambda: documents.jpeg_bytes(), SCAN_RULES, id="jpeg-800x600"),
        pytest.param(lambda: documents.jpeg_bytes(900, 700, seed=1), SCAN_RULES, id="jpeg-900x700"),
        pytest.param(lambda: documents.jpeg_bytes(seed=5), SCAN_RULES, id="jpeg-seed-5"),
        pytest.param(lambda: documents.jpeg_bytes(600, 800, mode="L"), SCAN_RULES, id="jpeg-greyscale"),
        pytest.param(lambda: documents.jpeg_bytes(mode="CMYK"), SCAN_RULES, id="jpeg-cmyk"),
        pytest.param(lambda: documents.jpeg_bytes(progressive=True), SCAN_RULES, id="jpeg-progressive"),
        pytest.param(lambda: documents.blurred_jpeg_bytes(1), SCAN_RULES, id="jpeg-a-little-out-of-focus"),
        pytest.param(documents.text_certificate_jpeg_bytes, SCAN_RULES, id="jpeg-sparse-text"),
        pytest.param(
            lambda: documents.text_certificate_jpeg_bytes(150, lines=3, paper=255), SCAN_RULES, id="jpeg-white-paper"
        ),
        pytest.param(documents.rotated_exif_jpeg_bytes, SCAN_RULES, id="jpeg-exif-rotated"),
        pytest.param(documents.scanned_pdf_bytes, SCAN_RULES, id="pdf-scan"),
        pytest.param(documents.ocr_scanned_pdf_bytes, TEXT_PDF_RULES, id="pdf-scan-with-invisible-ocr-text"),
        pytest.param(documents.title_only_pdf_bytes, SCAN_RULES, id="pdf-drawn-title-only"),
        pytest.param(documents.drawn_pdf_bytes, SCAN_RULES, id="pdf-vector-drawing-only"),
        pytest.param(documents.text_over_background_pdf_bytes, TEXT_PDF_RULES, id="pdf-text-over-low-res-background"),
        pytest.param(documents.text_pdf_bytes, TEXT_PDF_RULES, id="pdf-text-1-page"),
        pytest.param(lambda: documents.pdf_bytes(20), TEXT_PDF_RULES, id="pdf-text-20-pages"),
        pytest.param(documents.pdf_with_navigation_bytes, TEXT_PDF_RULES, id="pdf-open-destination-and-uri-link"),
        pytest.param(documents.form_pdf_bytes, TEXT_PDF_RULES, id="pdf-filled-form-with-checkbox-states"),
        pytest.param(documents.tagged_pdf_bytes, TEXT_PDF_RULES, id="pdf-tagged-as-office-suites-write"),
    ],
)
def test_valid_documents_pass_every_rule(make: Callable[[], bytes], rule_names: list[str]) -> None:
    assert_accepted(inspect_document(make(), LIMITS), rule_names)


def test_a_large_scan_passes_every_rule(large_jpeg: bytes) -> None:
    assert_accepted(inspect_document(large_jpeg, LIMITS), SCAN_RULES)


def test_gate_findings_carry_no_code_message_or_score(small_jpeg: bytes) -> None:
    for finding in inspect_document(small_jpeg, LIMITS).findings[:3]:
        assert (finding.code, finding.message, finding.score) == (None, None, None)


def test_clarity_findings_carry_the_measurement_and_what_was_found() -> None:
    report = inspect_document(documents.jpeg_bytes(), LIMITS)
    measures = measure_page(report.page)
    scores = {finding.rule: finding.score for finding in report.findings[3:]}

    assert scores == {
        "image.resolution": 600.0,
        "image.exposure": pytest.approx(measures.brightness, abs=0.01),
        "image.contrast": pytest.approx(measures.contrast, abs=0.01),
        "image.sharpness": pytest.approx(measures.sharpness, abs=0.01),
    }
    assert all(finding.evidence for finding in report.findings[3:])


# --- unclear scans: every reason is reported --------------------------------------------------


# What a blank white page is told.
BLANK = {
    "image_exposure": "image.too_bright",
    "image_contrast": "image.low_contrast",
    "image_sharpness": "image.blurry",
}

CLARITY_CASES: dict[str, tuple[Callable[[], bytes], Outcomes]] = {
    "out-of-focus": (lambda: documents.blurred_jpeg_bytes(4), expect(SCAN_RULES, image_sharpness="image.blurry")),
    "out-of-focus-800x600": (
        lambda: documents.blurred_jpeg_bytes(4, 800, 600),
        expect(SCAN_RULES, image_sharpness="image.blurry"),
    ),
    "dark": (
        documents.dark_jpeg_bytes,
        expect(SCAN_RULES, image_exposure="image.too_dark", image_contrast="image.low_contrast"),
    ),
    "washed-out": (
        documents.bright_jpeg_bytes,
        expect(SCAN_RULES, image_exposure="image.too_bright", image_contrast="image.low_contrast"),
    ),
    "faded": (documents.low_contrast_jpeg_bytes, expect(SCAN_RULES, image_contrast="image.low_contrast")),
    "tiny": (documents.tiny_jpeg_bytes, expect(SCAN_RULES, image_resolution="image.too_small")),
    "tiny-and-out-of-focus": (
        lambda: documents.blurred_jpeg_bytes(4, 300, 200),
        expect(SCAN_RULES, image_resolution="image.too_small", image_sharpness="image.blurry"),
    ),
    "pdf-out-of-focus-scan": (
        documents.blurred_scanned_pdf_bytes,
        expect(SCAN_RULES, image_sharpness="image.blurry"),
    ),
    "pdf-low-resolution-scan": (
        lambda: documents.scanned_pdf_bytes(500, 707, dpi=60),
        expect(SCAN_RULES, image_resolution="image.too_small"),
    ),
    "pdf-low-resolution-scan-with-ocr-text": (
        lambda: documents.ocr_scanned_pdf_bytes(500, 707, dpi=60),
        expect(TEXT_PDF_RULES, image_resolution="image.too_small"),
    ),
    "pdf-out-of-focus-scan-with-ocr-text": (
        lambda: documents.ocr_scanned_pdf_bytes(blur=4),
        expect(TEXT_PDF_RULES, image_sharpness="image.blurry"),
    ),
    "pdf-blank-page": (documents.blank_pdf_bytes, expect(SCAN_RULES, **BLANK)),
    **{
        f"pdf-invisible-text-{kind.replace('_', '-')}": (
            lambda kind=kind: documents.invisible_text_pdf_bytes(kind),
            # Text placed off the page is not text on the page at all.
            expect(SCAN_RULES if kind == "off_the_page" else TEXT_PDF_RULES, **BLANK),
        )
        for kind in documents.INVISIBLE_TEXT
    },
    "pdf-50-pages": (lambda: documents.many_pages_pdf_bytes(50), expect(GATES, file_parse="file.pdf_page_count")),
    "pdf-no-page": (documents.empty_pdf_bytes, expect(GATES, file_parse="file.pdf_page_count")),
}


@pytest.mark.parametrize(("make", "expected"), list(CLARITY_CASES.values()), ids=list(CLARITY_CASES))
def test_each_fixture_gets_exactly_its_outcomes(make: Callable[[], bytes], expected: Outcomes) -> None:
    report = inspect_document(make(), LIMITS)

    assert outcomes(report) == expected
    assert not passed(report.findings)
    for finding in report.findings:
        if finding.outcome == "fail":
            assert finding.message == localized(finding.code)


def test_a_blurry_scan_is_told_the_scan_is_not_clear_with_its_score() -> None:
    report = inspect_document(documents.blurred_jpeg_bytes(4), LIMITS)
    sharpness = report.findings[-1]

    assert sharpness.rule == "image.sharpness" and sharpness.code == "image.blurry"
    assert "the scan is not clear" in sharpness.message.en.lower()
    assert "غير واضح" in sharpness.message.ar
    assert sharpness.score == pytest.approx(measure_page(report.page).sharpness, abs=0.01)
    assert sharpness.score < LIMITS.min_sharpness


@pytest.mark.parametrize(("width", "height"), [(800, 600), (1240, 1754), (2480, 3508)])
def test_a_little_blur_passes_and_heavy_blur_fails_at_every_scan_size(width: int, height: int) -> None:
    # At 300 dpi a 4 px blur is a 1.4 px blur at working scale: readable (see the calibration).
    heavy = 4 if width < 2000 else 8
    slightly = inspect_document(documents.blurred_jpeg_bytes(1, width, height), LIMITS)
    badly = inspect_document(documents.blurred_jpeg_bytes(heavy, width, height), LIMITS)

    assert outcomes(slightly) == all_pass(SCAN_RULES)
    assert outcomes(badly) == expect(SCAN_RULES, image_sharpness="image.blurry")


def test_the_sharpness_of_a_sparse_page_is_measured_where_the_text_is() -> None:
    # The same crisp type as one paragraph on a nearly empty page or as a full page scores about
    # the same: blank paper does not make a page "blurry" or "flat".
    sparse = measure_page(inspect_document(documents.text_certificate_jpeg_bytes(lines=6), LIMITS).page)
    full = measure_page(inspect_document(documents.text_certificate_jpeg_bytes(lines=40), LIMITS).page)
    two_lines = measure_page(inspect_document(documents.text_certificate_jpeg_bytes(lines=2), LIMITS).page)

    assert sparse.sharpness == pytest.approx(full.sharpness, rel=0.25)
    assert sparse.contrast == pytest.approx(full.contrast, rel=0.25)
    assert two_lines.sharpness > 10 * LIMITS.min_sharpness


def test_washed_out_needs_low_contrast_too() -> None:
    # Clean white paper with a few crisp lines is very bright on average and perfectly readable.
    report = inspect_document(documents.text_certificate_jpeg_bytes(150, lines=3, paper=255), LIMITS)
    exposure = report.findings[4]

    assert exposure.rule == "image.exposure" and exposure.score > LIMITS.max_brightness
    assert exposure.outcome == "pass"


@pytest.mark.parametrize(
    ("limit", "code"),
    [("min_brightness", "image.too_dark"), ("min_contrast", "image.low_contrast"), ("min_sharpness", "image.blurry")],
)
def test_clarity_limits_are_inclusive(limit: str, code: str) -> None:
    data = documents.jpeg_bytes()
    finding = {"min_brightness": 4, "min_contrast": 5, "min_sharpness": 6}[limit]
    score = inspect_document(data, LIMITS).findings[finding].score

    assert inspect_with(data, **{limit: score}).findings[finding].code is None
    assert inspect_with(data, **{limit: score + 0.01}).findings[finding].code == code


def test_a_clarity_failure_does_not_hide_the_others() -> None:
    report = inspect_with(documents.jpeg_bytes(), min_short_side=10_000, min_contrast=1_000, min_sharpness=1e9)

    assert outcomes(report) == expect(
        SCAN_RULES,
        image_resolution="image.too_small",
        image_contrast="image.low_contrast",
        image_sharpness="image.blurry",
    )


# --- image.resolution -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "minimum", "code"),
    [
        (800, 600, 600, None),
        (600, 800, 600, None),
        (800, 600, 601, "image.too_small"),
        (800, 599, 600, "image.too_small"),
        (599, 800, 600, "image.too_small"),
        (300, 200, 200, None),
        (300, 200, 201, "image.too_small"),
    ],
)
def test_resolution_is_the_shorter_side_and_the_limit_is_inclusive(
    width: int, height: int, minimum: int, code: str | None
) -> None:
    resolution = inspect_with(documents.jpeg_bytes(width, height), min_short_side=minimum).findings[3]

    assert resolution.rule == "image.resolution"
    assert (resolution.code, resolution.score) == (code, float(min(width, height)))


def test_resolution_comes_from_the_header_not_the_reduced_decode(large_jpeg: bytes) -> None:
    report = inspect_document(large_jpeg, LIMITS)

    assert report.findings[3].score == 1800.0
    assert min(report.page.size) == WORKING_SHORT_SIDE


def test_a_scanned_pdf_has_the_resolution_of_its_scan_not_of_the_rendering() -> None:
    # A 500 px scan placed on a 600 pt page: rendered at working scale it would be 850 px wide.
    report = inspect_document(documents.scanned_pdf_bytes(500, 707, dpi=60), LIMITS)

    assert report.findings[3].score == 500.0
    assert report.page.size == (500, pytest.approx(707, abs=1))  # never enlarged beyond the scan


def test_a_drawn_pdf_page_has_no_resolution_to_refuse() -> None:
    resolution = inspect_document(documents.title_only_pdf_bytes(), LIMITS).findings[3]

    assert (resolution.rule, resolution.outcome, resolution.score) == ("image.resolution", "pass", None)
    assert "no raster image" in resolution.evidence


def test_a_text_pdf_is_judged_on_the_page_it_shows() -> None:
    report = inspect_document(documents.pdf_bytes(), LIMITS)
    measures = measure_page(report.page)
    scores = {finding.rule: finding.score for finding in report.findings}

    assert scores["image.sharpness"] == pytest.approx(measures.sharpness, abs=0.01)
    assert scores["image.contrast"] == pytest.approx(measures.contrast, abs=0.01)
    assert scores["image.sharpness"] > 10 * LIMITS.min_sharpness  # rendered type is crisp


def test_an_invisible_text_layer_is_still_handed_on_but_the_blank_page_is_refused() -> None:
    report = inspect_document(documents.invisible_text_pdf_bytes("render_mode_3"), LIMITS)

    assert "Sara Abdullah Al-Harbi" in report.text_layer
    assert not passed(report.findings)


def test_a_scan_with_an_ocr_layer_has_the_resolution_of_its_scan() -> None:
    plain = inspect_document(documents.scanned_pdf_bytes(500, 707, dpi=60), LIMITS)
    searchable = inspect_document(documents.ocr_scanned_pdf_bytes(500, 707, dpi=60), LIMITS)

    assert searchable.findings[3].score == plain.findings[3].score == 500.0
    assert searchable.page.size == plain.page.size  # rendered no larger than it was scanned


def test_drawn_text_makes_a_page_drawn_whatever_picture_lies_under_it() -> None:
    resolution = inspect_document(documents.text_over_background_pdf_bytes(), LIMITS).findings[3]

    assert (resolution.rule, resolution.outcome, resolution.score) == ("image.resolution", "pass", None)
    assert "text is drawn" in resolution.evidence


# --- EXIF orientation -------------------------------------------------------------------------


def grey(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float32)


def test_exif_orientation_is_applied_before_the_checks() -> None:
    data = documents.rotated_exif_jpeg_bytes(720, 960)
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.size == (960, 720)  # landscape as stored

    report = inspect_document(data, LIMITS)
    page = np.asarray(report.page, dtype=np.float32)
    upright = grey(documents.jpeg_bytes(720, 960))

    assert report.page.size == (720, 960)  # portrait, as the camera meant it
    assert np.abs(page - upright).mean() < 3  # the same picture, up to JPEG noise
    assert np.abs(page - upright[::-1, ::-1]).mean() > 20  # and not upside down
    assert outcomes(report) == all_pass(SCAN_RULES)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_a_broken_exif_block_is_ignored() -> None:
    image = Image.open(io.BytesIO(documents.jpeg_bytes())).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, exif=b"Exif\x00\x00MM\x00*\xff\xff\xff\xff garbage")

    report = inspect_document(buffer.getvalue(), LIMITS)

    assert outcomes(report) == all_pass(SCAN_RULES)
    assert report.page.size == (800, 600)


# --- the page and the text handed on ----------------------------------------------------------


def test_the_page_of_a_jpeg_is_grey_at_working_scale(large_jpeg: bytes, small_jpeg: bytes) -> None:
    large = inspect_document(large_jpeg, LIMITS).page
    small = inspect_document(small_jpeg, LIMITS).page

    assert (large.mode, large.size) == ("L", (850, 1133))
    assert (small.mode, small.size) == ("L", (120, 90))  # never enlarged


def test_a_text_pdf_hands_on_its_text_and_a_rendered_page() -> None:
    report = inspect_document(documents.pdf_bytes(5), LIMITS)

    assert report.document_type == "pdf"
    assert "Sara Abdullah Al-Harbi" in report.text_layer
    assert "Page 3" in report.text_layer and "Page 4" not in report.text_layer  # the first pages only
    assert report.findings[-1].score >= 40
    assert report.page.mode == "L"
    assert max(report.page.size) == pytest.approx(1200, abs=5)  # A4 at working scale


def test_a_scanned_pdf_has_no_text_layer_and_a_rendered_page() -> None:
    report = inspect_document(documents.scanned_pdf_bytes(), LIMITS)

    assert report.text_layer is None
    assert (report.page.mode, report.page.size) == ("L", (850, 1203))


def test_a_title_alone_is_not_a_text_layer() -> None:
    report = inspect_document(documents.title_only_pdf_bytes(), LIMITS)

    assert rules(report) == SCAN_RULES
    assert report.text_layer is None


def test_nothing_is_handed_on_when_a_gate_fails(small_pdf: bytes) -> None:
    for data in (documents.truncated_jpeg_bytes(), documents.encrypted_pdf_bytes(), b"", small_pdf + b"PK"):
        report = inspect_document(data, dataclasses.replace(LIMITS, max_bytes=len(small_pdf)))
        assert report.page is None and report.text_layer is None


def test_the_document_type_comes_with_the_report(small_jpeg: bytes, small_pdf: bytes) -> None:
    assert inspect_document(small_jpeg, LIMITS).document_type == "jpeg"
    assert inspect_document(small_pdf, LIMITS).document_type == "pdf"
    assert inspect_document(documents.png_bytes(), LIMITS).document_type is None


# --- decode once ------------------------------------------------------------------------------


def test_a_jpeg_is_opened_and_decoded_once(large_jpeg: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    opened, loads, drafts = [], [], []
    original_open, original_load, original_draft = Image.open, ImageFile.ImageFile.load, JpegImageFile.draft

    def counting_open(*args, **kwargs):
        opened.append(1)
        return original_open(*args, **kwargs)

    def counting_load(self):
        if self.tile:
            loads.append(1)
        return original_load(self)

    def recording_draft(self, mode, size):
        drafts.append((mode, size, self.size))
        result = original_draft(self, mode, size)
        drafts.append(self.size)
        return result

    monkeypatch.setattr(checks.Image, "open", counting_open)
    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    monkeypatch.setattr(JpegImageFile, "draft", recording_draft)

    assert outcomes(inspect_document(large_jpeg, LIMITS)) == all_pass(SCAN_RULES)
    assert (len(opened), len(loads)) == (1, 1)
    # Decoded straight to grey at half scale (900x1200), then reduced to the working size.
    assert drafts == [("L", (850, 1134), (1800, 2400)), (900, 1200)]


def test_a_small_jpeg_is_decoded_at_full_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = []
    original_draft = JpegImageFile.draft

    def recording_draft(self, mode, size):
        result = original_draft(self, mode, size)
        sizes.append((mode, self.mode, self.size))
        return result

    monkeypatch.setattr(JpegImageFile, "draft", recording_draft)
    inspect_document(documents.jpeg_bytes(1240, 1754), LIMITS)

    assert sizes == [("L", "L", (1240, 1754))]  # no DCT scale would keep 850 px


# --- hostile documents ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "code"),
    list(documents.HOSTILE_DOCUMENTS.values()),
    ids=list(documents.HOSTILE_DOCUMENTS),
)
def test_hostile_documents_are_refused_with_their_code(make, code: str) -> None:
    report = inspect_document(make(), LIMITS)

    assert gate_refusal(report) == code
    assert not passed(report.findings)
    failure = report.findings[-1]
    assert failure.outcome == "fail"
    assert failure.message == localized(code)
    assert failure.message.ar and failure.message.en


@pytest.mark.parametrize(
    ("make", "stopped_after"),
    [
        (documents.empty_bytes, ["file.size"]),
        (documents.html_bytes, ["file.size", "file.type"]),
        (documents.truncated_jpeg_bytes, GATES),
    ],
)
def test_checks_stop_at_the_first_failing_gate(make, stopped_after: list[str]) -> None:
    report = inspect_document(make(), LIMITS)

    assert rules(report) == stopped_after
    assert [finding.outcome for finding in report.findings] == ["pass"] * (len(stopped_after) - 1) + ["fail"]


def test_an_oversized_file_is_never_parsed() -> None:
    # A bomb larger than the limit is refused on size alone, before any parser sees it.
    report = inspect_with(documents.jpeg_bomb_bytes(), max_bytes=100)
    assert rules(report) == ["file.size"]
    assert gate_refusal(report) == "file.too_large"


# --- file.size --------------------------------------------------------------------------------


@pytest.mark.parametrize("document", ["small_jpeg", "small_pdf"])
def test_size_limit_is_inclusive(document: str, request: pytest.FixtureRequest) -> None:
    data: bytes = request.getfixturevalue(document)

    assert gate_refusal(inspect_with(data, max_bytes=len(data))) is None
    too_large = inspect_with(data, max_bytes=len(data) - 1)
    assert gate_refusal(too_large) == "file.too_large"
    assert rules(too_large) == ["file.size"]


# --- file.type --------------------------------------------------------------------------------


def test_the_type_comes_from_the_bytes_and_nothing_else() -> None:
    # No parameter lets a caller declare a name or a content type that could override the bytes.
    assert set(inspect.signature(inspect_document).parameters) == {"data", "limits"}
    assert {field.name for field in dataclasses.fields(CheckLimits)} == {
        "max_bytes",
        "max_pdf_pages",
        "max_pixels",
        "min_short_side",
        "min_brightness",
        "max_brightness",
        "min_contrast",
        "min_sharpness",
    }


@pytest.mark.parametrize(
    "make",
    [documents.pdf_with_zip_appended_bytes, documents.jpeg_with_zip_appended_bytes],
    ids=["pdf", "jpeg"],
)
def test_a_document_that_is_also_a_zip_archive_is_refused(make) -> None:
    data = make()
    assert sniff_type(data) is not None  # the signature alone would have let it through

    assert gate_refusal(inspect_document(data, LIMITS)) == "file.unsupported_type"


def test_zip_signature_bytes_inside_a_document_are_not_an_archive(small_pdf: bytes) -> None:
    # An end-of-archive marker without a readable central directory is just data.
    data = small_pdf + b"PK\x05\x06" + bytes(18)
    assert_accepted(inspect_document(data, LIMITS), TEXT_PDF_RULES)


# --- file.parse: JPEG -------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9, 0.999])
def test_a_truncated_jpeg_is_corrupt(keep: float) -> None:
    report = inspect_document(documents.truncated_jpeg_bytes(keep), LIMITS)

    assert gate_refusal(report) == "file.corrupt"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_a_truncated_large_jpeg_is_corrupt_although_decoded_at_reduced_scale(large_jpeg: bytes, keep: float) -> None:
    # The DCT-scaled decode still reads every byte of the scan data.
    assert gate_refusal(inspect_document(large_jpeg[: int(len(large_jpeg) * keep)], LIMITS)) == "file.corrupt"
    assert gate_refusal(inspect_document(large_jpeg[:-2], LIMITS)) == "file.corrupt"


def test_a_jpeg_without_its_end_marker_is_corrupt(small_jpeg: bytes) -> None:
    # The header and almost all scan data are there: only a full decode notices.
    assert gate_refusal(inspect_document(small_jpeg[:-2], LIMITS)) == "file.corrupt"


def test_pixel_limit_is_inclusive() -> None:
    data = documents.jpeg_bytes(100, 100)

    assert gate_refusal(inspect_with(data, max_pixels=10_000)) is None
    assert gate_refusal(inspect_with(data, max_pixels=9_999)) == "file.image_too_large"


def test_declared_dimensions_over_our_limit_but_under_pillows_are_refused() -> None:
    # 48 Mpx: above the default 40 Mpx, below Pillow's own 89 Mpx warning threshold.
    bomb = documents.jpeg_bomb_bytes(8_000, 6_000)
    assert gate_refusal(inspect_document(bomb, LIMITS)) == "file.image_too_large"


def test_the_pixel_guard_does_not_depend_on_pillows_global_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    bomb = documents.jpeg_bomb_bytes()
    assert gate_refusal(inspect_document(bomb, LIMITS)) == "file.image_too_large"


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_pillows_bomb_warning_as_an_error_is_still_a_clean_refusal() -> None:
    # 90 Mpx: Pillow warns while opening, before our guard runs.
    bomb = documents.jpeg_bomb_bytes(10_000, 9_000)
    assert gate_refusal(inspect_document(bomb, LIMITS)) == "file.image_too_large"


def test_a_header_that_lies_under_the_pixel_limit_is_judged_on_what_decodes() -> None:
    # 30 Mpx declared, 64x64 px of scan data and an end marker: libjpeg fills the rest with flat
    # grey and only warns, which Pillow does not surface. The cost is bounded by the pixel limit
    # (and the reduced-scale decode), and the flat page is refused as unclear.
    report = inspect_document(documents.jpeg_bomb_bytes(6_000, 5_000), LIMITS)

    assert outcomes(report) == expect(SCAN_RULES, image_contrast="image.low_contrast", image_sharpness="image.blurry")


# --- file.parse: PDF --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(documents.encrypted_pdf_bytes, id="user-password"),
        pytest.param(lambda: documents.encrypted_pdf_bytes("", "owner"), id="owner-password-only"),
        pytest.param(documents.aes256_encrypted_pdf_bytes, id="aes-256"),
    ],
)
def test_an_encrypted_pdf_is_refused(make) -> None:
    assert gate_refusal(inspect_document(make(), LIMITS)) == "file.pdf_encrypted"


@pytest.mark.parametrize(("pages", "max_pages"), [(0, 20), (21, 20), (3, 2), (50, 20)])
def test_page_count_outside_the_limits_is_refused(pages: int, max_pages: int) -> None:
    data = documents.pdf_bytes(pages)
    assert gate_refusal(inspect_with(data, max_pdf_pages=max_pages)) == "file.pdf_page_count"


def test_page_limit_is_inclusive() -> None:
    assert_accepted(inspect_with(documents.pdf_bytes(2), max_pdf_pages=2), TEXT_PDF_RULES)


@pytest.mark.parametrize("kind", documents.ACTIVE_PDF_CONTENT)
def test_a_pdf_with_active_content_is_refused(kind: str) -> None:
    report = inspect_document(documents.scripted_pdf_bytes(kind), LIMITS)
    assert gate_refusal(report) == "file.pdf_active_content"


@pytest.mark.parametrize("kind", documents.ACTIVE_PDF_CONTENT)
def test_active_content_in_a_filled_form_is_refused_as_active_content(kind: str) -> None:
    # The form's checkbox keeps an appearance stream under /S: it must neither hide the active
    # content nor turn the refusal into "corrupt".
    report = inspect_document(documents.form_pdf_bytes(kind), LIMITS)
    assert gate_refusal(report) == "file.pdf_active_content"


@pytest.mark.parametrize("in_action", [True, False], ids=["as-the-open-action", "elsewhere"])
@pytest.mark.parametrize("kind", documents.ODD_S_ENTRIES)
def test_an_s_entry_that_is_no_action_type_is_harmless(kind: str, in_action: bool) -> None:
    report = inspect_document(documents.odd_s_entry_pdf_bytes(kind, in_action=in_action), LIMITS)
    assert_accepted(report, TEXT_PDF_RULES)


def test_an_action_type_outside_an_action_is_not_an_action() -> None:
    # A structure element of a custom type "Launch" (tagged PDFs keep structure types in /S).
    data = documents.raw_pdf_bytes(b"/StructTreeRoot << /Type /StructTreeRoot /K << /Type /StructElem /S /Launch >> >>")
    assert_accepted(inspect_document(data, LIMITS), TEXT_PDF_RULES)


@pytest.mark.parametrize(
    ("catalog", "page"),
    [
        pytest.param(b"/AA << >>", b"", id="empty-document-triggers"),
        pytest.param(b"", b"/AA << /O null >>", id="page-trigger-without-action"),
        pytest.param(
            b"/Names << /EmbeddedFiles << /Names [] >> /JavaScript << /Kids [] >> >>", b"", id="empty-name-trees"
        ),
        pytest.param(
            b"/OpenAction << /S /GoToR /F << /Type /Filespec /F (b.pdf) /EF << >> >> /D [0 /Fit] >>",
            b"",
            id="file-specification-with-no-embedded-file",
        ),
    ],
)
def test_an_empty_container_of_active_content_does_nothing(catalog: bytes, page: bytes) -> None:
    assert_accepted(inspect_document(documents.raw_pdf_bytes(catalog, page), LIMITS), TEXT_PDF_RULES)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_a_truncated_pdf_is_corrupt(keep: float) -> None:
    assert gate_refusal(inspect_document(documents.truncated_pdf_bytes(keep), LIMITS)) == "file.corrupt"


def test_a_pdf_too_complex_to_inspect_is_refused(small_pdf: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "_MAX_PDF_OBJECTS", 2)
    assert gate_refusal(inspect_document(small_pdf, LIMITS)) == "file.corrupt"


def test_a_pdf_pdfium_cannot_show_is_corrupt(small_pdf: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks.pdfium, "PdfDocument", _raise(checks.pdfium.PdfiumError("cannot load")))
    assert gate_refusal(inspect_document(small_pdf, LIMITS)) == "file.corrupt"


def test_pdfs_can_be_inspected_from_many_threads_at_once() -> None:
    # pdfium is not thread-safe; the validator runs the checks in worker threads.
    pdfs = [documents.pdf_bytes(2), documents.scanned_pdf_bytes(400, 600, dpi=50)] * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        reports = list(pool.map(lambda data: inspect_document(data, LIMITS), pdfs))

    assert [rules(report)[-1] for report in reports] == ["pdf.text_layer", "image.sharpness"] * 8


# --- no exception ever escapes ----------------------------------------------------------------


def _raise(error: BaseException):
    def parser(*args: object, **kwargs: object):
        raise error

    return parser


@pytest.mark.parametrize("error", [RuntimeError("bug"), MemoryError(), RecursionError(), ValueError("bad")])
def test_an_unexpected_parser_error_becomes_a_finding(
    error: Exception, small_jpeg: bytes, small_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checks.Image, "open", _raise(error))
    monkeypatch.setattr(checks, "PdfReader", _raise(error))

    assert gate_refusal(inspect_document(small_jpeg, LIMITS)) == "file.corrupt"
    assert gate_refusal(inspect_document(small_pdf, LIMITS)) == "file.corrupt"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(documents.jpeg_bytes, expect(GATES, file_parse="file.corrupt"), id="jpeg"),
        pytest.param(documents.scanned_pdf_bytes, expect(GATES, file_parse="file.corrupt"), id="pdf-scan"),
        pytest.param(documents.text_pdf_bytes, expect(GATES, file_parse="file.corrupt"), id="pdf-text"),
    ],
)
def test_a_measure_that_fails_is_a_parse_failure(make, expected: Outcomes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "measure_page", _raise(MemoryError()))
    assert outcomes(inspect_document(make(), LIMITS)) == expected


def test_a_bug_in_our_own_code_still_gives_a_report(small_jpeg: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "_clarity_findings", _raise(RuntimeError("bug")))

    report = inspect_document(small_jpeg, LIMITS)

    assert outcomes(report) == expect(GATES, file_parse="file.corrupt")
    assert report.page is None and not passed(report.findings)


@pytest.mark.parametrize("document", ["small_jpeg", "small_pdf"])
def test_damaged_copies_of_valid_files_never_raise(document: str, request: pytest.FixtureRequest) -> None:
    original: bytes = request.getfixturevalue(document)
    rng = random.Random(document)
    for _ in range(100):
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        damaged = damaged[: rng.randint(1, len(damaged))] if rng.random() < 0.3 else damaged

        report = inspect_document(bytes(damaged), LIMITS)

        assert report.findings and report.findings[-1].outcome in ("pass", "fail")
        assert all(finding.code is None or finding.code in MESSAGES for finding in report.findings)


# --- measure_page -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(0, 0), (1, 1), (2, 5), (63, 200), (64, 64)])
def test_measure_page_copes_with_any_size(size: tuple[int, int]) -> None:
    measures = measure_page(Image.new("L", size, 128))
    assert measures.contrast == 0 and measures.sharpness == 0
    assert measures.brightness == (128 if size[0] * size[1] else 0)


def test_measure_page_of_a_uniform_page_has_no_contrast_and_no_sharpness() -> None:
    report = inspect_document(documents.jpeg_bytes(1, 1), LIMITS)

    assert outcomes(report) == expect(
        SCAN_RULES,
        image_resolution="image.too_small",
        image_contrast="image.low_contrast",
        image_sharpness="image.blurry",
    )


# --- passed -----------------------------------------------------------------------------------


def test_passed_is_false_only_when_a_finding_failed() -> None:
    ok = Finding(rule="file.size", outcome="pass")
    warning = Finding(rule="image.clarity", outcome="warn", score=0.4)
    failure = Finding(rule="file.type", outcome="fail", code="file.unsupported_type")

    assert passed([ok, warning])
    assert not passed([ok, failure])


# --- the catalogue ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "file.empty",
        "file.too_large",
        "file.unsupported_type",
        "file.corrupt",
        "file.image_too_large",
        "file.pdf_encrypted",
        "file.pdf_page_count",
        "file.pdf_active_content",
        "image.too_small",
        "image.too_dark",
        "image.too_bright",
        "image.low_contrast",
        "image.blurry",
    ],
)
def test_every_refusal_code_has_arabic_and_english_text(code: str) -> None:
    arabic, english = MESSAGES[code]
    assert any("\u0600" <= character <= "\u06ff" for character in arabic)
    assert english.isascii() and english.strip()
