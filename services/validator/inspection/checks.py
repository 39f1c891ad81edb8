"""The validator's rules for an uploaded certificate scan: plain functions over the bytes, no I/O.

Files are hostile until proven otherwise. The type comes from the bytes (never from a name or a
declared content type), every parser runs behind a guard, and a hostile file always becomes a
failing `Finding` with a stable code, never an exception.

The rules, in order:

- gates, which stop at the first failure (each later rule relies on the earlier ones):
  `file.size`, `file.type`, `file.parse` (a full JPEG decode, or the PDF's structure read by pypdf
  and its first page read by pdfium);
- clarity, where every rule runs and every failure is reported, so the practitioner learns
  everything to fix in one go: `image.resolution`, `image.exposure`, `image.contrast`,
  `image.sharpness` on the first page as it shows (a JPEG decoded, a PDF page rendered), then
  `pdf.text_layer` for a PDF whose first page carries text. A text layer proves nothing about
  what a reader sees (it may be invisible, or drawn in white, or in a font without glyphs), so a
  text PDF's rendered page must pass the same rules as a scan.

Decoding is the largest single cost, so a file is decoded once: the JPEG's header gives the
resolution, then one decode straight to grey at the smallest scale the checks need (libjpeg's DCT
scaling, Pillow's draft mode) both proves the file is intact and gives the pixels every clarity rule
measures, and the same image is handed on (`DocumentReport.page`) to the OCR and hashing steps.
A PDF's first page is rendered once by pdfium, in grey, at the same working scale.

Thresholds were calibrated against Tesseract on certificates set in real type, blurred step by step
(tests/benchmarks/validator_calibration.py): at working scale, pages it reads (word recall >= 0.9)
scored a sharpness of 197 or more, pages it cannot read (recall < 0.5) at most 122; the default
`min_sharpness` of 150 sits between.
"""

import dataclasses
import io
import itertools
import math
import threading
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from numpy.typing import NDArray
from PIL import ExifTags, Image
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NullObject,
    PdfObject,
)

from mumaris.errors import localized
from mumaris.files import DocumentType, render_pdf_page, sniff_type
from mumaris.settings import Settings
from schemas.events import Finding

WORKING_SHORT_SIDE = 850
"""Shorter side, in pixels, of the page image the clarity rules measure and the report hands on.

About A4 at 100 dpi (~1200 px on the long side). Larger uploads are reduced to it; smaller ones are
measured as they are (never enlarged: that would invent blur). The sharpness score depends on
scale, so one fixed working scale keeps one threshold meaningful for a 300 dpi scan and a small
photo alike, whatever the resolution policy (`min_short_side`) is set to.
"""

# Bounds the working image of a page with an extreme aspect ratio (a long receipt, a crafted file).
_MAX_WORKING_LONG_SIDE = 4 * WORKING_SHORT_SIDE
# Clarity is measured tile by tile and summarised by a high quantile: a certificate is mostly blank
# paper, and a global measure would call a sparse page blurry or flat while its text is crisp.
_TILE_SIDE = 64
_DETAIL_QUANTILE = 0.98
# A first page with this much text (not counting spaces) has a text layer, handed on to the
# content rules. A title alone (~25 characters) is not enough. As much text painted on the page
# (not invisible, as a scanner's OCR layer is) makes it a drawn page rather than a scan.
_MIN_TEXT_LAYER_CHARACTERS = 40
# Text render modes that paint the glyphs (3 is invisible, 7 only clips).
_PAINTING_TEXT_MODES = frozenset(
    {
        pdfium_c.FPDF_TEXTRENDERMODE_FILL,
        pdfium_c.FPDF_TEXTRENDERMODE_STROKE,
        pdfium_c.FPDF_TEXTRENDERMODE_FILL_STROKE,
        pdfium_c.FPDF_TEXTRENDERMODE_FILL_CLIP,
        pdfium_c.FPDF_TEXTRENDERMODE_STROKE_CLIP,
        pdfium_c.FPDF_TEXTRENDERMODE_FILL_STROKE_CLIP,
    }
)
_TEXT_LAYER_PAGES = 3
_MAX_TEXT_LAYER_CHARACTERS = 20_000
# Bounds the Python-side walk over a page's objects (a crafted page can hold millions of paths).
_MAX_PAGE_OBJECTS_INSPECTED = 10_000
# pdfium is not thread-safe, and the validator runs these checks in worker threads.
_PDFIUM_LOCK = threading.Lock()

