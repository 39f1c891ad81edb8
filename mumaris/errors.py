"""Stable machine codes with Arabic and English messages: the one catalogue of what we tell people.

HTTP errors and validation findings both use it. A code never changes meaning once published.
"""

from dataclasses import dataclass
from typing import Any

from schemas.events import Localized

MESSAGES: dict[str, tuple[str, str]] = {
    # request
    "request.invalid": ("الطلب غير مكتمل أو يحتوي على بيانات غير صحيحة.", "The request is incomplete or has invalid data."),
    "request.metadata_invalid": ("بيانات الشهادة غير صحيحة.", "The certificate details are not valid."),
    "auth.required": ("يلزم تسجيل الدخول.", "You need to sign in."),
    "auth.invalid_token": ("رمز الدخول غير صالح أو منتهي.", "The sign-in token is invalid or has expired."),
    "auth.forbidden": ("ليست لديك صلاحية لهذا الإجراء.", "You are not allowed to do this."),
    "not_found": ("العنصر المطلوب غير موجود.", "The requested item does not exist."),
    "service.unavailable": ("الخدمة غير متاحة مؤقتاً، حاول لاحقاً.", "The service is temporarily unavailable; try again later."),
    # files
    "file.missing": ("لم يتم إرفاق ملف.", "No file was attached."),
    "file.empty": ("الملف المرفق فارغ.", "The attached file is empty."),
    "file.too_large": ("حجم الملف يتجاوز الحد المسموح.", "The file is larger than the allowed size."),
    "file.unsupported_type": ("نوع الملف غير مدعوم؛ أرفق ملف PDF أو JPEG.", "This file type is not accepted; attach a PDF or a JPEG."),
    "file.corrupt": ("الملف تالف أو لا يمكن قراءته.", "The file is damaged or cannot be read."),
    "file.duplicate_pending": ("أرسلت هذا الملف من قبل وهو قيد المراجعة.", "You already sent this file and it is under review."),
    "file.image_too_large": ("أبعاد الصورة تتجاوز الحد المسموح؛ أرفق صورة بدقة أقل.", "The image dimensions exceed the allowed limit; attach a lower-resolution image."),
    "file.pdf_encrypted": ("ملف PDF محمي بكلمة مرور أو مشفر؛ أرفق نسخة غير محمية.", "The PDF is password-protected or encrypted; attach an unprotected copy."),
    "file.pdf_page_count": ("عدد صفحات ملف PDF غير مقبول؛ يجب ألا يقل عن صفحة واحدة وألا يتجاوز الحد المسموح.", "The PDF has an unacceptable number of pages: it needs at least one page and no more than the allowed maximum."),
    "file.pdf_active_content": ("يحتوي ملف PDF على نصوص برمجية أو ملفات مضمنة أو إجراءات تلقائية، وهذا غير مسموح.", "The PDF contains scripts, embedded files or automatic actions, which are not allowed."),
    # review
    "review.already_decided": ("تم اتخاذ قرار في هذا الطلب مسبقاً.", "This item has already been decided."),
    "review.reason_required": ("يجب ذكر السبب عند الرفض أو طلب التعديل.", "A reason is required to reject or request changes."),
}


def localized(code: str) -> Localized:
    ar, en = MESSAGES[code]
    return Localized(ar=ar, en=en)


@dataclass
class ApiError(Exception):
    """A refusal a client can act on: HTTP status, stable code, Arabic + English message."""

    status: int
    code: str
    details: Any = None
    headers: dict[str, str] | None = None

    def body(self) -> dict[str, Any]:
        message = localized(self.code)
        error: dict[str, Any] = {"code": self.code, "message": {"ar": message.ar, "en": message.en}}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}
