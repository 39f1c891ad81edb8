"""Facilities' webhooks on the real broker and database: intake and notifier in this process
(their real applications and lifespans, over ASGI), a receiver on loopback (uvicorn) written from
the README's "What a receiver gets" alone. The receiver is down at first, then answers 500, then
answers too slowly, then comes back: each change of a rostered practitioner arrives once (by
`webhook-id`), in order per practitioner, correctly signed; a practitioner not on the roster is
never delivered; an internal address is refused (SSRF); a parked delivery is replayed."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pymongo import AsyncMongoClient

from mumaris.tools.stack import StackInfo, free_port
from services.notifier.app import create_app as create_notifier
from services.notifier.webhooks.service import Dispatcher as WebhookDispatcher
from tests.facility_support import facility, registrations
from tests.registration_support import Intake, running_intake
from tests.support import eventually, settings_for
from tests.webhook_support import Receiver, Served, reminders

pytestmark = pytest.mark.integration

WEBHOOK_SETTINGS = {
    "webhook_allow_loopback_http": True,
    "webhook_timeout_s": 0.5,
    "webhook_retry_base_s": 0.1,
    "webhook_retry_max_s": 0.4,
    "webhook_retry_for_s": 600.0,
    "webhook_max_attempts": 14,
    "webhook_poll_s": 0.05,
    "webhook_lease_s": 5.0,
    "webhook_secret_overlap_s": 3600.0,
}


@dataclass
class Stack:
    intake: Intake
    notifier: httpx.AsyncClient
    db: Any
    runtime: Any


@pytest.fixture(scope="module")
async def stack(own_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    shift = tmp_path_factory.mktemp("clock") / "shift"
    async for intake in running_intake(own_stack, shift, **WEBHOOK_SETTINGS):
        settings = settings_for(own_stack, clock_shift_file=str(shift), outbox_poll_s=0.1, **WEBHOOK_SETTINGS)
        app = create_notifier(settings)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://notifier", timeout=60) as http:
                yield Stack(intake, http, client[settings.mongo_db], app.state.runtime)
        await client.close()


async def subscribe(stack: Stack, facility_id: str, auth: dict[str, str], url: str) -> dict[str, Any]:
    answer = await stack.notifier.post(f"/v1/facilities/{facility_id}/webhooks", headers=auth, json={"url": url})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_a_webhook_to_an_internal_address_is_refused(stack: Stack) -> None:
    facility_id, auth = await facility(stack.intake)
    path = f"/v1/facilities/{facility_id}/webhooks"
    for url, code in (
        ("https://169.254.169.254/latest/meta-data", "webhook.address_not_allowed"),
        ("https://10.0.0.7/hook", "webhook.address_not_allowed"),
        ("https://[fd00:ec2::254]/hook", "webhook.address_not_allowed"),
        ("http://hospital.example.sa/hook", "webhook.url_not_https"),
    ):
        answer = await stack.notifier.post(path, headers=auth, json={"url": url})
        assert (answer.status_code, answer.json()["error"]["code"]) == (422, code), url
    other_id, _ = await facility(stack.intake, "Other Clinic")
    answer = await stack.notifier.get(f"/v1/facilities/{other_id}/webhooks", headers=auth)
    assert answer.status_code == 404
    assert (await stack.notifier.get(path, headers=auth)).json()["items"] == []


async def test_each_change_arrives_once_in_order_through_outage_errors_and_slowness(stack: Stack) -> None:
    intake = stack.intake
    facility_id, auth = await facility(intake)
    rostered = await registrations(intake, 3)
    (elsewhere,) = await registrations(intake, 1)
    for number in rostered:
        added = await intake.http.post(
            f"/v1/facilities/{facility_id}/roster", headers=auth, json={"registration_number": number}
        )
        assert added.status_code == 201
    port = free_port()
    receiver = Receiver(plan=["500", "500", "500", "slow", "slow"])
    served = Served(receiver, port)
    created = await subscribe(stack, facility_id, auth, f"http://127.0.0.1:{port}/hook")
    receiver.secret = created["secret"]
    assert created["secret"].startswith("whsec_")
    listed = (await stack.notifier.get(f"/v1/facilities/{facility_id}/webhooks", headers=auth)).json()["items"]
    assert [w["subscription_id"] for w in listed] == [created["subscription_id"]] and "secret" not in listed[0]

    # The receiver is down while the changes happen; it comes up after a while.
    await reminders(intake, [*rostered, elsewhere], (90, 60, 30, 7))

    async def tried_while_down() -> bool:
        log = (await stack.notifier.get(f"/v1/facilities/{facility_id}/webhooks/deliveries", headers=auth)).json()
        return sum(d["attempts"] for d in log["items"]) >= 4

    await eventually(tried_while_down, timeout=60, what="tries against the endpoint while it is down")
    await served.start()
    try:
        await eventually(lambda: asyncio.sleep(0, len(receiver.accepted) >= 12), timeout=120, what="12 changes")
        await asyncio.sleep(1.0)  # anything more (a thirteenth, a repeat past dedupe) would show by now
    finally:
        await served.stop()

    assert receiver.bad_signatures == 0
    assert len(receiver.accepted) == 12  # once each; never the practitioner on no roster
    events = [receiver.accepted[i] for i in receiver.order]
    assert {e["subject"] for e in events} == set(rostered)
    for number in rostered:
        sequences = [e["data"]["sequence"] for e in events if e["subject"] == number]
        assert sequences == [1, 2, 3, 4], number  # in order per practitioner
        assert [e["data"]["days_left"] for e in events if e["subject"] == number] == [90, 60, 30, 7]
    assert all(e["type"] == "mumaris.registry.registration_changed.v1" for e in events)
    log = (await stack.notifier.get(f"/v1/facilities/{facility_id}/webhooks/deliveries", headers=auth)).json()
    assert {d["status"] for d in log["items"]} == {"delivered"} and len(log["items"]) == 12
    outcomes = {a["outcome"] for d in log["items"] for a in d["log"]}
    assert {"ConnectError", "http_500", "timeout", "delivered"} <= outcomes, outcomes


async def test_a_parked_delivery_is_listed_and_replayed(stack: Stack) -> None:
    intake = stack.intake
    facility_id, auth = await facility(intake)
    (number,) = await registrations(intake, 1)
    await intake.http.post(f"/v1/facilities/{facility_id}/roster", headers=auth, json={"registration_number": number})
    port = free_port()
    receiver = Receiver()
    created = await subscribe(stack, facility_id, auth, f"http://127.0.0.1:{port}/hook")
    receiver.secret = created["secret"]
    await reminders(intake, [number], (30,))
    path = f"/v1/facilities/{facility_id}/webhooks/deliveries"

    async def parked() -> list[dict[str, Any]] | None:
        items = (await stack.notifier.get(path, headers=auth, params={"status": "dead"})).json()["items"]
        return items or None

    (dead,) = await eventually(parked, timeout=90, what="the delivery to be parked after its last try")
    assert dead["attempts"] == WEBHOOK_SETTINGS["webhook_max_attempts"]
    supervisor = intake.staff("supervisor")
    operations = (await stack.notifier.get("/v1/webhooks/dead-letters", headers=supervisor)).json()["items"]
    assert dead["delivery_id"] in {d["delivery_id"] for d in operations}
    assert (await stack.notifier.get("/v1/webhooks/dead-letters", headers=auth)).status_code == 403

    served = Served(receiver, port)
    await served.start()
    try:
        answer = await stack.notifier.post(f"{path}/{dead['delivery_id']}/replay", headers=auth)
        assert answer.status_code == 200 and answer.json()["status"] == "pending"
        again = await stack.notifier.post(f"{path}/{dead['delivery_id']}/replay", headers=auth)
        assert (again.status_code, again.json()["error"]["code"]) == (409, "webhook.not_parked")
        await eventually(lambda: asyncio.sleep(0, len(receiver.accepted) == 1), timeout=30, what="the replay")
    finally:
        await served.stop()
    (event,) = receiver.accepted.values()
    assert event["id"] == dead["event_id"] and event["subject"] == number


async def test_a_delivery_whose_dispatcher_died_mid_try_is_taken_over_once_its_lease_ran_out(stack: Stack) -> None:
    intake = stack.intake
    facility_id, auth = await facility(intake)
    (number,) = await registrations(intake, 1)
    await intake.http.post(f"/v1/facilities/{facility_id}/roster", headers=auth, json={"registration_number": number})
    port = free_port()
    receiver = Receiver(plan=["hold"])
    served = Served(receiver, port)
    await served.start()
    receiver.secret = (await subscribe(stack, facility_id, auth, f"http://127.0.0.1:{port}/hook"))["secret"]
    running: WebhookDispatcher = stack.runtime.provided["webhook_dispatcher"]
    restarted: WebhookDispatcher | None = None
    try:
        await reminders(intake, [number], (7,))
        await asyncio.wait_for(receiver.arrived.wait(), 60)
        await running.halt()  # killed with the request in flight: nothing settled
        (held,) = await stack.db["notifier.webhook_deliveries"].find({"facility_id": facility_id}).to_list()
        assert (held["status"], held["lease_owner"], held["attempts"]) == ("pending", running.owner, 0)

        restarted = WebhookDispatcher(running.store, running.webhooks, running.settings)  # a new notifier
        assert await restarted.pass_once() == 0  # the lease is still live: not taken yet
        await restarted.start()

        async def delivered() -> dict[str, Any] | None:
            doc = await stack.db["notifier.webhook_deliveries"].find_one({"_id": held["_id"]})
            return doc if doc and doc["status"] == "delivered" else None

        done = await eventually(delivered, timeout=30, what="the restarted dispatcher to deliver it")
    finally:
        if restarted is not None:
            await restarted.stop()
        await running.start()
        await served.stop()
    assert done["attempts"] == 1 and [a["outcome"] for a in done["log"]] == ["delivered"]
    assert receiver.requests == 2  # sent twice, with the same webhook-id …
    assert len(receiver.accepted) == 1 and receiver.repeats == 1  # … and taken once
    assert next(iter(receiver.accepted)) == held["event_id"]


async def test_a_long_queue_behind_a_failed_change_neither_overtakes_it_nor_stalls(stack: Stack) -> None:
    """More changes of one practitioner than a dispatcher pass reads (50), queued behind her first
    one while the endpoint is down and it waits out its backoff (so it is always due later than
    they were recorded): they go after it, in order, and another practitioner's change is not held
    up behind them. (Before `waiting`, the 50 earliest were all blocked behind the first: it never
    came round again.)"""
    intake = stack.intake
    facility_id, auth = await facility(intake)
    first, second = await registrations(intake, 2)
    for number in (first, second):
        await intake.http.post(
            f"/v1/facilities/{facility_id}/roster", headers=auth, json={"registration_number": number}
        )
    port = free_port()
    receiver = Receiver()
    served = Served(receiver, port)
    receiver.secret = (await subscribe(stack, facility_id, auth, f"http://127.0.0.1:{port}/hook"))["secret"]
    await reminders(intake, [first], tuple(range(90, 30, -1)))  # 60 changes
    await reminders(intake, [second], (30,))
    deliveries = stack.db["notifier.webhook_deliveries"]

    async def all_recorded() -> bool:
        return await deliveries.count_documents({"facility_id": facility_id}) == 61

    # The endpoint is down until every change is queued and the first one has been tried since.
    await eventually(all_recorded, timeout=120, what="61 deliveries recorded")
    await asyncio.sleep(1.0)
    await served.start()
    try:
        await eventually(lambda: asyncio.sleep(0, len(receiver.accepted) >= 61), timeout=60, what="61 changes")
    finally:
        await served.stop()
    events = [receiver.accepted[i] for i in receiver.order]
    assert [e["data"]["sequence"] for e in events if e["subject"] == first] == list(range(1, 61))
    assert [e["data"]["sequence"] for e in events if e["subject"] == second] == [1]


def signed_by(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Whether any signature of the header is the secret's (a receiver's check, as documented)."""
    return Receiver(secret=secret).verified(headers, body)


