"""The outbound register feed on the real broker and database: every change of a registration —
issued, classification changed, expiring, renewed, suspended, lapsed — goes out on
registry.registration_changed as a CloudEvent, once each even when its cause is delivered again,
numbered 1, 2, 3 … per registration in the order applied, and with nothing the public may not know."""

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from mumaris.clock import now, today_in_riyadh
from mumaris.kafka import encode_event
from mumaris.tools.stack import StackInfo
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    PractitionerRef,
    RegistrationExpiring,
    RegistrationLapsed,
    RegistrationReinstated,
    RegistrationRenewed,
    RegistrationSuspended,
)
from tests.registration_support import Intake, running_intake
from tests.support import eventually, headers_of, produce, read_all

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def intake(own_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Intake]:
    async for running in running_intake(own_stack, tmp_path_factory.mktemp("clock") / "shift"):
        yield running


async def changes_of(intake: Intake, number: str, count: int) -> list[tuple[dict[str, Any], dict[str, str]]]:
    async def probe() -> list[tuple[dict[str, Any], dict[str, str]]] | None:
        records = await read_all(intake.stack.kafka_bootstrap, topics.REGISTRY_REGISTRATION_CHANGED.name)
        mine = [(json.loads(r.value), headers_of(r)) for r in records if r.key == number.encode()]
        return mine if len(mine) >= count else None

    return await eventually(probe, timeout=60, what=f"{count} registry changes of {number}")


async def test_every_change_of_a_registration_goes_out_once_in_order(intake: Intake) -> None:
    who, auth = await intake.practitioner()
    await intake.approve(who, "nursing.technician")
    number = (await intake.registration(auth))["registration_number"]
    ((issued, headers),) = await changes_of(intake, number, 1)
    assert (issued["change"], issued["sequence"], issued["status"]) == ("issued", 1, "active")
    assert issued["classification"]["code"] == "nursing.technician"
    assert headers["ce_type"] == "mumaris.registry.registration_changed.v1" and headers["ce_subject"] == number
    assert "email" not in str(issued) and who.email not in str(issued)

    await intake.approve(who, "nursing.specialist")
    await changes_of(intake, number, 2)
    ref = PractitionerRef.model_validate(who.model_dump())
    expires = today_in_riyadh() + timedelta(days=700)
    expiring = RegistrationExpiring(
        registration_number=number,
        practitioner=ref,
        cycle=1,
        expires_on=expires,
        days_before=30,
        days_left=29,
        renewal_open=True,
    )
    expiring_id = await intake.publish(topics.REGISTRATION_EXPIRING, expiring, number)
    await changes_of(intake, number, 3)  # events of different topics: one at a time, for a known order
    renewed = RegistrationRenewed(
        registration_number=number,
        practitioner=ref,
        renewal_id="r-1",
        cycle=2,
        previous_expires_on=expires,
        expires_on=expires + timedelta(days=730),
        renewed_at=now(),
    )
    await intake.publish(topics.REGISTRATION_RENEWED, renewed, number)
    await changes_of(intake, number, 4)
    suspended = RegistrationSuspended(
        registration_number=number, practitioner=ref, reason="Case 2026/114", suspended_by="sup-1", suspended_at=now()
    )
    await intake.publish(topics.REGISTRATION_SUSPENDED, suspended, number, source="/mumaris/intake")
    await changes_of(intake, number, 5)
    lapsed = RegistrationLapsed(
        registration_number=number, practitioner=ref, cycle=2, expired_on=expires, lapsed_at=now()
    )
    await intake.publish(topics.REGISTRATION_LAPSED, lapsed, number)
    await changes_of(intake, number, 6)
    # The reminder delivered again (the same CloudEvents id): no second change goes out.
    attrs = CloudEventAttributes.new(
        source="/mumaris/review", type=topics.REGISTRATION_EXPIRING.ce_type, subject=number
    )
    attrs = attrs.model_copy(update={"id": expiring_id})
    await produce(
        intake.stack.kafka_bootstrap,
        topics.REGISTRATION_EXPIRING.name,
        encode_event(expiring),
        key=number.encode(),
        headers=attrs.to_headers(),
    )
    # A later reminder on the same topic and key (the same partition) is applied after the redelivery.
    later = expiring.model_copy(update={"days_before": 7, "days_left": 6})
    await intake.publish(topics.REGISTRATION_EXPIRING, later, number)
    found = await changes_of(intake, number, 7)
    bodies = [body for body, _ in found]
    assert [b["sequence"] for b in bodies] == list(range(1, 8))
    assert [b["change"] for b in bodies] == [
        "issued",
        "classification_changed",
        "expiring",
        "renewed",
        "suspended",
        "lapsed",
        "expiring",
    ]
    assert bodies[1]["classification"]["code"] == "nursing.specialist"
    assert (bodies[2]["status"], bodies[2]["days_left"]) == ("renewal_open", 29)
    assert bodies[3]["expires_on"] == (expires + timedelta(days=730)).isoformat()
    assert bodies[4]["status"] == "suspended"
    assert len({headers["ce_id"] for _, headers in found}) == 7
    assert sum(1 for b in bodies if b["cause_id"] == expiring_id) == 1


async def test_a_lifted_suspension_goes_out_as_reinstated_with_the_status_it_returns_to(intake: Intake) -> None:
    who, auth = await intake.practitioner()
    await intake.approve(who, "nursing.technician")
    number = (await intake.registration(auth))["registration_number"]
    await changes_of(intake, number, 1)
    ref = PractitionerRef.model_validate(who.model_dump())
    suspended = RegistrationSuspended(
        registration_number=number, practitioner=ref, reason="Case 2026/115", suspended_by="sup-1", suspended_at=now()
    )
    await intake.publish(topics.REGISTRATION_SUSPENDED, suspended, number, source="/mumaris/intake")
    await changes_of(intake, number, 2)
    reinstated = RegistrationReinstated(
        registration_number=number,
        practitioner=ref,
        status="active",
        reason="Case closed",
        lifted_by="sup-1",
        lifted_at=now(),
    )
    await intake.publish(topics.REGISTRATION_REINSTATED, reinstated, number, source="/mumaris/intake")
    found = await changes_of(intake, number, 3)
    assert [(b["change"], b["status"], b["sequence"]) for b, _ in found] == [
        ("issued", "active", 1),
        ("suspended", "suspended", 2),
        ("reinstated", "active", 3),
    ]
