"""What the notifier tells a practitioner, and through which channels: plain Python, no Kafka, no MongoDB.

Every message carries both languages: the practitioner's own first, the other one after it, so a
message forwarded to someone else (or read with the wrong locale on file) is still understood.
The words live in `WORDING` below; the templates only lay them out.
"""

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from mumaris.clock import RIYADH
from schemas.classifications import money
from schemas.events import (
    ClassificationChanged,
    ClassificationLapsed,
    ClassificationRef,
    Decision,
    FeeInvoiced,
    FeeReminderDue,
    Finding,
    PractitionerRef,
    ReviewDecided,
    ReviewQueued,
    SubmissionKind,
    SubmissionReceived,
    SubmissionRejected,
)
from schemas.review_reasons import reason_label

Language = Literal["ar", "en"]

SUBMISSION_RECEIVED = "submission.received"
SUBMISSION_REJECTED = "submission.rejected"
REVIEW_QUEUED = "review.queued"
REVIEW_APPROVED = "review.approved"
REVIEW_REJECTED = "review.rejected"
REVIEW_CHANGES_REQUESTED = "review.changes_requested"
PROFILE_CHANGE_APPROVED = "profile.approved"
PROFILE_CHANGE_REJECTED = "profile.rejected"
FEE_INVOICED = "fee.invoiced"
FEE_REMINDER = "fee.reminder"
CLASSIFICATION_LAPSED = "classification.lapsed"
CLASSIFICATION_CHANGED = "classification.changed"
ACCOUNT_PHONE_CODE = "account.phone_code"
ACCOUNT_EMAIL_CONFIRMATION = "account.email_confirmation"

# Which channels each kind of notification goes out on: the one table to change.
# - Steps the practitioner only needs to be able to look up (received, in review) stay in the inbox.
# - Outcomes and anything with a deadline also go by e-mail (the full text) and SMS (a short
#   notice pointing to the platform), because the practitioner may not open the platform for days.
# - A sign-up code goes to the phone it proves and the confirmation link to the mailbox it proves;
#   neither belongs in the inbox: the account cannot sign in to read it yet.
# - Fee reminders are about a deadline hours away: e-mail and SMS, not another inbox entry.
CHANNELS: dict[str, tuple[str, ...]] = {
    SUBMISSION_RECEIVED: ("inbox",),
    SUBMISSION_REJECTED: ("inbox", "email"),
    REVIEW_QUEUED: ("inbox",),
    REVIEW_APPROVED: ("inbox", "email", "sms"),
    REVIEW_REJECTED: ("inbox", "email", "sms"),
    REVIEW_CHANGES_REQUESTED: ("inbox", "email", "sms"),
    PROFILE_CHANGE_APPROVED: ("inbox", "email"),
    PROFILE_CHANGE_REJECTED: ("inbox", "email"),
    FEE_INVOICED: ("inbox", "email", "sms"),
    FEE_REMINDER: ("email", "sms"),
    CLASSIFICATION_LAPSED: ("inbox", "email", "sms"),
    CLASSIFICATION_CHANGED: ("inbox", "email", "sms"),
    ACCOUNT_PHONE_CODE: ("sms",),
    ACCOUNT_EMAIL_CONFIRMATION: ("email",),
}

KIND_OF_DECISION: dict[Decision, str] = {
    Decision.APPROVE: REVIEW_APPROVED,
    Decision.REJECT: REVIEW_REJECTED,
    Decision.REQUEST_CHANGES: REVIEW_CHANGES_REQUESTED,
}

# An approval's note is for the file, not the practitioner; only refusals owe a reason.
KINDS_THAT_SHOW_THE_REASON = frozenset({REVIEW_REJECTED, REVIEW_CHANGES_REQUESTED, PROFILE_CHANGE_REJECTED})

