"""CPD hours earned abroad, recognised end to end with intake, the validator, review and notifier
as real processes (`mumaris run`) on a stack of their own (test_registration_lifecycle.py's
fixtures): a practitioner files a recognition request with its evidence, it travels validator →
review's queue (kind cpd_recognition), a reviewer approves it through review's HTTP API with the
hours recognised, and her registration then counts them in the cycle; a refused one counts nothing.
"""

import json
from typing import Any

import pytest

from mumaris.auth import Principal, issue_token
from mumaris.clock import today_in_riyadh
from tests.documents import jpeg_bytes
from tests.e2e.test_registration_lifecycle import Lifecycle, Practitioner, lifecycle, lifecycle_stack
from tests.support import eventually, unique

pytestmark = pytest.mark.e2e

__all__ = ["lifecycle", "lifecycle_stack"]  # the fixtures this module shares


def claim(hours: str, title: str) -> dict[str, Any]:
    return {
        "title": title,
        "provider": "Resuscitation Council UK",
        "country": "GB",
        "category": "course",
        "hours_claimed": hours,
        "attended_on": today_in_riyadh().isoformat(),  # in the cycle her registration began today
    }


async def recognition(lifecycle: Lifecycle, who: Practitioner, hours: str, title: str, seed: int) -> str:
    answer = await lifecycle.http.post(
        f"{lifecycle.intake}/v1/me/cpd-recognitions",
        headers=who.auth,
        data={"claim": json.dumps(claim(hours, title))},
        files={"file": ("evidence.jpg", jpeg_bytes(900, 700, seed=seed), "image/jpeg")},
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["submission_id"])


def reviewer(lifecycle: Lifecycle) -> dict[str, str]:
    who = Principal(id=unique("rev"), role="reviewer", name="Khalid", email="khalid@scfhs.local")
    return {"Authorization": f"Bearer {issue_token(who, lifecycle.settings)}"}


async def decide(lifecycle: Lifecycle, review_id: str, decision: dict[str, Any]) -> dict[str, Any]:
    """Once the validator has passed it into review's queue: claim it and decide, as a reviewer does."""
    review, auth = lifecycle.group.processes["review"].url, reviewer(lifecycle)

    async def queued() -> dict[str, Any] | None:
        answer = await lifecycle.http.get(f"{review}/v1/review/{review_id}", headers=auth)
        return answer.json() if answer.status_code == 200 else None

    item = await eventually(queued, timeout=60, what=f"{review_id} in review's queue")
    claimed = await lifecycle.http.post(f"{review}/v1/review/{review_id}/claim", headers=auth)
    assert claimed.status_code == 200, claimed.text
    decided = await lifecycle.http.post(f"{review}/v1/review/{review_id}/decision", headers=auth, json=decision)
    assert decided.status_code == 200, decided.text
    return item


async def test_hours_recognised_from_abroad_count_in_the_cycle_and_a_refused_request_counts_nothing(
    lifecycle: Lifecycle,
) -> None:
    who, registration = await lifecycle.registered("nursing.specialist")
    assert registration["cpd"]["hours_earned"] == "0"
    approved = await recognition(lifecycle, who, "8", "Advanced Life Support", seed=81)
    refused = await recognition(lifecycle, who, "5", "Paediatric Life Support", seed=82)

    item = await decide(lifecycle, approved, {"decision": "approve", "cpd_hours_recognised": "6"})
    assert (item["kind"], item["certificate"]["recognition"]["hours_claimed"]) == ("cpd_recognition", "8")
    await decide(
        lifecycle, refused, {"decision": "reject", "reason_codes": ["document_illegible"], "reason": "Unreadable."}
    )

    async def statuses() -> dict[str, Any] | None:
        answer = await lifecycle.http.get(f"{lifecycle.intake}/v1/me/cpd-recognitions", headers=who.auth)
        found = {i["submission_id"]: (i["status"], i["hours_recognised"]) for i in answer.json()["items"]}
        return found if {s for s, _ in found.values()} == {"approved", "rejected"} else None

    shown = await eventually(statuses, timeout=60, what="both recognition requests decided at intake")
    assert shown == {approved: ("approved", "6"), refused: ("rejected", None)}
    counted = await lifecycle.registration(who, until=lambda r: r["cpd"]["hours_earned"] != "0")
    cpd = counted["cpd"]
    assert cpd["hours_earned"] == "6"  # the hours recognised, not the 8 claimed; the refused 5 count nothing
    assert [(a["source"], a["hours"]) for a in cpd["activities"]] == [("recognition", "6")]
    assert counted["cycle"]["number"] == 1 and counted["status"] == "active"
