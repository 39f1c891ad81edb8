"""The accounts' use cases: sign-up with its SMS code and e-mail link, staff accounts created by
operations, login with rotating refresh tokens, a forgotten password, the profile and its reviewed
personal-data changes.

Each change to an account and the event it causes (account.registered, account.phone_code,
account.email_confirmation, account.password_reset, profile.change_requested) commit together
through the outbox. Codes and links cross Kafka sealed; codes are stored only as an HMAC. Every
refusal is an AccountRuleError (accounts/rules.py); routes.py gives each code its HTTP status.

The e-mail links open pages of the practitioner's portal (services/intake/portal/), where a
person who clicks them is: `EMAIL_LINK_PATH` and `RESET_LINK_PATH`.
"""

import asyncio
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, TypedDict, Unpack

from pydantic import BaseModel, Field
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from mumaris.auth import Principal, issue_token
from mumaris.clock import now
from mumaris.crypto import EMAIL_CONFIRM, TokenRefused, read_signed_token, seal, signed_token
from mumaris.mongo import UnitOfWork, make_client
from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    AccountRegistered,
    Decision,
    EmailConfirmationRequested,
    FieldChange,
    PasswordResetRequested,
    PhoneCodeIssued,
    PractitionerRef,
    ProfileChangeRequested,
    ReviewDecided,
    ReviewQueued,
)
from services.intake import SERVICE
from services.intake.accounts import rules
from services.intake.accounts.rules import AccountRuleError, Identity
from services.intake.accounts.sessions import SignInSessions
from services.intake.accounts.store import AccountStore
from services.intake.classification.store import ClassificationStore
from services.intake.submissions.rules import DECISION_STATUS, Status
from services.intake.submissions.store import SubmissionStore

Locale = Literal["ar", "en"]

EMAIL_LINK_PATH = "/portal/confirm-email"
RESET_LINK_PATH = "/portal/reset-password"
PASSWORD_RESET = "password-reset"  # the purpose of a reset link's token: never an e-mail confirmation
# Accounts that may set a new password by e-mail: those that can sign in (their phone is confirmed).
RESETTABLE = frozenset({"pending_email", "active"})


class SignUp(BaseModel):
    first_name: Annotated[str, Field(max_length=100, description="In Arabic letters (with a Latin name).")]
    last_name: Annotated[str, Field(max_length=100, description="In Arabic letters (with a Latin name).")]
    first_name_latin: Annotated[
        str | None, Field(max_length=100, description="In Latin letters, as certificates print it.")
    ] = None
    last_name_latin: Annotated[
        str | None, Field(max_length=100, description="In Latin letters, as certificates print it.")
    ] = None
    id_number: Annotated[str, Field(max_length=20)]
    id_kind: rules.IdKind | None = None  # what the practitioner says it is; catches ID/iqama mix-ups
    email: Annotated[str, Field(max_length=254)]
    mobile: Annotated[str, Field(max_length=20)]
    password: Annotated[str, Field(max_length=256)]
    password_confirmation: Annotated[str, Field(max_length=256)]
    accept_terms: bool
    locale: Locale = "ar"


class ProfilePatch(BaseModel):
    first_name: Annotated[str | None, Field(max_length=100)] = None
    last_name: Annotated[str | None, Field(max_length=100)] = None
    first_name_latin: Annotated[str | None, Field(max_length=100)] = None
    last_name_latin: Annotated[str | None, Field(max_length=100)] = None
    mobile: Annotated[str | None, Field(max_length=20)] = None
    locale: Locale | None = None


def new_account(
    identity: Identity,
    *,
    mobile: str | None,
    locale: Locale,
    password_hash: str,
    role: str,
    status: str,
    terms_version: str,
    at: datetime,
) -> dict[str, Any]:
    """The one account document, for a practitioner's sign-up and a staff account alike."""
    return {
        "_id": str(uuid.uuid4()),
        "first_name": identity.first_name,
        "last_name": identity.last_name,
        "first_name_latin": identity.first_name_latin,
        "last_name_latin": identity.last_name_latin,
        "id_kind": identity.id_kind,
        "id_number": identity.id_number,
        "email": identity.email,
        "mobile": mobile,
        "locale": locale,
        "password_hash": password_hash,
        "role": role,
        "status": status,
        "terms": {"version": terms_version, "accepted_at": at},
        "created_at": at,
    }


