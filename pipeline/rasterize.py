"""Turn one page of an accepted source file into a scratch page image (an
uncompressed TIFF that records its DPI) for the page steps.

PDF pages are rendered by poppler, one page per call, so memory does not grow
with the page count. A PDF page that is exactly one full-page scan (plus, at
most, an invisible text layer) is taken out at its native resolution instead:
faster, and the very pixels the scanner made. TIFF frames, JPEG and PNG images
keep their native resolution, are turned upright from their EXIF orientation
and converted to 8-bit grayscale or RGB. A bilevel scan stays black and white
(0 and 255 only), so the page steps can keep it bilevel.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image, ImageCms, ImageOps

from sohoa.core.errors import ProcessingError
from sohoa.pipeline import poppler
from sohoa.pipeline.affine import IDENTITY, Matrix, multiply, quarter_turn
from sohoa.pipeline.preflight import SourceFile

# Resolutions a real scan of a paper page can have; others are missing metadata.
PLAUSIBLE_DPI = range(100, 1201)
_WHITE = 255
_BILEVEL_THRESHOLD = 127
_TOLERANCE_PT = 0.75  # how closely a scan must cover the page box
_ANISOTROPY = 0.01

# Operators that draw nothing by themselves (state, text positioning, marked content).
_TEXT_STATE = ("BT", "ET", "Tf", "Tc", "Tw", "Tz", "TL", "Ts", "Td", "TD", "Tm", "T*")
_LINE_AND_COLOUR = ("w", "J", "j", "M", "d", "ri", "i", "g", "G", "rg", "RG", "k", "K")
_COLOUR_SPACES = ("cs", "CS", "sc", "SC", "scn", "SCN")
_MARKED_CONTENT = ("BMC", "BDC", "EMC", "MP", "DP", "BX", "EX")
_NO_MARKS = frozenset(_TEXT_STATE + _LINE_AND_COLOUR + _COLOUR_SPACES + _MARKED_CONTENT)
_SHOW_TEXT = frozenset(["Tj", "TJ", "'", '"'])
_INVISIBLE_TEXT = 3
# Full-page scans decoded in-process rather than by pdfimages.
_PLAIN_FILTERS = ("/FlateDecode", "/DCTDecode")
# Bilevel scans whose bytes the searchable PDF keeps as they are.
_BILEVEL_FILTERS = ("/JBIG2Decode", "/CCITTFaxDecode")
# Image dictionary entries PDF/A-2 forbids (ISO 19005-2, 6.2.8): epson.pdf asks to interpolate.
_NOT_IN_PDFA = ("/Interpolate", "/Alternates", "/OPI")
_PLAIN_COLOUR_SPACES = {"/DeviceGray": "L", "/DeviceRGB": "RGB"}
_EXIF_ORIENTATION = 0x0112
_SWAPS_AXES = (5, 6, 7, 8)  # EXIF orientations that turn the image by 90 degrees
# /Rotate turns the page clockwise for display; the same for the extracted scan.
_TURN_CLOCKWISE = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A page image ready for the page steps."""

    path: Path
    width: int
    height: int
    dpi: int


