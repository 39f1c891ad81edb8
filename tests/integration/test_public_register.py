"""The public register and registration cards at intake, on the real broker and database.

Intake runs in this process (its real application and lifespan, over ASGI) on a stack of its own;
review's classification.changed is put on its topic as a real CloudEvents record and issues each
registration; suspensions go through the supervisors' route; the registry clock is moved by the
shift file. Every request names its client address (X-Forwarded-For from a trusted proxy), so the
per-address rate limit is exercised for real without one test spending another's allowance.
"""

import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pypdfium2
import pytest
import zxingcpp
from pymongo import AsyncMongoClient

from mumaris.clock import now, today_in_riyadh, write_shift
from mumaris.tools.stack import StackInfo
from services.intake.register import cards
from services.intake.register.service import PublicRegister
from services.intake.register.store import RegisterStore
from services.intake.registration.rules import registration_number
from services.intake.registration.store import RegistrationStore
from tests.integration.test_query_plans import FindCapture, explained, stages
from tests.registration_support import Intake, running_intake
from tests.support import unique

pytestmark = pytest.mark.integration

BURST = 8
UNKNOWN = registration_number(9_999_999)  # well formed, never issued here


@pytest.fixture(scope="module")
async def intake(own_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Intake]:
    shift = tmp_path_factory.mktemp("clock") / "shift"
    overrides = {"trusted_proxies": ["127.0.0.1"], "register_burst": BURST, "register_rate_per_minute": 6}
    async for running in running_intake(own_stack, shift, **overrides):
        yield running


def address() -> dict[str, str]:
    """A client address of its own, as the trusted proxy appends it (the last one counts): from
    IPv6's documentation prefix, 2001:db8::/32, where nothing is ever sent."""
    part = uuid.uuid4().hex
    return {"X-Forwarded-For": f"2001:db8:{part[:4]}:{part[4:8]}::{part[8:12]}"}


async def get(intake: Intake, path: str, **options: Any) -> httpx.Response:
    headers = {**address(), **options.pop("headers", {})}
    return await intake.http.get(path, headers=headers, **options)


async def registered(
    intake: Intake, code: str = "nursing.technician", **fields: Any
) -> tuple[Any, dict[str, str], dict[str, Any], dict[str, Any]]:
    """A practitioner with private data on her account, and her registration."""
    private = {"birth_date": "1991-04-17", "mobile": f"+9665{uuid.uuid4().int % 10**8:08d}"}
    who, auth, id_number = await intake.practitioner_with_id(**{**private, **fields})
    await intake.approve(who, code)
    registration = await intake.registration(auth)
    secrets = {"id_number": id_number, "email": who.email, **private, "account_id": who.id}
    return who, auth, registration, secrets


def assert_no_private_data(answer: Any, secrets: dict[str, Any]) -> None:
    text = json.dumps(answer, ensure_ascii=False) if not isinstance(answer, str) else answer
    for name, value in secrets.items():
        assert str(value) not in text, f"{name} leaked"


async def test_a_lookup_shows_names_status_and_validity_and_nothing_private(intake: Intake) -> None:
    _, _, registration, secrets = await registered(
        intake,
        "nursing.specialist",
        first_name="نورة",
        last_name="القحطاني",
        first_name_latin="Noura",
        last_name_latin="Al-Qahtani",
    )
    number = registration["registration_number"]
    answer = await get(intake, f"/v1/register/{number}")
    assert answer.status_code == 200
    entry = answer.json()
    assert set(entry) == {
        "registration_number",
        "name",
        "profession",
        "classification",
        "status",
        "valid_now",
        "not_valid_reason",
        "valid_from",
        "valid_until",
    }
    assert entry["name"] == {"ar": "نورة القحطاني", "latin": "Noura Al-Qahtani"}
    assert (entry["profession"]["en"], entry["classification"]["code"]) == ("Nursing", "nursing.specialist")
    assert (entry["status"], entry["valid_now"], entry["not_valid_reason"]) == ("active", True, None)
    assert entry["valid_from"] == registration["cycle"]["starts_on"]
    assert entry["valid_until"] == (date.fromisoformat(registration["expires_on"]) - timedelta(days=1)).isoformat()
    assert_no_private_data(entry, secrets)
    assert_no_private_data((await get(intake, f"/portal/register?number={number}")).text, secrets)
    # typed with spaces and in lower case, it is the same registration
    assert (await get(intake, f"/v1/register/{number.lower().replace('-', '- ')}")).json() == entry


