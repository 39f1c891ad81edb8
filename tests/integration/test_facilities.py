"""Facility accounts at intake, on the real broker and database: an admin creates a hospital and
its staff user, who signs in and keeps the roster — one practitioner at a time, and a CSV of
5,000 uploaded (refused lines named with their line and code, the same file again changing
nothing), then reads its status page by page, at a glance and as a CSV export."""

import csv
import io
from collections.abc import AsyncIterator

import pytest

from mumaris.tools.stack import StackInfo
from services.intake.registration.rules import registration_number
from tests.facility_support import facility, registrations
from tests.registration_support import Intake, running_intake

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def intake(own_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Intake]:
    shift = tmp_path_factory.mktemp("clock") / "shift"
    async for running in running_intake(own_stack, shift, roster_upload_max_bytes=512 * 1024):
        yield running


async def test_an_admin_creates_a_facility_whose_staff_sign_in_and_see_only_their_own(intake: Intake) -> None:
    facility_id, staff = await facility(intake)
    other_id, other_staff = await facility(intake, "Al-Noor Clinic")
    assert (await intake.http.get(f"/v1/facilities/{facility_id}", headers=staff)).json()["kind"] == "hospital"

    # Another facility's staff: as if it did not exist; a practitioner or a reviewer: not allowed.
    for path in ("", "/roster", "/roster/summary", "/roster.csv"):
        answer = await intake.http.get(f"/v1/facilities/{facility_id}{path}", headers=other_staff)
        assert (answer.status_code, answer.json()["error"]["code"]) == (404, "not_found"), path
    _, practitioner = await intake.practitioner()
    for auth in (practitioner, intake.staff("reviewer")):
        answer = await intake.http.get(f"/v1/facilities/{facility_id}/roster", headers=auth)
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "auth.forbidden")
    # Only an admin creates facilities, and a licence number is one facility's.
    form = {"name_ar": "عيادة", "name_en": "Clinic", "kind": "clinic", "licence_number": "LIC-1"}
    assert (await intake.http.post("/v1/facilities", headers=staff, json=form)).status_code == 403
    assert (await intake.http.post("/v1/facilities", headers=intake.staff("admin"), json=form)).status_code == 201
    again = await intake.http.post("/v1/facilities", headers=intake.staff("admin"), json=form)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "facility.licence_taken")
    assert other_id != facility_id


async def test_one_practitioner_is_added_and_removed_by_registration_number(intake: Intake) -> None:
    facility_id, staff = await facility(intake)
    (number,) = await registrations(intake, 1)
    roster = f"/v1/facilities/{facility_id}/roster"
    added = await intake.http.post(roster, headers=staff, json={"registration_number": number.lower()})
    assert added.status_code == 201, added.text
    assert (added.json()["registration_number"], added.json()["status"]) == (number, "active")

    unknown = registration_number(9_999_998)
    for bad, code in ((unknown, "roster.unknown_registration"), ("RG-12", "roster.number_invalid")):
        answer = await intake.http.post(roster, headers=staff, json={"registration_number": bad})
        assert (answer.status_code, answer.json()["error"]["code"]) == (422, code)

    assert (await intake.http.delete(f"{roster}/{number}", headers=staff)).status_code == 204
    gone = await intake.http.delete(f"{roster}/{number}", headers=staff)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "roster.not_on_roster")
    assert (await intake.http.get(roster, headers=staff)).json()["items"] == []


def roster_file(numbers: list[str], bad: list[bytes]) -> tuple[bytes, dict[int, str]]:
    """A CSV with every good number and the bad lines spread among them; the bad lines' numbers and codes."""
    lines = [b"registration_number,employee_number"]
    expected: dict[int, str] = {}
    codes = iter(
        [
            "roster.number_invalid",
            "roster.unknown_registration",
            "roster.duplicate_row",
            "roster.number_missing",
            "roster.row_unreadable",
            "roster.row_unreadable",
        ]
    )
    for index, number in enumerate(numbers):
        lines.append(f"{number},E-{index}".encode())
        if index % 900 == 450 and bad:
            lines.append(bad.pop(0))
            expected[len(lines)] = next(codes)
    return b"\r\n".join(lines) + b"\r\n", expected


