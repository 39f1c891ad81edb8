"""Certificates that expire, as review learns of them: from the approval it makes.

Why here, in review, and not in intake (which keeps the certificates and marks an expired one on
the profile): the design of record gives review the decisions and the clock (APScheduler), and
intake neither. The approval is review's own act, so the certificate enters the reminders' record
in the very transaction that records the decision (ReviewDesk.decide → `approved`): no event to
wait for or to lose, and nothing to keep in step with intake. Only approved certificates of kind
`certificate` with an `expires_on` are kept (a refused or unapproved one is never reminded; a
recognition request's evidence is not a certificate the practitioner holds).
"""

from datetime import date, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from schemas.events import SubmissionKind
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
