"""What the notifier tells a practitioner, and through which channels: plain Python, no Kafka, no MongoDB.

Every message carries both languages: the practitioner's own first, the other one after it, so a
message forwarded to someone else (or read with the wrong locale on file) is still understood.
The words live in `WORDING` below; the templates only lay them out.
"""

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from schemas.events import Decision, Finding, PractitionerRef, ReviewDecided, SubmissionRejected
from schemas.review_reasons import reason_label

Language = Literal["ar", "en"]

SUBMISSION_REJECTED = "submission.rejected"
REVIEW_APPROVED = "review.approved"
REVIEW_REJECTED = "review.rejected"
REVIEW_CHANGES_REQUESTED = "review.changes_requested"
ACCOUNT_PHONE_CODE = "account.phone_code"
ACCOUNT_EMAIL_CONFIRMATION = "account.email_confirmation"

# Which channels each kind of notification goes out on. SMS is kept for account codes; the
# outcomes of submissions are long enough to need the inbox and e-mail.
CHANNELS: dict[str, tuple[str, ...]] = {
    SUBMISSION_REJECTED: ("inbox", "email"),
    REVIEW_APPROVED: ("inbox", "email"),
    REVIEW_REJECTED: ("inbox", "email"),
    REVIEW_CHANGES_REQUESTED: ("inbox", "email"),
    # A sign-up code goes to the phone it proves; the confirmation link to the mailbox it proves.
    # Neither belongs in the inbox: the account cannot log in to read it yet.
    ACCOUNT_PHONE_CODE: ("sms",),
    ACCOUNT_EMAIL_CONFIRMATION: ("email",),
}

KIND_OF_DECISION: dict[Decision, str] = {
    Decision.APPROVE: REVIEW_APPROVED,
    Decision.REJECT: REVIEW_REJECTED,
    Decision.REQUEST_CHANGES: REVIEW_CHANGES_REQUESTED,
}

# An approval's note is for the file, not the practitioner; only refusals owe a reason.
KINDS_THAT_SHOW_THE_REASON = frozenset({REVIEW_REJECTED, REVIEW_CHANGES_REQUESTED})

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


@dataclass(frozen=True)
class Wording:
    """The sentences of one kind of notification in one language."""

    title: str
    lead: str
    next_step: str
    details_heading: str = ""
    # Heads the reviewer's note when it follows a list (the rejection reasons) under details_heading.
    note_heading: str = ""


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


def notification_for_rejection(event: SubmissionRejected) -> Notification:
    fixes = {language: fixes_from_findings(event.findings, language) for language in TEXT_DIRECTION}
    return compose(SUBMISSION_REJECTED, event.practitioner, event.submission_id, fixes=fixes)


def notification_for_decision(event: ReviewDecided) -> Notification:
    kind = KIND_OF_DECISION[event.decision]
    reason = event.reason.strip() if kind in KINDS_THAT_SHOW_THE_REASON else ""
    reasons = None
    if kind == REVIEW_REJECTED:
        reasons = {language: reason_labels(event.reason_codes, language) for language in TEXT_DIRECTION}
    return compose(kind, event.practitioner, event.submission_id, fixes=reasons, reason=reason)


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
    submission_id: str,
    *,
    fixes: dict[Language, tuple[str, ...]] | None = None,
    reason: str = "",
) -> Notification:
    sections = [
        section_for(kind, language, practitioner.name, (fixes or {}).get(language, ()), reason)
        for language in languages_for(practitioner.locale)
    ]
    context = {"sections": sections, "primary": sections[0], "submission_id": submission_id}
    subject = " | ".join(section.title for section in sections)
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
    )


def section_for(kind: str, language: Language, name: str, fixes: tuple[str, ...], reason: str) -> Section:
    wording = WORDING[kind][language]
    common = COMMON_WORDING[language]
    name = name.strip()
    return Section(
        lang=language,
        direction=TEXT_DIRECTION[language],
        title=wording.title,
        greeting=common.greeting.format(name=name) if name else common.greeting_without_name,
        lead=wording.lead,
        reference_label=common.reference_label,
        details_heading=wording.details_heading,
        fixes=fixes,
        # Alone, the reviewer's words are the details; after a list of reasons they are a note.
        reason_heading=wording.note_heading if fixes and wording.note_heading else wording.details_heading,
        reason=reason,
        next_step=wording.next_step,
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
    sections = [
        confirmation_section(language, name, validity[language]) for language in languages_for(locale)
    ]
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
