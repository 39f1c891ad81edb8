"""The CPD ledger: the rules, in plain Python (the use cases in service.py do the I/O around them).

- Hours come from two roads: an approved CPD certificate (uploaded, validated, reviewed like any
  certificate, its activity declared on it), and an accredited provider's attendance record
  (gov.cpd_attendance, in batches, the certificate feed's machinery: feed/rules.py, mumaris/batches.py).
- One activity is its accreditation number and its date: it is credited to a practitioner once,
  whichever road it comes by (`activity_key`, the credit's `_id`).
- A provider's record is received once per (provider, record id) — the CloudEvents `source` and
  the provider's `record_id`, as for certificate feeds — however often it is republished.
- A record naming no known (active) practitioner, or an activity in the future, is refused and
  kept for the provider, with the ID number only as its HMAC; it never holds up the batch.
- Hours count for the registration cycle the activity's date falls in; a cycle needs the
  catalogue's hours for the classification (schemas/registrations.py), none when exempt.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from schemas.events import CertificateMetadata, CpdActivity, CpdAttendanceRecord, CpdRecognitionClaim, PractitionerRef
from services.intake.feed.rules import PublishedItem, practitioner_of
from services.intake.feed.rules import Refusal as FeedRefusal


class AttendanceItem(PublishedItem[CpdAttendanceRecord]):
    """A gov.cpd_attendance record (a class rather than the generic alias: see FeedItem)."""


class RefusalCode(StrEnum):
    """Why a provider's record credited nothing (messages in mumaris/errors.py)."""

    UNKNOWN_PRACTITIONER = "feed.unknown_practitioner"
    PRACTITIONER_NOT_ACTIVE = "feed.practitioner_not_active"
    ALREADY_CREDITED = "cpd.already_credited"
    ATTENDED_IN_FUTURE = "cpd.attended_in_future"


def recognition_key(practitioner_id: str, submission_id: str) -> str:
    """A recognition request is credited once: activities abroad carry no accreditation number of
    ours to recognise the same activity by, so the request itself is the activity."""
    return json.dumps([practitioner_id, "recognition", submission_id])


def recognition_certificate(claim: CpdRecognitionClaim) -> CertificateMetadata:
    """The evidence of a recognition request as the road carries a certificate: the validator
    looks for the title, the provider and the date on the document, as on any certificate's."""
    return CertificateMetadata(
        name=claim.title,
        obtained_on=claim.attended_on,
        institution=claim.provider,
        specialty=claim.category,
        degree="CPD abroad",
        recognition=claim,
    )


def activity_key(practitioner_id: str, activity: CpdActivity) -> str:
    """What makes an activity the same activity for a practitioner (accreditation numbers are
    compared without regard to case)."""
    return json.dumps(
        [practitioner_id, activity.accreditation_number.upper(), activity.attended_on.isoformat()], ensure_ascii=False
    )


@dataclass(frozen=True)
class Credit:
    item: AttendanceItem
    practitioner: PractitionerRef
    key: str


@dataclass(frozen=True)
class Refused:
    item: AttendanceItem
    code: RefusalCode


@dataclass(frozen=True)
class AlreadyReceived:
    item: AttendanceItem


Decision = Credit | Refused | AlreadyReceived


def practitioner_for(account: Mapping[str, Any] | None) -> PractitionerRef | RefusalCode:
    if account is None:
        return RefusalCode.UNKNOWN_PRACTITIONER
    found = practitioner_of(account)
    return RefusalCode.PRACTITIONER_NOT_ACTIVE if isinstance(found, FeedRefusal) else found


def decide(
    fresh: Iterable[AttendanceItem],
    accounts: Mapping[str, Mapping[str, Any]],
    credited: set[str],
    today: date,
) -> list[Decision]:
    """Each fresh record's fate, in batch order. `accounts`: by ID number; `credited`: the activity
    keys already in the ledger. Within the batch too, a record key is received once and an
    activity credited once (the first record that can be)."""
    decisions: list[Decision] = []
    received: set[str] = set()
    credited = set(credited)
    for item in fresh:
        if item.key in received:
            decisions.append(AlreadyReceived(item))
            continue
        who = practitioner_for(accounts.get(item.record.national_id))
        if isinstance(who, RefusalCode):
            decisions.append(Refused(item, who))
            continue
        if item.record.activity.attended_on > today:
            decisions.append(Refused(item, RefusalCode.ATTENDED_IN_FUTURE))  # a corrected record may follow
            continue
        received.add(item.key)
        key = activity_key(who.id, item.record.activity)
        if key in credited:
            decisions.append(Refused(item, RefusalCode.ALREADY_CREDITED))
        else:
            credited.add(key)
            decisions.append(Credit(item, who, key))
    return decisions


@dataclass(frozen=True)
class Standing:
    """A cycle's CPD hours: what it needs, what is credited, what is still missing."""

    required: Decimal
    earned: Decimal

    @property
    def still_needed(self) -> Decimal:
        return max(Decimal(0), self.required - self.earned)

    @property
    def met(self) -> bool:
        return self.earned >= self.required


def standing(required: Decimal, hours: Iterable[Decimal]) -> Standing:
    return Standing(required, sum(hours, Decimal(0)))
