"""The facilities' use cases: an admin creates a facility and its staff accounts; the facility's
staff keep its roster (one practitioner at a time, or a CSV file of thousands), read its status
at a glance and export it.

A roster upload is read as it streams: each line is parsed and checked as it arrives (rules.py),
its numbers asked of the registry a batch at a time, and only the good lines are kept (in memory:
numbers, at most `roster_upload_max_rows`). Once the whole file is read, its SHA-256 says whether
this facility uploaded the very same file before: then the earlier report is the answer and
nothing changes; otherwise the good rows join the roster (those already on it stay as they were)
and the report is recorded. A crash half-way leaves some rows added and no report: the same file
sent again adds the rest.
"""

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from mumaris.clock import RegistryClock, now
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from services.intake.accounts import rules as account_rules
from services.intake.accounts.service import new_account, taken
from services.intake.accounts.store import AccountStore
from services.intake.facilities import rules
from services.intake.facilities.rules import FacilityRefused, Header, Row, RowChecks, RowRefusal
from services.intake.facilities.store import Doc, FacilityStore
from services.intake.register.rules import names_of
from services.intake.registration.rules import Calendar, Status, days_left, status_on
from services.intake.registration.store import as_day

CHECK_BATCH = 500  # numbers asked of the registry at once while a file streams


@dataclass
class UploadReport:
    """What a roster upload did: lines read, rows added, already on the roster, and each refused line."""

    upload_id: str
    lines: int = 0
    accepted: int = 0
    added: int = 0
    already_on_roster: int = 0
    refused: list[RowRefusal] = field(default_factory=list)
    repeated: bool = False
    uploaded_at: datetime | None = None

    def view(self) -> dict[str, Any]:
        return {
            "upload_id": self.upload_id,
            "lines": self.lines,
            "accepted": self.accepted,
            "added": self.added,
            "already_on_roster": self.already_on_roster,
            "refused_count": len(self.refused),
            "refused": [r.view() for r in self.refused],
            "repeated": self.repeated,
            "uploaded_at": self.uploaded_at.isoformat() if self.uploaded_at else None,
        }


async def lines_of(chunks: AsyncIterable[bytes]) -> AsyncIterator[tuple[int, bytes]]:
    """The lines of a streamed body, numbered from 1, without their line breaks (LF or CRLF)."""
    pending = b""
    number = 0
    async for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            number += 1
            yield number, line.removesuffix(b"\r")
    if pending:
        yield number + 1, pending.removesuffix(b"\r")


class _Hashed:
    """A body's chunks, passed on while their SHA-256 and size are taken."""

    def __init__(self, chunks: AsyncIterable[bytes]) -> None:
        self.chunks = chunks
        self.digest = hashlib.sha256()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.chunks:
            self.digest.update(chunk)
            yield chunk


