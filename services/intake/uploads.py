"""Reading multipart uploads safely: the body's size is enforced while it streams in, a file's
type comes from its bytes, a JSON form field is parsed into its model. A service-level module: the
routes of submissions/ and classification/ share it, and the feed the file-name rule."""

import json
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException

from mumaris.errors import ApiError
from mumaris.files import CONTENT_TYPES, DocumentType, sniff_type
from mumaris.http import allow_larger_body
from services.intake.submissions.rules import Attachment

M = TypeVar("M", bound=BaseModel)

# Room for the multipart boundaries and the non-file fields around the files themselves.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
MAX_FIELD_BYTES = 64 * 1024
ACCEPTED_TYPES = ["application/pdf", "image/jpeg"]


async def read_form(request: Request, *, max_file_bytes: int, max_files: int, max_fields: int = 4) -> FormData:
    """The multipart form, with at most `max_files` files of `max_file_bytes` each: the whole body
    may not exceed their sum plus the multipart overhead (RequestBodyLimit checks the declared
    length first, then counts while the body streams in, so an oversized upload is never read or
    spooled in full). The refusal names the per-file limit, the one number a practitioner can act on."""
    body_limit = max_file_bytes * max_files + MULTIPART_OVERHEAD_BYTES
    allow_larger_body(request, body_limit, ApiError(413, "file.too_large", {"max_bytes": max_file_bytes}))
    try:
        return await request.form(max_files=max_files, max_fields=max_fields, max_part_size=MAX_FIELD_BYTES)
    except MultiPartException as exc:
        raise ApiError(400, "request.invalid", {"problem": exc.message}) from exc


def form_json(raw: str | UploadFile | None, model: type[M], *, field: str, code: str) -> M:
    """The form field `field` (JSON text) as `model`; refused with 422 `code` and one
    `{field, problem}` per problem when it is missing, not JSON or not the model."""
    if not isinstance(raw, str):
        raise ApiError(422, code, [{"field": field, "problem": "missing"}])
    try:
        return model.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise ApiError(422, code, [{"field": field, "problem": "not JSON"}]) from exc
    except ValidationError as exc:
        details = [{"field": ".".join(map(str, e["loc"])), "problem": e["msg"]} for e in exc.errors()]
        raise ApiError(422, code, details) from exc


async def read_attachment(upload: UploadFile, max_bytes: int) -> Attachment:
    """One attached file that passed the upload checks: size, emptiness, type from the bytes."""
    data = await read_file(upload, max_bytes)
    return Attachment(safe_filename(upload.filename), data, CONTENT_TYPES[document_type_of(data)])


async def read_file(upload: UploadFile, max_bytes: int) -> bytes:
    """One file's bytes; each file of a multi-file form keeps the per-file limit."""
    data = await upload.read()
    if len(data) > max_bytes:
        raise ApiError(413, "file.too_large", {"max_bytes": max_bytes})
    return data


def document_type_of(data: bytes) -> DocumentType:
    """PDF or JPEG, judged from the signature at offset 0 (names and declared types are ignored)."""
    if not data:
        raise ApiError(400, "file.empty")
    doc_type = sniff_type(data[:16])
    if doc_type is None:
        raise ApiError(415, "file.unsupported_type", {"accepted": ACCEPTED_TYPES})
    return doc_type


def safe_filename(name: str | None) -> str:
    base = (name or "document").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return cleaned[:120] or "document"
