"""The validator's rules for an uploaded certificate scan: plain functions over the bytes, no I/O.

Files are hostile until proven otherwise. The type comes from the bytes (never from a name or a
declared content type), every parser runs behind a guard, and a hostile file always becomes a
failing `Finding` with a stable code, never an exception.
"""

import io
import zipfile
from collections.abc import Callable, Iterator

from PIL import Image
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from mumaris.errors import localized
from mumaris.files import DocumentType, sniff_type
from schemas.events import Finding


# Dictionary keys that make a PDF do something by itself: scripts (/JS, the /JavaScript name
# tree, XFA forms), automatic triggers (/AA), carried payloads (/EmbeddedFiles, a file
# specification's /EF stream, rich media). A certificate scan needs none of them.
_ACTIVE_PDF_KEYS = frozenset({"/JS", "/JavaScript", "/AA", "/XFA", "/EmbeddedFiles", "/EF", "/RichMediaContent"})
# Action types (the /S entry) that run code, start programs or send data out of the document.
# Plain navigation (/GoTo, /URI, a destination array as /OpenAction) stays allowed.
_ACTIVE_PDF_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/RichMediaExecute"}
)
# A real certificate has a few hundred objects; the cap bounds the work a crafted file can cause
# (object streams are compressed, so the byte limit alone does not bound the object count).
_MAX_PDF_OBJECTS = 100_000

_Rule = tuple[str, Callable[[], str | None]]


def check_document(
    data: bytes,
    *,
    max_bytes: int,
    max_pdf_pages: int = 20,
    max_pixels: int = 40_000_000,
) -> list[Finding]:
    """One finding per rule that ran, in order, up to and including the first failure.

    Every rule is a gate: each later rule relies on the earlier ones (a parser only ever sees a
    file of an allowed size and type).
    """
    rules: list[_Rule] = [
        ("file.size", lambda: _size_problem(data, max_bytes)),
        ("file.type", lambda: _type_problem(data)),
        ("file.parse", lambda: _parse_problem(data, max_pdf_pages=max_pdf_pages, max_pixels=max_pixels)),
    ]
    findings: list[Finding] = []
    for rule, find_problem in rules:
        code = find_problem()
        findings.append(_finding(rule, code))
        if code is not None:
            break
    return findings


def passed(findings: list[Finding]) -> bool:
    """True when no finding failed (warnings do not stop a submission)."""
    return all(finding.outcome != "fail" for finding in findings)


def _finding(rule: str, code: str | None) -> Finding:
    if code is None:
        return Finding(rule=rule, outcome="pass")
    return Finding(rule=rule, outcome="fail", code=code, message=localized(code))


# --- file.size ------------------------------------------------------------------------------


def _size_problem(data: bytes, max_bytes: int) -> str | None:
    if not data:
        return "file.empty"
    if len(data) > max_bytes:
        return "file.too_large"
    return None


# --- file.type ------------------------------------------------------------------------------


def _type_problem(data: bytes) -> str | None:
    if sniff_type(data) is None or _carries_zip_archive(data):
        return "file.unsupported_type"
    return None


def _carries_zip_archive(data: bytes) -> bool:
    """Whether a ZIP archive hides in the file (a PDF or JPEG with an archive appended).

    zipfile finds an archive wherever it starts; requiring a readable central directory with at
    least one entry keeps a stray "PK" signature inside image data from counting.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return bool(archive.infolist())
    except Exception:  # noqa: BLE001 - anything zipfile cannot read is not an archive
        return False


# --- file.parse -----------------------------------------------------------------------------


def _parse_problem(data: bytes, *, max_pdf_pages: int, max_pixels: int) -> str | None:
    match sniff_type(data):
        case "jpeg":
            return _jpeg_problem(data, max_pixels)
        case "pdf":
            return _pdf_problem(data, max_pdf_pages)
        case _:
            return "file.unsupported_type"


def _jpeg_problem(data: bytes, max_pixels: int) -> str | None:
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            # open() reads only the header: refuse huge dimensions before any pixel is decoded,
            # with our own limit rather than Pillow's process-wide MAX_IMAGE_PIXELS.
            width, height = image.size
            if width * height > max_pixels:
                return "file.image_too_large"
            # A full decode: verify() does not decode the scan data, so it misses truncation.
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's global guard fired while opening, before ours could (the warning only
        # arrives here when warnings are turned into errors).
        return "file.image_too_large"
    except Exception:  # noqa: BLE001 - a hostile file must become a finding, never an exception
        return "file.corrupt"
    return None


def _pdf_problem(data: bytes, max_pages: int) -> str | None:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except (DependencyError, FileNotDecryptedError):
        # While opening, pypdf only needs a crypto library (AES) or a password for an encrypted file.
        return "file.pdf_encrypted"
    except Exception:  # noqa: BLE001
        return "file.corrupt"
    try:
        if reader.is_encrypted:
            return "file.pdf_encrypted"
        if not 1 <= len(reader.pages) <= max_pages:
            return "file.pdf_page_count"
        if _has_active_content(reader.root_object):
            return "file.pdf_active_content"
    except Exception:  # noqa: BLE001 - pypdf resolves objects lazily, so errors surface here too
        return "file.corrupt"
    return None


def _has_active_content(catalog: DictionaryObject) -> bool:
    """Whether anything reachable from the document catalog can act on its own.

    Scripts hide in many places (the /OpenAction, a /Next chain, a link annotation, a form
    field, a page's /AA), so every reachable object is inspected rather than a list of spots.
    """
    return any(_is_active(dictionary) for dictionary in _reachable_dictionaries(catalog))


def _is_active(dictionary: DictionaryObject) -> bool:
    if not _ACTIVE_PDF_KEYS.isdisjoint(dictionary.keys()):
        return True
    action_type = dictionary.get("/S")
    return action_type is not None and action_type.get_object() in _ACTIVE_PDF_ACTIONS


def _reachable_dictionaries(root: DictionaryObject) -> Iterator[DictionaryObject]:
    """Every dictionary (streams included) reachable from `root`, each indirect object once.

    Iterative, because a crafted file can nest deeper than Python's recursion limit.
    """
    visited: set[tuple[int, int]] = set()
    pending: list[PdfObject] = [root]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            reference = (item.idnum, item.generation)
            if reference in visited:
                continue
            visited.add(reference)
            if len(visited) > _MAX_PDF_OBJECTS:
                raise ValueError("too many PDF objects to inspect")
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            yield item
            # dict.values() keeps references unresolved, so the visited set sees every one.
            pending.extend(item.values())
        elif isinstance(item, ArrayObject):
            pending.extend(item)
