"""The webhooks' use cases: a facility registers, lists and removes its webhooks; each change of
a rostered practitioner's registration (facility.registration_changed) becomes one delivery per
active subscription, recorded once per event; the dispatcher delivers them (rules.py: targets,
signature, retries), and parked ones are replayed on request.

Delivery, once per subscription: each delivery record is claimed with a lease before its try and
settled by the lease holder after it. A dispatcher killed mid-try leaves the lease to run out; the
next one tries again with the same `webhook-id` (the event id), which the receiver dedupes by.
In order per practitioner: a delivery waits (`waiting`, left out of the due ones, so a long
queue behind an earlier change in backoff never crowds the others out) while an earlier change
of the same registration is still pending for its subscription (a parked one no longer holds the
others back; its `sequence` tells the receiver where it belongs when it is replayed).
"""

import asyncio
import contextlib
import json
import logging
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.clock import now
from mumaris.crypto import seal, unseal
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import SPECVERSION, CloudEventAttributes
from schemas.events import FacilityRegistrationChanged
from services.notifier.webhooks import rules
from services.notifier.webhooks.metrics import WebhookMetrics
from services.notifier.webhooks.rules import DEAD, DELIVERED, PENDING, RetryPolicy, Target, WebhookRefused
from services.notifier.webhooks.store import Doc, WebhookStore