# Dictionary keys that make a PDF do something by itself: a script (/JS), an XFA form, rich media.
# A certificate scan needs none of them.
_ACTIVE_PDF_KEYS = frozenset({"/JS", "/XFA", "/RichMediaContent"})
# Containers of what acts by itself: automatic triggers (/AA), the document's scripts and embedded
# files (the /JavaScript and /EmbeddedFiles name trees), a file specification's embedded files
# (/EF). They count when they hold something: an empty one (/AA << >>) does nothing.
_ACTIVE_PDF_CONTAINERS = frozenset({"/AA", "/JavaScript", "/EmbeddedFiles", "/EF"})
# Action types (the /S entry of an action) that run code, start programs or send data out of the
# document. Plain navigation (/GoTo, /URI, a destination array as /OpenAction) stays allowed.
_ACTIVE_PDF_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/RichMediaExecute"})
# Where a PDF keeps actions: the value of these keys is an action, or for /Next an array of them.
# Only in an action is /S its type; elsewhere /S is a structure type (/S /P), a page-label style,
# a transparency group or border style, or a checkbox's appearance state named "S" (a stream).
_ACTION_KEYS = frozenset({"/A", "/OpenAction", "/Next", "/PA"})
# A real certificate has a few hundred objects; the cap bounds the work a crafted file can cause
# (object streams are compressed, so the byte limit alone does not bound the object count).
_MAX_PDF_OBJECTS = 100_000

# EXIF orientation -> the transpose that makes the image upright (as PIL.ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class CheckLimits:
    """The thresholds of every rule; `from_settings` reads them from the environment."""

    max_bytes: int
    max_pdf_pages: int = 20
    max_pixels: int = 40_000_000
    min_short_side: int = 600
    min_brightness: float = 40.0
    max_brightness: float = 250.0
    min_contrast: float = 18.0
    min_sharpness: float = 150.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "CheckLimits":
        return cls(
            max_bytes=settings.max_upload_bytes,
            max_pdf_pages=settings.max_pdf_pages,
            max_pixels=settings.max_image_pixels,
            min_short_side=settings.min_short_side_px,
            min_brightness=settings.min_brightness,
            max_brightness=settings.max_brightness,
            min_contrast=settings.min_contrast,
            min_sharpness=settings.min_sharpness,
        )


@dataclass(frozen=True)
class DocumentReport:
    findings: list[Finding]
    """Every rule that ran, in order."""
    document_type: DocumentType | None
    page: Image.Image | None
    """The first page, upright, grey ("L"), at working scale; None when the file was not readable."""
    text_layer: str | None
    """The text of a PDF's first pages when its first page has a text layer; None otherwise."""


@dataclass(frozen=True)
class PageMeasures:
    brightness: float
    """Mean grey level, 0..255."""
    contrast: float
    """Standard deviation of grey levels in the most detailed tiles."""
    sharpness: float
    """Variance of the Laplacian in the most detailed tiles."""


def inspect_document(data: bytes, limits: CheckLimits) -> DocumentReport:
    """Run every rule on an upload and return what was found, plus the first page for later steps.

    Never raises: whatever the bytes are, the answer is a report.
    """
    findings: list[Finding] = []
    try:
        return _inspect(data, limits, findings)
    except Exception:
        # Unreachable by design (every parser and measure has its own guard); should our own code
        # fail anyway, the upload is refused at the parse gate with a stable code rather than
        # stopping the consumer.
        before_parse = [finding for finding in findings if finding.rule in ("file.size", "file.type")]
        failure = _finding("file.parse", "file.corrupt")
        return DocumentReport(findings=[*before_parse, failure], document_type=None, page=None, text_layer=None)


def measure_page(page: Image.Image) -> PageMeasures:
    """Brightness, contrast and sharpness of a grey page image.

    In integers (the page's levels, its Laplacian) with exact sums per tile, so the variances are
    exact and a page of a million pixels is measured in about a millisecond.
    """
    grey = np.asarray(page if page.mode == "L" else page.convert("L"))
    if grey.size == 0:
        return PageMeasures(brightness=0.0, contrast=0.0, sharpness=0.0)
    return PageMeasures(
        brightness=int(grey.sum(dtype=np.uint64)) / grey.size,
        contrast=math.sqrt(_detail_quantile(_tile_variances(grey))),
        sharpness=_detail_quantile(_tile_variances(_laplacian(grey))),
    )


