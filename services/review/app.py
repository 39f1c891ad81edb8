"""Review: the human review queue and the reviewers' decisions.

Consumes:  submission.validated, profile.change_requested (enqueue).
Publishes: review.queued, review.decided (through the outbox).
"""

from typing import Annotated, Any

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field
from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.auth import principal_from
from mumaris.errors import ApiError
from mumaris.kafka import CloudEvent, subscribe
from mumaris.mongo import now
from mumaris.service import ServiceRuntime, create_http_app, create_runtime
from mumaris.settings import Settings, get_settings
from schemas import topics
from schemas.events import (
    Decision,
    PractitionerRef,
    ProfileChangeRequested,
    ReviewDecided,
    ReviewQueued,
    SubmissionKind,
    SubmissionValidated,
)
from services.review.domain import DecisionRefused, DecisionRequest, ItemStatus, check_decision
from services.review.store import ReviewStore

SERVICE = "review"


class DecisionBody(BaseModel):
    decision: Decision
    reason: Annotated[str, Field(max_length=2000)] = ""


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    store = ReviewStore(runtime.db)
    runtime.on_startup.append(store.ensure_indexes)

    @subscribe(runtime.broker, topics.SUBMISSION_VALIDATED, service=SERVICE, settings=runtime.settings)
    async def on_submission_validated(event: SubmissionValidated, ce: CloudEvent) -> None:
        at = now()
        item = {
            "_id": event.submission_id,
            "submission_id": event.submission_id,
            "kind": event.kind.value,
            "practitioner": event.practitioner.model_dump(mode="json"),
            "certificate": event.certificate.model_dump(mode="json"),
            "file": event.file.model_dump(mode="json"),
            "findings": [f.model_dump(mode="json") for f in event.findings],
            "status": ItemStatus.QUEUED.value,
            "queued_at": at,
        }

        await enqueue(ce.id, ce.type, item, event.practitioner, event.kind)

    @subscribe(runtime.broker, topics.PROFILE_CHANGE_REQUESTED, service=SERVICE, settings=runtime.settings)
    async def on_profile_change_requested(event: ProfileChangeRequested, ce: CloudEvent) -> None:
        item = {
            "_id": event.change_id,
            "submission_id": event.change_id,
            "kind": SubmissionKind.PROFILE_CHANGE.value,
            "practitioner": event.practitioner.model_dump(mode="json"),
            "changes": {name: change.model_dump(mode="json") for name, change in event.changes.items()},
            "findings": [],
            "status": ItemStatus.QUEUED.value,
            "queued_at": now(),
        }
        await enqueue(ce.id, ce.type, item, event.practitioner, SubmissionKind.PROFILE_CHANGE)

    async def enqueue(event_id: str, event_type: str, item: dict[str, Any], practitioner: PractitionerRef,
                      kind: SubmissionKind) -> None:
        async def work(session: AsyncClientSession) -> None:
            if await store.enqueue(item, session):
                queued = ReviewQueued(submission_id=item["_id"], review_id=item["_id"], kind=kind,
                                      practitioner=practitioner, queued_at=item["queued_at"])
                await runtime.uow.outbox.add(topics.REVIEW_QUEUED, queued, session)

        await runtime.uow.apply_once(event_id, event_type, work)

    app = create_http_app(runtime, title="Mumaris review")
    _add_review_routes(app, runtime, store)
    return app


def _item_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "review_id": doc["_id"],
        "submission_id": doc["submission_id"],
        "kind": doc["kind"],
        "status": doc["status"],
        "practitioner": {"id": doc["practitioner"]["id"], "name": doc["practitioner"]["name"]},
        "certificate": doc.get("certificate"),
        "file": doc.get("file"),
        "changes": doc.get("changes"),
        "findings": doc["findings"],
        "queued_at": doc["queued_at"].isoformat(),
        "decision": doc.get("decision"),
    }


def _add_review_routes(app: FastAPI, runtime: ServiceRuntime, store: ReviewStore) -> None:
    settings = runtime.settings

    @app.get("/v1/review/queue", tags=["review"])
    async def queue(request: Request) -> dict[str, Any]:
        principal_from(request, settings, "reviewer", "admin")
        return {"items": [_item_view(d) for d in await store.queued()]}

    @app.get("/v1/review/{review_id}", tags=["review"])
    async def item(review_id: str, request: Request) -> dict[str, Any]:
        principal_from(request, settings, "reviewer", "admin")
        doc = await store.get(review_id)
        if doc is None:
            raise ApiError(404, "not_found")
        return _item_view(doc)

    @app.post("/v1/review/{review_id}/decision", tags=["review"])
    async def decide(review_id: str, body: DecisionBody, request: Request) -> dict[str, Any]:
        reviewer = principal_from(request, settings, "reviewer", "admin")
        request_ = DecisionRequest(body.decision, body.reason)
        at = now()

        async def work(session: AsyncClientSession) -> dict[str, Any]:
            current = await store.get(review_id, session)
            if current is None:
                raise ApiError(404, "not_found")
            try:
                check_decision(ItemStatus(current["status"]), request_)
            except DecisionRefused as refused:
                raise ApiError(409 if refused.code == "review.already_decided" else 422, refused.code) from refused
            decided = await store.record_decision(
                review_id,
                {"decision": body.decision.value, "reason": body.reason, "reviewer_id": reviewer.id},
                at,
                session,
            )
            if decided is None:  # another reviewer's decision won the race
                raise ApiError(409, "review.already_decided")
            event = ReviewDecided(
                submission_id=decided["submission_id"], review_id=review_id, kind=SubmissionKind(decided["kind"]),
                practitioner=PractitionerRef.model_validate(decided["practitioner"]), decision=body.decision,
                reason=body.reason, reviewer_id=reviewer.id, decided_at=at,
            )
            await runtime.uow.outbox.add(topics.REVIEW_DECIDED, event, session)
            return decided

        decided = await runtime.uow.run(work)
        return _item_view(decided)