# A decision on a change of personal data reads differently from one on a certificate.
KIND_OF_PROFILE_DECISION: dict[Decision, str] = {
    Decision.APPROVE: PROFILE_CHANGE_APPROVED,
    Decision.REJECT: PROFILE_CHANGE_REJECTED,
    Decision.REQUEST_CHANGES: PROFILE_CHANGE_REJECTED,  # the practitioner sends a corrected change
}

TEXT_DIRECTION: dict[Language, str] = {"ar": "rtl", "en": "ltr"}


@dataclass(frozen=True)
class Notification:
    kind: str  # one of the keys of CHANNELS
    recipient_id: str  # practitioner id
    email: str
    locale: str  # "ar" | "en"
    subject: str
    text: str  # plain-text body
    html: str  # HTML body; each language block carries its own lang and dir
    inbox_title: str  # short line for the in-platform inbox
    inbox_body: str
    sms: str = ""  # the short notice, for kinds whose channels include "sms"


@dataclass(frozen=True)
class Wording:
    """The sentences of one kind of notification in one language."""

    title: str
    lead: str
    next_step: str
    details_heading: str = ""
    # Heads the reviewer's note when it follows a list (the rejection reasons) under details_heading.
    note_heading: str = ""
    reference_label: str = ""  # instead of the common "Submission ID:" (e.g. "Request ID:")


@dataclass(frozen=True)
class CommonWording:
    """The sentences every notification shares in one language."""

    greeting: str  # takes {name}
    greeting_without_name: str
    reference_label: str
    sign_off: str
    signature: str
    automated_notice: str
    unexplained_finding: str  # takes {rule}; for a failed check that carries no message
    unexplained_rejection: str  # for a rejection that names no failed check at all


