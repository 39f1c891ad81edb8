"""What the notifier says: languages in the right order, findings and reasons present, nothing
user-provided able to inject markup, delivery keys that deduplicate exactly one delivery."""

from datetime import UTC, datetime

import pytest

from schemas.events import (
    Decision,
    Finding,
    Localized,
    PractitionerRef,
    ReviewDecided,
    SubmissionKind,
    SubmissionRejected,
)
from schemas.review_reasons import REJECTION_REASONS
from services.notifier.delivery.rules import delivery_key
from services.notifier.messages.kinds import (
    ACCOUNT_EMAIL_CONFIRMATION,
    ACCOUNT_PHONE_CODE,
    CLASSIFICATION_CHANGED,
    CLASSIFICATION_LAPSED,
    FEE_INVOICED,
)
from services.notifier.messages.rules import (
    CHANNELS,
    KIND_OF_DECISION,
    Notification,
    notification_for_decision,
    notification_for_rejection,
)
from services.notifier.messages.wording import SMS_NOTICE, WORDING

HOSTILE = "<script>alert('x')</script>"
WRONG_TYPE = Localized(
    ar="نوع الملف غير مدعوم؛ أرفق ملف PDF أو JPEG.", en="This file type is not accepted; attach a PDF or a JPEG."
)
NAME_MISSING = Localized(ar="لا يظهر اسمك في المستند.", en="Your name does not appear on the document.")
ONLY_A_WARNING = Localized(ar="جودة المسح منخفضة.", en="The scan quality is low.")


def practitioner(locale: str = "ar", name: str = "سارة القحطاني") -> PractitionerRef:
    return PractitionerRef(id="prac-1", name=name, email="sara@example.org", locale=locale)


def rejection(locale: str = "ar", findings: list[Finding] | None = None) -> SubmissionRejected:
    if findings is None:
        findings = [
            Finding(rule="file.type", outcome="fail", code="file.unsupported_type", message=WRONG_TYPE),
            Finding(rule="ocr.name", outcome="fail", message=NAME_MISSING),
            Finding(rule="file.size", outcome="pass"),
            Finding(rule="scan.quality", outcome="warn", message=ONLY_A_WARNING),
        ]
    return SubmissionRejected(
        submission_id="sub-7f3a",
        kind=SubmissionKind.CERTIFICATE,
        practitioner=practitioner(locale),
        findings=findings,
        rejected_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    )


def decision(
    kind: Decision,
    reason: str = "",
    locale: str = "ar",
    name: str = "سارة القحطاني",
    reason_codes: list[str] | None = None,
) -> ReviewDecided:
    return ReviewDecided(
        submission_id="sub-7f3a",
        review_id="rev-1",
        kind=SubmissionKind.CERTIFICATE,
        practitioner=practitioner(locale, name),
        decision=kind,
        reason_codes=reason_codes or [],
        reason=reason,
        reviewer_id="reviewer-9",
        decided_at=datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
    )


def bodies(notification: Notification) -> dict[str, str]:
    return {"text": notification.text, "html": notification.html, "inbox": notification.inbox_body}


def assert_comes_before(first: str, second: str, where: str) -> None:
    assert first in where and second in where
    assert where.index(first) < where.index(second)


# --- language order ---------------------------------------------------------------------------


def test_arabic_practitioner_reads_arabic_first_then_english() -> None:
    notification = notification_for_rejection(rejection("ar"))

    assert notification.locale == "ar"
    assert_comes_before("طلبك يحتاج إلى تصحيح", "Your submission needs corrections", notification.subject)
    assert_comes_before("طلبك يحتاج إلى تصحيح", "Your submission needs corrections", notification.inbox_title)
    for where in bodies(notification).values():
        assert_comes_before(WRONG_TYPE.ar, WRONG_TYPE.en, where)


def test_english_practitioner_reads_english_first_then_arabic() -> None:
    notification = notification_for_decision(decision(Decision.APPROVE, locale="en"))

    assert notification.locale == "en"
    assert_comes_before("Your submission has been approved", "تم اعتماد طلبك", notification.subject)
    for where in bodies(notification).values():
        assert_comes_before("We are pleased", "يسرّنا", where)


def test_html_marks_each_language_with_its_direction() -> None:
    for locale in ("ar", "en"):
        html = notification_for_rejection(rejection(locale)).html

        assert 'lang="ar" dir="rtl"' in html
        assert 'lang="en" dir="ltr"' in html
        root = html[html.index("<html") : html.index(">", html.index("<html"))]
        assert f'lang="{locale}"' in root
        assert ('dir="rtl"' if locale == "ar" else 'dir="ltr"') in root


# --- rejections: what to fix ------------------------------------------------------------------


