"""Documents: what a file is, judged from its bytes (never its name or declared type), and where
it is kept (GridFS bucket `files`, shared by intake, validator and review)."""

import hashlib
from typing import Any, Literal

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase
from gridfs import AsyncGridFSBucket

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


def bucket(db: AsyncDatabase[dict[str, Any]]) -> AsyncGridFSBucket:
    return AsyncGridFSBucket(db, bucket_name=BUCKET)


async def read_file(db: AsyncDatabase[dict[str, Any]], file_id: str) -> bytes:
    stream = await bucket(db).open_download_stream(ObjectId(file_id))
    return await stream.read()