def passed(findings: list[Finding]) -> bool:
    """True when no finding failed (warnings do not stop a submission)."""
    return all(finding.outcome != "fail" for finding in findings)


# --- the sequence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _FirstPage:
    """What reading the file once produced, for the clarity rules and the steps after them."""

    image: Image.Image
    scan_short_side: int | None  # pixels across the scan's shorter side; None for a drawn page
    text_layer: str | None
    text_characters: int  # on the first page, spaces not counted
    drawn_because: str | None = None  # why a PDF page is judged as drawn (no scan resolution to judge)
    measures: PageMeasures | None = None  # once measured


def fatal_file_findings(data: bytes, limits: CheckLimits, evidence: str) -> list[Finding]:
    """The findings for a file that ends the process reading it (a crash in a native decoder, say):
    the size and type gates as they are, then `file.parse` refused as corrupt with `evidence`."""
    findings: list[Finding] = []
    if _passes_gates(data, limits, findings):
        findings.append(_finding("file.parse", "file.corrupt", evidence=evidence, detail="file.checker_died"))
    return findings


def _passes_gates(data: bytes, limits: CheckLimits, findings: list[Finding]) -> bool:
    """`file.size` then `file.type`, added to `findings` up to the first that fails."""
    gates: list[tuple[str, Callable[[], str | None]]] = [
        ("file.size", lambda: _size_problem(data, limits.max_bytes)),
        ("file.type", lambda: _type_problem(data)),
    ]
    for rule, find_problem in gates:
        code = find_problem()
        findings.append(_finding(rule, code))
        if code is not None:
            return False
    return True


def _inspect(data: bytes, limits: CheckLimits, findings: list[Finding]) -> DocumentReport:
    if not _passes_gates(data, limits, findings):
        return DocumentReport(findings=findings, document_type=None, page=None, text_layer=None)

    document_type = sniff_type(data)
    code, first_page = _read(data, document_type, limits)
    findings.append(_finding("file.parse", code))
    if first_page is None:
        return DocumentReport(findings=findings, document_type=document_type, page=None, text_layer=None)

    findings.extend(_clarity_findings(first_page, limits))
    return DocumentReport(
        findings=findings, document_type=document_type, page=first_page.image, text_layer=first_page.text_layer
    )


def _finding(
    rule: str,
    code: str | None,
    *,
    score: float | None = None,
    evidence: str | None = None,
    detail: str | None = None,
    params: Mapping[str, str | int | float] | None = None,
) -> Finding:
    """`evidence` is the English sentence readers of before show; `detail` and `params` the same
    in every reader's language (schemas/findings.py)."""
    measured: dict[str, Any] = {"detail": detail, "params": dict(params or {})}
    if code is None:
        return Finding(rule=rule, outcome="pass", score=score, evidence=evidence, **measured)
    return Finding(
        rule=rule, outcome="fail", code=code, message=localized(code), score=score, evidence=evidence, **measured
    )


# --- file.size --------------------------------------------------------------------------------


def _size_problem(data: bytes, max_bytes: int) -> str | None:
    if not data:
        return "file.empty"
    if len(data) > max_bytes:
        return "file.too_large"
    return None


# --- file.type --------------------------------------------------------------------------------


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
    except Exception:
        return False


# --- file.parse -------------------------------------------------------------------------------


def _read(data: bytes, document_type: DocumentType | None, limits: CheckLimits) -> tuple[str | None, _FirstPage | None]:
    """(refusal code, None) or (None, the first page, measured)."""
    match document_type:
        case "jpeg":
            code, first_page = _read_jpeg(data, limits.max_pixels)
        case "pdf":
            code, first_page = _read_pdf(data, limits.max_pdf_pages)
        case _:
            return "file.unsupported_type", None
    if first_page is None:
        return code, None
    try:
        return None, dataclasses.replace(first_page, measures=measure_page(first_page.image))
    except Exception:
        return "file.corrupt", None


def _working_factor(width: float, height: float) -> float:
    """Scale from the given size to the working scale (may be above 1 for a PDF page in points)."""
    return min(WORKING_SHORT_SIDE / min(width, height), _MAX_WORKING_LONG_SIDE / max(width, height))


# --- file.parse: JPEG -------------------------------------------------------------------------


