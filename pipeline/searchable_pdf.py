"""Build the searchable PDF of a dossier: page images with an invisible text layer.

Each page is composed on its own (``compose_page_pdf``) so pages can be made
in parallel; ``merge_pdfs`` then joins them. The JPEG page image is embedded
as is (img2pdf writes its bytes into the PDF unchanged), and the text layer is
tesseract's text-only PDF of the same image, stretched onto the same page box.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import img2pdf
import pikepdf

from sohoa.core.errors import ProcessingError
from sohoa.pipeline.qpdf import join_pages

_TEXT_LAYER_PREFIX = "OCR"  # name of the text layer's Form XObject


def compose_page_pdf(image_jpeg: Path, text_only_pdf: Path | None, dpi: int, out_pdf: Path) -> Path:
    """Write a one-page PDF showing ``image_jpeg`` at its physical size for ``dpi``.

    Args:
        image_jpeg: the page image; embedded without re-encoding.
        text_only_pdf: tesseract's ``textonly_pdf=1`` output for the same image,
            or None for a page without text (blank page).
        dpi: resolution of the image; sets the page size.
        out_pdf: where the page goes; written only once complete.
    """
    try:
        image_page = img2pdf.convert(
            str(image_jpeg),
            layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi)),
            rotation=img2pdf.Rotation.none,  # the pixels are upright; EXIF must not turn them
            nodate=True,
        )
    except (img2pdf.ImageOpenError, img2pdf.PdfTooLargeError, OSError, ValueError) as exc:
        raise ProcessingError(f"Cannot put {image_jpeg.name} into a PDF page: {exc}") from exc
    with ExitStack() as stack:
        pdf = stack.enter_context(pikepdf.open(io.BytesIO(image_page)))
        if text_only_pdf is not None:
            try:
                text = stack.enter_context(pikepdf.open(text_only_pdf))
                _overlay_text_layer(pdf, text.pages[0])
            except (pikepdf.PdfError, IndexError) as exc:
                raise ProcessingError(
                    f"Cannot read the OCR text layer {text_only_pdf.name}: {exc}"
                ) from exc
        with _written_atomically(out_pdf) as partial:
            pdf.save(
                partial,
                object_stream_mode=pikepdf.ObjectStreamMode.generate,
                deterministic_id=True,
            )
    return out_pdf


def _box(page: pikepdf.Page) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    return min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0)


def _overlay_text_layer(pdf: pikepdf.Pdf, text_page: pikepdf.Page) -> None:
    """Draw ``text_page`` over the page of ``pdf`` as a Form XObject, scaled to its page box.

    Width and height are scaled separately so the text lands on its words even
    if tesseract rounded the page size differently.
    """
    page = pdf.pages[0]
    x, y, width, height = _box(page)
    tx, ty, text_width, text_height = _box(text_page)
    form = pdf.copy_foreign(text_page.as_form_xobject())
    xobjects = page.resources.get("/XObject")
    taken = set(xobjects.keys()) if xobjects is not None else set()
    # A fixed name, not add_resource's random one, keeps the output reproducible.
    name = next(
        f"/{_TEXT_LAYER_PREFIX}{n}"
        for n in range(1, len(taken) + 2)
        if f"/{_TEXT_LAYER_PREFIX}{n}" not in taken
    )
    page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(name))
    sx, sy = width / text_width, height / text_height
    matrix = f"{sx:.6f} 0 0 {sy:.6f} {x - tx * sx:.4f} {y - ty * sy:.4f}"
    page.contents_add(f"q {matrix} cm {name} Do Q".encode("ascii"))


def merge_pdfs(pages: list[Path], out_pdf: Path, timeout: float = 600.0) -> Path:
    """Join page PDFs in order into ``out_pdf``, written atomically.

    qpdf streams page content from the inputs, so memory stays flat in the
    number of pages."""
    if not pages:
        raise ProcessingError(f"No pages to put into {out_pdf.name}")
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    with _written_atomically(out_pdf) as partial:
        join_pages(pages, partial, timeout)
    return out_pdf


@contextmanager
def _written_atomically(out_pdf: Path) -> Iterator[Path]:
    """A temporary path beside ``out_pdf`` to write; once written it is
    flushed to disk and renamed to ``out_pdf``, and removed on error."""
    partial = out_pdf.with_name(f".{out_pdf.name}.{os.getpid()}-{threading.get_ident()}.partial")
    try:
        yield partial
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        partial.replace(out_pdf)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
