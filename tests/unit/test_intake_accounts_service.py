"""Intake's account use cases with an in-memory unit of work and stores: sign-up, the SMS code and
its limits, the e-mail link, staff accounts, login with its lockout, refresh-token reuse, profile
changes. The same journeys run on the real stack in tests/e2e/test_accounts.py."""

from collections.abc import Awaitable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from mumaris.auth import verify_token
from mumaris.clock import now
from mumaris.crypto import unseal
from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import Decision, PractitionerRef, ReviewDecided, SubmissionKind
from services.intake.accounts.rules import AccountRuleError, Passwords, code_digest, make_valid_id
from services.intake.accounts.service import (
    ProfilePatch,
    Profiles,
    Registrations,
    SignIn,
    SignUp,
    StaffAccount,
    latin_name,
)
from tests.fakes import FakeUnitOfWork
from tests.unit.intake_fakes import (
    FakeAccountStore,
    FakeClassificationStore,
    FakeSessions,
    FakeSubmissionStore,
    refused,
)

SETTINGS = Settings()
KEY = SETTINGS.field_encryption_key.get_secret_value()
PASSWORD = "Sahha#2026-safe"
FAST = Passwords(time_cost=1, memory_cost=1024, parallelism=1)  # argon2id, cheap enough for unit tests


class Accounts:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.store = FakeAccountStore()
        self.sessions = FakeSessions(self.store)
        self.registrations = Registrations(self.uow, self.store, SETTINGS, FAST)  # type: ignore[arg-type]
        self.sign_in = SignIn(self.store, self.sessions, SETTINGS, FAST)  # type: ignore[arg-type]

    def form(self, **overrides: Any) -> SignUp:
        values: dict[str, Any] = {
            "first_name": "نورة",
            "last_name": "القحطاني",
            "id_number": make_valid_id("1", "00000000"),
            "email": "Noura@Example.sa",
            "mobile": "0551234567",
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
            "accept_terms": True,
        }
        return SignUp(**{**values, **overrides})

    def last_code(self) -> str:
        return unseal(self.uow.outbox.of(topics.ACCOUNT_PHONE_CODE)[-1].sealed_code, KEY)

    def last_link_token(self) -> str:
        link = unseal(self.uow.outbox.of(topics.ACCOUNT_EMAIL_CONFIRMATION)[-1].sealed_link, KEY)
        return parse_qs(urlsplit(link).query)["token"][0]

    async def active(self) -> str:
        account_id = await self.registrations.sign_up(self.form())
        await self.registrations.verify_phone(account_id, self.last_code())
        await self.registrations.confirm_email(self.last_link_token())
        return account_id


@pytest.fixture
def accounts() -> Accounts:
    return Accounts()


async def refusal(call: Awaitable[object]) -> AccountRuleError:
    return await refused(AccountRuleError, call)


async def test_sign_up_stores_the_account_and_sends_its_code_in_one_transaction(accounts: Accounts) -> None:
    account_id = await accounts.registrations.sign_up(accounts.form())
    account = accounts.store.accounts[account_id]
    assert (account["email"], account["mobile"], account["status"]) == (
        "noura@example.sa",
        "+966551234567",
        "pending_phone",
    )
    assert account["phone_code"]["digest"] == code_digest(accounts.last_code(), SETTINGS.otp_pepper.get_secret_value())
    assert [e.account_id for e in accounts.uow.outbox.of(topics.ACCOUNT_REGISTERED)] == [account_id]
    assert accounts.uow.transactions == 1


async def test_sign_up_refuses_bad_input_and_a_taken_address_storing_nothing(accounts: Accounts) -> None:
    weak = await refusal(accounts.registrations.sign_up(accounts.form(password="short", password_confirmation="short")))
    assert (weak.code, weak.details) == ("account.password_weak", {"field": "password"})
    terms = await refusal(accounts.registrations.sign_up(accounts.form(accept_terms=False)))
    assert (terms.code, terms.details) == ("account.terms_required", {"field": "accept_terms"})
    assert accounts.store.accounts == {} and accounts.uow.outbox.events == []

    await accounts.registrations.sign_up(accounts.form())
    taken = await refusal(accounts.registrations.sign_up(accounts.form(id_number=make_valid_id("1", "00000001"))))
    assert taken.code == "account.email_taken"
    assert len(accounts.uow.outbox.of(topics.ACCOUNT_REGISTERED)) == 1


