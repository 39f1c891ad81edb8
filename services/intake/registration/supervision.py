"""What a supervisor does to a registration (audited on its history, each step one transaction
with the event it causes): suspend it with a reason (registration.suspended), lift the suspension
(registration.reinstated: it returns to the status it had), and record a CPD exemption for the
current cycle (trainee, not practising: no hours owed) or end one."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.clock import RegistryClock
from mumaris.mongo import UnitOfWork
from schemas import topics
from schemas.events import PractitionerRef, RegistrationReinstated, RegistrationSuspended
from schemas.registrations import CpdExemption
from schemas.topics import Topic
from services.intake.registration import rules
from services.intake.registration.rules import RegistrationRefused, Status
from services.intake.registration.store import Doc, RegistrationStore


@dataclass(frozen=True)
class Step:
    """A supervisor's change: the fields it sets, its history entry, the event it announces."""

    changes: Doc
    history: Doc
    event: tuple[Topic, BaseModel] | None = None


class RegistrationSupervision:
    def __init__(self, uow: UnitOfWork, store: RegistrationStore, clock: RegistryClock) -> None:
        self.uow = uow
        self.store = store
        self.clock = clock

    async def by_number(self, number: str) -> Doc:
        """The registration a supervisor looks up by its number (`not_found` for none)."""
        doc = await self.store.by_number(number)
        if doc is None:
            raise RegistrationRefused("not_found")
        return doc

    async def suspend(self, number: str, reason: str, supervisor_id: str) -> Doc:
        def step(doc: Doc, at: datetime) -> Step:
            refusal = rules.suspension_refusal(Status(doc["status"]))
            if refusal is not None:
                raise refusal
            suspension = {"reason": reason, "by": supervisor_id, "at": at, "previous_status": doc["status"]}
            event = RegistrationSuspended(
                registration_number=doc["number"],
                practitioner=PractitionerRef.model_validate(doc["practitioner"]),
                reason=reason,
                suspended_by=supervisor_id,
                suspended_at=at,
            )
            return Step(
                {"status": Status.SUSPENDED.value, "suspension": suspension},
                {"step": "suspended", "at": at, "by": supervisor_id, "reason": reason},
                (topics.REGISTRATION_SUSPENDED, event),
            )

        return await self._apply(number, step)

    async def lift(self, number: str, reason: str, supervisor_id: str) -> Doc:
        def step(doc: Doc, at: datetime) -> Step:
            if doc["status"] != Status.SUSPENDED.value:
                raise RegistrationRefused("registration.not_suspended")
            restored = (doc.get("suspension") or {}).get("previous_status") or Status.ACTIVE.value
            event = RegistrationReinstated(
                registration_number=doc["number"],
                practitioner=PractitionerRef.model_validate(doc["practitioner"]),
                status=restored,
                reason=reason,
                lifted_by=supervisor_id,
                lifted_at=at,
            )
            return Step(
                {"status": restored, "suspension": None},
                {"step": "suspension_lifted", "at": at, "by": supervisor_id, "reason": reason},
                (topics.REGISTRATION_REINSTATED, event),
            )

        return await self._apply(number, step)

    async def exempt(self, number: str, exemption: CpdExemption | None, reason: str, supervisor_id: str) -> Doc:
        def step(doc: Doc, at: datetime) -> Step:
            value = None if exemption is None else exemption.value
            entry = {"step": "cpd_exemption", "exemption": value, "at": at, "by": supervisor_id, "reason": reason}
            return Step({"cpd_exemption": value}, entry)

        return await self._apply(number, step)

    async def _apply(self, number: str, decide: Callable[[Doc, datetime], Step]) -> Doc:
        async def work(session: AsyncClientSession) -> Doc:
            doc = await self.store.by_number(number, session)
            if doc is None:
                raise RegistrationRefused("not_found")
            step = decide(doc, self.clock.now())
            updated = await self.store.update(
                doc["_id"],
                {"revision": doc["revision"]},
                {**step.changes, "revision": doc["revision"] + 1},
                session,
                push={"history": step.history},
            )
            if updated is None:
                raise RuntimeError("registration changed concurrently")  # read and written in one transaction
            if step.event is not None:
                await self.uow.outbox.add(*step.event, session)
            return updated

        return await self.uow.run(work)
