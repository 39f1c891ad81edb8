"""Uploads for tests and benchmarks: valid certificate scans and hostile files, built in memory.

Every function is deterministic for its arguments (one exception: pypdf gives an encrypted PDF a
random file identifier), small, and free of I/O, so unit, e2e and benchmark tests share them.
"""

import io
import zipfile
from collections.abc import Callable

import numpy as np
from PIL import ExifTags, Image, ImageDraw, ImageFilter, ImageFont
from pypdf import PdfWriter
from pypdf.actions import JavaScript, PageTrigger
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

A4_POINTS = (595, 842)

# --- valid documents --------------------------------------------------------------------------


def jpeg_bytes(
    width: int = 800,
    height: int = 600,
    seed: int = 0,
    *,
    quality: int = 85,
    mode: str = "RGB",
    progressive: bool = False,
) -> bytes:
    """A certificate-like scan: noisy paper, a border and lines of dark "words".

    The texture and sharp edges are there so clarity checks (sharpness, contrast) see a real
    scan rather than a flat colour.
    """
    image = _certificate_image(width, height, seed).convert(mode)
    return _encode(image, "JPEG", quality=quality, progressive=progressive)


def pdf_bytes(pages: int = 1) -> bytes:
    """A text-based PDF written by pypdf: a few lines of certificate text on each A4 page (enough
    for a text layer); `pages=0` is allowed."""
    return _write(_certificate_pdf(pages))


def text_pdf_bytes(pages: int = 1) -> bytes:
    return pdf_bytes(pages)


def pdf_with_navigation_bytes() -> bytes:
    """A harmless PDF that opens on page 1 and links to a verification URL: must be accepted."""
    writer = _certificate_pdf(1)
    writer.open_destination = writer.pages[0]
    writer.add_uri(0, "https://example.org/verify/12345", [72, 700, 300, 730])
    return _write(writer)


def title_only_pdf_bytes() -> bytes:
    """A drawn PDF page with a title and nothing else: too little text to count as a text layer."""
    return _write(_certificate_pdf(1, text=b"BT /F1 28 Tf 72 760 Td (Certificate of Attendance) Tj ET"))


def text_certificate_jpeg_bytes(
    dpi: int = 100, *, lines: int = 6, paper: int = 250, blur: float = 0.0, noise: float = 0.0, seed: int = 0
) -> bytes:
    """An A4 scan of a certificate set in real type (Pillow's built-in font): near-white paper, a
    title and `lines` lines of 12 pt text (`text_certificate_words` lists them). Mostly blank, as
    certificates are. `blur` is an out-of-focus Gaussian radius in pixels; `noise` the standard
    deviation of the camera noise added after it."""
    image = _text_certificate_image(dpi, lines, paper, seed)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        levels = np.asarray(image, dtype=np.float32)
        levels += np.random.default_rng(seed).normal(0, noise, size=(image.height, image.width, 1))
        image = Image.fromarray(levels.clip(0, 255).astype(np.uint8))
    return _encode(image, "JPEG", quality=90)


def text_certificate_words(lines: int = 6, seed: int = 0) -> list[str]:
    """The body words of `text_certificate_jpeg_bytes(lines=lines, seed=seed)`, in order."""
    return " ".join(_text_certificate_lines(lines, seed)).split()


def scanned_pdf_bytes(
    width: int = 1240, height: int = 1754, *, dpi: int = 150, blur: float = 0.0, seed: int = 0
) -> bytes:
    """A scanner's PDF: one page that is a JPEG image of the certificate and has no text layer
    (A4 at 150 dpi by default)."""
    image = _certificate_image(width, height, seed)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    return _encode(image, "PDF", resolution=dpi, quality=85)


def blurred_scanned_pdf_bytes(radius: float = 4.0) -> bytes:
    return scanned_pdf_bytes(blur=radius)


def rotated_exif_jpeg_bytes(width: int = 720, height: int = 960) -> bytes:
    """A portrait `jpeg_bytes(width, height)` stored sideways (landscape), as phone cameras do, with
    EXIF orientation 6 ("rotate 90 degrees clockwise to display")."""
    stored = _certificate_image(width, height, seed=0).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    return _encode(stored, "JPEG", quality=85, exif=exif.tobytes())


# --- files that are sound but cannot serve as a certificate's scan ---------------------------


def blurred_jpeg_bytes(radius: float, width: int = 1240, height: int = 1754, seed: int = 0) -> bytes:
    """The certificate photographed out of focus: a Gaussian blur of `radius` pixels (A4 at 150 dpi
    by default). Radius 1 is still readable; radius 4 is not."""
    image = _certificate_image(width, height, seed).filter(ImageFilter.GaussianBlur(radius))
    return _encode(image, "JPEG", quality=85)