def taken(error: DuplicateKeyError) -> AccountRuleError:
    """Which unique index refused the new account: its e-mail or its ID number is taken."""
    return AccountRuleError("account.email_taken" if "email" in str(error.details or error) else "account.id_taken")


def full_name(account: dict[str, Any]) -> str:
    return f"{account['first_name']} {account['last_name']}"


def latin_name(account: dict[str, Any]) -> str | None:
    """The name in Latin letters; None for an account without one (those from before it was asked)."""
    if account.get("first_name_latin") and account.get("last_name_latin"):
        return f"{account['first_name_latin']} {account['last_name_latin']}"
    return None


def names_of(account: dict[str, Any]) -> list[str]:
    """Every part of every name of the account (the password may contain none of them)."""
    fields = ("first_name", "last_name", "first_name_latin", "last_name_latin")
    return [account[field] for field in fields if account.get(field)]


@dataclass(frozen=True)
class PhoneStep:
    """Where an account waiting for its SMS code stands: the number (masked), when the code dies,
    how long until another may be sent."""

    mobile: str
    expires_at: datetime | None
    resend_in_s: int


class Registrations:
    """Opening an account: sign-up, the SMS code (and its resending), the e-mail link; and staff
    accounts, which operations create active."""

    def __init__(self, uow: UnitOfWork, store: AccountStore, settings: Settings, passwords: rules.Passwords) -> None:
        self.uow = uow
        self.store = store
        self.settings = settings
        self.passwords = passwords
        self.pepper = settings.otp_pepper.get_secret_value()
        self.sealing_key = settings.field_encryption_key.get_secret_value()

    async def sign_up(self, form: SignUp) -> str:
        """The new account's id (status pending_phone); its SMS code is on its way."""
        identity = rules.checked_identity(
            form.first_name,
            form.last_name,
            form.id_number,
            form.email,
            expected_kind=form.id_kind,
            first_name_latin=form.first_name_latin,
            last_name_latin=form.last_name_latin,
        )
        mobile = rules.normalize_mobile(form.mobile)
        names = [identity.first_name, identity.last_name, identity.first_name_latin, identity.last_name_latin]
        rules.check_password(
            form.password,
            form.password_confirmation,
            email=identity.email,
            id_number=identity.id_number,
            names=[name for name in names if name],
        )
        if not form.accept_terms:
            raise AccountRuleError("account.terms_required", "accept_terms")
        at = now()
        account = new_account(
            identity,
            mobile=mobile,
            locale=form.locale,
            password_hash=await asyncio.to_thread(self.passwords.hash, form.password),
            role="practitioner",
            status="pending_phone",
            terms_version=self.settings.terms_version,
            at=at,
        )
        account["code_sends"] = [at]
        account["classification"] = None  # a practitioner enters a ladder only through an approved request

        async def work(session: AsyncClientSession) -> None:
            account["phone_code"] = await self._issue_phone_code(account, at, session)
            await self.store.insert(account, session)
            registered = AccountRegistered(
                account_id=account["_id"],
                name=full_name(account),
                email=identity.email,
                locale=form.locale,
                id_kind=identity.id_kind,
                terms_version=self.settings.terms_version,
                registered_at=at,
            )
            await self.uow.outbox.add(topics.ACCOUNT_REGISTERED, registered, session)

        try:
            await self.uow.run(work)
        except DuplicateKeyError as exc:
            raise taken(exc) from exc
        return str(account["_id"])

    async def create_staff(self, staff: "StaffAccount") -> str:
        """An active reviewer, supervisor or admin account: the rules of sign-up, no SMS step."""
        identity = rules.checked_identity(staff["first_name"], staff["last_name"], staff["id_number"], staff["email"])
        password = staff["password"]
        names = [identity.first_name, identity.last_name]
        rules.check_password(password, password, email=identity.email, id_number=identity.id_number, names=names)
        at = now()
        account = new_account(
            identity,
            mobile=None,
            locale=staff["locale"],
            password_hash=self.passwords.hash(password),
            role=staff["role"],
            status="active",
            terms_version=self.settings.terms_version,
            at=at,
        )
        account["email_confirmed_at"] = at

        async def work(session: AsyncClientSession) -> None:
            await self.store.insert(account, session)

        try:
            await self.uow.run(work)
        except DuplicateKeyError as exc:
            raise taken(exc) from exc
        return str(account["_id"])

    async def verify_phone(self, account_id: str, code: str) -> None:
        """The SMS code confirms the phone and sends the e-mail link; a wrong code is counted."""
        at = now()

        async def work(session: AsyncClientSession) -> bool:
            account = await self._pending_phone(account_id, session)
            current = rules.PhoneCode(**account["phone_code"]) if account.get("phone_code") else None
            ok, state = rules.verify_code(
                current,
                code.strip(),
                pepper=self.pepper,
                now=at,
                ttl_s=self.settings.otp_ttl_s,
                max_attempts=self.settings.otp_max_attempts,
            )
            if not ok:
                # The failed try must be counted even though the request is refused.
                await self.store.update(account["_id"], {"phone_code": _code_doc(state)}, session)
                return False
            jti = await self._request_email_confirmation(account, at, session)
            await self.store.update(
                account["_id"],
                {"status": "pending_email", "phone_code": None, "phone_confirmed_at": at, "email_link_jti": jti},
                session,
            )
            return True

        if not await self.uow.run(work):
            raise AccountRuleError("account.code_wrong", "code")

    async def resend_code(self, account_id: str) -> None:
        """A new SMS code, within the resend limits (AccountRuleError with retry_after_s beyond)."""
        at = now()

        async def work(session: AsyncClientSession) -> None:
            account = await self._pending_phone(account_id, session)
            rules.check_resend(
                account.get("code_sends", []),
                now=at,
                min_interval_s=self.settings.otp_resend_min_interval_s,
                per_hour=self.settings.otp_resends_per_hour,
            )
            state = await self._issue_phone_code(account, at, session)
            sends = [s for s in account.get("code_sends", []) if s > at - timedelta(hours=1)] + [at]
            await self.store.update(account["_id"], {"phone_code": state, "code_sends": sends}, session)

        await self.uow.run(work)

    async def confirm_email(self, token: str) -> tuple[str, str]:
        """The e-mail link (single use) activates the account: its id and new membership number."""
        try:
            claims = read_signed_token(token, self.settings.jwt_secret.get_secret_value(), purpose=EMAIL_CONFIRM)
        except TokenRefused as error:
            raise AccountRuleError(error.code) from error
        at = now()

        async def work(session: AsyncClientSession) -> str:
            number = rules.membership_number(await self.store.next_membership_number(session))
            # Single use: only the link whose id is still on the account confirms it.
            done = await self.store.update(
                claims["sub"],
                {"status": "active", "email_confirmed_at": at, "email_link_jti": None, "membership_number": number},
                session,
                expect={"email_link_jti": claims["jti"], "status": "pending_email"},
            )
            if not done:
                raise AccountRuleError("account.link_used")
            return number

        return str(claims["sub"]), await self.uow.run(work)

    async def phone_step(self, account_id: str) -> PhoneStep:
        """The code's time left and the wait before a resend (`not_found` once the phone is confirmed)."""
        account = await self.store.get(account_id)
        if account is None or account["status"] != "pending_phone":
            raise AccountRuleError("not_found")
        code = account.get("phone_code")
        settings = self.settings
        return PhoneStep(
            mobile=rules.masked_mobile(account["mobile"]),
            expires_at=code["issued_at"] + timedelta(seconds=settings.otp_ttl_s) if code else None,
            resend_in_s=rules.resend_wait_s(
                account.get("code_sends", []),
                now=now(),
                min_interval_s=settings.otp_resend_min_interval_s,
                per_hour=settings.otp_resends_per_hour,
            ),
        )

    async def _pending_phone(self, account_id: str, session: AsyncClientSession) -> dict[str, Any]:
        account = await self.store.get(account_id, session)
        if account is None or account["status"] != "pending_phone":
            raise AccountRuleError("not_found")
        return account

    async def _issue_phone_code(
        self, account: dict[str, Any], at: datetime, session: AsyncClientSession
    ) -> dict[str, Any]:
        code = rules.new_code()
        state = {"digest": rules.code_digest(code, self.pepper), "issued_at": at, "attempts": 0, "dead": False}
        event = PhoneCodeIssued(
            account_id=account["_id"],
            phone=account["mobile"],
            sealed_code=seal(code, self.sealing_key),
            locale=account["locale"],
            expires_at=at + timedelta(seconds=self.settings.otp_ttl_s),
        )
        await self.uow.outbox.add(topics.ACCOUNT_PHONE_CODE, event, session)
        return state

    async def _request_email_confirmation(
        self, account: dict[str, Any], at: datetime, session: AsyncClientSession
    ) -> str:
        settings = self.settings
        jti = uuid.uuid4().hex
        token = signed_token(
            {"sub": account["_id"], "jti": jti}, settings.jwt_secret.get_secret_value(), settings.email_link_ttl_s
        )
        link = f"{settings.public_base_url}{EMAIL_LINK_PATH}?token={token}"
        event = EmailConfirmationRequested(
            account_id=account["_id"],
            name=full_name(account),
            email=account["email"],
            locale=account["locale"],
            sealed_link=seal(link, self.sealing_key),
            expires_at=at + timedelta(seconds=settings.email_link_ttl_s),
        )
        await self.uow.outbox.add(topics.ACCOUNT_EMAIL_CONFIRMATION, event, session)
        return jti