async def test_a_roster_of_5000_is_uploaded_checked_line_by_line_and_once(intake: Intake) -> None:
    facility_id, staff = await facility(intake)
    numbers = await registrations(intake, 4990)
    numbers += await registrations(intake, 6, status="suspended")
    lapsed = await registrations(intake, 4, status="lapsed")
    numbers += lapsed
    assert len(numbers) == 5000
    bad = [
        b"RG-00000019,E-x",  # check digit wrong
        registration_number(9_999_997).encode() + b",E-y",  # well formed, not in the registry
        numbers[3].encode() + b",E-dup",
        b",E-none",
        b"\xff\xfe\xfd,E-bytes",
        b'"RG-0000001,E-open',
    ]
    body, expected = roster_file(numbers, bad)
    upload = f"/v1/facilities/{facility_id}/roster/uploads"

    async def chunks() -> AsyncIterator[bytes]:  # streamed, in pieces that cut lines in two
        for start in range(0, len(body), 4093):
            yield body[start : start + 4093]

    answer = await intake.http.post(upload, headers={**staff, "content-type": "text/csv"}, content=chunks())
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["accepted"], report["added"], report["already_on_roster"]) == (5000, 5000, 0)
    assert {r["line"]: r["code"] for r in report["refused"]} == expected
    assert report["refused_count"] == 6 and report["repeated"] is False

    # The same file again: the first report, nothing changed — not even a practitioner removed since.
    roster = f"/v1/facilities/{facility_id}/roster"
    assert (await intake.http.delete(f"{roster}/{numbers[0]}", headers=staff)).status_code == 204
    again = await intake.http.post(upload, headers={**staff, "content-type": "text/csv"}, content=body)
    assert again.json() == {**report, "repeated": True}
    assert await intake.db["intake.facility_roster"].count_documents({"facility_id": facility_id}) == 4999

    # Page by page, in number order, each with its status; at a glance; as CSV.
    seen: list[dict[str, object]] = []
    after: str | None = None
    while True:
        params = {"limit": 500} | ({"after": after} if after else {})
        page = (await intake.http.get(roster, headers=staff, params=params)).json()
        seen += page["items"]
        after = page["next_after"]
        if after is None:
            break
    assert [item["registration_number"] for item in seen] == sorted(numbers[1:])
    statuses = {item["registration_number"]: item["status"] for item in seen}
    assert {statuses[n] for n in lapsed} == {"lapsed"}
    summary = (await intake.http.get(f"{roster}/summary", headers=staff)).json()
    assert summary["practitioners"] == 4999
    assert (summary["by_status"]["active"], summary["by_status"]["suspended"], summary["by_status"]["lapsed"]) == (
        4989,
        6,
        4,
    )
    export = await intake.http.get(f"/v1/facilities/{facility_id}/roster.csv", headers=staff)
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 4999
    assert {row["registration_number"]: row["status"] for row in rows} == statuses


async def test_a_roster_file_without_a_header_or_too_large_is_refused_whole(intake: Intake) -> None:
    facility_id, staff = await facility(intake)
    upload = f"/v1/facilities/{facility_id}/roster/uploads"
    headers = {**staff, "content-type": "text/csv"}
    (number,) = await registrations(intake, 1)
    answer = await intake.http.post(upload, headers=headers, content=f"{number}\n".encode())
    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "roster.header_missing")
    huge = b"registration_number\n" + (number.encode() + b"\n") * 60_000
    answer = await intake.http.post(upload, headers=headers, content=huge)
    assert (answer.status_code, answer.json()["error"]["code"]) == (413, "roster.file_too_large")
    assert await intake.db["intake.facility_roster"].count_documents({"facility_id": facility_id}) == 0
