"""Uploads for tests and benchmarks: valid certificate scans and hostile files, built in memory.

Every function is deterministic for its arguments (one exception: pypdf gives an encrypted PDF a
random file identifier), small, and free of I/O, so unit, e2e and benchmark tests share them.
"""

import io
import zipfile
import zlib
from collections.abc import Callable, Sequence
from typing import Literal, NamedTuple, TypeVar

import numpy as np
from PIL import ExifTags, Image, ImageDraw, ImageFilter, ImageFont
from pypdf import PdfWriter
from pypdf.actions import Action, JavaScript, PageTrigger
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ContentStream,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    RectangleObject,
    TextStringObject,
)

A4_POINTS = (595, 842)
_Pdf = TypeVar("_Pdf", bound=PdfObject)

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
    writer.add_uri(0, "https://example.org/verify/12345", RectangleObject([72, 700, 300, 730]))
    return _write(writer)


def title_only_pdf_bytes() -> bytes:
    """A drawn PDF page with a title and nothing else: too little text to count as a text layer."""
    return _write(_certificate_pdf(1, text=b"BT /F1 28 Tf 72 760 Td (Certificate of Attendance) Tj ET"))


def form_pdf_bytes(active: str | None = None) -> bytes:
    """A filled-in form, as government forms are: the certificate text and an AcroForm with a text
    field, a checkbox and a radio group, each widget drawn from its appearance streams. The "on"
    state of the checkbox and of one radio button is named S, so their /AP /N dictionaries hold
    `/S <stream>` (nothing to do with an action's /S), and the widgets' border style is /S (solid).
    Harmless as it is; `active` adds one kind of `ACTIVE_PDF_CONTENT` to it, before the form, so the
    form's objects come first in the document catalog."""
    writer = _certificate_pdf(1)
    if active is not None:
        _ACTIVE_CONTENT_BUILDERS[active](writer)
    fonts = _resolved(_resolved(writer.pages[0]["/Resources"], DictionaryObject)["/Font"], DictionaryObject)
    font = fonts["/F1"]
    resources = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/Helv"): font})})
    name = _field("/Tx", "holder", [320, 560, 520, 580], V=TextStringObject("Sara Abdullah Al-Harbi"))
    name[NameObject("/DA")] = TextStringObject("/Helv 10 Tf 0 g")
    name[NameObject("/AP")] = _appearances(writer, {"/N": b"BT /Helv 10 Tf 2 6 Td (Sara Abdullah Al-Harbi) Tj ET"})
    agree = _field("/Btn", "agree", [72, 560, 84, 572], V=NameObject("/S"), AS=NameObject("/S"))
    agree[NameObject("/AP")] = _appearances(writer, {"/N": _CHECK_STATES, "/D": _CHECK_STATES})
    agree[NameObject("/MK")] = DictionaryObject({NameObject("/CA"): TextStringObject("4")})
    for field in (name, agree):
        _add_form_field(writer, field)
    group = writer._add_object(
        DictionaryObject(
            {
                NameObject("/FT"): NameObject("/Btn"),
                NameObject("/T"): TextStringObject("level"),
                NameObject("/Ff"): NumberObject(49152),  # radio buttons, never all off
                NameObject("/V"): NameObject("/S"),
                NameObject("/Kids"): ArrayObject(),
            }
        )
    )
    for index, (state, shown) in enumerate([("/S", "/S"), ("/Other", "/Off")]):
        choice = _field(None, None, [72, 520 - 20 * index, 84, 532 - 20 * index], AS=NameObject(shown), Parent=group)
        choice[NameObject("/AP")] = _appearances(writer, {"/N": {state: b"0 g 3 3 6 6 re f", "/Off": b""}})
        _add_form_field(writer, choice, as_field=False)
        _resolved(_resolved(group, DictionaryObject)["/Kids"], ArrayObject).append(choice.indirect_reference)
    form = _resolved(writer.root_object["/AcroForm"], DictionaryObject)
    _resolved(form["/Fields"], ArrayObject).append(group)
    form.update(
        {
            NameObject("/DR"): resources,
            NameObject("/DA"): TextStringObject("/Helv 0 Tf 0 g"),
            NameObject("/NeedAppearances"): BooleanObject(False),
        }
    )
    return _write(writer)