def dark_jpeg_bytes() -> bytes:
    """`text_certificate_jpeg_bytes()` photographed in a dim room: every grey level at an eighth."""
    return _toned_text_certificate(pivot=0, gain=0.12)


def bright_jpeg_bytes() -> bytes:
    """`text_certificate_jpeg_bytes()` washed out by a flash: the ink pushed almost to paper white."""
    return _toned_text_certificate(pivot=255, gain=0.15)


def low_contrast_jpeg_bytes() -> bytes:
    """`text_certificate_jpeg_bytes()` faded: middling grey, the ink only a little darker than paper."""
    return _toned_text_certificate(pivot=140, gain=0.2)


def tiny_jpeg_bytes(width: int = 300, height: int = 200) -> bytes:
    """A sharp, well-exposed scan with too few pixels to read the small print."""
    return jpeg_bytes(width, height)


def many_pages_pdf_bytes(pages: int = 50) -> bytes:
    return pdf_bytes(pages)


def empty_pdf_bytes() -> bytes:
    """A well-formed PDF with no page at all."""
    return pdf_bytes(0)


# --- hostile documents ------------------------------------------------------------------------


def empty_bytes() -> bytes:
    return b""


def png_bytes(width: int = 64, height: int = 64) -> bytes:
    return _encode(_certificate_image(width, height, seed=0), "PNG")


def zip_bytes() -> bytes:
    return _zip({"certificate.pdf": pdf_bytes()})


def html_bytes() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def truncated_jpeg_bytes(keep: float = 0.5) -> bytes:
    """A valid JPEG cut short (an interrupted upload): the header is fine, the scan data is not."""
    data = jpeg_bytes(200, 150)
    return data[: max(4, int(len(data) * keep))]


def truncated_pdf_bytes(keep: float = 0.5) -> bytes:
    data = pdf_bytes()
    return data[: max(8, int(len(data) * keep))]


