"""The classification catalogue: each profession's ladder, what each step requires, and its fee.

Shared data, read by intake (what a request must contain) and review (the fee, the exams an
approval needs). Codes are stable: other systems receive them on `classification.changed`.
A practitioner moves up one step of their own profession's ladder at a time, or enters a ladder
at its first step.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from schemas.events import ClassificationRef, Localized

CENTS = Decimal("0.01")


def money(amount: Decimal) -> Decimal:
    """An amount in riyals with exactly two decimals, as invoices and our JSON carry it
    (`str(money(x))` is "600.00"; `f"{money(x):,}"` is "1,500.00", as the commission prints it)."""
    return amount.quantize(CENTS)


DOCUMENT_TYPES: dict[str, Localized] = {
    "degree": Localized(ar="المؤهل العلمي", en="Degree certificate"),
    "experience_certificate": Localized(ar="شهادة الخبرة", en="Experience certificate"),
    "licence": Localized(ar="الترخيص المهني", en="Professional licence"),
    "exam_result": Localized(ar="نتيجة الاختبار", en="Exam result"),
    "fellowship": Localized(ar="شهادة الزمالة أو البورد", en="Fellowship or board certificate"),
}

EXAMS: dict[str, Localized] = {
    "SNLE": Localized(ar="اختبار الترخيص السعودي للتمريض", en="Saudi Nursing Licensure Exam"),
    "SPLE": Localized(ar="اختبار الترخيص السعودي للصيدلة", en="Saudi Pharmacist Licensure Exam"),
    "SMLE": Localized(ar="اختبار الترخيص الطبي السعودي", en="Saudi Medical Licensing Exam"),
    "PROMOTION": Localized(ar="اختبار الترقية المهنية", en="Professional promotion exam"),
}


@dataclass(frozen=True)
class Classification:
    code: str  # "<profession>.<level>"
    profession: str
    rank: int  # position on the profession's ladder, from 1
    label: Localized
    required_documents: tuple[str, ...]
    required_exams: tuple[str, ...]
    fee: Decimal  # riyals
    conditions: Localized  # what the practitioner accepts by asking

    def ref(self) -> ClassificationRef:
        return ClassificationRef(code=self.code, label=self.label)


CONDITIONS_VERSION = "2026-01"
_CONDITIONS = Localized(
    ar="أقر بصحة المستندات المرفقة، وبأن الطلب يُلغى إذا لم تُسدد رسومه خلال 24 ساعة من إصدار الفاتورة.",
    en="I confirm the attached documents are genuine, and that the request lapses if its fee is not paid "
    "within 24 hours of the invoice.",
)

_LEVELS: tuple[tuple[str, Localized, tuple[str, ...], Decimal], ...] = (
    ("technician", Localized(ar="فني", en="Technician"), ("degree",), Decimal("300")),
    ("specialist", Localized(ar="أخصائي", en="Specialist"), ("degree", "licence"), Decimal("600")),
    (
        "senior_specialist",
        Localized(ar="أخصائي أول", en="Senior Specialist"),
        ("degree", "licence", "experience_certificate"),
        Decimal("900"),
    ),
    (
        "consultant",
        Localized(ar="استشاري", en="Consultant"),
        ("degree", "licence", "experience_certificate", "fellowship"),
        Decimal("1500"),
    ),
)
_PROFESSIONS: dict[str, tuple[Localized, str]] = {
    "nursing": (Localized(ar="تمريض", en="Nursing"), "SNLE"),
    "pharmacy": (Localized(ar="صيدلة", en="Pharmacy"), "SPLE"),
    "medicine": (Localized(ar="طب", en="Medicine"), "SMLE"),
}


def _ladder() -> dict[str, Classification]:
    catalogue: dict[str, Classification] = {}
    for profession, (profession_label, licence_exam) in _PROFESSIONS.items():
        for rank, (level, level_label, documents, fee) in enumerate(_LEVELS, start=1):
            # Entry needs the licensure exam; senior steps also the promotion exam.
            exams = (licence_exam,) if rank <= 2 else (licence_exam, "PROMOTION")
            code = f"{profession}.{level}"
            catalogue[code] = Classification(
                code=code,
                profession=profession,
                rank=rank,
                label=Localized(
                    ar=f"{level_label.ar} {profession_label.ar}", en=f"{profession_label.en} {level_label.en}"
                ),
                required_documents=documents,
                required_exams=exams,
                fee=fee,
                conditions=_CONDITIONS,
            )
    return catalogue


CLASSIFICATIONS: dict[str, Classification] = _ladder()
# Each profession's name (the public register shows it).
PROFESSIONS: dict[str, Localized] = {code: label for code, (label, _) in _PROFESSIONS.items()}


def allowed_step(current: str | None, target: str) -> bool:
    """One step up the practitioner's own ladder, or the first step of a ladder when they have none."""
    wanted = CLASSIFICATIONS.get(target)
    if wanted is None:
        return False
    if current is None:
        return wanted.rank == 1
    now = CLASSIFICATIONS.get(current)
    return now is not None and now.profession == wanted.profession and wanted.rank == now.rank + 1


# --- exams a classification needs (review approves on them; the portal shows them) ----------------


class ExamStanding(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # taken, never passed
    MISSING = "missing"  # no result at all


@dataclass(frozen=True)
class ExamResult:
    exam: str
    passed: bool


def exam_standing(required: Sequence[str], results: Iterable[ExamResult]) -> dict[str, ExamStanding]:
    """Each required exam, in the catalogue's order: passed if any result for it passed (a later
    failed attempt does not undo a pass), failed if it was only ever failed, else missing."""
    taken: dict[str, bool] = {}
    for result in results:
        taken[result.exam] = taken.get(result.exam, False) or result.passed
    return {
        exam: ExamStanding.MISSING if exam not in taken else ExamStanding.PASSED if taken[exam] else ExamStanding.FAILED
        for exam in required
    }