def tagged_pdf_bytes() -> bytes:
    """The certificate as office suites write it (tagged, for accessibility): a structure tree whose
    elements carry their type in /S (/Document, /P, /Link), page labels with style /S /D, a
    transparency group (/S /Transparency), a soft mask (/S /Luminosity), a page transition
    (/S /Dissolve), a bookmark that goes to page 1 and an XMP metadata stream. Harmless."""
    writer = _certificate_pdf(1)
    page = writer.pages[0]
    page_reference = page.indirect_reference
    assert page_reference is not None

    def element(kind: str, **entries: PdfObject) -> DictionaryObject:
        return DictionaryObject(
            {NameObject("/Type"): NameObject("/StructElem"), NameObject("/S"): NameObject(kind)}
            | {NameObject(f"/{key}"): value for key, value in entries.items()}
        )

    paragraph = element("/P", K=NumberObject(0), Pg=page_reference)
    link = element("/Link", K=ArrayObject(), Pg=page_reference)
    document = element("/Document", K=ArrayObject([writer._add_object(paragraph), writer._add_object(link)]))
    root = writer.root_object
    root[NameObject("/StructTreeRoot")] = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/StructTreeRoot"),
                NameObject("/K"): writer._add_object(document),
                NameObject("/RoleMap"): DictionaryObject({NameObject("/Heading"): NameObject("/H1")}),
            }
        )
    )
    root[NameObject("/MarkInfo")] = DictionaryObject({NameObject("/Marked"): BooleanObject(True)})
    root[NameObject("/Lang")] = TextStringObject("en-GB")
    root[NameObject("/PageLabels")] = DictionaryObject(
        {NameObject("/Nums"): ArrayObject([NumberObject(0), DictionaryObject({NameObject("/S"): NameObject("/D")})])}
    )
    metadata = DecodedStreamObject()
    metadata.set_data(b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    metadata.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    root[NameObject("/Metadata")] = writer._add_object(metadata)
    page[NameObject("/Group")] = DictionaryObject(
        {NameObject("/S"): NameObject("/Transparency"), NameObject("/CS"): NameObject("/DeviceRGB")}
    )
    page[NameObject("/Trans")] = DictionaryObject({NameObject("/S"): NameObject("/Dissolve")})
    mask_group = _form_xobject(writer, b"1 g 0 0 595 842 re f", [0.0, 0.0, *A4_POINTS])
    soft_mask = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Mask"),
            NameObject("/S"): NameObject("/Luminosity"),
            NameObject("/G"): mask_group,
        }
    )
    _resolved(page["/Resources"], DictionaryObject)[NameObject("/ExtGState")] = DictionaryObject(
        {NameObject("/GS0"): DictionaryObject({NameObject("/SMask"): soft_mask})}
    )
    page[NameObject("/StructParents")] = NumberObject(0)
    writer.add_outline_item(title="Certificate", page_number=0)
    return _write(writer)


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


def ocr_scanned_pdf_bytes(
    width: int = 1240, height: int = 1754, *, dpi: int = 150, blur: float = 0.0, seed: int = 0
) -> bytes:
    """`scanned_pdf_bytes` made searchable, as scanners' and OCR tools' PDFs are: the certificate's
    text laid over the scan in invisible text (render mode 3). A text layer, but still a scan."""
    return _with_text(scanned_pdf_bytes(width, height, dpi=dpi, blur=blur, seed=seed), b"3 Tr " + _CERTIFICATE_TEXT % 1)


