"""The review queue's use cases: what enters the queue (a validated submission, a change of personal
data, a paid classification request) and what a reviewer or supervisor does with it — claim,
renew, release, decide, look at a document — each one a transaction that also appends to the
audit trail.

The JSON API (routes.py) and the console (services/review/console/) both act through ReviewDesk,
so the rules and the audit are the same whichever way a reviewer works. A refusal is a
ReviewRefused (rules.py); the routes answer it. What a classification item needs beyond the queue
(its exams, its request) belongs to the fees area, reached through `ClassificationItems`.
"""

import random
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NoReturn, Protocol

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.auth import OVERSEER_ROLES, Principal
from mumaris.clock import now
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    CertificateMetadata,
    Decision,
    PractitionerRef,
    ProfileChangeRequested,
    ReviewDecided,
    ReviewQueued,
    SubmissionKind,
    SubmissionValidated,
)
from services.review.queue.rules import (
    CLAIM_WINDOW,
    DecisionRequest,
    ItemState,
    ItemStatus,
    OrderKey,
    ReviewRefused,
    WorkingCalendar,
    check_decision,
    new_claim,
    next_candidate,
    next_front,
    priority_of,
    reserved_for_other,
    running_thin,
)
from services.review.queue.store import ReviewStore, claim_of, order_key

Item = dict[str, Any]  # a review.items document


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


def may_see_document(item: Item, actor: Actor) -> bool:
    """A document is for the reviewer holding the item's claim, or a supervisor."""
    claim = claim_of(item)
    return actor.oversees or (claim is not None and claim.held_by(actor.id, now()))


class ClassificationItems(Protocol):
    """What a classification item needs from the fees area (fees.service.ClassificationReview):
    the exams its approval requires, and its request settled by the decision."""

    async def missing_exams(self, item: Item, session: AsyncClientSession) -> tuple[str, ...]: ...

    async def exams_of(self, item: Item) -> list[dict[str, Any]]: ...

    async def settle(self, item: Item, decision: Decision, at: datetime, session: AsyncClientSession) -> None: ...


class Approvals(Protocol):
    """What else an approval records in its transaction (the certificates area: an approved
    certificate that expires, for its reminders)."""

    async def approved(self, item: Item, at: datetime, session: AsyncClientSession) -> bool: ...


def submission_item(event: SubmissionValidated, at: datetime) -> Item:
    """The queue's item for a validated certificate (or a resubmission of one)."""
    return {
        "_id": event.submission_id,
        "submission_id": event.submission_id,
        "kind": event.kind.value,
        "version": event.version,
        "previous_submission_id": event.previous_submission_id,
        "practitioner": event.practitioner.model_dump(mode="json"),
        "specialty": event.certificate.specialty,
        "certificate": event.certificate.model_dump(mode="json"),
        "file": event.file.model_dump(mode="json"),
        "findings": [f.model_dump(mode="json") for f in event.findings],
        "status": ItemStatus.QUEUED.value,
        "queued_at": at,
    }


def profile_change_item(event: ProfileChangeRequested, at: datetime) -> Item:
    """The queue's item for a change of personal data: the changes instead of a document."""
    return {
        "_id": event.change_id,
        "submission_id": event.change_id,
        "kind": SubmissionKind.PROFILE_CHANGE.value,
        "practitioner": event.practitioner.model_dump(mode="json"),
        "specialty": None,
        "changes": {name: change.model_dump(mode="json") for name, change in event.changes.items()},
        "findings": [],
        "status": ItemStatus.QUEUED.value,
        "queued_at": at,
    }


# claim-next reads at most this many windows before it gives up: more would be a retry storm when
# many desks race for the last few items.
CLAIM_READS = 3


