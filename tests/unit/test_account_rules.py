from datetime import UTC, datetime, timedelta

import pytest

from mumaris.errors import MESSAGES
from services.intake.accounts.rules import (
    AccountRuleError,
    Passwords,
    PhoneCode,
    check_id_number,
    check_membership_number,
    check_name,
    check_password,
    check_resend,
    code_digest,
    login_lock_remaining,
    make_valid_id,
    masked_mobile,
    membership_number,
    new_code,
    normalize_email,
    normalize_mobile,
    parse_id_number,
    resend_wait_s,
    verify_code,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PEPPER = "test-pepper"


def refused(call, *args, **kwargs) -> AccountRuleError:
    with pytest.raises(AccountRuleError) as caught:
        call(*args, **kwargs)
    assert caught.value.code in MESSAGES
    return caught.value


def _arabic_indic(digits: str) -> str:
    return "".join(chr(0x0660 + int(d)) for d in digits)


# --- ID numbers -----------------------------------------------------------------------------------

NATIONAL_ID = make_valid_id("1", "01234567")
IQAMA = make_valid_id("2", "34567890")


def test_known_check_digits() -> None:
    # hand-computed: 1,0,0,0,0,0,0,0,0 -> doubled 1 gives 2, total 2, check digit 8
    assert make_valid_id("1", "00000000") == "1000000008"
    assert make_valid_id("2", "00000000") == "2000000006"
    assert check_id_number("1000000008") == "national_id"
    assert check_id_number("2000000006") == "iqama"


def test_valid_national_id_and_iqama() -> None:
    assert check_id_number(NATIONAL_ID) == "national_id"
    assert check_id_number(IQAMA) == "iqama"
    assert parse_id_number(f"  {IQAMA} ") == (IQAMA, "iqama")


@pytest.mark.parametrize("valid", [NATIONAL_ID, IQAMA])
def test_every_other_check_digit_is_refused(valid: str) -> None:
    for digit in "0123456789":
        if digit == valid[-1]:
            continue
        error = refused(check_id_number, valid[:-1] + digit)
        assert (error.code, error.field) == ("account.id_invalid_check_digit", "id_number")


def test_a_swapped_pair_of_digits_is_caught() -> None:
    swapped = NATIONAL_ID[:3] + NATIONAL_ID[4] + NATIONAL_ID[3] + NATIONAL_ID[5:]
    assert refused(check_id_number, swapped).code == "account.id_invalid_check_digit"


@pytest.mark.parametrize(
    "value",
    [
        "3" + NATIONAL_ID[1:],  # starts with 3
        "0" + NATIONAL_ID[1:],
        NATIONAL_ID[:9],  # 9 digits
        NATIONAL_ID + "0",  # 11 digits
        NATIONAL_ID[:5] + "a" + NATIONAL_ID[6:],
        "",
        "1234 56789",
        "١٢٣",
    ],
)
def test_malformed_id_numbers(value: str) -> None:
    assert refused(check_id_number, value).code == "account.id_invalid_format"


def test_a_valid_looking_number_starting_with_3_is_a_format_error() -> None:
    payload = "300000000"
    # even with a right Luhn digit
    from services.intake.accounts.rules import _luhn_check_digit

    assert refused(check_id_number, payload + _luhn_check_digit(payload)).code == "account.id_invalid_format"


def test_arabic_indic_digits_are_accepted_and_normalised() -> None:
    assert check_id_number(_arabic_indic(NATIONAL_ID)) == "national_id"
    assert parse_id_number(_arabic_indic(IQAMA)) == (IQAMA, "iqama")
    eastern = "".join(chr(0x06F0 + int(d)) for d in IQAMA)
    assert check_id_number(eastern) == "iqama"


def test_iqama_given_as_national_id_is_a_mix_up() -> None:
    assert refused(check_id_number, IQAMA, expected="national_id").code == "account.id_kind_mismatch"
    assert refused(check_id_number, NATIONAL_ID, expected="iqama").code == "account.id_kind_mismatch"
    assert check_id_number(IQAMA, expected="iqama") == "iqama"


def test_make_valid_id_needs_nine_digits() -> None:
    with pytest.raises(ValueError):
        make_valid_id("1", "123")


# --- mobile ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0512345678",
        "512345678",
        "966512345678",
        "+966512345678",
        "00966512345678",
        "+966 51 234 5678",
        "051-234-5678",
        "(051) 234 5678",
        " 0512345678 ",
        "٠٥١٢٣٤٥٦٧٨",
    ],
)
def test_mobile_forms_normalise(value: str) -> None:
    assert normalize_mobile(value) == "+966512345678"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0412345678",
        "051234567",
        "05123456789",
        "+971512345678",
        "+96605123456",
        "966412345678",
        "05123x5678",
        "+9665123456789",
        "phone",
    ],
)
def test_bad_mobiles(value: str) -> None:
    error = refused(normalize_mobile, value)
    assert (error.code, error.field) == ("account.mobile_invalid", "mobile")