def _read_jpeg(data: bytes, max_pixels: int) -> tuple[str | None, _FirstPage | None]:
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            # open() reads only the header: refuse huge dimensions before any pixel is decoded,
            # with our own limit rather than Pillow's process-wide MAX_IMAGE_PIXELS.
            width, height = image.size
            if width * height > max_pixels:
                return "file.image_too_large", None
            orientation = _exif_orientation(image)
            # Decode straight to grey (libjpeg keeps only the luma) and, for a large image, at the
            # smallest DCT scale (1/2, 1/4, 1/8) still at least the working size. The decoder still
            # reads every byte of the scan data, so this one decode is also the integrity check:
            # verify() would not decode the scan data and would miss a truncated file.
            image.draft("L", _draft_request(width, height))
            image.load()
            page = _upright(_to_working_scale(image.convert("L")), orientation)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's global guard fired while opening, before ours could (the warning only
        # arrives here when warnings are turned into errors).
        return "file.image_too_large", None
    except Exception:
        return "file.corrupt", None
    first_page = _FirstPage(image=page, scan_short_side=min(width, height), text_layer=None, text_characters=0)
    return None, first_page


def _exif_orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:
        return 1


def _draft_request(width: int, height: int) -> tuple[int, int] | None:
    """The size to ask Pillow's draft mode for, or None when no DCT scale would be small enough."""
    factor = _working_factor(width, height)
    if factor > 0.5:
        return None
    # Pillow picks the largest scale whose result is at least this size.
    return max(1, math.ceil(width * factor)), max(1, math.ceil(height * factor))


def _to_working_scale(image: Image.Image) -> Image.Image:
    factor = _working_factor(*image.size)
    if factor >= 1:
        return image
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    # BOX averages whole source pixels: cheap, and the sharpness threshold is calibrated with it.
    return image.resize(size, Image.Resampling.BOX)


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    # The clarity measures do not depend on orientation, but the OCR that reads `page` does.
    transpose = _UPRIGHT.get(orientation)
    return image.transpose(transpose) if transpose is not None else image


# --- file.parse: PDF --------------------------------------------------------------------------


def _read_pdf(data: bytes, max_pages: int) -> tuple[str | None, _FirstPage | None]:
    problem = _pdf_structure_problem(data, max_pages)
    if problem is not None:
        return problem, None
    try:
        with _PDFIUM_LOCK:
            return None, _read_first_pdf_page(data)
    except Exception:
        return "file.corrupt", None


def _pdf_structure_problem(data: bytes, max_pages: int) -> str | None:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except (DependencyError, FileNotDecryptedError):
        # While opening, pypdf only needs a crypto library (AES) or a password for an encrypted file.
        return "file.pdf_encrypted"
    except Exception:
        return "file.corrupt"
    try:
        if reader.is_encrypted:
            return "file.pdf_encrypted"
        if not 1 <= len(reader.pages) <= max_pages:
            return "file.pdf_page_count"
        if _has_active_content(reader.root_object):
            return "file.pdf_active_content"
    except Exception:
        return "file.corrupt"
    return None


def _read_first_pdf_page(data: bytes) -> _FirstPage:
    """The first page rendered at working scale, its scan resolution and the document's text."""
    document = pdfium.PdfDocument(data)
    try:
        page = document[0]
        try:
            first_text, painted_characters = _first_page_text(page)
            text_characters = sum(not character.isspace() for character in first_text)
            text_layer = _text_layer(document, first_text) if text_characters >= _MIN_TEXT_LAYER_CHARACTERS else None
            width_pt, height_pt = page.get_size()
            drawn_because, density = _how_the_page_is_made(page, painted_characters)
            scale = _working_factor(width_pt, height_pt)
            if density is not None:
                # Never render a scan larger than it was scanned: enlarging would invent blur.
                scale = min(scale, density)
            image = render_pdf_page(page, scale, grey=True)
        finally:
            page.close()
    finally:
        document.close()
    scan_short_side = None if density is None else round(density * min(width_pt, height_pt))
    return _FirstPage(
        image=image,
        scan_short_side=scan_short_side,
        text_layer=text_layer,
        text_characters=text_characters,
        drawn_because=drawn_because,
    )


