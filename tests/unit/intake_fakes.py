"""In-memory stand-ins for intake's stores, files and sessions, for the unit tests of its use cases
(no broker, no database). Each keeps the promise of the real store that a use case relies on:
unique e-mail and ID number, one open classification request per practitioner (both as
DuplicateKeyError), a projection that applies each step by the area's own rule, a refresh token
used once. The real stores are proven on the real stack (tests/integration, tests/e2e)."""

from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest
from pymongo.errors import DuplicateKeyError

from mumaris.errors import Refusal
from mumaris.files import StagedFile
from schemas.classifications import ExamResult
from services.intake.accounts.store import token_digest
from services.intake.classification.rules import RequestProjection, RequestStep, Stage, project_request
from services.intake.classification.store import UnknownRequest
from services.intake.submissions.rules import PENDING, Projection, Status, Step, project
from services.intake.submissions.store import UnknownSubmission
from tests.fakes import FakeInsertion

Doc = dict[str, Any]
R = TypeVar("R", bound=Refusal)


async def refused(kind: type[R], call: Awaitable[object]) -> R:
    """The refusal of kind `kind` that `call` raises (the test fails if it raises none)."""
    with pytest.raises(kind) as caught:
        await call
    return caught.value


def _matches(doc: Doc, expect: Doc | None) -> bool:
    return all(doc.get(key) == value for key, value in (expect or {}).items())


class FakeFiles:
    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes, Doc]] = {}
        self.staged_count = 0

    async def put(self, filename: str, data: bytes, metadata: Doc | None = None) -> str:
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = (filename, data, metadata or {})
        return file_id

    def staged(self, filename: str, data: bytes, metadata: Doc | None = None) -> StagedFile:
        """The file, kept once the unit of work inserts it (`insert_all`)."""
        self.staged_count += 1
        file_id = f"staged-file-{self.staged_count}"

        async def keep(session: Any) -> None:
            self.files[file_id] = (filename, data, metadata or {})

        return StagedFile(file_id, [keep])  # type: ignore[list-item]

    async def get(self, file_id: str) -> bytes:
        return self.files[file_id][1]

    async def delete(self, file_id: str) -> None:
        self.files.pop(file_id, None)


class FakeAccountStore:
    def __init__(self) -> None:
        self.accounts: dict[str, Doc] = {}
        self.refresh_tokens: dict[str, Doc] = {}
        self.login_failures: dict[str, list[datetime]] = {}
        self.reset_requests: dict[str, list[datetime]] = {}
        self.profile_changes: dict[str, Doc] = {}
        self.membership = 0

    async def insert(self, account: Doc, session: Any) -> None:
        for other in self.accounts.values():
            for field in ("id_number", "email"):
                if other[field] == account[field]:
                    raise DuplicateKeyError(f"E11000 one_account_per_{field}", 11000, {"keyPattern": {field: 1}})
        self.accounts[account["_id"]] = dict(account)

    async def get(self, account_id: str, session: Any = None) -> Doc | None:
        return self.accounts.get(account_id)

    async def by_email(self, email: str) -> Doc | None:
        return next((a for a in self.accounts.values() if a["email"] == email), None)

    async def update(self, account_id: str, changes: Doc, session: Any = None, expect: Doc | None = None) -> bool:
        account = self.accounts.get(account_id)
        if account is None or not _matches(account, expect):
            return False
        account.update(changes)
        return True

    async def next_membership_number(self, session: Any) -> int:
        self.membership += 1
        return self.membership

    async def failures(self, key: str, since: datetime) -> list[datetime]:
        return [at for at in self.login_failures.get(key, []) if at >= since]

    async def record_failure(self, key: str, at: datetime, keep: int) -> None:
        self.login_failures[key] = [*self.login_failures.get(key, []), at][-keep:]

    async def clear_failures(self, key: str) -> None:
        self.login_failures.pop(key, None)

    async def reset_requests_since(self, key: str, since: datetime) -> list[datetime]:
        return [at for at in self.reset_requests.get(key, []) if at >= since]

    async def record_reset_request(self, key: str, at: datetime, keep: int) -> None:
        self.reset_requests[key] = [*self.reset_requests.get(key, []), at][-keep:]

    async def store_refresh(self, token: str, account_id: str, family: str, now: datetime, ttl_s: int) -> None:
        self.refresh_tokens[token_digest(token)] = {
            "account_id": account_id,
            "family": family,
            "expires_at": now + timedelta(seconds=ttl_s),
            "used": False,
            "revoked": False,
        }

    async def use_refresh(self, token: str) -> tuple[Doc | None, bool]:
        record = self.refresh_tokens.get(token_digest(token))
        if record is None:
            return None, False
        first_use = not record["used"] and not record["revoked"]
        record["used"] = True
        return record, first_use

    async def open_change(self, account_id: str) -> Doc | None:
        return next((c for c in self.profile_changes.values() if c["account_id"] == account_id and c["open"]), None)

    async def add_change(self, change: Doc, session: Any) -> None:
        self.profile_changes[change["_id"]] = dict(change)

    async def set_change_status(self, change_id: str, status: str, session: Any, **fields: Any) -> Doc | None:
        change = self.profile_changes.get(change_id)
        if change is None or not change["open"]:
            return None
        change.update(status=status, **fields)
        return change