WORDING: dict[str, dict[Language, Wording]] = {
    SUBMISSION_REJECTED: {
        "ar": Wording(
            title="طلبك يحتاج إلى تصحيح",
            lead="تعذّر قبول طلبك في مرحلة التحقق الآلي من المستندات، ولذلك لم يُحَل إلى المراجعة.",
            details_heading="المطلوب تصحيحه:",
            next_step="يُرجى تصحيح الملاحظات أعلاه وإعادة تقديم الطلب عبر المنصة.",
        ),
        "en": Wording(
            title="Your submission needs corrections",
            lead="Your submission did not pass the automated document checks, so it has not been sent for review.",
            details_heading="What to fix:",
            next_step="Please correct the points above and submit again through the platform.",
        ),
    },
    REVIEW_APPROVED: {
        "ar": Wording(
            title="تم اعتماد طلبك",
            lead="يسرّنا إبلاغك بأنه تمت مراجعة طلبك واعتماده.",
            next_step="ستظهر الشهادة المعتمدة في ملفك المهني على المنصة.",
        ),
        "en": Wording(
            title="Your submission has been approved",
            lead="We are pleased to let you know that your submission has been reviewed and approved.",
            next_step="The approved certificate now appears in your professional profile on the platform.",
        ),
    },
    REVIEW_REJECTED: {
        "ar": Wording(
            title="لم تتم الموافقة على طلبك",
            lead="نأسف لإبلاغك بأنه بعد مراجعة طلبك لم تتم الموافقة عليه.",
            details_heading="سبب القرار:",
            note_heading="ملاحظة المراجع:",
            next_step="يمكنك تقديم طلب جديد متى استوفيت المتطلبات.",
        ),
        "en": Wording(
            title="Your submission was not approved",
            lead="We regret to inform you that, after review, your submission was not approved.",
            details_heading="Reason for the decision:",
            note_heading="Reviewer’s note:",
            next_step="You may submit a new request once you meet the requirements.",
        ),
    },
    REVIEW_CHANGES_REQUESTED: {
        "ar": Wording(
            title="مطلوب إجراء تعديلات على طلبك",
            lead="تمت مراجعة طلبك، ويلزم إجراء بعض التعديلات عليه قبل استكمال دراسته.",
            details_heading="التعديلات المطلوبة:",
            next_step=(
                "يُرجى إجراء التعديلات المطلوبة ثم إعادة التقديم من صفحة هذا الطلب على المنصة؛ "
                "وستُراجَع النسخة المعدّلة مرتبطةً بهذا الطلب."
            ),
        ),
        "en": Wording(
            title="Changes requested on your submission",
            lead="Your submission has been reviewed and needs some changes before the review can be completed.",
            details_heading="Requested changes:",
            next_step=(
                "Please make the requested changes, then resubmit from this submission’s page on the platform; "
                "the corrected version will be reviewed linked to this submission."
            ),
        ),
    },
    SUBMISSION_RECEIVED: {
        "ar": Wording(
            title="استلمنا طلبك",
            lead="استلمنا شهادتك «{certificate}»، وهي الآن قيد التحقق الآلي من المستند.",
            next_step="سنبلغك بنتيجة التحقق، ويمكنك متابعة حالة الطلب من المنصة في أي وقت.",
        ),
        "en": Wording(
            title="We received your submission",
            lead="We received your certificate “{certificate}”; its document is now being checked automatically.",
            next_step="We will let you know the outcome; you can follow the submission’s status on the platform at any time.",
        ),
    },
    REVIEW_QUEUED: {
        "ar": Wording(
            title="طلبك قيد المراجعة",
            lead="اجتاز مستندك التحقق الآلي، وأُحيل طلبك إلى لجنة المراجعة.",
            next_step="ستصلك رسالة عند صدور القرار.",
        ),
        "en": Wording(
            title="Your submission is under review",
            lead="Your document passed the automated checks and your submission is now with the review committee.",
            next_step="You will hear from us when a decision is made.",
        ),
    },
    PROFILE_CHANGE_APPROVED: {
        "ar": Wording(
            title="تم اعتماد تعديل بياناتك",
            lead="تمت مراجعة طلب تعديل بياناتك الشخصية واعتماده، وأصبحت البيانات الجديدة سارية.",
            reference_label="رقم طلب التعديل:",
            next_step="يمكنك الاطلاع على بياناتك المحدّثة في ملفك على المنصة.",
        ),
        "en": Wording(
            title="Your change of personal data was approved",
            lead="Your request to change your personal data was reviewed and approved; the new details now apply.",
            reference_label="Change request ID:",
            next_step="You can see your updated details in your profile on the platform.",
        ),
    },
    PROFILE_CHANGE_REJECTED: {
        "ar": Wording(
            title="لم يُعتمد تعديل بياناتك",
            lead="تمت مراجعة طلب تعديل بياناتك الشخصية ولم يُعتمد، وتبقى بياناتك السابقة سارية.",
            reference_label="رقم طلب التعديل:",
            details_heading="ملاحظة المراجع:",
            next_step="يمكنك تقديم طلب تعديل جديد بعد مراعاة الملاحظة أعلاه.",
        ),
        "en": Wording(
            title="Your change of personal data was not approved",
            lead="Your request to change your personal data was reviewed and not approved; your previous details still apply.",
            reference_label="Change request ID:",
            details_heading="Reviewer’s note:",
            next_step="You may send a new change request that takes the note above into account.",
        ),
    },
    FEE_INVOICED: {
        "ar": Wording(
            title="فاتورة رسوم طلب تغيير التصنيف",
            lead="اجتازت مستندات طلبك لتغيير التصنيف المهني إلى «{classification}» التحقق، وصدرت فاتورة رسومه.",
            reference_label="رقم الطلب:",
            next_step="يجب سداد الرسوم برقم الفاتورة قبل الموعد المحدد أعلاه، وإلا أُلغي الطلب تلقائياً. بعد السداد يُحال طلبك إلى المراجعة.",
        ),
        "en": Wording(
            title="Fee invoice for your classification change",
            lead="The documents of your request to change your professional classification to “{classification}” passed the checks, and its fee has been invoiced.",
            reference_label="Request ID:",
            next_step="Pay the fee with the bill number before the deadline above, or the request lapses automatically. Once paid, your request goes to review.",
        ),
    },
    FEE_REMINDER: {
        "ar": Wording(
            title="تذكير: رسوم طلب تغيير التصنيف لم تُسدد",
            lead="لم نستلم بعدُ سداد رسوم طلبك لتغيير التصنيف إلى «{classification}»، وتبقّى على انتهاء المهلة {remaining}.",
            reference_label="رقم الطلب:",
            next_step="سدّد الرسوم برقم الفاتورة قبل الموعد أعلاه حتى لا يُلغى الطلب. إن كنت قد سددت فتجاهل هذه الرسالة.",
        ),
        "en": Wording(
            title="Reminder: your classification fee is unpaid",
            lead="We have not yet received the fee for your request to change your classification to “{classification}”; {remaining} remain before the deadline.",
            reference_label="Request ID:",
            next_step="Pay with the bill number before the deadline above so that the request does not lapse. If you have already paid, please ignore this message.",
        ),
    },
    CLASSIFICATION_LAPSED: {
        "ar": Wording(
            title="أُلغي طلب تغيير التصنيف",
            lead="انتهت مهلة سداد رسوم طلبك لتغيير التصنيف إلى «{classification}» دون سداد، فأُلغي الطلب.",
            reference_label="رقم الطلب:",
            next_step="يمكنك تقديم طلب جديد متى شئت، وستصدر له فاتورة جديدة.",
        ),
        "en": Wording(
            title="Your classification change request lapsed",
            lead="The fee for your request to change your classification to “{classification}” was not paid by the deadline, so the request has lapsed.",
            reference_label="Request ID:",
            next_step="You may file a new request at any time; it will receive a new invoice.",
        ),
    },
    CLASSIFICATION_CHANGED: {
        "ar": Wording(
            title="تم تغيير تصنيفك المهني",
            lead="تمت الموافقة على طلبك، وأصبح تصنيفك المهني «{classification}».",
            reference_label="رقم الطلب:",
            next_step="يظهر تصنيفك الجديد في ملفك المهني على المنصة، وأُبلغت به الجهات المرتبطة.",
        ),
        "en": Wording(
            title="Your professional classification has changed",
            lead="Your request was approved: your professional classification is now “{classification}”.",
            reference_label="Request ID:",
            next_step="Your new classification appears in your professional profile on the platform and has been shared with connected agencies.",
        ),
    },
    # The confirmation link takes the place of the submission reference (see
    # notification_for_email_confirmation); `next_step` takes {validity}.
    ACCOUNT_EMAIL_CONFIRMATION: {
        "ar": Wording(
            title="تأكيد بريدك الإلكتروني",
            lead="لإكمال تسجيل حسابك في منصة ممارس، يُرجى تأكيد بريدك الإلكتروني بفتح الرابط التالي.",
            details_heading="رابط التأكيد:",
            next_step=(
                "الرابط صالح لمدة {validity} ويُستخدم مرة واحدة فقط. "
                "إذا لم تطلب إنشاء حساب في منصة ممارس فتجاهل هذه الرسالة."
            ),
        ),
        "en": Wording(
            title="Confirm your e-mail address",
            lead="To finish setting up your Mumaris account, please confirm your e-mail address by opening the link below.",
            details_heading="Confirmation link:",
            next_step=(
                "The link is valid for {validity} and can be used only once. "
                "If you did not sign up for Mumaris, you can ignore this message."
            ),
        ),
    },
}

