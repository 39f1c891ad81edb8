"""A corpus of uploads as they arrive from outside, each with the exact verdict it must get.

Every file is generated here (pypdf's writer, hand-written PDF syntax, Pillow), one test case per
file. The classes of input are the ones outsiders send: PDFs from office suites, scanners and form
software (tagged, filled forms with appearance states, object and cross-reference streams,
incremental updates, searchable scans), and files made to get past a validator (broken, truncated,
encrypted, scripted, carrying files, showing a blank page behind a text layer, polyglots). A verdict
is the outcome and, for every rule that ran, its refusal code (None where it passed).
"""

import functools
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pytest
from PIL import ExifTags, Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from mumaris.errors import localized
from services.validator.inspection.checks import CheckLimits, inspect_document, passed
from tests import documents
from tests.documents import RawStream, raw_pdf_bytes

LIMITS = CheckLimits(max_bytes=5_000_000)
GATES = ["file.size", "file.type", "file.parse"]
SCAN = [*GATES, "image.resolution", "image.exposure", "image.contrast", "image.sharpness"]
TEXT = [*SCAN, "pdf.text_layer"]

Outcomes = tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class Verdict:
    outcome: Literal["pass", "fail"]
    findings: Outcomes


def accepted(rules: list[str]) -> Verdict:
    return Verdict("pass", tuple((rule, None) for rule in rules))


def refused(code: str, *, by: str = "file.parse") -> Verdict:
    """Stopped by the gate `by`, every gate before it passed."""
    gates = GATES[: GATES.index(by) + 1]
    return Verdict("fail", tuple((rule, code if rule == by else None) for rule in gates))


def unclear(rules: list[str], **codes: str) -> Verdict:
    """Through the gates, refused by the clarity rules given as rule_name=code ("_" for ".")."""
    failing = {rule.replace("_", ".", 1): code for rule, code in codes.items()}
    return Verdict("fail", tuple((rule, failing.get(rule)) for rule in rules))


BLANK_PAGE = {
    "image_exposure": "image.too_bright",
    "image_contrast": "image.low_contrast",
    "image_sharpness": "image.blurry",
}
ACTIVE = refused("file.pdf_active_content")
CORRUPT = refused("file.corrupt")
ENCRYPTED = refused("file.pdf_encrypted")
NOT_A_DOCUMENT = refused("file.unsupported_type", by="file.type")


# --- builders for the cases the generators in tests/documents.py do not cover ------------------


def incremental_update(original: bytes, change: Callable[[PdfWriter], None]) -> bytes:
    """`original` with `change` appended as an incremental update, as a filled-in or signed form
    is saved (pypdf writes the update's cross-reference as a stream)."""
    writer = PdfWriter(io.BytesIO(original), incremental=True)
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def add_open_action_script(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1);")}
    )


def remove_open_action(writer: PdfWriter) -> None:
    del writer.root_object["/OpenAction"]


def add_comment(writer: PdfWriter) -> None:
    comment = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Text"),
            NameObject("/Rect"): ArrayObject([NumberObject(edge) for edge in (500, 780, 520, 800)]),
            NameObject("/Contents"): TextStringObject("checked by the registrar"),
        }
    )
    writer.add_annotation(0, comment)


def pypdf_encrypted(algorithm: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(documents.pdf_bytes()))
    writer.encrypt("secret", algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def wrong_xref_offsets() -> bytes:
    """Every cross-reference offset 7 bytes off, as files patched by hand or by careless tools
    are: readers rebuild the table from the objects themselves."""
    data = raw_pdf_bytes()
    table = data.index(b"xref\n")
    shifted = re.sub(rb"(\d{10}) 00000 n", lambda entry: b"%010d 00000 n" % (int(entry[1]) + 7), data[table:])
    return data[:table] + shifted


def scan_as_pdf(mode: str) -> bytes:
    """A 150 dpi A4 scan in a PDF, its image in `mode` as Pillow stores it (CMYK and grey as
    JPEG, black and white as CCITT G4 fax)."""
    image = Image.open(io.BytesIO(documents.jpeg_bytes(1240, 1754))).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=150)
    return buffer.getvalue()