def _how_the_page_is_made(page: pdfium.PdfPage, painted_characters: int) -> tuple[str | None, float | None]:
    """(why the page is drawn, None) or (None, pixels per point of its scan).

    Text painted on the page makes it a drawn page whatever images it also shows (a logo, a
    background), so those images' resolution is not the page's. An invisible text layer, as a
    scanner's OCR adds, does not: that page is still a scan.
    """
    if painted_characters >= _MIN_TEXT_LAYER_CHARACTERS:
        return "text is drawn on page 1: drawn, not scanned", None
    density = _scan_density(page)
    if density is None:
        return "no raster image on page 1: drawn, not scanned", None
    return None, density


def _first_page_text(page: pdfium.PdfPage) -> tuple[str, int]:
    """The first page's text and how many of its characters are painted (counted up to the
    number a text layer needs)."""
    text_page = page.get_textpage()
    try:
        return _bounded_text(text_page), _painted_characters(text_page, page.get_bbox())
    finally:
        text_page.close()


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    page = document[index]
    try:
        text_page = page.get_textpage()
        try:
            return _bounded_text(text_page)
        finally:
            text_page.close()
    finally:
        page.close()


def _text_layer(document: pdfium.PdfDocument, first_text: str) -> str:
    """The text of the first pages (form feed between pages), cut at a bound for the events."""
    texts = [first_text]
    for index in range(1, min(len(document), _TEXT_LAYER_PAGES)):
        texts.append(_page_text(document, index))
    return "\f".join(texts)[:_MAX_TEXT_LAYER_CHARACTERS]


def _bounded_text(text_page: pdfium.PdfTextPage) -> str:
    # Bounded to the page: text placed off the page is invisible and proves nothing.
    text: str = text_page.get_text_bounded()
    return text


def _painted_characters(text_page: pdfium.PdfTextPage, page_box: tuple[float, float, float, float]) -> int:
    """Characters other than spaces drawn with a painting render mode inside the page, counted
    up to `_MIN_TEXT_LAYER_CHARACTERS`."""
    left, bottom, right, top = page_box
    painted = 0
    for index in range(min(text_page.count_chars(), _MAX_TEXT_LAYER_CHARACTERS)):
        code_point = pdfium_c.FPDFText_GetUnicode(text_page, index)
        if code_point < 0x110000 and chr(code_point).isspace():
            continue
        # Characters pdfium adds itself (line breaks, word gaps) belong to no text object.
        text_object = pdfium_c.FPDFText_GetTextObject(text_page, index)
        if not text_object or pdfium_c.FPDFTextObj_GetTextRenderMode(text_object) not in _PAINTING_TEXT_MODES:
            continue
        try:
            char_left, char_bottom, char_right, char_top = text_page.get_charbox(index)
        except pdfium.PdfiumError:
            continue
        if left <= (char_left + char_right) / 2 <= right and bottom <= (char_bottom + char_top) / 2 <= top:
            painted += 1
            if painted >= _MIN_TEXT_LAYER_CHARACTERS:
                break
    return painted


def _scan_density(page: pdfium.PdfPage) -> float | None:
    """Pixels per point of the raster image that covers most of the page; None for a vector page.

    Scanners may cut a scan into strips, so the resolution of a scanned page is this density
    times the page's shorter side, not the pixel size of its largest image.
    """
    largest_area, density = 0.0, None
    for image in itertools.islice(page.get_objects(max_depth=3), _MAX_PAGE_OBJECTS_INSPECTED):
        if image.type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
            continue
        try:
            width_px, height_px = image.get_px_size()
            left, bottom, right, top = image.get_bounds()
        except pdfium.PdfiumError:
            continue
        area_pt = (right - left) * (top - bottom)
        if area_pt > largest_area and width_px > 0 and height_px > 0:
            # From areas, so an image placed at a quarter turn gives the same answer.
            largest_area, density = area_pt, math.sqrt(width_px * height_px / area_pt)
    return density


def _has_active_content(catalog: DictionaryObject) -> bool:
    """Whether anything reachable from the document catalog can act on its own.

    Scripts hide in many places (the /OpenAction, a /Next chain, a link annotation, a form
    field, a page's /AA), so every reachable object is inspected rather than a list of spots.
    """
    return any(_is_active(dictionary, is_action) for dictionary, is_action in _reachable_dictionaries(catalog))


