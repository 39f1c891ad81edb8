"""The documents of gov.certificates records: files the publisher put in GridFS, checked from their
bytes, and files fetched from allow-listed URLs, held to the upload size limit while they stream in
and stored in GridFS before they are used like a file id. Files are hostile here as everywhere."""

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import httpx
from bson import ObjectId
from bson.errors import InvalidId

from mumaris.files import CONTENT_TYPES, FileStore, sha256_hex, sniff_type
from mumaris.settings import Settings
from schemas.events import StoredFile
from services.intake.feed.rules import Refusal, RefusalCode
from services.intake.feed.store import one_batch
from services.intake.uploads import safe_filename

log = logging.getLogger("mumaris.intake.feed")
CHECKED_FILES_KEPT = 4096


def stored_file(file_id: str, filename: str, data: bytes) -> StoredFile | Refusal:
    """The document as a submission carries it, when its bytes are a PDF or JPEG within bounds."""
    if not data:
        return Refusal(RefusalCode.DOCUMENT_INVALID, "empty")
    document_type = sniff_type(data[:16])
    if document_type is None:
        return Refusal(RefusalCode.DOCUMENT_INVALID, "not a PDF or JPEG")
    return StoredFile(
        file_id=file_id,
        filename=filename,
        size=len(data),
        sha256=sha256_hex(data),
        content_type=CONTENT_TYPES[document_type],
    )


class FeedDocuments:
    def __init__(self, files: FileStore, settings: Settings) -> None:
        self.files = files
        self.files_meta = files.db["files.files"]
        self.max_bytes = settings.max_upload_bytes
        self.timeout_s = settings.feed_url_timeout_s
        self.fetch_slots = asyncio.Semaphore(max(1, settings.feed_url_fetch_concurrency))
        self._http: httpx.AsyncClient | None = None
        # The most recently named GridFS files, checked: (id, length, upload time) → the outcome.
        self._seen: OrderedDict[tuple[str, Any, Any], StoredFile | Refusal] = OrderedDict()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    # --- files the publisher put in GridFS ------------------------------------------------------

    async def check_gridfs(self, file_ids: Iterable[str]) -> dict[str, StoredFile | Refusal]:
        """Each referenced file, read once however many records of however many batches name it
        (a feed often points many records at a few files). Every batch asks whether the files are
        still there; their bytes are read and checked the first time only (`_checked`)."""
        wanted = set(file_ids)
        results: dict[str, StoredFile | Refusal] = {}
        object_ids: dict[ObjectId, str] = {}
        for file_id in wanted:
            try:
                object_ids[ObjectId(file_id)] = file_id
            except (InvalidId, TypeError):
                results[file_id] = Refusal(RefusalCode.DOCUMENT_INVALID, "not a GridFS file id")
        found = (
            {
                doc["_id"]: doc
                async for doc in one_batch(
                    self.files_meta.find(
                        {"_id": {"$in": list(object_ids)}}, {"length": 1, "filename": 1, "uploadDate": 1}
                    ),
                    len(object_ids),
                )
            }
            if object_ids
            else {}
        )
        for object_id, file_id in object_ids.items():
            meta = found.get(object_id)
            if meta is None:
                results[file_id] = Refusal(RefusalCode.DOCUMENT_INVALID, "no such file in GridFS")
            elif int(meta.get("length", 0)) > self.max_bytes:
                results[file_id] = Refusal(RefusalCode.DOCUMENT_INVALID, "larger than the upload limit")
            else:
                results[file_id] = await self._checked(file_id, meta)
        return results

    async def _checked(self, file_id: str, meta: dict[str, Any]) -> StoredFile | Refusal:
        """The file as a submission names it, from its bytes, read the first time it is named.
        GridFS has no way to change a stored file: the same id, length and upload time are the
        same bytes."""
        seen = (file_id, meta.get("length"), meta.get("uploadDate"))
        if (known := self._seen.get(seen)) is not None:
            self._seen.move_to_end(seen)
            return known
        data = await self.files.get(file_id)
        checked = stored_file(file_id, safe_filename(meta.get("filename")), data)
        self._seen[seen] = checked
        if len(self._seen) > CHECKED_FILES_KEPT:
            self._seen.popitem(last=False)
        return checked

    # --- files behind allow-listed URLs --------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            # Redirects are not followed: the allow-list names the host that serves the bytes.
            self._http = httpx.AsyncClient(follow_redirects=False, timeout=self.timeout_s)
        return self._http

    async def fetch(self, url: str) -> bytes | Refusal:
        """The body of a GET on `url`: refused past the upload size limit (checked while it
        streams in, so an oversized or endless body is never held whole) or when the whole
        exchange outlasts the timeout."""
        async with self.fetch_slots:
            try:
                async with asyncio.timeout(self.timeout_s):
                    return await self._download(url)
            except TimeoutError:
                return Refusal(RefusalCode.DOCUMENT_UNREACHABLE, f"no complete answer within {self.timeout_s:g}s")
            except httpx.HTTPError as exc:
                return Refusal(RefusalCode.DOCUMENT_UNREACHABLE, type(exc).__name__)

    async def _download(self, url: str) -> bytes | Refusal:
        too_large = Refusal(RefusalCode.DOCUMENT_INVALID, "larger than the upload limit")
        async with self._client().stream("GET", url) as response:
            if response.status_code != 200:
                return Refusal(RefusalCode.DOCUMENT_UNREACHABLE, f"HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                return too_large
            received = bytearray()
            async for chunk in response.aiter_bytes():  # decoded bytes: a gzip bomb stops here too
                received += chunk
                if len(received) > self.max_bytes:
                    return too_large
            return bytes(received)

    async def fetch_and_store(self, url: str, filename: str | None, metadata: dict[str, Any]) -> StoredFile | Refusal:
        """Fetch, check the bytes, then keep them in GridFS; a refused document is never stored."""
        data = await self.fetch(url)
        if isinstance(data, Refusal):
            return data
        name = safe_filename(filename or url.rsplit("/", 1)[-1].split("?", 1)[0])
        checked = stored_file("", name, data)
        if isinstance(checked, Refusal):
            return checked
        file_id = await self.files.put(
            name, data, metadata={**metadata, "sha256": checked.sha256, "content_type": checked.content_type}
        )
        return checked.model_copy(update={"file_id": file_id})

    async def discard(self, file_ids: Iterable[str]) -> None:
        """Fetched files no submission ended up using (the record was refused or its batch failed)."""
        for file_id in file_ids:
            try:
                await self.files.delete(file_id)
            except Exception:
                log.warning("could not delete unused feed file %s", file_id)
