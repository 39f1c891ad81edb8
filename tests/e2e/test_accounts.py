"""The account journey over the real services: sign-up → SMS code from notifier → confirm →
e-mail link → login → a certificate submitted as that practitioner; and the refusals on the way."""

import asyncio
import json
import re
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from services.intake.accounts.rules import make_valid_id
from tests.documents import jpeg_bytes
from tests.e2e.conftest import Pipeline
from tests.e2e.test_pipeline import METADATA, reach
from tests.support import eventually, unique

pytestmark = pytest.mark.e2e

PASSWORD = "Sahha#2026-safe"


def sign_up_body(**changes: Any) -> dict[str, Any]:
    tag = unique("x")[-8:]
    body = {
        "first_name": "Reem",
        "last_name": "Al-Otaibi",
        "id_number": make_valid_id("1", f"{abs(hash(tag)) % 10**8:08d}"),
        "email": f"reem.{tag}@example.sa",
        "mobile": f"05{abs(hash(tag + 'm')) % 10**8:08d}",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "accept_terms": True,
        "locale": "en",
    }
    return {**body, **changes}


async def sms_code_for(pipeline: Pipeline, mobile_e164: str, count: int = 1) -> str:
    messages = await pipeline.sms.wait_for_messages(count, to=mobile_e164, timeout=30)
    match = re.search(r"\b(\d{6})\b", messages[-1]["text"])
    assert match, messages[-1]
    return match.group(1)


def e164(mobile: str) -> str:
    return "+966" + mobile.removeprefix("0")