def exif_rotated_jpeg(orientation: int) -> bytes:
    image = Image.open(io.BytesIO(documents.jpeg_bytes(720, 960)))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, exif=exif.tobytes())
    return buffer.getvalue()


def jpeg_with_thumbnail() -> bytes:
    """A camera JPEG: its EXIF block carries a 160x120 JPEG thumbnail."""
    image = Image.open(io.BytesIO(documents.jpeg_bytes()))
    thumbnail = io.BytesIO()
    image.resize((160, 120)).save(thumbnail, "JPEG")
    # The thumbnail's own SOI/EOI sit inside the APP1 segment: no decoder may take them as the image.
    app1 = b"Exif\x00\x00" + _tiff_with_thumbnail(thumbnail.getvalue())
    data = documents.jpeg_bytes()
    return data[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + data[2:]


def _tiff_with_thumbnail(thumbnail: bytes) -> bytes:
    """A big-endian TIFF header, an empty IFD0 pointing to IFD1, which locates the thumbnail."""
    ifd1_offset = 8 + 2 + 4
    ifd1 = (3).to_bytes(2, "big")
    data_offset = ifd1_offset + 2 + 3 * 12 + 4
    for tag, kind, value in ((0x0103, 3, 6 << 16), (0x0201, 4, data_offset), (0x0202, 4, len(thumbnail))):
        ifd1 += tag.to_bytes(2, "big") + kind.to_bytes(2, "big") + (1).to_bytes(4, "big") + value.to_bytes(4, "big")
    ifd1 += bytes(4)
    return b"MM\x00*" + (8).to_bytes(4, "big") + bytes(2) + ifd1_offset.to_bytes(4, "big") + ifd1 + thumbnail


GARBAGE = bytes(range(256)) * 2

# A script to run, as object 6 (the first one after the certificate's) of raw_pdf_bytes.
SCRIPT_ACTION = b"<< /S /JavaScript /JS (app.alert(1)) >>"


CORPUS: dict[str, tuple[Callable[[], bytes], Verdict]] = {
    # --- empty, foreign and polyglot files ----------------------------------------------------
    "zero-byte-file": (documents.empty_bytes, refused("file.empty", by="file.size")),
    "png-image": (documents.png_bytes, NOT_A_DOCUMENT),
    "html-page-named-like-a-pdf": (documents.html_bytes, NOT_A_DOCUMENT),
    "zip-archive": (documents.zip_bytes, NOT_A_DOCUMENT),
    "jpeg-with-zip-appended": (documents.jpeg_with_zip_appended_bytes, NOT_A_DOCUMENT),
    "pdf-with-zip-appended": (documents.pdf_with_zip_appended_bytes, NOT_A_DOCUMENT),
    "zip-with-pdf-after-it": (documents.pdf_zip_polyglot_bytes, NOT_A_DOCUMENT),
    "garbage-then-jpeg-signature": (lambda: GARBAGE + documents.jpeg_bytes(), NOT_A_DOCUMENT),
    "garbage-then-pdf-signature": (lambda: GARBAGE + documents.pdf_bytes(), NOT_A_DOCUMENT),
    "pdf-signature-then-garbage-then-jpeg": (lambda: b"%PDF-1.7\n" + GARBAGE + documents.jpeg_bytes(), CORRUPT),
    "jpeg-signature-then-pdf": (lambda: b"\xff\xd8\xff\xe0" + documents.pdf_bytes(), CORRUPT),
    # --- JPEG -----------------------------------------------------------------------------------
    "jpeg-baseline-rgb": (documents.jpeg_bytes, accepted(SCAN)),
    "jpeg-greyscale": (lambda: documents.jpeg_bytes(600, 800, mode="L"), accepted(SCAN)),
    "jpeg-cmyk": (lambda: documents.jpeg_bytes(mode="CMYK"), accepted(SCAN)),
    "jpeg-progressive": (lambda: documents.jpeg_bytes(progressive=True), accepted(SCAN)),
    "jpeg-exif-rotated-90": (documents.rotated_exif_jpeg_bytes, accepted(SCAN)),
    "jpeg-exif-upside-down": (lambda: exif_rotated_jpeg(3), accepted(SCAN)),
    "jpeg-exif-rotated-270": (lambda: exif_rotated_jpeg(8), accepted(SCAN)),
    "jpeg-with-exif-thumbnail": (jpeg_with_thumbnail, accepted(SCAN)),
    "jpeg-with-bytes-after-its-end": (lambda: documents.jpeg_bytes() + b"\x00" * 64 + b"motion-photo", accepted(SCAN)),
    "jpeg-truncated-half": (documents.truncated_jpeg_bytes, CORRUPT),
    "jpeg-without-end-marker": (lambda: documents.jpeg_bytes()[:-2], CORRUPT),
    "jpeg-signature-only": (lambda: b"\xff\xd8\xff", CORRUPT),
    "jpeg-decompression-bomb": (documents.jpeg_bomb_bytes, refused("file.image_too_large")),
    "jpeg-out-of-focus": (lambda: documents.blurred_jpeg_bytes(4), unclear(SCAN, image_sharpness="image.blurry")),
    "jpeg-one-pixel": (
        lambda: documents.jpeg_bytes(1, 1),
        unclear(
            SCAN,
            image_resolution="image.too_small",
            image_contrast="image.low_contrast",
            image_sharpness="image.blurry",
        ),
    ),
    # --- PDF: broken ----------------------------------------------------------------------------
    "pdf-header-only": (lambda: b"%PDF-1.7\n", CORRUPT),
    "pdf-header-then-garbage": (documents.garbage_pdf_bytes, CORRUPT),
    "pdf-truncated-at-10-percent": (lambda: documents.truncated_pdf_bytes(0.1), CORRUPT),
    "pdf-truncated-at-90-percent": (lambda: documents.truncated_pdf_bytes(0.9), CORRUPT),
    "pdf-object-streams-truncated": (lambda: raw_pdf_bytes(cross_reference="stream")[:-60], CORRUPT),
    "pdf-nested-deeper-than-any-reader-goes": (
        lambda: raw_pdf_bytes(b"/PieceInfo " + b"[" * 5000 + b"]" * 5000),
        CORRUPT,
    ),
    "pdf-with-wrong-xref-offsets": (wrong_xref_offsets, accepted(TEXT)),
    "pdf-without-pages": (documents.empty_pdf_bytes, refused("file.pdf_page_count")),
    "pdf-with-21-pages": (lambda: documents.pdf_bytes(21), refused("file.pdf_page_count")),
    # --- PDF: encrypted -------------------------------------------------------------------------
    "pdf-rc4-user-password": (documents.encrypted_pdf_bytes, ENCRYPTED),
    "pdf-rc4-owner-password-only": (lambda: documents.encrypted_pdf_bytes("", "owner"), ENCRYPTED),
    "pdf-aes-128": (lambda: pypdf_encrypted("AES-128"), ENCRYPTED),
    "pdf-aes-256": (lambda: pypdf_encrypted("AES-256"), ENCRYPTED),
    "pdf-aes-256-trailer-by-hand": (documents.aes256_encrypted_pdf_bytes, ENCRYPTED),
    # --- PDF: as office suites, form software and scanners write them ---------------------------
    "pdf-text": (documents.pdf_bytes, accepted(TEXT)),
    "pdf-text-20-pages": (lambda: documents.pdf_bytes(20), accepted(TEXT)),
    "pdf-object-and-xref-streams": (lambda: raw_pdf_bytes(cross_reference="stream"), accepted(TEXT)),
    "pdf-hybrid-cross-reference": (lambda: raw_pdf_bytes(cross_reference="hybrid"), accepted(TEXT)),
    "pdf-version-2": (lambda: raw_pdf_bytes().replace(b"%PDF-1.7", b"%PDF-2.0", 1), accepted(TEXT)),
    "pdf-with-bytes-after-its-end": (lambda: documents.pdf_bytes() + b"\r\n" + bytes(512), accepted(TEXT)),
    "pdf-tagged-with-structure-types": (documents.tagged_pdf_bytes, accepted(TEXT)),
    "pdf-filled-form-checkbox-state-s": (documents.form_pdf_bytes, accepted(TEXT)),
    "pdf-navigation-only": (documents.pdf_with_navigation_bytes, accepted(TEXT)),
    "pdf-goto-actions-in-a-cycle": (
        lambda: raw_pdf_bytes(
            b"/OpenAction 6 0 R",
            objects=[b"<< /S /GoTo /D [3 0 R /Fit] /Next 7 0 R >>", b"<< /S /GoTo /D [3 0 R /Fit] /Next [6 0 R] >>"],
        ),
        accepted(TEXT),
    ),
    "pdf-references-to-missing-objects": (lambda: raw_pdf_bytes(b"/Names 97 0 R /AcroForm 98 0 R"), accepted(TEXT)),
    "pdf-incremental-update-adding-a-comment": (
        lambda: incremental_update(documents.pdf_bytes(), add_comment),
        accepted(TEXT),
    ),
    "pdf-incremental-update-removing-a-script": (
        lambda: incremental_update(documents.scripted_pdf_bytes("open_action_javascript"), remove_open_action),
        accepted(TEXT),
    ),
    "pdf-text-over-low-resolution-background": (documents.text_over_background_pdf_bytes, accepted(TEXT)),
    "pdf-vector-drawing-only": (documents.drawn_pdf_bytes, accepted(SCAN)),
    "pdf-scan": (documents.scanned_pdf_bytes, accepted(SCAN)),
    "pdf-text-page-rotated": (lambda: raw_pdf_bytes(page=b"/Rotate 90"), accepted(TEXT)),
    "pdf-scan-with-invisible-ocr-text": (documents.ocr_scanned_pdf_bytes, accepted(TEXT)),
    "pdf-scan-cmyk-jpeg": (lambda: scan_as_pdf("CMYK"), accepted(SCAN)),
    "pdf-scan-black-and-white-ccitt": (lambda: scan_as_pdf("1"), accepted(SCAN)),
    "pdf-scan-greyscale": (lambda: scan_as_pdf("L"), accepted(SCAN)),
    "pdf-scan-out-of-focus": (documents.blurred_scanned_pdf_bytes, unclear(SCAN, image_sharpness="image.blurry")),
    "pdf-scan-too-small": (
        lambda: documents.scanned_pdf_bytes(500, 707, dpi=60),
        unclear(SCAN, image_resolution="image.too_small"),
    ),
    "pdf-scan-too-small-with-ocr-text": (
        lambda: documents.ocr_scanned_pdf_bytes(500, 707, dpi=60),
        unclear(TEXT, image_resolution="image.too_small"),
    ),
    # --- PDF: a text layer over a page that shows nothing ---------------------------------------
    "pdf-blank-page": (documents.blank_pdf_bytes, unclear(SCAN, **BLANK_PAGE)),
    "pdf-invisible-text-render-mode-3": (
        lambda: documents.invisible_text_pdf_bytes("render_mode_3"),
        unclear(TEXT, **BLANK_PAGE),
    ),
    "pdf-invisible-text-clipping-only": (
        lambda: documents.invisible_text_pdf_bytes("clipping_only"),
        unclear(TEXT, **BLANK_PAGE),
    ),
    "pdf-white-text-on-white": (
        lambda: documents.invisible_text_pdf_bytes("white_on_white"),
        unclear(TEXT, **BLANK_PAGE),
    ),
    "pdf-font-without-glyphs": (
        lambda: documents.invisible_text_pdf_bytes("font_without_glyphs"),
        unclear(TEXT, **BLANK_PAGE),
    ),
    "pdf-text-off-the-page": (lambda: documents.invisible_text_pdf_bytes("off_the_page"), unclear(SCAN, **BLANK_PAGE)),
    # --- PDF: scripts, launches, files carried --------------------------------------------------
    **{
        f"pdf-{kind.replace('_', '-')}": (functools.partial(documents.scripted_pdf_bytes, kind), ACTIVE)
        for kind in documents.ACTIVE_PDF_CONTENT
    },
    "pdf-filled-form-with-embedded-file": (lambda: documents.form_pdf_bytes("embedded_file"), ACTIVE),
    "pdf-filled-form-with-field-script": (lambda: documents.form_pdf_bytes("form_field_javascript"), ACTIVE),
    "pdf-script-in-an-object-stream": (
        lambda: raw_pdf_bytes(b"/OpenAction 6 0 R", objects=[SCRIPT_ACTION], cross_reference="stream"),
        ACTIVE,
    ),
    "pdf-script-added-by-incremental-update": (
        lambda: incremental_update(documents.pdf_bytes(), add_open_action_script),
        ACTIVE,
    ),
    "pdf-script-at-the-end-of-an-action-cycle": (
        lambda: raw_pdf_bytes(
            b"/OpenAction 6 0 R",
            objects=[
                b"<< /S /GoTo /D [3 0 R /Fit] /Next 7 0 R >>",
                b"<< /S /GoTo /D [3 0 R /Fit] /Next [6 0 R 8 0 R] >>",
                SCRIPT_ACTION,
            ],
        ),
        ACTIVE,
    ),
    "pdf-script-as-a-stream": (
        lambda: raw_pdf_bytes(b"/OpenAction << /S /JavaScript /JS 6 0 R >>", objects=[RawStream(b"", b"app.alert(1)")]),
        ACTIVE,
    ),
    "pdf-launch-spelled-with-name-escapes": (
        lambda: raw_pdf_bytes(b"/OpenAction << /S /L#61unch /F (cmd.exe) >>"),
        ACTIVE,
    ),
    "pdf-document-will-close-script": (lambda: raw_pdf_bytes(b"/AA << /WC " + SCRIPT_ACTION + b" >>"), ACTIVE),
    "pdf-annotation-triggers": (
        lambda: raw_pdf_bytes(
            page=b"/Annots [6 0 R]",
            objects=[
                b"<< /Type /Annot /Subtype /Widget /Rect [0 0 10 10] /AA << /E << /S /URI /URI (https://x.test) >> >> >>"
            ],
        ),
        ACTIVE,
    ),
    "pdf-go-to-embedded-document": (
        lambda: raw_pdf_bytes(b"/OpenAction << /S /GoToE /T << /R /C /N (a) >> >>"),
        ACTIVE,
    ),
    "pdf-import-data": (lambda: raw_pdf_bytes(b"/OpenAction << /S /ImportData /F (data.fdf) >>"), ACTIVE),
    "pdf-xfa-form": (
        lambda: raw_pdf_bytes(b"/AcroForm << /Fields [] /XFA 6 0 R >>", objects=[RawStream(b"", b"<xdp:xdp/>")]),
        ACTIVE,
    ),
    "pdf-associated-file": (
        lambda: raw_pdf_bytes(
            b"/AF [6 0 R]",
            objects=[
                b"<< /Type /Filespec /F (data.exe) /EF << /F 7 0 R >> /AFRelationship /Data >>",
                RawStream(b"/Type /EmbeddedFile", b"MZ"),
            ],
        ),
        ACTIVE,
    ),
}


@pytest.mark.parametrize(("make", "verdict"), list(CORPUS.values()), ids=list(CORPUS))
def test_each_file_gets_its_verdict(make: Callable[[], bytes], verdict: Verdict) -> None:
    report = inspect_document(make(), LIMITS)

    assert tuple((finding.rule, finding.code) for finding in report.findings) == verdict.findings
    assert ("pass" if passed(report.findings) else "fail") == verdict.outcome
    for finding in report.findings:
        if finding.code is not None:
            assert finding.outcome == "fail"
            assert finding.message == localized(finding.code)
            assert finding.message.ar and finding.message.en
        else:
            assert (finding.outcome, finding.code, finding.message) == ("pass", None, None)
    assert (report.page is not None) == (len(report.findings) > len(GATES))
