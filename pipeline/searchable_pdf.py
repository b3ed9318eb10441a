"""Build the searchable PDF of a dossier: page images with an invisible text layer.

Each page is composed on its own (``compose_page_pdf``) so pages can be made
in parallel; ``merge_pdfs`` then joins them. The JPEG page image is embedded
as is (img2pdf writes its bytes into the PDF unchanged). The text layer is
drawn from the OCR word boxes, so any engine that gives word boxes can
provide it (as OCRmyPDF's hocrtransform does): each word in invisible text
(render mode 3), on its line's baseline, stretched to the width of its box,
in the GlyphLessFont (``glyphless.ttf``, Tesseract's ``pdf.ttf``, Apache-2.0)
whose every glyph is half an em wide. Characters are written as their
UTF-16 code units (Identity-H) with a ToUnicode map, so Vietnamese words
copy and search with their diacritics.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path

import img2pdf
import pikepdf
from PIL import Image

from sohoa.core.errors import ProcessingError
from sohoa.pipeline import poppler
from sohoa.pipeline.affine import Matrix, flip_vertically, multiply, scaled
from sohoa.pipeline.ocr import Word
from sohoa.pipeline.pdfa import ArchivalMetadata, write_pdfa_base
from sohoa.pipeline.qpdf import join_pages
from sohoa.pipeline.rasterize import drawn_images

GLYPHLESS_FONT = Path(__file__).with_name("glyphless.ttf")
_FONT = pikepdf.Name("/FOCR")  # a fixed resource name keeps the output reproducible
_GLYPH_WIDTH = 500  # /DW: every glyph is 500/1000 em wide
_SPACE = " "
_PEN_SLACK = 0.05  # points a word may start from its box's left edge
THUMBNAIL_QUALITY = 80


def compose_page_pdf(image_jpeg: Path, words: Sequence[Word], dpi: int, out_pdf: Path) -> Path:
    """Write a one-page PDF showing ``image_jpeg`` at its physical size for ``dpi``.

    Args:
        image_jpeg: the page image; embedded without re-encoding.
        words: the page's OCR words, boxes in ``image_jpeg``'s pixels, in
            reading order; none for a page without text (blank page).
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
    with pikepdf.open(io.BytesIO(image_page)) as pdf:
        if words:
            [image] = pdf.pages[0].get_images().values()
            _add_text_layer(pdf, words, (int(image.Width), int(image.Height)))
        _save_page(pdf, out_pdf)
    return out_pdf


def compose_kept_scan_pdf(
    kept_scan: Path,
    raster_to_page: Matrix,
    size_px: tuple[int, int],
    words: Sequence[Word],
    dpi: int,
    out_pdf: Path,
) -> Path:
    """Like ``compose_page_pdf``, for a bilevel scan whose own image stream the
    rasterizer kept (``rasterize.scan_copy``): those bytes, JBIG2 or CCITT G4 as
    the scanner wrote them, drawn turned and deskewed as the page steps turned
    the raster (``raster_to_page``) and clipped to what the raster showed, on a
    page of ``size_px`` page-image pixels at ``dpi``."""
    width_px, height_px = size_px
    points = 72 / dpi
    try:
        with pikepdf.open(kept_scan) as scan, pikepdf.new() as pdf:
            source = scan.pages[0]
            _, _, raster_width, raster_height = (float(v) for v in source.mediabox)
            [(image, image_matrix)] = drawn_images(source)
            page = pdf.add_blank_page(page_size=(width_px * points, height_px * points))
            page.obj.Resources = pikepdf.Dictionary(
                XObject=pikepdf.Dictionary(Scan=pdf.copy_foreign(image))
            )
            to_points = multiply(scaled(points), flip_vertically(height_px * points))
            raster_to_points = multiply(
                multiply(flip_vertically(raster_height), raster_to_page), to_points
            )
            draw = (
                f"q {_numbers(raster_to_points)} cm 0 0 {raster_width:.4f} {raster_height:.4f}"
                f" re W n {_numbers(image_matrix)} cm /Scan Do Q"
            )
            page.obj.Contents = pdf.make_stream(draw.encode("ascii"))
            if words:
                _add_text_layer(pdf, words, size_px)
            _save_page(pdf, out_pdf)
    except (pikepdf.PdfError, ValueError) as exc:
        message = f"Cannot put the kept scan {kept_scan.name} into a PDF page: {exc}"
        raise ProcessingError(message) from exc
    return out_pdf