async def signed_in_practitioner(pipeline: Pipeline, http: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """A practitioner with a confirmed phone, signed in: (sign-up body, login answer)."""
    intake = pipeline.url("intake")
    body = sign_up_body()
    account_id = (await http.post(f"{intake}/v1/accounts", json=body)).json()["account_id"]
    code = await sms_code_for(pipeline, e164(body["mobile"]))
    await http.post(f"{intake}/v1/accounts/verify-phone", json={"account_id": account_id, "code": code})
    return body, (
        await http.post(f"{intake}/v1/auth/login", json={"email": body["email"], "password": PASSWORD})
    ).json()


async def test_the_whole_account_journey_ends_with_a_certificate_submitted_as_that_practitioner(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    intake = pipeline.url("intake")
    body = sign_up_body()
    created = await http.post(f"{intake}/v1/accounts", json=body)
    assert created.status_code == 201, created.text
    account_id = created.json()["account_id"]

    # Login is refused until the phone is confirmed.
    early = await http.post(f"{intake}/v1/auth/login", json={"email": body["email"], "password": PASSWORD})
    assert (early.status_code, early.json()["error"]["code"]) == (403, "account.phone_unconfirmed")

    code = await sms_code_for(pipeline, e164(body["mobile"]))
    confirmed = await http.post(f"{intake}/v1/accounts/verify-phone", json={"account_id": account_id, "code": code})
    assert confirmed.json()["status"] == "pending_email", confirmed.text

    # Logged in with an unconfirmed e-mail: allowed, but certificate submission says why not.
    tokens = (await http.post(f"{intake}/v1/auth/login", json={"email": body["email"], "password": PASSWORD})).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    too_early = await http.post(
        f"{intake}/v1/certificates",
        headers=auth,
        data={"metadata": json.dumps(METADATA)},
        files={"file": ("a.jpg", jpeg_bytes(), "image/jpeg")},
    )
    assert (too_early.status_code, too_early.json()["error"]["code"]) == (403, "account.email_unconfirmed")

    async def confirmation_mail() -> list[Any]:
        return pipeline.mails_to(body["email"])

    [mail] = await eventually(confirmation_mail, what="the confirmation e-mail")
    link = re.search(
        r"https?://\S+confirm-email\?token=[\w.\-]+", mail.get_body(preferencelist=("plain",)).get_content()
    )
    assert link, "no confirmation link in the e-mail"
    target = urlparse(link.group(0))
    opened = await http.get(f"{intake}/v1/accounts/confirm-email?{target.query}")
    assert opened.status_code == 200, opened.text
    membership = opened.json()["membership_number"]
    assert membership.startswith("MP-")
    replayed = await http.get(f"{intake}/v1/accounts/confirm-email?{target.query}")
    assert (replayed.status_code, replayed.json()["error"]["code"]) == (400, "account.link_used")

    tokens = (await http.post(f"{intake}/v1/auth/login", json={"email": body["email"], "password": PASSWORD})).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = (await http.get(f"{intake}/v1/me", headers=auth)).json()
    assert (me["status"], me["membership_number"], me["email_confirmed"]) == ("active", membership, True)

    answer = await http.post(
        f"{intake}/v1/certificates",
        headers=auth,
        data={"metadata": json.dumps(METADATA)},
        files={"file": ("scan.jpg", jpeg_bytes(seed=31), "image/jpeg")},
    )
    assert answer.status_code == 202, answer.text
    await reach(http, pipeline, auth, answer.json()["submission_id"], "in_review")


async def test_the_code_never_travels_or_rests_in_plain_text(pipeline: Pipeline, http: httpx.AsyncClient) -> None:
    from pymongo import AsyncMongoClient

    from schemas.topics import ACCOUNT_PHONE_CODE
    from tests.support import read_all

    body = sign_up_body()
    account_id = (await http.post(f"{pipeline.url('intake')}/v1/accounts", json=body)).json()["account_id"]
    code = await sms_code_for(pipeline, e164(body["mobile"]))
    records = [
        r
        for r in await read_all(pipeline.stack.kafka_bootstrap, ACCOUNT_PHONE_CODE.name)
        if r.key == account_id.encode()
    ]
    assert records and all(code.encode() not in r.value for r in records)
    assert all(body["id_number"].encode() not in r.value for r in records)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(pipeline.settings.mongo_uri)
    stored = await client[pipeline.settings.mongo_db]["intake.accounts"].find_one({"_id": account_id})
    await client.close()
    assert code not in json.dumps(stored, default=str)
    assert stored["password_hash"].startswith("$argon2id$") and PASSWORD not in json.dumps(stored, default=str)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"id_number": "1234567890"}, "account.id_invalid_check_digit"),
        ({"id_number": "3" + "0" * 9}, "account.id_invalid_format"),
        ({"id_number": make_valid_id("2", "12345678"), "id_kind": "national_id"}, "account.id_kind_mismatch"),
        ({"password": "short1!", "password_confirmation": "short1!"}, "account.password_weak"),
        ({"password_confirmation": "Sahha#2026-other"}, "account.password_mismatch"),
        (
            {"password": "Reem#2026-safe!", "password_confirmation": "Reem#2026-safe!"},
            "account.password_contains_personal_data",
        ),
        ({"accept_terms": False}, "account.terms_required"),
        ({"mobile": "0123"}, "account.mobile_invalid"),
        ({"email": "not-an-email"}, "account.email_invalid"),
        ({"first_name": "\u0640\u0640\u0640"}, "account.name_invalid"),  # tatweel only
        ({"last_name": "\u064e\u064f\u0650\u0651"}, "account.name_invalid"),  # harakat only
        ({"first_name": "\u200d\u200f"}, "account.name_invalid"),  # invisible characters only
    ],
)
async def test_bad_sign_ups_are_refused_with_a_code_and_write_nothing(
    pipeline: Pipeline, http: httpx.AsyncClient, changes: dict[str, Any], code: str
) -> None:
    body = sign_up_body(**changes)
    answer = await http.post(f"{pipeline.url('intake')}/v1/accounts", json=body)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]["ar"] and error["message"]["en"]
    again = await http.post(
        f"{pipeline.url('intake')}/v1/accounts",
        json={**sign_up_body(), "email": body["email"]} if "@" in body["email"] else sign_up_body(),
    )
    assert again.status_code == 201  # nothing was written for the refused one