async def test_a_wrong_code_is_counted_and_the_fifth_kills_the_code(accounts: Accounts) -> None:
    account_id = await accounts.registrations.sign_up(accounts.form())
    for attempt in range(1, SETTINGS.otp_max_attempts + 1):
        wrong = await refusal(accounts.registrations.verify_phone(account_id, "000000"))
        assert (wrong.code, accounts.store.accounts[account_id]["phone_code"]["attempts"]) == (
            "account.code_wrong",
            attempt,
        )
    dead = await refusal(accounts.registrations.verify_phone(account_id, accounts.last_code()))
    assert dead.code == "account.code_dead"
    assert accounts.uow.outbox.of(topics.ACCOUNT_EMAIL_CONFIRMATION) == []


async def test_resending_waits_a_minute_and_stops_at_five_an_hour(accounts: Accounts) -> None:
    account_id = await accounts.registrations.sign_up(accounts.form())
    too_soon = await refusal(accounts.registrations.resend_code(account_id))
    assert too_soon.code == "account.code_resend_too_soon" and 1 <= too_soon.retry_after_s <= 60  # type: ignore[operator]

    # Five codes sent in the last hour, the last two minutes ago: the sixth must wait.
    earlier = now() - timedelta(minutes=50)
    accounts.store.accounts[account_id]["code_sends"] = [earlier + timedelta(minutes=12 * i) for i in range(5)]
    limit = await refusal(accounts.registrations.resend_code(account_id))
    assert limit.code == "account.code_resend_limit" and limit.details["retry_after_s"] > 60
    assert len(accounts.uow.outbox.of(topics.ACCOUNT_PHONE_CODE)) == 1

    accounts.store.accounts[account_id]["code_sends"] = [now() - timedelta(minutes=2)]
    await accounts.registrations.resend_code(account_id)
    assert len(accounts.uow.outbox.of(topics.ACCOUNT_PHONE_CODE)) == 2


async def test_the_code_then_the_link_activate_the_account_and_the_link_works_once(accounts: Accounts) -> None:
    account_id = await accounts.registrations.sign_up(accounts.form())
    await accounts.registrations.verify_phone(account_id, accounts.last_code())
    assert accounts.store.accounts[account_id]["status"] == "pending_email"
    token = accounts.last_link_token()
    assert await accounts.registrations.confirm_email(token) == (account_id, "MP-00000018")
    used = await refusal(accounts.registrations.confirm_email(token))
    assert used.code == "account.link_used"


async def test_a_staff_account_is_active_at_once_and_checked_like_a_sign_up(accounts: Accounts) -> None:
    staff: StaffAccount = {
        "role": "reviewer",
        "email": "khalid@scfhs.gov.sa",
        "first_name": "Khalid",
        "last_name": "Al-Dosari",
        "id_number": make_valid_id("1", "12345678"),
        "password": "Review#2026-desk",
        "locale": "ar",
    }
    account_id = await accounts.registrations.create_staff(staff)
    account = accounts.store.accounts[account_id]
    assert (account["role"], account["status"], account["mobile"]) == ("reviewer", "active", None)
    assert FAST.verify(account["password_hash"], "Review#2026-desk")
    named: StaffAccount = {**staff, "password": "Khalid#2026-x"}
    weak = await refusal(accounts.registrations.create_staff(named))
    assert weak.code == "account.password_contains_personal_data"
    assert accounts.uow.outbox.events == []  # operations create staff accounts: no SMS, no e-mail


