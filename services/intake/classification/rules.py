"""Intake's rules for classification change requests: what a request must contain, and its
practitioner-facing status projected from the events of the services it travels through.

Plain Python over the catalogue in `schemas.classifications`: no HTTP, no Kafka, no MongoDB.

A request is refused, before any of its files is read, when
- the membership number is not the caller's own ("classification.not_your_membership"),
- the target is unknown or not one step up the caller's ladder ("classification.step_not_allowed"),
- the conditions in force were not accepted ("classification.conditions_not_accepted"),
- a required document is missing or a document it does not require was sent ("classification.incomplete"),
- the practitioner has a request open already ("classification.request_open": one at a time).

Status: validating → validation_failed (a document failed its checks) | awaiting_payment (all passed,
fee invoiced) → lapsed (unpaid in time) | in_review → approved | rejected | changes_requested.
Events reach intake on different topics, out of order or twice: every step is kept once (by event
id) in time order, the status only moves forward, and a final status is never left. "fee_expired"
is a step of the timeline that moves no status (the lapse that follows does).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from mumaris.errors import Refusal
from schemas.classifications import (
    CLASSIFICATIONS,
    CONDITIONS_VERSION,
    DOCUMENT_TYPES,
    EXAMS,
    Classification,
    allowed_step,
    money,
)
from schemas.events import CertificateMetadata, Decision, Localized
from services.intake.submissions.rules import advance


class RequestRefused(Refusal):
    """The classification request cannot be accepted."""


# --- what a request must contain -----------------------------------------------------------------


def allowed_targets(current: str | None) -> list[str]:
    """Every classification the practitioner may ask for next, in catalogue order."""
    return [code for code in CLASSIFICATIONS if allowed_step(current, code)]


def check_none_open(open_request_id: str | None) -> None:
    """One open request per practitioner: a new one only once the last is closed (a final status)."""
    if open_request_id is not None:
        raise RequestRefused("classification.request_open", {"request_id": open_request_id})


def check_membership(own: str | None, given: str) -> None:
    """`given` is already normalised; an account without a number (e-mail not yet confirmed) owns none."""
    if own is None or own != given:
        raise RequestRefused("classification.not_your_membership")


def check_step(current: str | None, target: str) -> Classification:
    """The target classification, when it is one step up the practitioner's own ladder."""
    if not allowed_step(current, target):
        raise RequestRefused(
            "classification.step_not_allowed", {"current": current, "allowed": allowed_targets(current)}
        )
    return CLASSIFICATIONS[target]


def check_conditions(accepted: bool, version: str) -> None:
    """Accepting an older text of the conditions is not accepting the ones in force."""
    if not accepted or version != CONDITIONS_VERSION:
        raise RequestRefused("classification.conditions_not_accepted", {"conditions_version": CONDITIONS_VERSION})


def check_documents(target: Classification, sent: Iterable[str]) -> None:
    """Exactly the documents the target requires: the refusal lists what is missing (in the
    catalogue's order) and what it does not require (whether or not the catalogue knows it)."""
    names = set(sent)
    missing = [doc for doc in target.required_documents if doc not in names]
    unknown = sorted(names - set(target.required_documents))
    if missing or unknown:
        raise RequestRefused("classification.incomplete", {"missing_documents": missing, "unknown_documents": unknown})


def document_metadata(
    document_type: str, target: Classification, request_id: str, received_on: date
) -> CertificateMetadata:
    """What a document of a request says about itself where a certificate's would be declared by the
    practitioner (the validator's duplicate and date rules read it). The request id in the name
    keeps two requests' documents of one type from counting as "the same certificate"; the date is
    the day it was sent, which is never in the future for the validator's Riyadh calendar."""
    label = DOCUMENT_TYPES[document_type].en
    return CertificateMetadata(
        name=f"{label} for {target.label.en} (request {request_id})",
        obtained_on=received_on,
        institution="Classification request",
        specialty=target.profession.capitalize(),
        degree=target.label.en,
    )


