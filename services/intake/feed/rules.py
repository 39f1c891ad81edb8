"""gov.certificates — the rules for certificates that universities and agencies publish on behalf of
practitioners. Plain Python: the batch use case (feed/service.py) does the I/O around them.

A record names the practitioner by national ID / iqama number and its document either by a GridFS
file id or by a URL. It becomes a certificate submission exactly like an upload, or a refusal that
is recorded for the publisher (never the ID number itself) and does not hold up the rest of the
batch. One record, one submission: the publisher's `record_id` (within its CloudEvents `source`)
is received once, whatever is republished under new event ids.
"""

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from json.encoder import encode_basestring as encode_json_string  # what ensure_ascii=False escapes with
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from mumaris.certificates import CertificateRefused, check_certificate
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    CertificateFeedRecord,
    FeedDocument,
    PractitionerRef,
    StoredFile,
    SubmissionKind,
    SubmissionReceived,
)

ACTIVE = "active"


class RefusalCode(StrEnum):
    """Why a record did not become a submission (messages in mumaris/errors.py)."""

    UNKNOWN_PRACTITIONER = "feed.unknown_practitioner"
    PRACTITIONER_NOT_ACTIVE = "feed.practitioner_not_active"
    URL_NOT_ALLOWED = "feed.url_not_allowed"
    DOCUMENT_INVALID = "feed.document_invalid"
    DOCUMENT_AMBIGUOUS = "feed.document_ambiguous"
    DOCUMENT_UNREACHABLE = "feed.document_unreachable"
    # The certificate's own declaration, refused with the codes an upload of it would get.
    DATE_IN_FUTURE = "metadata.date_in_future"
    DATE_IMPLAUSIBLE = "metadata.date_implausible"
    EXPIRY_BEFORE_OBTAINED = "metadata.expiry_before_obtained"


@dataclass(frozen=True)
class Refusal:
    code: RefusalCode
    detail: str = ""  # for operations: what was wrong, never personal data


@dataclass(frozen=True)
class GridFsDocument:
    file_id: str


@dataclass(frozen=True)
class UrlDocument:
    url: str


DocumentSource = GridFsDocument | UrlDocument


@dataclass(frozen=True)
class UrlPolicy:
    """Which document URLs intake fetches: https to a host on the allow-list (exact hostname).
    `allow_loopback_http` exists for tests, which serve documents from a local plain-http server."""

    allowlist: frozenset[str]
    allow_loopback_http: bool = False

    @classmethod
    def of(cls, hosts: Iterable[str], allow_loopback_http: bool = False) -> "UrlPolicy":
        return cls(frozenset(h.strip().lower().rstrip(".") for h in hosts if h.strip()), allow_loopback_http)

    def refusal(self, url: str) -> Refusal | None:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower().rstrip(".")
            parts.port  # noqa: B018 (raises on a malformed port)
        except ValueError:
            return Refusal(RefusalCode.URL_NOT_ALLOWED, "not a URL")
        if parts.username or parts.password:
            return Refusal(RefusalCode.URL_NOT_ALLOWED, "credentials in the URL")
        if host not in self.allowlist:
            return Refusal(RefusalCode.URL_NOT_ALLOWED, f"host {host or '-'} is not on the allow-list")
        if parts.scheme == "https" or (parts.scheme == "http" and self.allow_loopback_http and _is_loopback(host)):
            return None
        return Refusal(RefusalCode.URL_NOT_ALLOWED, f"scheme {parts.scheme or '-'} is not https")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def document_source(document: FeedDocument, urls: UrlPolicy) -> DocumentSource | Refusal:
    """Where the record's document is: exactly one of a GridFS file id or an allowed URL."""
    file_id = (document.file_id or "").strip()
    url = (document.url or "").strip()
    if bool(file_id) == bool(url):
        return Refusal(RefusalCode.DOCUMENT_AMBIGUOUS, "both file_id and url" if file_id else "neither file_id nor url")
    if file_id:
        return GridFsDocument(file_id)
    return urls.refusal(url) or UrlDocument(url)


def record_key(publisher: str, record_id: str) -> str:
    """What makes a record the same record: the publisher's id for it, within the publisher (the
    CloudEvents source), so two universities numbering their records alike never collide.

    The keys stored since the first feed are `json.dumps([publisher, record_id], ensure_ascii=False)`;
    this writes the same text from the encoder's own string escaping, without building an encoder
    per call (a few microseconds a record, tested to be equal)."""
    return f"[{encode_json_string(publisher)}, {encode_json_string(record_id)}]"


def practitioner_of(account: Mapping[str, Any]) -> PractitionerRef | Refusal:
    """The account a record names, as the pipeline sees it (no ID number), if it may receive one."""
    if account.get("status") != ACTIVE:
        # Unconfirmed sign-ups may be abandoned or not the person's own: nothing is attached to them.
        return Refusal(RefusalCode.PRACTITIONER_NOT_ACTIVE)
    locale = account.get("locale")
    return PractitionerRef(
        id=str(account["_id"]),
        name=f"{account['first_name']} {account['last_name']}",
        email=account["email"],
        locale=locale if locale in ("ar", "en") else "ar",
        latin_name=f"{account['first_name_latin']} {account['last_name_latin']}"
        if account.get("first_name_latin") and account.get("last_name_latin")
        else None,
    )


