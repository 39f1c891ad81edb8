"""The review desk: what a reviewer or supervisor can do with the queue — claim, renew, release,
decide, look at a document — each one a transaction that also appends to the audit trail.

The JSON API (app.py) and the console (console.py) both act through this class, so the rules and
the audit are the same whichever way a reviewer works.
"""

import random
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.auth import OVERSEER_ROLES, Principal
from mumaris.clock import now
from mumaris.errors import ApiError
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from schemas import topics
from schemas.events import (
    CertificateMetadata,
    ClassificationChanged,
    ClassificationRef,
    Decision,
    PractitionerRef,
    ReviewDecided,
    ReviewQueued,
    SubmissionKind,
)
from services.review.fees.rules import RequestStatus, missing_exams
from services.review.fees.store import ClassificationStore
from services.review.queue.rules import (
    CONFLICTS,
    DecisionRefused,
    DecisionRequest,
    ItemState,
    ItemStatus,
    WorkingCalendar,
    check_decision,
    new_claim,
    priority_of,
    reserved_for_other,
)
from services.review.queue.store import ReviewStore, claim_of

# What a decision on a classification item makes of its request.
REQUEST_AFTER = {
    Decision.APPROVE: RequestStatus.APPROVED,
    Decision.REJECT: RequestStatus.REJECTED,
    Decision.REQUEST_CHANGES: RequestStatus.CHANGES_REQUESTED,
}


@dataclass(frozen=True)
class Actor:
    """Who does something at the desk, and from where (for the audit trail)."""

    id: str
    name: str
    role: str
    address: str | None

    @classmethod
    def of(cls, principal: Principal, address: str | None) -> "Actor":
        return cls(principal.id, principal.name, principal.role, address)

    @property
    def oversees(self) -> bool:
        return self.role in OVERSEER_ROLES

    def audit_doc(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "role": self.role}


def may_see_document(item: dict[str, Any], actor: Actor) -> bool:
    """A document is for the reviewer holding the item's claim, or a supervisor."""
    claim = claim_of(item)
    return actor.oversees or (claim is not None and claim.held_by(actor.id, now()))


