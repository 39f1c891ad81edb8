"""What the notifier tells a practitioner for each event, and through which channels: plain Python,
no Kafka, no MongoDB.

Every message carries both languages: the practitioner's own first, the other one after it, so a
message forwarded to someone else (or read with the wrong locale on file) is still understood.
The words live in wording.py and the layout in templates/ (rendering.py); this module picks the
words for an event, fills them in and decides the channels.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from markupsafe import Markup

from mumaris.clock import RIYADH
from schemas.classifications import money
from schemas.events import (
    CertificateExpiring,
    ClassificationChanged,
    ClassificationLapsed,
    ClassificationRef,
    Decision,
    FeeExpired,
    FeeInvoiced,
    FeeReminderDue,
    Finding,
    InvoicePurpose,
    PractitionerRef,
    RegistrationExpiring,
    RegistrationLapsed,
    RegistrationReinstated,
    RegistrationRenewalRefused,
    RegistrationRenewed,
    RegistrationSuspended,
    ReviewDecided,
    ReviewQueued,
    SubmissionKind,
    SubmissionReceived,
    SubmissionRejected,
)
from schemas.findings import describe
from schemas.review_reasons import reason_label
from services.notifier.delivery.rules import delivery_key
from services.notifier.messages.kinds import (
    ACCOUNT_EMAIL_CONFIRMATION,
    ACCOUNT_PASSWORD_RESET,
    ACCOUNT_PHONE_CODE,
    CERTIFICATE_EXPIRING,
    CLASSIFICATION_CHANGED,
    CLASSIFICATION_LAPSED,
    FEE_INVOICED,
    FEE_REMINDER,
    PROFILE_CHANGE_APPROVED,
    PROFILE_CHANGE_REJECTED,
    REGISTRATION_EXPIRING,
    REGISTRATION_LAPSED,
    REGISTRATION_REINSTATED,
    REGISTRATION_RENEWED,
    REGISTRATION_SUSPENDED,
    RENEWAL_FEE_REMINDER,
    RENEWAL_INVOICED,
    RENEWAL_LAPSED,
    RENEWAL_REFUSED,
    REVIEW_APPROVED,
    REVIEW_CHANGES_REQUESTED,
    REVIEW_QUEUED,
    REVIEW_REJECTED,
    SUBMISSION_RECEIVED,
    SUBMISSION_REJECTED,
    TEXT_DIRECTION,
    Language,
)
from services.notifier.messages.rendering import Section, render_message
from services.notifier.messages.wording import (
    ARABIC_UNITS,
    CERTIFICATE_REMAINING,
    COMMON_WORDING,
    CURRENCY,
    FEE_FACT_LABELS,
    PHONE_CODE_SMS,
    RENEWAL_OPEN_NOTE,
    SMS_NOTICE,
    WORDING,
)

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
    # A registration's clock: what it costs her not to act reaches her everywhere.
    RENEWAL_INVOICED: ("inbox", "email", "sms"),
    RENEWAL_FEE_REMINDER: ("email", "sms"),
    RENEWAL_LAPSED: ("inbox", "email", "sms"),
    RENEWAL_REFUSED: ("inbox", "email", "sms"),  # her money, and she may not practise
    REGISTRATION_EXPIRING: ("inbox", "email", "sms"),
    REGISTRATION_RENEWED: ("inbox", "email"),
    REGISTRATION_LAPSED: ("inbox", "email", "sms"),
    REGISTRATION_SUSPENDED: ("inbox", "email", "sms"),  # as grave as a lapse: she may not practise from now
    # SMS too: she may practise again from the moment it is lifted, and her shifts (and her income)
    # should not wait until she next opens her mail; the SMS names no reason, only the registration.
    REGISTRATION_REINSTATED: ("inbox", "email", "sms"),
    CERTIFICATE_EXPIRING: ("inbox", "email", "sms"),  # she may not work without it (BLS, ACLS)
    ACCOUNT_PHONE_CODE: ("sms",),
    ACCOUNT_EMAIL_CONFIRMATION: ("email",),
    ACCOUNT_PASSWORD_RESET: ("email",),  # the mailbox is what proves who asks
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
    # Each language's own inbox title and body, so a page in one language shows that one only.
    inbox_texts: dict[str, tuple[str, str]] = field(default_factory=dict)


def inbox_message(event_id: str, note: Notification, at: datetime) -> dict[str, Any]:
    """The inbox entry of `note`: one per event and recipient, unread."""
    return {
        "_id": delivery_key(event_id, "inbox", note.recipient_id),
        "recipient_id": note.recipient_id,
        "event_id": event_id,
        "kind": note.kind,
        "title": note.inbox_title,
        "body": note.inbox_body,
        "texts": {lang: {"title": title, "body": body} for lang, (title, body) in note.inbox_texts.items()},
        "created_at": at,
        "read_at": None,
    }


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
    """A classification request's invoice, or a registration renewal's (purpose renewal)."""
    values, facts = _fee_details(event.classification, event.amount, event.bill_number, event.due_at)
    kind = RENEWAL_INVOICED if event.purpose is InvoicePurpose.RENEWAL else FEE_INVOICED
    return compose(kind, event.practitioner, event.request_id, values=values, facts=facts)


def notification_for_fee_reminder(event: FeeReminderDue) -> Notification:
    values, facts = _fee_details(event.classification, event.amount, event.bill_number, event.due_at)
    for language in TEXT_DIRECTION:
        values[language]["remaining"] = duration(event.hours_before, "hour", language)
    kind = RENEWAL_FEE_REMINDER if event.purpose is InvoicePurpose.RENEWAL else FEE_REMINDER
    return compose(kind, event.practitioner, event.request_id, values=values, facts=facts)


def notification_for_fee_expired(event: FeeExpired) -> Notification | None:
    """A renewal's invoice expired unpaid: the renewal lapsed. A classification request's expiry is
    told by classification.lapsed instead (nothing here)."""
    if event.purpose is not InvoicePurpose.RENEWAL:
        return None
    values = {language: {"bill": event.bill_number} for language in TEXT_DIRECTION}
    return compose(RENEWAL_LAPSED, event.practitioner, event.request_id, values=values)


def registration_day(day: date, language: Language) -> str:
    return f"{day:%Y-%m-%d}" if language == "ar" else f"{day:%d %b %Y}"


def notification_for_registration_expiring(event: RegistrationExpiring) -> Notification:
    """A milestone before expiry: the days actually left (fewer than the milestone when sent late)."""
    values = {
        language: {
            "registration": event.registration_number,
            "expires": registration_day(event.expires_on, language),
            "remaining": duration(event.days_left, "day", language),
            "renewal": RENEWAL_OPEN_NOTE[event.renewal_open][language],
        }
        for language in TEXT_DIRECTION
    }
    return compose(REGISTRATION_EXPIRING, event.practitioner, event.registration_number, values=values)


def notification_for_certificate_expiring(event: CertificateExpiring) -> Notification:
    """A milestone before an approved certificate's expiry, with its name and date: the days
    actually left (fewer than the milestone when sent late; on the expiry day, "today")."""
    values = {
        language: {
            "certificate": event.certificate_name,
            "expires": registration_day(event.expires_on, language),
            "remaining": certificate_remaining(event.days_left, language),
        }
        for language in TEXT_DIRECTION
    }
    return compose(CERTIFICATE_EXPIRING, event.practitioner, event.submission_id, values=values)


def certificate_remaining(days_left: int, language: Language) -> str:
    ahead, today = CERTIFICATE_REMAINING[language]
    return ahead.format(duration=duration(days_left, "day", language)) if days_left > 0 else today


def notification_for_registration_renewed(event: RegistrationRenewed) -> Notification:
    values = {
        language: {"registration": event.registration_number, "expires": registration_day(event.expires_on, language)}
        for language in TEXT_DIRECTION
    }
    return compose(REGISTRATION_RENEWED, event.practitioner, event.registration_number, values=values)


def notification_for_renewal_refused(event: RegistrationRenewalRefused) -> Notification:
    """Paid after the lapse: the renewal renewed nothing and its fee is refunded."""
    values = {
        language: {"registration": event.registration_number, "bill": event.bill_number} for language in TEXT_DIRECTION
    }
    return compose(RENEWAL_REFUSED, event.practitioner, event.registration_number, values=values)


def notification_for_registration_lapsed(event: RegistrationLapsed) -> Notification:
    values = {
        language: {"registration": event.registration_number, "expires": registration_day(event.expired_on, language)}
        for language in TEXT_DIRECTION
    }
    return compose(REGISTRATION_LAPSED, event.practitioner, event.registration_number, values=values)


def notification_for_registration_suspended(event: RegistrationSuspended) -> Notification:
    """Suspended by a supervisor: the reason as she wrote it (inbox and e-mail only, never the SMS)."""
    values = {language: {"registration": event.registration_number} for language in TEXT_DIRECTION}
    return compose(
        REGISTRATION_SUSPENDED,
        event.practitioner,
        event.registration_number,
        reason=event.reason.strip(),
        values=values,
    )


def notification_for_registration_reinstated(event: RegistrationReinstated) -> Notification:
    """The suspension lifted: she may practise again; the supervisor's reason in inbox and e-mail only."""
    values = {language: {"registration": event.registration_number} for language in TEXT_DIRECTION}
    return compose(
        REGISTRATION_REINSTATED,
        event.practitioner,
        event.registration_number,
        reason=event.reason.strip(),
        values=values,
    )


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