# --- e-mail ---------------------------------------------------------------------------------------


def test_email_is_normalised() -> None:
    assert normalize_email("  Sara.Ali@Example.COM ") == "sara.ali@example.com"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "sara",
        "sara@",
        "@example.com",
        "sara@@example.com",
        "sara@exa mple.com",
        "sara@localhost",
        "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com",
    ],
)
def test_bad_emails(value: str) -> None:
    assert refused(normalize_email, value).code == "account.email_invalid"


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Sara", "Sara"),
        ("  Al-Harbi ", "Al-Harbi"),
        ("O'Neil", "O'Neil"),
        ("عبد   الله", "عبد الله"),
        ("محمد", "محمد"),
        ("آل سعود", "آل سعود"),
        ("José", "José"),
        ("A", "A"),
        ("x" * 50, "x" * 50),
    ],
)
def test_good_names(value: str, expected: str) -> None:
    assert check_name(value, "first_name") == expected


@pytest.mark.parametrize(
    "value",
    ["", "   ", "x" * 51, "Sara2", "Sara!", "<script>", "-Sara", "Sara'", "名前", "Sara\nAli", "Sara\u200fAli", "١٢٣"],
)
def test_bad_names(value: str) -> None:
    error = refused(check_name, value, "last_name")
    assert (error.code, error.field) == ("account.name_invalid", "last_name")


TATWEEL, FATHA, SHADDA, SUPERSCRIPT_ALEF = "\u0640", "\u064e", "\u0651", "\u0670"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("مُحَمَّد", "مُحَمَّد"),  # harakat on the letters
        ("نـــورة", "نـــورة"),  # tatweel stretching a joined letter
        ("رحمٰن", "رحمٰن"),  # superscript alef
        ("عبدُ الله", "عبدُ الله"),
        ("Sara سارة", "Sara سارة"),  # mixed scripts across words, as before
        ("Jose\u0301", "José"),  # a Latin combining accent composes (NFC) into a letter
    ],
)
def test_names_with_harakat_tatweel_or_accents_on_real_letters(value: str, expected: str) -> None:
    assert check_name(value, "first_name") == expected


@pytest.mark.parametrize(
    "value",
    [
        TATWEEL,
        TATWEEL * 5,
        f"{TATWEEL} {TATWEEL}",  # tatweel only
        FATHA,
        FATHA + SHADDA,
        "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652",
        SUPERSCRIPT_ALEF,  # harakat only
        TATWEEL + FATHA,
        FATHA + TATWEEL * 3,  # both, still no letter
        # a word that does not start with a letter
        f"نورة {TATWEEL * 3}",
        f"نورة-{FATHA}",
        f"{TATWEEL}نورة",
        f"{FATHA}نورة",
        f"Sara{FATHA}",
        f"Sara{TATWEEL}",  # Arabic signs on a Latin letter
        "\u200d",
        "\u200c",
        "\u200e",
        "\u200f",
        "\ufeff",
        "\u200d\u200c",  # invisible / format characters only
        "Sara\u200dAli",
        "\ufeffSara",  # ... or inside a name
        "\u0301",
        "\u0301\u0301",
        "a\u0308\u0301",  # combining marks with no letter, or left over after NFC
        "-",
        "'",
        "’",
        "- ' -",
        "--",
        "Sara - -",  # punctuation only, or a word of it
        "\u00a0",
        "\u3000",  # a no-break or ideographic space alone: collapsed and trimmed, nothing is left
    ],
)
def test_names_of_signs_marks_invisible_characters_or_punctuation_alone_are_refused(value: str) -> None:
    assert refused(check_name, value, "first_name").code == "account.name_invalid"


# --- passwords ------------------------------------------------------------------------------------

PERSONAL = {"email": "sara.ali@example.com", "id_number": NATIONAL_ID, "names": ["Sara", "Al Harbi"]}
GOOD = "Tr0ub4dor&3x"


def test_a_strong_password_passes() -> None:
    check_password(GOOD, GOOD, **PERSONAL)
    check_password("كلمة-سر-قوية-2026", "كلمة-سر-قوية-2026", **PERSONAL)


@pytest.mark.parametrize(
    "password",
    [
        "Sh0rt!pw",  # 8 characters
        "abcdefghijk!",  # no digit
        "1234567890!!",  # no letter
        "abcdefgh1234",  # no symbol
        "abcd 1234 efgh",  # a space is not a symbol
        "",
    ],
)
def test_weak_passwords(password: str) -> None:
    error = refused(check_password, password, password, **PERSONAL)
    assert (error.code, error.field) == ("account.password_weak", "password")