# One SMS, both languages, primary first. Short on purpose: Arabic text goes out as UCS-2, where a
# segment holds 70 characters (67 when concatenated); both languages together fit in two segments.
# Each line takes {code} and {validity}.
PHONE_CODE_SMS: dict[Language, str] = {
    "ar": "رمز التحقق لمنصة ممارس: {code} (صالح {validity}). لا تشاركه مع أحد.",
    "en": "Mumaris verification code: {code} (valid {validity}). Do not share it.",
}

# The SMS short notice of a kind, both languages, primary first: it points to the platform and
# the e-mail for the details. Placeholders as in the kind's wording.
SMS_NOTICE: dict[str, dict[Language, str]] = {
    REVIEW_APPROVED: {
        "ar": "ممارس: تم اعتماد طلبك «{certificate}». التفاصيل في المنصة.",
        "en": "Mumaris: your submission “{certificate}” was approved. Details on the platform.",
    },
    REVIEW_REJECTED: {
        "ar": "ممارس: لم تتم الموافقة على طلبك «{certificate}». السبب في المنصة وبريدك.",
        "en": "Mumaris: your submission “{certificate}” was not approved. See the platform or your e-mail.",
    },
    REVIEW_CHANGES_REQUESTED: {
        "ar": "ممارس: طُلب تعديل على طلبك «{certificate}». التفاصيل في المنصة.",
        "en": "Mumaris: changes were requested on “{certificate}”. Details on the platform.",
    },
    FEE_INVOICED: {
        "ar": "ممارس: سدّد {amount} ريال بالفاتورة {bill} قبل {deadline} وإلا أُلغي طلب التصنيف.",
        "en": "Mumaris: pay SAR {amount}, bill {bill}, before {deadline} or your request lapses.",
    },
    FEE_REMINDER: {
        "ar": "ممارس: تذكير: تبقّى {remaining} لسداد {amount} ريال بالفاتورة {bill}.",
        "en": "Mumaris: reminder: {remaining} left to pay SAR {amount}, bill {bill}.",
    },
    CLASSIFICATION_LAPSED: {
        "ar": "ممارس: أُلغي طلب تغيير التصنيف لعدم سداد الرسوم في المهلة.",
        "en": "Mumaris: your classification request lapsed; the fee was not paid in time.",
    },
    CLASSIFICATION_CHANGED: {
        "ar": "ممارس: أصبح تصنيفك المهني «{classification}».",
        "en": "Mumaris: your professional classification is now “{classification}”.",
    },
}

