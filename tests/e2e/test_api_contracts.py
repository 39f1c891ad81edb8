"""The HTTP contracts, held to what the services really do: schemathesis (the CLI, pinned in
pyproject.toml) fuzzes intake's, review's and notifier's OpenAPI documents on the real stack, with
the tokens and ids of a seeded journey, and fails on any answer the document does not describe:
a server error, a status it does not list, a body that breaks its schema, a content type it does
not name, a protected route that answers without a token, invalid input accepted, a method the
route does not have answered other than 405 with `Allow`. And every refusal must carry a code its
route lists for that status (the check in tests/e2e/contract_checks.py). The seeded journey
reaches the registry's routes too: her registration (review's classification.changed), its card
(whose token the verification takes), a CPD recognition request, a facility with her on its roster;
an admin's token calls the supervision and facility routes; the bodies no fuzzer guesses (a roster
CSV, a staff user with a valid ID number and password) come from the document's examples.

The services run on a stack of their own: the fuzzer claims and decides review items, locks sign-in
for the loopback address after its failures and fills the queue, which would disturb the other
end-to-end tests on the shared stack. The run is bounded (examples per operation, a fixed seed,
no stateful phase) to stay within a few minutes on two cores.
"""

import asyncio
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from mumaris.clock import today_in_riyadh
from mumaris.tools.stack import LocalStack
from mumaris.tools.standins import MailCatcher, SmsGatewayStandIn
from schemas import topics
from schemas.classifications import CONDITIONS_VERSION
from schemas.topics import all_topic_names
from services.intake.accounts.rules import make_valid_id
from services.intake.accounts.service import create_staff_account
from tests.documents import jpeg_bytes
from tests.e2e.conftest import Pipeline, start_pipeline
from tests.e2e.registry_support import ask_recognition, recognition_claim, registered
from tests.e2e.test_accounts import PASSWORD, e164, sign_up_body
from tests.e2e.test_pipeline import METADATA, reach, upload
from tests.fee_support import payment, publish
from tests.support import eventually, unique

pytestmark = pytest.mark.e2e

STAFF_PASSWORD = "Review#2026-desk"
# Examples per operation and phase: enough to reach every documented status of every route
# (the coverage phase adds its boundary cases on top), few enough for the CI budget.
MAX_EXAMPLES = 10
SEED = 20261125  # the same cases every run: a failure here is reproducible, never luck
CHECKS_OFF = (
    # Valid by the schema is not enough to succeed: an ID's check digit, a wrong SMS code, a claim
    # another reviewer holds. The statuses those answers have are what the document promises.
    "positive_data_acceptance",
    # No route deletes anything: nothing for these to find.
    "use_after_free",
    "ensure_resource_availability",
    # Needs a second caller's credentials per resource; the e2e tests cover who may see what.
    "object_level_authorization",
)


@dataclass(frozen=True)
class Seeded:
    """What the journey left: real tokens (from POST /v1/auth/login) and real ids."""

    practitioner: str
    reviewer: str
    supervisor: str
    submissions: list[str]  # certificates: one in review, one sent back for changes
    review_ids: list[str]  # the certificates and the paid classification request
    request_id: str  # a classification request, its fee paid, in review
    request_documents: list[str]
    bill_number: str
    messages: list[str]  # the practitioner's inbox
    pending_account: str  # an account whose phone is not confirmed yet
    admin: str  # creates facilities; a supervisor's powers over registrations too
    registration_number: str  # the practitioner's registration (her first classification approved)
    card: str  # her registration card's signed token, as its QR code carries it
    facility_id: str  # a facility with her registration on its roster
    recognitions: list[str]  # her CPD recognition requests


@pytest.fixture(scope="module")
def contract_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    stack = LocalStack(tmp_path_factory.mktemp("contract-stack"), die_with_parent=True)
    try:
        stack.start(all_topic_names())
        with MailCatcher() as mail, SmsGatewayStandIn() as sms:
            settings, group = start_pipeline(
                stack.info,
                mail,
                sms,
                tmp_path_factory.mktemp("contract-logs"),
                env={
                    "MUMARIS_OCR_ENABLED": "false",  # the checks are not what is tested here
                    # The fuzzer is one address: past the public register's limit it would meet only
                    # 429s there (the limit has its own test, tests/integration/test_public_register.py).
                    "MUMARIS_REGISTER_BURST": "100000",
                },
            )
            try:
                yield Pipeline(stack.info, settings, group, mail, sms)
            finally:
                group.stop_all()
    finally:
        stack.stop()


