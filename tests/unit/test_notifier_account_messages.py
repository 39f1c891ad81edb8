"""The account messages: the sign-up code by SMS and the e-mail confirmation link, each in both
languages with the practitioner's own first, the code and the link where they must be and the
link unable to inject markup."""

import pytest

from services.notifier.messages.kinds import ACCOUNT_EMAIL_CONFIRMATION, ACCOUNT_PHONE_CODE
from services.notifier.messages.rules import (
    CHANNELS,
    notification_for_email_confirmation,
    sms_for_phone_code,
)

ARABIC_CODE_LINE = "رمز التحقق لمنصة ممارس"
ENGLISH_CODE_LINE = "Mumaris verification code"
ARABIC_TITLE = "تأكيد بريدك الإلكتروني"
ENGLISH_TITLE = "Confirm your e-mail address"
LINK = "https://mumaris.example/v1/accounts/confirm-email?token=abc.def&lang=ar"


def confirmation(locale: str = "ar", link: str = LINK, name: str = "سارة القحطاني"):  # type: ignore[no-untyped-def]
    return notification_for_email_confirmation(
        recipient_id="prac-1", name=name, email="sara@example.org", locale=locale, link=link
    )


def assert_comes_before(first: str, second: str, where: str) -> None:
    assert first in where and second in where
    assert where.index(first) < where.index(second)


# --- SMS code ---------------------------------------------------------------------------------


def test_code_sms_arabic_first_for_an_arabic_reader() -> None:
    sms = sms_for_phone_code("123456", "ar", 5)

    assert_comes_before(ARABIC_CODE_LINE, ENGLISH_CODE_LINE, sms)
    assert sms.splitlines() == [
        "رمز التحقق لمنصة ممارس: 123456 (صالح 5 دقائق). لا تشاركه مع أحد.",
        "Mumaris verification code: 123456 (valid 5 minutes). Do not share it.",
    ]


def test_code_sms_english_first_for_an_english_reader() -> None:
    sms = sms_for_phone_code("654321", "en", 5)

    assert_comes_before(ENGLISH_CODE_LINE, ARABIC_CODE_LINE, sms)
    assert sms.count("654321") == 2


@pytest.mark.parametrize(
    ("minutes", "arabic", "english"),
    [
        (1, "دقيقة واحدة", "1 minute"),
        (2, "دقيقتين", "2 minutes"),
        (10, "10 دقائق", "10 minutes"),
        (15, "15 دقيقة", "15 minutes"),
    ],
)
def test_code_sms_states_its_validity_in_both_languages(minutes: int, arabic: str, english: str) -> None:
    sms = sms_for_phone_code("123456", "ar", minutes)

    assert f"(صالح {arabic})" in sms
    assert f"(valid {english})" in sms


def test_code_sms_fits_in_two_segments() -> None:
    # Arabic forces UCS-2: 67 characters per segment of a concatenated SMS.
    assert len(sms_for_phone_code("123456", "ar", 5)) <= 2 * 67


# --- e-mail confirmation ------------------------------------------------------------------------


def test_confirmation_arabic_first_for_an_arabic_reader() -> None:
    note = confirmation("ar")

    assert note.kind == ACCOUNT_EMAIL_CONFIRMATION
    assert note.subject == f"{ARABIC_TITLE} | {ENGLISH_TITLE}"
    for body in (note.text, note.html):
        assert_comes_before(ARABIC_TITLE, ENGLISH_TITLE, body)
    assert '<html lang="ar" dir="rtl">' in note.html


def test_confirmation_english_first_for_an_english_reader() -> None:
    note = confirmation("en")

    assert note.subject == f"{ENGLISH_TITLE} | {ARABIC_TITLE}"
    for body in (note.text, note.html):
        assert_comes_before(ENGLISH_TITLE, ARABIC_TITLE, body)
    assert '<html lang="en" dir="ltr">' in note.html


def test_confirmation_marks_each_language_with_its_direction() -> None:
    html = confirmation("en").html

    assert_comes_before('<div lang="en" dir="ltr"', '<div lang="ar" dir="rtl"', html)


def test_confirmation_carries_the_link_in_both_languages() -> None:
    note = confirmation("ar")

    assert note.text.count(LINK) == 2
    assert "رابط التأكيد: " + LINK in note.text
    assert "Confirmation link: " + LINK in note.text
    escaped = LINK.replace("&", "&amp;")
    assert note.html.count(f'<a href="{escaped}"') == 2
    assert LINK not in note.html  # the bare "&" only ever appears escaped


def test_confirmation_says_the_link_is_valid_24_hours_and_single_use() -> None:
    text = confirmation("ar").text

    assert "24 ساعة" in text and "مرة واحدة" in text
    assert "24 hours" in text and "only once" in text


def test_hostile_link_and_name_cannot_inject_markup() -> None:
    hostile_link = 'https://mumaris.example/c?t=x"><script>alert(1)</script>'
    note = confirmation("ar", link=hostile_link, name="<b>Sara</b>")

    assert "<script>" not in note.html and "<b>Sara</b>" not in note.html
    assert "&lt;script&gt;" in note.html and "&lt;b&gt;Sara&lt;/b&gt;" in note.html
    assert 'x"><' not in note.html
    # The text part is not HTML: it keeps the link exactly as given.
    assert hostile_link in note.text


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,hi", "/relative/path", ""])
def test_only_web_links_are_accepted(link: str) -> None:
    with pytest.raises(ValueError):
        confirmation("ar", link=link)


def test_account_messages_go_out_on_their_own_channels_only() -> None:
    assert CHANNELS[ACCOUNT_PHONE_CODE] == ("sms",)
    assert CHANNELS[ACCOUNT_EMAIL_CONFIRMATION] == ("email",)