COMMON_WORDING: dict[Language, CommonWording] = {
    "ar": CommonWording(
        greeting="حضرة الممارس الصحي {name}،",
        greeting_without_name="حضرة الممارس الصحي،",
        reference_label="رقم الطلب:",
        sign_off="مع أطيب التحيات،",
        signature="فريق منصة ممارس",
        automated_notice="هذه رسالة آلية، يُرجى عدم الرد عليها.",
        unexplained_finding="لم يجتز المستند فحص «{rule}».",
        unexplained_rejection="لم يستوفِ المستند متطلبات التحقق الآلي.",
    ),
    "en": CommonWording(
        greeting="Dear {name},",
        greeting_without_name="Dear practitioner,",
        reference_label="Submission ID:",
        sign_off="Kind regards,",
        signature="The Mumaris team",
        automated_notice="This is an automated message; please do not reply to it.",
        unexplained_finding="The document did not pass the “{rule}” check.",
        unexplained_rejection="The document did not meet the automated checks.",
    ),
}


@dataclass(frozen=True)
class Section:
    """One language's full version of a message, ready for a template."""

    lang: Language
    direction: str
    title: str
    greeting: str
    lead: str
    reference_label: str
    facts: tuple[tuple[str, str], ...]  # label and value lines: amount, bill number, deadline...
    details_heading: str
    fixes: tuple[str, ...]
    reason_heading: str
    reason: str
    next_step: str
    sign_off: str
    signature: str
    automated_notice: str


# Text templates must not be HTML-escaped; only *.html.j2 is.
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def notification_for_received(event: SubmissionReceived) -> Notification | None:
    """Only a certificate is news on its own; a classification request's documents are told of
    through the request (its invoice, its outcome)."""
    if event.kind is not SubmissionKind.CERTIFICATE:
        return None
    values = {language: {"certificate": event.certificate.name} for language in TEXT_DIRECTION}
    return compose(SUBMISSION_RECEIVED, event.practitioner, event.submission_id, values=values)


