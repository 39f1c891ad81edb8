"""Documents: what a file is, judged from its bytes (never its name or declared type), where it is
kept (GridFS bucket `files`, shared by intake, validator and review), and how a PDF page is drawn
(for the validator's checks and the reviewer console alike)."""

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import pypdfium2 as pdfium
from bson import Binary, ObjectId
from gridfs import DEFAULT_CHUNK_SIZE, AsyncGridFSBucket
from PIL import Image
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from mumaris.clock import now
from mumaris.mongo import Insertion

DocumentType = Literal["pdf", "jpeg"]
CONTENT_TYPES: dict[DocumentType, str] = {"pdf": "application/pdf", "jpeg": "image/jpeg"}
BUCKET = "files"


_SIGNATURES: dict[DocumentType, bytes] = {"pdf": b"%PDF-", "jpeg": b"\xff\xd8\xff"}


def sniff_type(head: bytes) -> DocumentType | None:
    """The document type from the first bytes; the signature must sit at offset 0.

    Readers that look for "%PDF-" anywhere in the first kilobyte are how polyglots work, so
    anything in front of the signature means "not a document we accept"."""
    for document_type, signature in _SIGNATURES.items():
        if head.startswith(signature):
            return document_type
    return None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class StagedFile:
    """A new file as the GridFS documents that will hold it, not written yet."""

    file_id: str
    insertions: list[Insertion]


class FileStore:
    """Documents in GridFS (bucket `files`)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db
        self.bucket = AsyncGridFSBucket(db, bucket_name=BUCKET)
        self.files = db[f"{BUCKET}.files"]
        self.chunks = db[f"{BUCKET}.chunks"]

    def staged(self, filename: str, data: bytes, metadata: dict[str, Any]) -> StagedFile:
        """The file's GridFS documents (its chunks, then its files document, as GridFS writes them),
        to insert in the transaction of the record that names it: the file exists exactly when
        its record does, and costs no round trip of its own (`UnitOfWork.insert_all`)."""
        file_id = ObjectId()
        chunks = [
            Insertion(
                self.chunks,
                {"_id": ObjectId(), "files_id": file_id, "n": n, "data": Binary(data[at : at + DEFAULT_CHUNK_SIZE])},
            )
            for n, at in enumerate(range(0, len(data), DEFAULT_CHUNK_SIZE))
        ]
        meta = {
            "_id": file_id,
            "length": len(data),
            "chunkSize": DEFAULT_CHUNK_SIZE,
            "uploadDate": now(),
            "filename": filename,
            "metadata": metadata,
        }
        return StagedFile(str(file_id), [*chunks, Insertion(self.files, meta)])

    async def ensure_indexes(self) -> None:
        """The indexes GridFS needs, created once at start-up (see `put`)."""
        await self.db[f"{BUCKET}.files"].create_index([("filename", ASCENDING), ("uploadDate", ASCENDING)])
        await self.db[f"{BUCKET}.chunks"].create_index([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)

    async def put(self, filename: str, data: bytes, metadata: dict[str, Any]) -> str:
        stream = self.bucket.open_upload_stream(filename, metadata=metadata)
        # PyMongo checks the GridFS indexes before every file with an unfiltered find_one on both
        # collections; the local SecantusDB answers that by decoding the whole collection, which
        # makes each upload slower than the last. The indexes exist (ensure_indexes), so skip it.
        object.__setattr__(stream, "_ensured_index", True)
        async with stream:
            await stream.write(data)
        return str(stream._id)

    async def get(self, file_id: str) -> bytes:
        stream = await self.bucket.open_download_stream(ObjectId(file_id))
        return await stream.read()

    async def stream(self, file_id: str) -> AsyncIterator[bytes]:
        """The file chunk by chunk (GridFS chunks, 255 KiB), so a download never sits whole in memory."""
        download = await self.bucket.open_download_stream(ObjectId(file_id))
        try:
            while chunk := await download.readchunk():
                yield chunk
        finally:
            await download.close()

    async def delete(self, file_id: str) -> None:
        await self.bucket.delete(ObjectId(file_id))


def render_pdf_page(page: pdfium.PdfPage, scale: float, *, grey: bool = False) -> Image.Image:
    """`page` drawn at `scale` (pixels per point), in grey or in colour, as an image of its own.
    pdfium is not thread-safe: the caller holds its lock around this, as around all pdfium work."""
    bitmap = page.render(scale=scale, grayscale=grey)
    try:
        image: Image.Image = bitmap.to_pil().convert("L" if grey else "RGB")  # a copy: the buffer goes with the bitmap
    finally:
        bitmap.close()
    return image