async def test_an_older_account_without_latin_fields_is_shown_by_its_own_names(intake: Intake) -> None:
    _, _, registration, _ = await registered(intake)  # "Reem Al-Zahrani", no *_latin fields
    entry = (await get(intake, f"/v1/register/{registration['registration_number']}")).json()
    assert entry["name"] == {"ar": None, "latin": "Reem Al-Zahrani"}
    _, _, registration, _ = await registered(intake, first_name="ريم", last_name="الزهراني")
    entry = (await get(intake, f"/v1/register/{registration['registration_number']}")).json()
    assert entry["name"] == {"ar": "ريم الزهراني", "latin": None}


async def test_suspended_lapsed_and_unknown_registrations_say_so(intake: Intake) -> None:
    _, _, registration, _ = await registered(intake)
    number = registration["registration_number"]
    reason = f"investigation {unique('case')}"
    suspended = await intake.http.post(
        f"/v1/registrations/{number}/suspension", headers=intake.staff("supervisor"), json={"reason": reason}
    )
    assert suspended.status_code == 200, suspended.text
    answer = await get(intake, f"/v1/register/{number}")
    entry = answer.json()
    assert (entry["status"], entry["valid_now"], entry["not_valid_reason"]) == (
        "suspended",
        False,
        "card.reason.suspended",
    )
    assert reason not in answer.text  # why is the commission's business, not the public's

    _, _, other, _ = await registered(intake, "pharmacy.technician")
    expires = date.fromisoformat(other["expires_on"])
    today = today_in_riyadh()
    try:
        intake.shift_to(expires + timedelta(days=3), today)
        entry = (await get(intake, f"/v1/register/{other['registration_number']}")).json()
        assert (entry["status"], entry["valid_now"], entry["not_valid_reason"]) == ("grace", False, "card.reason.grace")
        intake.shift_to(expires + timedelta(days=45), today)
        entry = (await get(intake, f"/v1/register/{other['registration_number']}")).json()
        assert (entry["status"], entry["valid_now"], entry["not_valid_reason"]) == (
            "lapsed",
            False,
            "card.reason.lapsed",
        )
    finally:
        write_shift(intake.shift_file, timedelta(0))

    unknown = await get(intake, f"/v1/register/{UNKNOWN}")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "register.not_found")
    malformed = await get(intake, "/v1/register/RG-12345678")  # a wrong check digit
    assert (malformed.status_code, malformed.json()["error"]["code"]) == (422, "register.number_invalid")
    page = await get(intake, f"/portal/register?number={UNKNOWN}&lang=en")
    assert page.status_code == 404 and "no professional registration with this number" in page.text