log = logging.getLogger("mumaris.notifier.webhooks")
SOURCE = "/mumaris/registry"


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (empty when it does not)."""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({str(info[4][0]) for info in found})


class Webhooks:
    def __init__(self, uow: UnitOfWork, store: WebhookStore, settings: Settings) -> None:
        self.uow = uow
        self.store = store
        self.settings = settings
        self.sealing_key = settings.field_encryption_key.get_secret_value()

    async def checked_target(self, url: str) -> tuple[Target, list[str]]:
        """The target and the addresses its host resolves to now, if a webhook may reach them all (rules.py)."""
        allow = self.settings.webhook_allow_loopback_http
        target = rules.parse_target(url, allow_loopback_http=allow)
        addresses = await resolve(target.host, target.port)
        refusal = rules.address_refusal(addresses, target, allow_loopback_http=allow)
        if refusal is not None:
            raise refusal
        return target, addresses

    async def register(self, facility_id: str, url: str, by: str) -> tuple[Doc, str]:
        """A new webhook and its secret (returned once: only its sealed form is kept)."""
        target, _ = await self.checked_target(url)
        secret = rules.new_secret()
        doc = {
            "_id": str(uuid.uuid4()),
            "facility_id": facility_id,
            "url": target.url,
            "secret": seal(secret, self.sealing_key),
            "active": True,
            "created_by": by,
            "created_at": now(),
        }
        await self.store.add_subscription(doc)
        return doc, secret

    async def rotate(self, facility_id: str, subscription_id: str) -> tuple[Doc, str]:
        """A new secret for the webhook (returned once); the one it replaces goes on signing beside
        it for `webhook_secret_overlap_s`, so the receiver can switch over meanwhile."""
        for _ in range(3):  # another rotation at the same moment: read again and rotate after it
            subscription = await self.store.subscription(subscription_id)
            if subscription is None or subscription["facility_id"] != facility_id or not subscription["active"]:
                raise WebhookRefused("not_found")
            secret, at = rules.new_secret(), now()
            until = at + timedelta(seconds=self.settings.webhook_secret_overlap_s)
            if await self.store.rotate(subscription, seal(secret, self.sealing_key), until, at):
                rotated = {**subscription, "previous_until": until, "rotated_at": at}
                return rotated, secret
        raise WebhookRefused("webhook.rotation_conflict")

    def signing_secrets(self, subscription: Doc, at: datetime) -> list[str]:
        """The secrets that sign a delivery to this subscription now (rules.signing_secrets)."""
        previous = subscription.get("previous_secret")
        return rules.signing_secrets(
            unseal(subscription["secret"], self.sealing_key),
            unseal(previous, self.sealing_key) if previous else None,
            subscription.get("previous_until"),
            at,
        )

    async def of(self, facility_id: str) -> list[Doc]:
        return await self.store.subscriptions_of(facility_id)

    async def remove(self, facility_id: str, subscription_id: str) -> None:
        if not await self.store.deactivate(facility_id, subscription_id, now()):
            raise WebhookRefused("not_found")

    async def changed(self, event: FacilityRegistrationChanged, ce: CloudEventAttributes) -> None:
        """One delivery per active subscription of the facility, recorded once per event."""
        envelope = {
            "specversion": SPECVERSION,
            "id": event.event_id,
            "source": SOURCE,
            "type": topics.REGISTRY_REGISTRATION_CHANGED.ce_type,
            "subject": event.registration_number,
            "time": event.event_time.isoformat(),
            "datacontenttype": "application/json",
            "data": event.change.model_dump(mode="json"),
        }

        async def work(session: AsyncClientSession) -> None:
            at = now()
            for subscription in await self.store.subscriptions_of(event.facility_id, session):
                delivery = {
                    "_id": f"{subscription['_id']}:{event.event_id}",
                    "subscription_id": subscription["_id"],
                    "facility_id": event.facility_id,
                    "event_id": event.event_id,
                    "registration_number": event.registration_number,
                    "sequence": event.change.sequence,
                    "change": event.change.change.value,
                    "envelope": envelope,
                    "status": PENDING,
                    "waiting": False,
                    "attempts": 0,
                    "created_at": at,
                    "first_try_at": None,
                    "next_at": at,
                    "lease_until": at,
                    "lease_owner": None,
                    "log": [],
                }
                delivery["waiting"] = await self.store.earlier_pending(delivery, session)
                await self.store.add_delivery(delivery, session)

        await self.uow.apply_once(ce.id, ce.type, work)

    async def deliveries(self, facility_id: str | None, status: str | None, limit: int) -> list[Doc]:
        return await self.store.log_of(facility_id, status, limit)

    async def replay(self, delivery_id: str, facility_id: str | None) -> Doc:
        replayed = await self.store.replay(delivery_id, facility_id, now())
        if replayed is None:
            # Another facility's delivery (or none) does not exist for this one: 404, not 409.
            if not await self.store.has_delivery(delivery_id, facility_id):
                raise WebhookRefused("not_found")
            raise WebhookRefused("webhook.not_parked")
        return replayed


class Dispatcher:
    """The loop that delivers what is due (every replica runs one; leases keep them apart)."""

    def __init__(
        self,
        store: WebhookStore,
        webhooks: Webhooks,
        settings: Settings,
        metrics: WebhookMetrics | None = None,
        clock: Callable[[], datetime] = now,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.webhooks = webhooks
        self.settings = settings
        self.clock = clock
        self.owner = uuid.uuid4().hex
        self.policy = RetryPolicy(
            settings.webhook_retry_base_s,
            settings.webhook_retry_max_s,
            settings.webhook_retry_for_s,
            settings.webhook_max_attempts,
        )
        self.http = httpx.AsyncClient(timeout=settings.webhook_timeout_s, follow_redirects=False, transport=transport)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-dispatcher")

    async def halt(self) -> None:
        """Stop the loop where it is, tries in flight included, settling nothing (what a killed
        process leaves behind: claimed deliveries whose leases run out)."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def stop(self) -> None:
        await self.halt()
        await self.http.aclose()

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.pass_once()
            except Exception:
                log.exception("webhook dispatcher pass failed; trying again")
                busy = 0
            if not busy:
                await asyncio.sleep(self.settings.webhook_poll_s)

    async def pass_once(self, limit: int = 50) -> int:
        """Try every due delivery that is the next of its practitioner; how many were tried."""
        at = self.clock()
        await self._release_waiting(at, limit)
        tried: list[asyncio.Task[None]] = []
        for candidate in await self.store.due(at, limit):
            if await self.store.earlier_pending(candidate):
                continue
            until = at + timedelta(seconds=self.settings.webhook_lease_s)
            claimed = await self.store.claim(candidate["_id"], self.owner, at, until)
            if claimed is not None:
                tried.append(asyncio.create_task(self.attempt(claimed)))
        if tried:
            await asyncio.gather(*tried)
        return len(tried)

    async def _release_waiting(self, at: datetime, limit: int) -> None:
        """Deliveries waiting behind an earlier change that is no longer pending (delivered or
        parked) become due. Read every pass (an indexed range of the waiting ones): one settled
        while a later one was being recorded still frees it."""
        for delivery in await self.store.waiting(limit):
            if not await self.store.earlier_pending(delivery):
                await self.store.release(delivery["_id"], at)

    async def attempt(self, delivery: Doc) -> None:
        """One try of a claimed delivery, and its outcome recorded."""
        started = self.clock()
        subscription = await self.store.subscription(delivery["subscription_id"])
        status: int | None = None
        error: str | None = None
        clock_started = time.perf_counter()
        if subscription is None or not subscription["active"]:
            error = "subscription_removed"
        else:
            try:
                target, addresses = await self.webhooks.checked_target(subscription["url"])
                body = json.dumps(delivery["envelope"], separators=(",", ":"), ensure_ascii=False).encode()
                signing = self.webhooks.signing_secrets(subscription, self.clock())
                headers = rules.signed_headers(signing, delivery["event_id"], int(time.time()), body)
                host = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
                answer = await self.http.post(
                    rules.pinned_url(target, addresses[0]),
                    content=body,
                    headers={**headers, "host": host},
                    extensions={"sni_hostname": target.host},
                )
                status = answer.status_code
            except WebhookRefused as refusal:
                error = refusal.code
            except httpx.TimeoutException:
                error = "timeout"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
        outcome = rules.outcome_of(status) if error is None else error
        await self._settle(delivery, started, outcome, status, time.perf_counter() - clock_started)

    async def _settle(self, delivery: Doc, started: datetime, outcome: str, status: int | None, took_s: float) -> None:
        at = self.clock()
        attempt = {"at": started, "outcome": outcome, "status_code": status, "took_ms": round(took_s * 1000)}
        first = delivery.get("first_try_at") or started
        changes: Doc = {"first_try_at": first, "lease_until": at, "lease_owner": None, "last_outcome": outcome}
        if outcome == DELIVERED:
            changes.update(status=DELIVERED, delivered_at=at)
        else:
            following = (
                None if outcome == "subscription_removed" else self.policy.next_try(delivery["attempts"] + 1, first, at)
            )
            if following is None:
                changes.update(status=DEAD, dead_at=at)
                log.warning(
                    "webhook delivery %s parked after %d tries (%s)", delivery["_id"], delivery["attempts"] + 1, outcome
                )
            else:
                changes.update(next_at=following)
        if not await self.store.settle(delivery["_id"], self.owner, changes, attempt):
            log.info("webhook delivery %s: the lease was taken over; its outcome is the other's", delivery["_id"])
            return
        if self.metrics is not None:
            self.metrics.tried(rules.outcome_class(outcome))
            if changes.get("status") == DELIVERED:
                self.metrics.delivered((at - delivery["created_at"]).total_seconds())
            elif changes.get("status") == DEAD:
                self.metrics.parked_now()


def delivery_view(doc: Doc) -> dict[str, Any]:
    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "delivery_id": doc["_id"],
        "subscription_id": doc["subscription_id"],
        "event_id": doc["event_id"],
        "registration_number": doc["registration_number"],
        "sequence": doc["sequence"],
        "change": doc.get("change"),
        "status": doc["status"],
        "attempts": doc["attempts"],
        "created_at": moment(doc["created_at"]),
        "next_at": moment(doc.get("next_at")) if doc["status"] == PENDING else None,
        "delivered_at": moment(doc.get("delivered_at")),
        "dead_at": moment(doc.get("dead_at")),
        "log": [{**a, "at": moment(a["at"])} for a in doc.get("log", [])],
    }


__all__ = ["DEAD", "Dispatcher", "Webhooks", "delivery_view"]