def text_over_background_pdf_bytes() -> bytes:
    """A digital certificate drawn over a full-page background picture of low resolution (a
    decorative border at 72 dpi, as template-made certificates have): its text is drawn and
    readable, whatever the picture's resolution."""
    return _with_text(scanned_pdf_bytes(595, 842, dpi=72), _CERTIFICATE_TEXT % 1)


def drawn_pdf_bytes() -> bytes:
    """A vector-only page: a border and lines of bars drawn as paths, no text and no image."""
    bars = [b"0.1 0.15 0.35 RG 6 w 40 40 515 762 re S 0.1 g"]
    rng = np.random.default_rng(0)
    for top in range(720, 120, -24):
        left = 80
        while left < 500:
            word = int(rng.integers(20, 90))
            bars.append(b"%d %d %d 12 re f" % (left, top, min(word, 515 - left)))
            left += word + 12
    return _write(_certificate_pdf(1, text=b" ".join(bars)))


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


# Ways to carry a text layer that nobody sees, for `invisible_text_pdf_bytes`.
INVISIBLE_TEXT = ("render_mode_3", "clipping_only", "white_on_white", "font_without_glyphs", "off_the_page")


def invisible_text_pdf_bytes(kind: str = "render_mode_3") -> bytes:
    """A blank white page carrying the certificate's text where nobody sees it (one of
    `INVISIBLE_TEXT`): a text layer that proves nothing about what the reader is shown."""
    text = _CERTIFICATE_TEXT % 1
    match kind:
        case "render_mode_3":
            return _write(_certificate_pdf(1, text=b"3 Tr " + text))
        case "clipping_only":
            return _write(_certificate_pdf(1, text=b"7 Tr " + text))
        case "white_on_white":
            return _write(_certificate_pdf(1, text=b"1 g " + text))
        case "font_without_glyphs":
            writer = _certificate_pdf(1, text=text)
            fonts = _resolved(_resolved(writer.pages[0]["/Resources"], DictionaryObject)["/Font"], DictionaryObject)
            fonts[NameObject("/F1")] = _glyphless_font(writer)
            return _write(writer)
        case "off_the_page":
            return _write(_certificate_pdf(1, text=text.replace(b"72 760 Td", b"900 760 Td")))
    raise ValueError(f"unknown kind of invisible text: {kind}")


def blank_pdf_bytes() -> bytes:
    """A PDF whose only page is empty."""
    return _write(_certificate_pdf(1, text=b""))


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
    "file_attachment_without_embedded_file",
    "form_field_javascript",
    "submit_button",
    "launch_in_next_array",
    "indirect_action_type",
    "launch_action_also_referenced_elsewhere",
    "bookmark_launch",
)


def scripted_pdf_bytes(kind: str = "open_action_javascript") -> bytes:
    """A one-page PDF carrying one kind of active content from `ACTIVE_PDF_CONTENT`."""
    writer = _certificate_pdf(1)
    _ACTIVE_CONTENT_BUILDERS[kind](writer)
    return _write(writer)


CrossReference = Literal["table", "stream", "hybrid"]


class RawStream(NamedTuple):
    """A stream object for `raw_pdf_bytes`: its dictionary's entries (PDF syntax) and its data."""

    entries: bytes
    data: bytes


def raw_pdf_bytes(
    catalog: bytes = b"",
    page: bytes = b"",
    objects: Sequence[bytes | RawStream] = (),
    *,
    content: bytes | None = None,
    cross_reference: CrossReference = "table",
) -> bytes:
    """A one-page certificate written by hand, object by object, for structures no writer makes on
    request: object 1 is the catalog, 2 the page tree, 3 the page, 4 its font (/F1, Helvetica), 5
    its content (`content`, by default the certificate's text), then `objects` from 6 on.
    `catalog` and `page` are extra entries of the catalog and the page, in PDF syntax.
    `cross_reference` "stream" puts every object that is not a stream into an object stream and
    the cross-reference table into a cross-reference stream (PDF 1.5 and later, as LibreOffice
    writes them); "hybrid" adds a classic table for older readers as well (as Word does)."""
    bodies: list[bytes | RawStream] = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >>"
        b" /Contents 5 0 R " + page + b" >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        RawStream(b"", _CERTIFICATE_TEXT % 1 if content is None else content),
        *objects,
    ]
    return _assemble_pdf(bodies, cross_reference)