class ClaimsInFlight:
    """What the claim-next calls on one desk are doing, so that reviewers pressing it together on
    that desk never try the same item: the items being tried right now, and those won in the last
    few seconds (a window read before such a claim committed may still show the item free).

    Kept in memory, it only spares the database attempts that would lose; the conditional update
    in the store is what keeps two reviewers off one item, here and across desks."""

    WON_RECENTLY = timedelta(seconds=5)
    LOST_RECENTLY = timedelta(seconds=2)

    def __init__(self) -> None:
        self.trying: set[str] = set()
        self._won: dict[str, datetime] = {}  # item → until when it counts as just won
        self.lost_at: datetime | None = None  # when a call on this desk last lost an item to another desk

    def contended(self, at: datetime) -> bool:
        """Another desk took an item from under a call on this one lately: they go for the same items."""
        return self.lost_at is not None and at - self.lost_at < self.LOST_RECENTLY

    def busy(self, at: datetime) -> set[str]:
        self._won = {review_id: until for review_id, until in self._won.items() if until > at}
        return self.trying | self._won.keys()

    def won(self, review_id: str, at: datetime, expires_at: datetime) -> None:
        """Just won: busy for a few seconds, never past the lease (a lapsed lease is free to take)."""
        self._won[review_id] = min(at + self.WON_RECENTLY, expires_at)

    def released(self, review_id: str) -> None:
        """Back in the queue: free to try again at once."""
        self._won.pop(review_id, None)