def _labelled(code: str, labels: dict[str, Localized], key: str) -> dict[str, Any]:
    label = labels.get(code)
    return {key: code, "label": label.model_dump() if label else None}


def classification_view(code: str | None) -> dict[str, Any] | None:
    """{code, label} for a practitioner's classification; None when they have none yet."""
    if code is None:
        return None
    known = CLASSIFICATIONS.get(code)
    return {"code": code, "label": known.label.model_dump() if known else None}


def catalogue_view() -> dict[str, Any]:
    """The public catalogue: every classification with what it requires and costs."""
    return {
        "conditions_version": CONDITIONS_VERSION,
        "items": [
            {
                "code": c.code,
                "profession": c.profession,
                "rank": c.rank,
                "label": c.label.model_dump(),
                "required_documents": [_labelled(d, DOCUMENT_TYPES, "type") for d in c.required_documents],
                "required_exams": [_labelled(e, EXAMS, "code") for e in c.required_exams],
                "fee": str(money(c.fee)),
                "currency": "SAR",
                "conditions": {"version": CONDITIONS_VERSION, "text": c.conditions.model_dump()},
            }
            for c in CLASSIFICATIONS.values()
        ],
    }


def document_label(document_type: str) -> dict[str, str] | None:
    label = DOCUMENT_TYPES.get(document_type)
    return label.model_dump() if label else None


def exam_views(codes: Iterable[str]) -> list[dict[str, Any]]:
    return [_labelled(e, EXAMS, "code") for e in codes]


# --- status projection ------------------------------------------------------------------------------


class Stage(StrEnum):
    """A step on a request's timeline; every stage but FEE_EXPIRED is also a status."""

    VALIDATING = "validating"
    VALIDATION_FAILED = "validation_failed"
    AWAITING_PAYMENT = "awaiting_payment"
    FEE_EXPIRED = "fee_expired"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    LAPSED = "lapsed"


# How far along the road each stage is; outcomes of the same stage share a rank.
RANK: dict[Stage, int] = {
    Stage.VALIDATING: 0,
    Stage.VALIDATION_FAILED: 1,
    Stage.AWAITING_PAYMENT: 1,
    Stage.FEE_EXPIRED: 2,
    Stage.IN_REVIEW: 2,
    Stage.LAPSED: 3,
    Stage.APPROVED: 3,
    Stage.REJECTED: 3,
    Stage.CHANGES_REQUESTED: 3,
}
STEP_ONLY = frozenset({Stage.FEE_EXPIRED})
# What a reviewer's decision on a whole request makes of it.
DECISION_STAGE = {
    Decision.APPROVE: Stage.APPROVED,
    Decision.REJECT: Stage.REJECTED,
    Decision.REQUEST_CHANGES: Stage.CHANGES_REQUESTED,
}
# A request in one of these is closed: the practitioner may open a new one.
FINAL = frozenset({Stage.VALIDATION_FAILED, Stage.LAPSED, Stage.APPROVED, Stage.REJECTED, Stage.CHANGES_REQUESTED})


@dataclass(frozen=True)
class RequestStep:
    stage: Stage
    at: datetime
    event_id: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class RequestProjection:
    status: Stage
    timeline: tuple[RequestStep, ...]

    @property
    def closed(self) -> bool:
        return self.status in FINAL


def opened(at: datetime) -> RequestProjection:
    return RequestProjection(Stage.VALIDATING, (RequestStep(Stage.VALIDATING, at),))


def project_request(current: RequestProjection, step: RequestStep) -> RequestProjection | None:
    """The projection after `step`, or None when the step was already recorded."""
    advanced = advance(
        current.status, current.timeline, step, stage_of=lambda s: s.stage, rank=RANK, final=FINAL, step_only=STEP_ONLY
    )
    return None if advanced is None else RequestProjection(*advanced)


def newer_classification(stored_at: datetime | None, changed_at: datetime) -> bool:
    """Changes of one practitioner's classification can arrive out of order (each request's events
    are keyed by its own id): only a later change replaces the one shown."""
    return stored_at is None or changed_at > stored_at