def render_page(
    source: SourceFile,
    page_index: int,
    dpi: int,
    out: Path,
    timeout: float,
    *,
    use_embedded_image: bool = True,
) -> RenderedPage:
    """Write page ``page_index`` (0-based) of ``source`` as an uncompressed TIFF.

    Args:
        source: a file accepted by ``inspect_file``.
        page_index: which page, from 0.
        dpi: resolution for PDF pages, and for images whose file states none
            (or an implausible one).
        out: where the TIFF goes (name it ``.tif``); written only once complete.
        timeout: seconds allowed to poppler for this page.
        use_embedded_image: take a PDF page's single full-page scan at its native
            resolution instead of rendering it at ``dpi``.
    """
    if not 0 <= page_index < source.page_count:
        raise ProcessingError(
            f"{source.path.name} has {source.page_count} pages; there is no page {page_index + 1}"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    if source.kind == "pdf":
        return _render_pdf_page(source.path, page_index, dpi, out, timeout, use_embedded_image)
    return _render_image_page(source.path, page_index, dpi, out)


def _render_pdf_page(
    pdf: Path, page_index: int, dpi: int, out: Path, timeout: float, use_embedded: bool
) -> RenderedPage:
    number = page_index + 1
    images = poppler.list_page_images(pdf, number, timeout)
    kept_scan = scan_copy(out)
    kept_scan.unlink(missing_ok=True)
    page = _analyse_page(
        pdf, page_index, images, decode_scan=use_embedded, render_dpi=dpi, keep_scan_to=kept_scan
    )
    if use_embedded and page.native_dpi is not None:
        if page.scan is not None:
            _save_upright(page.scan, page.rotation, out, page.native_dpi)
            return _rendered(out, page.native_dpi)
        raw = poppler.extract_page_image(pdf, number, out.with_suffix(".embedded"), timeout)
        try:
            with Image.open(raw) as image:
                _save_upright(image, page.rotation, out, page.native_dpi)
        finally:
            raw.unlink(missing_ok=True)
        return _rendered(out, page.native_dpi)
    # A bilevel scan drawn other than upright at full page (turned, skewed, cropped) is
    # rendered gray and thresholded: it stays bilevel, as the page steps then keep it.
    bilevel = bool(images) and all(i.bits_per_component == 1 and i.type == "image" for i in images)
    gray = bool(images) and not page.content.other_marks and all(i.color == "gray" for i in images)
    poppler.render_pdf_page(pdf, number, dpi, out, timeout, gray=gray or bilevel)
    if bilevel:
        with Image.open(out) as rendered:
            thresholded = black_and_white(rendered.convert("L"), "L")
        poppler.save_scratch_page(thresholded, out, dpi)
    return _rendered(out, dpi)


def black_and_white(gray: Image.Image, mode: str) -> Image.Image:
    """``gray`` (mode "L") thresholded at its middle, as mode "1" or "L" (0 and 255)."""
    return gray.point(lambda value: 255 * (value > _BILEVEL_THRESHOLD), mode=mode)


def _save_upright(scan: Image.Image, rotation: int, out: Path, dpi: int) -> None:
    upright = scan.transpose(_TURN_CLOCKWISE[rotation]) if rotation else scan
    poppler.save_scratch_page(_to_gray_or_rgb(upright), out, dpi)


def scan_copy(raster: Path) -> Path:
    """Where ``render_page`` keeps a bilevel scan's own bytes beside the page
    image ``raster`` it wrote (see ``_keep_bilevel_scan``); absent for other pages."""
    return raster.with_suffix(".scan.pdf")


def _keep_bilevel_scan(
    page: pikepdf.Page, content: _PageContent, raster_dpi: float, out: Path
) -> None:
    """When ``page`` draws one bilevel JBIG2 or CCITT G4 image and nothing
    else, a one-page PDF the size of its raster (one unit a pixel) that draws
    that image's stream, copied without decoding, where the raster shows it:
    rendered at 72 DPI it is the raster. The searchable PDF draws these bytes
    (``searchable_pdf.compose_kept_scan_pdf``), so the scan is kept as scanned."""
    if content.other_marks or len(content.image_draws) != 1:
        return
    xobject, image_matrix = content.image_draws[0]
    if not _is_compressed_bilevel(xobject):
        return
    x0, y0, x1, y1 = (float(v) for v in page.cropbox)
    scale = raster_dpi / 72
    width, height = abs(x1 - x0) * scale, abs(y1 - y0) * scale
    to_raster = (scale, 0.0, 0.0, scale, -min(x0, x1) * scale, -min(y0, y1) * scale)
    rotation = _rotation(page)
    if rotation in _TURN_CLOCKWISE:
        # /Rotate turns clockwise as shown: with y up, that is the y-down formula the other way.
        to_raster = multiply(to_raster, quarter_turn(-rotation % 360, width, height))
        if rotation != 180:
            width, height = height, width
    matrix = multiply(image_matrix, to_raster)
    with pikepdf.new() as pdf:
        image = pdf.copy_foreign(xobject)
        for key in _NOT_IN_PDFA:  # display hints PDF/A forbids; the image data stays as it is
            if key in image:
                del image[key]
        copy = pdf.add_blank_page(page_size=(width, height))
        copy.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Scan=image))
        draw = " ".join(f"{value:.6f}" for value in matrix)
        copy.obj.Contents = pdf.make_stream(f"q {draw} cm /Scan Do Q".encode("ascii"))
        pdf.save(out)