def test_a_very_long_password_is_refused() -> None:
    password = "Aa1!" * 40
    assert refused(check_password, password, password, **PERSONAL).code == "account.password_too_long"


@pytest.mark.parametrize(
    "password",
    [
        "SARA.ALI#2026x",  # e-mail local part, other case
        f"x!{NATIONAL_ID}",  # ID number
        f"x!{_arabic_indic(NATIONAL_ID)}",  # ID number in Arabic-Indic digits
        "my-sara-2026!",  # first name
        "harbi#1234567",  # word of the last name
        "AlHarbi#12345",  # last name without its space
    ],
)
def test_personal_data_inside_the_password(password: str) -> None:
    error = refused(check_password, password, password, **PERSONAL)
    assert error.code == "account.password_contains_personal_data"


def test_short_names_do_not_forbid_everything() -> None:
    check_password("Al#9pqrstuvw", "Al#9pqrstuvw", email="al@example.com", id_number=IQAMA, names=["Al", "Li"])


def test_mismatched_confirmation() -> None:
    error = refused(check_password, GOOD, GOOD + "!", **PERSONAL)
    assert (error.code, error.field) == ("account.password_mismatch", "password_confirmation")


# argon2 at low cost for speed; the production defaults are tested once.
FAST = Passwords(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = FAST.hash(GOOD)
    assert hashed.startswith("$argon2id$")
    assert GOOD not in hashed
    assert FAST.verify(hashed, GOOD) is True
    assert FAST.verify(hashed, GOOD + "x") is False
    assert FAST.verify("not-a-hash", GOOD) is False
    assert FAST.hash(GOOD) != hashed  # salted


def test_needs_rehash_when_parameters_change() -> None:
    production = Passwords()
    weak = FAST.hash(GOOD)
    assert production.needs_rehash(weak) is True
    strong = production.hash(GOOD)
    assert strong.startswith("$argon2id$")
    assert production.needs_rehash(strong) is False
    assert production.verify(weak, GOOD) is True  # old hashes still verify, then get rehashed


def test_an_argon2i_hash_needs_rehash() -> None:
    from argon2 import PasswordHasher, Type

    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.I).hash(GOOD)
    assert FAST.needs_rehash(old) is True
    assert FAST.verify(old, GOOD) is True


def test_dummy_verification_is_always_false() -> None:
    assert FAST.verify_dummy(GOOD) is False


# --- SMS codes ------------------------------------------------------------------------------------


def _code(code: str = "123456", **kwargs) -> PhoneCode:
    return PhoneCode(digest=code_digest(code, PEPPER), issued_at=NOW, **kwargs)


def verify(current: PhoneCode | None, submitted: str, *, at: datetime = NOW + timedelta(seconds=30)):
    return verify_code(current, submitted, pepper=PEPPER, now=at, ttl_s=300, max_attempts=5)


def test_new_codes_are_six_digits() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150


def test_the_digest_depends_on_the_pepper_and_hides_the_code() -> None:
    digest = code_digest("123456", PEPPER)
    assert len(digest) == 64 and "123456" not in digest
    assert digest != code_digest("123456", "other-pepper")


def test_the_right_code_is_accepted_and_consumed() -> None:
    assert verify(_code(), "123456") == (True, None)
    assert verify(_code(), " ١٢٣٤٥٦ ") == (True, None)
    assert verify(_code(attempts=4), "123456") == (True, None)


def test_replay_after_success_finds_no_code() -> None:
    ok, state = verify(_code(), "123456")
    assert ok and state is None
    assert refused(verify, state, "123456").code == "account.code_missing"


def test_wrong_codes_are_counted_and_kill_the_code_at_the_limit() -> None:
    state = _code()
    for attempt in range(1, 6):
        ok, state = verify(state, "654321")
        assert not ok and state is not None
        assert state.attempts == attempt
        assert state.dead is (attempt == 5)
    error = refused(verify, state, "123456")  # even the right code, now
    assert (error.code, error.field) == ("account.code_dead", "code")


@pytest.mark.parametrize("submitted", ["", "12345", "1234567", "abcdef", "12345x"])
def test_malformed_codes_count_as_wrong(submitted: str) -> None:
    ok, state = verify(_code(), submitted)
    assert not ok and state is not None and state.attempts == 1


def test_expired_code() -> None:
    assert refused(verify, _code(), "123456", at=NOW + timedelta(seconds=300)).code == "account.code_expired"
    assert verify(_code(), "123456", at=NOW + timedelta(seconds=299))[0] is True


def test_naive_times_from_the_database_are_read_as_utc() -> None:
    stored = PhoneCode(digest=code_digest("123456", PEPPER), issued_at=NOW.replace(tzinfo=None))
    assert verify(stored, "123456")[0] is True


def test_no_code() -> None:
    assert refused(verify, None, "123456").code == "account.code_missing"


