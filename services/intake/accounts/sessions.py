"""Sign-in sessions: a login opens one, a refresh-token family whose id every access token of it
carries (`sid`). Ending a session revokes its refresh tokens and, in the same transaction, records
it in `auth.revoked_sessions`, so that every service refuses its access tokens too (within about
a second: mumaris.auth.RevokedSessions), not only once they expire.

The one way sessions end: logout and a refresh token used twice end one (`end`); a password
change or reset, when there is one, ends all of the account's (`end_all`), so that a stolen
session does not outlive the password it was opened with.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.auth import RevokedSessions
from mumaris.clock import now
from mumaris.mongo import UnitOfWork
from services.intake.accounts.store import AccountStore

T = TypeVar("T")
log = logging.getLogger("mumaris.intake.sessions")


class SignInSessions:
    def __init__(self, uow: UnitOfWork, store: AccountStore, revoked: RevokedSessions) -> None:
        self.uow = uow
        self.store = store
        self.revoked = revoked

    async def end(self, family: str, reason: str) -> None:
        """End one session (`reason`: "logout", "refresh_reuse", ...): no refresh, no access token of it works."""

        async def work(session: AsyncClientSession) -> None:
            await self.store.revoke_family(family, session)
            await self.revoked.revoke([family], reason, now(), session)  # the time of this attempt: see revoke

        await self._apply(work)

    async def end_all(self, account_id: str, reason: str) -> set[str]:
        """End every open session of the account (a password change or reset); returns their ids.
        Call it once the new password is stored: a login after that knew the new password, and its
        session stays open."""

        async def work(session: AsyncClientSession) -> set[str]:
            at = now()
            families = await self.store.live_families(account_id, at, session)
            for family in families:
                await self.store.revoke_family(family, session)
            await self.revoked.revoke(families, reason, at, session)
            return families

        return await self._apply(work)

    async def _apply(self, work: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
        result = await self.uow.run(work)
        try:
            await self.revoked.refresh()  # refused here at once; in the other services within a second
        except Exception:  # committed: this process's own poll picks it up within a second
            log.warning("ended session(s) not re-read at once; the next poll will", exc_info=True)
        return result