def _numbers(matrix: Matrix) -> str:
    return " ".join(f"{value:.6f}" for value in matrix)


def _save_page(pdf: pikepdf.Pdf, out_pdf: Path) -> None:
    with _written_atomically(out_pdf) as partial:
        pdf.save(
            partial,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            deterministic_id=True,
        )


def _add_text_layer(pdf: pikepdf.Pdf, words: Sequence[Word], size_px: tuple[int, int]) -> None:
    """Draw ``words`` (boxes in the page image's pixels, ``size_px``) invisibly
    over ``pdf``'s one page."""
    page = pdf.pages[0]
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    points_per_px = (abs(x1 - x0) / size_px[0], abs(y1 - y0) / size_px[1])
    page.add_resource(_glyphless_font(pdf), pikepdf.Name.Font, _FONT)
    origin = (min(x0, x1), max(y0, y1))  # the image's top left, in points
    page.contents_add(_text_layer(words, origin, points_per_px))


def _text_layer(
    words: Sequence[Word], origin: tuple[float, float], points_per_px: tuple[float, float]
) -> bytes:
    """The content stream that draws ``words``, one line at a time."""
    sx, sy = points_per_px
    out = ["BT", "3 Tr"]
    for _, grouped in groupby(words, key=lambda word: word.line):
        line = list(grouped)
        top = min(word.top for word in line)
        bottom = max(word.top + word.height for word in line)
        size = (bottom - top) * sy
        if size <= 0:
            continue
        baseline = origin[1] - bottom * sy  # glyphs reach from the baseline up one em
        out.append(f"{_FONT} {size:.2f} Tf")
        pen: float | None = None  # where the text position is, along the line
        for word, following in zip(line, [*line[1:], None], strict=True):
            left = origin[0] + word.left * sx
            if pen is None or abs(pen - left) > _PEN_SLACK:
                # Placed anew only where the pen is not already there (after a
                # space stretched up to this word), a third less text to store.
                out.append(f"1 0 0 1 {left:.2f} {baseline:.2f} Tm")
                pen = left
            pen += _show(out, word.text, word.width * sx, size)
            if following is not None:  # a space up to the next word, for copy and paste
                gap = max((following.left - word.left - word.width) * sx, 0.01 * size)
                pen += _show(out, _SPACE, gap, size)
    out.append("ET")
    return "\n".join(out).encode("ascii")


def _show(out: list[str], text: str, width: float, size: float) -> float:
    """Append the operators that show ``text`` stretched to ``width`` points;
    returns how far they move the pen (the stretch as written, rounded)."""
    stretch = round(_stretch(text, width, size), 2)
    out.append(f"{stretch:.2f} Tz {_hex(text)} Tj")
    return _natural_width(text, size) * stretch / 100


def _natural_width(text: str, size: float) -> float:
    return len(text.encode("utf-16-be")) // 2 * size * _GLYPH_WIDTH / 1000


def _stretch(text: str, width: float, size: float) -> float:
    """The horizontal scaling (Tz, percent) that makes ``text`` ``width`` points wide."""
    return 100 * width / _natural_width(text, size)


def _hex(text: str) -> str:
    """``text`` as a PDF hex string of UTF-16 code units, the font's character codes."""
    return "<" + text.encode("utf-16-be").hex().upper() + ">"


def _to_unicode_cmap() -> bytes:
    """A ToUnicode map from each 2-byte code to the same UTF-16 code unit.

    One range per high byte: a range may vary only in its last byte.
    """
    ranges = [f"<{high:02X}00> <{high:02X}FF> <{high:02X}00>" for high in range(256)]
    blocks = [
        f"{len(chunk)} beginbfrange\n" + "\n".join(chunk) + "\nendbfrange"
        for chunk in (ranges[i : i + 100] for i in range(0, len(ranges), 100))
    ]
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            "<0000> <FFFF>",
            "endcodespacerange",
            *blocks,
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    ).encode("ascii")


