"""The validator's document rules: valid scans pass, every hostile file is refused with its code."""

import inspect
import random

import pytest
from PIL import Image, ImageFile

from mumaris.errors import MESSAGES, localized
from schemas.events import Finding
from services.validator import checks
from mumaris.files import sniff_type
from services.validator.checks import check_document, passed
from tests import documents

LIMIT = 5_000_000
ALL_RULES = ["file.size", "file.type", "file.parse"]


def rules(findings: list[Finding]) -> list[str]:
    return [finding.rule for finding in findings]


def refusal(findings: list[Finding]) -> str | None:
    """The code of the failing finding, None when the document passed."""
    failures = [finding for finding in findings if finding.outcome == "fail"]
    assert len(failures) <= 1, "the checks stop at the first failure"
    return failures[0].code if failures else None


def assert_accepted(findings: list[Finding]) -> None:
    assert rules(findings) == ALL_RULES
    assert all(finding.outcome == "pass" and finding.code is None for finding in findings)
    assert passed(findings)


@pytest.fixture(scope="module")
def small_jpeg() -> bytes:
    return documents.jpeg_bytes(120, 90)


@pytest.fixture(scope="module")
def small_pdf() -> bytes:
    return documents.pdf_bytes()


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


# --- valid documents --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: documents.jpeg_bytes(), id="jpeg-800x600"),
        pytest.param(lambda: documents.jpeg_bytes(1, 1), id="jpeg-1x1"),
        pytest.param(lambda: documents.jpeg_bytes(90, 120, mode="L"), id="jpeg-greyscale"),
        pytest.param(lambda: documents.jpeg_bytes(120, 90, mode="CMYK"), id="jpeg-cmyk"),
        pytest.param(lambda: documents.jpeg_bytes(120, 90, progressive=True), id="jpeg-progressive"),
        pytest.param(lambda: documents.pdf_bytes(1), id="pdf-1-page"),
        pytest.param(lambda: documents.pdf_bytes(20), id="pdf-20-pages"),
        pytest.param(documents.pdf_with_navigation_bytes, id="pdf-open-destination-and-uri-link"),
    ],
)
def test_valid_documents_pass_every_rule(make) -> None:
    assert_accepted(check_document(make(), max_bytes=LIMIT))


def test_passing_findings_carry_no_code_message_or_score(small_jpeg: bytes) -> None:
    for finding in check_document(small_jpeg, max_bytes=LIMIT):
        assert (finding.code, finding.message, finding.score) == (None, None, None)


# --- hostile documents ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "code"),
    list(documents.HOSTILE_DOCUMENTS.values()),
    ids=list(documents.HOSTILE_DOCUMENTS),
)
def test_hostile_documents_are_refused_with_their_code(make, code: str) -> None:
    findings = check_document(make(), max_bytes=LIMIT)

    assert refusal(findings) == code
    assert not passed(findings)
    failure = findings[-1]
    assert failure.outcome == "fail"
    assert failure.message == localized(code)
    assert failure.message.ar and failure.message.en


@pytest.mark.parametrize(
    ("make", "stopped_after"),
    [
        (documents.empty_bytes, ["file.size"]),
        (documents.html_bytes, ["file.size", "file.type"]),
        (documents.truncated_jpeg_bytes, ALL_RULES),
    ],
)
def test_checks_stop_at_the_first_failing_gate(make, stopped_after: list[str]) -> None:
    findings = check_document(make(), max_bytes=LIMIT)

    assert rules(findings) == stopped_after
    assert [finding.outcome for finding in findings] == ["pass"] * (len(stopped_after) - 1) + ["fail"]


def test_an_oversized_file_is_never_parsed() -> None:
    # A bomb larger than the limit is refused on size alone, before any parser sees it.
    findings = check_document(documents.jpeg_bomb_bytes(), max_bytes=100)
    assert rules(findings) == ["file.size"]
    assert refusal(findings) == "file.too_large"


# --- file.size --------------------------------------------------------------------------------


@pytest.mark.parametrize("document", ["small_jpeg", "small_pdf"])
def test_size_limit_is_inclusive(document: str, request: pytest.FixtureRequest) -> None:
    data: bytes = request.getfixturevalue(document)

    assert_accepted(check_document(data, max_bytes=len(data)))
    too_large = check_document(data, max_bytes=len(data) - 1)
    assert refusal(too_large) == "file.too_large"
    assert rules(too_large) == ["file.size"]


# --- file.type --------------------------------------------------------------------------------


def test_the_type_comes_from_the_bytes_and_nothing_else() -> None:
    # No parameter lets a caller declare a name or a content type that could override the bytes.
    parameters = set(inspect.signature(check_document).parameters)
    assert parameters == {"data", "max_bytes", "max_pdf_pages", "max_pixels"}


