"""Metadata rules and "not the same certificate twice while one is under review"."""

import io
from datetime import date

import pytest
from PIL import Image, ImageFilter

from mumaris.files import sha256_hex
from schemas.events import CertificateMetadata
from services.validator.inspection.checks import CheckLimits, inspect_document
from services.validator.inspection.rules import (
    HASH_SIDE,
    Fingerprint,
    certificate_key,
    duplicate_findings,
    hash_distance,
    metadata_findings,
    page_hash,
)
from tests import documents
from tests.documents import jpeg_bytes

TODAY = date(2026, 11, 25)


def cert(**changes: object) -> CertificateMetadata:
    base = {
        "name": "Basic Life Support",
        "obtained_on": date(2025, 3, 14),
        "institution": "Saudi Heart Association",
        "specialty": "Nursing",
        "degree": "Course",
    }
    return CertificateMetadata.model_validate({**base, **changes})


def outcomes(findings: list) -> dict[str, str | None]:
    return {f.rule: f.code for f in findings}


def test_sound_metadata_passes() -> None:
    assert outcomes(metadata_findings(cert(), TODAY)) == {"metadata.date": None, "metadata.fields": None}


def test_a_date_in_the_future_is_refused_today_is_not() -> None:
    assert (
        outcomes(metadata_findings(cert(obtained_on=date(2026, 11, 26)), TODAY))["metadata.date"]
        == "metadata.date_in_future"
    )
    assert outcomes(metadata_findings(cert(obtained_on=TODAY), TODAY))["metadata.date"] is None


def test_an_implausibly_old_date_is_refused() -> None:
    assert (
        outcomes(metadata_findings(cert(obtained_on=date(1921, 1, 1)), TODAY))["metadata.date"]
        == "metadata.date_implausible"
    )


def test_fields_made_only_of_punctuation_count_as_missing() -> None:
    [_, fields] = metadata_findings(cert(specialty="--", degree="..."), TODAY)
    assert fields.code == "metadata.field_missing" and fields.evidence == "specialty, degree"


def page(seed: int) -> Image.Image:
    return Image.open(io.BytesIO(jpeg_bytes(1240, 1754, seed=seed))).convert("L")


def test_the_same_page_hashes_alike_after_reencoding_and_resizing() -> None:
    original = page(1)
    buffer = io.BytesIO()
    original.resize((620, 877)).filter(ImageFilter.GaussianBlur(1)).save(buffer, "JPEG", quality=40)
    again = Image.open(buffer)
    assert hash_distance(page_hash(original), page_hash(again)) <= 6


def test_different_pages_hash_far_apart() -> None:
    assert hash_distance(page_hash(page(1)), page_hash(page(2))) > 40


def shown(data: bytes) -> Image.Image:
    """The first page as the validator hands it to the hash (decoded or rendered, at working scale)."""
    page = inspect_document(data, CheckLimits(max_bytes=10_000_000)).page
    assert page is not None
    return page


def sparse_scan(seed: int) -> bytes:
    """A scan of a certificate with a single line of text under its title."""
    return documents.text_certificate_jpeg_bytes(lines=1, seed=seed)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(documents.blank_pdf_bytes, id="blank-page"),
        pytest.param(lambda: sparse_scan(1), id="one-line-of-text"),
        pytest.param(documents.title_only_pdf_bytes, id="a-title-alone"),
    ],
)
def test_a_page_with_too_little_detail_has_no_page_hash(make) -> None:
    assert page_hash(shown(make())) is None


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: jpeg_bytes(800, 600), id="scan"),
        pytest.param(lambda: documents.text_certificate_jpeg_bytes(lines=40), id="a-page-of-text"),
    ],
)
def test_a_page_with_detail_has_a_page_hash(make) -> None:
    hashed = page_hash(shown(make()))
    assert hashed is not None and len(hashed) == HASH_SIDE * HASH_SIDE // 4


