"""The classification requests' use cases: accept a request with its documents, and keep its status
as a projection of the events of the services it travels through (validator, review, fees).

A request is accepted in one transaction: the request, its open marker (one open request per
practitioner: of two racing, one commits), one submission per document (kind
classification_document, each validated like a certificate) and all their events. The rules are
classification/rules.py.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from mumaris import logs
from mumaris.clock import now, today_in_riyadh
from mumaris.files import FileStore, sha256_hex
from mumaris.identity import candidate_ref
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from schemas import topics
from schemas.classifications import (
    CLASSIFICATIONS,
    CONDITIONS_VERSION,
    Classification,
    ExamStanding,
    exam_standing,
    money,
)
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    ClassificationChanged,
    ClassificationLapsed,
    ClassificationRequested,
    ExamResultPublished,
    FeeExpired,
    FeeInvoiced,
    PractitionerRef,
    RequestDocument,
    ReviewDecided,
    ReviewQueued,
    StoredFile,
    SubmissionKind,
    SubmissionReceived,
    SubmissionRejected,
)
from services.intake.accounts import rules as account_rules
from services.intake.accounts.store import AccountStore, UnknownAccount
from services.intake.classification import rules
from services.intake.classification.rules import DECISION_STAGE, RequestRefused, RequestStep, Stage
from services.intake.classification.store import ClassificationStore, new_request_doc
from services.intake.submissions.rules import Attachment, Status, Step
from services.intake.submissions.service import (
    Timeline,
    decision_of,
    deleted_unless_written,
    findings_of,
    review_due,
)
from services.intake.submissions.store import SubmissionStore, new_submission_doc


@dataclass(frozen=True)
class AcceptedRequest:
    request_id: str
    documents: dict[str, str]  # document type -> its submission id


@dataclass(frozen=True)
class ClassificationRequests:
    uow: UnitOfWork
    requests: ClassificationStore
    submissions: SubmissionStore
    accounts: AccountStore
    files: FileStore
    settings: Settings

    async def refuse_if_open(self, practitioner_id: str) -> None:
        """Cheap, before any body is read; the transaction decides races."""
        rules.check_none_open(await self.requests.open_request_id(practitioner_id))

    async def checked(
        self,
        practitioner_id: str,
        *,
        membership_number: str,
        target: str,
        accept_conditions: bool,
        conditions_version: str,
        documents: list[str],
    ) -> tuple[dict[str, Any], Classification]:
        """The caller's account and the target, after every rule that needs no file body, in the
        order a practitioner would fix them."""
        account = await self.accounts.get(practitioner_id)
        if account is None:  # a development token without an account owns no membership number
            raise RequestRefused("classification.not_your_membership")
        try:
            membership = account_rules.check_membership_number(membership_number)
        except account_rules.AccountRuleError as error:
            raise RequestRefused(error.code, {"field": error.field}) from error
        rules.check_membership(account.get("membership_number"), membership)
        wanted = rules.check_step(account.get("classification"), target)
        rules.check_conditions(accept_conditions, conditions_version)
        rules.check_documents(wanted, documents)
        return account, wanted

    async def accept(
        self, who: PractitionerRef, account: dict[str, Any], target: Classification, documents: dict[str, Attachment]
    ) -> AcceptedRequest:
        """Store the files, then write the request, its open marker, one submission per document
        and all their events in one transaction. RequestRefused when another request of the
        practitioner opened meanwhile."""
        request_id = str(uuid.uuid4())
        logs.note(submission_id=request_id)  # the request line names the classification request it created
        at = now()

        async def written() -> bool:
            return await self.requests.get(request_id) is not None

        async with deleted_unless_written(self.files, written) as stored_files:
            received: list[SubmissionReceived] = []
            for document_type, attachment in documents.items():
                stored = await self._store(attachment, who.id, request_id)
                stored_files.append(stored.file_id)
                received.append(self._document_received(request_id, document_type, stored, who, target, at))
            await self._write(request_id, who, account, target, received, at)
        return AcceptedRequest(request_id, {str(e.document_type): e.submission_id for e in received})

    async def _store(self, attachment: Attachment, owner: str, request_id: str) -> StoredFile:
        sha256 = sha256_hex(attachment.data)
        metadata = {"sha256": sha256, "content_type": attachment.content_type, "owner": owner, "request_id": request_id}
        file_id = await self.files.put(attachment.filename, attachment.data, metadata=metadata)
        return StoredFile(
            file_id=file_id,
            filename=attachment.filename,
            size=len(attachment.data),
            sha256=sha256,
            content_type=attachment.content_type,
        )

    @staticmethod
    def _document_received(
        request_id: str,
        document_type: str,
        stored: StoredFile,
        who: PractitionerRef,
        target: Classification,
        at: datetime,
    ) -> SubmissionReceived:
        return SubmissionReceived(
            submission_id=str(uuid.uuid4()),
            kind=SubmissionKind.CLASSIFICATION_DOCUMENT,
            request_id=request_id,
            document_type=document_type,
            practitioner=who,
            certificate=rules.document_metadata(document_type, target, request_id, today_in_riyadh(at)),
            file=stored,
            received_at=at,
        )

    async def _write(
        self,
        request_id: str,
        who: PractitionerRef,
        account: dict[str, Any],
        target: Classification,
        received: list[SubmissionReceived],
        at: datetime,
    ) -> None:
        current: str | None = account.get("classification")
        submission_of = {str(e.document_type): e.submission_id for e in received}
        requested = ClassificationRequested(
            request_id=request_id,
            practitioner=who,
            membership_number=account["membership_number"],
            current=CLASSIFICATIONS[current].ref() if current else None,
            target=target.ref(),
            documents=[RequestDocument(document_type=t, submission_id=s) for t, s in submission_of.items()],
            required_exams=list(target.required_exams),
            fee=target.fee,
            conditions_version=CONDITIONS_VERSION,
            # The ID number itself never leaves intake: review matches exam results by this HMAC.
            candidate_ref=candidate_ref(account["id_number"], self.settings),
            requested_at=at,
        )
        record = new_request_doc(
            request_id=request_id,
            practitioner=who.model_dump(mode="json"),
            membership_number=account["membership_number"],
            current=current,
            target=target.code,
            documents=submission_of,
            required_exams=list(target.required_exams),
            fee=str(money(target.fee)),
            conditions_version=CONDITIONS_VERSION,
            requested_at=at,
        )

        async def work(session: AsyncClientSession) -> None:
            await self.requests.insert(record, session)  # the open marker first: a second request stops here
            for event in received:
                await self.submissions.insert(self._document_record(event, who, at), session)
                await self.uow.outbox.add(topics.SUBMISSION_RECEIVED, event, session)
            await self.uow.outbox.add(topics.CLASSIFICATION_REQUESTED, requested, session)

        try:
            await self.uow.run(work)
        except DuplicateKeyError as exc:
            open_id = await self.requests.open_request_id(who.id)
            raise RequestRefused("classification.request_open", {"request_id": open_id}) from exc

    @staticmethod
    def _document_record(event: SubmissionReceived, who: PractitionerRef, at: datetime) -> dict[str, Any]:
        return new_submission_doc(
            submission_id=event.submission_id,
            practitioner=who.model_dump(mode="json"),
            certificate=event.certificate.model_dump(mode="json"),
            file=event.file.model_dump(mode="json"),
            received_at=at,
            kind=SubmissionKind.CLASSIFICATION_DOCUMENT,
            request_id=event.request_id,
            document_type=event.document_type,
        )

    async def visible(self, request_id: str, practitioner_id: str) -> dict[str, Any] | None:
        """The request, if it is the practitioner's: another's does not exist for them."""
        doc = await self.requests.get(request_id)
        return None if doc is None or doc["practitioner_id"] != practitioner_id else doc

    async def list_for(self, practitioner_id: str) -> list[dict[str, Any]]:
        return await self.requests.list_for(practitioner_id)

    async def documents_of(self, doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The submissions of a request's documents, by submission id."""
        return await self.submissions.get_many(list(doc["documents"].values()))

    async def exams_of(self, doc: dict[str, Any]) -> dict[str, ExamStanding]:
        """Each exam the request's classification requires: passed, failed or missing, by the
        rule review approves on (schemas.classifications.exam_standing)."""
        account = await self.accounts.get(doc["practitioner_id"])
        if account is None or not account.get("id_number"):
            return {exam: ExamStanding.MISSING for exam in doc["required_exams"]}
        ref = candidate_ref(account["id_number"], self.settings)
        return exam_standing(doc["required_exams"], await self.requests.exam_results_of(ref, doc["required_exams"]))

    async def exam_published(self, event: ExamResultPublished, ce: CloudEventAttributes) -> None:
        """gov.exams: kept under the candidate's HMAC, whether or not an account has the number yet."""
        result = {
            "_id": event.result_id,
            "candidate_ref": candidate_ref(event.candidate_id_number, self.settings),
            "exam": event.exam,
            "passed": event.passed,
            "score": event.score,
            "taken_on": event.taken_on.isoformat(),
        }
        await self.uow.apply_once(ce.id, ce.type, lambda session: self.requests.save_exam_result(result, session))


