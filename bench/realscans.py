"""Real and hard pages: sohoa's page steps against plain tesseract and OCRmyPDF.

Four kinds, each page with its transcript:

- ``sroie-dev``: 40 real shop receipts (``../shared/realscans/sroie-dev``),
  scored case-insensitively as its README says.
- ``ocrmypdf-real``: OCRmyPDF's skewed, turned and cardinal 300-dpi scans of
  the LinnSequencer page (its ``linn.txt``).
- ``vn-degraded``: generated Vietnamese pages captured badly: 70-150 dpi, blur,
  darkness, JPEG quality 25-40, some as phone photos in perspective, half of
  them with no DPI tag.
- ``id-cards``: generated colour ID card fronts (``sohoa.samples.cards``), the
  number in red over a guilloche background, flat scans and phone photos;
  besides CER, whether ``extract_metadata`` finds the ID number as a field.

sohoa runs what the ``digitize-page`` task runs: ``inspect_file``,
``render_page`` at 300 dpi (images keep the DPI they state) and
``process_page`` with ``PageOptions(languages=LANG)``. The floor is plain
``tesseract FILE - -l LANG`` on the file as given (on sohoa's raster for PDF
pages, with its ``--dpi``); OCRmyPDF runs ``--deskew --rotate-pages``
(``--image-dpi 300`` for an image stating no plausible DPI, as sohoa assumes), one
process per file. LANG is the kind's language for all three (``eng`` for the
English receipts and the LinnSequencer page, ``vie`` for the Vietnamese
pages), so what differs is what each does to the image. Two
jobs at a time, one OpenMP thread each. Every score is case-insensitive (NFC,
whitespace collapsed, case-folded), CER and WER micro-averaged, as fractions.
"""

from __future__ import annotations

import random
import re
import shutil
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from bench.accuracy import ErrorRates, page_cer
from bench.corpus import LIMITS, REAL_TRUTH, fetch_ocrmypdf_resources
from bench.engines import VENV_BIN, BenchError, base_env, run_program
from sohoa.pipeline.metadata import PageText, extract_metadata, load_rules
from sohoa.pipeline.pages import PageOptions, process_page
from sohoa.pipeline.preflight import inspect_file
from sohoa.pipeline.rasterize import PLAUSIBLE_DPI, render_page
from sohoa.samples import DPI, render_document
from sohoa.samples.cards import CARD_STYLES, photograph, render_card
from sohoa.samples.realscans import realscans_dir

# ../shared/realscans beside the checkout (read-only, see its README).
SROIE = realscans_dir() / "sroie-dev"
ENGINES = ("sohoa", "tesseract", "ocrmypdf")
SEED = 909
# A page loses when sohoa's CER is above plain tesseract's by more than this.
LOSS_MARGIN = 0.02
WORKERS = 2
# What every ProcessedPage records; anything else it records is listed as extra.
_BASE_RECORD = {
    "image_path",
    "ocr_json_path",
    "text",
    "qr_payloads",
}
_OSD_LINE = re.compile(r"^(Rotate|Orientation confidence|Script|Script confidence): (.+)$")


@dataclass(frozen=True, slots=True)
class ScanPage:
    """One page to read: its file, which page of it, its transcript."""

    kind: str
    name: str
    path: Path
    page_index: int
    truth: str
    language: str  # the floor's and OCRmyPDF's -l
    id_number: str = ""  # cards: the number the metadata step must find


@dataclass
class PageRun:
    """What each engine read on one page, and what sohoa recorded doing."""

    page: ScanPage
    texts: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)
    raster: tuple[Path, int] | None = None  # sohoa's rendered page and its dpi


# --- the pages -----------------------------------------------------------------


def sroie_pages(folder: Path | None = None) -> list[ScanPage]:
    """The 40 real receipts with their transcripts."""
    folder = folder or SROIE
    return [
        ScanPage(
            "sroie-dev",
            image.name,
            image,
            0,
            image.with_suffix(".gt.txt").read_text(encoding="utf-8"),
            "eng",
        )
        for image in sorted(folder.glob("*.jpg"))
    ]


def ocrmypdf_pages(cache: Path) -> list[ScanPage]:
    """OCRmyPDF's real scans that have a transcript, every page."""
    resources = fetch_ocrmypdf_resources(cache)
    pages = []
    for name, truth_name in REAL_TRUTH.items():
        truth = (resources / truth_name).read_text(encoding="utf-8")
        count = inspect_file(resources / name, LIMITS).page_count
        for index in range(count):
            pages.append(
                ScanPage(
                    "ocrmypdf-real", f"{name}#{index + 1}", resources / name, index, truth, "eng"
                )
            )
    return pages


