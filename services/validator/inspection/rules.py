"""Validator rules that are not about the file's bytes: the declared metadata, and "the same
certificate must not be submitted again while one is under review".

File and image rules live in `checks.py`, readable-content rules in `content.py`; this module
adds the rules that need what the practitioner declared and what is already pending.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
from PIL import Image

from mumaris.certificates import CertificateRefused, check_obtained_on
from mumaris.errors import localized
from schemas.events import CertificateMetadata, Finding

HASH_SIDE = 16  # a 16×16 difference hash: 256 bits, fine enough to tell two certificates of one template apart
# Neighbouring cells of the hash that differ by at least this many grey levels are a clear
# difference: re-encoding, resizing or another exposure does not turn it around.
_CLEAR_DIFFERENCE = 4
# Measured on generated pages: blank paper has no clear difference, a stamp or one to three lines
# of text 7 to 15, and such pages came within 4 to 10 bits of different ones; from 32 (a dozen
# lines of text) on, different pages lay 18 bits apart or more, and a full scan has over 200.
_MIN_CLEAR_DIFFERENCES = 32


def _fail(
    rule: str, code: str, evidence: str | None = None, detail: str | None = None, **params: str | int | float
) -> Finding:
    return Finding(
        rule=rule, outcome="fail", code=code, message=localized(code), evidence=evidence, detail=detail, params=params
    )


def _pass(rule: str, evidence: str | None = None) -> Finding:
    return Finding(rule=rule, outcome="pass", evidence=evidence)


def metadata_findings(certificate: CertificateMetadata, today: date) -> list[Finding]:
    """The declared date is possible and the descriptive fields say something."""
    findings: list[Finding] = []
    try:  # the rule intake applies at the door, for events published before it did
        check_obtained_on(certificate.obtained_on, today)
    except CertificateRefused as refusal:
        declared = certificate.obtained_on.isoformat()
        findings.append(_fail("metadata.date", refusal.code, declared, "metadata.date_declared", obtained_on=declared))
    else:
        findings.append(_pass("metadata.date"))
    blank = [field for field in ("institution", "specialty", "degree") if not _meaningful(getattr(certificate, field))]
    if blank:
        findings.append(
            _fail(
                "metadata.fields",
                "metadata.field_missing",
                ", ".join(blank),
                "metadata.fields_blank",
                fields=",".join(blank),
            )
        )
    else:
        findings.append(_pass("metadata.fields"))
    return findings


def _meaningful(value: str) -> bool:
    return any(ch.isalnum() for ch in value)


# --- duplicates ------------------------------------------------------------------------------


def page_hash(page: Image.Image) -> str | None:
    """Difference hash of the first page (hex): near-identical scans of one page hash within a
    few bits of each other, whatever their encoding, size or brightness.

    None for a page with too little detail to tell it from another: on blank paper neighbouring
    cells are equal and their bits are all 0, so two different sparse pages (a line of text, a
    stamp) would hash within the duplicate distance of each other.
    """
    small = np.asarray(page.convert("L").resize((HASH_SIDE + 1, HASH_SIDE), Image.Resampling.LANCZOS), dtype=np.int16)
    differences = small[:, 1:] - small[:, :-1]
    if np.count_nonzero(np.abs(differences) >= _CLEAR_DIFFERENCE) < _MIN_CLEAR_DIFFERENCES:
        return None
    bits = (differences > 0).flatten()
    return f"{int(''.join('1' if b else '0' for b in bits), 2):0{HASH_SIDE * HASH_SIDE // 4}x}"


def hash_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def certificate_key(certificate: CertificateMetadata) -> str:
    """What makes two submissions "the same certificate": its name, issuer and date."""
    return "|".join((_fold(certificate.name), _fold(certificate.institution), certificate.obtained_on.isoformat()))


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", " ", text).strip()


@dataclass(frozen=True)
class Fingerprint:
    submission_id: str
    sha256: str
    certificate_key: str
    page_hash: str | None


def duplicate_findings(
    candidate: Fingerprint, pending: Iterable[Fingerprint], max_hash_distance: int, replaces: str | None = None
) -> list[Finding]:
    """One finding: refused with the pending submission's id when the same file, the same
    certificate or a near-identical first page is already under review for this practitioner.
    A resubmission may look like the version it `replaces`: the reviewer's "request changes"
    may reach this service after the new version does, while the old one still counts as pending."""
    for other in pending:
        if other.submission_id in (candidate.submission_id, replaces):
            continue
        if other.sha256 == candidate.sha256:
            return [
                _fail(
                    "duplicate",
                    "duplicate.pending_file",
                    other.submission_id,
                    "duplicate.of",
                    submission_id=other.submission_id,
                )
            ]
        if other.certificate_key == candidate.certificate_key:
            return [
                _fail(
                    "duplicate",
                    "duplicate.pending_certificate",
                    other.submission_id,
                    "duplicate.of",
                    submission_id=other.submission_id,
                )
            ]
        if (
            candidate.page_hash
            and other.page_hash
            and hash_distance(candidate.page_hash, other.page_hash) <= max_hash_distance
        ):
            return [
                _fail(
                    "duplicate",
                    "duplicate.pending_page",
                    other.submission_id,
                    "duplicate.of",
                    submission_id=other.submission_id,
                )
            ]
    return [_pass("duplicate")]
