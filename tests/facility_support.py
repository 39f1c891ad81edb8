"""Facilities and registrations for the facility and webhook tests: registrations written as
intake's registration area keeps them (it owns `intake.registrations`), and facility staff users
created through the admin API and signed in through intake's login."""

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from mumaris.clock import now, today_in_riyadh
from services.intake.accounts.rules import make_valid_id
from services.intake.registration.rules import registration_number
from tests.registration_support import Intake
from tests.support import unique

PASSWORD = "Mustashfa#2026-safe"


def midnight(value: date) -> datetime:
    return datetime.combine(value, time(), UTC)


async def registrations(intake: Intake, count: int, **overrides: Any) -> list[str]:
    """`count` registrations, active for another year unless `overrides` say otherwise; their numbers."""
    start = random.randrange(10**6, 9 * 10**6)
    today = today_in_riyadh()
    docs = []
    for sequence in range(start, start + count):
        number = registration_number(sequence)
        docs.append(
            {
                "_id": unique("acct"),
                "number": number,
                "practitioner": {
                    "id": unique("p"),
                    "name": f"Reem {sequence}",
                    "email": "r@example.sa",
                    "locale": "en",
                },
                "profession": "nursing",
                "classification": "nursing.technician",
                "classification_changed_at": now(),
                "cycle": 1,
                "issued_on": midnight(today - timedelta(days=365)),
                "expires_on": midnight(today + timedelta(days=365)),
                "status": "active",
                "suspension": None,
                "renewal": None,
                "history": [],
                "issued_at": now(),
                "revision": 0,
                **overrides,
            }
        )
    await intake.db["intake.registrations"].insert_many(docs, ordered=False)
    return [doc["number"] for doc in docs]


async def facility(intake: Intake, name: str = "King Fahad Hospital") -> tuple[str, dict[str, str]]:
    """A facility an admin created, and a signed-in staff user's auth header."""
    facility_id, _, auth = await facility_with_staff(intake, name)
    return facility_id, auth


async def facility_with_staff(intake: Intake, name: str = "King Fahad Hospital") -> tuple[str, str, dict[str, str]]:
    """A facility an admin created, its staff user's e-mail (password PASSWORD) and auth header."""
    admin = intake.staff("admin")
    created = await intake.http.post(
        "/v1/facilities",
        headers=admin,
        json={"name_ar": "مستشفى الملك فهد", "name_en": name, "kind": "hospital", "licence_number": unique("LIC")},
    )
    assert created.status_code == 201, created.text
    facility_id = created.json()["facility_id"]
    email = f"{unique('hr')}@hospital.example.sa"
    staff = await intake.http.post(
        f"/v1/facilities/{facility_id}/staff",
        headers=admin,
        json={
            "first_name": "Huda",
            "last_name": "Al-Otaibi",
            "id_number": make_valid_id("1", f"{random.randrange(10**8):08d}"),
            "email": email,
            "password": PASSWORD,
            "locale": "en",
        },
    )
    assert staff.status_code == 201, staff.text
    login = await intake.http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return facility_id, email, {"Authorization": f"Bearer {login.json()['access_token']}"}
