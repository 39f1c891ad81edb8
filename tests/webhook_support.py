"""What the webhook tests share: a facility's endpoint written from the README's "What a receiver
gets" alone (verify the signature, dedupe by `webhook-id`, answer 2xx), served on a loopback port
that can be stopped and started (stopped: connection refused), and registration changes as
review's sweep sends them."""

import asyncio
import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mumaris.clock import today_in_riyadh
from schemas import topics
from schemas.events import PractitionerRef, RegistrationExpiring
from tests.registration_support import Intake
from tests.support import eventually


@dataclass
class Receiver:
    """A facility's endpoint as the README describes it: verify, dedupe by webhook-id, answer 2xx."""

    secret: str = ""
    plan: list[str] = field(default_factory=list)  # what the next requests get: "500", "slow"; then 200
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # webhook-id -> the event
    order: list[str] = field(default_factory=list)  # webhook-ids in the order first accepted
    requests: int = 0
    repeats: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    bad_signatures: int = 0
    sent: list[tuple[dict[str, str], bytes]] = field(default_factory=list)  # each request's headers and body
    delay_s: float = 0.0  # a slow endpoint: every answer takes this long (within the sender's timeout)
    arrivals: dict[str, list[bytes]] = field(default_factory=dict)  # webhook-id -> each body that came with it

    def verified(self, headers: Any, body: bytes) -> bool:
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        offered = [s.split(",", 1)[1] for s in headers["webhook-signature"].split(" ") if s.startswith("v1,")]
        fresh = abs(time.time() - int(headers["webhook-timestamp"])) < 300
        return fresh and any(hmac.compare_digest(expected, o) for o in offered)

    async def hook(self, request: Request) -> Response:
        self.requests += 1
        body = await request.body()
        self.sent.append((dict(request.headers), body))
        if not self.verified(request.headers, body):
            self.bad_signatures += 1
            return Response(status_code=400)
        step = self.plan.pop(0) if self.plan else "ok"
        self.arrivals.setdefault(request.headers["webhook-id"], []).append(body)
        self.arrived.set()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if step == "hold":
            await asyncio.sleep(2.0)  # the sender dies meanwhile (within its 0.5 s timeout)
        if step == "500":
            return Response(status_code=500)
        if step == "slow":
            await asyncio.sleep(1.5)  # past the sender's timeout: it tries again, the same webhook-id
        event = json.loads(body)
        assert request.headers["content-type"] == "application/cloudevents+json"
        message_id = request.headers["webhook-id"]
        assert event["id"] == message_id
        if message_id in self.accepted:
            self.repeats += 1
        else:
            self.accepted[message_id] = event
            self.order.append(message_id)
        return Response(status_code=204)


class Served:
    """The receiver on a loopback port, started and stopped at will (stopped: connection refused)."""

    def __init__(self, receiver: Receiver, port: int) -> None:
        self.receiver = receiver
        self.port = port
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        app = Starlette(routes=[Route("/hook", self.receiver.hook, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.task = asyncio.create_task(self.server.serve())
        await eventually(lambda: asyncio.sleep(0, self.server is not None and self.server.started), what="receiver up")

    async def stop(self) -> None:
        if self.server and self.task:
            self.server.should_exit = True
            await self.task


async def reminders(intake: Intake, numbers: list[str], milestones: tuple[int, ...]) -> None:
    """registration.expiring for each registration at each milestone, as review's sweep sends them."""
    expires = today_in_riyadh() + timedelta(days=90)
    for number in numbers:
        ref = PractitionerRef(id=f"p-{number}", name="Reem", email="r@example.sa", locale="en")
        for days in milestones:
            event = RegistrationExpiring(
                registration_number=number,
                practitioner=ref,
                cycle=1,
                expires_on=expires,
                days_before=days,
                days_left=days,
                renewal_open=days <= 90,
            )
            await intake.publish(topics.REGISTRATION_EXPIRING, event, number)