def _code_doc(state: rules.PhoneCode | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {"digest": state.digest, "issued_at": state.issued_at, "attempts": state.attempts, "dead": state.dead}


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int


class SignIn:
    """Login (throttled per account and per client address), refresh-token rotation with theft
    detection, logout. Sessions end through SignInSessions."""

    def __init__(
        self, store: AccountStore, sessions: SignInSessions, settings: Settings, passwords: rules.Passwords
    ) -> None:
        self.store = store
        self.sessions = sessions
        self.settings = settings
        self.passwords = passwords

    async def login(self, email: str, password: str, client: str) -> Tokens:
        """Tokens of a new session. The same refusal for an unknown e-mail and a wrong password;
        locked after too many failures, per account and per client address."""
        settings = self.settings
        at = now()
        email = email.strip().lower()
        limits = {
            f"account:{email}": settings.login_max_failures,
            f"address:{client}": settings.login_max_failures_per_address,
        }
        since = at - timedelta(seconds=2 * settings.login_lock_s)  # a lock can start up to lock_s back
        for key, max_failures in limits.items():
            failures = await self.store.failures(key, since)
            locked = rules.login_lock_remaining(
                failures, now=at, max_failures=max_failures, lock_s=settings.login_lock_s
            )
            if locked:
                raise AccountRuleError("account.login_locked", retry_after_s=locked)
        account = await self.store.by_email(email)
        # An unknown e-mail costs the same hashing time as a wrong password: no account probing.
        # argon2 takes ~0.1 s of CPU and 64 MiB: in a thread (it lets go of the GIL), so the
        # event loop goes on answering everyone else meanwhile.
        valid = await (
            asyncio.to_thread(self.passwords.verify, account["password_hash"], password)
            if account
            else asyncio.to_thread(self.passwords.verify_dummy, password)
        )
        if account is None or not valid:
            for key, max_failures in limits.items():
                await self.store.record_failure(key, at, keep=max_failures * 2)
            raise AccountRuleError("account.login_failed")  # the same answer for an unknown e-mail
        if account["status"] == "pending_phone":
            raise AccountRuleError("account.phone_unconfirmed", extra={"account_id": account["_id"]})
        await self.store.clear_failures(f"account:{email}")  # the address keeps its history: no reset by one good login
        if self.passwords.needs_rehash(account["password_hash"]):
            rehashed = await asyncio.to_thread(self.passwords.hash, password)
            await self.store.update(account["_id"], {"password_hash": rehashed})
        return await self._tokens(account, family=uuid.uuid4().hex, at=at)

    async def refresh(self, refresh_token: str) -> Tokens:
        """New tokens of the same session; a refresh token used twice ends its session."""
        record, first_use = await self.store.use_refresh(refresh_token)
        if record is None or record["revoked"] or record["expires_at"] < now():
            raise AccountRuleError("auth.invalid_token")
        if not first_use:
            # A used refresh token presented again was stolen or replayed: end the whole session,
            # the access tokens the thief or the owner already hold included.
            await self.sessions.end(record["family"], "refresh_reuse")
            raise AccountRuleError("auth.invalid_token")
        account = await self.store.get(record["account_id"])
        if account is None:
            raise AccountRuleError("auth.invalid_token")
        return await self._tokens(account, family=record["family"], at=now())

    async def logout(self, refresh_token: str) -> None:
        record, _ = await self.store.use_refresh(refresh_token)
        if record is not None:
            await self.sessions.end(record["family"], "logout")

    async def _tokens(self, account: dict[str, Any], family: str, at: datetime) -> Tokens:
        principal = Principal(
            id=account["_id"],
            role=account["role"],
            name=full_name(account),
            email=account["email"],
            locale=account["locale"],
            latin_name=latin_name(account),
            email_verified=account["status"] == "active",
            session_id=family,  # ending the session (logout, reuse) ends this access token too
            facility_id=account.get("facility_id"),  # a facility's staff user: which facility
        )
        refresh = secrets.token_urlsafe(32)
        await self.store.store_refresh(refresh, account["_id"], family, at, self.settings.refresh_ttl_s)
        return Tokens(issue_token(principal, self.settings), refresh, self.settings.jwt_ttl_s)


_RESET_REFUSALS = {
    "account.link_invalid": "account.reset_link_invalid",
    "account.link_expired": "account.reset_link_expired",
}


class PasswordResets:
    """A forgotten password: asking sends a single-use e-mail link (~30 minutes) to an account that
    exists, and answers alike whether it exists or not, so the answer tells nobody which e-mail
    addresses have accounts; the link sets a new password under the password policy and ends
    every session of the account."""

    def __init__(
        self,
        uow: UnitOfWork,
        store: AccountStore,
        sessions: SignInSessions,
        settings: Settings,
        passwords: rules.Passwords,
    ) -> None:
        self.uow = uow
        self.store = store
        self.sessions = sessions
        self.settings = settings
        self.passwords = passwords
        self.secret = settings.jwt_secret.get_secret_value()
        self.sealing_key = settings.field_encryption_key.get_secret_value()

    async def request(self, email: str, client: str) -> None:
        """Send a reset link if an account has this e-mail and its limits allow; nothing tells
        which happened. Refused only for what says nothing about accounts: an address that is no
        e-mail ("account.email_invalid") and a client asking too often ("account.reset_limit")."""
        address = rules.normalize_email(email)
        at = now()
        await self._count_client(client, at)
        account = await self.store.by_email(address)
        if account is None or account["status"] not in RESETTABLE:
            return
        sends = [s for s in account.get("reset_sends", []) if s > at - timedelta(hours=1)]
        try:
            rules.check_resend(
                sends,
                now=at,
                min_interval_s=self.settings.password_reset_min_interval_s,
                per_hour=self.settings.password_reset_per_hour,
            )
        except AccountRuleError:
            return  # a flood of links to one mailbox stops here, silently: the answer is the same
        await self.uow.run(lambda session: self._send_link(account, at, [*sends, at], session))

    async def _count_client(self, client: str, at: datetime) -> None:
        key = f"address:{client}"
        per_hour = self.settings.password_reset_per_address_per_hour
        recent = await self.store.reset_requests_since(key, at - timedelta(hours=1))
        try:
            rules.check_resend(recent, now=at, min_interval_s=0, per_hour=per_hour, field="email")
        except AccountRuleError as limit:
            raise AccountRuleError("account.reset_limit", "email", retry_after_s=limit.retry_after_s) from limit
        await self.store.record_reset_request(key, at, keep=per_hour)

    async def _send_link(
        self, account: dict[str, Any], at: datetime, sends: list[datetime], session: AsyncClientSession
    ) -> None:
        """The newest link replaces any earlier one: only the jti on the account can be used."""
        ttl_s = self.settings.password_reset_ttl_s
        jti = uuid.uuid4().hex
        token = signed_token({"sub": account["_id"], "jti": jti}, self.secret, ttl_s, purpose=PASSWORD_RESET)
        event = PasswordResetRequested(
            account_id=account["_id"],
            name=full_name(account),
            email=account["email"],
            locale=account["locale"],
            sealed_link=seal(f"{self.settings.public_base_url}{RESET_LINK_PATH}?token={token}", self.sealing_key),
            expires_at=at + timedelta(seconds=ttl_s),
        )
        await self.store.update(account["_id"], {"password_reset_jti": jti, "reset_sends": sends}, session)
        await self.uow.outbox.add(topics.ACCOUNT_PASSWORD_RESET, event, session)

    def check_link(self, token: str) -> dict[str, Any]:
        """The link's claims, or "account.reset_link_invalid" / "account.reset_link_expired"
        (whether it was used already is known only when it is used)."""
        try:
            return read_signed_token(token, self.secret, purpose=PASSWORD_RESET)
        except TokenRefused as error:
            raise AccountRuleError(_RESET_REFUSALS[error.code]) from error

    async def usable_link(self, token: str) -> dict[str, Any]:
        """The account a link can still reset: refused like `check_link`, and with
        "account.reset_link_invalid" once it was used or a newer link was sent."""
        claims = self.check_link(token)
        account = await self.store.get(str(claims["sub"]))
        if account is None or account.get("password_reset_jti") != claims["jti"]:
            raise AccountRuleError("account.reset_link_invalid")
        return account

    async def reset(self, token: str, password: str, confirmation: str) -> str:
        """Set the new password (the link once only), then end every session of the account:
        the refresh tokens and access tokens opened with the old password stop working. The
        account's failed sign-ins are forgotten: the person who reads its mail chose the password."""
        account = await self.usable_link(token)
        rules.check_password(
            password,
            confirmation,
            email=account["email"],
            id_number=account["id_number"],
            names=names_of(account),
        )
        changes = {
            "password_hash": await asyncio.to_thread(self.passwords.hash, password),
            "password_reset_jti": None,
            "password_changed_at": now(),
        }
        used = {"password_reset_jti": account["password_reset_jti"]}
        if not await self.store.update(account["_id"], changes, expect=used):
            raise AccountRuleError("account.reset_link_invalid")  # another use of the link won the race
        await self.sessions.end_all(account["_id"], "password_reset")
        await self.store.clear_failures(f"account:{account['email']}")
        return str(account["_id"])


@dataclass(frozen=True)
class Profile:
    """What the practitioner's own page shows (GET /v1/me)."""

    account: dict[str, Any]
    approved: list[dict[str, Any]]  # the approved certificates
    open_request_id: str | None  # the classification request in progress
    pending_change: dict[str, Any] | None


@dataclass(frozen=True)
class Profiles:
    """The practitioner's profile, and changes of personal data: names and mobile change only when
    a reviewer approves (a review item of kind profile_change); the language changes at once."""

    uow: UnitOfWork
    store: AccountStore
    submissions: SubmissionStore
    requests: ClassificationStore

    async def profile(self, account_id: str) -> Profile:
        # Four reads, none waiting on another: asked together.
        account, certificates, open_request_id, open_change = await asyncio.gather(
            self.store.get(account_id),
            self.submissions.list_for(account_id, limit=200),
            self.requests.open_request_id(account_id),
            self.store.open_change(account_id),
        )
        if account is None:
            raise AccountRuleError("not_found")
        return Profile(
            account,
            [d for d in certificates if d["status"] == Status.APPROVED.value],
            open_request_id,
            open_change,
        )

    async def request_change(self, account_id: str, patch: ProfilePatch) -> str | None:
        """The id of the change sent for review; None when only the language changed (at once)."""
        account = await self.store.get(account_id)
        if account is None:
            raise AccountRuleError("not_found")
        # Once the account has a Latin name (or this change gives it one) the other name is in
        # Arabic letters; a Latin name is given whole (both parts) or changed part by part.
        names = {field: getattr(patch, field) for field in ("first_name", "last_name", *rules.LATIN_FIELDS.values())}
        if (patch.first_name_latin or patch.last_name_latin) and not account.get("first_name_latin"):
            _, _, first_latin, last_latin = rules.checked_names(
                patch.first_name or account["first_name"],
                patch.last_name or account["last_name"],
                patch.first_name_latin,
                patch.last_name_latin,
            )
            names.update(first_name_latin=first_latin, last_name_latin=last_latin)
        shape = {**account, "first_name_latin": account.get("first_name_latin") or names["first_name_latin"]}
        wanted: dict[str, str | None] = {
            field: rules.check_name_change(field, value, shape) if value else None for field, value in names.items()
        }
        wanted["mobile"] = rules.normalize_mobile(patch.mobile) if patch.mobile else None
        changes = {k: FieldChange(old=account.get(k), new=v) for k, v in wanted.items() if v and v != account.get(k)}
        if patch.locale and patch.locale != account["locale"]:
            await self.store.update(account_id, {"locale": patch.locale})
        if not changes:
            if patch.locale:
                return None
            raise AccountRuleError("profile.no_change")
        if pending := await self.store.open_change(account_id):
            raise AccountRuleError("profile.change_pending", extra={"change_id": pending["_id"]})
        return await self._send_for_review(account, changes, patch.locale or account["locale"])

    async def _send_for_review(self, account: dict[str, Any], changes: dict[str, FieldChange], locale: Locale) -> str:
        at = now()
        change_id = str(uuid.uuid4())
        event = ProfileChangeRequested(
            change_id=change_id,
            changes=changes,
            requested_at=at,
            practitioner=PractitionerRef(
                id=account["_id"],
                name=full_name(account),
                email=account["email"],
                locale=locale,
                latin_name=latin_name(account),
            ),
        )

        async def work(session: AsyncClientSession) -> None:
            await self.store.add_change(
                {
                    "_id": change_id,
                    "account_id": account["_id"],
                    "open": True,
                    "status": "requested",
                    "changes": {k: c.model_dump() for k, c in changes.items()},
                    "requested_at": at,
                },
                session,
            )
            await self.uow.outbox.add(topics.PROFILE_CHANGE_REQUESTED, event, session)

        await self.uow.run(work)
        return change_id

    async def queued(self, event: ReviewQueued, ce: CloudEventAttributes) -> None:
        """A personal-data change in the review queue (the event's submission_id is the change's id)."""
        due = {"review_due_at": event.sla_due_at} if event.sla_due_at else {}
        await self.uow.apply_once(
            ce.id,
            ce.type,
            lambda session: self.store.set_change_status(event.submission_id, "in_review", session, **due),
        )

    async def decided(self, event: ReviewDecided, ce: CloudEventAttributes) -> None:
        """The reviewer's decision on a personal-data change: approved values replace the old ones."""

        async def work(session: AsyncClientSession) -> None:
            status = DECISION_STATUS[event.decision].value
            change = await self.store.set_change_status(
                event.submission_id, status, session, open=False, decided_at=event.decided_at, reason=event.reason
            )
            if change is not None and event.decision is Decision.APPROVE:
                approved = {k: c["new"] for k, c in change["changes"].items()}
                await self.store.update(change["account_id"], approved, session)

        await self.uow.apply_once(ce.id, ce.type, work)


class StaffAccount(TypedDict):
    """What operations give for a staff account; `role`: reviewer, supervisor or admin."""

    role: str
    email: str
    first_name: str
    last_name: str
    id_number: str
    password: str
    locale: Locale


async def create_staff_account(settings: Settings, **staff: Unpack[StaffAccount]) -> str:
    """For operations (`mumaris users create`) and tests: a staff account written straight to the
    database, with a client of its own. Returns the new account id; raises ValueError with the
    refusal's code."""
    client = make_client(settings)
    try:
        db = client[settings.mongo_db]
        store = AccountStore(db)
        await store.ensure_indexes()
        registrations = Registrations(UnitOfWork(client, db, SERVICE), store, settings, rules.Passwords())
        return await registrations.create_staff(staff)
    except AccountRuleError as refusal:
        raise ValueError(refusal.code) from refusal
    finally:
        await client.close()