def certificate_refusal(record: CertificateFeedRecord, today: date) -> Refusal | None:
    """Why the certificate a record declares cannot be true (`today`: the day in Riyadh), if it cannot."""
    try:
        check_certificate(record.certificate, today)
    except CertificateRefused as refused:
        window = refused.details
        if refused.field == "expires_on":
            detail = f"expires_on {window['expires_on']} is not after obtained_on {window['obtained_on']}"
        else:
            detail = (
                f"{refused.field} {window['obtained_on']} is outside "
                f"{window['earliest']}..{window['latest']} (today in Riyadh)"
            )
        return Refusal(RefusalCode(refused.code), detail)
    return None


def addressee(
    record: CertificateFeedRecord, account: Mapping[str, Any] | None, today: date
) -> PractitionerRef | Refusal:
    """Whom the record's certificate is for, or why the record is refused before its document is
    looked at (no URL is fetched for a record that could not be accepted anyway). `account`: the
    account with the record's ID number, if there is one."""
    if account is None:
        return Refusal(RefusalCode.UNKNOWN_PRACTITIONER)
    practitioner = practitioner_of(account)
    if isinstance(practitioner, Refusal):
        return practitioner
    return certificate_refusal(record, today) or practitioner


class PublishedRecord(Protocol):
    """A record another system publishes into a batch feed: it carries its publisher's own id."""

    @property
    def record_id(self) -> str: ...


R = TypeVar("R", bound=PublishedRecord)


@dataclass(frozen=True)
class PublishedItem(Generic[R]):
    """One decoded record of a batch and the CloudEvent it came in (gov.certificates, and the CPD
    providers' attendance feed, which reuses this machinery)."""

    ce: CloudEventAttributes
    record: R

    @cached_property
    def key(self) -> str:
        """Asked for several times per record in a batch: made once."""
        return record_key(self.ce.source, self.record.record_id)


Item = TypeVar("Item", bound=PublishedItem[Any])


@dataclass
class Sorted(Generic[Item]):
    """A batch sorted by what it still needs: `fresh` records to decide, records whose
    `record_id` was `already_received` (their event is only marked handled), and `repeats`
    (their event id took effect before, or came twice in the batch): nothing to do."""

    fresh: list[Item] = field(default_factory=list)
    already_received: list[Item] = field(default_factory=list)
    repeats: list[Item] = field(default_factory=list)


class FeedItem(PublishedItem[CertificateFeedRecord]):
    """A gov.certificates record. A class, not the alias `PublishedItem[...]`: calling a generic
    alias makes each instance by way of a failed `__orig_class__` assignment on a frozen dataclass
    (an exception raised and caught per record, a twentieth of intake's time under a feed)."""


Triage = Sorted[FeedItem]


def triage(items: Iterable[Item], handled_event_ids: set[str], received_keys: set[str]) -> Sorted[Item]:
    """Records with the same key inside one batch are all `fresh`: `decide_in_order` accepts the
    first acceptable one (an earlier one may be refused and a later, corrected one accepted)."""
    result: Sorted[Item] = Sorted()
    seen_ids: set[str] = set()
    for item in items:
        if item.ce.id in handled_event_ids or item.ce.id in seen_ids:
            result.repeats.append(item)
            continue
        seen_ids.add(item.ce.id)
        if item.key in received_keys:
            result.already_received.append(item)
        else:
            result.fresh.append(item)
    return result


@dataclass(frozen=True)
class Accepted:
    item: FeedItem
    practitioner: PractitionerRef
    file: StoredFile


@dataclass(frozen=True)
class Refused:
    item: FeedItem
    refusal: Refusal


@dataclass(frozen=True)
class AlreadyReceived:
    item: FeedItem


Decision = Accepted | Refused | AlreadyReceived


def decide_in_order(
    candidates: Iterable[tuple[FeedItem, PractitionerRef | Refusal, StoredFile | Refusal | None]],
) -> list[Decision]:
    """Each fresh record's fate, in batch order, from its practitioner and its document (None when
    it was not looked at because the record was refused before): the first acceptable record of a
    key wins, later ones with the same key are already received."""
    decisions: list[Decision] = []
    accepted_keys: set[str] = set()
    for item, practitioner, document in candidates:
        if item.key in accepted_keys:
            decisions.append(AlreadyReceived(item))
        elif isinstance(practitioner, Refusal):
            decisions.append(Refused(item, practitioner))
        elif isinstance(document, Refusal):
            decisions.append(Refused(item, document))
        elif document is None:
            raise ValueError(f"record {item.record.record_id}: no document decision")
        else:
            accepted_keys.add(item.key)
            decisions.append(Accepted(item, practitioner, document))
    return decisions


def submission_received(accepted: Accepted, submission_id: str, received_at: datetime) -> SubmissionReceived:
    """The event an upload of the same certificate would produce (no ID number on it)."""
    return SubmissionReceived(
        submission_id=submission_id,
        kind=SubmissionKind.CERTIFICATE,
        practitioner=accepted.practitioner,
        certificate=accepted.item.record.certificate,
        file=accepted.file,
        received_at=received_at,
    )
