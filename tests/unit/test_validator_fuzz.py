"""Fuzzing the validator: whatever the bytes, `inspect_document` answers with a report and never raises.

Random bytes (bare, or behind a real signature so the parsers are reached) and damaged copies of
valid JPEGs and PDFs: bit flips, overwritten bytes, truncation, and splices of other files' bytes.
"""

import functools

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from mumaris.errors import MESSAGES
from services.validator.checks import CheckLimits, DocumentReport, inspect_document
from tests import documents

LIMITS = CheckLimits(max_bytes=5_000_000)
_SIGNATURE_LENGTH = 5
SIGNATURES = [b"%PDF-1.7\n", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb"]
GATES = ["file.size", "file.type", "file.parse"]
# Every report runs a prefix of these rules: the gates up to the first failure, then all the
# clarity rules, then the text layer's for a PDF that has one.
ORDER = GATES + ["image.resolution", "image.exposure", "image.contrast", "image.sharpness", "pdf.text_layer"]
FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,  # leave no .hypothesis directory in the project
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@functools.cache
def valid_documents() -> tuple[bytes, ...]:
    return (
        documents.jpeg_bytes(200, 150),
        documents.jpeg_bytes(160, 120, progressive=True),
        documents.rotated_exif_jpeg_bytes(120, 160),
        documents.text_pdf_bytes(2),
        documents.scanned_pdf_bytes(240, 340, dpi=30),
        documents.pdf_with_navigation_bytes(),
    )


def assert_well_formed(report: DocumentReport) -> None:
    assert isinstance(report, DocumentReport)
    rules = [finding.rule for finding in report.findings]
    assert rules, "at least the size rule runs"
    assert rules == ORDER[: len(rules)], rules
    for finding in report.findings:
        assert finding.outcome in ("pass", "fail")
        assert (finding.outcome == "fail") == (finding.code is not None)
        assert finding.code is None or finding.code in MESSAGES
    gates_passed = len(rules) > 3 or (len(rules) == 3 and report.findings[-1].outcome == "pass")
    assert (report.page is not None) == gates_passed
    if report.page is not None:
        assert isinstance(report.page, Image.Image) and report.page.mode == "L"


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    corpus = valid_documents()
    data = bytearray(draw(st.sampled_from(corpus)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "overwrite", "truncate", "splice", "insert", "delete"]))
        if not data:
            break
        # Past the signature (the other tests cover files without one), so the parsers are reached.
        at = draw(st.integers(min(_SIGNATURE_LENGTH, len(data) - 1), len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at : at + len(chunk)] = chunk
        elif kind == "truncate":
            del data[at:]
        elif kind == "splice":
            donor = draw(st.sampled_from(corpus))
            start = draw(st.integers(0, len(donor) - 1))
            data[at:] = donor[start : start + draw(st.integers(1, 4096))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert_well_formed(inspect_document(data, LIMITS))


@FUZZ
@given(st.sampled_from(SIGNATURES), st.binary(max_size=4096))
def test_random_bytes_behind_a_real_signature_never_raise(signature: bytes, body: bytes) -> None:
    assert_well_formed(inspect_document(signature + body, LIMITS))


@FUZZ
@given(damaged())
def test_damaged_valid_documents_never_raise(data: bytes) -> None:
    report = inspect_document(data, LIMITS)
    assert_well_formed(report)
    last = report.findings[-1]
    event(f"last rule {last.rule}: {last.code or 'pass'}")  # --hypothesis-show-statistics shows the spread


@pytest.mark.parametrize("index", range(6))
def test_the_fuzz_corpus_is_valid(index: int) -> None:
    # The mutations start from documents that pass the gates.
    report = inspect_document(valid_documents()[index], LIMITS)
    assert [finding.outcome for finding in report.findings[:3]] == ["pass"] * 3
