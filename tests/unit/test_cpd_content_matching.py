"""A CPD certificate's declared accreditation number and hours, looked for in its text (the PDF's
text layer or the OCR of the scan): hints for the reviewer, never a refusal."""

from datetime import date
from decimal import Decimal

from schemas.events import CpdActivity
from services.validator.inspection.content import match_content

ACTIVITY = CpdActivity(
    title="ACLS update",
    provider="Saudi Heart Association",
    accreditation_number="SHA-2026/0412",
    category="workshop",
    hours=Decimal("6.5"),
    attended_on=date(2026, 11, 20),
)
TEXT = """Saudi Heart Association
This certifies that Noura Al-Qahtani attended Advanced Cardiac Life Support update
on 20 November 2026 — 6.5 CME hours. Accreditation No. sha 2026-0412"""


def findings(text: str, activity: CpdActivity | None = ACTIVITY) -> dict[str, tuple[str, str | None]]:
    found = match_content(
        text, name="Noura Al-Qahtani", issuer="Saudi Heart Association", obtained_on=date(2026, 11, 20), cpd=activity
    )
    return {f.rule: (f.outcome, f.code if f.outcome == "warn" else f.evidence) for f in found}


def test_the_accreditation_number_and_the_hours_are_found_as_written() -> None:
    found = findings(TEXT)
    assert found["content.cpd_accreditation"] == ("pass", "sha 2026-0412")
    assert found["content.cpd_hours"][0] == "pass" and "6.5 CME" in str(found["content.cpd_hours"][1])
    arabic = findings("الجمعية السعودية للقلب نورة القحطاني ٦٫٥ ساعات تدريبية رقم الاعتماد SHA-2026/0412 20/11/2026")
    assert arabic["content.cpd_hours"][0] == "pass" and arabic["content.cpd_accreditation"][0] == "pass"


def test_other_numbers_are_hints_to_check_by_eye_not_refusals() -> None:
    found = findings(TEXT.replace("6.5 CME hours", "65 CME hours").replace("0412", "0421"))
    assert found["content.cpd_hours"] == ("warn", "content.cpd_hours_not_found")
    assert found["content.cpd_accreditation"] == ("warn", "content.cpd_accreditation_not_found")
    assert findings(TEXT.replace("6.5 CME hours", "6.5"))["content.cpd_hours"][0] == "warn"  # a number alone


def test_a_whole_number_of_hours_matches_with_or_without_decimals_and_other_certificates_get_no_cpd_findings() -> None:
    twenty = ACTIVITY.model_copy(update={"hours": Decimal("20")})
    assert findings("Total: 20.0 hours of CPD", twenty)["content.cpd_hours"][0] == "pass"
    assert findings("Total: 120 hours", twenty)["content.cpd_hours"][0] == "warn"
    assert set(findings(TEXT, None)) == {"content.name", "content.issuer", "content.date"}


def test_a_recognition_request_has_its_hours_claimed_looked_for_and_no_accreditation_number() -> None:
    text = "Resuscitation Council UK. Noura Al-Qahtani completed Advanced Life Support, 8 CPD credits, 20/11/2026"

    def recognised(hours: str) -> dict[str, tuple[str, str | None]]:
        found = match_content(
            text,
            name="Noura Al-Qahtani",
            issuer="Resuscitation Council UK",
            obtained_on=date(2026, 11, 20),
            hours_claimed=Decimal(hours),
        )
        return {f.rule: (f.outcome, f.code if f.outcome == "warn" else f.evidence) for f in found}

    found = recognised("8")
    assert found["content.cpd_hours"][0] == "pass" and "content.cpd_accreditation" not in found
    assert recognised("12")["content.cpd_hours"] == ("warn", "content.cpd_hours_not_found")  # more claimed than shown
