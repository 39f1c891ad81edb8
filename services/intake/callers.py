"""Who calls intake's routes, as FastAPI dependencies. A service-level module: the routes of
accounts/, submissions/ and classification/ share it.

Every protected route checks the token and the role (401 / 403, mumaris.auth.principal_from)
before it reads a body. What is sent for review and answered by e-mail needs a confirmed address:
a practitioner whose e-mail is not confirmed yet gets 403 `account.email_unconfirmed`.

The dependencies are coroutines although they do not wait for anything: FastAPI runs a plain
`def` dependency in its thread pool, a hand-over to another thread and back on every request.
"""

from typing import Annotated

from fastapi import Depends, Request

from mumaris.auth import STAFF_ROLES, Principal, principal_from
from mumaris.errors import ApiError
from mumaris.settings import Settings
from schemas.events import PractitionerRef


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.runtime.settings
    return settings


async def practitioner(request: Request) -> Principal:
    return principal_from(request, settings_of(request), "practitioner")


async def practitioner_or_staff(request: Request) -> Principal:
    return principal_from(request, settings_of(request), "practitioner", *STAFF_ROLES)


async def submitter(request: Request) -> Principal:
    """A practitioner who may submit: the outcome is mailed to them, so the e-mail is confirmed."""
    who = await practitioner(request)
    if not who.email_verified:
        raise ApiError(403, "account.email_unconfirmed")
    return who


def reference(who: Principal) -> PractitionerRef:
    """The caller as the events name a practitioner (no ID number)."""
    return PractitionerRef(id=who.id, name=who.name, email=who.email, locale=who.locale, latin_name=who.latin_name)


Practitioner = Annotated[Principal, Depends(practitioner)]
PractitionerOrStaff = Annotated[Principal, Depends(practitioner_or_staff)]
Submitter = Annotated[Principal, Depends(submitter)]