def _glyphless_font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """The GlyphLessFont as a Type0 font: Identity-H codes, every CID drawn
    with glyph 1, and a ToUnicode map back to the text."""
    font_bytes = GLYPHLESS_FONT.read_bytes()
    font_file = pikepdf.Stream(pdf, font_bytes)
    font_file.Length1 = len(font_bytes)
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name.GlyphLessFont,
        Flags=5,  # fixed pitch, symbolic
        FontBBox=[0, 0, _GLYPH_WIDTH, 1000],
        ItalicAngle=0,
        Ascent=1000,
        Descent=-1,  # must be negative; the glyphs sit on the baseline
        CapHeight=1000,
        StemV=80,
        FontFile2=font_file,
    )
    cid_font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=pikepdf.Name.GlyphLessFont,
        CIDSystemInfo=pikepdf.Dictionary(
            Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0
        ),
        FontDescriptor=descriptor,
        DW=_GLYPH_WIDTH,
        CIDToGIDMap=pikepdf.Stream(pdf, b"\x00\x01" * 65536),
    )
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type0,
        BaseFont=pikepdf.Name.GlyphLessFont,
        Encoding=pikepdf.Name("/Identity-H"),
        DescendantFonts=[pdf.make_indirect(cid_font)],
        ToUnicode=pikepdf.Stream(pdf, _to_unicode_cmap()),
    )
    return pdf.make_indirect(font)


def merge_pdfs(
    pages: list[Path], out_pdf: Path, metadata: ArchivalMetadata, timeout: float = 600.0
) -> Path:
    """Join page PDFs in order into ``out_pdf``, a PDF/A-2b file that carries
    ``metadata``, written atomically.

    qpdf streams page content from the inputs, so memory stays flat in the
    number of pages."""
    if not pages:
        raise ProcessingError(f"No pages to put into {out_pdf.name}")
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    base = write_pdfa_base(metadata, out_pdf.with_name(f".{out_pdf.stem}.base.pdf"))
    try:
        with _written_atomically(out_pdf) as partial:
            join_pages(pages, partial, timeout, base=base)
    finally:
        base.unlink(missing_ok=True)
    if len(pages) > 1:
        share_repeated_resources(out_pdf)
    return out_pdf


def share_repeated_resources(pdf_path: Path) -> int:
    """Make pages that carry equal images or fonts draw them from one object,
    and rewrite ``pdf_path`` (atomically) when any were repeated; returns how
    many copies were dropped. Each page PDF brings its own text-layer font,
    and a scan that draws one image on several pages (OCRmyPDF's
    cardinal.pdf) brings that image once per page."""
    with pikepdf.open(pdf_path) as pdf:
        first: dict[bytes, pikepdf.Object] = {}
        dropped = 0
        for page in pdf.pages:
            resources = page.obj.get("/Resources", pikepdf.Dictionary())
            for category in ("/XObject", "/Font"):
                named = resources.get(category, pikepdf.Dictionary())
                for name, value in list(named.items()):
                    kept = first.setdefault(_fingerprint(value), value)
                    if kept.is_indirect and value.is_indirect and kept.objgen != value.objgen:
                        named[name] = kept
                        dropped += 1
        if dropped:
            with _written_atomically(pdf_path) as partial:
                pdf.save(
                    partial,
                    object_stream_mode=pikepdf.ObjectStreamMode.generate,
                    deterministic_id=True,
                )
    return dropped


