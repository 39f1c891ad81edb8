"""Professional registrations at intake, on the real broker and database.

Intake runs in this process (its real application and lifespan, reached over ASGI) on a stack of
its own; what review publishes (classification.changed) is put on the topic here as real
CloudEvents records. The registry clock reads a shift file this module writes, as every service
process under test does, so a registration is moved years on without waiting.
"""

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest

from mumaris.clock import now, today_in_riyadh, write_shift
from mumaris.tools.stack import StackInfo
from schemas import topics
from services.intake.accounts.rules import Passwords
from services.intake.registration.rules import add_years, registration_number_well_formed
from tests.registration_support import Intake, mumaris, running_intake
from tests.support import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def intake(own_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Intake]:
    async for running in running_intake(own_stack, tmp_path_factory.mktemp("clock") / "shift"):
        yield running


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
    # A supervisor looks it up by number (the console's page): the suspension's reason and whose it is.
    look_up = f"/v1/registrations/{number}"
    assert (await intake.http.get(look_up, headers=intake.staff("reviewer"))).status_code == 403
    assert (await intake.http.get(look_up, headers=auth)).status_code == 403
    found = await intake.http.get(look_up, headers=intake.staff("supervisor"))
    assert found.status_code == 200, found.text
    assert (found.json()["status"], found.json()["suspension"]["reason"]) == ("suspended", body["reason"])
    assert found.json()["practitioner"] == {"id": who.id, "name": who.name, "latin_name": None}
    unknown = await intake.http.get("/v1/registrations/RG-99999997", headers=intake.staff("supervisor"))
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    lift = f"/v1/registrations/{number}/reinstatement"
    assert (await intake.http.post(lift, json=body, headers=intake.staff("reviewer"))).status_code == 403
    lifted = await intake.http.post(
        lift, json={"reason": "Case closed: no breach."}, headers=intake.staff("supervisor")
    )
    assert lifted.status_code == 200, lifted.text
    assert (lifted.json()["status"], lifted.json()["suspension"]) == ("active", None)
    again_lifted = await intake.http.post(lift, json={"reason": "Twice."}, headers=intake.staff("supervisor"))
    assert (again_lifted.status_code, again_lifted.json()["error"]["code"]) == (409, "registration.not_suspended")
    history = (await intake.db["intake.registrations"].find_one({"number": number}))["history"]
    assert [h["step"] for h in history] == ["issued", "suspended", "suspension_lifted"]
    [reinstated] = await intake.on_topic(topics.REGISTRATION_REINSTATED, number)
    assert reinstated["status"] == "active"

    suspended = await intake.on_topic(topics.REGISTRATION_SUSPENDED, number)
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


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page carries a CSRF token"
    return found[1]


async def test_the_portal_shows_the_registration_card_and_refuses_a_renewal_short_of_cpd_hours(intake: Intake) -> None:
    password = "Sahara-2026!stars"
    who, auth = await intake.practitioner(password_hash=Passwords().hash(password))
    await intake.approve(who, "nursing.technician")
    registration = await intake.registration(auth)
    expires = date.fromisoformat(registration["expires_on"])

    sign_in = await intake.http.get("/portal/sign-in")
    form = {"csrf": csrf_of(sign_in.text), "email": who.email, "password": password}
    signed_in = await intake.http.post("/portal/sign-in", data=form)
    assert signed_in.status_code == 303, signed_in.text
    profile = await intake.http.get("/portal/profile")
    assert profile.status_code == 200
    assert registration["registration_number"] in profile.text and 'data-status="active"' in profile.text
    assert 'data-testid="renew-form"' not in profile.text  # renewal is not open yet

    try:
        write_shift(intake.shift_file, timedelta(days=(expires - today_in_riyadh()).days - 30))
        profile = await intake.http.get("/portal/profile?lang=en")
        assert 'data-status="renewal_open"' in profile.text and "30 days" in profile.text
        assert 'data-testid="renew-form"' in profile.text
        refused = await intake.http.post("/portal/registration/renewals", data={"csrf": csrf_of(profile.text)})
        assert refused.status_code == 422
        assert "fewer than renewal requires" in refused.text  # registration.cpd_hours_short, in English
        assert 'data-testid="cpd-progress"' in refused.text and "0 of 20 hours" in refused.text
    finally:
        write_shift(intake.shift_file, timedelta(0))


async def test_a_supervisor_records_a_cpd_exemption_and_no_hours_are_owed(intake: Intake) -> None:
    who, auth = await intake.practitioner()
    await intake.approve(who, "medicine.specialist")
    number = (await intake.registration(auth))["registration_number"]
    assert (await intake.registration(auth))["cpd"]["hours_required"] == "60"
    path = f"/v1/registrations/{number}/cpd-exemption"
    exempt = {"exemption": "trainee", "reason": "In the residency programme 2026-2028."}
    assert (await intake.http.put(path, json=exempt, headers=auth)).status_code == 403
    answer = await intake.http.put(path, json=exempt, headers=intake.staff("supervisor"))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["cpd"]["hours_required"], answer.json()["cpd"]["exemption"]) == ("0", "trainee")
    unknown = await intake.http.put(
        path, json={**exempt, "exemption": "on_holiday"}, headers=intake.staff("supervisor")
    )
    assert unknown.status_code == 422
    ended = await intake.http.put(
        path, json={"exemption": None, "reason": "Residency ended."}, headers=intake.staff("supervisor")
    )
    assert ended.json()["cpd"]["hours_required"] == "60"