def test_rejection_lists_every_failed_check_in_both_languages() -> None:
    notification = notification_for_rejection(rejection())

    assert notification.kind == "submission.rejected"
    assert notification.recipient_id == "prac-1"
    assert notification.email == "sara@example.org"
    for where in bodies(notification).values():
        for message in (WRONG_TYPE, NAME_MISSING):
            assert message.ar in where
            assert message.en in where
        assert "المطلوب تصحيحه" in where
        assert "What to fix" in where


def test_rejection_leaves_out_checks_that_did_not_fail() -> None:
    notification = notification_for_rejection(rejection())

    for where in bodies(notification).values():
        assert ONLY_A_WARNING.ar not in where
        assert ONLY_A_WARNING.en not in where


def test_failed_check_without_a_message_is_still_named() -> None:
    notification = notification_for_rejection(rejection(findings=[Finding(rule="ocr.date", outcome="fail")]))

    assert "«ocr.date»" in notification.text
    assert "“ocr.date”" in notification.text


def test_rejection_without_any_failed_check_still_says_what_went_wrong() -> None:
    notification = notification_for_rejection(rejection(findings=[]))

    assert "لم يستوفِ المستند متطلبات التحقق الآلي." in notification.text
    assert "The document did not meet the automated checks." in notification.text


def test_same_message_from_two_checks_is_listed_once() -> None:
    twice = [Finding(rule=rule, outcome="fail", message=WRONG_TYPE) for rule in ("file.magic", "file.type")]
    notification = notification_for_rejection(rejection(findings=twice))

    assert notification.text.count(WRONG_TYPE.en) == 1


# --- decisions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected_kind", "arabic", "english"),
    [
        (Decision.APPROVE, "review.approved", "تم اعتماد طلبك", "Your submission has been approved"),
        (Decision.REJECT, "review.rejected", "لم تتم الموافقة على طلبك", "Your submission was not approved"),
        (
            Decision.REQUEST_CHANGES,
            "review.changes_requested",
            "مطلوب إجراء تعديلات على طلبك",
            "Changes requested on your submission",
        ),
    ],
)
def test_each_decision_is_worded_for_what_was_decided(
    kind: Decision, expected_kind: str, arabic: str, english: str
) -> None:
    notification = notification_for_decision(decision(kind, reason="المستند غير واضح"))

    assert notification.kind == expected_kind
    assert notification.subject == f"{arabic} | {english}"
    assert arabic in notification.text and english in notification.text
    assert arabic in notification.html and english in notification.html


@pytest.mark.parametrize(
    ("kind", "arabic_heading", "english_heading"),
    [
        (Decision.REJECT, "سبب القرار:", "Reason for the decision:"),
        (Decision.REQUEST_CHANGES, "التعديلات المطلوبة:", "Requested changes:"),
    ],
)
def test_refusals_carry_the_reviewers_reason(kind: Decision, arabic_heading: str, english_heading: str) -> None:
    reason = "صورة الشهادة غير واضحة، يُرجى إرفاق نسخة أوضح."
    notification = notification_for_decision(decision(kind, reason=reason))

    for where in bodies(notification).values():
        assert reason in where
        assert arabic_heading in where
        assert english_heading in where


def test_a_rejection_lists_each_reason_in_both_languages_then_the_reviewers_note() -> None:
    note = "الختم غير ظاهر في الصفحة الثانية."
    codes = ["name_mismatch", "incomplete_document"]
    notification = notification_for_decision(decision(Decision.REJECT, reason=note, reason_codes=codes))

    for where in bodies(notification).values():
        for code in codes:
            label = REJECTION_REASONS[code]
            assert_comes_before("سبب القرار:", label.ar, where)
            assert_comes_before(label.ar, "ملاحظة المراجع:", where)
            assert_comes_before("Reason for the decision:", label.en, where)
            assert_comes_before(label.en, "Reviewer’s note:", where)
        assert where.count(note) == 2  # once in each language's section, after its reasons
        assert_comes_before("ملاحظة المراجع:", note, where)


def test_a_rejection_reason_lists_reasons_in_the_reviewers_order_each_once() -> None:
    codes = ["incomplete_document", "name_mismatch", "incomplete_document"]
    text = notification_for_decision(decision(Decision.REJECT, reason_codes=codes)).text

    assert text.count(REJECTION_REASONS["incomplete_document"].en) == 1
    assert_comes_before(REJECTION_REASONS["incomplete_document"].en, REJECTION_REASONS["name_mismatch"].en, text)


def test_a_rejection_reason_without_a_note_shows_no_note_heading() -> None:
    notification = notification_for_decision(decision(Decision.REJECT, reason_codes=["document_illegible"]))

    for where in bodies(notification).values():
        assert REJECTION_REASONS["document_illegible"].en in where
        assert "Reviewer’s note:" not in where and "ملاحظة المراجع:" not in where