def _fingerprint(value: pikepdf.Object) -> bytes:
    """A digest of ``value`` and everything it refers to (a stream's raw bytes
    included), equal for equal objects whatever their object numbers. A
    reference back to an object being digested (a scanner PDF's image may
    carry one) counts as how far back it points."""
    digest = hashlib.sha256()
    open_objects: list[tuple[int, int]] = []

    def feed(item: pikepdf.Object) -> None:
        objgen = item.objgen if isinstance(item, pikepdf.Object) and item.is_indirect else None
        if objgen in open_objects:
            digest.update(b"back%d" % (len(open_objects) - open_objects.index(objgen)))
            return
        if objgen is not None:
            open_objects.append(objgen)
        feed_direct(item)
        if objgen is not None:
            open_objects.pop()

    def feed_direct(item: pikepdf.Object) -> None:
        if isinstance(item, pikepdf.Stream):
            digest.update(b"stream")
            feed(pikepdf.Dictionary({k: v for k, v in item.stream_dict.items() if k != "/Length"}))
            digest.update(item.read_raw_bytes())
        elif isinstance(item, pikepdf.Dictionary):
            for key in sorted(item.keys()):
                digest.update(b"/" + key.encode())
                feed(item[key])
        elif isinstance(item, pikepdf.Array):
            digest.update(b"[")
            for element in item:
                feed(element)
            digest.update(b"]")
        else:
            digest.update(repr(item).encode())

    feed(value)
    return digest.digest()


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


def page_scan(pdf: Path, number: int, timeout: float = 120.0) -> tuple[bytes, str]:
    """Page ``number``'s image as stored in a searchable PDF, with its media
    type: a JPEG's bytes as they are, a CCITT G4 page image as PNG, and a kept
    scan (drawn turned or deskewed, perhaps JBIG2) rendered by poppler as PNG.
    The page images of a record are kept only in its PDF; this is how a viewer
    gets one.

    Raises:
        ProcessingError: no such page, or it holds no image.
    """
    try:
        with pikepdf.open(pdf) as document:
            draws = drawn_images(document.pages[number - 1])
            if not draws:
                raise ProcessingError(f"Page {number} of {pdf.name} holds no image")
            stream, (a, b, c, d, _, _) = draws[0]
            image = pikepdf.PdfImage(stream)
            upright = abs(b) < 1e-6 and abs(c) < 1e-6 and a > 0 and d > 0
            if upright and image.filters == ["/DCTDecode"]:
                return stream.read_raw_bytes(), "image/jpeg"
            if upright and image.filters == ["/CCITTFaxDecode"]:
                return _png(image.as_pil_image()), "image/png"
            dpi = round(int(stream.Width) * 72 / math.hypot(a, b))
    except (IndexError, pikepdf.PdfError, NotImplementedError) as exc:
        raise ProcessingError(f"No page {number} image in {pdf.name}: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="sohoa-page-") as scratch:
        rendered = Path(scratch) / "page.pgm"
        poppler.render_pdf_page(pdf, number, dpi, rendered, timeout, gray=True)
        with Image.open(rendered) as page:
            return _png(page), "image/png"


def page_thumbnail(pdf: Path, number: int, size_px: int = 256, timeout: float = 60.0) -> bytes:
    """Page ``number`` of a searchable PDF as a JPEG thumbnail whose longer
    side is ``size_px``: rendered by poppler at twice that and reduced, so
    thin strokes stay visible. Records keep no thumbnails; viewers make them
    from the PDF on demand (``app/lookup.py`` caches them).

    Raises:
        ProcessingError: no such page, or poppler cannot render it
            (``PopplerError``).
    """
    try:
        with pikepdf.open(pdf) as document:
            box = [float(edge) for edge in document.pages[number - 1].cropbox]
            longer_side_pt = max(abs(box[2] - box[0]), abs(box[3] - box[1]))
    except (IndexError, pikepdf.PdfError) as exc:
        raise ProcessingError(f"No page {number} in {pdf.name}: {exc}") from exc
    dpi = max(1, math.ceil(2 * size_px * 72 / longer_side_pt))
    with tempfile.TemporaryDirectory(prefix="sohoa-thumb-") as scratch:
        rendered = Path(scratch) / "page.ppm"
        poppler.render_pdf_page(pdf, number, dpi, rendered, timeout)
        with Image.open(rendered) as page:
            page.thumbnail((size_px, size_px), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            page.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()
