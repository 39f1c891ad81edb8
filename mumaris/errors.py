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
    # image clarity (a JPEG, or the first page of a scanned PDF)
    "image.too_small": ("دقة الصورة منخفضة جداً؛ أرفق مسحاً ضوئياً أو صورة بدقة أعلى.", "The image resolution is too low; attach a scan or photo with a higher resolution."),
    "image.too_dark": ("الصورة داكنة جداً؛ أعد تصوير المستند في إضاءة أفضل.", "The image is too dark; photograph the document again in better light."),
    "image.too_bright": ("الصورة ساطعة جداً أو باهتة؛ أعد تصوير المستند دون وهج أو فلاش.", "The image is too bright or washed out; photograph the document again without glare or flash."),
    "image.low_contrast": ("تباين الصورة ضعيف فلا يمكن تمييز الكتابة بوضوح؛ أعد مسح المستند أو تصويره.", "The image has too little contrast to make out the writing; scan or photograph the document again."),
    "image.blurry": ("المسح الضوئي غير واضح؛ أعد مسح المستند أو تصويره بحيث تكون الكتابة واضحة ومقروءة.", "The scan is not clear; scan or photograph the document again so that the writing is sharp and readable."),
    # declared metadata and duplicates (validator)
    "metadata.date_in_future": ("تاريخ الحصول على الشهادة في المستقبل.", "The date the certificate was obtained is in the future."),
    "metadata.date_implausible": ("تاريخ الحصول على الشهادة غير منطقي؛ تحقق منه.", "The date the certificate was obtained is not plausible; check it."),
    "metadata.field_missing": ("بعض بيانات الشهادة فارغة (الجهة المانحة أو التخصص أو الدرجة).", "Some certificate details are empty (issuer, specialty or degree)."),
    "duplicate.pending_file": ("أرسلت هذا الملف من قبل وما زال قيد المراجعة.", "You already sent this file and it is still under review."),
    "duplicate.pending_certificate": ("أرسلت هذه الشهادة من قبل وما زالت قيد المراجعة.", "You already submitted this certificate and it is still under review."),
    "duplicate.pending_page": ("هذا المستند مطابق لمستند أرسلته وما زال قيد المراجعة.", "This document matches one you sent that is still under review."),
    # review
    "review.already_decided": ("تم اتخاذ قرار في هذا الطلب مسبقاً.", "This item has already been decided."),
    "review.reason_required": ("يجب ذكر السبب عند الرفض أو طلب التعديل.", "A reason is required to reject or request changes."),
    # content of a document: hints for the reviewer, never a refusal
    "content.name_not_found": ("لم يُعثر على اسم الممارس الصحي في المستند؛ تحقق منه يدوياً.", "The practitioner's name was not found on the document; check it by eye."),
    "content.issuer_not_found": ("لم يُعثر على اسم الجهة المانحة في المستند؛ تحقق منه يدوياً.", "The issuing institution was not found on the document; check it by eye."),
    "content.date_not_found": ("لم يُعثر في المستند على تاريخ الحصول على الشهادة كما أدخله الممارس؛ تحقق منه يدوياً.", "The date the certificate was obtained, as declared, was not found on the document; check it by eye."),
    "content.unreadable": ("تعذرت قراءة نص المستند آلياً؛ تحقق يدوياً من الاسم والجهة المانحة والتاريخ.", "The document's text could not be read automatically; check the name, issuer and date by eye."),
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
