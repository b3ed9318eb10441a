"""Generated Vietnamese administrative documents with their ground truth.

Demo batches, tests and benchmarks need scans whose every word, number and date
is known. The package, by job:

- ``render``: ``render_document`` draws one document (an application form, a
  decision, a business registration certificate, a citizen ID card, a one-stop
  receipt with its QR code, ...) at 300 DPI with the DejaVu fonts, which cover
  every Vietnamese letter, and returns its pages with exactly what was drawn and
  the metadata a perfect reader would extract (``truth``). The documents
  themselves are laid out in ``forms``, ``official`` and ``certificates``, from
  the people, places and agencies of ``people``, typeset by ``drawing``.
- ``specimens``: ``render_page`` draws one of three fixed pages of known text at
  any DPI, for tests that measure OCR against it.
- ``distort``: what a scanner adds (skew, quarter turns, noise, dust, blur, dark
  edges, JPEG), on PIL images (``distort``) or on pixel arrays.
- ``batch``: ``write_batch`` and ``generate_demo_inbox`` write documents as an
  inbox batch, with the truth in a JSON file beside the batch folder so it is
  never ingested as a document.
- ``textnoise``: ``ocr_noise`` degrades text the way OCR does, for fast tests of
  text rules; ``scoring`` scores an extractor against the truth.
"""

from sohoa.samples.batch import (
    FORMATS,
    MULTIPAGE_FORMATS,
    generate_demo_inbox,
    save_scan,
    write_batch,
)
from sohoa.samples.distort import (
    add_dark_edges,
    add_scan_noise,
    distort,
    random_distortion,
    skew,
)
from sohoa.samples.drawing import A4, CARD, DPI, FONT_DIR, pt, qr_image
from sohoa.samples.people import MOTTO, MOTTO_EN, date_digits, date_words
from sohoa.samples.render import KINDS, render_document
from sohoa.samples.scoring import REPORTED_FIELDS, SCORED_FIELDS, ExtractionScores, FieldScore
from sohoa.samples.specimens import PAGE_TEXTS, RenderedPage, blank_page, render_page
from sohoa.samples.textnoise import ocr_noise
from sohoa.samples.truth import LIST_FIELDS, BatchTruth, GroundTruth, SampleDocument

# The name bench/corpus.py imports; new code uses ``save_scan``.
_save = save_scan

__all__ = [
    "A4",
    "CARD",
    "DPI",
    "FONT_DIR",
    "FORMATS",
    "KINDS",
    "LIST_FIELDS",
    "MOTTO",
    "MOTTO_EN",
    "MULTIPAGE_FORMATS",
    "PAGE_TEXTS",
    "REPORTED_FIELDS",
    "SCORED_FIELDS",
    "BatchTruth",
    "ExtractionScores",
    "FieldScore",
    "GroundTruth",
    "RenderedPage",
    "SampleDocument",
    "add_dark_edges",
    "add_scan_noise",
    "blank_page",
    "date_digits",
    "date_words",
    "distort",
    "generate_demo_inbox",
    "ocr_noise",
    "pt",
    "qr_image",
    "random_distortion",
    "render_document",
    "render_page",
    "save_scan",
    "skew",
    "write_batch",
]