def _is_active(dictionary: DictionaryObject, in_action_position: bool) -> bool:
    if not _ACTIVE_PDF_KEYS.isdisjoint(dictionary.keys()):
        return True
    if any(_holds_something(dictionary[key]) for key in _ACTIVE_PDF_CONTAINERS.intersection(dictionary.keys())):
        return True
    if _name(dictionary.get("/Subtype")) == "/FileAttachment" or _name(dictionary.get("/Type")) == "/EmbeddedFile":
        # A file attachment annotation carries a file even when it only names one on disk.
        return True
    is_action = in_action_position or _name(dictionary.get("/Type")) == "/Action"
    return is_action and _name(dictionary.get("/S")) in _ACTIVE_PDF_ACTIONS


def _holds_something(container: PdfObject | None) -> bool:
    """Whether a dictionary of triggers or files, or a name tree, has an entry that is not empty.

    A name tree's /Limits only repeats its keys; a /Kids entry counts even if the kid is empty.
    """
    container = _resolve(container)
    if not isinstance(container, DictionaryObject):
        return False  # not a container at all: nothing a reader could act on
    return any(_is_something(entry) for key, entry in container.items() if key not in ("/Type", "/Limits"))


def _is_something(value: PdfObject | None) -> bool:
    value = _resolve(value)
    if isinstance(value, ArrayObject | DictionaryObject):
        return len(value) > 0
    return value is not None and not isinstance(value, NullObject)


def _resolve(value: PdfObject | None) -> PdfObject | None:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _name(value: PdfObject | None) -> str | None:
    """The name a dictionary entry holds (through an indirect reference), None for anything else."""
    value = _resolve(value)
    return str(value) if isinstance(value, NameObject) else None


def _reachable_dictionaries(root: DictionaryObject) -> Iterator[tuple[DictionaryObject, bool]]:
    """Every dictionary (streams included) reachable from `root`, with whether it sits where an
    action belongs (see `_ACTION_KEYS`).

    Each indirect object is visited once per position, so an action first met elsewhere (a crafted
    file can point at it from anywhere) is still looked at as an action. Iterative, because a
    crafted file can nest deeper than Python's recursion limit.
    """
    visited: set[tuple[int, int, bool]] = set()
    # Each pending item comes with the key it is the value of (None for the root and for the
    # elements of an array that is not a /Next chain).
    pending: list[tuple[PdfObject | None, str | None]] = [(root, None)]
    while pending:
        item, key = pending.pop()
        in_action_position = key in _ACTION_KEYS
        if isinstance(item, IndirectObject):
            reference = (item.idnum, item.generation, in_action_position)
            if reference in visited:
                continue
            visited.add(reference)
            if len(visited) > _MAX_PDF_OBJECTS:
                raise ValueError("too many PDF objects to inspect")
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            yield item, in_action_position
            # dict.items() keeps references unresolved, so the visited set sees every one.
            pending.extend((value, str(entry)) for entry, value in item.items())
        elif isinstance(item, ArrayObject):
            element_key = key if key == "/Next" else None
            pending.extend((element, element_key) for element in item)


# --- clarity ----------------------------------------------------------------------------------


def _clarity_findings(first_page: _FirstPage, limits: CheckLimits) -> list[Finding]:
    measures = first_page.measures
    assert measures is not None, "a page is measured while it is read"
    findings = [
        _resolution_finding(first_page, limits.min_short_side),
        _exposure_finding(measures, limits),
        _contrast_finding(measures.contrast, limits.min_contrast),
        _sharpness_finding(measures.sharpness, limits.min_sharpness),
    ]
    if first_page.text_layer is not None:
        characters = first_page.text_characters
        evidence = f"{characters} characters of text on page 1"
        findings.append(
            _finding(
                "pdf.text_layer",
                None,
                score=float(characters),
                evidence=evidence,
                detail="pdf.text_layer_measured",
                params={"characters": characters},
            )
        )
    return findings


def _resolution_finding(first_page: _FirstPage, minimum: int) -> Finding:
    scan_short_side = first_page.scan_short_side
    if scan_short_side is None:
        drawn = "image.drawn_text" if (first_page.drawn_because or "").startswith("text") else "image.drawn_page"
        return _finding("image.resolution", None, evidence=first_page.drawn_because, detail=drawn)
    code = "image.too_small" if scan_short_side < minimum else None
    evidence = f"shorter side {scan_short_side} px; at least {minimum} px needed"
    return _finding(
        "image.resolution",
        code,
        score=float(scan_short_side),
        evidence=evidence,
        detail="image.resolution_measured",
        params={"short_side": scan_short_side, "minimum": minimum},
    )