def notification_for_queued(event: ReviewQueued) -> Notification | None:
    """ "In review" is news for a certificate; a change of personal data shows it on the profile."""
    if event.kind is not SubmissionKind.CERTIFICATE:
        return None
    return compose(REVIEW_QUEUED, event.practitioner, event.submission_id)


def notification_for_rejection(event: SubmissionRejected) -> Notification:
    fixes = {language: fixes_from_findings(event.findings, language) for language in TEXT_DIRECTION}
    return compose(SUBMISSION_REJECTED, event.practitioner, event.submission_id, fixes=fixes)


def notification_for_decision(event: ReviewDecided) -> Notification | None:
    """None for an approved classification request: `classification.changed` says it, once."""
    if event.kind is SubmissionKind.CLASSIFICATION and event.decision is Decision.APPROVE:
        return None
    profile = event.kind is SubmissionKind.PROFILE_CHANGE
    kind = (KIND_OF_PROFILE_DECISION if profile else KIND_OF_DECISION)[event.decision]
    reason = event.reason.strip() if kind in KINDS_THAT_SHOW_THE_REASON else ""
    reasons = None
    if kind == REVIEW_REJECTED:
        reasons = {language: reason_labels(event.reason_codes, language) for language in TEXT_DIRECTION}
    # Older events carry no certificate: the SMS then names the submission by the start of its id.
    name = event.certificate.name if event.certificate is not None else event.submission_id[:8]
    values = {language: {"certificate": name} for language in TEXT_DIRECTION}
    return compose(kind, event.practitioner, event.submission_id, fixes=reasons, reason=reason, values=values)


def notification_for_fee_invoiced(event: FeeInvoiced) -> Notification:
    values, facts = _fee_details(event.classification, event.amount, event.bill_number, event.due_at)
    return compose(FEE_INVOICED, event.practitioner, event.request_id, values=values, facts=facts)


def notification_for_fee_reminder(event: FeeReminderDue) -> Notification:
    values, facts = _fee_details(event.classification, event.amount, event.bill_number, event.due_at)
    for language in TEXT_DIRECTION:
        values[language]["remaining"] = duration(event.hours_before, "hour", language)
    return compose(FEE_REMINDER, event.practitioner, event.request_id, values=values, facts=facts)


def notification_for_lapsed(event: ClassificationLapsed) -> Notification:
    values = {
        language: {"classification": getattr(event.classification.label, language)} for language in TEXT_DIRECTION
    }
    return compose(CLASSIFICATION_LAPSED, event.practitioner, event.request_id, values=values)


def notification_for_classification_changed(event: ClassificationChanged) -> Notification:
    values = {
        language: {"classification": getattr(event.classification.label, language)} for language in TEXT_DIRECTION
    }
    return compose(CLASSIFICATION_CHANGED, event.practitioner, event.request_id, values=values)


FEE_FACT_LABELS: dict[Language, tuple[str, str, str]] = {
    "ar": ("المبلغ:", "رقم الفاتورة:", "آخر موعد للسداد:"),
    "en": ("Amount:", "Bill number:", "Pay by:"),
}
CURRENCY: dict[Language, str] = {"ar": "{amount} ريال سعودي", "en": "SAR {amount}"}


def _fee_details(
    classification: ClassificationRef, amount: Decimal, bill_number: str, due_at: datetime
) -> tuple[dict[Language, dict[str, str]], dict[Language, tuple[tuple[str, str], ...]]]:
    values: dict[Language, dict[str, str]] = {}
    facts: dict[Language, tuple[tuple[str, str], ...]] = {}
    for language in TEXT_DIRECTION:
        deadline = riyadh_time(due_at, language)
        values[language] = {
            "classification": getattr(classification.label, language),
            "amount": f"{money(amount):,}",
            "bill": bill_number,
            "deadline": deadline,
        }
        amount_label, bill_label, deadline_label = FEE_FACT_LABELS[language]
        facts[language] = (
            (amount_label, CURRENCY[language].format(amount=f"{money(amount):,}")),
            (bill_label, bill_number),
            (deadline_label, deadline),
        )
    return values, facts


