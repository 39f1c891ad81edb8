"""The review API over HTTP against the running services: who may see a document and how it is
served, the audit trail's read-only surface, and the supervisors' view.

Every test uses its own submissions and claims items by id (never claim-next), because the queue
is shared with the other end-to-end tests running on the same services.
"""

from typing import Any

import httpx
import pytest

from mumaris.auth import Principal, issue_token
from tests.documents import jpeg_bytes
from tests.e2e.conftest import Pipeline
from tests.e2e.test_pipeline import METADATA, reach, upload
from tests.support import unique

pytestmark = pytest.mark.e2e


def supervisor(pipeline: Pipeline) -> dict[str, str]:
    who = Principal(id=unique("sup"), role="supervisor", name="Supervisor Huda", email="huda@scfhs.local")
    return {"Authorization": f"Bearer {issue_token(who, pipeline.settings)}"}


async def in_review(
    http: httpx.AsyncClient, pipeline: Pipeline, seed: int, metadata: dict[str, Any] | None = None
) -> tuple[str, bytes]:
    _, auth = pipeline.practitioner()
    scan = jpeg_bytes(seed=seed)
    answer = await upload(http, pipeline, auth, scan, metadata=metadata)
    assert answer.status_code == 202, answer.text
    submission_id = answer.json()["submission_id"]
    await reach(http, pipeline, auth, submission_id, "in_review")
    return submission_id, scan


async def test_the_document_is_streamed_only_to_the_claim_holder_or_a_supervisor_and_each_view_is_audited(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    review_id, scan = await in_review(http, pipeline, seed=71)
    item = f"{pipeline.url('review')}/v1/review/{review_id}"
    holder, bystander, boss = pipeline.reviewer(), pipeline.reviewer(), supervisor(pipeline)
    _, practitioner = pipeline.practitioner()

    assert (await http.get(f"{item}/document")).status_code == 401
    assert (await http.get(f"{item}/document", headers=practitioner)).status_code == 403
    refused = await http.get(f"{item}/document", headers=bystander)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "review.claim_required_to_view")
    assert refused.json()["error"]["message"]["ar"] and refused.json()["error"]["message"]["en"]

    assert (await http.post(f"{item}/claim", headers=holder)).status_code == 200
    shown = await http.get(f"{item}/document", headers=holder)
    assert shown.status_code == 200
    assert shown.content == scan
    assert shown.headers["content-type"] == "image/jpeg"
    assert shown.headers["content-disposition"] == f'inline; filename="{review_id}.jpg"'
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in shown.headers["cache-control"]
    assert (await http.get(f"{item}/document", headers=boss)).status_code == 200  # supervisors see every file
    assert (await http.get(f"{item}/document", headers=bystander)).status_code == 403

    entries = (await http.get(f"{item}/history", headers=bystander)).json()["entries"]
    views = [e for e in entries if e["action"] == "document_viewed"]
    assert [v["actor"]["role"] for v in views] == ["reviewer", "supervisor"]
    assert all(v["address"] == "127.0.0.1" for v in views)


async def test_nothing_in_the_audit_trail_can_be_changed_through_the_api(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    review_id, _ = await in_review(http, pipeline, seed=72)
    item = f"{pipeline.url('review')}/v1/review/{review_id}"
    boss = supervisor(pipeline)
    assert (await http.post(f"{item}/claim", headers=boss)).status_code == 200
    before = (await http.get(f"{item}/history", headers=boss)).json()

    for method in ("PUT", "PATCH", "DELETE", "POST"):
        answer = await http.request(method, f"{item}/history", headers=boss, json={"entries": []})
        assert answer.status_code == 405, (method, answer.status_code)
    assert (await http.delete(item, headers=boss)).status_code == 405

    assert (await http.get(f"{item}/history", headers=boss)).json() == before
    assert [e["action"] for e in before["entries"]] == ["claimed"]


async def test_supervisors_filter_the_queue_and_read_counts_but_reviewers_may_not(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    marker = unique("Infection control")
    review_id, _ = await in_review(http, pipeline, seed=73, metadata={**METADATA, "name": marker})
    review = pipeline.url("review")
    boss = supervisor(pipeline)

    for path in ("/v1/review/items", "/v1/review/stats"):
        refused = await http.get(f"{review}{path}", headers=pipeline.reviewer())
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "auth.forbidden")

    found = (
        await http.get(
            f"{review}/v1/review/items",
            headers=boss,
            params={"q": marker.lower(), "state": "waiting", "kind": "certificate"},
        )
    ).json()
    assert [i["review_id"] for i in found["items"]] == [review_id]
    assert found["total"] == 1 and found["items"][0]["state"] == "waiting"
    assert found["items"][0]["sla_due_at"] > found["items"][0]["queued_at"]

    stats = (await http.get(f"{review}/v1/review/stats", headers=boss)).json()
    assert set(stats["counts"]) == {"waiting", "claimed", "approved", "rejected", "changes_requested"}
    assert stats["counts"]["waiting"] >= 1
    assert stats["oldest_waiting"]["age_s"] >= 0

    bad = await http.get(f"{review}/v1/review/items", headers=boss, params={"state": "lost"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "request.invalid"


async def test_a_rejection_names_its_reasons_from_the_catalogue(pipeline: Pipeline, http: httpx.AsyncClient) -> None:
    review_id, _ = await in_review(http, pipeline, seed=74)
    catalogue = (await http.get(f"{pipeline.url('review')}/v1/review/reasons")).json()["reasons"]
    assert {"document_illegible", "other"} <= {r["code"] for r in catalogue}
    assert all(r["label"]["ar"] and r["label"]["en"] for r in catalogue)

    reviewer = pipeline.reviewer()
    unknown = await pipeline.decide(http, review_id, {"decision": "reject", "reason_codes": ["vibes"]}, reviewer)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "review.reason_code_unknown")
    decided = await pipeline.decide(
        http,
        review_id,
        {"decision": "reject", "reason_codes": ["document_illegible"], "reason": "The stamp is unreadable."},
        reviewer,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["reason_codes"] == ["document_illegible"]
    assert decided.json()["state"] == "rejected"


async def test_every_staff_role_reads_a_certificate_at_intake_and_other_practitioners_do_not_see_it(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    _, owner = pipeline.practitioner()
    answer = await upload(http, pipeline, owner, jpeg_bytes(seed=75))
    assert answer.status_code == 202, answer.text
    certificate = f"{pipeline.url('intake')}/v1/certificates/{answer.json()['submission_id']}"
    admin = {
        "Authorization": "Bearer "
        + issue_token(
            Principal(id=unique("adm"), role="admin", name="Admin", email="admin@scfhs.local"), pipeline.settings
        )
    }

    # Supervisors see all that reviewers see (they were refused here while reviewers were not).
    for staff in (pipeline.reviewer(), supervisor(pipeline), admin):
        seen = await http.get(certificate, headers=staff)
        assert seen.status_code == 200, seen.text
        assert seen.json()["certificate"] == {
            **METADATA,
            "cpd": None,
            "expires_on": None,
            "recognition": None,
        }  # not CPD, no expiry
    _, stranger = pipeline.practitioner()
    hidden = await http.get(certificate, headers=stranger)
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "not_found")
