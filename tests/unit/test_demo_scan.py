"""The demo's own certificate scan passes the validator's checks with no warning: every line,
the issuer's full name above all, is inside the page and read by OCR (it once ended "…Health
Specialt" at the page's edge)."""

from datetime import date

import pytest

from mumaris.tools.demo import certificate_scan
from services.validator.inspection.checks import CheckLimits, inspect_document
from services.validator.inspection.content import content_findings, tessdata_directory

pytestmark = pytest.mark.skipif(tessdata_directory() is None, reason="Tesseract's language data is not installed")


@pytest.mark.parametrize(
    ("name", "issuer"),
    [
        ("Dr. Noura Al-Qahtani", "Saudi Commission for Health Specialties"),  # what `mumaris demo` uploads
        ("Mohammed Abdullah Al-Harbi", "Imam Abdulrahman Bin Faisal University"),
        ("Dr. Sara Al-Harbi", "Saudi Heart Association"),
    ],
)
def test_the_demo_scan_passes_every_check_with_the_issuer_read_in_full(name: str, issuer: str) -> None:
    issued = date(2025, 6, 30)
    report = inspect_document(certificate_scan(name, issuer, issued), CheckLimits(max_bytes=10 * 2**20))
    content = content_findings(report.page, report.text_layer, name=name, issuer=issuer, obtained_on=issued)

    assert [(f.rule, f.outcome) for f in report.findings + content if f.outcome != "pass"] == []
    by_rule = {f.rule: f for f in content}
    assert by_rule["content.issuer"].score == 1.0, by_rule["content.issuer"]
    assert by_rule["content.issuer"].evidence == issuer  # read in full, and nothing else
    assert by_rule["content.name"].score == 1.0 and by_rule["content.date"].score == 1.0