def riyadh_time(at: datetime, language: Language) -> str:
    """A deadline as the practitioner reads it: Riyadh time, stated as such."""
    local = at.astimezone(RIYADH)
    if language == "ar":
        return f"{local:%Y-%m-%d} الساعة {local:%H:%M} بتوقيت الرياض"
    return f"{local:%d %b %Y}, {local:%H:%M} Riyadh time"


def reason_labels(codes: list[str], language: Language) -> tuple[str, ...]:
    """The catalogue's label of each rejection reason in one language, each once, in the reviewer's order."""
    return tuple(dict.fromkeys(reason_label(code, language) for code in codes))


def delivery_key(event_id: str, channel: str, recipient: str) -> str:
    """The same event, channel and recipient always give the same key, so a redelivered event
    finds its earlier delivery. Hashed so the key bounds its length and keeps e-mail addresses
    and phone numbers out of logs and indexes; JSON-encoded so no separator inside a part can
    make two different triples collide."""
    parts = json.dumps([event_id, channel, recipient], ensure_ascii=False)
    return hashlib.sha256(parts.encode("utf-8")).hexdigest()


def languages_for(locale: str) -> tuple[Language, Language]:
    return ("en", "ar") if locale == "en" else ("ar", "en")


def fixes_from_findings(findings: list[Finding], language: Language) -> tuple[str, ...]:
    """The failed checks' messages in one language, each once, in the validator's order."""
    common = COMMON_WORDING[language]
    fixes: list[str] = []
    for finding in findings:
        if finding.outcome != "fail":
            continue
        if finding.message is not None:
            fix = getattr(finding.message, language)
        else:
            fix = common.unexplained_finding.format(rule=finding.rule)
        if fix not in fixes:
            fixes.append(fix)
    return tuple(fixes) or (common.unexplained_rejection,)


def compose(
    kind: str,
    practitioner: PractitionerRef,
    reference: str,
    *,
    fixes: dict[Language, tuple[str, ...]] | None = None,
    reason: str = "",
    values: dict[Language, dict[str, str]] | None = None,
    facts: dict[Language, tuple[tuple[str, str], ...]] | None = None,
) -> Notification:
    """One notification of `kind` in both languages, the practitioner's first. `values` fill the
    kind's {placeholders}; `facts` are label/value lines shown under the reference."""
    order = languages_for(practitioner.locale)
    sections = [
        section_for(
            kind,
            language,
            practitioner.name,
            (fixes or {}).get(language, ()),
            reason,
            (values or {}).get(language, {}),
            (facts or {}).get(language, ()),
        )
        for language in order
    ]
    context = {"sections": sections, "primary": sections[0], "submission_id": reference}
    subject = " | ".join(section.title for section in sections)
    sms = ""
    if kind in SMS_NOTICE:
        sms = "\n".join(SMS_NOTICE[kind][language].format(**(values or {}).get(language, {})) for language in order)
    return Notification(
        kind=kind,
        recipient_id=practitioner.id,
        email=practitioner.email,
        locale=practitioner.locale,
        subject=subject,
        text=render("message.txt.j2", context).rstrip() + "\n",
        html=render("message.html.j2", {**context, "subject": subject}),
        inbox_title=subject,
        inbox_body=render("inbox.txt.j2", context).strip(),
        sms=sms,
    )


def section_for(
    kind: str,
    language: Language,
    name: str,
    fixes: tuple[str, ...],
    reason: str,
    values: dict[str, str] | None = None,
    facts: tuple[tuple[str, str], ...] = (),
) -> Section:
    wording = WORDING[kind][language]
    common = COMMON_WORDING[language]
    name = name.strip()
    values = values or {}
    return Section(
        lang=language,
        direction=TEXT_DIRECTION[language],
        title=wording.title,
        greeting=common.greeting.format(name=name) if name else common.greeting_without_name,
        lead=wording.lead.format(**values),
        reference_label=wording.reference_label or common.reference_label,
        facts=facts,
        details_heading=wording.details_heading,
        fixes=fixes,
        # Alone, the reviewer's words are the details; after a list of reasons they are a note.
        reason_heading=wording.note_heading if fixes and wording.note_heading else wording.details_heading,
        reason=reason,
        next_step=wording.next_step.format(**values) if values else wording.next_step,
        sign_off=common.sign_off,
        signature=common.signature,
        automated_notice=common.automated_notice,
    )


