"""Notifier killed with SIGKILL while webhook deliveries are in flight to a slow receiver, then
started again: as far as the receivers can tell (deduping by `webhook-id`, as the README tells
them to), every change arrives once per subscription, in order per practitioner; whatever came
twice came with the same `webhook-id` and the same body.

Notifier runs as a real process (`mumaris run`) on a stack of its own; the changes are intake's
facility.registration_changed events, put on their topic as real CloudEvents records; the two
subscriptions' receivers are uvicorn servers on loopback answering each request after a pause.
"""

import json
import signal
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from mumaris.auth import Principal, issue_token
from mumaris.clock import now
from mumaris.settings import Settings
from mumaris.tools.launcher import ServiceGroup
from mumaris.tools.stack import LocalStack, StackInfo, free_port
from schemas import topics
from schemas.events import FacilityRegistrationChanged, RegistryChange, RegistryRegistrationChanged
from schemas.topics import all_topic_names
from services.intake.registration.rules import registration_number
from tests.fee_support import publish
from tests.support import eventually, settings_for, unique
from tests.webhook_support import Receiver, Served

pytestmark = pytest.mark.e2e

PRACTITIONERS = 4
CHANGES_EACH = 8  # changes per practitioner: 32 events, each for two subscriptions


@pytest.fixture(scope="module")
def crash_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    stack = LocalStack(tmp_path_factory.mktemp("crash-stack"), die_with_parent=True)
    try:
        stack.start(all_topic_names())
        yield stack.info
    finally:
        stack.stop()


def notifier_group(stack: StackInfo, database: str, log_dir: Any) -> ServiceGroup:
    return ServiceGroup(
        env={
            **stack.env(),
            "MUMARIS_MONGO_DB": database,
            "MUMARIS_WEBHOOK_ALLOW_LOOPBACK_HTTP": "true",
            "MUMARIS_WEBHOOK_TIMEOUT_S": "5",
            "MUMARIS_WEBHOOK_RETRY_BASE_S": "0.2",
            "MUMARIS_WEBHOOK_RETRY_MAX_S": "0.5",
            "MUMARIS_WEBHOOK_POLL_S": "0.1",
            # A killed notifier's claims run out after this long; the restarted one takes them over.
            "MUMARIS_WEBHOOK_LEASE_S": "3",
        },
        log_dir=log_dir,
    )


def change(number: str, sequence: int, facility_id: str) -> FacilityRegistrationChanged:
    at = now()
    return FacilityRegistrationChanged(
        facility_id=facility_id,
        registration_number=number,
        event_id=unique("registry-event"),
        event_time=at,
        change=RegistryRegistrationChanged(
            registration_number=number,
            change=RegistryChange.EXPIRING,
            sequence=sequence,
            name="Reem Al-Zahrani",
            profession="nursing",
            classification=None,
            status="renewal_open",
            expires_on=(at + timedelta(days=90 - sequence)).date(),
            days_left=90 - sequence,
            occurred_at=at,
            cause_id=unique("cause"),
        ),
    )


def first_arrivals(receiver: Receiver) -> list[dict[str, Any]]:
    return [receiver.accepted[message_id] for message_id in receiver.order]


async def test_each_change_arrives_once_per_subscription_in_order_though_notifier_was_killed_mid_delivery(
    crash_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    database, port = unique("crash"), free_port()
    settings: Settings = settings_for(crash_stack, mongo_db=database)
    group = notifier_group(crash_stack, database, tmp_path_factory.mktemp("crash-logs"))
    receivers = [Receiver(delay_s=0.4), Receiver(delay_s=0.4)]
    served = [Served(receiver, free_port()) for receiver in receivers]
    facility_id = unique("facility")
    staff = Principal(
        id=unique("hr"), role="facility", name="HR", email="hr@hospital.example.sa", facility_id=facility_id
    )
    auth = {"Authorization": f"Bearer {issue_token(staff, settings)}"}
    try:
        group.start("notifier", port)
        group.wait_healthy()
        url = group.processes["notifier"].url
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for receiver, server in zip(receivers, served, strict=True):
                created = await http.post(
                    f"/v1/facilities/{facility_id}/webhooks",
                    headers=auth,
                    json={"url": f"http://127.0.0.1:{server.port}/hook"},
                )
                assert created.status_code == 201, created.text
                receiver.secret = created.json()["secret"]
                await server.start()

            numbers = [registration_number(30_000_000 + n) for n in range(PRACTITIONERS)]
            sent: list[FacilityRegistrationChanged] = []
            for sequence in range(1, CHANGES_EACH + 1):
                for number in numbers:
                    sent.append(event := change(number, sequence, facility_id))
                    await publish(crash_stack.kafka_bootstrap, topics.FACILITY_REGISTRATION_CHANGED, event)

            # Some delivered, more on their way: killed while a request is held by a receiver.
            total = len(sent)
            await eventually(
                lambda: _at_least(receivers[0], total // 4), timeout=90, what="a quarter delivered to the first"
            )
            receivers[0].arrived.clear()
            await eventually(lambda: _arrived(receivers[0]), timeout=30, what="a request in flight")
            group.processes["notifier"].process.send_signal(signal.SIGKILL)
            group.processes["notifier"].process.wait(timeout=15)
            group.processes.pop("notifier")
            in_flight_at_kill = [len(r.accepted) for r in receivers]
            assert all(count < total for count in in_flight_at_kill), "killed after everything was delivered"

            group.start("notifier", port)
            group.wait_healthy()
            for receiver in receivers:
                await eventually(lambda r=receiver: _at_least(r, total), timeout=120, what="every change delivered")
            await _quiet(http, facility_id, auth, total * 2)
    finally:
        for server in served:
            await server.stop()
        group.stop_all()

    expected = {event.event_id for event in sent}
    for receiver in receivers:
        assert receiver.bad_signatures == 0
        assert set(receiver.accepted) == expected  # none missing, nothing else
        for message_id, bodies in receiver.arrivals.items():
            assert len(set(bodies)) == 1, f"{message_id} came back with another body"
            assert json.loads(bodies[0])["id"] == message_id  # each arrival carries its event's webhook-id
        for number in numbers:
            sequences = [e["data"]["sequence"] for e in first_arrivals(receiver) if e["subject"] == number]
            assert sequences == list(range(1, CHANGES_EACH + 1)), number  # in order per practitioner
    repeats = sum(len(bodies) - 1 for receiver in receivers for bodies in receiver.arrivals.values())
    assert repeats >= 1, "the kill interrupted no delivery: nothing was tried twice"


async def _at_least(receiver: Receiver, count: int) -> bool:
    return len(receiver.accepted) >= count


async def _arrived(receiver: Receiver) -> bool:
    return receiver.arrived.is_set()


async def _quiet(http: httpx.AsyncClient, facility_id: str, auth: dict[str, str], deliveries: int) -> None:
    """Wait until notifier records every delivery as delivered (nothing pending would come later)."""

    async def settled() -> bool:
        log = await http.get(f"/v1/facilities/{facility_id}/webhooks/deliveries", headers=auth, params={"limit": 500})
        items = log.json()["items"]
        return len(items) == deliveries and all(d["status"] == "delivered" for d in items)

    await eventually(settled, timeout=60, what="every delivery settled as delivered")