class Facilities:
    def __init__(
        self,
        uow: UnitOfWork,
        store: FacilityStore,
        accounts: AccountStore,
        settings: Settings,
        clock: RegistryClock,
        passwords: account_rules.Passwords,
    ) -> None:
        self.uow = uow
        self.store = store
        self.accounts = accounts
        self.settings = settings
        self.clock = clock
        self.passwords = passwords
        self.calendar = Calendar(settings.registration_renewal_window_days, settings.registration_grace_days)

    # --- facilities and their staff (admins) --------------------------------------------------

    async def create(self, name_ar: str, name_en: str, kind: rules.Kind, licence_number: str, by: str) -> Doc:
        doc = {
            "_id": str(uuid.uuid4()),
            "name": {"ar": name_ar.strip(), "en": name_en.strip()},
            "kind": kind.value,
            "licence_number": licence_number.strip().upper(),
            "created_by": by,
            "created_at": now(),
        }
        if not await self.store.insert_facility(doc):
            raise FacilityRefused("facility.licence_taken", {"licence_number": doc["licence_number"]})
        return doc

    async def facility(self, facility_id: str) -> Doc:
        doc = await self.store.facility(facility_id)
        if doc is None:
            raise FacilityRefused("not_found")
        return doc

    async def add_staff(self, facility_id: str, form: dict[str, Any]) -> str:
        """A staff account of the facility (role `facility`), active at once: the sign-up rules for
        names, ID number, e-mail and password; it signs in at POST /v1/auth/login."""
        await self.facility(facility_id)
        identity = account_rules.checked_identity(
            form["first_name"], form["last_name"], form["id_number"], form["email"]
        )
        password = form["password"]
        names = [identity.first_name, identity.last_name]
        account_rules.check_password(
            password, password, email=identity.email, id_number=identity.id_number, names=names
        )
        at = now()
        account = new_account(
            identity,
            mobile=None,
            locale=form["locale"],
            password_hash=await asyncio.to_thread(self.passwords.hash, password),
            role="facility",
            status="active",
            terms_version=self.settings.terms_version,
            at=at,
        )
        account["email_confirmed_at"] = at
        account["facility_id"] = facility_id

        async def work(session: AsyncClientSession) -> None:
            await self.accounts.insert(account, session)

        try:
            await self.uow.run(work)
        except DuplicateKeyError as exc:
            raise taken(exc) from exc
        return str(account["_id"])

    async def facility_of(self, account_id: str) -> str | None:
        return await self.store.facility_of(account_id)

    # --- the roster, one at a time --------------------------------------------------------------

    async def add_one(self, facility_id: str, number: str, employee_number: str | None) -> dict[str, Any]:
        """Put one practitioner on the roster (already there: unchanged); her entry with its status."""
        await self.facility(facility_id)
        checked = rules.check_number(number)
        registrations = await self.store.registrations_by_number([checked])
        if checked not in registrations:
            raise FacilityRefused("roster.unknown_registration", {"registration_number": checked})
        row = {"registration_number": checked, "employee_number": employee_number}
        await self.store.add(facility_id, [row], now(), None)
        entry = await self.store.on_roster(facility_id, checked)
        assert entry is not None
        return self.entry_view(entry, registrations[checked])

    async def remove_one(self, facility_id: str, number: str) -> None:
        await self.facility(facility_id)
        if not await self.store.remove(facility_id, rules.normalized_number(number)):
            raise FacilityRefused("roster.not_on_roster")

    # --- the roster, a file at a time -----------------------------------------------------------

    async def upload(self, facility_id: str, body: AsyncIterable[bytes]) -> UploadReport:
        """Read a roster CSV as it streams (see the module's docstring)."""
        await self.facility(facility_id)
        hashed = _Hashed(body)
        checks = RowChecks()
        refused: list[RowRefusal] = []
        good: list[Row] = []
        waiting: list[Row] = []  # checked for form, not yet asked of the registry
        header: Header | None = None
        read = 0
        async for number, raw in lines_of(hashed):
            read = number
            if header is None:
                header = rules.header_of(raw.decode("utf-8", "replace"))
                continue
            if number - 1 > self.settings.roster_upload_max_rows:
                raise FacilityRefused("roster.too_many_rows", {"most": self.settings.roster_upload_max_rows})
            row = rules.parse_csv_line(number, raw, header)
            if row is None:
                continue
            if isinstance(row, RowRefusal):
                refused.append(row)
                continue
            duplicate = checks.first_time(row)
            if duplicate is not None:
                refused.append(duplicate)
                continue
            waiting.append(row)
            if len(waiting) >= CHECK_BATCH:
                await self._ask_registry(waiting, good, refused)
                waiting = []
        if header is None:
            raise FacilityRefused("roster.header_missing", {"expected": [rules.NUMBER_COLUMN, rules.EMPLOYEE_COLUMN]})
        await self._ask_registry(waiting, good, refused)
        upload_id = f"{facility_id}:{hashed.digest.hexdigest()}"
        earlier = await self.store.upload(upload_id)
        if earlier is not None:
            return self._report_of(earlier, repeated=True)
        refused.sort(key=lambda r: r.line)
        at = now()
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # as MongoDB keeps it: both reports alike
        added = await self.store.add(
            facility_id,
            ({"registration_number": r.registration_number, "employee_number": r.employee_number} for r in good),
            at,
            upload_id,
        )
        report = UploadReport(upload_id, read, len(good), added, len(good) - added, refused, uploaded_at=at)
        await self.store.record_upload(
            {
                "_id": upload_id,
                "facility_id": facility_id,
                "lines": read,
                "accepted": report.accepted,
                "added": added,
                "already_on_roster": report.already_on_roster,
                "refused": [r.view() for r in refused],
                "uploaded_at": at,
            }
        )
        return report

    async def _ask_registry(self, rows: list[Row], good: list[Row], refused: list[RowRefusal]) -> None:
        known = await self.store.known_numbers(r.registration_number for r in rows)
        for row in rows:
            if row.registration_number in known:
                good.append(row)
            else:
                refused.append(RowRefusal(row.line, "roster.unknown_registration", row.registration_number))

    @staticmethod
    def _report_of(doc: Doc, *, repeated: bool) -> UploadReport:
        refused = [RowRefusal(int(r["line"]), str(r["code"]), r.get("value")) for r in doc["refused"]]
        return UploadReport(
            doc["_id"],
            doc["lines"],
            doc["accepted"],
            doc["added"],
            doc["already_on_roster"],
            refused,
            repeated=repeated,
            uploaded_at=doc["uploaded_at"],
        )

    # --- the roster's status ---------------------------------------------------------------------

    def entry_view(self, entry: Doc, registration: Doc | None, names: Doc | None = None) -> dict[str, Any]:
        """A roster entry with its registration's status today, the practitioner's name in both
        scripts (as her account holds them) and the flags a facility is warned of (rules.py)."""
        view: dict[str, Any] = {
            "registration_number": entry["registration_number"],
            "employee_number": entry.get("employee_number"),
            "added_at": entry["added_at"].isoformat(),
            "name": None,
            "name_ar": None,
            "name_latin": None,
            "profession": None,
            "classification": None,
            "status": rules.UNKNOWN,
            "expires_on": None,
            "days_left": None,
            "flags": rules.flags_of(rules.UNKNOWN),
        }
        if registration is None:
            return view
        expires_on = as_day(registration["expires_on"])
        today = self.clock.today()
        status = status_on(Status(registration["status"]), expires_on, today, self.calendar)
        name_ar, name_latin = names_of(names)
        view.update(
            name=registration["practitioner"]["name"],
            name_ar=name_ar,
            name_latin=name_latin,
            profession=registration["profession"],
            classification=registration["classification"],
            status=status.value,
            expires_on=expires_on.isoformat(),
            days_left=days_left(expires_on, today),
            flags=rules.flags_of(status.value),
        )
        return view

    async def _views(self, entries: list[Doc]) -> list[dict[str, Any]]:
        registrations = await self.store.registrations_by_number(e["registration_number"] for e in entries)
        names = await self.store.names(r["_id"] for r in registrations.values())
        views = []
        for entry in entries:
            registration = registrations.get(entry["registration_number"])
            views.append(self.entry_view(entry, registration, names.get(registration["_id"]) if registration else None))
        return views

    async def roster_page(self, facility_id: str, after: str | None, limit: int) -> dict[str, Any]:
        await self.facility(facility_id)
        items = await self._views(await self.store.page(facility_id, after, limit))
        following = items[-1]["registration_number"] if len(items) == limit else None
        return {"facility_id": facility_id, "items": items, "next_after": following}

    async def filtered_page(self, facility_id: str, shown: str, after: str | None, limit: int) -> dict[str, Any]:
        """A page of the entries a filter shows (rules.shown_by), in number order after `after`:
        the roster is read a batch at a time until the page is full (a status is today's, so it
        is worked out here, not kept to be queried)."""
        if shown == "all":
            return await self.roster_page(facility_id, after, limit)
        await self.facility(facility_id)
        items: list[dict[str, Any]] = []
        async for batch in self.store.walk(facility_id, after=after):
            for view in await self._views(batch):
                if rules.shown_by(shown, view["flags"]):
                    items.append(view)
                    if len(items) == limit:
                        return {"facility_id": facility_id, "items": items, "next_after": view["registration_number"]}
        return {"facility_id": facility_id, "items": items, "next_after": None}

    async def entries(self, facility_id: str) -> AsyncIterator[dict[str, Any]]:
        """Every roster entry with its registration's status, in number order (export, summary)."""
        async for batch in self.store.walk(facility_id):
            for view in await self._views(batch):
                yield view

    async def summary(self, facility_id: str) -> dict[str, Any]:
        """The roster at a glance: how many practitioners, how many in each status, and who needs
        attention first (suspended, lapsed, in grace, renewal open, unknown)."""
        await self.facility(facility_id)
        counts: dict[str, int] = {status.value: 0 for status in Status} | {rules.UNKNOWN: 0}
        total = 0
        async for entry in self.entries(facility_id):
            total += 1
            counts[entry["status"]] += 1
        return {
            "facility_id": facility_id,
            "practitioners": total,
            "by_status": counts,
            "as_of": self.clock.today().isoformat(),
        }