async def test_login_needs_the_phone_confirmed_and_locks_after_five_failures(accounts: Accounts) -> None:
    pending = await accounts.registrations.sign_up(accounts.form())
    unconfirmed = await refusal(accounts.sign_in.login("noura@example.sa", PASSWORD, "10.0.0.1"))
    assert (unconfirmed.code, unconfirmed.details) == ("account.phone_unconfirmed", {"account_id": pending})

    for _ in range(SETTINGS.login_max_failures):
        failed = await refusal(accounts.sign_in.login("NOURA@example.sa", "Wrong#2026-guess", "10.0.0.1"))
        assert failed.code == "account.login_failed"
    locked = await refusal(accounts.sign_in.login("noura@example.sa", PASSWORD, "10.0.0.1"))
    assert locked.code == "account.login_locked"
    assert SETTINGS.login_lock_s - 5 <= locked.retry_after_s <= SETTINGS.login_lock_s  # type: ignore[operator]
    unknown = await refusal(accounts.sign_in.login("nobody@example.sa", PASSWORD, "10.0.0.1"))
    assert unknown.code == "account.login_failed"  # the same answer as a wrong password


async def test_a_refresh_token_used_twice_ends_its_session(accounts: Accounts) -> None:
    await accounts.active()
    first = await accounts.sign_in.login("noura@example.sa", PASSWORD, "10.0.0.1")
    second = await accounts.sign_in.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token and accounts.sessions.ended == []

    reused = await refusal(accounts.sign_in.refresh(first.refresh_token))
    assert reused.code == "auth.invalid_token"
    assert [reason for _, reason in accounts.sessions.ended] == ["refresh_reuse"]
    ended = await refusal(accounts.sign_in.refresh(second.refresh_token))  # the rotated one died with its session
    assert ended.code == "auth.invalid_token"


async def test_a_profile_change_waits_for_the_reviewer_and_the_language_does_not(accounts: Accounts) -> None:
    account_id = await accounts.active()
    profiles = Profiles(accounts.uow, accounts.store, FakeSubmissionStore(), FakeClassificationStore())  # type: ignore[arg-type]
    assert await profiles.request_change(account_id, ProfilePatch(locale="en")) is None
    change_id = await profiles.request_change(account_id, ProfilePatch(last_name="الشهري"))
    assert change_id is not None and accounts.store.accounts[account_id]["last_name"] == "القحطاني"
    pending = await refusal(profiles.request_change(account_id, ProfilePatch(first_name="Sara")))
    assert (pending.code, pending.details) == ("profile.change_pending", {"change_id": change_id})

    decided = ReviewDecided(
        submission_id=change_id,
        review_id=change_id,
        kind=SubmissionKind.PROFILE_CHANGE,
        practitioner=PractitionerRef(id=account_id, name="Noura", email="noura@example.sa"),
        decision=Decision.APPROVE,
        reviewer_id="r-1",
        decided_at=now(),
    )
    ce = CloudEventAttributes.new(source="/test", type=topics.REVIEW_DECIDED.ce_type, subject=change_id)
    await profiles.decided(decided, ce)
    await profiles.decided(decided, ce)  # redelivered
    account = accounts.store.accounts[account_id]
    assert (account["last_name"], account["locale"]) == ("الشهري", "en")
    assert (await profiles.profile(account_id)).pending_change is None


# --- the name in both scripts ------------------------------------------------------------------


async def test_sign_up_keeps_the_name_in_arabic_and_in_latin_letters(accounts: Accounts) -> None:
    account_id = await accounts.registrations.sign_up(
        accounts.form(first_name_latin="Noura", last_name_latin="Al-Qahtani")
    )
    account = accounts.store.accounts[account_id]
    assert (account["first_name"], account["last_name"]) == ("نورة", "القحطاني")
    assert (account["first_name_latin"], account["last_name_latin"]) == ("Noura", "Al-Qahtani")
    await accounts.registrations.verify_phone(account_id, accounts.last_code())
    tokens = await accounts.sign_in.login("noura@example.sa", PASSWORD, "203.0.113.9")
    principal = verify_token(tokens.access_token, SETTINGS)
    assert (principal.name, principal.latin_name) == ("نورة القحطاني", "Noura Al-Qahtani")