async def test_a_search_by_name_and_profession_is_tolerant_paged_and_capped(intake: Intake) -> None:
    surname = "Zz" + "".join(chr(97 + int(c, 16) % 26) for c in uuid.uuid4().hex[:8])  # names are letters
    arabic = "الشمّري"
    for n in range(23):
        await intake.practitioner_with_id(
            "nursing.technician",
            first_name="فاطمة" if n == 0 else f"Sara{chr(97 + n)}",
            last_name=arabic if n == 0 else surname,
            first_name_latin="Fatimah" if n == 0 else None,
            last_name_latin=surname if n == 0 else None,
            created_at=now(),
        )
    await intake.practitioner_with_id("pharmacy.technician", first_name="Other", last_name=surname, created_at=now())
    registrations: Any = intake_registrations(intake)
    await registrations.migrate()  # issues each of them a registration, as the one-off migration does

    first = await get(intake, "/v1/register", params={"name": surname.lower(), "profession": "nursing"})
    assert first.status_code == 200, first.text
    page = first.json()
    assert (len(page["entries"]), page["page_size"], page["has_more"]) == (20, 20, True)
    assert all(e["profession"]["code"] == "nursing" for e in page["entries"])
    second = (await get(intake, "/v1/register", params={"name": surname, "profession": "nursing", "page": 2})).json()
    assert (len(second["entries"]), second["has_more"]) == (3, False)
    numbers = {e["registration_number"] for e in page["entries"] + second["entries"]}
    assert len(numbers) == 23
    # Arabic typed another way (ه for ة, no shadda) and Latin both find her
    for typed in ("فاطمه الشمري", "fatimah " + surname[:4]):
        found = (await get(intake, "/v1/register", params={"name": typed, "profession": "nursing"})).json()
        assert [e["name"]["ar"] for e in found["entries"]] == ["فاطمة الشمّري"], typed
    pharmacy = (await get(intake, "/v1/register", params={"name": surname, "profession": "pharmacy"})).json()
    assert [e["name"]["latin"] for e in pharmacy["entries"]] == [f"Other {surname}"]

    for params, code in (
        ({"name": "ab", "profession": "nursing"}, "register.query_too_short"),
        ({"name": "a.*", "profession": "nursing"}, "register.query_too_short"),
        ({"name": surname, "profession": "dentistry"}, "register.profession_unknown"),
        ({"name": surname, "profession": "nursing", "page": 6}, "register.page_out_of_range"),
    ):
        refused = await get(intake, "/v1/register", params=params)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, code), params
    # a pattern typed is a literal, never a regular expression
    literal = (await get(intake, "/v1/register", params={"name": "(.*)abc", "profession": "nursing"})).json()
    assert literal["entries"] == []


def intake_registrations(intake: Intake) -> Any:
    return intake.http._transport.app.state.runtime.provided["professional_registrations"]  # type: ignore[attr-defined]


async def test_the_rate_limit_answers_429_with_retry_after_per_address(intake: Intake) -> None:
    mine = address()
    answers = [await intake.http.get(f"/v1/register/{UNKNOWN}", headers=mine) for _ in range(BURST + 2)]
    statuses = [a.status_code for a in answers]
    assert statuses[:BURST] == [404] * BURST and statuses[BURST:] == [429, 429]
    limited = answers[-1]
    assert limited.json()["error"]["code"] == "register.rate_limited"
    assert limited.json()["error"]["message"]["ar"] and limited.json()["error"]["message"]["en"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 10
    page = await intake.http.get("/portal/register/verify?card=x", headers=mine)
    assert page.status_code == 429 and "Retry-After" in page.headers
    # another address is not held back by this one
    assert (await get(intake, f"/v1/register/{UNKNOWN}")).status_code == 404


# --- cards ---------------------------------------------------------------------------------------


def offline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mumaris.tools.cli", "verify", *args], capture_output=True, text=True, timeout=60
    )