def test_a_dead_code_stays_dead() -> None:
    assert refused(verify, _code(dead=True), "123456").code == "account.code_dead"


# --- resend ---------------------------------------------------------------------------------------


def resend(sent: list[datetime], at: datetime) -> None:
    check_resend(sent, now=at, min_interval_s=60, per_hour=5)


def test_resend_allowed() -> None:
    resend([], NOW)
    resend([NOW], NOW + timedelta(seconds=60))


def test_resend_too_soon_says_when() -> None:
    error = refused(resend, [NOW], NOW + timedelta(seconds=15))
    assert error.code == "account.code_resend_too_soon"
    assert error.retry_after_s == 45


def test_resend_hourly_limit_says_when() -> None:
    sent = [NOW + timedelta(minutes=m) for m in (0, 5, 10, 15, 20)]
    error = refused(resend, sent, NOW + timedelta(minutes=30))
    assert error.code == "account.code_resend_limit"
    assert error.retry_after_s == 30 * 60  # when the first send leaves the hour
    resend(sent, NOW + timedelta(minutes=60, seconds=1))
    # older sends do not count
    resend([NOW - timedelta(hours=2)] * 10 + sent[1:], NOW + timedelta(minutes=30))


def test_resend_limit_wait_covers_the_interval_too() -> None:
    sent = [NOW - timedelta(minutes=59, seconds=50)] + [NOW - timedelta(seconds=s) for s in (40, 30, 20, 10)]
    error = refused(resend, sent, NOW)
    assert error.code == "account.code_resend_limit"
    assert error.retry_after_s == 50  # the hour frees a slot in 10 s, but the interval needs 50 s


# --- login throttling -----------------------------------------------------------------------------


def lock(failures: list[datetime], at: datetime) -> int:
    return login_lock_remaining(failures, now=at, max_failures=5, lock_s=15 * 60)


def test_four_failures_do_not_lock() -> None:
    assert lock([NOW + timedelta(seconds=s) for s in range(4)], NOW + timedelta(seconds=5)) == 0


def test_five_failures_within_fifteen_minutes_lock_then_unlock() -> None:
    failures = [NOW + timedelta(minutes=m) for m in (0, 3, 6, 9, 12)]
    last = failures[-1]
    assert lock(failures, last) == 15 * 60
    assert lock(failures, last + timedelta(minutes=10)) == 5 * 60
    assert lock(failures, last + timedelta(minutes=15)) == 0
    assert lock(failures, last + timedelta(hours=1)) == 0


def test_a_burst_locks_for_the_full_period_even_as_it_leaves_the_window() -> None:
    failures = [NOW + timedelta(seconds=s) for s in range(5)]
    assert lock(failures, NOW + timedelta(minutes=14)) == 60 + 4
    # older failures that the store still returns do not shorten or break the rule
    assert lock([NOW - timedelta(hours=3)] * 3 + failures, NOW + timedelta(minutes=14)) == 64


def test_failures_spread_over_more_than_the_window_do_not_lock() -> None:
    failures = [NOW + timedelta(minutes=m) for m in (0, 4, 8, 12, 16)]
    assert lock(failures, failures[-1]) == 0
    assert lock([], NOW) == 0


# --- membership numbers ---------------------------------------------------------------------------


def test_membership_numbers() -> None:
    assert membership_number(1) == "MP-00000018"
    assert membership_number(9_999_999) == "MP-99999997"
    numbers = {membership_number(n) for n in range(1, 2000)}
    assert len(numbers) == 1999
    assert all(check_membership_number(n) == n for n in numbers)
    assert check_membership_number(" mp-0000 0018 ") == "MP-00000018"
    with pytest.raises(ValueError):
        membership_number(0)
    with pytest.raises(ValueError):
        membership_number(10_000_000)


@pytest.mark.parametrize("value", ["MP-00000019", "MP-0000018", "XX-00000018", "00000018", "", "MP-00000000"])
def test_bad_membership_numbers(value: str) -> None:
    assert refused(check_membership_number, value).code == "account.membership_number_invalid"


def test_the_code_page_shows_enough_of_the_number_to_recognise_it_and_the_wait_before_another() -> None:
    assert masked_mobile("+966551234567") == "+966••••••567"
    assert masked_mobile("0551") == "••••"
    at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    rule = {"now": at, "min_interval_s": 60, "per_hour": 5}
    assert resend_wait_s([], **rule) == 0
    assert resend_wait_s([at - timedelta(seconds=20)], **rule) == 40
    assert resend_wait_s([at - timedelta(seconds=61)], **rule) == 0
    five = [at - timedelta(minutes=m) for m in (50, 40, 30, 20, 10)]
    assert resend_wait_s(five, **rule) == 10 * 60  # the hour's fifth: until the oldest is an hour old