# What a dictionary's /S may hold besides an action type, in the kinds `odd_s_entry_pdf_bytes` writes.
ODD_S_ENTRIES = (
    "stream",
    "dictionary",
    "array",
    "number",
    "string",
    "boolean",
    "null",
    "dangling_reference",
    "unknown_name",
)


def odd_s_entry_pdf_bytes(kind: str, *, in_action: bool) -> bytes:
    """The certificate with a dictionary whose /S is no action type (one of `ODD_S_ENTRIES`): the
    /OpenAction when `in_action` (an action a viewer cannot run), otherwise a private dictionary
    of the catalog. Harmless either way."""
    writer = _certificate_pdf(1)
    values: dict[str, Callable[[], PdfObject]] = {
        "stream": lambda: _form_xobject(writer, b"0 g 0 0 10 10 re f", [0, 0, 10, 10]),
        "dictionary": lambda: DictionaryObject({NameObject("/S"): NameObject("/JavaScript")}),
        "array": lambda: ArrayObject([NameObject("/JavaScript"), NameObject("/Launch")]),
        "number": lambda: NumberObject(7),
        "string": lambda: TextStringObject("/JavaScript"),
        "boolean": lambda: BooleanObject(True),
        "null": NullObject,
        "dangling_reference": lambda: IndirectObject(9_999, 0, writer),
        "unknown_name": lambda: NameObject("/Frobnicate"),
    }
    holder = DictionaryObject({NameObject("/S"): values[kind]()})
    key = "/OpenAction" if in_action else "/PieceInfo"
    writer.root_object[NameObject(key)] = writer._add_object(holder)
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


_CERTIFICATE_WORDS = [
    "certificate",
    "attendance",
    "practitioner",
    "infection",
    "control",
    "course",
    "university",
    "riyadh",
    "nursing",
    "specialty",
    "commission",
    "health",
    "hours",
    "credit",
    "program",
    "completed",
    "successfully",
    "training",
    "professional",
    "education",
    "registration",
    "classification",
    "hospital",
    "medical",
    "clinical",
    "department",
    "director",
    "signature",
    "date",
    "issued",
]


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


_PDF_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def _assemble_pdf(bodies: Sequence[bytes | RawStream], cross_reference: CrossReference) -> bytes:
    """A PDF file of these objects (numbered from 1, the first one the catalog)."""
    if cross_reference == "table":
        out = bytearray(_PDF_HEADER)
        offsets = [_append_object(out, number, body) for number, body in enumerate(bodies, start=1)]
        table = len(out)
        out += _xref_table([(1, offset) for offset in offsets])
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, table)
        return bytes(out)
    # Objects that are not streams go, in order, into one object stream, numbered after the last
    # object; the cross-reference stream follows it.
    packed = [number for number, body in enumerate(bodies, start=1) if not isinstance(body, RawStream)]
    object_stream, xref_stream = len(bodies) + 1, len(bodies) + 2
    index, packed_bodies = b"", b""
    for number in packed:
        index += b"%d %d " % (number, len(packed_bodies))
        packed_bodies += _object_syntax(bodies[number - 1]) + b"\n"
    stream_entries = b"/Type /ObjStm /N %d /First %d /Filter /FlateDecode" % (len(packed), len(index))
    bodies = [*bodies, RawStream(stream_entries, zlib.compress(index + packed_bodies))]
    out = bytearray(_PDF_HEADER)
    entries: list[tuple[int, int, int]] = [(0, 0, 65535)]  # (type, field 2, field 3) of each, /W [1 4 2]
    for number, body in enumerate(bodies, start=1):
        if number in packed:
            entries.append((2, object_stream, packed.index(number)))
        else:
            entries.append((1, _append_object(out, number, body), 0))
    xref = len(out)
    entries.append((1, xref, 0))
    fields = b"".join(
        kind.to_bytes(1, "big") + two.to_bytes(4, "big") + three.to_bytes(2, "big") for kind, two, three in entries
    )
    xref_entries = b"/Type /XRef /Size %d /Root 1 0 R /W [1 4 2] /Filter /FlateDecode" % (xref_stream + 1)
    _append_object(out, xref_stream, RawStream(xref_entries, zlib.compress(fields)))
    if cross_reference == "stream":
        out += b"startxref\n%d\n%%%%EOF\n" % xref
        return bytes(out)
    # A hybrid file: a classic table for old readers, in which the packed objects are free, and
    # in its trailer /XRefStm, where newer readers find them.
    table = len(out)
    out += _xref_table([(kind, two) for kind, two, _ in entries[1:]])
    out += b"trailer\n<< /Size %d /Root 1 0 R /XRefStm %d >>\nstartxref\n%d\n%%%%EOF\n" % (xref_stream + 1, xref, table)
    return bytes(out)