@pytest.mark.parametrize(
    ("names", "field", "code"),
    [
        (
            {"first_name": "Noura", "first_name_latin": "Noura", "last_name_latin": "Al-Qahtani"},
            "first_name",
            "account.name_not_arabic",
        ),
        ({"first_name_latin": "نورة", "last_name_latin": "Al-Qahtani"}, "first_name_latin", "account.name_not_latin"),
        ({"first_name_latin": "Noura", "last_name_latin": "القحطاني"}, "last_name_latin", "account.name_not_latin"),
        ({"first_name_latin": "Noura"}, "last_name_latin", "account.name_invalid"),  # half a name
        ({"first_name_latin": "Noura", "last_name_latin": "ـــ"}, "last_name_latin", "account.name_invalid"),  # tatweel
        (
            {"first_name_latin": "Noura\u200d", "last_name_latin": "Al-Qahtani"},
            "first_name_latin",
            "account.name_invalid",
        ),
    ],
)
async def test_each_name_is_refused_in_its_own_field_in_its_own_script(
    accounts: Accounts, names: dict[str, str], field: str, code: str
) -> None:
    refused_ = await refusal(accounts.registrations.sign_up(accounts.form(**names)))
    assert (refused_.code, refused_.field) == (code, field)
    assert accounts.store.accounts == {}


async def test_a_sign_up_without_a_latin_name_works_as_before(accounts: Accounts) -> None:
    # API clients of v1 and older accounts: one name, in either script; /v1/me shows no Latin name.
    account_id = await accounts.registrations.sign_up(accounts.form(first_name="Noura", last_name="Al-Qahtani"))
    account = accounts.store.accounts[account_id]
    assert account["first_name"] == "Noura" and account["first_name_latin"] is None
    assert latin_name(account) is None
    assert latin_name({"first_name": "سارة", "last_name": "الحربي"}) is None  # a document of before: no such keys


async def test_the_latin_name_changes_through_review_like_the_others(accounts: Accounts) -> None:
    account_id = await accounts.active()  # signed up with an Arabic name only, as before
    profiles = Profiles(accounts.uow, accounts.store, FakeSubmissionStore(), FakeClassificationStore())  # type: ignore[arg-type]
    half = await refusal(profiles.request_change(account_id, ProfilePatch(first_name_latin="Noura")))
    assert (half.code, half.field) == ("account.name_invalid", "last_name_latin")
    arabic = await refusal(
        profiles.request_change(account_id, ProfilePatch(first_name_latin="نورة", last_name_latin="x"))
    )
    assert arabic.code == "account.name_not_latin"

    change_id = await profiles.request_change(
        account_id, ProfilePatch(first_name_latin="Noura", last_name_latin="Al-Qahtani")
    )
    assert change_id is not None
    assert accounts.store.accounts[account_id]["first_name_latin"] is None  # until a reviewer approves
    (requested,) = accounts.uow.outbox.of(topics.PROFILE_CHANGE_REQUESTED)
    assert {k: (c.old, c.new) for k, c in requested.changes.items()} == {
        "first_name_latin": (None, "Noura"),
        "last_name_latin": (None, "Al-Qahtani"),
    }
    decided = ReviewDecided(
        submission_id=change_id,
        review_id=change_id,
        kind=SubmissionKind.PROFILE_CHANGE,
        practitioner=requested.practitioner,
        decision=Decision.APPROVE,
        reviewer_id="r-1",
        decided_at=now(),
    )
    await profiles.decided(
        decided, CloudEventAttributes.new(source="/t", type=topics.REVIEW_DECIDED.ce_type, subject=change_id)
    )
    account = accounts.store.accounts[account_id]
    assert (account["first_name_latin"], account["last_name_latin"]) == ("Noura", "Al-Qahtani")

    # Now that it has both, the Arabic name stays in Arabic letters.
    latin_first = await refusal(profiles.request_change(account_id, ProfilePatch(first_name="Noura")))
    assert (latin_first.code, latin_first.field) == ("account.name_not_arabic", "first_name")
    assert await profiles.request_change(account_id, ProfilePatch(last_name_latin="Al-Qahtany")) is not None
