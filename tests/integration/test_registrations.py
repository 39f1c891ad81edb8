"""Professional registrations at intake, on the real broker and database.

Intake runs in this process (its real application and lifespan, reached over ASGI) on a stack of
its own; what review publishes (classification.changed) is put on the topic here as real
CloudEvents records. The registry clock reads a shift file this module writes, as every service
process under test does, so a registration is moved years on without waiting.
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
import pytest
from pymongo import AsyncMongoClient

from mumaris.auth import Principal, issue_token
from mumaris.clock import now, today_in_riyadh, write_shift
from mumaris.kafka import encode_event
from mumaris.settings import Settings
from mumaris.tools.stack import StackInfo
from schemas import topics
from schemas.classifications import CLASSIFICATIONS
from schemas.cloudevents import CloudEventAttributes
from schemas.events import ClassificationChanged, PractitionerRef
from services.intake.accounts.rules import make_valid_id
from services.intake.app import create_app as create_intake
from services.intake.registration.rules import add_years, registration_number_well_formed
from tests.support import eventually, produce, read_all, settings_for, unique

pytestmark = pytest.mark.integration


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
        account_id = unique("acct")
        email = f"{unique('reem')}@example.sa"
        await self.db["intake.accounts"].insert_one(
            {
                "_id": account_id,
                "first_name": "Reem",
                "last_name": "Al-Zahrani",
                "id_kind": "national_id",
                "id_number": make_valid_id("1", f"{random.randrange(10**8):08d}"),
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
        who = Principal(id=account_id, role="practitioner", name="Reem Al-Zahrani", email=email, locale="en")
        ref = PractitionerRef(id=who.id, name=who.name, email=who.email, locale=who.locale)
        return ref, {"Authorization": f"Bearer {issue_token(who, self.settings)}"}

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


async def mumaris(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command line, run as operations would run it (in a process of its own)."""
    command = [sys.executable, "-m", "mumaris.tools.cli", *args]
    run = lambda: subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)  # noqa: E731
    return await asyncio.to_thread(run)


@pytest.fixture(scope="module")
async def intake(own_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Intake]:
    shift_file = tmp_path_factory.mktemp("clock") / "shift"
    settings = settings_for(own_stack, clock_shift_file=str(shift_file), outbox_poll_s=0.1)
    app = create_intake(settings)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake", timeout=60) as http:
                yield Intake(own_stack, settings, http, client[settings.mongo_db], shift_file)
    finally:
        write_shift(shift_file, timedelta(0))
        await client.close()


async def test_the_first_approved_classification_issues_a_two_year_registration_once(intake: Intake) -> None:
    who, auth = await intake.practitioner()
    answer = await intake.http.get("/v1/me/registration", headers=auth)
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "registration.none")

    event_id = await intake.approve(who, "nursing.technician")
    registration = await intake.registration(auth)
    today = today_in_riyadh()
    assert registration["status"] == "active"
    assert registration_number_well_formed(registration["registration_number"])
    assert (registration["profession"], registration["classification"]["code"]) == ("nursing", "nursing.technician")
    assert registration["issued_on"] == today.isoformat()
    assert registration["expires_on"] == add_years(today, 2).isoformat()
    assert registration["days_left"] == (add_years(today, 2) - today).days
    assert registration["cycle"]["number"] == 1

    # The same record delivered again, and the next step up the ladder: still one registration.
    await intake.approve(who, "nursing.technician", event_id=event_id)
    await intake.approve(who, "nursing.specialist")

    async def updated() -> dict[str, Any] | None:
        shown = await intake.registration(auth)
        return shown if shown["classification"]["code"] == "nursing.specialist" else None

    shown = await eventually(updated, what="the registration to show the new classification")
    assert shown["registration_number"] == registration["registration_number"]
    assert shown["expires_on"] == registration["expires_on"]  # a new classification does not renew
    assert await intake.db["intake.registrations"].count_documents({"_id": who.id}) == 1

    async def published() -> list[dict[str, Any]] | None:
        found = await intake.issued_events(registration["registration_number"])
        return found or None

    [issued] = await eventually(published, what="registration.issued")
    assert (issued["practitioner"]["id"], issued["cycle"], issued["expires_on"]) == (
        who.id,
        1,
        registration["expires_on"],
    )


async def test_the_status_moves_with_the_registry_clock(intake: Intake) -> None:
    who, auth = await intake.practitioner()
    await intake.approve(who, "pharmacy.technician")
    registration = await intake.registration(auth)
    expires = date.fromisoformat(registration["expires_on"])
    today = today_in_riyadh()
    try:
        for days_before, status in ((100, "active"), (90, "renewal_open"), (0, "grace"), (-30, "lapsed")):
            write_shift(intake.shift_file, timedelta(days=(expires - today).days - days_before))
            shown = (await intake.http.get("/v1/me/registration", headers=auth)).json()
            assert (shown["status"], shown["days_left"]) == (status, days_before)
    finally:
        write_shift(intake.shift_file, timedelta(0))


async def test_a_supervisor_suspends_a_registration_with_a_reason(intake: Intake) -> None:
    who, auth = await intake.practitioner()
    await intake.approve(who, "medicine.technician")
    number = (await intake.registration(auth))["registration_number"]
    path = f"/v1/registrations/{number}/suspension"
    body = {"reason": "Practising outside the registered specialty."}

    assert (await intake.http.post(path, json=body, headers=auth)).status_code == 403
    assert (await intake.http.post(path, json=body, headers=intake.staff("reviewer"))).status_code == 403
    answer = await intake.http.post(path, json=body, headers=intake.staff("supervisor"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "suspended" and answer.json()["suspension"]["reason"] == body["reason"]
    again = await intake.http.post(path, json=body, headers=intake.staff("supervisor"))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "registration.already_suspended")
    missing = await intake.http.post(
        "/v1/registrations/RG-99999997/suspension", json=body, headers=intake.staff("supervisor")
    )
    assert missing.status_code == 404
    assert (await intake.registration(auth))["status"] == "suspended"

    records = await read_all(intake.stack.kafka_bootstrap, topics.REGISTRATION_SUSPENDED.name)
    suspended = [json.loads(r.value) for r in records if r.key == number.encode()]
    assert [s["reason"] for s in suspended] == [body["reason"]]


async def test_the_migration_issues_registrations_to_those_approved_before_once(intake: Intake) -> None:
    approved_on = now() - timedelta(days=400)
    who, auth = await intake.practitioner("nursing.specialist", classification_changed_at=approved_on)
    _, never_auth = await intake.practitioner(None)
    env = {"MUMARIS_MONGO_URI": intake.settings.mongo_uri, "MUMARIS_MONGO_DB": intake.settings.mongo_db}
    first = await mumaris("registrations", "migrate", "--batch", "2", env=env)
    assert first.returncode == 0, first.stderr
    assert " 0 registration(s) issued" not in first.stdout
    second = await mumaris("registrations", "migrate", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().endswith(" 0 registration(s) issued")
    shown = (await intake.http.get("/v1/me/registration", headers=auth)).json()
    issued_on = today_in_riyadh(approved_on)
    assert (shown["issued_on"], shown["expires_on"]) == (issued_on.isoformat(), add_years(issued_on, 2).isoformat())
    assert (await intake.http.get("/v1/me/registration", headers=never_auth)).status_code == 404
    assert await intake.db["intake.registrations"].count_documents({"_id": who.id}) == 1
