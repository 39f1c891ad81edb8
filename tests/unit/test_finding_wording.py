"""Findings carry a code and parameters; every reader words them in its own language from one
catalogue (schemas/findings.py): the console and the portal through `mumaris.web.Words.finding`,
the notifier's messages through `fixes_from_findings`."""

import re
from datetime import date

import pytest

from mumaris.web import Words
from schemas.events import CertificateMetadata, Finding, PractitionerRef
from schemas.findings import DETAILS, describe
from services.notifier.messages.rules import REVIEW_APPROVED, compose, fixes_from_findings
from services.validator.inspection.checks import CheckLimits, fatal_file_findings, inspect_document
from services.validator.inspection.content import content_findings, match_content
from services.validator.inspection.rules import Fingerprint, duplicate_findings, metadata_findings
from tests import documents

LIMITS = CheckLimits(max_bytes=20_000_000)
ARABIC = re.compile(r"[\u0600-\u06ff]")


def every_kind_of_finding() -> list[Finding]:
    """What the validator says about a spread of documents, declared details and duplicates."""
    findings: list[Finding] = []
    for data in (
        documents.text_certificate_jpeg_bytes(100),
        documents.tiny_jpeg_bytes(),
        documents.dark_jpeg_bytes(),
        documents.low_contrast_jpeg_bytes(),
        documents.blurred_jpeg_bytes(6.0),
        documents.text_pdf_bytes(),
        documents.drawn_pdf_bytes(),
    ):
        findings += inspect_document(data, LIMITS).findings
    findings += fatal_file_findings(documents.jpeg_bytes(), LIMITS, "the checker died")
    blank = CertificateMetadata.model_construct(
        name="BLS", obtained_on=date(2031, 1, 1), institution="-", specialty="--", degree="Course"
    )
    findings += metadata_findings(blank, date(2026, 12, 1))
    pending = Fingerprint("older", "same-sha", "key", None)
    findings += duplicate_findings(Fingerprint("new", "same-sha", "other", None), [pending], 8)
    text = "Certificate: Sara Al-Harbi, King Saud University Medical City, 14 March 2025"
    findings += match_content(
        text, name="سارة الحربي", issuer="King Saud University Medical City", obtained_on=date(2025, 3, 14)
    )
    findings += match_content(
        "Nothing to see here at all, honestly", name="Sara", issuer="Ministry", obtained_on=date(2025, 3, 14)
    )
    findings += match_content(
        "issued March 2025 by someone", name="Sara", issuer="Ministry", obtained_on=date(2025, 3, 14)
    )
    for reason_off in (False, True):
        findings += content_findings(
            None, None, name="Sara", issuer="x", obtained_on=date(2025, 1, 1), ocr_enabled=reason_off
        )
    return findings


FINDINGS = every_kind_of_finding()


def test_the_spread_covers_most_of_the_catalogue() -> None:
    emitted = {f.detail for f in FINDINGS if f.detail}
    assert len(emitted) >= 14, emitted
    assert emitted <= set(DETAILS)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_detail_the_validator_emits_is_worded_in_each_language(language: str) -> None:
    for finding in (f for f in FINDINGS if f.detail):
        worded = describe(finding, language)  # type: ignore[arg-type]
        assert worded, finding
        assert "{" not in worded and "}" not in worded, worded
        if language == "ar":
            assert ARABIC.search(worded), worded


def test_the_measure_is_worded_with_its_numbers_in_arabic_on_an_arabic_page() -> None:
    tiny = next(
        f for f in inspect_document(documents.tiny_jpeg_bytes(), LIMITS).findings if f.rule == "image.resolution"
    )
    assert tiny.code == "image.too_small" and tiny.params == {"short_side": 200, "minimum": 600}
    assert Words("ar", {}).finding(tiny) == "الضلع الأقصر للصورة 200 بكسل؛ والمطلوب 600 بكسل على الأقل"
    assert Words("en", {}).finding(tiny.model_dump(mode="json")) == "shorter side 200 px; at least 600 px needed"
    assert tiny.evidence == "shorter side 200 px; at least 600 px needed"  # for readers of before


def test_a_finding_of_before_has_no_detail_and_keeps_its_evidence() -> None:
    old = {"rule": "image.resolution", "outcome": "pass", "evidence": "shorter side 1240 px; at least 600 px needed"}
    assert describe(old, "ar") is None
    assert Finding.model_validate(old).params == {}


def test_unknown_details_and_params_that_do_not_fit_are_not_worded() -> None:
    assert describe({"detail": "image.from_the_future", "params": {}}, "en") is None
    assert describe({"detail": "image.resolution_measured", "params": {"short_side": 10}}, "en") is None


def test_the_notifier_tells_what_was_measured_in_the_message_language() -> None:
    blurry = next(
        f for f in inspect_document(documents.blurred_jpeg_bytes(6.0), LIMITS).findings if f.code == "image.blurry"
    )
    (arabic,) = fixes_from_findings([blurry], "ar")
    (english,) = fixes_from_findings([blurry], "en")
    assert arabic.startswith(blurry.message.ar) and "القياس: درجة وضوح الكتابة" in arabic  # type: ignore[union-attr]
    assert english.startswith(blurry.message.en)  # type: ignore[union-attr]
    assert "Measured: sharpness of the writing" in english and english.endswith("at least 150 needed.")
    assert "sharpness" not in arabic


def test_the_english_part_of_a_message_greets_by_the_latin_name_when_there_is_one() -> None:
    sara = PractitionerRef(id="p", name="سارة الحربي", email="s@example.sa", latin_name="Sara Al-Harbi")
    values = {"ar": {"certificate": "BLS"}, "en": {"certificate": "BLS"}}
    text = compose(REVIEW_APPROVED, sara, "ref-1", values=values).text  # type: ignore[arg-type]
    assert "Dear Sara Al-Harbi" in text and "سارة الحربي" in text
    before = compose(REVIEW_APPROVED, sara.model_copy(update={"latin_name": None}), "ref-1", values=values).text  # type: ignore[arg-type]
    assert "Dear سارة الحربي" in before