def render(template_name: str, context: dict[str, object]) -> str:
    return _templates.get_template(template_name).render(context)


# --- account messages (sign-up code by SMS, e-mail confirmation link) ---------------------------


def sms_for_phone_code(code: str, locale: str, ttl_minutes: int) -> str:
    """The sign-up code as one short SMS: the practitioner's language first, the other after it.

    The result carries the code: hand it to the SMS channel and nowhere else (no log, no store)."""
    return "\n".join(
        PHONE_CODE_SMS[language].format(code=code.strip(), validity=duration(ttl_minutes, "minute", language))
        for language in languages_for(locale)
    )


def notification_for_email_confirmation(
    *, recipient_id: str, name: str, email: str, locale: str, link: str, ttl_hours: int = 24
) -> Notification:
    """The e-mail carrying the single-use confirmation link, in both languages, primary first.

    Laid out by the same templates as every other message: the link stands where a submission
    reference stands, as plain text in the text part and as an (escaped) anchor in the HTML part."""
    link = link.strip()
    if not link.lower().startswith(("https://", "http://")):
        # Escaping keeps markup out, not a `javascript:` or `data:` URL: accept only web links.
        raise ValueError("the confirmation link must be an http(s) URL")
    validity = {language: duration(ttl_hours, "hour", language) for language in TEXT_DIRECTION}
    sections = [confirmation_section(language, name, validity[language]) for language in languages_for(locale)]
    subject = " | ".join(section.title for section in sections)
    text_context = {"sections": sections, "primary": sections[0], "submission_id": link}
    # Markup.format escapes `link`, so a quote or "<" in it can neither end the attribute nor add markup.
    anchor = Markup('<a href="{0}" style="color:#0b5e55;word-break:break-all;">{0}</a>').format(link)
    html_context = {**text_context, "submission_id": anchor, "subject": subject}
    return Notification(
        kind=ACCOUNT_EMAIL_CONFIRMATION,
        recipient_id=recipient_id,
        email=email,
        locale=locale,
        subject=subject,
        text=render("message.txt.j2", text_context).rstrip() + "\n",
        html=render("message.html.j2", html_context),
        inbox_title=subject,
        inbox_body=render("inbox.txt.j2", text_context).strip(),
    )


def confirmation_section(language: Language, name: str, validity: str) -> Section:
    section = section_for(ACCOUNT_EMAIL_CONFIRMATION, language, name, (), "")
    wording = WORDING[ACCOUNT_EMAIL_CONFIRMATION][language]
    # The heading labels the link, which the templates print where they print the reference.
    return replace(
        section,
        reference_label=wording.details_heading,
        details_heading="",
        next_step=wording.next_step.format(validity=validity),
    )


def duration(count: int, unit: Literal["minute", "hour"], language: Language) -> str:
    """'5 minutes' / '5 دقائق', with Arabic's dual and its plural for three to ten."""
    if language == "en":
        return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
    one, two, few = ARABIC_UNITS[unit]
    if count == 1:
        return f"{one} واحدة"
    if count == 2:
        return two
    if 3 <= count <= 10:
        return f"{count} {few}"
    return f"{count} {one}"


# singular, dual, plural (3 to 10); 11 and above take the singular.
ARABIC_UNITS: dict[str, tuple[str, str, str]] = {
    "minute": ("دقيقة", "دقيقتين", "دقائق"),
    "hour": ("ساعة", "ساعتين", "ساعات"),
}