@dataclass(frozen=True, slots=True)
class _PageAnalysis:
    """What a page draws, the native DPI of its scan if it is one full-page
    scan, its /Rotate, and that scan decoded when pikepdf could do it."""

    content: _PageContent
    native_dpi: int | None
    rotation: int
    scan: Image.Image | None = None


def _analyse_page(
    pdf: Path,
    page_index: int,
    images: list[poppler.PdfImage],
    *,
    decode_scan: bool,
    render_dpi: int = 0,
    keep_scan_to: Path | None = None,
) -> _PageAnalysis:
    """Analyses the page; a page pikepdf cannot parse is left to poppler. A
    bilevel scan's own bytes go to ``keep_scan_to`` (see ``_keep_bilevel_scan``),
    placed for the raster the caller makes: at the native DPI of a full-page
    scan taken as it is (``decode_scan``), else rendered at ``render_dpi``."""
    try:
        with pikepdf.open(pdf) as document:
            page = document.pages[page_index]
            content = _scan_content(page)
            native_dpi = _full_page_scan_dpi(page, content, images)
            scan = None
            taken_as_is = decode_scan and native_dpi is not None
            if taken_as_is:
                scan = _decode_plain_scan(content.image_draws[0][0])
            if keep_scan_to is not None:
                raster_dpi = native_dpi if taken_as_is and native_dpi else render_dpi
                _keep_bilevel_scan(page, content, raster_dpi, keep_scan_to)
            return _PageAnalysis(content, native_dpi, _rotation(page), scan)
    except (pikepdf.PdfError, KeyError, TypeError, ValueError, IndexError, AttributeError):
        return _PageAnalysis(_PageContent(other_marks=True), None, 0)


def _decode_plain_scan(xobject: pikepdf.Stream) -> Image.Image | None:
    """The scan's pixels when it is 8-bit DeviceGray or DeviceRGB under one
    Flate or DCT filter (a JPEG as stored), else None (pdfimages decodes it).

    qpdf and Pillow decode these several times faster than pdfimages, which
    also writes an 8-bit gray Flate image as RGB.
    """
    filters = _single_filter(xobject)
    mode = _PLAIN_COLOUR_SPACES.get(str(xobject.get("/ColorSpace")))
    if str(filters) not in _PLAIN_FILTERS or xobject.get("/BitsPerComponent") != 8 or not mode:
        return None
    try:
        scan = pikepdf.PdfImage(xobject).as_pil_image()
        scan.load()
    except (pikepdf.PikepdfError, OSError, ValueError, NotImplementedError):
        return None
    return scan if scan.mode == mode else None


def _single_filter(xobject: pikepdf.Stream) -> object:
    """The stream's one filter (a name, or a one-name array unwrapped); None for a chain."""
    filters = xobject.get("/Filter")
    if isinstance(filters, pikepdf.Array):
        return filters[0] if len(filters) == 1 else None
    return filters


def _is_compressed_bilevel(xobject: pikepdf.Stream) -> bool:
    """A 1-bit image under one JBIG2 or CCITT fax filter."""
    filters = _single_filter(xobject)
    return str(filters) in _BILEVEL_FILTERS and xobject.get("/BitsPerComponent") == 1


def _rendered(page: Path, dpi: int) -> RenderedPage:
    with Image.open(page) as image:
        width, height = image.size
    return RenderedPage(path=page, width=width, height=height, dpi=dpi)


# --- PDF page analysis ----------------------------------------------------


@dataclass
class _PageContent:
    """What a page's content stream draws: images with their placement, and
    whether anything else visible is drawn."""

    image_draws: list[tuple[pikepdf.Stream, Matrix]] = field(default_factory=list)
    other_marks: bool = False


def _inherited(page: pikepdf.Page, key: str) -> pikepdf.Object | None:
    """A page attribute that may be set on a parent node of the page tree."""
    node: pikepdf.Object | None = page.obj
    for _ in range(64):  # page trees are shallow; this bounds a cyclic one
        if node is None:
            break
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


def _rotation(page: pikepdf.Page) -> int:
    value = _inherited(page, "/Rotate")
    return int(value) % 360 if value is not None else 0


def _instructions(page: pikepdf.Page) -> Iterator[tuple[list[pikepdf.Object], str]]:
    """Operands and operator of each instruction; inline images come as "BI"."""
    for instruction in pikepdf.parse_content_stream(page):
        if isinstance(instruction, pikepdf.ContentStreamInstruction):
            yield list(instruction.operands), str(instruction.operator)
        else:
            yield [], "BI"


