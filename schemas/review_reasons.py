"""The catalogue of reasons a reviewer can give for rejecting a submission.

Codes travel on `review.decided` (`reason_codes`) and are read by other systems and by notifier,
so a code is never renamed or reused; a new reason is added at the end. Consumers show an unknown
code as the code itself rather than failing.
"""

from schemas.events import Localized

REJECTION_REASONS: dict[str, Localized] = {
    "document_illegible": Localized(ar="المستند غير مقروء", en="The document cannot be read"),
    "name_mismatch": Localized(
        ar="الاسم في المستند لا يطابق اسم الممارس", en="The name on the document does not match the practitioner"
    ),
    "issuer_not_recognised": Localized(
        ar="الجهة المانحة غير معترف بها", en="The issuing institution is not recognised"
    ),
    "date_mismatch": Localized(ar="تاريخ الحصول لا يطابق المستند", en="The date obtained does not match the document"),
    "not_a_certificate": Localized(ar="المستند ليس شهادة", en="The document is not a certificate"),
    "specialty_mismatch": Localized(
        ar="الشهادة لا تخص تخصص الممارس", en="The certificate is not in the practitioner's specialty"
    ),
    "altered_document": Localized(ar="يظهر على المستند تعديل أو تلاعب", en="The document shows signs of alteration"),
    "incomplete_document": Localized(
        ar="المستند ناقص (صفحات أو أختام مفقودة)", en="The document is incomplete (missing pages or stamps)"
    ),
    "duplicate_submission": Localized(ar="سبق تقديم هذه الشهادة", en="This certificate was already submitted"),
    "other": Localized(ar="سبب آخر (انظر الملاحظة)", en="Another reason (see the note)"),
}

# Reasons that say nothing by themselves: the reviewer must write a note with them.
NEEDS_NOTE = frozenset({"other"})


def reason_label(code: str, locale: str) -> str:
    label = REJECTION_REASONS.get(code)
    if label is None:
        return code
    return label.ar if locale == "ar" else label.en
