"""What the console shows of a document: a JPEG inline, a PDF as its pages drawn to PNG (pypdfium2),
the original one click away."""

import asyncio
import io
import threading
from typing import Any

import pypdfium2 as pdfium

from mumaris.files import FileStore, render_pdf_page

# PDF pages are drawn this many pixels wide: sharper than the ~600 px column, for zooming in.
PDF_PAGE_WIDTH_PX = 1240
PDF_MAX_SCALE = 3.0  # never blow a small page up beyond this (points → pixels)
# pdfium is not thread-safe and the pages are drawn in worker threads.
_PDFIUM_LOCK = threading.Lock()


def pdf_page_count(data: bytes) -> int:
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            return len(document)
        finally:
            document.close()


def pdf_page_png(data: bytes, number: int) -> bytes | None:
    """Page `number` (from 1) as a PNG, or None when the document has no such page."""
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            if not 1 <= number <= len(document):
                return None
            page = document[number - 1]
            try:
                width_pt, _ = page.get_size()
                image = render_pdf_page(page, min(PDF_MAX_SCALE, PDF_PAGE_WIDTH_PX / max(width_pt, 1.0)))
            finally:
                page.close()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


async def document_view(doc: dict[str, Any], files: FileStore) -> dict[str, Any] | None:
    """How the item page shows the item's document: its type, and a PDF's number of pages."""
    stored = doc.get("file")
    if not stored:
        return None
    if stored["content_type"] == "application/pdf":
        try:
            pages_in_pdf = await asyncio.to_thread(pdf_page_count, await files.get(stored["file_id"]))
        except pdfium.PdfiumError:
            pages_in_pdf = 0  # the reviewer still gets the original through the link
        return {"type": "pdf", "pages": pages_in_pdf}
    return {"type": "jpeg" if stored["content_type"] == "image/jpeg" else "other"}