async def test_two_sign_ups_racing_with_one_id_number_make_one_account(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    first = sign_up_body()
    second = sign_up_body(id_number=first["id_number"])
    answers = await asyncio.gather(
        *(http.post(f"{pipeline.url('intake')}/v1/accounts", json=b) for b in (first, second))
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert next(a for a in answers if a.status_code == 409).json()["error"]["code"] == "account.id_taken"


async def test_an_e_mail_already_registered_is_refused_whatever_its_case(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    first = sign_up_body()
    assert (await http.post(f"{pipeline.url('intake')}/v1/accounts", json=first)).status_code == 201
    again = await http.post(f"{pipeline.url('intake')}/v1/accounts", json=sign_up_body(email=first["email"].upper()))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "account.email_taken")


async def test_a_wrong_code_counts_and_five_wrong_codes_kill_it(pipeline: Pipeline, http: httpx.AsyncClient) -> None:
    intake = pipeline.url("intake")
    body = sign_up_body()
    account_id = (await http.post(f"{intake}/v1/accounts", json=body)).json()["account_id"]
    code = await sms_code_for(pipeline, e164(body["mobile"]))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    codes = [
        (await http.post(f"{intake}/v1/accounts/verify-phone", json={"account_id": account_id, "code": wrong})).json()[
            "error"
        ]["code"]
        for _ in range(5)
    ]
    assert codes == ["account.code_wrong"] * 5
    late = await http.post(f"{intake}/v1/accounts/verify-phone", json={"account_id": account_id, "code": code})
    assert (late.status_code, late.json()["error"]["code"]) == (422, "account.code_dead")


async def test_a_resend_flood_is_throttled(pipeline: Pipeline, http: httpx.AsyncClient) -> None:
    intake = pipeline.url("intake")
    account_id = (await http.post(f"{intake}/v1/accounts", json=sign_up_body())).json()["account_id"]
    answer = await http.post(f"{intake}/v1/accounts/resend-code", json={"account_id": account_id})
    assert answer.status_code == 429
    assert answer.json()["error"]["code"] == "account.code_resend_too_soon"
    assert int(answer.headers["retry-after"]) > 0


async def test_logins_fail_alike_and_lock_after_five_failures(pipeline: Pipeline, http: httpx.AsyncClient) -> None:
    intake = pipeline.url("intake")
    body = sign_up_body()
    await http.post(f"{intake}/v1/accounts", json=body)
    unknown = await http.post(
        f"{intake}/v1/auth/login", json={"email": f"nobody.{unique('n')}@example.sa", "password": PASSWORD}
    )
    wrong = await http.post(f"{intake}/v1/auth/login", json={"email": body["email"], "password": "Wrong#2026-pass"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    for _ in range(4):
        await http.post(f"{intake}/v1/auth/login", json={"email": body["email"], "password": "Wrong#2026-pass"})
    locked = await http.post(f"{intake}/v1/auth/login", json={"email": body["email"], "password": PASSWORD})
    assert (locked.status_code, locked.json()["error"]["code"]) == (429, "account.login_locked")
    assert int(locked.headers["retry-after"]) > 0


async def test_refresh_tokens_rotate_and_a_replayed_one_ends_the_session(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    intake = pipeline.url("intake")
    _, first = await signed_in_practitioner(pipeline, http)

    second = await http.post(f"{intake}/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200 and second.json()["refresh_token"] != first["refresh_token"]
    replay = await http.post(f"{intake}/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "auth.invalid_token")
    # The replay revoked the whole family, the thief's and the owner's newest token alike,
    after = await http.post(f"{intake}/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]})
    assert after.status_code == 401
    # and the access tokens already handed out: the first one and the one the refresh gave.
    for tokens in (first, second.json()):
        await refused_everywhere(pipeline, http, bearer(tokens))


# What a practitioner's access token reaches in each service, and the answer while it is valid
# (review is for staff: a practitioner's valid token is recognised there, and refused its role).
PRACTITIONER_PROBES = (("intake", "/v1/me", 200), ("notifier", "/v1/inbox", 200), ("review", "/v1/review/queue", 403))
PROPAGATION_S = 3.0  # revocations reach every service within about a second (RevokedSessions.poll_s = 1 s)


async def refused_everywhere(
    pipeline: Pipeline,
    http: httpx.AsyncClient,
    auth: dict[str, str],
    probes: tuple[tuple[str, str, int], ...] = PRACTITIONER_PROBES,
) -> None:
    """Every probe answers 401 auth.session_revoked within PROPAGATION_S from now."""
    deadline = asyncio.get_running_loop().time() + PROPAGATION_S
    for service, path, _ in probes:

        async def refused(url: str = f"{pipeline.url(service)}{path}") -> httpx.Response | None:
            answer = await http.get(url, headers=auth)
            return answer if answer.status_code == 401 else None

        left = deadline - asyncio.get_running_loop().time()
        answer = await eventually(refused, timeout=max(left, 0.0), what=f"{service} to refuse the ended session")
        error = answer.json()["error"]
        assert error["code"] == "auth.session_revoked" and error["message"]["ar"] and error["message"]["en"]


async def accepted_everywhere(
    pipeline: Pipeline,
    http: httpx.AsyncClient,
    auth: dict[str, str],
    probes: tuple[tuple[str, str, int], ...] = PRACTITIONER_PROBES,
) -> None:
    for service, path, status in probes:
        answer = await http.get(f"{pipeline.url(service)}{path}", headers=auth)
        assert answer.status_code == status, (service, answer.text)


async def test_after_logout_the_access_token_is_refused_by_every_service(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    intake = pipeline.url("intake")
    body, tokens = await signed_in_practitioner(pipeline, http)
    auth = bearer(tokens)
    await accepted_everywhere(pipeline, http, auth)

    logout = await http.post(f"{intake}/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert logout.status_code == 204
    at_once = await http.get(f"{intake}/v1/me", headers=auth)  # intake, which ended the session, knows at once
    assert (at_once.status_code, at_once.json()["error"]["code"]) == (401, "auth.session_revoked")
    await refused_everywhere(pipeline, http, auth)
    refreshed = await http.post(f"{intake}/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401

    # Signing in again opens a new session, which works.
    again = (await http.post(f"{intake}/v1/auth/login", json={"email": body["email"], "password": PASSWORD})).json()
    await accepted_everywhere(pipeline, http, bearer(again))


async def test_ending_all_of_an_accounts_sessions_ends_their_access_tokens_everywhere(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    """What a password change or reset will call (services/intake/accounts/sessions.py: SignInSessions.end_all)."""
    from mumaris.auth import RevokedSessions
    from mumaris.mongo import UnitOfWork, make_client
    from services.intake.accounts.service import create_staff_account
    from services.intake.accounts.sessions import SignInSessions
    from services.intake.accounts.store import AccountStore

    email, password = f"{unique('rev')}@scfhs.gov.sa", "Review#2026-desk"
    account_id = await create_staff_account(
        pipeline.settings,
        role="reviewer",
        email=email,
        first_name="Khalid",
        last_name="Al-Dosari",
        id_number=make_valid_id("1", f"{abs(hash(email)) % 10**8:08d}"),
        password=password,
        locale="en",
    )
    intake = pipeline.url("intake")
    desk, laptop = [
        (await http.post(f"{intake}/v1/auth/login", json={"email": email, "password": password})).json()
        for _ in range(2)
    ]
    _, other = await signed_in_practitioner(pipeline, http)  # someone else's session, untouched
    staff_probes = (("review", "/v1/review/queue", 200), ("intake", "/v1/me", 403), ("notifier", "/v1/inbox", 403))
    for tokens in (desk, laptop):
        await accepted_everywhere(pipeline, http, bearer(tokens), staff_probes)

    client = make_client(pipeline.settings)
    try:
        db = client[pipeline.settings.mongo_db]
        revoked = RevokedSessions(db, pipeline.settings)
        ended = await SignInSessions(UnitOfWork(client, db, "intake"), AccountStore(db), revoked).end_all(
            account_id, "password_change"
        )
    finally:
        await client.close()

    assert len(ended) == 2
    for tokens in (desk, laptop):
        await refused_everywhere(pipeline, http, bearer(tokens), staff_probes)
        refreshed = await http.post(f"{intake}/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 401
    await accepted_everywhere(pipeline, http, bearer(other))


async def test_a_reviewer_created_by_operations_signs_in_and_only_staff_reach_the_queue(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    import os
    import subprocess
    import sys

    email = f"{unique('rev')}@scfhs.gov.sa"
    created = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "mumaris.tools.cli",
            "users",
            "create",
            "--role",
            "reviewer",
            "--email",
            email,
            "--first-name",
            "Khalid",
            "--last-name",
            "Al-Dosari",
            "--id-number",
            make_valid_id("1", f"{abs(hash(email)) % 10**8:08d}"),
            "--password",
            "Review#2026-desk",
        ],
        env={**os.environ, **pipeline.stack.env()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    tokens = (
        await http.post(
            f"{pipeline.url('intake')}/v1/auth/login", json={"email": email, "password": "Review#2026-desk"}
        )
    ).json()
    as_reviewer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await http.get(f"{pipeline.url('review')}/v1/review/queue", headers=as_reviewer)).status_code == 200

    _, as_practitioner = pipeline.practitioner()
    refused = await http.get(f"{pipeline.url('review')}/v1/review/queue", headers=as_practitioner)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "auth.forbidden")


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_a_change_of_personal_data_takes_effect_only_when_a_reviewer_approves_it(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    intake, review = pipeline.url("intake"), pipeline.url("review")
    body, tokens = await signed_in_practitioner(pipeline, http)
    auth = bearer(tokens)
    asked = await http.patch(f"{intake}/v1/me", headers=auth, json={"last_name": "Al-Shahri"})
    assert asked.status_code == 202, asked.text
    change_id = asked.json()["change_id"]

    me = (await http.get(f"{intake}/v1/me", headers=auth)).json()
    assert me["last_name"] == body["last_name"]  # the old value stays until approved
    assert me["pending_change"]["changes"]["last_name"] == {"old": body["last_name"], "new": "Al-Shahri"}
    second = await http.patch(f"{intake}/v1/me", headers=auth, json={"first_name": "Rima"})
    assert (second.status_code, second.json()["error"]["details"]["change_id"]) == (409, change_id)

    async def queued() -> dict[str, Any] | None:
        item = await http.get(f"{review}/v1/review/{change_id}", headers=pipeline.reviewer())
        return item.json() if item.status_code == 200 else None

    item = await eventually(queued, what="the change in the review queue")
    assert item["kind"] == "profile_change" and item["changes"]["last_name"]["new"] == "Al-Shahri"
    decided = await pipeline.decide(http, change_id, {"decision": "approve"})
    assert decided.status_code == 200

    async def applied() -> dict[str, Any] | None:
        me = (await http.get(f"{intake}/v1/me", headers=auth)).json()
        return me if me["last_name"] == "Al-Shahri" else None

    me = await eventually(applied, what="the approved change to take effect")
    assert me["pending_change"] is None


# --- request bodies: capped while they stream, and never read for an anonymous caller -----------------

MIB = 1024 * 1024


async def answer_to_partial_body(
    url: str, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, Any]]:
    """Send the head and only `body` (the rest of what the head announces is never sent), then read
    the answer: a server that wanted the whole body first would never answer."""
    target = urlparse(url)
    reader, writer = await asyncio.open_connection(target.hostname, target.port)
    try:
        head = "".join(f"{name}: {value}\r\n" for name, value in {"Host": target.netloc, **headers}.items())
        writer.write(f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode() + body)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=20)
        answer_head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        length = next(
            int(line.split(b":", 1)[1])
            for line in answer_head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        return int(status_line.split()[1]), json.loads(await asyncio.wait_for(reader.readexactly(length), timeout=5))
    finally:
        writer.close()


def chunked(data: bytes, size: int = 16 * 1024) -> bytes:
    parts = [data[i : i + size] for i in range(0, len(data), size)]
    return b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in parts)


async def test_a_json_body_over_64_kib_is_refused_with_413_before_it_is_read_or_parsed(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    intake = pipeline.url("intake")
    body = sign_up_body(first_name="R" * MIB)  # 1 MiB of JSON; a sign-up that would be refused if it were parsed
    answer = await http.post(f"{intake}/v1/accounts", json=body)
    assert (answer.status_code, answer.json()["error"]["code"]) == (413, "request.too_large")
    assert answer.json()["error"]["details"] == {"max_bytes": 64 * 1024}
    assert answer.json()["error"]["message"]["ar"] and answer.json()["error"]["message"]["en"]
    assert (await http.post(f"{intake}/v1/accounts", json={**body, "first_name": "Reem"})).status_code == 201

    # Content-Length announces 1 MiB and only 64 KiB of it is sent: the refusal does not wait for the rest.
    json_head = {"Content-Type": "application/json"}
    status, error = await answer_to_partial_body(
        intake,
        "POST",
        "/v1/accounts",
        {**json_head, "Content-Length": str(MIB)},
        b'{"first_name": "' + b"R" * 64 * 1024,
    )
    assert (status, error["error"]["code"]) == (413, "request.too_large")
    # Chunked, no Content-Length: 128 KiB sent, the body never ends; refused once 64 KiB were counted.
    status, error = await answer_to_partial_body(
        intake,
        "POST",
        "/v1/accounts",
        {**json_head, "Transfer-Encoding": "chunked"},
        chunked(b'{"first_name": "' + b"R" * 128 * 1024),
    )
    assert (status, error["error"]["code"]) == (413, "request.too_large")


async def test_an_anonymous_megabyte_on_a_protected_route_is_answered_401_without_being_read(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    junk = b"{not even json " * (MIB // 15)  # would be a 422 if anything parsed it, a 413 if anything read it
    for service, method, path in (
        ("intake", "PATCH", "/v1/me"),
        ("review", "POST", f"/v1/review/{unique('item')}/decision"),
    ):
        answer = await http.request(
            method, f"{pipeline.url(service)}{path}", content=junk, headers={"content-type": "application/json"}
        )
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, "auth.required"), (service, answer.text)
        # The head alone, announcing a megabyte that never comes: answered all the same.
        announced = {"Content-Type": "application/json", "Content-Length": str(MIB)}
        status, error = await answer_to_partial_body(pipeline.url(service), method, path, announced, b"")
        assert (status, error["error"]["code"]) == (401, "auth.required")

    # Signed in, the same megabyte is refused for its size, still unparsed.
    _, auth = pipeline.practitioner()
    refused = await http.patch(
        f"{pipeline.url('intake')}/v1/me", content=junk, headers={**auth, "content-type": "application/json"}
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (413, "request.too_large")