async def metric_values(stack: Stack) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = (await stack.notifier.get("/metrics")).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("mumaris_webhook_")
    }


async def test_a_rotated_secret_signs_beside_the_new_one_for_the_overlap_then_only_the_new_one(stack: Stack) -> None:
    intake = stack.intake
    facility_id, auth = await facility(intake)
    (number,) = await registrations(intake, 1)
    await intake.http.post(f"/v1/facilities/{facility_id}/roster", headers=auth, json={"registration_number": number})
    port = free_port()
    receiver = Receiver()
    served = Served(receiver, port)
    created = await subscribe(stack, facility_id, auth, f"http://127.0.0.1:{port}/hook")
    old_secret = receiver.secret = created["secret"]
    hook = f"/v1/facilities/{facility_id}/webhooks/{created['subscription_id']}"
    before = await metric_values(stack)

    rotated = await stack.notifier.post(f"{hook}/rotate", headers=auth)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    assert rotated.json()["previous_secret_until"] is not None
    _, other_auth = await facility(intake, "Other Clinic")
    assert (await stack.notifier.post(f"{hook}/rotate", headers=other_auth)).status_code == 404

    await served.start()
    try:
        # Within the overlap: two signatures, the new secret's first; a receiver holding either takes it.
        await reminders(intake, [number], (30,))
        await eventually(lambda: asyncio.sleep(0, len(receiver.accepted) == 1), timeout=30, what="the first change")
        headers, body = receiver.sent[-1]
        assert len(headers["webhook-signature"].split(" ")) == 2 and receiver.bad_signatures == 0
        assert signed_by(old_secret, headers, body) and signed_by(new_secret, headers, body)
        assert signed_by(new_secret, {**headers, "webhook-signature": headers["webhook-signature"].split(" ")[0]}, body)

        # The overlap over (its end moved to now, as if the day had passed): only the new secret signs.
        await stack.db["notifier.webhook_subscriptions"].update_one(
            {"_id": created["subscription_id"]}, {"$set": {"previous_until": datetime.now(UTC)}}
        )
        receiver.secret = new_secret
        await reminders(intake, [number], (7,))
        await eventually(lambda: asyncio.sleep(0, len(receiver.accepted) == 2), timeout=30, what="the second change")
        headers, body = receiver.sent[-1]
        assert len(headers["webhook-signature"].split(" ")) == 1 and receiver.bad_signatures == 0
        assert signed_by(new_secret, headers, body) and not signed_by(old_secret, headers, body)
    finally:
        await served.stop()

    after = await metric_values(stack)
    delivered = ("mumaris_webhook_deliveries_total", (("outcome", "delivered"),))
    tries = ("mumaris_webhook_attempts_total", (("outcome", "delivered"),))
    assert after[delivered] - before.get(delivered, 0) >= 2
    assert after[tries] - before.get(tries, 0) >= 2
    assert after[("mumaris_webhook_delivery_latency_seconds_count", ())] >= 2
    assert ("mumaris_webhook_parked", ()) in after and ("mumaris_webhook_oldest_pending_seconds", ()) in after