def _resource(resources: pikepdf.Object | None, kind: str, name: pikepdf.Object) -> object:
    """A named resource of a page (an XObject or a graphics state), or None."""
    if resources is None or kind not in resources or not isinstance(name, pikepdf.Name):
        return None
    return resources[kind].get(name)


def _scan_content(page: pikepdf.Page) -> _PageContent:
    """Walk the content stream, tracking the transformation matrix."""
    content = _PageContent()
    resources = _inherited(page, "/Resources")
    ctm, text_mode = IDENTITY, 0
    stack: list[tuple[Matrix, int]] = []
    for operands, operator in _instructions(page):
        if operator == "q":
            stack.append((ctm, text_mode))
        elif operator == "Q":
            if stack:
                ctm, text_mode = stack.pop()
        elif operator == "cm":
            a, b, c, d, e, f = (float(x) for x in operands)
            ctm = multiply((a, b, c, d, e, f), ctm)
        elif operator == "Tr":
            text_mode = int(operands[0])
        elif operator in _SHOW_TEXT:
            content.other_marks |= text_mode != _INVISIBLE_TEXT
        elif operator == "Do":
            xobject = _resource(resources, "/XObject", operands[0])
            if isinstance(xobject, pikepdf.Stream) and _is_plain_image(xobject):
                content.image_draws.append((xobject, ctm))
            else:
                content.other_marks = True
        elif operator == "gs":
            state = _resource(resources, "/ExtGState", operands[0])
            content.other_marks |= not _is_opaque_state(state)
        elif operator not in _NO_MARKS:
            content.other_marks = True  # paths, clips, shadings, inline images
    annotations = page.obj.get("/Annots")
    if annotations is not None and any(a.get("/Subtype") != "/Link" for a in annotations):
        content.other_marks = True
    return content


def drawn_images(page: pikepdf.Page) -> list[tuple[pikepdf.Stream, Matrix]]:
    """The opaque images ``page`` draws, each with the matrix that places it."""
    return _scan_content(page).image_draws