def _exposure_finding(measures: PageMeasures, limits: CheckLimits) -> Finding:
    brightness, contrast = _score(measures.brightness), _score(measures.contrast)
    code = None
    if brightness < limits.min_brightness:
        code = "image.too_dark"
    elif brightness > limits.max_brightness and contrast < limits.min_contrast:
        # Too bright only when the light has washed the writing out: a clean scan of a sparse
        # certificate is nearly all white paper (a mean above 250) and perfectly readable.
        code = "image.too_bright"
    evidence = (
        f"mean grey level {brightness:.0f} of 255; {limits.min_brightness:.0f} to {limits.max_brightness:.0f}"
        " accepted, or brighter with enough contrast"
    )
    params = {"brightness": brightness, "minimum": limits.min_brightness, "maximum": limits.max_brightness}
    return _finding(
        "image.exposure", code, score=brightness, evidence=evidence, detail="image.exposure_measured", params=params
    )


def _contrast_finding(contrast: float, minimum: float) -> Finding:
    contrast = _score(contrast)
    code = "image.low_contrast" if contrast < minimum else None
    evidence = f"grey-level spread {contrast:.1f} where the page has detail; at least {minimum:g} needed"
    params = {"contrast": contrast, "minimum": minimum}
    return _finding(
        "image.contrast", code, score=contrast, evidence=evidence, detail="image.contrast_measured", params=params
    )


def _sharpness_finding(sharpness: float, minimum: float) -> Finding:
    sharpness = _score(sharpness)
    code = "image.blurry" if sharpness < minimum else None
    evidence = (
        f"sharpness {sharpness:.0f} (variance of the Laplacian where the page has detail); at least {minimum:g} needed"
    )
    params = {"sharpness": sharpness, "minimum": minimum}
    return _finding(
        "image.sharpness", code, score=sharpness, evidence=evidence, detail="image.sharpness_measured", params=params
    )


def _score(measure: float) -> float:
    # The decision is taken on the score as reported, so a reader can check it against the limit.
    return round(measure, 2)


def _laplacian(grey: NDArray[np.uint8]) -> NDArray[np.int16]:
    """The 4-neighbour Laplacian of the interior pixels (empty for an image under 3x3); within
    ±1020, so 16 bits hold it."""
    levels = grey.astype(np.int16)
    laplacian = levels[:-2, 1:-1] + levels[2:, 1:-1]
    laplacian += levels[1:-1, :-2]
    laplacian += levels[1:-1, 2:]
    laplacian -= levels[1:-1, 1:-1] * np.int16(4)
    return laplacian


def _tile_variances(values: NDArray[np.uint8] | NDArray[np.int16]) -> NDArray[np.float64]:
    """The variance of every whole tile (the last partial row and column of tiles are left out);
    an image smaller than one tile is one tile."""
    if values.size == 0:
        return np.zeros(1)
    height, width = values.shape
    if height < _TILE_SIDE or width < _TILE_SIDE:
        return np.array([values.var(dtype=np.float64)])
    rows, columns = height // _TILE_SIDE, width // _TILE_SIDE
    tiles = values[: rows * _TILE_SIDE, : columns * _TILE_SIDE]
    # Squares of grey levels fit 16 bits unsigned, of the Laplacian 32 bits.
    squares = np.square(tiles, dtype=np.uint16 if tiles.dtype == np.uint8 else np.int32)
    count = _TILE_SIDE * _TILE_SIDE
    sums, sums_of_squares = _tile_sums(tiles, columns), _tile_sums(squares, columns)
    return ((sums_of_squares - sums * sums / count) / count).ravel()


def _tile_sums(values: NDArray[np.integer[Any]], columns: int) -> NDArray[np.int64]:
    """The sum of each tile of `values` (a whole number of tiles), exact."""
    rows = values.shape[0] // _TILE_SIDE
    # Down the rows of a band of tiles first (whole rows added at once), then across each tile. A
    # column of 64 squared Laplacian values (at most 1020²) still fits 32 bits.
    accumulator = np.uint32 if values.dtype.kind == "u" else np.int32
    down = values.reshape(rows, _TILE_SIDE, columns * _TILE_SIDE).sum(axis=1, dtype=accumulator)
    sums: NDArray[np.int64] = down.reshape(rows, columns, _TILE_SIDE).sum(axis=2, dtype=np.int64)
    return sums


def _detail_quantile(tile_values: NDArray[np.float64]) -> float:
    return float(np.quantile(tile_values, _DETAIL_QUANTILE))