async def sign_in(http: httpx.AsyncClient, intake: str, email: str, password: str) -> str:
    answer = await http.post(f"{intake}/v1/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def staff_token(pipeline: Pipeline, http: httpx.AsyncClient, role: str, first_name: str) -> str:
    tag = uuid.uuid4().hex[:10]
    email = f"{role}.{tag}@scfhs.gov.sa"
    await create_staff_account(
        pipeline.settings,
        role=role,
        email=email,
        first_name=first_name,
        last_name="Al-Dosari",
        id_number=make_valid_id("1", f"{int(tag, 16) % 10**8:08d}"),
        password=STAFF_PASSWORD,
        locale="en",
    )
    return await sign_in(http, pipeline.url("intake"), email, STAFF_PASSWORD)


async def active_practitioner(pipeline: Pipeline, http: httpx.AsyncClient) -> str:
    """Sign-up, the SMS code, the e-mail link, sign-in: the practitioner's access token."""
    intake = pipeline.url("intake")
    body = sign_up_body()
    created = await http.post(f"{intake}/v1/accounts", json=body)
    assert created.status_code == 201, created.text
    # The first event through a new stack waits for the consumer groups to form: be patient.
    [sms] = await pipeline.sms.wait_for_messages(1, to=e164(body["mobile"]), timeout=120)
    code = re.search(r"\b(\d{6})\b", sms["text"])
    assert code, sms
    confirmed = await http.post(
        f"{intake}/v1/accounts/verify-phone", json={"account_id": created.json()["account_id"], "code": code.group(1)}
    )
    assert confirmed.status_code == 200, confirmed.text
    [mail] = await eventually(lambda: _mails(pipeline, body["email"]), timeout=60, what="the confirmation e-mail")
    link = re.search(r"https?://\S+confirm-email\?token=[\w.\-]+", mail.get_body(("plain",)).get_content())
    assert link, "no confirmation link in the e-mail"
    # The link opens the portal's page; another system confirms through the API with its token.
    [token] = parse_qs(urlparse(link.group(0)).query)["token"]
    opened = await http.get(f"{intake}/v1/accounts/confirm-email", params={"token": token})
    assert opened.status_code == 200, opened.text
    return await sign_in(http, intake, body["email"], PASSWORD)


async def _mails(pipeline: Pipeline, address: str) -> list[Any]:
    return pipeline.mails_to(address)


@pytest.fixture(scope="module")
async def seeded(contract_pipeline: Pipeline) -> Seeded:
    return await seed_journey(contract_pipeline)


async def seed_journey(pipeline: Pipeline) -> Seeded:
    """A practitioner's journey with everything the routes can name: two certificates in review
    (one sent back for changes), a classification request with its invoice, inbox messages."""
    intake, review, notifier = (pipeline.url(s) for s in ("intake", "review", "notifier"))
    async with httpx.AsyncClient(timeout=30) as http:
        token = await active_practitioner(pipeline, http)
        pending = await http.post(f"{intake}/v1/accounts", json=sign_up_body())
        assert pending.status_code == 201, pending.text
        auth = {"Authorization": f"Bearer {token}"}
        reviewer = await staff_token(pipeline, http, "reviewer", "Khalid")
        supervisor = await staff_token(pipeline, http, "supervisor", "Huda")
        as_reviewer = {"Authorization": f"Bearer {reviewer}"}

        submissions = []
        for seed, name in ((61, "Basic Life Support (BLS)"), (62, "Advanced Cardiac Life Support (ACLS)")):
            scan = jpeg_bytes(900, 700, seed=seed)
            answer = await upload(http, pipeline, auth, scan, metadata={**METADATA, "name": name})
            assert answer.status_code == 202, answer.text
            submissions.append(answer.json()["submission_id"])
        for submission_id in submissions:
            await reach(http, pipeline, auth, submission_id, "in_review", timeout=90)
        sent_back = submissions[1]
        claimed = await http.post(f"{review}/v1/review/{sent_back}/claim", headers=as_reviewer)
        assert claimed.status_code == 200, claimed.text
        decided = await http.post(
            f"{review}/v1/review/{sent_back}/decision",
            headers=as_reviewer,
            json={"decision": "request_changes", "reason": "The issuer's stamp is cut off; scan the whole page."},
        )
        assert decided.status_code == 200, decided.text
        await reach(http, pipeline, auth, sent_back, "changes_requested")

        membership = (await http.get(f"{intake}/v1/me", headers=auth)).json()["membership_number"]
        request = {
            "membership_number": membership,
            "target": "nursing.technician",
            "accept_conditions": True,
            "conditions_version": CONDITIONS_VERSION,
        }
        asked = await http.post(
            f"{intake}/v1/classification-requests",
            headers=auth,
            data={"request": json.dumps(request)},
            files={"degree": ("degree.jpg", jpeg_bytes(900, 700, seed=63), "image/jpeg")},
        )
        assert asked.status_code == 202, asked.text
        request_id = asked.json()["request_id"]

        async def invoiced() -> dict[str, Any] | None:
            view = (await http.get(f"{intake}/v1/classification-requests/{request_id}", headers=auth)).json()
            return view if view["invoice"] else None

        view = await eventually(invoiced, timeout=90, what="the classification fee's invoice")
        # The payment system pays the bill (the request joins the review queue), and reports a
        # payment for a bill nobody issued (a payment issue for the supervisors).
        bill = view["invoice"]["bill_number"]
        bootstrap = pipeline.stack.kafka_bootstrap
        await publish(bootstrap, topics.GOV_PAYMENTS, payment(bill, view["invoice"]["amount"]), source="/gov/sadad")
        await publish(bootstrap, topics.GOV_PAYMENTS, payment("SC-2026-9999999", "300.00"), source="/gov/sadad")

        async def in_review() -> dict[str, Any] | None:
            view = (await http.get(f"{intake}/v1/classification-requests/{request_id}", headers=auth)).json()
            return view if view["status"] == "in_review" else None

        await eventually(in_review, timeout=90, what="the paid request in review")

        async def inbox() -> list[str]:
            page = (await http.get(f"{notifier}/v1/inbox", headers=auth)).json()
            return [m["id"] for m in page["items"]]

        messages = await eventually(inbox, what="a message in the practitioner's inbox")
        number, card, recognition = await seed_registration(pipeline, http, auth)
        admin = await staff_token(pipeline, http, "admin", "Salem")
        as_admin = {"Authorization": f"Bearer {admin}"}
        facility = await http.post(
            f"{intake}/v1/facilities",
            headers=as_admin,
            json={
                "name_ar": "مستشفى الملك فهد",
                "name_en": "King Fahd Hospital",
                "kind": "hospital",
                "licence_number": unique("LIC")[:32],
            },
        )
        assert facility.status_code == 201, facility.text
        facility_id = facility.json()["facility_id"]
        rostered = await http.post(
            f"{intake}/v1/facilities/{facility_id}/roster", headers=as_admin, json={"registration_number": number}
        )
        assert rostered.status_code == 201, rostered.text
    return Seeded(
        practitioner=token,
        reviewer=reviewer,
        supervisor=supervisor,
        submissions=submissions,
        review_ids=[*submissions, request_id],
        request_id=request_id,
        request_documents=[d["submission_id"] for d in view["documents"]],
        bill_number=bill,
        messages=messages,
        pending_account=pending.json()["account_id"],
        admin=admin,
        registration_number=number,
        card=card,
        facility_id=facility_id,
        recognitions=[recognition],
    )


async def seed_registration(pipeline: Pipeline, http: httpx.AsyncClient, auth: dict[str, str]) -> tuple[str, str, str]:
    """Her registration (review's classification.changed), her card's token, and a request to
    recognise CPD hours earned abroad in the registration's cycle (so that it can be credited)."""
    intake = pipeline.url("intake")
    number = await registered(pipeline.stack.kafka_bootstrap, intake, http, auth)
    card = await http.get(f"{intake}/v1/me/registration/card", headers=auth)
    assert card.status_code == 200, card.text
    me = (await http.get(f"{intake}/v1/me", headers=auth)).json()
    name = f"{me['first_name']} {me['last_name']}"
    recognition = await ask_recognition(http, intake, auth, name, recognition_claim(today_in_riyadh()))
    return number, str(card.json()["token"]), recognition


def _toml(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string or array of strings is TOML too


def schemathesis_config(service: str, base_url: str, seeded: Seeded, checks_module_dir: Path) -> str:
    """The run's configuration: bounded generation, the checks, and who calls which routes with
    which real ids (each path parameter takes a real id most of the time, anything else otherwise)."""
    dictionaries: dict[str, list[str]] = {
        "submission_id": [*seeded.submissions, *seeded.request_documents],
        "request_id": [seeded.request_id],
        "review_id": seeded.review_ids,
        "bill_number": [seeded.bill_number],
        "message_id": seeded.messages,
        "number": [seeded.registration_number],
        "registration_number": [seeded.registration_number],
        "facility_id": [seeded.facility_id],
    }
    lines = [
        f"base-url = {_toml(base_url)}",
        f"seed = {SEED}",
        "workers = 1",
        "request-timeout = 30",
        # The checks of our own (error codes) are loaded as a hook.
        f"hooks = {_toml('contract_checks')}",
        "",
        "[generation]",
        f"max-examples = {MAX_EXAMPLES}",
        "deterministic = true",
        "",
        "[phases.stateful]",
        "enabled = false",
        "",
        "[checks]",
        *(f"{check}.enabled = false" for check in CHECKS_OFF),
        "",
    ]
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {_toml(values)}", ""]
    lines += ["[dictionaries.account_id]", f"values = {_toml([seeded.pending_account])}", ""]
    lines += ["[dictionaries.card]", f"values = {_toml([seeded.card])}", ""]
    lines.append("[parameters]")
    lines += [f'"path.{name}" = {{ dictionary = "{name}", probability = 0.8 }}' for name in dictionaries]
    lines.append('"body.account_id" = { dictionary = "account_id", probability = 0.8 }')
    # The public register's look-ups: a real card (its verification) and a real name to search.
    lines.append('"query.card" = { dictionary = "card", probability = 0.8 }')
    lines.append('"body.registration_number" = { dictionary = "registration_number", probability = 0.8 }')
    lines.append("")
    # Who calls which routes: (path pattern, token, parameters of that route alone).
    documents = {"path.review_id": "classification_request", "path.submission_id": "request_documents"}
    lines += ["[dictionaries.classification_request]", f"values = {_toml([seeded.request_id])}", ""]
    lines += ["[dictionaries.request_documents]", f"values = {_toml(seeded.request_documents)}", ""]
    callers: list[tuple[str, str, dict[str, str]]] = {
        # Practitioners: their own routes and the public ones; an admin (a supervisor's powers
        # too): the registrations' supervision and the facilities.
        "intake": [
            ("^/(?!v1/(registrations|facilities)(/|$))", seeded.practitioner, {}),
            ("^/v1/(registrations|facilities)(/|$)", seeded.admin, {}),
        ],
        "notifier": [(".", seeded.practitioner, {})],
        # Reviewers work the queue; supervisors oversee it, see every document and the fees.
        "review": [
            ("^/v1/review/(queue|mine|claim|[^/]+/(claim|renew|release|decision|history))$", seeded.reviewer, {}),
            ("^/v1/review/(items|stats|payment-issues|invoices/[^/]+|[^/]+|[^/]+/document)$", seeded.supervisor, {}),
            ("^/v1/review/[^/]+/documents/[^/]+$", seeded.supervisor, documents),
        ],
    }[service]
    for pattern, token, parameters in callers:
        lines += [
            "[[operations]]",
            f"include-path-regex = {_toml(pattern)}",
            f"headers = {{ Authorization = {_toml('Bearer ' + token)} }}",
            *(
                [
                    "parameters = { "
                    + ", ".join(
                        f'"{key}" = {{ dictionary = "{name}", probability = 0.9 }}' for key, name in parameters.items()
                    )
                    + " }"
                ]
                if parameters
                else []
            ),
            "",
        ]
    return "\n".join(lines)


@pytest.mark.parametrize("service", ["intake", "review", "notifier"])
async def test_the_service_answers_only_as_its_openapi_document_says(
    service: str, contract_pipeline: Pipeline, seeded: Seeded, tmp_path: Path
) -> None:
    base_url = contract_pipeline.url(service)
    here = Path(__file__).parent
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(service, base_url, seeded, here))
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{base_url}/openapi.json",
        "--no-color",
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(here), os.environ.get("PYTHONPATH", "")])},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    report = output.decode(errors="replace")
    (tmp_path / "schemathesis.out").write_text(report)
    print(f"schemathesis against {service}: {time.monotonic() - started:.0f} s\n{report[-3000:]}")
    assert process.returncode == 0, report[-20000:]
    # The tokens were good all along: a run answered only 401s would prove nothing.
    async with httpx.AsyncClient(timeout=30) as http:
        for url, token in (
            (f"{contract_pipeline.url('intake')}/v1/me", seeded.practitioner),
            (f"{contract_pipeline.url('review')}/v1/review/mine", seeded.reviewer),
            (f"{contract_pipeline.url('review')}/v1/review/stats", seeded.supervisor),
            (f"{contract_pipeline.url('intake')}/v1/me/registration", seeded.practitioner),
            (f"{contract_pipeline.url('intake')}/v1/facilities/{seeded.facility_id}", seeded.admin),
        ):
            answer = await http.get(url, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, (url, answer.text)
