"""Certificates that expire, as review learns of them: from the approval it makes.

Why here, in review, and not in intake (which keeps the certificates and marks an expired one on
the profile): the design of record gives review the decisions and the clock (APScheduler), and
intake neither. The approval is review's own act, so the certificate enters the reminders' record
in the very transaction that records the decision (ReviewDesk.decide → `approved`): no event to
wait for or to lose, and nothing to keep in step with intake. Only approved certificates of kind
`certificate` with an `expires_on` are kept (a refused or unapproved one is never reminded; a
recognition request's evidence is not a certificate the practitioner holds). Certificates approved
before this existed are kept once by `mumaris certificates backfill` (backfill_expiries).
"""

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.mongo import UnitOfWork, make_client
from mumaris.settings import Settings
from schemas.events import SubmissionKind
from services.review import SERVICE
from services.review.certificates.store import CertificateExpiries
from services.review.registrations.store import day


class ApprovedCertificates:
    """The queue's hook for approvals (queue/service.py ReviewDesk `approvals`)."""

    def __init__(self, expiries: CertificateExpiries) -> None:
        self.expiries = expiries

    async def approved(self, item: dict[str, Any], at: datetime, session: AsyncClientSession) -> bool:
        """Keep an approved certificate that expires, once (False: nothing to keep, or known)."""
        certificate = item.get("certificate") or {}
        if item["kind"] != SubmissionKind.CERTIFICATE.value or not certificate.get("expires_on"):
            return False
        doc = {
            "_id": item["submission_id"],
            "practitioner": item["practitioner"],
            "name": certificate["name"],
            "expires_on": day(date.fromisoformat(certificate["expires_on"])),
            "approved_at": at,
            "reminded": [],
        }
        return await self.expiries.record(doc, session)


# Approved certificates with an expiry, in review's queue (decided items keep their decision).
APPROVED_WITH_EXPIRY = {
    "kind": SubmissionKind.CERTIFICATE.value,
    "status": "decided",
    "decision.decision": "approve",
    "certificate.expires_on": {"$ne": None},
}


async def backfill_expiries(settings: Settings, batch: int = 500) -> tuple[int, int]:
    """For operations (`mumaris certificates backfill`): keep every certificate approved before the
    reminders existed, as its approval would have, with a client of its own. Idempotent: run it
    again and it keeps nothing twice. Returns (approved certificates with an expiry seen, kept)."""
    client = make_client(settings)
    try:
        db = client[settings.mongo_db]
        expiries = CertificateExpiries(db)
        await expiries.ensure_indexes()
        approvals, uow = ApprovedCertificates(expiries), UnitOfWork(client, db, SERVICE)
        seen = kept = 0
        async for item in db["review.items"].find(APPROVED_WITH_EXPIRY, batch_size=batch):
            seen += 1
            kept += await uow.run(kept_in(approvals, item))
        return seen, kept
    finally:
        await client.close()


def kept_in(approvals: ApprovedCertificates, item: dict[str, Any]) -> Callable[[AsyncClientSession], Awaitable[bool]]:
    """The transaction that keeps one approved certificate, as its approval would have."""

    async def work(session: AsyncClientSession) -> bool:
        return await approvals.approved(item, item["decided_at"], session)

    return work