@pytest.mark.parametrize(
    "make",
    [documents.pdf_with_zip_appended_bytes, documents.jpeg_with_zip_appended_bytes],
    ids=["pdf", "jpeg"],
)
def test_a_document_that_is_also_a_zip_archive_is_refused(make) -> None:
    data = make()
    assert sniff_type(data) is not None  # the signature alone would have let it through

    assert refusal(check_document(data, max_bytes=LIMIT)) == "file.unsupported_type"


def test_zip_signature_bytes_inside_a_document_are_not_an_archive(small_pdf: bytes) -> None:
    # An end-of-archive marker without a readable central directory is just data.
    data = small_pdf + b"PK\x05\x06" + bytes(18)
    assert_accepted(check_document(data, max_bytes=LIMIT))


# --- file.parse: JPEG -------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9, 0.999])
def test_a_truncated_jpeg_is_corrupt(keep: float) -> None:
    findings = check_document(documents.truncated_jpeg_bytes(keep), max_bytes=LIMIT)

    assert refusal(findings) == "file.corrupt"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_a_jpeg_without_its_end_marker_is_corrupt(small_jpeg: bytes) -> None:
    # The header and almost all scan data are there: only a full decode notices.
    assert refusal(check_document(small_jpeg[:-2], max_bytes=LIMIT)) == "file.corrupt"


def test_pixel_limit_is_inclusive() -> None:
    data = documents.jpeg_bytes(100, 100)

    assert_accepted(check_document(data, max_bytes=LIMIT, max_pixels=10_000))
    assert refusal(check_document(data, max_bytes=LIMIT, max_pixels=9_999)) == "file.image_too_large"


def test_declared_dimensions_over_our_limit_but_under_pillows_are_refused() -> None:
    # 48 Mpx: above the default 40 Mpx, below Pillow's own 89 Mpx warning threshold.
    bomb = documents.jpeg_bomb_bytes(8_000, 6_000)
    assert refusal(check_document(bomb, max_bytes=LIMIT)) == "file.image_too_large"


def test_the_pixel_guard_does_not_depend_on_pillows_global_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    bomb = documents.jpeg_bomb_bytes()
    assert refusal(check_document(bomb, max_bytes=LIMIT)) == "file.image_too_large"


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_pillows_bomb_warning_as_an_error_is_still_a_clean_refusal() -> None:
    # 90 Mpx: Pillow warns while opening, before our guard runs.
    bomb = documents.jpeg_bomb_bytes(10_000, 9_000)
    assert refusal(check_document(bomb, max_bytes=LIMIT)) == "file.image_too_large"


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
    assert refusal(check_document(make(), max_bytes=LIMIT)) == "file.pdf_encrypted"


@pytest.mark.parametrize(("pages", "max_pages"), [(0, 20), (21, 20), (3, 2)])
def test_page_count_outside_the_limits_is_refused(pages: int, max_pages: int) -> None:
    data = documents.pdf_bytes(pages)
    assert refusal(check_document(data, max_bytes=LIMIT, max_pdf_pages=max_pages)) == "file.pdf_page_count"


def test_page_limit_is_inclusive() -> None:
    assert_accepted(check_document(documents.pdf_bytes(2), max_bytes=LIMIT, max_pdf_pages=2))


@pytest.mark.parametrize("kind", documents.ACTIVE_PDF_CONTENT)
def test_a_pdf_with_active_content_is_refused(kind: str) -> None:
    findings = check_document(documents.scripted_pdf_bytes(kind), max_bytes=LIMIT)
    assert refusal(findings) == "file.pdf_active_content"


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_a_truncated_pdf_is_corrupt(keep: float) -> None:
    assert refusal(check_document(documents.truncated_pdf_bytes(keep), max_bytes=LIMIT)) == "file.corrupt"


def test_a_pdf_too_complex_to_inspect_is_refused(small_pdf: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "_MAX_PDF_OBJECTS", 2)
    assert refusal(check_document(small_pdf, max_bytes=LIMIT)) == "file.corrupt"


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

    assert refusal(check_document(small_jpeg, max_bytes=LIMIT)) == "file.corrupt"
    assert refusal(check_document(small_pdf, max_bytes=LIMIT)) == "file.corrupt"


@pytest.mark.parametrize("document", ["small_jpeg", "small_pdf"])
def test_damaged_copies_of_valid_files_never_raise(document: str, request: pytest.FixtureRequest) -> None:
    original: bytes = request.getfixturevalue(document)
    rng = random.Random(document)
    for _ in range(150):
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        damaged = damaged[: rng.randint(1, len(damaged))] if rng.random() < 0.3 else damaged

        findings = check_document(bytes(damaged), max_bytes=LIMIT)

        assert findings and findings[-1].outcome in ("pass", "fail")
        assert all(finding.code is None or finding.code in MESSAGES for finding in findings)


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
    ],
)
def test_every_refusal_code_has_arabic_and_english_text(code: str) -> None:
    arabic, english = MESSAGES[code]
    assert any("\u0600" <= character <= "\u06ff" for character in arabic)
    assert english.isascii() and english.strip()
