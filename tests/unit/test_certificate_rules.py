"""What may be declared about a certificate (mumaris/certificates.py): the same rule for uploads,
resubmissions and the gov.certificates feed."""

from datetime import date, timedelta

import pytest

from mumaris.certificates import (
    EARLIEST_OBTAINED_ON,
    CertificateRefused,
    check_certificate,
    check_obtained_on,
)
from mumaris.errors import MESSAGES
from schemas.events import CertificateMetadata

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize("obtained_on", [TODAY, TODAY - timedelta(days=1), EARLIEST_OBTAINED_ON, date(1987, 2, 28)])
def test_a_date_from_1950_up_to_today_is_possible(obtained_on: date) -> None:
    check_obtained_on(obtained_on, TODAY)


@pytest.mark.parametrize(
    ("obtained_on", "code"),
    [
        (TODAY + timedelta(days=1), "metadata.date_in_future"),
        (date(2099, 1, 1), "metadata.date_in_future"),
        (EARLIEST_OBTAINED_ON - timedelta(days=1), "metadata.date_implausible"),
        (date(1, 1, 1), "metadata.date_implausible"),
    ],
)
def test_a_date_in_the_future_or_before_1950_is_refused_with_its_code_and_the_window(
    obtained_on: date,
    code: str,
) -> None:
    with pytest.raises(CertificateRefused) as refused:
        check_obtained_on(obtained_on, TODAY)
    assert (refused.value.code, refused.value.field) == (code, "obtained_on")
    assert refused.value.details == {
        "field": "obtained_on",
        "obtained_on": obtained_on.isoformat(),
        "earliest": "1950-01-01",
        "latest": "2026-11-25",
    }
    ar, en = MESSAGES[code]
    assert ar and en


def test_the_whole_declaration_is_checked() -> None:
    declared = CertificateMetadata(
        name="BLS",
        obtained_on=date(2099, 1, 1),
        institution="Saudi Heart Association",
        specialty="Nursing",
        degree="Course",
    )
    with pytest.raises(CertificateRefused):
        check_certificate(declared, TODAY)
    check_certificate(declared.model_copy(update={"obtained_on": TODAY}), TODAY)
