"""Ended sign-in sessions (mumaris/auth.py RevokedSessions): a token of one is refused, the check
costs no database read, the mirror reads only what is new, and it fails closed when it cannot read."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import Request

from mumaris.auth import (
    Principal,
    RevokedSessions,
    issue_token,
    principal_from,
    verify_token,
)
from mumaris.errors import ApiError
from tests.unit.test_auth_tokens import SETTINGS

SESSION = Principal(id="p-1", role="practitioner", name="Sara", email="sara@example.sa", session_id="family-1")


class FakeRevocations:
    """The collection `auth.revoked_sessions` as RevokedSessions uses it, counting the reads."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.reads: list[datetime] = []  # the `revoked_at` lower bound of every read
        self.down = False

    async def create_index(self, *_: Any, **__: Any) -> None:
        pass

    async def update_one(self, query: dict[str, Any], update: dict[str, Any], upsert: bool, session: Any) -> None:
        self.docs.setdefault(query["_id"], {"_id": query["_id"], **update["$setOnInsert"]})

    def find(self, query: dict[str, Any], _projection: dict[str, int]) -> Any:
        if self.down:
            raise ConnectionError("database away")
        since = query["revoked_at"]["$gte"]
        self.reads.append(since)
        found = [doc for doc in self.docs.values() if doc["revoked_at"] >= since]

        class Cursor:
            async def to_list(self) -> list[dict[str, Any]]:
                return found

        return Cursor()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def mirror(clock: Clock | None = None) -> tuple[RevokedSessions, FakeRevocations]:
    fake = FakeRevocations()
    db = {RevokedSessions.COLLECTION: fake}
    return RevokedSessions(db, SETTINGS, clock or Clock()), fake  # type: ignore[arg-type]


def request_to(app: Any, principal: Principal) -> Request:
    token = issue_token(principal, SETTINGS)
    return Request({"type": "http", "headers": [(b"authorization", f"Bearer {token}".encode())], "app": app})


def app_with(revoked: RevokedSessions | None) -> Any:
    return SimpleNamespace(state=SimpleNamespace(revoked_sessions=revoked))


def test_a_login_token_names_its_session_and_a_development_token_none() -> None:
    assert verify_token(issue_token(SESSION, SETTINGS), SETTINGS).session_id == "family-1"
    assert verify_token(issue_token(replace(SESSION, session_id=None), SETTINGS), SETTINGS).session_id is None


async def test_a_token_of_an_ended_session_is_refused_and_others_are_not() -> None:
    revoked, fake = mirror()
    await revoked.start()
    await revoked.stop()
    app = app_with(revoked)
    assert principal_from(request_to(app, SESSION), SETTINGS, "practitioner") == SESSION

    await revoked.revoke(["family-1"], "logout", datetime.now(UTC))
    # Not re-read yet: checking a token asks nothing of the database.
    assert principal_from(request_to(app, SESSION), SETTINGS) == SESSION
    await revoked.refresh()
    with pytest.raises(ApiError) as refused:
        principal_from(request_to(app, SESSION), SETTINGS, "practitioner")
    assert (refused.value.status, refused.value.code) == (401, "auth.session_revoked")
    assert refused.value.headers == {"WWW-Authenticate": "Bearer"}
    other = replace(SESSION, session_id="family-2")
    assert principal_from(request_to(app, other), SETTINGS) == other
    # A development token (`mumaris token`) belongs to no session: it keeps working.
    assert principal_from(request_to(app, replace(SESSION, session_id=None)), SETTINGS).session_id is None
    assert fake.docs["family-1"]["reason"] == "logout"


async def test_the_mirror_reads_only_what_is_new_and_forgets_what_can_no_longer_matter() -> None:
    revoked, fake = mirror()
    at = datetime.now(UTC)
    await revoked.refresh()
    assert fake.reads[-1] <= at - timedelta(seconds=SETTINGS.jwt_ttl_s)  # the first read: all that may still matter
    await revoked.revoke(["family-1"], "logout", at)
    await revoked.refresh()
    await revoked.refresh()
    assert fake.reads[-1] == at - timedelta(seconds=5)  # since the newest seen, less the look-back
    with pytest.raises(ApiError):
        revoked.check("family-1")

    # Once no token of it can be valid any more, the entry is forgotten (the TTL index removes the document).
    fake.docs["family-1"]["expires_at"] = datetime.now(UTC) - timedelta(seconds=1)
    await revoked.refresh()
    revoked.check("family-1")


async def test_a_revocation_time_from_a_clock_running_ahead_does_not_hide_later_ones() -> None:
    revoked, _ = mirror()
    ahead = datetime.now(UTC) + timedelta(hours=1)
    await revoked.revoke(["family-ahead"], "logout", ahead)
    await revoked.refresh()
    await revoked.revoke(["family-1"], "logout", datetime.now(UTC))
    await revoked.refresh()
    with pytest.raises(ApiError):
        revoked.check("family-1")


async def test_revoking_twice_keeps_the_first_time() -> None:
    revoked, fake = mirror()
    first = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    await revoked.revoke(["family-1"], "refresh_reuse", first)
    await revoked.revoke(["family-1"], "logout", first + timedelta(minutes=1))
    assert (fake.docs["family-1"]["revoked_at"], fake.docs["family-1"]["reason"]) == (first, "refresh_reuse")
    assert fake.docs["family-1"]["expires_at"] == first + timedelta(seconds=SETTINGS.jwt_ttl_s + 60)


async def test_when_the_revocations_cannot_be_read_for_too_long_session_tokens_get_503() -> None:
    clock = Clock()
    revoked, fake = mirror(clock)
    await revoked.refresh()
    revoked.check("family-1")
    fake.down = True
    with pytest.raises(ConnectionError):
        await revoked.refresh()
    clock.now += SETTINGS.session_revocation_max_staleness_s
    revoked.check("family-1")  # failed reads for a while: still within max_staleness_s
    clock.now += 1
    with pytest.raises(ApiError) as unknown:
        revoked.check("family-1")
    assert (unknown.value.status, unknown.value.code) == (503, "service.unavailable")
    # Development tokens are not affected: they belong to no session.
    assert principal_from(request_to(app_with(revoked), replace(SESSION, session_id=None)), SETTINGS).id == "p-1"


def test_a_session_token_is_refused_where_no_revocations_are_installed() -> None:
    with pytest.raises(ApiError) as refused:
        principal_from(request_to(app_with(None), SESSION), SETTINGS)
    assert (refused.value.status, refused.value.code) == (503, "service.unavailable")
    with pytest.raises(ApiError):
        principal_from(request_to(None, SESSION), SETTINGS)
