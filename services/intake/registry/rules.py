"""The outbound register feed (registry.registration_changed): what each of the registry's own
events says as a change of a registration, in plain Python.

Every change names the registration, the kind of change, the status it leaves and what the
public may know of the registration (name, profession, classification, expiry). What an event
does not carry (a lapse names no classification) comes from the registration as intake keeps it
(`fill`); a suspension outlasts a renewal or a reminder (a suspended registration stays suspended until reinstated).
"""

from dataclasses import dataclass, replace
from datetime import date, datetime

from schemas.events import (
    ClassificationChanged,
    ClassificationRef,
    RegistrationExpiring,
    RegistrationIssued,
    RegistrationLapsed,
    RegistrationReinstated,
    RegistrationRenewed,
    RegistrationSuspended,
    RegistryChange,
)

SUSPENDED = "suspended"


@dataclass(frozen=True)
class Change:
    registration_number: str
    change: RegistryChange
    status: str | None  # None: the registration's status as kept
    name: str
    occurred_at: datetime
    profession: str | None = None
    classification: ClassificationRef | None = None
    expires_on: date | None = None
    days_left: int | None = None


def issued(event: RegistrationIssued) -> Change:
    return Change(
        event.registration_number,
        RegistryChange.ISSUED,
        "active",
        event.practitioner.name,
        event.issued_at,
        event.profession,
        event.classification,
        event.expires_on,
    )


def renewed(event: RegistrationRenewed) -> Change:
    return Change(
        event.registration_number,
        RegistryChange.RENEWED,
        "renewed",
        event.practitioner.name,
        event.renewed_at,
        expires_on=event.expires_on,
    )


def expiring(event: RegistrationExpiring, at: datetime) -> Change:
    return Change(
        event.registration_number,
        RegistryChange.EXPIRING,
        "renewal_open" if event.renewal_open else "active",
        event.practitioner.name,
        at,
        expires_on=event.expires_on,
        days_left=event.days_left,
    )


def lapsed(event: RegistrationLapsed) -> Change:
    return Change(event.registration_number, RegistryChange.LAPSED, "lapsed", event.practitioner.name, event.lapsed_at)


def suspended(event: RegistrationSuspended) -> Change:
    return Change(
        event.registration_number, RegistryChange.SUSPENDED, SUSPENDED, event.practitioner.name, event.suspended_at
    )


def reinstated(event: RegistrationReinstated) -> Change:
    return Change(
        event.registration_number, RegistryChange.REINSTATED, event.status, event.practitioner.name, event.lifted_at
    )


def classification_changed(event: ClassificationChanged, number: str) -> Change:
    return Change(
        number,
        RegistryChange.CLASSIFICATION_CHANGED,
        None,
        event.practitioner.name,
        event.changed_at,
        classification=event.classification,
    )


def fill(
    change: Change,
    *,
    status: str,
    profession: str,
    classification: ClassificationRef,
    expires_on: date,
) -> Change:
    """The change completed from the registration as kept (`status`: its status today)."""
    # The registration area may not have applied a reinstatement yet: the event says what it is now.
    kept_suspended = status == SUSPENDED and change.change not in (RegistryChange.ISSUED, RegistryChange.REINSTATED)
    return replace(
        change,
        status=SUSPENDED if kept_suspended else (change.status or status),
        profession=change.profession or profession,
        classification=change.classification or classification,
        expires_on=change.expires_on or expires_on,
    )