@dataclass(frozen=True)
class RequestTimeline(Timeline[RequestStep]):
    """Each request's status, projected from the events (`store`: the requests; UnknownRequest or
    UnknownAccount for an event about a record intake never wrote). The step that closes a request
    frees the practitioner to open another."""

    submissions: SubmissionStore
    accounts: AccountStore

    async def document_rejected(self, event: SubmissionRejected, ce: CloudEventAttributes, request_id: str) -> None:
        """One failed document fails its request (`request_id`), which closes: a corrected request
        may follow. The document's own timeline and the request's move in the same transaction."""

        async def work(session: AsyncClientSession) -> None:
            step = Step(Status.VALIDATION_FAILED, event.rejected_at, ce.id)
            await self.submissions.record_step(event.submission_id, step, session, findings_of(event))
            failed = RequestStep(Stage.VALIDATION_FAILED, event.rejected_at, ce.id)
            await self.store.record_step(request_id, failed, session)

        await self.uow.apply_once(ce.id, ce.type, work)

    async def queued(self, event: ReviewQueued, ce: CloudEventAttributes) -> None:
        """A whole request in the review queue: the event's submission_id is the request's id."""
        step = RequestStep(Stage.IN_REVIEW, event.queued_at, ce.id)
        await self.record(ce, event.submission_id, step, review_due(event))

    async def decided(self, event: ReviewDecided, ce: CloudEventAttributes) -> None:
        """The account's classification changes on classification.changed, not here."""
        step = RequestStep(DECISION_STAGE[event.decision], event.decided_at, ce.id, event.reason or None)
        await self.record(ce, event.submission_id, step, decision_of(event))

    async def invoiced(self, event: FeeInvoiced, ce: CloudEventAttributes) -> None:
        invoice = {
            "invoice_id": event.invoice_id,
            "bill_number": event.bill_number,
            "amount": str(money(event.amount)),
            "currency": event.currency,
            "issued_at": event.issued_at,
            "due_at": event.due_at,
        }
        step = RequestStep(Stage.AWAITING_PAYMENT, event.issued_at, ce.id)
        await self.record(ce, event.request_id, step, {"invoice": invoice})

    async def fee_expired(self, event: FeeExpired, ce: CloudEventAttributes) -> None:
        await self.record(ce, event.request_id, RequestStep(Stage.FEE_EXPIRED, event.expired_at, ce.id))

    async def lapsed(self, event: ClassificationLapsed, ce: CloudEventAttributes) -> None:
        step = RequestStep(Stage.LAPSED, event.lapsed_at, ce.id)
        await self.record(ce, event.request_id, step, {"lapse_reason": event.reason})

    async def classification_changed(self, event: ClassificationChanged, ce: CloudEventAttributes) -> None:
        """The practitioner's new classification, unless a later change is shown already."""

        async def work(session: AsyncClientSession) -> None:
            account = await self.accounts.get(event.practitioner.id, session)
            if account is None:
                raise UnknownAccount(event.practitioner.id)
            stored_at: datetime | None = account.get("classification_changed_at")
            if rules.newer_classification(stored_at, event.changed_at):
                changed = await self.accounts.update(
                    account["_id"],
                    {
                        "classification": event.classification.code,
                        "classification_changed_at": event.changed_at,
                        "classification_request_id": event.request_id,
                    },
                    session,
                    expect={"classification_changed_at": stored_at},
                )
                if not changed:
                    raise RuntimeError("account changed concurrently")  # retried by the delivery policy

        await self.uow.apply_once(ce.id, ce.type, work)
