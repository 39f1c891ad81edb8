"""What may be declared about a certificate, judged alike wherever the declaration enters: a
practitioner's upload, a resubmission, and a record of the gov.certificates feed (intake refuses
them at the door with these codes; the validator reports the same codes as findings).

Pure: no clock inside. `today` is the caller's calendar day in Riyadh (`mumaris.clock.today_in_riyadh`),
the day the practitioner lives in, so a certificate obtained "today" is never "in the future" for a
server running in UTC three hours behind.
"""

from datetime import date
from typing import Any

from mumaris.errors import Refusal
from schemas.events import CertificateMetadata

# Older than this is a typo, not the certificate of a practising professional.
EARLIEST_OBTAINED_ON = date(1950, 1, 1)


class CertificateRefused(Refusal):
    """A declaration that cannot be true: `.field` (the metadata field) and `.details` (what the
    caller may show: the field, the value and the dates allowed)."""

    def __init__(self, code: str, field: str, details: dict[str, Any]) -> None:
        super().__init__(code, details)
        self.field = field


def check_obtained_on(obtained_on: date, today: date) -> None:
    """Refuses a date after `today` ("metadata.date_in_future") or before 1950 ("metadata.date_implausible")."""
    window = {
        "field": "obtained_on",
        "obtained_on": obtained_on.isoformat(),
        "earliest": EARLIEST_OBTAINED_ON.isoformat(),
        "latest": today.isoformat(),
    }
    if obtained_on > today:
        raise CertificateRefused("metadata.date_in_future", "obtained_on", window)
    if obtained_on < EARLIEST_OBTAINED_ON:
        raise CertificateRefused("metadata.date_implausible", "obtained_on", window)


def check_expires_on(obtained_on: date, expires_on: date | None) -> None:
    """A certificate that expires (a life-support course: BLS, ACLS) expires after it was obtained
    ("metadata.expiry_before_obtained"); one already expired may still be recorded (the profile
    marks it expired)."""
    if expires_on is not None and expires_on <= obtained_on:
        details = {"field": "expires_on", "obtained_on": obtained_on.isoformat(), "expires_on": expires_on.isoformat()}
        raise CertificateRefused("metadata.expiry_before_obtained", "expires_on", details)


def has_expired(expires_on: date | str | None, today: date) -> bool:
    """A certificate with an expiry is no longer valid from its `expires_on` day on."""
    if expires_on is None:
        return False
    day = expires_on if isinstance(expires_on, date) else date.fromisoformat(expires_on)
    return day <= today


def check_certificate(certificate: CertificateMetadata, today: date) -> None:
    """Every rule on a declared certificate that needs nothing but the declaration and the day."""
    check_obtained_on(certificate.obtained_on, today)
    check_expires_on(certificate.obtained_on, certificate.expires_on)