def test_two_different_sparse_pages_are_not_duplicates() -> None:
    # Their difference hashes lie within the default distance of each other (mostly zeros).
    first, second = (
        fingerprint(
            f"s{seed}",
            sha=f"{seed}" * 64,
            key=f"cert {seed}|issuer|2025-01-01",
            hashed=page_hash(shown(sparse_scan(seed))),
        )
        for seed in (1, 2)
    )
    assert duplicate_findings(second, [first], max_hash_distance=6)[0].outcome == "pass"


def test_the_same_sparse_scan_uploaded_twice_is_still_a_duplicate() -> None:
    data = sparse_scan(1)
    hashed = page_hash(shown(data))
    pending = fingerprint("old", sha=sha256_hex(data), key="a|b|2025-01-01", hashed=hashed)
    again = fingerprint("new", sha=sha256_hex(data), key="c|d|2025-02-02", hashed=hashed)
    [finding] = duplicate_findings(again, [pending], max_hash_distance=6)
    assert (finding.code, finding.evidence) == ("duplicate.pending_file", "old")


def test_the_same_scan_as_a_jpeg_and_inside_a_pdf_is_the_same_page() -> None:
    image = Image.open(io.BytesIO(jpeg_bytes(1240, 1754, seed=6)))
    as_pdf = io.BytesIO()
    image.save(as_pdf, "PDF", resolution=150)
    as_jpeg = page_hash(shown(jpeg_bytes(1240, 1754, seed=6)))
    pending = fingerprint("old", sha="b" * 64, key="a|b|2025-01-01", hashed=as_jpeg)
    again = fingerprint("new", sha="c" * 64, key="c|d|2025-02-02", hashed=page_hash(shown(as_pdf.getvalue())))
    [finding] = duplicate_findings(again, [pending], max_hash_distance=6)
    assert (finding.code, finding.evidence) == ("duplicate.pending_page", "old")


def fingerprint(
    submission_id: str, sha: str = "a" * 64, key: str | None = None, hashed: str | None = None
) -> Fingerprint:
    return Fingerprint(submission_id, sha, key or certificate_key(cert()), hashed)


@pytest.mark.parametrize(
    ("pending", "code"),
    [
        (fingerprint("old", sha="b" * 64), "duplicate.pending_certificate"),
        (fingerprint("old", key="other|cert|2020-01-01"), "duplicate.pending_file"),
    ],
)
def test_a_pending_duplicate_is_refused_with_its_id(pending: Fingerprint, code: str) -> None:
    [finding] = duplicate_findings(fingerprint("new"), [pending], max_hash_distance=6)
    assert (finding.outcome, finding.code, finding.evidence) == ("fail", code, "old")


def test_a_near_identical_first_page_is_a_duplicate_even_with_other_metadata() -> None:
    hashed = page_hash(page(3))
    pending = fingerprint("old", sha="b" * 64, key="x|y|2020-01-01", hashed=hashed)
    [finding] = duplicate_findings(fingerprint("new", hashed=hashed), [pending], max_hash_distance=6)
    assert finding.code == "duplicate.pending_page"


def test_a_different_certificate_passes_and_a_submission_is_not_its_own_duplicate() -> None:
    other = fingerprint("old", sha="b" * 64, key=certificate_key(cert(name="ACLS")), hashed=page_hash(page(4)))
    me = fingerprint("new", hashed=page_hash(page(5)))
    assert duplicate_findings(me, [other, me], max_hash_distance=6)[0].outcome == "pass"


def test_the_certificate_key_ignores_case_spacing_and_punctuation() -> None:
    assert certificate_key(cert(institution="  saudi heart-association ")) == certificate_key(cert())


def test_a_resubmission_may_repeat_the_version_it_replaces_but_no_other_pending_one() -> None:
    replaced, unrelated = fingerprint("v1"), fingerprint("other-pending", sha="c" * 64)
    assert duplicate_findings(fingerprint("v2"), [replaced], max_hash_distance=6, replaces="v1")[0].outcome == "pass"
    [finding] = duplicate_findings(fingerprint("v2"), [replaced, unrelated], max_hash_distance=6, replaces="v1")
    assert (finding.code, finding.evidence) == ("duplicate.pending_certificate", "other-pending")