def _is_plain_image(xobject: pikepdf.Stream) -> bool:
    """An opaque image drawn as is: no mask, optional content or decode array
    other than the default."""
    decode = xobject.get("/Decode")
    return (
        xobject.get("/Subtype") == "/Image"
        and not bool(xobject.get("/ImageMask", False))
        and not any(key in xobject for key in ("/SMask", "/Mask", "/OC"))
        and (decode is None or [float(v) for v in decode] == [0.0, 1.0] * (len(decode) // 2))
    )


def _is_opaque_state(state: object) -> bool:
    """A graphics state that changes nothing about how an image looks."""
    if not isinstance(state, pikepdf.Dictionary):
        return False
    if any(key in state for key in ("/TR", "/TR2")):
        return False
    if state.get("/SMask", pikepdf.Name.None_) != pikepdf.Name.None_:
        return False
    if float(state.get("/CA", 1)) != 1 or float(state.get("/ca", 1)) != 1:
        return False
    return str(state.get("/BM", "/Normal")) in ("/Normal", "/Compatible")


def _full_page_scan_dpi(
    page: pikepdf.Page, content: _PageContent, images: list[poppler.PdfImage]
) -> int | None:
    """The native DPI of a page that shows exactly one scan covering its crop
    box, upright and unmirrored, and nothing else; otherwise None."""
    if content.other_marks or len(content.image_draws) != 1 or len(images) != 1:
        return None
    listed = images[0]
    if listed.type != "image" or (listed.color, listed.bits_per_component) not in (
        ("gray", 8),
        ("gray", 1),
        ("rgb", 8),
        ("icc", 8),  # gray or RGB samples under an ICC profile (c03-29.pdf's scanner)
    ):
        return None
    if listed.components not in (1, 3):
        return None
    if _rotation(page) not in (0, *_TURN_CLOCKWISE) or "/UserUnit" in page.obj:
        return None
    xobject, (a, b, c, d, e, f) = content.image_draws[0]
    if (int(xobject.Width), int(xobject.Height)) != (listed.width, listed.height):
        return None
    x0, y0, x1, y1 = (float(v) for v in page.cropbox)
    x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    covers_box = (
        abs(b) < 1e-6
        and abs(c) < 1e-6
        and a > 0
        and d > 0
        and all(
            abs(got - want) <= _TOLERANCE_PT
            for got, want in ((e, x0), (f, y0), (e + a, x1), (f + d, y1))
        )
    )
    if not covers_box:
        return None
    x_dpi, y_dpi = listed.width * 72 / a, listed.height * 72 / d
    if abs(x_dpi - y_dpi) > _ANISOTROPY * x_dpi or round(x_dpi) not in PLAUSIBLE_DPI:
        return None
    return round(x_dpi)


# --- TIFF, JPEG and PNG ----------------------------------------------------


def _render_image_page(path: Path, page_index: int, default_dpi: int, out: Path) -> RenderedPage:
    try:
        with Image.open(path) as image:
            image.seek(page_index)
            x_dpi, y_dpi = _stated_dpi(image.info.get("dpi")) or (default_dpi, default_dpi)
            if image.getexif().get(_EXIF_ORIENTATION, 1) in _SWAPS_AXES:
                x_dpi, y_dpi = y_dpi, x_dpi
            upright = ImageOps.exif_transpose(image)
            page = _to_gray_or_rgb(upright)
    except (OSError, ValueError, EOFError, SyntaxError) as exc:
        raise ProcessingError(f"Cannot read page {page_index + 1} of {path.name}: {exc}") from exc
    dpi = round(max(x_dpi, y_dpi))
    if abs(x_dpi - y_dpi) > _ANISOTROPY * dpi:
        # Fax-style scans (e.g. 204×98 dpi): resample to square pixels.
        size = (round(page.width * dpi / x_dpi), round(page.height * dpi / y_dpi))
        page = page.resize(size, Image.Resampling.LANCZOS)
    poppler.save_scratch_page(page, out, dpi)
    return RenderedPage(path=out, width=page.width, height=page.height, dpi=dpi)


def _stated_dpi(stated: object) -> tuple[float, float] | None:
    """The resolution an image file states, if plausible for a scan.

    Phone photos and exports often state 72 dpi or nothing; those fall back
    to the configured DPI.
    """
    if not isinstance(stated, tuple) or len(stated) != 2:
        return None
    try:
        x_dpi, y_dpi = float(stated[0]), float(stated[1])
    except (TypeError, ValueError):
        return None
    if round(x_dpi) in PLAUSIBLE_DPI and round(y_dpi) in PLAUSIBLE_DPI:
        return x_dpi, y_dpi
    return None


def _to_gray_or_rgb(image: Image.Image) -> Image.Image:
    """8-bit grayscale (L) or RGB, whatever mode the file uses.

    Transparent areas become white paper; 16-bit samples are scaled, not
    clipped; CMYK goes through the file's ICC profile when it has one.
    """
    mode = image.mode
    if mode in ("L", "RGB"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I") or mode == "F":
        return _deep_to_gray(image)
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info
        palette = image.getpalette() or []
        gray = palette[0::3] == palette[1::3] == palette[2::3]
        image = image.convert("RGBA" if has_alpha else "RGB")
        if not has_alpha:
            return image.convert("L") if gray else image
        return _on_white(image, "L" if gray else "RGB")
    if mode in ("LA", "La"):
        return _on_white(image.convert("RGBA"), "L")
    if mode in ("RGBA", "RGBa"):
        return _on_white(image.convert("RGBA"), "RGB")
    if mode == "CMYK":
        return _cmyk_to_rgb(image)
    return image.convert("RGB")


def _on_white(image: Image.Image, mode: str) -> Image.Image:
    paper = Image.new("RGBA", image.size, (_WHITE, _WHITE, _WHITE, _WHITE))
    return Image.alpha_composite(paper, image).convert(mode)


def _deep_to_gray(image: Image.Image) -> Image.Image:
    """16-bit (or 32-bit / float) grayscale to 8 bits, scaling the full range."""
    samples = np.asarray(image)
    if image.mode == "F":
        full_scale = 1.0 if samples.max(initial=0) <= 1.0 else 255.0
    else:
        full_scale = 65535.0 if samples.max(initial=0) <= 65535 else float(samples.max())
    scaled = np.clip(np.rint(samples.astype(np.float32) * (255.0 / full_scale)), 0, 255)
    return Image.fromarray(scaled.astype(np.uint8), mode="L")


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if icc:
        try:
            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: the plain conversion below is still readable
    return image.convert("RGB")
