"""The forgotten password (PasswordResets) with an in-memory unit of work and stores: asking answers
alike for every e-mail, the link is single-use, sealed, valid about 30 minutes and follows the
password policy, and using it ends every session of the account. The same journey runs in a
browser on the real stack in tests/e2e/test_portal.py."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from mumaris.clock import now
from mumaris.crypto import signed_token, unseal
from schemas import topics
from services.intake.accounts.rules import AccountRuleError, make_valid_id
from services.intake.accounts.service import PASSWORD_RESET, RESET_LINK_PATH, PasswordResets
from tests.unit.intake_fakes import refused
from tests.unit.test_intake_accounts_service import FAST, KEY, PASSWORD, SETTINGS, Accounts

NEW_PASSWORD = "Shifa#2027-anew"
CLIENT = "10.0.0.9"


class Resets(Accounts):
    def __init__(self) -> None:
        super().__init__()
        self.resets = PasswordResets(self.uow, self.store, self.sessions, SETTINGS, FAST)  # type: ignore[arg-type]

    def links(self) -> list[str]:
        return [unseal(e.sealed_link, KEY) for e in self.uow.outbox.of(topics.ACCOUNT_PASSWORD_RESET)]

    def last_token(self) -> str:
        return parse_qs(urlsplit(self.links()[-1]).query)["token"][0]


@pytest.fixture
def resets() -> Resets:
    return Resets()


async def test_asking_answers_alike_for_a_known_an_unknown_and_a_pending_address(resets: Resets) -> None:
    account_id = await resets.active()
    other = {"email": "pending@example.sa", "id_number": make_valid_id("1", "00000005"), "mobile": "0559876543"}
    pending = await resets.registrations.sign_up(resets.form(**other))
    assert resets.store.accounts[pending]["status"] == "pending_phone"

    for email in ("nobody@example.sa", "pending@example.sa", "NOURA@example.sa"):
        assert await resets.resets.request(email, CLIENT) is None  # no answer tells them apart

    [sent] = resets.uow.outbox.of(topics.ACCOUNT_PASSWORD_RESET)
    assert (sent.account_id, sent.email, sent.locale) == (account_id, "noura@example.sa", "ar")
    assert timedelta(minutes=29) < sent.expires_at - now() <= timedelta(minutes=30)
    [link] = resets.links()
    assert link.startswith(f"{SETTINGS.public_base_url}{RESET_LINK_PATH}?token=")
    assert link not in sent.model_dump_json()  # sealed on the topic


async def test_an_address_that_is_no_e_mail_is_refused_for_its_field(resets: Resets) -> None:
    invalid = await refused(AccountRuleError, resets.resets.request("not-an-address", CLIENT))
    assert (invalid.code, invalid.field) == ("account.email_invalid", "email")


async def test_a_mailbox_gets_one_link_a_minute_and_five_an_hour_silently(resets: Resets) -> None:
    account_id = await resets.active()
    await resets.resets.request("noura@example.sa", CLIENT)
    await resets.resets.request("noura@example.sa", CLIENT)  # within the minute: answered, not sent
    assert len(resets.links()) == 1

    account = resets.store.accounts[account_id]
    account["reset_sends"] = [now() - timedelta(minutes=50 - 10 * i) for i in range(5)]
    await resets.resets.request("noura@example.sa", CLIENT)
    assert len(resets.links()) == 1
    account["reset_sends"] = [now() - timedelta(minutes=61)]
    await resets.resets.request("noura@example.sa", CLIENT)
    assert len(resets.links()) == 2


async def test_one_client_asking_too_often_is_told_to_wait(resets: Resets) -> None:
    for n in range(SETTINGS.password_reset_per_address_per_hour):
        await resets.resets.request(f"someone.{n}@example.sa", CLIENT)
    limit = await refused(AccountRuleError, resets.resets.request("noura@example.sa", CLIENT))
    assert limit.code == "account.reset_limit" and limit.retry_after_s and limit.retry_after_s > 60
    await resets.resets.request("noura@example.sa", "10.0.0.10")  # another address is not held up


async def test_the_link_sets_a_new_password_once_and_ends_every_session(resets: Resets) -> None:
    account_id = await resets.active()
    first = await resets.sign_in.login("noura@example.sa", PASSWORD, CLIENT)
    second = await resets.sign_in.login("noura@example.sa", PASSWORD, "10.0.0.2")
    await resets.resets.request("noura@example.sa", CLIENT)
    token = resets.last_token()
    assert (await resets.resets.usable_link(token))["_id"] == account_id  # the link's page shows the form

    assert await resets.resets.reset(token, NEW_PASSWORD, NEW_PASSWORD) == account_id
    assert FAST.verify(resets.store.accounts[account_id]["password_hash"], NEW_PASSWORD)
    assert {reason for _, reason in resets.sessions.ended} == {"password_reset"}
    assert len(resets.sessions.ended) == 2
    for old in (first, second):
        ended = await refused(AccountRuleError, resets.sign_in.refresh(old.refresh_token))
        assert ended.code == "auth.invalid_token"
    old_password = await refused(AccountRuleError, resets.sign_in.login("noura@example.sa", PASSWORD, CLIENT))
    assert old_password.code == "account.login_failed"
    await resets.sign_in.login("noura@example.sa", NEW_PASSWORD, CLIENT)

    again = await refused(AccountRuleError, resets.resets.reset(token, "Other#2027-pass", "Other#2027-pass"))
    assert again.code == "account.reset_link_invalid"
    used = await refused(AccountRuleError, resets.resets.usable_link(token))  # and its page says so at once
    assert used.code == "account.reset_link_invalid"


async def test_the_new_password_follows_the_policy_and_a_refusal_keeps_the_link(resets: Resets) -> None:
    account_id = await resets.active()
    await resets.resets.request("noura@example.sa", CLIENT)
    token = resets.last_token()
    for password, confirmation, code in (
        ("short1!", "short1!", "account.password_weak"),
        (NEW_PASSWORD, "Shifa#2027-other", "account.password_mismatch"),
        ("Noura#2027-pass", "Noura#2027-pass", "account.password_contains_personal_data"),
    ):
        refusal = await refused(AccountRuleError, resets.resets.reset(token, password, confirmation))
        assert refusal.code == code and refusal.field in ("password", "password_confirmation")
    assert resets.sessions.ended == []
    assert await resets.resets.reset(token, NEW_PASSWORD, NEW_PASSWORD) == account_id


async def test_an_older_link_a_foreign_one_and_an_expired_one_are_refused(resets: Resets) -> None:
    account_id = await resets.active()
    await resets.resets.request("noura@example.sa", CLIENT)
    older = resets.last_token()
    resets.store.accounts[account_id]["reset_sends"] = []
    await resets.resets.request("noura@example.sa", CLIENT)  # a newer link replaces it
    superseded = await refused(AccountRuleError, resets.resets.reset(older, NEW_PASSWORD, NEW_PASSWORD))
    assert superseded.code == "account.reset_link_invalid"

    secret = SETTINGS.jwt_secret.get_secret_value()
    confirmation = signed_token({"sub": account_id, "jti": "x"}, secret, 600)  # an e-mail confirmation's token
    foreign = await refused(AccountRuleError, resets.resets.reset(confirmation, NEW_PASSWORD, NEW_PASSWORD))
    assert foreign.code == "account.reset_link_invalid"
    stale = signed_token(
        {"sub": account_id, "jti": "x"}, secret, 1800, purpose=PASSWORD_RESET, now=now() - timedelta(hours=1)
    )
    expired = await refused(AccountRuleError, resets.resets.reset(stale, NEW_PASSWORD, NEW_PASSWORD))
    assert expired.code == "account.reset_link_expired"


async def test_a_reset_forgets_the_failed_sign_ins_that_locked_the_account(resets: Resets) -> None:
    await resets.active()
    for _ in range(SETTINGS.login_max_failures):
        await refused(AccountRuleError, resets.sign_in.login("noura@example.sa", "Wrong#2026-guess", CLIENT))
    locked = await refused(AccountRuleError, resets.sign_in.login("noura@example.sa", PASSWORD, CLIENT))
    assert locked.code == "account.login_locked"
    await resets.resets.request("noura@example.sa", CLIENT)
    await resets.resets.reset(resets.last_token(), NEW_PASSWORD, NEW_PASSWORD)
    await resets.sign_in.login("noura@example.sa", NEW_PASSWORD, CLIENT)