async def test_a_card_verifies_online_and_offline_then_not_valid_now_once_suspended(
    intake: Intake, tmp_path: Path
) -> None:
    _, auth, registration, secrets = await registered(
        intake, first_name="نورة", last_name="العتيبي", first_name_latin="Noura", last_name_latin="Al-Otaibi"
    )
    number = registration["registration_number"]
    card = (await intake.http.get("/v1/me/registration/card", headers=auth)).json()
    assert card["url"].startswith(intake.settings.public_base_url + "/portal/register/verify?card=")
    assert jwt_header(card["token"]) == {"alg": "EdDSA", "kid": signer_kid(intake), "typ": "mumaris-card+jwt"}
    pdf = await intake.http.get("/v1/me/registration/card.pdf", headers=auth)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert_no_private_data(card, secrets)
    # the QR code printed on the PDF scans to the verification URL
    page = pypdfium2.PdfDocument(pdf.content)[0].render(scale=3).to_pil()
    assert [code.text for code in zxingcpp.read_barcodes(page)] == [card["url"]]

    online = (await get(intake, "/v1/register/verify", params={"card": card["url"]})).json()
    assert (online["verdict"], online["signed"], online["valid_now"], online["reason"]) == (
        "card.valid",
        True,
        True,
        None,
    )
    assert online["card"]["name"] == {"ar": "نورة العتيبي", "latin": "Noura Al-Otaibi"}
    assert online["registration"]["registration_number"] == number

    jwks = (await get(intake, "/.well-known/jwks.json")).json()
    assert (await get(intake, "/v1/register/keys")).json() == jwks
    assert [key["kid"] for key in jwks["keys"]] == [signer_kid(intake)] and jwks["revoked_kids"] == []
    saved = tmp_path / "jwks.json"
    saved.write_text(json.dumps(jwks))
    (tmp_path / "card.pdf").write_bytes(pdf.content)
    for source in (card["token"], card["url"], str(tmp_path / "card.pdf")):
        result = offline(source, "--keys", str(saved), "--json")
        assert result.returncode == 0, result.stdout + result.stderr
        assert json.loads(result.stdout)["verdict"] == "card.signed_offline"

    await intake.http.post(
        f"/v1/registrations/{number}/suspension", headers=intake.staff("supervisor"), json={"reason": "pending inquiry"}
    )
    again = (await get(intake, "/v1/register/verify", params={"card": card["token"]})).json()
    assert (again["verdict"], again["signed"], again["valid_now"], again["reason"]) == (
        "card.not_valid_now",
        True,
        False,
        "card.reason.suspended",
    )
    assert again["registration"]["status"] == "suspended"
    page_en = await get(intake, "/portal/register/verify", params={"card": card["url"], "lang": "en"})
    assert page_en.status_code == 200 and "Signed, but not valid now" in page_en.text and "suspended" in page_en.text
    # a suspended practitioner is issued no new card
    refused = await intake.http.get("/v1/me/registration/card", headers=auth)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "register.card_not_valid")

    # the suspension lifted, the same card is valid again
    lifted = await intake.http.post(
        f"/v1/registrations/{number}/reinstatement", headers=intake.staff("supervisor"), json={"reason": "cleared"}
    )
    assert lifted.status_code == 200, lifted.text
    restored = (await get(intake, "/v1/register/verify", params={"card": card["token"]})).json()
    assert (restored["verdict"], restored["valid_now"], restored["registration"]["status"]) == (
        "card.valid",
        True,
        "active",
    )


def jwt_header(token: str) -> dict[str, Any]:
    return jwt.get_unverified_header(token)


def signer_kid(intake: Intake) -> str:
    seed = intake.settings.card_signing_key.get_secret_value()
    return cards.thumbprint(cards.private_key(seed).public_key())


async def test_tampered_foreign_expired_and_garbled_cards_get_a_verdict_never_an_error(
    intake: Intake, tmp_path: Path
) -> None:
    _, auth, registration, _ = await registered(intake)
    token = (await intake.http.get("/v1/me/registration/card", headers=auth)).json()["token"]
    header, payload, signature = token.split(".")
    claims = json.loads(cards._unb64(payload))
    forged = cards._b64(json.dumps({**claims, "classification": "nursing.consultant"}).encode())
    stranger = cards.Signer.from_settings(cards.new_seed(), [], [])
    foreign = stranger.sign(claims)
    cases = {
        f"{header}.{forged}.{signature}": "card.bad_signature",
        foreign: "card.unknown_key",
        token[: len(token) // 2]: "card.malformed",  # half a QR code
        token.replace(".", "", 1): "card.malformed",
        "\x00\xff garbage " + uuid.uuid4().hex: "card.malformed",
        "https://evil.example/verify?card=": "card.malformed",
        "": None,  # nothing presented: the page shows the form
    }
    for presented, verdict in cases.items():
        answer = await get(intake, "/v1/register/verify", params={"card": presented})
        assert answer.status_code == 200, presented
        if verdict:
            body = answer.json()
            assert (body["verdict"], body["signed"], body["valid_now"]) == (verdict, False, False), presented
            assert body["message"]["ar"] and body["message"]["en"]
        page = await get(intake, "/portal/register/verify", params={"card": presented})
        assert page.status_code == 200, presented
    # random bytes as a "file" for the offline check
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + uuid.uuid4().bytes * 50)
    result = offline(str(junk), "--keys", str(write_jwks(tmp_path, intake)), "--json")
    assert (result.returncode, json.loads(result.stdout)["verdict"]) == (1, "card.malformed")

    # past the day after its validity, the card itself has expired (the registry clock moved on)
    expires = date.fromisoformat(registration["expires_on"])
    try:
        intake.shift_to(expires + timedelta(days=1), today_in_riyadh())
        expired = (await get(intake, "/v1/register/verify", params={"card": token})).json()
        assert (expired["verdict"], expired["signed"], expired["valid_now"]) == ("card.expired", True, False)
    finally:
        write_shift(intake.shift_file, timedelta(0))


