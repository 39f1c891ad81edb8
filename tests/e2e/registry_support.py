"""What the end-to-end tests of the registry's newer routes and pages share: a practitioner given
her registration the way review gives it (classification.changed, a real CloudEvents record), and
a request to recognise CPD hours earned abroad with evidence the validator can read."""

import json
from datetime import UTC, date, datetime
from typing import Any

import httpx

from mumaris.tools.demo import certificate_scan
from schemas import topics
from schemas.classifications import CLASSIFICATIONS
from schemas.events import ClassificationChanged, PractitionerRef
from tests.fee_support import publish
from tests.support import eventually, unique


async def registered(bootstrap: str, intake: str, http: httpx.AsyncClient, auth: dict[str, str]) -> str:
    """Her first classification approved, as review announces it: the number of the registration
    intake issues for it (`auth`: her own token, from her account)."""
    me = (await http.get(f"{intake}/v1/me", headers=auth)).json()
    ref = PractitionerRef(
        id=me["account_id"], name=f"{me['first_name']} {me['last_name']}", email=me["email"], locale=me["locale"]
    )
    changed = ClassificationChanged(
        request_id=unique("req"),
        practitioner=ref,
        previous=None,
        classification=CLASSIFICATIONS["nursing.specialist"].ref(),
        changed_at=datetime.now(UTC),
    )
    await publish(bootstrap, topics.CLASSIFICATION_CHANGED, changed, source="/mumaris/review")

    async def issued() -> str | None:
        answer = await http.get(f"{intake}/v1/me/registration", headers=auth)
        return str(answer.json()["registration_number"]) if answer.status_code == 200 else None

    return await eventually(issued, timeout=90, what="her registration")


def recognition_claim(attended: date, title: str = "Wound Care Update") -> dict[str, str]:
    """A claim for 7.5 hours of a conference in the United Kingdom."""
    return {
        "title": title,
        "provider": "Royal College of Nursing",
        "country": "GB",
        "category": "Conference",
        "hours_claimed": "7.5",
        "attended_on": attended.isoformat(),
    }


def recognition_evidence(name: str, claim: dict[str, Any]) -> bytes:
    """Its certificate of attendance: her name, the provider, the date and the hours, in type the
    validator's OCR reads."""
    attended = date.fromisoformat(claim["attended_on"])
    return certificate_scan(name, claim["provider"], attended, course=f"{claim['title']}: 7.5 CPD hours")


async def ask_recognition(
    http: httpx.AsyncClient, intake: str, auth: dict[str, str], name: str, claim: dict[str, Any]
) -> str:
    """POST /v1/me/cpd-recognitions with its evidence: the request's submission id."""
    asked = await http.post(
        f"{intake}/v1/me/cpd-recognitions",
        headers=auth,
        data={"claim": json.dumps(claim)},
        files={"file": ("evidence.jpg", recognition_evidence(name, claim), "image/jpeg")},
    )
    assert asked.status_code == 202, asked.text
    return str(asked.json()["submission_id"])