@dataclass(frozen=True, slots=True)
class Degradation:
    """How one page was captured badly."""

    dpi: int  # capture resolution
    blur: float  # Gaussian radius, in captured pixels
    paper: int  # gray level the white paper comes out at (darkness)
    ink: int  # gray level the black ink comes out at (low contrast)
    noise: float  # sensor grain, standard deviation in gray levels
    turn: float  # degrees, counter-clockwise
    jpeg_quality: int
    phone: bool  # a hand-held photo in perspective
    tagged: bool  # the JPEG states its dpi


DEGRADATIONS = (
    Degradation(70, 0.5, 190, 40, 8.0, 1.0, 35, phone=False, tagged=True),
    Degradation(100, 1.0, 160, 35, 10.0, -1.0, 30, phone=False, tagged=False),
    Degradation(150, 1.6, 175, 50, 12.0, 0.5, 40, phone=False, tagged=True),
    Degradation(120, 1.0, 150, 30, 8.0, 0.0, 25, phone=True, tagged=False),
    Degradation(90, 0.7, 140, 45, 14.0, 1.0, 30, phone=False, tagged=False),
    Degradation(150, 1.3, 180, 40, 10.0, 0.0, 35, phone=True, tagged=False),
    Degradation(110, 1.2, 165, 55, 12.0, -0.7, 40, phone=False, tagged=True),
    Degradation(80, 0.6, 170, 35, 10.0, 0.0, 30, phone=True, tagged=False),
)
DEGRADED_KINDS = ("official_letter", "decision", "application", "report")