def languages_for(locale: str) -> tuple[Language, Language]:
    return ("en", "ar") if locale == "en" else ("ar", "en")


def fixes_from_findings(findings: list[Finding], language: Language) -> tuple[str, ...]:
    """The failed checks' messages in one language, each once, in the validator's order, each
    with what was measured (schemas/findings.py) when the finding says."""
    common = COMMON_WORDING[language]
    fixes: list[str] = []
    for finding in findings:
        if finding.outcome != "fail":
            continue
        if finding.message is not None:
            fix = getattr(finding.message, language)
        else:
            fix = common.unexplained_finding.format(rule=finding.rule)
        measured = describe(finding, language)
        if measured:
            fix = f"{fix} {common.measured.format(detail=measured)}"
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
            # The English part greets her by her name in Latin letters when the account has one.
            practitioner.latin_name if language == "en" and practitioner.latin_name else practitioner.name,
            (fixes or {}).get(language, ()),
            reason,
            (values or {}).get(language, {}),
            (facts or {}).get(language, ()),
        )
        for language in order
    ]
    subject = " | ".join(section.title for section in sections)
    rendered = render_message(sections, reference, subject)
    sms = ""
    if kind in SMS_NOTICE:
        sms = "\n".join(SMS_NOTICE[kind][language].format(**(values or {}).get(language, {})) for language in order)
    return Notification(
        kind=kind,
        recipient_id=practitioner.id,
        email=practitioner.email,
        locale=practitioner.locale,
        subject=subject,
        text=rendered.text,
        html=rendered.html,
        inbox_title=subject,
        inbox_body=rendered.inbox_body,
        inbox_texts=rendered.inbox_texts,
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
    """The e-mail carrying the single-use confirmation link, in both languages, primary first."""
    validity = {language: duration(ttl_hours, "hour", language) for language in TEXT_DIRECTION}
    return link_notification(ACCOUNT_EMAIL_CONFIRMATION, recipient_id, name, email, locale, link, validity)


def notification_for_password_reset(
    *, recipient_id: str, name: str, email: str, locale: str, link: str, ttl_minutes: int = 30
) -> Notification:
    """The e-mail carrying the single-use link that sets a new password, both languages."""
    validity = {language: duration(ttl_minutes, "minute", language) for language in TEXT_DIRECTION}
    return link_notification(ACCOUNT_PASSWORD_RESET, recipient_id, name, email, locale, link, validity)


def link_notification(
    kind: str, recipient_id: str, name: str, email: str, locale: str, link: str, validity: dict[Language, str]
) -> Notification:
    """An e-mail whose point is one single-use link (a confirmation, a password reset).

    Laid out by the same templates as every other message: the link stands where a submission
    reference stands, as plain text in the text part and as an (escaped) anchor in the HTML part."""
    link = link.strip()
    if not link.lower().startswith(("https://", "http://")):
        # Escaping keeps markup out, not a `javascript:` or `data:` URL: accept only web links.
        raise ValueError("the link must be an http(s) URL")
    sections = [link_section(kind, language, name, validity[language]) for language in languages_for(locale)]
    subject = " | ".join(section.title for section in sections)
    # Markup.format escapes `link`, so a quote or "<" in it can neither end the attribute nor add markup.
    anchor = Markup('<a href="{0}" style="color:#0b5e55;word-break:break-all;">{0}</a>').format(link)
    rendered = render_message(sections, link, subject, html_reference=anchor)
    return Notification(
        kind=kind,
        recipient_id=recipient_id,
        email=email,
        locale=locale,
        subject=subject,
        text=rendered.text,
        html=rendered.html,
        inbox_title=subject,
        inbox_body=rendered.inbox_body,
        inbox_texts=rendered.inbox_texts,
    )


def link_section(kind: str, language: Language, name: str, validity: str) -> Section:
    section = section_for(kind, language, name, (), "")
    wording = WORDING[kind][language]
    # The heading labels the link, which the templates print where they print the reference.
    return replace(
        section,
        reference_label=wording.details_heading,
        details_heading="",
        next_step=wording.next_step.format(validity=validity),
    )


def duration(count: int, unit: Literal["minute", "hour", "day"], language: Language) -> str:
    """'5 minutes' / '5 دقائق', with Arabic's dual and its plural for three to ten."""
    if language == "en":
        return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
    one, two, few = ARABIC_UNITS[unit]
    if count == 1:
        return f"{one} واحد" if unit == "day" else f"{one} واحدة"  # يوم is masculine
    if count == 2:
        return two
    if 3 <= count <= 10:
        return f"{count} {few}"
    return f"{count} يوماً" if unit == "day" else f"{count} {one}"
