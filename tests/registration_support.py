"""Intake in this process for the registration and CPD tests (its real application and lifespan,
over ASGI, on a stack of its own), with what review would publish put on the topics as real
CloudEvents records, and the registry clock moved by a shift file (mumaris.clock.write_shift).
"""

import asyncio
import json
import os
import random
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from mumaris.auth import Principal, issue_token
from mumaris.clock import now, write_shift
from mumaris.kafka import encode_event
from mumaris.settings import Settings
from mumaris.tools.stack import StackInfo
from schemas import topics
from schemas.classifications import CLASSIFICATIONS
from schemas.cloudevents import CloudEventAttributes
from schemas.events import ClassificationChanged, Event, PractitionerRef
from services.intake.accounts.rules import make_valid_id
from services.intake.app import create_app as create_intake
from tests.support import eventually, produce, read_all, settings_for, unique


@dataclass
class Intake:
    stack: StackInfo
    settings: Settings
    http: httpx.AsyncClient
    db: Any
    shift_file: Path

    async def practitioner(
        self, classification: str | None = None, **fields: Any
    ) -> tuple[PractitionerRef, dict[str, str]]:
        ref, auth, _ = await self.practitioner_with_id(classification, **fields)
        return ref, auth

    async def practitioner_with_id(
        self, classification: str | None = None, **fields: Any
    ) -> tuple[PractitionerRef, dict[str, str], str]:
        """An active account as sign-up leaves it; its auth header and its national ID number."""
        account_id = unique("acct")
        email = f"{unique('reem')}@example.sa"
        id_number = make_valid_id("1", f"{random.randrange(10**8):08d}")
        await self.db["intake.accounts"].insert_one(
            {
                "_id": account_id,
                "first_name": "Reem",
                "last_name": "Al-Zahrani",
                "id_kind": "national_id",
                "id_number": id_number,
                "email": email,
                "mobile": "+966551234567",
                "locale": "en",
                "password_hash": "-",
                "role": "practitioner",
                "status": "active",
                "classification": classification,
                "created_at": now(),
                **fields,
            }
        )
        who = Principal(
            id=account_id, role="practitioner", name="Reem Al-Zahrani", email=email, locale="en", email_verified=True
        )
        ref = PractitionerRef(id=who.id, name=who.name, email=who.email, locale=who.locale)
        return ref, {"Authorization": f"Bearer {issue_token(who, self.settings)}"}, id_number

    def staff(self, role: str) -> dict[str, str]:
        who = Principal(id=unique(role), role=role, name="Staff", email="staff@scfhs.local")  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {issue_token(who, self.settings)}"}

    async def approve(self, who: PractitionerRef, code: str, event_id: str | None = None) -> str:
        """classification.changed as review publishes it (the same record again with `event_id`)."""
        request_id = unique("req")
        event = ClassificationChanged(
            request_id=request_id,
            practitioner=who,
            previous=None,
            classification=CLASSIFICATIONS[code].ref(),
            changed_at=now(),
        )
        attrs = CloudEventAttributes.new(
            source="/mumaris/review", type=topics.CLASSIFICATION_CHANGED.ce_type, subject=request_id
        )
        if event_id:
            attrs = attrs.model_copy(update={"id": event_id})
        await produce(
            self.stack.kafka_bootstrap,
            topics.CLASSIFICATION_CHANGED.name,
            encode_event(event),
            key=request_id.encode(),
            headers=attrs.to_headers(),
        )
        return attrs.id

    async def registration(self, auth: dict[str, str]) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            answer = await self.http.get("/v1/me/registration", headers=auth)
            return answer.json() if answer.status_code == 200 else None

        return await eventually(probe, timeout=30, what="a registration")

    async def issued_events(self, number: str) -> list[dict[str, Any]]:
        records = await read_all(self.stack.kafka_bootstrap, topics.REGISTRATION_ISSUED.name)
        return [json.loads(r.value) for r in records if r.key == number.encode()]

    async def publish(self, topic: topics.Topic, event: Event, subject: str, source: str = "/mumaris/review") -> str:
        """Put an event on a topic as its producer does (CloudEvents headers, keyed); its event id."""
        attrs = CloudEventAttributes.new(source=source, type=topic.ce_type, subject=subject)
        await produce(
            self.stack.kafka_bootstrap,
            topic.name,
            encode_event(event),
            key=subject.encode(),
            headers=attrs.to_headers(),
        )
        return attrs.id

    async def publish_raw(
        self, topic: topics.Topic, records: list[tuple[bytes, dict[str, str]]], key: bytes = b"provider-file"
    ) -> tuple[int, list[int]]:
        """Records on one key (one partition, in order), as a provider's bulk file: the partition
        and their offsets."""
        producer = AIOKafkaProducer(bootstrap_servers=self.stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            futures = [
                await producer.send(topic.name, value, key=key, headers=[(k, v.encode()) for k, v in headers.items()])
                for value, headers in records
            ]
            sent = [await future for future in futures]
        finally:
            await producer.stop()
        return sent[0].partition, [meta.offset for meta in sent]

    async def handled(self, marker: str) -> None:
        """Wait until intake's event ledger holds `marker` (an event id, or id/area)."""

        async def probe() -> bool:
            return await self.db["intake.handled_events"].count_documents({"_id": marker}) == 1

        await eventually(probe, timeout=60, what=f"intake to apply {marker}")

    async def on_topic(self, topic: topics.Topic, key: str) -> list[dict[str, Any]]:
        records = await read_all(self.stack.kafka_bootstrap, topic.name)
        return [json.loads(r.value) for r in records if r.key == key.encode()]

    def shift_to(self, day: date, today: date) -> None:
        """Move the registry clock so that it is `day` (from the real `today`)."""
        write_shift(self.shift_file, timedelta(days=(day - today).days))


async def mumaris(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command line, run as operations would run it (in a process of its own)."""
    command = [sys.executable, "-m", "mumaris.tools.cli", *args]

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)

    return await asyncio.to_thread(run)


async def running_intake(stack: StackInfo, shift_file: Path, **overrides: Any) -> AsyncIterator[Intake]:
    """Intake in this process until the caller is done (a fixture's body)."""
    settings = settings_for(stack, clock_shift_file=str(shift_file), outbox_poll_s=0.1, **overrides)
    app = create_intake(settings)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake", timeout=60) as http:
                yield Intake(stack, settings, http, client[settings.mongo_db], shift_file)
    finally:
        write_shift(shift_file, timedelta(0))
        await client.close()