def _degrade(page: Image.Image, rng: random.Random, how: Degradation) -> Image.Image:
    """``page`` turned, captured at low resolution, blurred, dark and grainy."""
    gray = page.convert("L")
    if how.turn:
        gray = gray.rotate(how.turn, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    scale = how.dpi / DPI
    if how.phone:
        captured = photograph(gray, rng, tilt=0.04, blur=how.blur, jpeg_quality=95, scale=scale)
        captured = captured.convert("L")
    else:
        size = (round(gray.width * scale), round(gray.height * scale))
        captured = gray.resize(size, Image.Resampling.BILINEAR)
        captured = captured.filter(ImageFilter.GaussianBlur(how.blur))
    pixels = np.asarray(captured, dtype=np.float32)
    pixels = how.ink + (how.paper - how.ink) * pixels / 255.0
    grain = np.random.default_rng(rng.getrandbits(32)).standard_normal(pixels.shape)
    pixels += grain.astype(np.float32) * np.float32(how.noise)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")


def degraded_pages(out_dir: Path, seed: int = SEED) -> list[ScanPage]:
    """Generated Vietnamese first pages captured at low resolution, blurred,
    darkened, JPEG-compressed hard; some photographed; half with no DPI tag."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = []
    for number, how in enumerate(DEGRADATIONS, start=1):
        document = render_document(DEGRADED_KINDS[number % len(DEGRADED_KINDS)], rng)
        image = _degrade(document.pages[0], rng, how)
        path = out_dir / f"vn-{number:02d}-{how.dpi}dpi{'-photo' if how.phone else ''}.jpg"
        dpi_tag = {"dpi": (how.dpi, how.dpi)} if how.tagged else {}
        image.save(path, format="JPEG", quality=how.jpeg_quality, **dpi_tag)
        pages.append(ScanPage("vn-degraded", path.name, path, 0, document.truth.pages[0], "vie"))
    return pages


def card_pages(out_dir: Path, count: int = 20, seed: int = SEED) -> list[ScanPage]:
    """Colour ID card fronts, both styles; every second one photographed."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = []
    for number in range(1, count + 1):
        style = CARD_STYLES[number % len(CARD_STYLES)]
        card = render_card(rng, style)
        image = card.pages[0]
        if number % 2:
            photo = photograph(image, rng, blur=0.7, jpeg_quality=rng.randint(45, 75))
            path = out_dir / f"card-{number:02d}-{style}-photo.jpg"
            photo.save(path, format="JPEG", quality=95)
        else:
            path = out_dir / f"card-{number:02d}-{style}.png"
            image.save(path, dpi=(DPI, DPI))
        truth = card.truth
        pages.append(
            ScanPage(
                "id-cards",
                path.name,
                path,
                0,
                truth.pages[0],
                "vie",
                truth.metadata["id_number"],
            )
        )
    return pages


# --- the engines ---------------------------------------------------------------


def _run_sohoa(run: PageRun, work: Path) -> None:
    page = run.page
    out = work / "sohoa" / f"{page.kind}-{page.name}".replace("#", "-")
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    source = inspect_file(page.path, LIMITS)
    rendered = render_page(source, page.page_index, DPI, out / "raster.tif", 300)
    options = PageOptions(languages=page.language, dpi=rendered.dpi)
    processed = process_page(rendered.path, out, options)
    run.seconds["sohoa"] = round(time.perf_counter() - started, 2)
    run.texts["sohoa"] = processed.text
    run.raster = (rendered.path, rendered.dpi)
    run.record = {
        k: v for k, v in processed.to_dict().items() if k not in _BASE_RECORD and k != "text"
    }


def _floor_args(run: PageRun, language: str) -> list[str]:
    """Plain tesseract on the file as given; PDFs on sohoa's raster at its dpi."""
    if run.page.path.suffix.lower() != ".pdf":
        return ["tesseract", str(run.page.path), "-", "-l", language]
    if run.raster is None:
        raise BenchError(f"{run.page.name}: no raster for the floor (sohoa failed)")
    image, dpi = run.raster
    return ["tesseract", str(image), "-", "-l", language, "--dpi", str(dpi)]


def _run_floor(run: PageRun) -> str:
    started = time.perf_counter()
    text = run_program(_floor_args(run, run.page.language), base_env(OMP_THREAD_LIMIT="1")).stdout
    run.seconds["tesseract"] = round(time.perf_counter() - started, 2)
    return text


def _image_dpi_flag(path: Path) -> list[str]:
    """``--image-dpi 300`` for an image whose stated resolution sohoa does not
    trust (none, or outside ``PLAUSIBLE_DPI``: 72, 96), so OCRmyPDF assumes what
    sohoa assumes; OCRmyPDF refuses such images otherwise."""
    if path.suffix.lower() == ".pdf":
        return []
    with Image.open(path) as image:
        stated = image.info.get("dpi")
    if stated and all(round(float(v)) in PLAUSIBLE_DPI for v in stated[:2]):
        return []
    return ["--image-dpi", str(DPI)]


def _run_ocrmypdf(runs: list[PageRun], work: Path) -> None:
    """One OCRmyPDF process for the file these page runs come from."""
    first = runs[0].page
    out = work / "ocrmypdf" / f"{first.kind}-{first.path.name}"
    out.parent.mkdir(parents=True, exist_ok=True)
    args = [
        str(VENV_BIN / "ocrmypdf"),
        "--deskew",
        "--rotate-pages",
        "-l",
        first.language,
        "--output-type",
        "pdf",
        "--optimize",
        "0",
        "--quiet",
        "-j",
        "1",
        "--sidecar",
        str(out.with_suffix(".txt")),
    ]
    args += _image_dpi_flag(first.path)
    started = time.perf_counter()
    try:
        run_program(
            [*args, str(first.path), str(out.with_suffix(".pdf"))], base_env(OMP_THREAD_LIMIT="1")
        )
        pages = out.with_suffix(".txt").read_text(encoding="utf-8").split("\f")
    except BenchError as exc:
        pages = []
        for run in runs:
            run.errors["ocrmypdf"] = str(exc)[:300]
    seconds = round((time.perf_counter() - started) / len(runs), 2)
    for run in runs:
        index = run.page.page_index
        run.texts["ocrmypdf"] = pages[index] if index < len(pages) else ""
        run.seconds["ocrmypdf"] = seconds


def _sohoa_then_floor(run: PageRun, work: Path) -> None:
    try:
        _run_sohoa(run, work)
    except Exception as exc:  # a failed page is reported, not fatal
        run.errors["sohoa"] = f"{type(exc).__name__}: {exc}"[:300]
        run.texts["sohoa"] = ""
    try:
        run.texts["tesseract"] = _run_floor(run)
    except BenchError as exc:
        run.errors["tesseract"] = str(exc)[:300]
        run.texts["tesseract"] = ""


def read_pages(pages: list[ScanPage], work: Path, log: Callable[[str], None]) -> list[PageRun]:
    """Every engine on every page, ``WORKERS`` jobs at a time."""
    runs = [PageRun(page) for page in pages]
    by_file: dict[tuple[str, Path], list[PageRun]] = {}
    for run in runs:
        by_file.setdefault((run.page.kind, run.page.path), []).append(run)
    jobs: list[Callable[[], None]] = [
        *(lambda run=run: _sohoa_then_floor(run, work) for run in runs),
        *(lambda group=group: _run_ocrmypdf(group, work) for group in by_file.values()),
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        for done, _ in enumerate(pool.map(lambda job: job(), jobs), start=1):
            if done % 20 == 0:
                log(f"realscans: {done}/{len(jobs)} jobs, {time.perf_counter() - started:.0f} s")
    return runs


# --- the scores ----------------------------------------------------------------


def _cer(run: PageRun, engine: str) -> float:
    return round(page_cer(run.page.truth.casefold(), run.texts[engine].casefold()) / 100, 4)


def _osd_evidence(path: Path) -> dict[str, str]:
    """Plain tesseract's OSD on the input, re-measured for a turned page."""
    try:
        result = run_program(
            ["tesseract", str(path), "-", "--psm", "0"], base_env(OMP_THREAD_LIMIT="1")
        )
    except BenchError as exc:
        return {"osd_error": str(exc)[:200]}
    found = {}
    for line in result.stdout.splitlines():
        match = _OSD_LINE.match(line.strip())
        if match:
            found[match.group(1).lower().replace(" ", "_")] = match.group(2)
    return found


def _cause(run: PageRun) -> str:
    """The step that most plainly explains a lost page, from what sohoa recorded."""
    record = run.record
    if "sohoa" in run.errors:
        return f"sohoa failed: {run.errors['sohoa']}"
    if record.get("rotation_degrees"):
        return f"orientation: turned {record['rotation_degrees']}°"
    if record.get("skew_corrected"):
        return f"deskew: {record['skew_degrees']}° undone"
    rescaled = {k: v for k, v in record.items() if "dpi" in k and v != record.get("dpi")}
    if rescaled:  # the page records a resolution other than the one it was given
        return f"scale: {_fmt_fields(rescaled)} (given {record.get('dpi')} dpi)"
    return "the OCR copy (cleanup or scale): no turn, no deskew"


def _fmt_fields(fields: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in fields.items())


def _losing_pages(runs: Iterable[PageRun]) -> list[dict[str, Any]]:
    lost = []
    for run in runs:
        sohoa, floor = _cer(run, "sohoa"), _cer(run, "tesseract")
        if sohoa - floor <= LOSS_MARGIN:
            continue
        lost.append(
            {
                "kind": run.page.kind,
                "page": run.page.name,
                "cer": {e: _cer(run, e) for e in ENGINES},
                "cause": _cause(run),
                "record": _record_summary(run.record),
            }
        )
    return lost


def _record_summary(record: dict[str, Any]) -> dict[str, Any]:
    """Rotation, skew and dpi first, then whatever else the page recorded."""
    first = ("rotation_degrees", "skew_degrees", "skew_corrected", "dpi", "ocr_confidence")
    ordered = {k: record[k] for k in first if k in record}
    ordered.update({k: v for k, v in record.items() if k not in ordered})
    return ordered


def _second_looks(runs: Iterable[PageRun]) -> dict[str, dict[str, Any]]:
    """Per kind: pages read again because the first reading was weak, the
    extra readings, which reading was kept, and sohoa's seconds per page
    with and without a second look."""
    looks: dict[str, dict[str, Any]] = {}
    for run in runs:
        kind = looks.setdefault(
            run.page.kind,
            {"pages": 0, "looked_again": 0, "extra_readings": 0, "kept": {}, "seconds": {}},
        )
        tried = run.record.get("second_look") or []
        kind["pages"] += 1
        kind["looked_again"] += bool(tried)
        kind["extra_readings"] += len(tried)
        if tried:
            kept = str(run.record.get("ocr_variant", ""))
            kind["kept"][kept] = kind["kept"].get(kept, 0) + 1
        group = "looked again" if tried else "read once"
        kind["seconds"].setdefault(group, []).append(run.seconds.get("sohoa", 0.0))
    for kind in looks.values():
        kind["seconds_per_page"] = {
            group: round(sum(values) / len(values), 2)
            for group, values in kind.pop("seconds").items()
        }
    return looks


def _turns(runs: Iterable[PageRun]) -> list[dict[str, Any]]:
    """Every sroie-dev page sohoa turned, with its evidence."""
    turned = []
    for run in runs:
        if run.page.kind != "sroie-dev" or not run.record.get("rotation_degrees"):
            continue
        evidence = {
            k: v
            for k, v in run.record.items()
            if any(word in k for word in ("rotation", "orientation", "osd", "confidence"))
        }
        turned.append(
            {
                "page": run.page.name,
                "recorded": evidence,
                "tesseract_osd": _osd_evidence(run.page.path),
                "cer": {e: _cer(run, e) for e in ENGINES},
            }
        )
    return turned


def _id_found(text: str, confidence: float, number: str, rules: Any) -> bool:
    metadata = extract_metadata([PageText(1, text, confidence)], rules)
    values = {
        value.value for name in ("citizen_id", "old_id") for value in metadata.fields.get(name, ())
    }
    return number in values


def _card_extraction(runs: list[PageRun]) -> dict[str, Any]:
    """Share of cards whose red number the metadata step finds, per engine."""
    rules = load_rules()
    cards = [run for run in runs if run.page.kind == "id-cards"]
    found: dict[str, int] = dict.fromkeys(ENGINES, 0)
    for run in cards:
        for engine in ENGINES:
            confidence = (
                float(run.record.get("ocr_confidence", 90.0)) if engine == "sohoa" else 90.0
            )
            found[engine] += _id_found(run.texts[engine], confidence, run.page.id_number, rules)
    return {
        "cards": len(cards),
        "id_number_found": found,
        "rate": {e: round(found[e] / max(1, len(cards)), 3) for e in ENGINES},
    }


def score_runs(runs: list[PageRun]) -> dict[str, Any]:
    """Per kind and engine: CER, WER, word recall; lost pages, turns, cards."""
    rates: dict[str, dict[str, ErrorRates]] = {}
    seconds: dict[str, dict[str, float]] = {}
    for run in runs:
        for engine in ENGINES:
            by_kind = rates.setdefault(run.page.kind, {})
            by_kind.setdefault(engine, ErrorRates()).add(
                run.page.truth, run.texts.get(engine, ""), casefold=True
            )
            spent = seconds.setdefault(run.page.kind, {})
            spent[engine] = spent.get(engine, 0.0) + run.seconds.get(engine, 0.0)
    kinds = {
        kind: {
            "pages": next(iter(by_engine.values())).pages,
            "cer": {e: r.cer_ratio for e, r in by_engine.items()},
            "wer": {e: r.wer_ratio for e, r in by_engine.items()},
            "word_recall": {e: r.word_recall for e, r in by_engine.items()},
            "seconds_per_page": {
                e: round(s / max(1, next(iter(by_engine.values())).pages), 2)
                for e, s in seconds[kind].items()
            },
        }
        for kind, by_engine in rates.items()
    }
    result: dict[str, Any] = {
        "kinds": kinds,
        "second_looks": _second_looks(runs),
        "losing_pages": _losing_pages(runs),
        "sroie_turns": _turns(runs),
        "pages": [
            {
                "kind": run.page.kind,
                "page": run.page.name,
                "cer": {e: _cer(run, e) for e in ENGINES if e in run.texts},
                "record": _record_summary(run.record),
                **({"errors": run.errors} if run.errors else {}),
            }
            for run in runs
        ],
        "loss_margin": LOSS_MARGIN,
        "languages": sorted({run.page.language for run in runs}),
    }
    if any(run.page.kind == "id-cards" for run in runs):
        result["cards"] = _card_extraction(runs)
    return result


def run_realscans(
    work: Path, cache: Path, log: Callable[[str], None], per_kind: int | None = None
) -> dict[str, Any]:
    """Builds the four kinds, reads every page with every engine, scores them.
    ``per_kind``: only the first pages of each kind (a quick run)."""
    shutil.rmtree(work, ignore_errors=True)
    kinds = [sroie_pages()]
    try:
        kinds.append(ocrmypdf_pages(cache))
    except (BenchError, StopIteration, OSError) as exc:
        log(f"realscans: OCRmyPDF's real scans unavailable ({exc})")
    kinds.append(degraded_pages(work / "vn-degraded"))
    kinds.append(card_pages(work / "id-cards"))
    pages = [page for kind in kinds for page in kind[:per_kind]]
    counts: dict[str, int] = {}
    for page in pages:
        counts[page.kind] = counts.get(page.kind, 0) + 1
    log(f"realscans: {len(pages)} pages {counts}")
    started = time.perf_counter()
    runs = read_pages(pages, work, log)
    result = score_runs(runs)
    result["seconds"] = round(time.perf_counter() - started, 1)
    for kind, figures in result["kinds"].items():
        log(f"realscans {kind}: CER {figures['cer']}, recall {figures['word_recall']}")
    return result