class FakeSessions:
    """SignInSessions as the use cases see it: which sessions ended, and why."""

    def __init__(self, store: FakeAccountStore) -> None:
        self.store = store
        self.ended: list[tuple[str, str]] = []

    async def end(self, family: str, reason: str) -> None:
        for record in self.store.refresh_tokens.values():
            if record["family"] == family:
                record["revoked"] = True
        self.ended.append((family, reason))

    async def end_all(self, account_id: str, reason: str) -> set[str]:
        families = {r["family"] for r in self.store.refresh_tokens.values() if r["account_id"] == account_id}
        for family in sorted(families):
            await self.end(family, reason)
        return families


class FakeSubmissionStore:
    """Submissions as the real store writes them; `steps` keeps each one's timeline as Steps."""

    def __init__(self) -> None:
        self.docs: dict[str, Doc] = {}
        self.steps: dict[str, tuple[Step, ...]] = {}

    async def insert(self, doc: Doc, session: Any) -> None:
        self.docs[doc["_id"]] = dict(doc)
        self.steps[doc["_id"]] = tuple(Step(Status(s["status"]), s["at"]) for s in doc["timeline"])

    def insertion(self, doc: Doc) -> FakeInsertion:
        return lambda session: self.insert(doc, session)  # looked up when inserted: a test may replace `insert`

    async def pending_with_file(self, practitioner_id: str, sha256: str) -> str | None:
        return next(
            (
                d["_id"]
                for d in self.docs.values()
                if d["practitioner_id"] == practitioner_id
                and d["kind"] != "classification_document"
                and d["file"]["sha256"] == sha256
                and Status(d["status"]) in PENDING
            ),
            None,
        )

    async def get(self, submission_id: str, session: Any = None) -> Doc | None:
        return self.docs.get(submission_id)

    async def link_resubmission(self, previous_id: str, resubmission_id: str, session: Any) -> bool:
        previous = self.docs.get(previous_id)
        if previous is None or previous["status"] != Status.CHANGES_REQUESTED or "superseded_by" in previous:
            return False
        previous["superseded_by"] = resubmission_id
        return True

    async def list_for(self, practitioner_id: str, limit: int = 50) -> list[Doc]:
        mine = [d for d in self.docs.values() if d["practitioner_id"] == practitioner_id]
        return [d for d in mine if d["kind"] != "classification_document"][:limit]

    async def get_many(self, submission_ids: list[str]) -> dict[str, Doc]:
        return {i: self.docs[i] for i in submission_ids if i in self.docs}

    async def record_step(self, submission_id: str, step: Step, session: Any, extra: Doc | None = None) -> bool:
        if submission_id not in self.docs:
            raise UnknownSubmission(submission_id)
        doc = self.docs[submission_id]
        updated = project(Projection(Status(doc["status"]), self.steps[submission_id]), step)
        if updated is None:
            return False
        self.steps[submission_id] = updated.timeline
        doc.update(status=updated.status.value, **(extra or {}))
        return True

    def timeline(self, submission_id: str) -> list[str]:
        return [step.status.value for step in self.steps[submission_id]]


class FakeClassificationStore:
    def __init__(self) -> None:
        self.requests: dict[str, Doc] = {}
        self.steps: dict[str, tuple[RequestStep, ...]] = {}
        self.open_markers: dict[str, str] = {}  # practitioner id -> open request id
        self.exam_results: dict[str, Doc] = {}

    async def save_exam_result(self, result: Doc, session: Any) -> None:
        self.exam_results[result["_id"]] = dict(result)

    async def exam_results_of(self, candidate_ref: str, exams: list[str]) -> list[ExamResult]:
        found = self.exam_results.values()
        return [
            ExamResult(r["exam"], r["passed"])
            for r in found
            if r["candidate_ref"] == candidate_ref and r["exam"] in exams
        ]

    async def open_request_id(self, practitioner_id: str, session: Any = None) -> str | None:
        return self.open_markers.get(practitioner_id)

    async def insert(self, doc: Doc, session: Any) -> None:
        if doc["practitioner_id"] in self.open_markers:
            raise DuplicateKeyError("E11000 intake.classification_open", 11000)
        self.open_markers[doc["practitioner_id"]] = doc["_id"]
        self.requests[doc["_id"]] = dict(doc)
        self.steps[doc["_id"]] = tuple(RequestStep(Stage(s["status"]), s["at"]) for s in doc["timeline"])

    async def get(self, request_id: str, session: Any = None) -> Doc | None:
        return self.requests.get(request_id)

    async def list_for(self, practitioner_id: str, limit: int = 50) -> list[Doc]:
        return [d for d in self.requests.values() if d["practitioner_id"] == practitioner_id][:limit]

    async def record_step(self, request_id: str, step: RequestStep, session: Any, extra: Doc | None = None) -> bool:
        if request_id not in self.requests:
            raise UnknownRequest(request_id)
        doc = self.requests[request_id]
        before = RequestProjection(Stage(doc["status"]), self.steps[request_id])
        after = project_request(before, step)
        if after is None:
            return False
        self.steps[request_id] = after.timeline
        doc.update(status=after.status.value, **(extra or {}))
        if after.closed and not before.closed:
            self.open_markers.pop(doc["practitioner_id"], None)
        return True