def write_jwks(tmp_path: Path, intake: Intake) -> Path:
    signer = cards.Signer.from_settings(intake.settings.card_signing_key.get_secret_value(), [], [])
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(signer.keyset.jwks()))
    return path


async def test_after_rotation_old_cards_verify_by_their_kid_and_a_revoked_key_is_refused(
    intake: Intake, tmp_path: Path
) -> None:
    _, auth, _, _ = await registered(intake)
    old_card = (await intake.http.get("/v1/me/registration/card", headers=auth)).json()["token"]
    old = cards.private_key(intake.settings.card_signing_key.get_secret_value()).public_key()
    old_public, old_kid = cards.jwk_of(old)["x"], cards.thumbprint(old)
    runtime = intake.http._transport.app.state.runtime  # type: ignore[attr-defined]
    current: PublicRegister = runtime.provided["public_register"]

    def register_with(signer: cards.Signer) -> PublicRegister:
        return PublicRegister(RegisterStore(intake.db), current.registrations, signer, intake.settings, current.clock)

    rotated = register_with(cards.Signer.from_settings(cards.new_seed(), [old_public], []))
    assert [k["kid"] for k in rotated.jwks()["keys"]] == [rotated.signer.kid, old_kid]  # the new key first
    assert (await rotated.verify(old_card))["verdict"] == "card.valid"
    new_card = await rotated.card(runtime_id(auth, intake))
    assert jwt_header(new_card.token)["kid"] == rotated.signer.kid
    assert (await rotated.verify(new_card.token))["verdict"] == "card.valid"

    revoked = register_with(cards.Signer.from_settings(rotated_seed(rotated), [old_public], [old_kid]))
    verdict = await revoked.verify(old_card)
    assert (verdict["verdict"], verdict["signed"], verdict["kid"]) == ("card.key_revoked", False, old_kid)
    assert old_kid not in [k["kid"] for k in revoked.jwks()["keys"]] and revoked.jwks()["revoked_kids"] == [old_kid]
    assert (await revoked.verify(new_card.token))["verdict"] == "card.valid"
    saved = tmp_path / "revoked.json"
    saved.write_text(json.dumps(revoked.jwks()))
    result = offline(old_card, "--keys", str(saved))
    assert result.returncode == 1 and result.stdout.startswith("card.key_revoked: ")


def rotated_seed(register: PublicRegister) -> str:
    return cards._b64(register.signer.key.private_bytes_raw())


def runtime_id(auth: dict[str, str], intake: Intake) -> str:
    token = auth["Authorization"].removeprefix("Bearer ")
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


async def test_a_lookup_by_number_is_two_indexed_reads_of_one_document_each(own_stack: StackInfo) -> None:
    capture = FindCapture()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        own_stack.mongo_uri, tz_aware=True, event_listeners=[capture]
    )
    database = client[unique("plans")]
    try:
        registrations = RegistrationStore(database)
        await registrations.ensure_indexes()
        store = RegisterStore(database)
        await store.ensure_indexes()
        docs = [{"_id": f"p-{n}", "number": registration_number(n + 1), "status": "active"} for n in range(2000)]
        await registrations.registrations.insert_many(docs)
        await store.accounts.insert_many(
            [{"_id": f"p-{n}", "first_name": "Seed", "last_name": "Name"} for n in range(2000)]
        )

        found = await store.by_number(registration_number(1234))
        assert found is not None and found["_id"] == "p-1233"
        assert await store.names(found["_id"]) is not None
        for find in capture.finds[-2:]:
            plan, stats = await explained(database, find)
            assert "COLLSCAN" not in stages(plan), plan
            assert stats["totalDocsExamined"] <= 1 and stats["totalKeysExamined"] <= 1, stats
    finally:
        await client.drop_database(database.name)
        await client.close()