class ReviewDesk:
    def __init__(
        self,
        store: ReviewStore,
        uow: UnitOfWork,
        settings: Settings,
        classifications: ClassificationItems | None = None,
        approvals: Approvals | None = None,
    ) -> None:
        self.store = store
        self.approvals = approvals
        self.uow = uow
        self.settings = settings
        # None for a desk that never sees classification items (the desk's own tests, benchmarks).
        self.classifications = classifications
        self.calendar = WorkingCalendar(holidays=frozenset(settings.review_holidays))
        self.lease = timedelta(seconds=settings.review_lease_s)
        # How far claim-next reads into the claim order (None: from its beginning). A hint kept in
        # memory, shared by this desk's claims: any value gives the right items, a good one cheaply.
        self.front: OrderKey | None = None
        self.refreshing = False  # a claim-next call is reading from the beginning to set the front
        self.flights = ClaimsInFlight()
        self.rng = random.Random()

    # --- entering the queue ----------------------------------------------------------------------

    async def queue_submission(self, event: SubmissionValidated, ce: CloudEventAttributes) -> None:
        """submission.validated of a certificate: queue it, once per event."""
        item = submission_item(event, now())
        await self.uow.apply_once(ce.id, ce.type, lambda session: self.enqueue(item, session))

    async def queue_profile_change(self, event: ProfileChangeRequested, ce: CloudEventAttributes) -> None:
        """profile.change_requested: queue the change, once per event."""
        item = profile_change_item(event, now())
        await self.uow.apply_once(ce.id, ce.type, lambda session: self.enqueue(item, session))

    async def enqueue(self, item: Item, session: AsyncClientSession) -> None:
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
                sla_due_at=item["sla_due_at"],
            )
            await self.uow.outbox.add(topics.REVIEW_QUEUED, queued, session)

    # --- claims ----------------------------------------------------------------------------------

    async def claim_next(self, actor: Actor) -> Item | None:
        """The best item this reviewer may take, claimed; None when there is nothing to take.

        It reads a window of the best items the reviewer may take (a bounded range of the claim
        order: `next_front`) and tries the best one nobody else on this desk is trying or has just
        won, so reviewers pressing "claim next" together on one desk take the first, second,
        third ... best items instead of all racing for the first. Across desks (replicas) the
        conditional update lets exactly one reviewer win each item; the loser knows the others go
        for the best ones too, and tries the rest of the window in random order, and so does every
        call on its desk for the next two seconds. A lost attempt costs one short transaction and
        is never retried: the loser moves on. When a window has
        nothing left to try, it reads again from the beginning of the order; after `CLAIM_READS`
        windows without a claim it gives up rather than keep racing."""
        tried: set[str] = set()
        contended = self.flights.contended(now())
        for read in range(CLAIM_READS):
            busy = self.flights.busy(now())
            # After a window with nothing left to try, read from the beginning of the order, far
            # enough to get past what this call and the others on the desk are trying.
            window = await self._window(actor, read > 0, len(tried | busy))
            if not window:
                return None
            while review_id := next_candidate(window, tried | self.flights.busy(now()), contended, self.rng):
                tried.add(review_id)
                if claimed := await self._try_claim_on_this_desk(review_id, actor):
                    return claimed
                contended, self.flights.lost_at = True, now()
        return None

    async def _window(self, actor: Actor, from_the_beginning: bool, skipped: int) -> list[str]:
        """The ids claim-next may try: resubmissions held for this reviewer first, then the rest in
        claim order, read up to the desk's front, or from the beginning when it runs thin (which
        sets the front again)."""
        front = None if from_the_beginning else self.front
        found = await self.store.claim_window(actor.id, now(), front, 4 * CLAIM_WINDOW) if front is not None else []
        keys = [order_key(doc) for doc in found]
        if running_thin(keys) and not (found and self.refreshing):
            # One call on the desk at a time reads from the beginning (it costs every open item);
            # the others take what is left before the front meanwhile.
            self.refreshing = True
            try:
                found = await self.store.claim_window(actor.id, now(), None, 2 * CLAIM_WINDOW + skipped)
            finally:
                self.refreshing = False
            self.front = next_front(None, [order_key(doc) for doc in found])
        elif front == self.front:  # not moved by another call meanwhile
            self.front = next_front(front, keys)
        held_for_me_first = sorted(found, key=lambda doc: doc.get("preferred_reviewer_id") != actor.id)
        return [doc["_id"] for doc in held_for_me_first]

    async def _try_claim_on_this_desk(self, review_id: str, actor: Actor) -> Item | None:
        self.flights.trying.add(review_id)
        try:
            claimed = await self._try_claim(review_id, actor)
        finally:
            self.flights.trying.discard(review_id)
        if claimed is not None:
            self.flights.won(review_id, claimed["claim"]["claimed_at"], claimed["claim"]["expires_at"])
        return claimed

    async def claim(self, review_id: str, actor: Actor) -> Item:
        """Take a specific item, or learn why not."""
        for _ in range(3):
            if claimed := await self._try_claim(review_id, actor):
                return claimed
            item = await self.get(review_id)
            at = now()
            if item["status"] != ItemStatus.QUEUED.value:
                raise ReviewRefused("review.already_decided")
            current = claim_of(item)
            if current is not None and current.held_by(actor.id, at):
                return item  # claiming what you already hold is not an error
            if current is not None and current.live(at):
                raise ReviewRefused("review.claimed_by_other", {"held_by": current.reviewer_name})
            if reserved_for_other(item.get("preferred_reviewer_id"), item.get("reserved_until"), actor.id, at):
                raise ReviewRefused("review.reserved", {"until": item["reserved_until"].isoformat()})
            # Free again: the attempt lost a race with a release or a lapse. Try once more.
        raise ReviewRefused("review.claimed_by_other", {"held_by": None})

    async def _try_claim(self, review_id: str, actor: Actor) -> Item | None:
        async def work(session: AsyncClientSession) -> Item | None:
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

    async def renew(self, review_id: str, actor: Actor) -> Item:
        async def work(session: AsyncClientSession) -> Item | None:
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

    async def release(self, review_id: str, actor: Actor) -> Item:
        """Give the item back. A supervisor may release another reviewer's claim (reassignment)."""

        async def work(session: AsyncClientSession) -> Item | None:
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
            self.flights.released(review_id)
            return {**released, "claim": None}
        await self._refuse_without_claim(review_id, actor)

    # --- decisions -------------------------------------------------------------------------------

    async def decide(self, review_id: str, actor: Actor, request: DecisionRequest) -> Item:
        """Record the decision, its audit entry and `review.decided` together, or refuse."""

        async def work(session: AsyncClientSession) -> Item:
            at = now()
            item = await self.get(review_id, session)
            kind = SubmissionKind(item["kind"])
            missing = (
                await self._classifications().missing_exams(item, session)
                if kind is SubmissionKind.CLASSIFICATION
                else ()
            )
            state = ItemState(ItemStatus(item["status"]), kind, claim_of(item), missing, hours_claimed(item))
            check_decision(state, actor.id, request, at)
            decision = {
                "decision": request.decision.value,
                "reason_codes": list(request.reason_codes),
                "reason": request.reason.strip(),
                "reviewer_id": actor.id,
                "reviewer_name": actor.name,
            }
            if request.cpd_hours_recognised is not None:  # a CPD recognition request approved
                decision["cpd_hours_recognised"] = str(request.cpd_hours_recognised)
            decided = await self.store.record_decision(review_id, actor.id, decision, at, session)
            if decided is None:  # another request of the same reviewer won the race
                raise ReviewRefused("review.already_decided")
            await self.store.append_audit(
                review_id,
                "decided",
                actor.audit_doc(),
                actor.address,
                at,
                {
                    k: decision[k]
                    for k in ("decision", "reason_codes", "reason", "cpd_hours_recognised")
                    if k in decision
                },
                session,
            )
            await self.uow.outbox.add(topics.REVIEW_DECIDED, decided_event(decided, request, actor, at), session)
            if kind is SubmissionKind.CLASSIFICATION:
                await self._classifications().settle(decided, request.decision, at, session)
            if request.decision is Decision.APPROVE and self.approvals is not None:
                await self.approvals.approved(decided, at, session)
            return decided

        return await self.uow.run(work)

    async def exams_of(self, item: Item) -> list[dict[str, Any]]:
        """A classification item's required exams and where the practitioner stands with each."""
        return [] if self.classifications is None else await self.classifications.exams_of(item)

    def _classifications(self) -> ClassificationItems:
        if self.classifications is None:
            raise RuntimeError("this desk was assembled without the fees area: it cannot decide classifications")
        return self.classifications

    # --- documents -------------------------------------------------------------------------------

    async def open_document(
        self, review_id: str, actor: Actor, what: dict[str, Any], submission_id: str | None = None
    ) -> Item:
        """The item whose document `actor` may see now (holder of the claim, or a supervisor);
        the view is in the audit trail before a byte is sent. A classification item has several
        documents: `submission_id` names one, and the answer is that document as an item
        (`_id` its submission id, `file`)."""
        item = await self.get(review_id)
        if submission_id is not None:
            found = next((d for d in item.get("documents") or [] if d["submission_id"] == submission_id), None)
            if found is None or found.get("file") is None:
                raise ReviewRefused("review.no_document")
            item = {**item, "_id": submission_id, "file": found["file"]}
            what = {**what, "submission_id": submission_id}
        if item.get("file") is None:
            raise ReviewRefused("review.no_document")
        if not may_see_document(item, actor):
            claim = claim_of(item)
            raise ReviewRefused(
                "review.claim_required_to_view",
                {"held_by": claim.reviewer_name if claim and claim.live(now()) else None},
            )
        await self.store.append_audit(review_id, "document_viewed", actor.audit_doc(), actor.address, now(), what)
        return item

    # --- helpers ---------------------------------------------------------------------------------

    async def get(self, review_id: str, session: AsyncClientSession | None = None) -> Item:
        """The item, or ReviewRefused("not_found")."""
        item = await self.store.get(review_id, session)
        if item is None:
            raise ReviewRefused("not_found")
        return item

    async def _refuse_without_claim(self, review_id: str, actor: Actor) -> NoReturn:
        """Why `actor` could not renew or release: the item is decided, or not theirs."""
        item = await self.get(review_id)
        if item["status"] != ItemStatus.QUEUED.value:
            raise ReviewRefused("review.already_decided")
        claim = claim_of(item)
        holder = claim.reviewer_name if claim is not None and claim.live(now()) else None
        raise ReviewRefused("review.claim_required", {"held_by": holder})


def hours_claimed(item: Item) -> Decimal | None:
    """A CPD recognition request's hours asked (None for any other item)."""
    claim = (item.get("certificate") or {}).get("recognition")
    return Decimal(claim["hours_claimed"]) if claim else None


def decided_event(item: Item, request: DecisionRequest, actor: Actor, at: datetime) -> ReviewDecided:
    return ReviewDecided(
        submission_id=item["submission_id"],
        review_id=item["_id"],
        kind=SubmissionKind(item["kind"]),
        version=item.get("version", 1),
        practitioner=PractitionerRef.model_validate(item["practitioner"]),
        decision=request.decision,
        reason_codes=list(request.reason_codes),
        reason=request.reason.strip(),
        cpd_hours_recognised=request.cpd_hours_recognised,
        reviewer_id=actor.id,
        decided_at=at,
        certificate=CertificateMetadata.model_validate(item["certificate"]) if item.get("certificate") else None,
    )
