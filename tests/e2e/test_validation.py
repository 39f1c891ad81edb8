"""Document validation through the real pipeline: what reaches a reviewer, what comes back to
the practitioner, and duplicates while a certificate is under review."""

import asyncio
import io
import os
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageFilter

from mumaris.tools.demo import certificate_scan
from schemas.topics import REVIEW_DECIDED
from tests.e2e.conftest import Pipeline
from tests.e2e.test_pipeline import METADATA, reach, upload
from tests.support import eventually, read_all, wait_consumed

pytestmark = pytest.mark.e2e

ISSUED = date.fromisoformat(METADATA["obtained_on"])


def blurred(scan: bytes, radius: float = 6) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(scan)).filter(ImageFilter.GaussianBlur(radius)).save(out, "JPEG", quality=90)
    return out.getvalue()


async def review_item(http: httpx.AsyncClient, pipeline: Pipeline, submission_id: str) -> dict[str, Any]:
    answer = await http.get(f"{pipeline.url('review')}/v1/review/{submission_id}", headers=pipeline.reviewer())
    answer.raise_for_status()
    return answer.json()


def by_rule(findings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["rule"]: f for f in findings}


async def test_the_reviewer_sees_that_the_name_issuer_and_date_were_read_on_the_scan(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    who, auth = pipeline.practitioner()
    scan = certificate_scan(who.name, METADATA["institution"], ISSUED)
    submission_id = (await upload(http, pipeline, auth, scan)).json()["submission_id"]
    await reach(http, pipeline, auth, submission_id, "in_review")

    findings = by_rule((await review_item(http, pipeline, submission_id))["findings"])
    for rule in ("content.name", "content.issuer", "content.date"):
        assert findings[rule]["outcome"] == "pass", findings[rule]
    assert "Al-Harbi" in findings["content.name"]["evidence"]
    assert findings["image.sharpness"]["outcome"] == "pass" and findings["image.sharpness"]["score"] > 0


async def test_a_scan_that_does_not_show_the_name_still_reaches_review_with_a_finding(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    _, auth = pipeline.practitioner()
    scan = certificate_scan("Dr. Omar Haddad", METADATA["institution"], ISSUED)
    submission_id = (await upload(http, pipeline, auth, scan)).json()["submission_id"]
    view = await reach(http, pipeline, auth, submission_id, "in_review")

    name = by_rule(view["findings"])["content.name"]
    assert (name["outcome"], name["code"]) == ("warn", "content.name_not_found")
    assert name["message"]["ar"] and name["message"]["en"]


async def test_an_out_of_focus_scan_is_refused_as_not_clear_and_the_practitioner_is_told(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    who, auth = pipeline.practitioner(locale="en")
    scan = blurred(certificate_scan(who.name, METADATA["institution"], ISSUED))
    submission_id = (await upload(http, pipeline, auth, scan)).json()["submission_id"]
    view = await reach(http, pipeline, auth, submission_id, "validation_failed")

    failed = {f["code"] for f in view["findings"] if f["outcome"] == "fail"}
    assert "image.blurry" in failed

    async def mail() -> list[Any]:
        return pipeline.mails_to(who.email)

    [email] = await eventually(mail, what="the rejection e-mail")
    blurry_message = next(f["message"]["en"] for f in view["findings"] if f["code"] == "image.blurry")
    assert blurry_message in email.get_body(preferencelist=("plain",)).get_content()


async def test_the_same_certificate_is_refused_while_under_review_and_accepted_after_the_decision(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    who, auth = pipeline.practitioner()
    first_id = (await upload(http, pipeline, auth, certificate_scan(who.name, METADATA["institution"], ISSUED))).json()[
        "submission_id"
    ]
    await reach(http, pipeline, auth, first_id, "in_review")

    # Another scan of the same certificate (a new photo: other bytes, same name, issuer and date).
    rescan = certificate_scan(who.name, METADATA["institution"], ISSUED, width=1300, height=1800)
    second = await upload(http, pipeline, auth, rescan)
    assert second.status_code == 202  # not the same file, so intake cannot tell
    refused = await reach(http, pipeline, auth, second.json()["submission_id"], "validation_failed")
    duplicate = by_rule(refused["findings"])["duplicate"]
    assert duplicate["code"] in {"duplicate.pending_certificate", "duplicate.pending_page"}
    assert duplicate["evidence"] == first_id

    decided = await pipeline.decide(http, first_id, {"decision": "approve"})
    assert decided.status_code == 200
    await reach(http, pipeline, auth, first_id, "approved")

    # The validator learns of the decision from review.decided: wait until it has consumed it.
    bootstrap = pipeline.stack.kafka_bootstrap
    [decision] = [r for r in await read_all(bootstrap, REVIEW_DECIDED.name) if r.key == first_id.encode()]
    await wait_consumed(bootstrap, "validator", REVIEW_DECIDED.name, decision.partition, decision.offset)

    again = await upload(http, pipeline, auth, rescan)
    assert again.status_code == 202
    view = await reach(http, pipeline, auth, again.json()["submission_id"], "in_review")
    assert by_rule(view["findings"])["duplicate"]["outcome"] == "pass"


def cpu_seconds_of_descendants(pid: int) -> dict[int, float]:
    """CPU time (user + system) of every process below `pid`, from /proc."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    below = {child for child, parent in parents.items() if parent == pid}
    while grandchildren := {c for c, p in parents.items() if p in below} - below:
        below |= grandchildren
    return {process: cpu[process] for process in below}


async def test_the_validator_checks_documents_in_more_than_one_worker_process(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    validator = pipeline.group.processes["validator"].process.pid
    before = cpu_seconds_of_descendants(validator)
    practitioners = [pipeline.practitioner() for _ in range(8)]
    scans = [certificate_scan(who.name, METADATA["institution"], ISSUED) for who, _ in practitioners]

    answers = await asyncio.gather(
        *(upload(http, pipeline, auth, scan) for (_, auth), scan in zip(practitioners, scans, strict=True))
    )
    await asyncio.gather(
        *(
            reach(http, pipeline, auth, answer.json()["submission_id"], "in_review")
            for (_, auth), answer in zip(practitioners, answers, strict=True)
        )
    )

    after = cpu_seconds_of_descendants(validator)
    # Each check with OCR costs a worker about a tenth of a second of CPU.
    busy = [process for process, seconds in after.items() if seconds - before.get(process, 0.0) >= 0.1]
    assert len(busy) >= 2, f"CPU seconds of the validator's child processes: before {before}, after {after}"