class ReviewDesk:
    def __init__(
        self, store: ReviewStore, uow: UnitOfWork, settings: Settings, requests: ClassificationStore | None = None
    ) -> None:
        self.store = store
        self.uow = uow
        self.settings = settings
        # Classification items: the exams an approval needs and the request a decision settles.
        self.requests = requests or ClassificationStore(store.items.database)
        self.calendar = WorkingCalendar(holidays=frozenset(settings.review_holidays))
        self.lease = timedelta(seconds=settings.review_lease_s)

    # --- entering the queue (called by the event handlers) -------------------------------------

    async def enqueue(self, item: dict[str, Any], session: AsyncClientSession) -> None:
        """Queue an item (once) with its priority and deadline, and announce it."""
        at: datetime = item["queued_at"]
        previous = item.get("previous_submission_id")
        item = {
            **item,
            "version": item.get("version", 1),
            "priority": int(priority_of(previous)),
            "sla_due_at": self.calendar.add_working_days(at, self.settings.review_sla_working_days),
            "claim": None,
            "preferred_reviewer_id": None,
            "reserved_until": None,
        }
        if previous and (reviewer := await self.store.decider_of(previous, session)):
            # Back to the reviewer who asked for the changes, if they take it within the hold.
            item["preferred_reviewer_id"] = reviewer
            item["reserved_until"] = at + timedelta(seconds=self.settings.review_resubmission_hold_s)
        if await self.store.enqueue(item, session):
            queued = ReviewQueued(
                submission_id=item["submission_id"],
                review_id=item["_id"],
                kind=SubmissionKind(item["kind"]),
                version=item["version"],
                previous_submission_id=previous,
                practitioner=PractitionerRef.model_validate(item["practitioner"]),
                queued_at=at,
            )
            await self.uow.outbox.add(topics.REVIEW_QUEUED, queued, session)

    # --- claims ----------------------------------------------------------------------------------

    async def claim_next(self, actor: Actor) -> dict[str, Any] | None:
        """The best item this reviewer may take, claimed; None when there is nothing to take.

        Competing reviewers read the same candidates and the conditional update lets exactly one
        win each. A reviewer who loses the first candidate tries the others in random order, so
        ten reviewers pressing "claim next" together spread over the top ten items instead of
        queueing behind each other on every one of them."""
        for _ in range(5):  # the candidates can all go to others between the read and the claims
            candidates = await self.store.claim_candidates(actor.id, now())
            if not candidates:
                return None
            first, rest = candidates[0], candidates[1:]
            random.shuffle(rest)
            for review_id in (first, *rest):
                if claimed := await self._try_claim(review_id, actor):
                    return claimed
        return None

    async def claim(self, review_id: str, actor: Actor) -> dict[str, Any]:
        """Take a specific item, or learn why not."""
        for _ in range(3):
            if claimed := await self._try_claim(review_id, actor):
                return claimed
            item = await self._get(review_id)
            at = now()
            if item["status"] != ItemStatus.QUEUED.value:
                raise ApiError(409, "review.already_decided")
            current = claim_of(item)
            if current is not None and current.held_by(actor.id, at):
                return item  # claiming what you already hold is not an error
            if current is not None and current.live(at):
                raise ApiError(409, "review.claimed_by_other", {"held_by": current.reviewer_name})
            if reserved_for_other(item.get("preferred_reviewer_id"), item.get("reserved_until"), actor.id, at):
                raise ApiError(409, "review.reserved", {"until": item["reserved_until"].isoformat()})
            # Free again: the attempt lost a race with a release or a lapse. Try once more.
        raise ApiError(409, "review.claimed_by_other", {"held_by": None})

    async def _try_claim(self, review_id: str, actor: Actor) -> dict[str, Any] | None:
        async def work(session: AsyncClientSession) -> dict[str, Any] | None:
            at = now()
            claim = new_claim(actor.id, actor.name, at, self.lease)
            before = await self.store.try_claim(review_id, claim, at, session)
            if before is None:
                return None
            details: dict[str, Any] = {"expires_at": claim.expires_at.isoformat()}
            if (lapsed := claim_of(before)) is not None and lapsed.reviewer_id != actor.id:
                details["lapsed_claim_of"] = {"id": lapsed.reviewer_id, "name": lapsed.reviewer_name}
            await self.store.append_audit(review_id, "claimed", actor.audit_doc(), actor.address, at, details, session)
            return {**before, "claim": asdict(claim)}

        return await self.uow.attempt(work)

    async def renew(self, review_id: str, actor: Actor) -> dict[str, Any]:
        async def work(session: AsyncClientSession) -> dict[str, Any] | None:
            at = now()
            renewed = await self.store.renew(review_id, actor.id, at + self.lease, at, session)
            if renewed is not None:
                await self.store.append_audit(
                    review_id,
                    "renewed",
                    actor.audit_doc(),
                    actor.address,
                    at,
                    {"expires_at": renewed["claim"]["expires_at"].isoformat()},
                    session,
                )
            return renewed

        if renewed := await self.uow.run(work):
            return renewed
        await self._refuse_without_claim(review_id, actor)
        raise AssertionError("unreachable")

    async def release(self, review_id: str, actor: Actor) -> dict[str, Any]:
        """Give the item back. A supervisor may release another reviewer's claim (reassignment)."""

        async def work(session: AsyncClientSession) -> dict[str, Any] | None:
            at = now()
            before = await self.store.release(review_id, None if actor.oversees else actor.id, at, session)
            if before is not None:
                holder = claim_of(before)
                details = {"held_by": {"id": holder.reviewer_id, "name": holder.reviewer_name}} if holder else {}
                await self.store.append_audit(
                    review_id, "released", actor.audit_doc(), actor.address, at, details, session
                )
            return before

        if released := await self.uow.run(work):
            return {**released, "claim": None}
        await self._refuse_without_claim(review_id, actor)
        raise AssertionError("unreachable")

    # --- decisions -------------------------------------------------------------------------------

    async def decide(self, review_id: str, actor: Actor, request: DecisionRequest) -> dict[str, Any]:
        """Record the decision, its audit entry and `review.decided` together, or refuse."""

        async def work(session: AsyncClientSession) -> dict[str, Any]:
            at = now()
            item = await self._get(review_id, session)
            kind = SubmissionKind(item["kind"])
            missing = await self._missing_exams(item, session) if kind is SubmissionKind.CLASSIFICATION else ()
            state = ItemState(ItemStatus(item["status"]), kind, claim_of(item), missing)
            try:
                check_decision(state, actor.id, request, at)
            except DecisionRefused as refused:
                raise ApiError(409 if refused.code in CONFLICTS else 422, refused.code, refused.details) from refused
            decision = {
                "decision": request.decision.value,
                "reason_codes": list(request.reason_codes),
                "reason": request.reason.strip(),
                "reviewer_id": actor.id,
                "reviewer_name": actor.name,
            }
            decided = await self.store.record_decision(review_id, actor.id, decision, at, session)
            if decided is None:  # another request of the same reviewer won the race
                raise ApiError(409, "review.already_decided")
            await self.store.append_audit(
                review_id,
                "decided",
                actor.audit_doc(),
                actor.address,
                at,
                {k: decision[k] for k in ("decision", "reason_codes", "reason")},
                session,
            )
            event = ReviewDecided(
                submission_id=decided["submission_id"],
                review_id=review_id,
                kind=SubmissionKind(decided["kind"]),
                version=decided.get("version", 1),
                practitioner=PractitionerRef.model_validate(decided["practitioner"]),
                decision=request.decision,
                reason_codes=list(request.reason_codes),
                reason=request.reason.strip(),
                reviewer_id=actor.id,
                decided_at=at,
                certificate=CertificateMetadata.model_validate(decided["certificate"])
                if decided.get("certificate")
                else None,
            )
            await self.uow.outbox.add(topics.REVIEW_DECIDED, event, session)
            if kind is SubmissionKind.CLASSIFICATION:
                await self._settle_classification(decided, request.decision, at, session)
            return decided

        return await self.uow.run(work)

    async def _missing_exams(self, item: dict[str, Any], session: AsyncClientSession) -> tuple[str, ...]:
        required: list[str] = item.get("required_exams") or []
        results = await self.requests.exam_outcomes(item["candidate_ref"], required, session) if required else []
        return missing_exams(required, results)

    async def _settle_classification(
        self, item: dict[str, Any], decision: Decision, at: datetime, session: AsyncClientSession
    ) -> None:
        """The request follows the decision; an approval changes the practitioner's classification,
        announced on classification.changed (intake keeps the profile; other systems listen too)."""
        await self.requests.move_request(item["_id"], RequestStatus.IN_REVIEW, REQUEST_AFTER[decision], at, session)
        if decision is Decision.APPROVE:
            classification = item["classification"]
            changed = ClassificationChanged(
                request_id=item["_id"],
                practitioner=PractitionerRef.model_validate(item["practitioner"]),
                previous=ClassificationRef.model_validate(classification["current"])
                if classification.get("current")
                else None,
                classification=ClassificationRef.model_validate(classification["target"]),
                changed_at=at,
            )
            await self.uow.outbox.add(topics.CLASSIFICATION_CHANGED, changed, session)

    # --- documents -------------------------------------------------------------------------------

    async def open_document(
        self, review_id: str, actor: Actor, what: dict[str, Any], submission_id: str | None = None
    ) -> dict[str, Any]:
        """The item whose document `actor` may see now (holder of the claim, or a supervisor);
        the view is in the audit trail before a byte is sent. A classification item has several
        documents: `submission_id` names one, and the answer is that document as an item
        (`_id` its submission id, `file`)."""
        item = await self._get(review_id)
        if submission_id is not None:
            found = next((d for d in item.get("documents") or [] if d["submission_id"] == submission_id), None)
            if found is None or found.get("file") is None:
                raise ApiError(404, "review.no_document")
            item = {**item, "_id": submission_id, "file": found["file"]}
            what = {**what, "submission_id": submission_id}
        if item.get("file") is None:
            raise ApiError(404, "review.no_document")
        if not may_see_document(item, actor):
            claim = claim_of(item)
            raise ApiError(
                403,
                "review.claim_required_to_view",
                {"held_by": claim.reviewer_name if claim and claim.live(now()) else None},
            )
        await self.store.append_audit(review_id, "document_viewed", actor.audit_doc(), actor.address, now(), what)
        return item

    # --- helpers ---------------------------------------------------------------------------------

    async def _get(self, review_id: str, session: AsyncClientSession | None = None) -> dict[str, Any]:
        item = await self.store.get(review_id, session)
        if item is None:
            raise ApiError(404, "not_found")
        return item

    async def _refuse_without_claim(self, review_id: str, actor: Actor) -> None:
        item = await self._get(review_id)
        if item["status"] != ItemStatus.QUEUED.value:
            raise ApiError(409, "review.already_decided")
        claim = claim_of(item)
        holder = claim.reviewer_name if claim is not None and claim.live(now()) else None
        raise ApiError(409, "review.claim_required", {"held_by": holder})