def garbage_pdf_bytes() -> bytes:
    """The PDF signature followed by nothing a PDF reader can use."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 4


def jpeg_bomb_bytes(width: int = 65_500, height: int = 65_500) -> bytes:
    """A tiny JPEG whose header claims `width` x `height` pixels (a decompression bomb)."""
    return _declare_jpeg_size(jpeg_bytes(64, 64), width, height)


def encrypted_pdf_bytes(user_password: str = "secret", owner_password: str | None = None) -> bytes:
    """RC4-encrypted by pypdf. `user_password=""` gives the "owner password only" kind that opens
    without a password but is still encrypted."""
    writer = _certificate_pdf(1)
    writer.encrypt(user_password, owner_password, algorithm="RC4-128")
    return _write(writer)


def aes256_encrypted_pdf_bytes() -> bytes:
    """A PDF whose trailer declares AES-256 encryption (revision 6), the modern default.

    Written by hand because pypdf needs the `cryptography` package to produce AES. The trailer
    follows the cross-reference table, so editing it moves no object offset.
    """
    encrypt = (
        b"/Encrypt << /Filter /Standard /V 5 /R 6 /Length 256 /P -4"
        b" /O <" + b"00" * 48 + b"> /U <" + b"00" * 48 + b">"
        b" /OE <" + b"00" * 32 + b"> /UE <" + b"00" * 32 + b"> /Perms <" + b"00" * 16 + b">"
        b" /CF << /StdCF << /CFM /AESV3 /AuthEvent /DocOpen /Length 32 >> >>"
        b" /StmF /StdCF /StrF /StdCF >>\n"
    )
    data = pdf_bytes()
    trailer = data.rindex(b"trailer")
    opening = data.index(b"<<", trailer) + 2
    return data[:opening] + b"\n" + encrypt + data[opening:]


ACTIVE_PDF_CONTENT = (
    "open_action_javascript",
    "names_javascript",
    "launch_action",
    "chained_javascript",
    "embedded_file",
    "page_additional_actions",
    "link_javascript",
    "file_attachment_annotation",
)


def scripted_pdf_bytes(kind: str = "open_action_javascript") -> bytes:
    """A one-page PDF carrying one kind of active content from `ACTIVE_PDF_CONTENT`."""
    writer = _certificate_pdf(1)
    _ACTIVE_CONTENT_BUILDERS[kind](writer)
    return _write(writer)


def pdf_zip_polyglot_bytes() -> bytes:
    """A ZIP archive with a PDF after it: both a valid ZIP and (for lenient readers that look
    for "%PDF-" anywhere near the start) a PDF."""
    return _zip({"payload.html": html_bytes()}) + pdf_bytes()


def pdf_with_zip_appended_bytes() -> bytes:
    """A valid PDF at offset 0 that is also a ZIP archive (the archive is appended)."""
    return pdf_bytes() + _zip({"payload.html": html_bytes()})


def jpeg_with_zip_appended_bytes() -> bytes:
    return jpeg_bytes(64, 64) + _zip({"payload.html": html_bytes()})


# What the validator must answer for each hostile file (default page and pixel limits, any
# max_bytes of 16 KiB or more): name -> (factory, code).
HOSTILE_DOCUMENTS: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty": (empty_bytes, "file.empty"),
    "png": (png_bytes, "file.unsupported_type"),
    "zip": (zip_bytes, "file.unsupported_type"),
    "html": (html_bytes, "file.unsupported_type"),
    "pdf_zip_polyglot": (pdf_zip_polyglot_bytes, "file.unsupported_type"),
    "pdf_with_zip_appended": (pdf_with_zip_appended_bytes, "file.unsupported_type"),
    "jpeg_with_zip_appended": (jpeg_with_zip_appended_bytes, "file.unsupported_type"),
    "truncated_jpeg": (truncated_jpeg_bytes, "file.corrupt"),
    "truncated_pdf": (truncated_pdf_bytes, "file.corrupt"),
    "garbage_pdf": (garbage_pdf_bytes, "file.corrupt"),
    "jpeg_bomb": (jpeg_bomb_bytes, "file.image_too_large"),
    "encrypted_pdf": (encrypted_pdf_bytes, "file.pdf_encrypted"),
    "aes256_encrypted_pdf": (aes256_encrypted_pdf_bytes, "file.pdf_encrypted"),
    "scripted_pdf": (scripted_pdf_bytes, "file.pdf_active_content"),
    "too_many_pages_pdf": (lambda: pdf_bytes(pages=21), "file.pdf_page_count"),
}

# --- building blocks --------------------------------------------------------------------------


def _certificate_image(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    paper = rng.normal(238, 12, size=(height, width, 3)).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(paper)
    if min(width, height) >= 32:
        _draw_certificate_layout(ImageDraw.Draw(image), width, height, rng)
    return image


def _toned_text_certificate(*, pivot: int, gain: float) -> bytes:
    return _encode(_tone(_text_certificate_image(100, 6, 250, seed=0), pivot=pivot, gain=gain), "JPEG", quality=90)


def _tone(image: Image.Image, *, pivot: int, gain: float) -> Image.Image:
    """Every level moved towards `pivot` (gain < 1 lowers contrast around it)."""
    return image.point(lambda level: round(pivot + (level - pivot) * gain))


_CERTIFICATE_WORDS = (
    "certificate attendance practitioner infection control course university riyadh nursing specialty"
    " commission health hours credit program completed successfully training professional education"
    " registration classification hospital medical clinical department director signature date issued"
).split()


def _text_certificate_lines(lines: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(_CERTIFICATE_WORDS, size=7)) for _ in range(lines)]


def _text_certificate_image(dpi: int, lines: int, paper: int, seed: int) -> Image.Image:
    image = Image.new("RGB", (round(8.27 * dpi), round(11.69 * dpi)), (paper, paper, max(0, paper - 4)))
    draw = ImageDraw.Draw(image)

    def points(size: float) -> int:
        return max(1, round(size * dpi / 72))

    margin = points(60)
    draw.text((margin, margin), "CERTIFICATE OF ATTENDANCE", font=ImageFont.load_default(points(26)), fill=(20, 30, 70))
    body = ImageFont.load_default(points(12))
    for number, line in enumerate(_text_certificate_lines(lines, seed)):
        draw.text((margin, margin + points(60) + number * points(18)), line, font=body, fill=(25, 25, 30))
    return image


def _draw_certificate_layout(draw: ImageDraw.ImageDraw, width: int, height: int, rng: np.random.Generator) -> None:
    margin = min(width, height) // 16
    draw.rectangle(
        (margin, margin, width - 1 - margin, height - 1 - margin), outline=(20, 40, 90), width=max(1, margin // 4)
    )
    text_height = max(2, height // 30)
    left_edge, right_edge = 2 * margin, width - 2 * margin
    for top in range(3 * margin, height - 3 * margin, 2 * text_height):
        left = left_edge
        while left < right_edge:
            word = int(rng.integers(text_height, 5 * text_height))
            draw.rectangle((left, top, min(left + word, right_edge), top + text_height - 1), fill=(25, 25, 30))
            left += word + text_height


def _encode(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def _declare_jpeg_size(data: bytes, width: int, height: int) -> bytes:
    """Rewrite the frame header (SOFn: length, precision, height, width) of a JPEG."""
    frame_markers = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
    offset = 2  # after SOI
    while offset + 4 <= len(data):
        marker = data[offset + 1]
        segment_length = int.from_bytes(data[offset + 2 : offset + 4], "big")
        if marker in frame_markers:
            size = height.to_bytes(2, "big") + width.to_bytes(2, "big")
            return data[: offset + 5] + size + data[offset + 9 :]
        offset += 2 + segment_length
    raise ValueError("no frame header found")


# About 150 characters of text per page: a text layer, not a title alone.
_CERTIFICATE_TEXT = (
    b"BT /F1 20 Tf 72 760 Td (Certificate of Attendance) Tj"
    b" /F1 12 Tf 0 -40 Td (This certifies that Sara Abdullah Al-Harbi) Tj"
    b" 0 -18 Td (attended the Infection Control Course, 12 CPD hours,) Tj"
    b" 0 -18 Td (King Saud University, Riyadh, 2025-09-01.) Tj"
    b" 0 -40 Td (Page %d) Tj ET"
)


def _certificate_pdf(pages: int, text: bytes = _CERTIFICATE_TEXT) -> PdfWriter:
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    for number in range(1, pages + 1):
        page = writer.add_blank_page(*A4_POINTS)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        content = ContentStream(None, writer)
        content.set_data(text % number if b"%d" in text else text)
        page.replace_contents(content)
    return writer


def _write(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            # A fixed timestamp keeps the archive byte-for-byte reproducible.
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), content)
    return buffer.getvalue()


def _action(action_type: str, **entries: object) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action"), NameObject("/S"): NameObject(action_type)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value
    return action


def _add_open_action_javascript(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/OpenAction")] = JavaScript("app.alert('hello');")


def _add_names_javascript(writer: PdfWriter) -> None:
    # pypdf's own API files document-level scripts under /Names /JavaScript.
    writer.add_open_action(JavaScript("app.alert('hello');"))


def _add_launch_action(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/OpenAction")] = _action("/Launch", F=TextStringObject("cmd.exe"))


def _add_chained_javascript(writer: PdfWriter) -> None:
    # An innocent "go to page 1" whose /Next runs a script.
    destination = ArrayObject([writer.pages[0].indirect_reference, NameObject("/Fit")])
    writer.root_object[NameObject("/OpenAction")] = _action(
        "/GoTo", D=destination, Next=JavaScript("app.alert('hello');")
    )


def _add_embedded_file(writer: PdfWriter) -> None:
    writer.add_attachment("invoice.exe", b"MZ" + bytes(64))


def _add_page_additional_actions(writer: PdfWriter) -> None:
    # No script at all: a page that calls a URL by itself when opened is already too much.
    writer.pages[0].add_action(PageTrigger.OPEN, _action("/URI", URI=TextStringObject("https://example.org/track")))


def _add_link_javascript(writer: PdfWriter) -> None:
    link = _annotation("/Link")
    link[NameObject("/Border")] = ArrayObject([NumberObject(0), NumberObject(0), NumberObject(0)])
    link[NameObject("/A")] = JavaScript("app.alert('hello');")
    writer.add_annotation(0, link)


def _add_file_attachment_annotation(writer: PdfWriter) -> None:
    # A file carried by an annotation only: pypdf builds the file specification, which then moves
    # out of the document's /EmbeddedFiles name tree.
    file_specification = writer.add_attachment("invoice.exe", b"MZ" + bytes(64)).pdf_object
    del writer.root_object["/Names"][NameObject("/EmbeddedFiles")]
    attachment = _annotation("/FileAttachment")
    attachment[NameObject("/FS")] = file_specification
    writer.add_annotation(0, attachment)


def _annotation(subtype: str) -> DictionaryObject:
    rectangle = ArrayObject([FloatObject(72), FloatObject(700), FloatObject(300), FloatObject(730)])
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject(subtype),
            NameObject("/Rect"): rectangle,
        }
    )


_ACTIVE_CONTENT_BUILDERS: dict[str, Callable[[PdfWriter], None]] = {
    "open_action_javascript": _add_open_action_javascript,
    "names_javascript": _add_names_javascript,
    "launch_action": _add_launch_action,
    "chained_javascript": _add_chained_javascript,
    "embedded_file": _add_embedded_file,
    "page_additional_actions": _add_page_additional_actions,
    "link_javascript": _add_link_javascript,
    "file_attachment_annotation": _add_file_attachment_annotation,
}