def test_an_unknown_reason_code_is_shown_as_itself_rather_than_dropped() -> None:
    notification = notification_for_decision(decision(Decision.REJECT, reason_codes=["stamp_missing_v9"]))

    assert notification.text.count("- stamp_missing_v9") == 2  # in both languages' lists


def test_changes_requested_shows_the_reviewers_message_and_says_to_resubmit_from_the_submissions_page() -> None:
    message = "أرفق الصفحة الثانية من الشهادة."
    notification = notification_for_decision(decision(Decision.REQUEST_CHANGES, reason=message))

    for where in bodies(notification).values():
        assert_comes_before("التعديلات المطلوبة:", message, where)
        assert "إعادة التقديم من صفحة هذا الطلب" in where
        assert "resubmit from this submission’s page" in where


def test_the_reviewers_note_is_escaped_after_the_reasons_too() -> None:
    notification = notification_for_decision(decision(Decision.REJECT, reason=HOSTILE, reason_codes=["other"]))

    assert "<script" not in notification.html
    assert "&lt;script&gt;" in notification.html


def test_approval_does_not_show_the_reviewers_internal_note() -> None:
    notification = notification_for_decision(decision(Decision.APPROVE, reason="checked against the registry"))

    for where in bodies(notification).values():
        assert "checked against the registry" not in where


def test_every_message_names_the_submission() -> None:
    notifications = [notification_for_rejection(rejection())] + [
        notification_for_decision(decision(kind, reason="x")) for kind in Decision
    ]
    for notification in notifications:
        for where in bodies(notification).values():
            assert "sub-7f3a" in where
            assert "رقم الطلب:" in where
            assert "Submission ID:" in where


def test_message_without_a_name_still_greets_politely() -> None:
    notification = notification_for_decision(decision(Decision.APPROVE, name="  "))

    assert "حضرة الممارس الصحي،" in notification.text
    assert "Dear practitioner," in notification.text


# --- escaping -----------------------------------------------------------------------------------


def test_hostile_reason_and_name_are_escaped_in_html() -> None:
    notification = notification_for_decision(decision(Decision.REJECT, reason=HOSTILE, name=f"Eve {HOSTILE}"))

    assert "<script" not in notification.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in notification.html


def test_hostile_finding_message_is_escaped_in_html() -> None:
    hostile = Localized(ar=f"رسالة {HOSTILE}", en=f"message {HOSTILE}")
    notification = notification_for_rejection(rejection(findings=[Finding(rule="r", outcome="fail", message=hostile)]))

    assert "<script" not in notification.html
    assert "&lt;script&gt;" in notification.html


def test_plain_text_keeps_user_text_verbatim() -> None:
    # Plain text is not HTML: escaping there would show "&lt;" to the reader.
    notification = notification_for_decision(decision(Decision.REJECT, reason="a < b & c"))

    assert "a < b & c" in notification.text
    assert "a < b & c" in notification.inbox_body
    assert "a &lt; b &amp; c" in notification.html


# --- channels and delivery keys -----------------------------------------------------------------


def test_every_kind_has_channels_wording_and_an_sms_notice_when_it_texts() -> None:
    for kind, channels in CHANNELS.items():
        assert channels, kind
        if kind != ACCOUNT_PHONE_CODE:  # the code's SMS has its own two lines
            assert set(WORDING[kind]) == {"ar", "en"}, kind
        if "sms" in channels and kind != ACCOUNT_PHONE_CODE:
            assert set(SMS_NOTICE[kind]) == {"ar", "en"}, kind


def test_outcomes_and_deadlines_reach_every_channel_and_codes_only_their_own() -> None:
    for kind in (*KIND_OF_DECISION.values(), FEE_INVOICED, CLASSIFICATION_LAPSED, CLASSIFICATION_CHANGED):
        assert set(CHANNELS[kind]) == {"inbox", "email", "sms"}, kind
    assert CHANNELS[ACCOUNT_PHONE_CODE] == ("sms",)
    assert CHANNELS[ACCOUNT_EMAIL_CONFIRMATION] == ("email",)


def test_delivery_key_is_stable() -> None:
    assert delivery_key("evt-1", "email", "prac-1") == delivery_key("evt-1", "email", "prac-1")


def test_delivery_key_differs_per_channel_recipient_and_event() -> None:
    keys = {
        delivery_key("evt-1", "email", "prac-1"),
        delivery_key("evt-1", "inbox", "prac-1"),
        delivery_key("evt-1", "email", "prac-2"),
        delivery_key("evt-2", "email", "prac-1"),
    }

    assert len(keys) == 4


def test_delivery_key_cannot_be_forged_by_moving_a_separator() -> None:
    assert delivery_key("a:b", "c", "d") != delivery_key("a", "b:c", "d")


def test_delivery_key_does_not_reveal_the_address() -> None:
    assert "sara@example.org" not in delivery_key("evt-1", "email", "sara@example.org")