def _append_object(out: bytearray, number: int, body: bytes | RawStream) -> int:
    """Write the object at the end of `out`; where it starts."""
    offset = len(out)
    out += b"%d 0 obj\n%s\nendobj\n" % (number, _object_syntax(body))
    return offset


def _xref_table(entries: list[tuple[int, int]]) -> bytes:
    """A classic cross-reference table of objects 1.. given as (1, offset) in use, or else free."""
    lines = [b"0000000000 65535 f \n"]
    lines += [b"%010d 00000 n \n" % offset if kind == 1 else b"0000000000 00001 f \n" for kind, offset in entries]
    return b"xref\n0 %d\n" % len(lines) + b"".join(lines)


def _object_syntax(body: bytes | RawStream) -> bytes:
    if isinstance(body, RawStream):
        return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (body.entries, len(body.data), body.data)
    return body


def _with_text(pdf: bytes, text: bytes) -> bytes:
    """`pdf` with `text` (content-stream syntax, font /F1 Helvetica) drawn over its first page."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    page = writer.pages[0]
    resources = _resolved(page["/Resources"], DictionaryObject)
    resources[NameObject("/Font")] = DictionaryObject({NameObject("/F1"): _helvetica()})
    content = ContentStream(page.get_contents(), writer)
    content.set_data(content.get_data() + b"\n" + text)
    page.replace_contents(content)
    return _write(writer)


def _helvetica() -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )


def _glyphless_font(writer: PdfWriter) -> IndirectObject:
    """A Type 3 font that knows the name of every printable ASCII character (so its text can be
    extracted) and draws nothing for any of them."""
    names = {
        **{ord(letter): letter for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"},
        **{ord(digit): name for digit, name in zip("0123456789", _DIGIT_NAMES, strict=True)},
        32: "space",
        44: "comma",
        45: "hyphen",
        46: "period",
    }
    nothing = writer._add_object(_decoded_stream(b"500 0 d0"))
    procedures = DictionaryObject({NameObject(f"/{name}"): nothing for name in names.values()})
    return writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type3"),
                NameObject("/FontBBox"): ArrayObject([NumberObject(0)] * 4),
                NameObject("/FontMatrix"): ArrayObject(
                    [
                        FloatObject(0.001),
                        NumberObject(0),
                        NumberObject(0),
                        FloatObject(0.001),
                        NumberObject(0),
                        NumberObject(0),
                    ]
                ),
                NameObject("/CharProcs"): procedures,
                NameObject("/Encoding"): DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/Encoding"),
                        NameObject("/Differences"): ArrayObject(
                            [NumberObject(32)] + [NameObject(f"/{names.get(code, 'space')}") for code in range(32, 127)]
                        ),
                    }
                ),
                NameObject("/FirstChar"): NumberObject(32),
                NameObject("/LastChar"): NumberObject(126),
                NameObject("/Widths"): ArrayObject([NumberObject(500)] * 95),
                NameObject("/Resources"): DictionaryObject(),
            }
        )
    )


_DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _decoded_stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def _resolved(value: PdfObject | None, kind: type[_Pdf]) -> _Pdf:
    """`value`, through an indirect reference, as the kind of object the generator put there."""
    resolved = value.get_object() if value is not None else None
    if not isinstance(resolved, kind):
        raise TypeError(f"expected a {kind.__name__}, found {type(resolved).__name__}")
    return resolved


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
    writer.pages[0].add_action(PageTrigger.OPEN, _UriAction("https://example.org/track"))


class _UriAction(Action):
    """Go to a web address. pypdf has no class of its own for it, and a page trigger takes an `Action`."""

    def __init__(self, uri: str) -> None:
        super().__init__()
        self[NameObject("/S")] = NameObject("/URI")
        self[NameObject("/URI")] = TextStringObject(uri)


def _add_link_javascript(writer: PdfWriter) -> None:
    link = _annotation("/Link")
    link[NameObject("/Border")] = ArrayObject([NumberObject(0), NumberObject(0), NumberObject(0)])
    link[NameObject("/A")] = JavaScript("app.alert('hello');")
    writer.add_annotation(0, link)


def _add_file_attachment_annotation(writer: PdfWriter) -> None:
    # A file carried by an annotation only: pypdf builds the file specification, which then moves
    # out of the document's /EmbeddedFiles name tree.
    file_specification = writer.add_attachment("invoice.exe", b"MZ" + bytes(64)).pdf_object
    del _resolved(writer.root_object["/Names"], DictionaryObject)[NameObject("/EmbeddedFiles")]
    attachment = _annotation("/FileAttachment")
    attachment[NameObject("/FS")] = file_specification
    writer.add_annotation(0, attachment)


def _add_file_attachment_without_embedded_file(writer: PdfWriter) -> None:
    # The annotation only names a file on the reader's disk: opening it still opens that file.
    attachment = _annotation("/FileAttachment")
    attachment[NameObject("/FS")] = TextStringObject("C:\\Windows\\System32\\calc.exe")
    writer.add_annotation(0, attachment)


def _add_form_field_javascript(writer: PdfWriter) -> None:
    # What form designers add to a text field: a keystroke script that formats what is typed.
    field = _field("/Tx", "amount", [320, 500, 520, 520])
    triggers = DictionaryObject({NameObject("/K"): JavaScript("AFNumber_Keystroke(2, 0, 0, 0, '', true);")})
    field[NameObject("/AA")] = triggers
    _add_form_field(writer, field)


def _add_submit_button(writer: PdfWriter) -> None:
    button = _field("/Btn", "send", [320, 460, 420, 480], Ff=NumberObject(65536))  # a push button
    button[NameObject("/A")] = _action("/SubmitForm", F=TextStringObject("https://example.org/collect"))
    _add_form_field(writer, button)


def _add_launch_in_next_array(writer: PdfWriter) -> None:
    # /Next may be an array of actions: the second one starts a program.
    destination = ArrayObject([writer.pages[0].indirect_reference, NameObject("/Fit")])
    follow_ups = ArrayObject([_action("/GoTo", D=destination), _action("/Launch", F=TextStringObject("cmd.exe"))])
    writer.root_object[NameObject("/OpenAction")] = _action("/GoTo", D=destination, Next=follow_ups)


def _add_indirect_action_type(writer: PdfWriter) -> None:
    # The action's type is an indirect object, and the action has no /Type of its own.
    action = DictionaryObject({NameObject("/S"): writer._add_object(NameObject("/Launch"))})
    action[NameObject("/F")] = TextStringObject("cmd.exe")
    writer.root_object[NameObject("/OpenAction")] = writer._add_object(action)


def _add_launch_action_also_referenced_elsewhere(writer: PdfWriter) -> None:
    # The same indirect action is first met under a key that means nothing (and is no action
    # position), then as the /OpenAction: it must still be looked at as an action.
    action = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})
    reference = writer._add_object(action)
    writer.root_object[NameObject("/OpenAction")] = reference
    writer.root_object[NameObject("/PieceInfo")] = DictionaryObject({NameObject("/Private"): reference})


def _add_bookmark_launch(writer: PdfWriter) -> None:
    bookmark = writer.add_outline_item(title="Open", page_number=0)
    _resolved(bookmark, DictionaryObject)[NameObject("/A")] = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
    )


def _field(
    field_type: str | None, name: str | None, rectangle: Sequence[float], **entries: PdfObject
) -> DictionaryObject:
    """A form field merged with its widget annotation (as most forms write them); a kid of a radio
    group has no type or name of its own."""
    widget = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/Rect"): ArrayObject([FloatObject(value) for value in rectangle]),
            NameObject("/F"): NumberObject(4),  # printed
            # Border style: one point wide, solid (/S /S).
            NameObject("/BS"): DictionaryObject(
                {NameObject("/W"): NumberObject(1), NameObject("/S"): NameObject("/S")}
            ),
        }
    )
    if field_type is not None:
        widget[NameObject("/FT")] = NameObject(field_type)
    if name is not None:
        widget[NameObject("/T")] = TextStringObject(name)
    for key, value in entries.items():
        widget[NameObject(f"/{key}")] = value
    return widget


def _add_form_field(writer: PdfWriter, field: DictionaryObject, *, as_field: bool = True) -> None:
    """Put a widget on page 1 and, unless it is the kid of a field, among the form's fields
    (creating the form if need be)."""
    reference = writer._add_object(field)
    page = writer.pages[0]
    if "/Annots" not in page:
        page[NameObject("/Annots")] = ArrayObject()
    _resolved(page["/Annots"], ArrayObject).append(reference)
    field[NameObject("/P")] = page.indirect_reference
    if as_field:
        if "/AcroForm" not in writer.root_object:
            writer.root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject()})
        form = _resolved(writer.root_object["/AcroForm"], DictionaryObject)
        _resolved(form["/Fields"], ArrayObject).append(reference)


# Appearance states of a checkbox whose "on" state is named S.
_CHECK_STATES = {"/S": b"0 g 2 2 8 8 re f", "/Off": b""}


def _appearances(writer: PdfWriter, appearances: dict[str, bytes | dict[str, bytes]]) -> DictionaryObject:
    """An /AP dictionary: each appearance (/N, /D) one form XObject, or one per state."""
    rectangle = [0.0, 0.0, 200.0, 20.0]

    def streams(content: bytes | dict[str, bytes]) -> PdfObject:
        if isinstance(content, bytes):
            return _form_xobject(writer, content, rectangle)
        return DictionaryObject(
            {NameObject(state): _form_xobject(writer, drawing, rectangle) for state, drawing in content.items()}
        )

    return DictionaryObject({NameObject(kind): streams(content) for kind, content in appearances.items()})


def _form_xobject(writer: PdfWriter, content: bytes, box: Sequence[float]) -> IndirectObject:
    form = DecodedStreamObject()
    form.set_data(content)
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject([FloatObject(value) for value in box]),
        }
    )
    return writer._add_object(form)


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
    "file_attachment_without_embedded_file": _add_file_attachment_without_embedded_file,
    "form_field_javascript": _add_form_field_javascript,
    "submit_button": _add_submit_button,
    "launch_in_next_array": _add_launch_in_next_array,
    "indirect_action_type": _add_indirect_action_type,
    "launch_action_also_referenced_elsewhere": _add_launch_action_also_referenced_elsewhere,
    "bookmark_launch": _add_bookmark_launch,
}
