"""Every word the reviewer console shows, in Arabic and English, and how it writes times and ages.

Templates never hold text of their own: they call `t("key")`. Refusals (ApiError codes) keep their
wording in `mumaris.errors.MESSAGES`, the catalogue the JSON API uses too.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mumaris.web import LANGS, Lang
from mumaris.web import Words as PageWords

__all__ = ["LANGS", "TEXT", "Lang", "Words"]

# key → (Arabic, English). `{name}` placeholders are filled by t("key", name=...).
TEXT: dict[str, tuple[str, str]] = {
    # frame
    "app_title": ("ممارس — لوحة المراجعة", "Mumaris — review console"),
    "other_language": ("English", "العربية"),
    "nav_queue": ("قائمتي", "My queue"),
    "nav_supervise": ("الإشراف", "Supervision"),
    "sign_out": ("تسجيل الخروج", "Sign out"),
    "signed_in_as": ("مسجل الدخول باسم {name}", "Signed in as {name}"),
    "role.reviewer": ("مراجع", "reviewer"),
    "role.supervisor": ("مشرف", "supervisor"),
    "role.admin": ("مسؤول النظام", "administrator"),
    "error_title": ("تعذر تنفيذ الطلب", "The request could not be carried out"),
    "back_to_queue": ("العودة إلى قائمتي", "Back to my queue"),
    "none": ("لا يوجد", "None"),
    "list_separator": ("، ", ", "),
    # sign-in
    "sign_in_title": ("تسجيل دخول المراجعين", "Reviewer sign-in"),
    "sign_in_intro": (
        "استخدم حساب الموظف الذي أنشأته إدارة العمليات.",
        "Use the staff account that operations created for you.",
    ),
    "email": ("البريد الإلكتروني", "E-mail address"),
    "password": ("كلمة المرور", "Password"),
    "sign_in": ("تسجيل الدخول", "Sign in"),
    # my queue
    "queue_title": ("قائمتي", "My queue"),
    "held_title": ("الطلبات التي أستلمها", "Items I hold"),
    "held_empty": ("لا تستلم أي طلب الآن.", "You hold no items right now."),
    "waiting_title": ("طلبات بانتظار المراجعة يمكنني استلامها", "Waiting items I can claim"),
    "waiting_empty": ("لا توجد طلبات بانتظار المراجعة.", "Nothing is waiting for review."),
    "claim_next": ("استلام الطلب التالي", "Claim next"),
    "claim": ("استلام", "Claim"),
    "renew": ("تمديد الاستلام", "Renew"),
    "release": ("إرجاع إلى القائمة", "Release"),
    "open": ("فتح", "Open"),
    "col_item": ("الطلب", "Item"),
    "col_kind": ("النوع", "Kind"),
    "col_practitioner": ("الممارس الصحي", "Practitioner"),
    "col_certificate": ("الشهادة", "Certificate"),
    "col_age": ("مدة الانتظار", "Waiting"),
    "col_sla_due": ("موعد الإنجاز", "Due by"),
    "col_lease": ("ينتهي الاستلام", "Lease ends"),
    "col_state": ("الحالة", "State"),
    "col_check": ("الفحص", "Check"),
    "col_queued": ("تاريخ الورود", "Queued"),
    "col_actions": ("إجراءات", "Actions"),
    "badge_resubmission": ("إعادة تقديم", "Resubmission"),
    "badge_reserved_for_you": ("محجوز لك", "Reserved for you"),
    "badge_past_sla": ("متأخر", "Past due"),
    "kind.certificate": ("شهادة", "Certificate"),
    "kind.profile_change": ("تعديل بيانات شخصية", "Change of personal data"),
    "kind.classification": ("تغيير التصنيف المهني", "Change of classification"),
    "kind.classification_document": ("مستند طلب تصنيف", "Classification document"),
    "kind.cpd_activity": ("نشاط تعليم مستمر", "CPD activity"),
    "kind.cpd_recognition": ("معادلة ساعات تعليم مستمر من الخارج", "Recognition of CPD hours from abroad"),
    # a CPD activity's or a recognition request's own checks (item page)
    "cpd_title": ("بيانات نشاط التعليم المستمر", "CPD activity"),
    "recognition_title": ("طلب معادلة ساعات التعليم المستمر", "CPD recognition request"),
    "recognition_see_below": (
        "ما قدّمه الممارس في طلب المعادلة أدناه.",
        "What the practitioner declared is in the recognition request below.",
    ),
    "cpd.title": ("عنوان النشاط", "Title"),
    "cpd.provider": ("مقدم النشاط", "Provider"),
    "cpd.accreditation_number": ("رقم الاعتماد", "Accreditation number"),
    "cpd.category": ("الفئة", "Category"),
    "cpd.hours": ("الساعات", "Hours"),
    "cpd.hours_claimed": ("الساعات المطلوبة", "Hours claimed"),
    "cpd.country": ("الدولة", "Country"),
    "cpd.attended_on": ("تاريخ النشاط", "Date attended"),
    "cpd.checks": ("ما وُجد في المستند", "Found in the document"),
    "cpd.check_missing": ("لم يُفحص", "Not checked"),
    "cpd.hours_recognised": ("الساعات المعتمدة", "Hours recognised"),
    "cpd.hours_recognised_hint": (
        "حتى {claimed} ساعة كما في الطلب؛ يمكن اعتماد عدد أقل.",
        "Up to the {claimed} hours claimed; you may recognise fewer.",
    ),
    "profile_change_title": ("طلب تعديل البيانات الشخصية", "Change of personal data"),
    # notices after an action
    "done.claimed": ("تم استلام الطلب.", "You now hold this item."),
    "done.renewed": ("تم تمديد الاستلام.", "Your claim was renewed."),
    "done.released": ("أُرجع الطلب إلى القائمة.", "The item is back in the queue."),
    "done.decided": ("تم تسجيل القرار وإبلاغ الممارس الصحي.", "The decision is recorded and the practitioner is told."),
    "done.nothing_waiting": ("لا يوجد طلب بانتظارك الآن.", "Nothing is waiting for you right now."),
    "done.signed_out": ("تم تسجيل الخروج.", "You have signed out."),
    "done.session_ended": ("انتهت الجلسة؛ سجّل الدخول مرة أخرى.", "Your session has ended; please sign in again."),
    # the item
    "item_title": ("مراجعة الطلب", "Review item"),
    "document": ("المستند", "Document"),
    "document_alt": ("المستند المرفوع", "The uploaded document"),
    "page_n": ("الصفحة {n} من {total}", "Page {n} of {total}"),
    "open_original_pdf": ("فتح ملف PDF الأصلي", "Open the original PDF"),
    "open_original": ("فتح الملف الأصلي", "Open the original file"),
    "claim_to_view": ("استلم هذا الطلب لعرض المستند.", "Claim this item to see the document."),
    "no_document": ("لا يوجد مستند لهذا النوع من الطلبات.", "This kind of item has no document."),
    "submitted_data": ("البيانات المقدمة", "Submitted details"),
    "field.name": ("اسم الشهادة", "Certificate name"),
    "field.obtained_on": ("تاريخ الحصول", "Date obtained"),
    "field.institution": ("الجهة المانحة", "Institution"),
    "field.specialty": ("التخصص", "Specialty"),
    "field.degree": ("الدرجة", "Degree"),
    "field.first_name": ("الاسم الأول", "First name"),
    "field.last_name": ("اسم العائلة", "Last name"),
    "field.first_name_latin": ("الاسم الأول بالحروف اللاتينية", "First name in Latin letters"),
    "field.last_name_latin": ("اسم العائلة بالحروف اللاتينية", "Last name in Latin letters"),
    "field.mobile": ("رقم الجوال", "Mobile number"),
    "field.locale": ("اللغة", "Language"),
    "old_value": ("القيمة الحالية", "Current value"),
    "new_value": ("القيمة المطلوبة", "Requested value"),
    "version": ("الإصدار", "Version"),
    "version_of": (
        "الإصدار {version} — إعادة تقديم بعد طلب تعديل",
        "Version {version} — resubmitted after a request for changes",
    ),
    "previous_version": ("الإصدار السابق", "Previous version"),
    "previous_message": ("ما طُلب تعديله", "What was asked for"),
    "findings": ("نتائج الفحص الآلي", "Automated checks"),
    "group.clarity": ("وضوح المسح", "Scan clarity"),
    "group.content": ("النص في المستند (التعرف الضوئي)", "Text on the document (OCR)"),
    "group.duplicates": ("التكرار", "Duplicates"),
    "group.file": ("الملف", "File"),
    "outcome.pass": ("ناجح", "pass"),
    "outcome.fail": ("مرفوض", "fail"),
    "outcome.warn": ("تنبيه", "check"),
    "score": ("الدرجة", "Score"),
    "evidence": ("ما وُجد", "Found"),
    "no_findings": ("لا توجد نتائج فحص آلي لهذا الطلب.", "There are no automated findings for this item."),
    "duplicate_of": ("مطابق للطلب", "Matches item"),
    "rule.file.present": ("وجود الملف", "File attached"),
    "rule.file.size": ("حجم الملف", "File size"),
    "rule.file.type": ("نوع الملف", "File type"),
    "rule.file.parse": ("قراءة الملف", "File readable"),
    "rule.image.resolution": ("الدقة", "Resolution"),
    "rule.image.exposure": ("الإضاءة", "Exposure"),
    "rule.image.contrast": ("التباين", "Contrast"),
    "rule.image.sharpness": ("الحدة (درجة الوضوح)", "Sharpness (clarity score)"),
    "rule.content.name": ("اسم الممارس", "Practitioner's name"),
    "rule.content.issuer": ("الجهة المانحة", "Issuer"),
    "rule.content.date": ("تاريخ الحصول", "Date obtained"),
    "rule.content.ocr": ("قراءة النص", "Text recognition"),
    "rule.content.cpd_hours": ("ساعات التعليم المستمر", "CPD hours"),
    "rule.content.cpd_accreditation": ("رقم اعتماد النشاط", "Accreditation number"),
    "rule.duplicate": ("طلبات قيد المراجعة", "Submissions under review"),
    "rule.metadata.date": ("تاريخ الحصول المدخل", "Declared date"),
    "rule.metadata.fields": ("اكتمال البيانات", "Details complete"),
    "group.metadata": ("البيانات المدخلة", "Declared details"),
    # a classification request (documents, fee, exams)
    "classification_title": ("طلب تغيير التصنيف المهني", "Change of professional classification"),
    "current_classification": ("التصنيف الحالي", "Current classification"),
    "target_classification": ("التصنيف المطلوب", "Requested classification"),
    "membership_number": ("رقم العضوية", "Membership number"),
    "fee_paid": ("الرسوم", "Fee"),
    "fee_paid_value": ("{amount} ريال — الفاتورة {bill}، سُددت في {at}", "SAR {amount} — bill {bill}, paid {at}"),
    "classification_documents": ("المستندات المطلوبة", "Required documents"),
    "classification_documents_hint": (
        "لهذا الطلب عدة مستندات؛ افتح كل مستند من قائمة المستندات المطلوبة.",
        "This request has several documents: open each one from the list of required documents.",
    ),
    "col_document": ("المستند", "Document"),
    "col_checks": ("الفحص الآلي", "Automated checks"),
    "checks_summary": ("{passed} ناجح، {warn} للتحقق", "{passed} passed, {warn} to check"),
    "open_document": ("فتح المستند", "Open"),
    "exams": ("الاختبارات المطلوبة", "Required exams"),
    "exams_none": ("لا يتطلب هذا التصنيف اختبارات.", "This classification requires no exams."),
    "exams_block_approval": (
        "لا يمكن الاعتماد قبل اجتياز جميع الاختبارات المطلوبة.",
        "Approval is not possible until every required exam has been passed.",
    ),
    "col_exam": ("الاختبار", "Exam"),
    "col_taken_on": ("تاريخ الاختبار", "Date taken"),
    "exam.passed": ("ناجح", "passed"),
    "exam.failed": ("لم يجتز", "failed"),
    "exam.missing": ("لا توجد نتيجة", "missing"),
    "earlier": ("الطلبات السابقة لهذا الممارس", "This practitioner's earlier submissions"),
    "earlier_empty": ("لا توجد طلبات سابقة.", "No earlier submissions."),
    "history": ("سجل التدقيق", "Audit trail"),
    # claim and state
    "claim_status": ("الاستلام", "Claim"),
    "held_by_you": ("أنت تستلم هذا الطلب حتى {until}.", "You hold this item until {until}."),
    "held_by_other": ("يستلمه {name} حتى {until}.", "{name} holds this item until {until}."),
    "free_to_claim": ("لا أحد يستلم هذا الطلب.", "Nobody holds this item."),
    "reserved_for_you": (
        "محجوز لك حتى {until} لأنك طلبت التعديل.",
        "Reserved for you until {until}, since you asked for the changes.",
    ),
    "reserved_for_other": (
        "محجوز حتى {until} للمراجع الذي طلب التعديل.",
        "Held until {until} for the reviewer who asked for the changes.",
    ),
    "state.waiting": ("بانتظار المراجعة", "waiting"),
    "state.claimed": ("قيد المراجعة", "claimed"),
    "state.approved": ("معتمد", "approved"),
    "state.rejected": ("مرفوض", "rejected"),
    "state.changes_requested": ("مطلوب تعديل", "changes requested"),
    "decided_by": ("القرار: {decision} — {name}، {at}", "Decision: {decision} — {name}, {at}"),
    "decision.approve": ("اعتماد", "approve"),
    "decision.reject": ("رفض", "reject"),
    "decision.request_changes": ("طلب تعديل", "request changes"),
    "reason_codes": ("أسباب الرفض", "Rejection reasons"),
    # the decision forms
    "decide": ("القرار", "Decision"),
    "approve_title": ("اعتماد", "Approve"),
    "approve_hint": ("المستند والبيانات صحيحة ومتطابقة.", "The document and the details are correct and match."),
    "approve_button": ("اعتماد الطلب", "Approve"),
    "reject_title": ("رفض", "Reject"),
    "reject_hint": (
        "اختر سبباً واحداً على الأقل؛ السبب «أخرى» يتطلب ملاحظة.",
        "Choose at least one reason; “another reason” needs a note.",
    ),
    "note": ("ملاحظة للممارس", "Note to the practitioner"),
    "reject_button": ("رفض الطلب", "Reject"),
    "changes_title": ("طلب تعديل", "Request changes"),
    "changes_hint": (
        "يصل هذا النص إلى الممارس، ويعود إليك الطلب المعدّل.",
        "The practitioner receives this message; the corrected version comes back to you.",
    ),
    "message": ("الرسالة إلى الممارس", "Message to the practitioner"),
    "changes_button": ("إرسال طلب التعديل", "Request changes"),
    "claim_to_decide": ("استلم الطلب لاتخاذ القرار.", "Claim the item to decide."),
    "to_decision": ("الانتقال إلى القرار", "Go to the decision"),
    "approve_note": (
        "ملاحظة داخلية (اختيارية، تُحفظ مع القرار ولا تُرسل إلى الممارس)",
        "Internal note (optional: kept with the decision, not sent to the practitioner)",
    ),
    "confirm_approve_title": ("تأكيد الاعتماد", "Confirm the approval"),
    "confirm_approve_text": (
        "سيُعتمد «{item}» للممارس {name} ويُبلَّغ بذلك فوراً، ولا يمكن التراجع عن القرار.",
        "“{item}” of {name} will be approved and the practitioner told at once; the decision cannot be undone.",
    ),
    "confirm_approve_button": ("نعم، اعتمد الطلب", "Yes, approve"),
    "cancel": ("إلغاء", "Cancel"),
    "decided_document.approve": ("صدر القرار باعتماده من {name} في {at}.", "Decided: approved by {name} on {at}."),
    "decided_document.reject": ("صدر القرار برفضه من {name} في {at}.", "Decided: rejected by {name} on {at}."),
    "decided_document.request_changes": (
        "صدر القرار بطلب تعديله من {name} في {at}.",
        "Decided: changes requested by {name} on {at}.",
    ),
    "decided_document_supervisors": (
        "لا يُستلم طلب صدر فيه القرار؛ يفتح المشرفون مستنده.",
        "A decided item cannot be claimed; supervisors can open its document.",
    ),
    "times_riyadh": ("الأوقات بتوقيت الرياض", "Times are Riyadh time"),
    # audit trail
    "history_title": ("سجل التدقيق", "Audit trail"),
    "history_empty": ("لا توجد إدخالات.", "No entries."),
    "col_when": ("الوقت", "When"),
    "col_who": ("من", "Who"),
    "col_action": ("الإجراء", "Action"),
    "col_address": ("العنوان", "Address"),
    "col_details": ("التفاصيل", "Details"),
    "action.claimed": ("استلام", "claimed"),
    "action.renewed": ("تمديد", "renewed"),
    "action.released": ("إرجاع", "released"),
    "action.decided": ("قرار", "decided"),
    "action.document_viewed": ("عرض المستند", "document viewed"),
    # what an audit entry's details say (pages.audit_details)
    "audit.lease_until": ("الاستلام حتى {at}", "lease until {at}"),
    "audit.lapsed_claim_of": ("بعد انتهاء استلام {name}", "after {name}'s lease lapsed"),
    "audit.held_by": ("كان يستلمه {name}", "was held by {name}"),
    "audit.decision": ("القرار: {decision}", "decision: {decision}"),
    "audit.reason_codes": ("الأسباب: {reasons}", "reasons: {reasons}"),
    "audit.note": ("الملاحظة: «{note}»", "note: “{note}”"),
    "audit.via.console": ("من لوحة المراجعة", "in the console"),
    "audit.via.api": ("عبر واجهة البرمجة", "through the API"),
    "audit.page": ("الصفحة {n}", "page {n}"),
    "audit.document": ("المستند {id}", "document {id}"),
    "back_to_item": ("العودة إلى الطلب", "Back to the item"),
    # supervision
    "supervise_title": ("الإشراف على قائمة المراجعة", "Supervising the review queue"),
    "counts": ("الطلبات حسب الحالة", "Items by state"),
    "past_sla": ("تجاوزت موعد الإنجاز", "Past their due date"),
    "oldest_waiting": ("أقدم طلب ينتظر", "Oldest waiting item"),
    "filters": ("تصفية", "Filter"),
    "any": ("الكل", "any"),
    "filter.kind": ("النوع", "Kind"),
    "filter.state": ("الحالة", "State"),
    "filter.reviewer": ("معرف المراجع", "Reviewer id"),
    "filter.specialty": ("التخصص", "Specialty"),
    "filter.waiting_hours": ("ينتظر أكثر من (ساعات)", "Waiting longer than (hours)"),
    "filter.text": ("اسم الممارس أو الشهادة", "Practitioner or certificate name"),
    "apply": ("تطبيق", "Apply"),
    "results": ("{shown} من {total} طلب", "{shown} of {total} items"),
    "previous_page": ("السابق", "Previous"),
    "next_page": ("التالي", "Next"),
    "col_reviewer": ("المراجع", "Reviewer"),
    # a supervisor's registrations (registrations.html)
    "nav_registrations": ("التسجيل المهني", "Registrations"),
    "registrations_title": ("التسجيل المهني: الإيقاف ورفعه", "Professional registrations: suspension"),
    "registrations_intro": (
        "ابحث عن تسجيل مهني برقمه لترى حالته، ثم أوقفه أو ارفع إيقافه مع ذكر السبب. "
        "يُحفظ كل إجراء في سجل التسجيل ويُبلَّغ به جهات عمل الممارس.",
        "Find a registration by its number to see its status, then suspend it or lift its suspension "
        "with a reason. Each step is kept on the registration's history and announced to the practitioner's "
        "employers.",
    ),
    "registration.number": ("رقم التسجيل المهني", "Registration number"),
    "registration.number_hint": ("مثال: RG-00000018", "For example RG-00000018"),
    "registration.look_up": ("بحث", "Look up"),
    "registration.found_title": ("التسجيل {number}", "Registration {number}"),
    "registration.status": ("الحالة", "Status"),
    "registration.practitioner": ("الممارس الصحي", "Practitioner"),
    "registration.classification": ("التصنيف المهني", "Classification"),
    "registration.expires_on": ("تاريخ الانتهاء", "Expires on"),
    "registration.suspension_reason": ("سبب الإيقاف", "Reason for the suspension"),
    "registration.suspended_at": ("تاريخ الإيقاف", "Suspended on"),
    "registration.state.active": ("ساري", "Active"),
    "registration.state.renewal_open": ("ساري، التجديد متاح", "Active, renewal open"),
    "registration.state.renewed": ("ساري، مجدَّد", "Active, renewed"),
    "registration.state.grace": ("في مهلة التجديد", "In its grace period"),
    "registration.state.lapsed": ("منتهٍ", "Lapsed"),
    "registration.state.suspended": ("موقوف", "Suspended"),
    "registration.reason": ("السبب (يُحفظ في سجل التسجيل)", "Reason (kept on the registration's history)"),
    "registration.reason_hint": ("من 3 إلى 500 حرف.", "3 to 500 characters."),
    "registration.suspend_title": ("إيقاف التسجيل", "Suspend the registration"),
    "registration.suspend_hint": (
        "لن يُنفَّذ الإيقاف بعد: سيُطلب منك تأكيده أولاً.",
        "This does not decide yet: you will be asked to confirm first.",
    ),
    "registration.suspend": ("إيقاف…", "Suspend…"),
    "registration.confirm_title": ("تأكيد إيقاف التسجيل", "Confirm the suspension"),
    "registration.confirm_text": (
        "سيُوقف التسجيل {number} للممارس {name}: لن يُجدَّد، وسيظهر موقوفاً في السجل العام.",
        "Registration {number} of {name} will be suspended: it cannot be renewed, "
        "and the public register will show it suspended.",
    ),
    "registration.confirm_button": ("نعم، أوقف التسجيل", "Yes, suspend it"),
    "registration.lift_title": ("رفع الإيقاف", "Lift the suspension"),
    "registration.lift_hint": (
        "يعود التسجيل إلى الحالة التي كان عليها قبل الإيقاف.",
        "The registration returns to the status it had before the suspension.",
    ),
    "registration.lift": ("رفع الإيقاف", "Lift the suspension"),
    "registration.number_malformed": (
        "رقم التسجيل يبدأ بـ RG- وتليه ثمانية أرقام على الأقل.",
        "A registration number is RG- followed by at least eight digits.",
    ),
    "registration.unknown_number": ("لا يوجد تسجيل مهني بهذا الرقم.", "No registration has this number."),
    "registration.reason_required": ("اكتب السبب (3 أحرف على الأقل).", "Write the reason (at least 3 characters)."),
    "registration.reason_too_long": ("السبب أطول من 500 حرف.", "The reason is longer than 500 characters."),
    "error_code": ("الرمز: {code}", "Code: {code}"),
    "done.suspended": (
        "أُوقف التسجيل، ويظهر موقوفاً في السجل العام ولجهات عمل الممارس.",
        "The registration is suspended: the public register and the practitioner's employers now show it so.",
    ),
    "done.reinstated": (
        "رُفع الإيقاف وعاد التسجيل إلى حالته.",
        "The suspension is lifted; the registration is back to its status.",
    ),
    # durations
    "minutes_left": ("{m} دقيقة متبقية", "{m} min left"),
    "age.minutes": ("{m} دقيقة", "{m} min"),
    "age.hours": ("{h} ساعة {m} دقيقة", "{h} h {m} min"),
    "age.days": ("{d} يوم {h} ساعة", "{d} d {h} h"),
}


@dataclass(frozen=True)
class Words(PageWords):
    """The console's text in one language, as templates use it, and how it writes ages."""

    table: Mapping[str, tuple[str, str]] = field(default_factory=lambda: TEXT)

    def age(self, since: datetime | str, at: datetime) -> str:
        start = datetime.fromisoformat(since) if isinstance(since, str) else since
        return self.duration(at - start)

    def duration(self, span: timedelta | float) -> str:
        minutes = max(0, int((span.total_seconds() if isinstance(span, timedelta) else span) // 60))
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days:
            return self("age.days", d=days, h=hours)
        if hours:
            return self("age.hours", h=hours, m=minutes)
        return self("age.minutes", m=minutes)
