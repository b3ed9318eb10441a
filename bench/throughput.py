"""Pages per minute of ``sohoa ingest`` against the floor (bare tesseract on the
same rasterized pages) and OCRmyPDF, and the OCR text each engine produced.

Each run times every engine once, one after the other, so a change in the
machine's load hits all of them; ratios are taken within a run, then the
median over runs is reported. The first run's texts feed the accuracy
figures (OCR is deterministic: later runs give the same text).

sohoa is timed like the others, by the wall time of its whole command, in
two settings: steady state, the ``sohoa ingest`` command against a Prefect
server that is already running (as a deployment has; the command still pays
its interpreter start and imports, as OCRmyPDF pays its own per file), every
run, which the targets use; and cold, the command starting its own temporary
Prefect server, in the first run only. The flow's own log span is kept as a
third figure.
"""

from __future__ import annotations

import shutil
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import engines
from bench.corpus import Corpus, CorpusFile, rasterize
from bench.engines import IngestTiming, RasterPage
from sohoa.storage.filesystem import FilesystemObjectStore
from sohoa.storage.manifests import iter_records

SLOWER_BY = 1.1
OCRMYPDF_CONFIGS = {
    "ocrmypdf_j2_sequential": engines.ocrmypdf_files_sequential,
    "ocrmypdf_j1_per_core": engines.ocrmypdf_process_per_core,
}


@dataclass
class EngineTexts:
    """Per engine, each file's page texts, from the first run."""

    by_engine: dict[str, dict[str, list[str]]] = field(default_factory=dict)


@dataclass
class ThroughputRuns:
    pages: int
    seconds: dict[str, list[float]] = field(default_factory=dict)
    cpu_seconds: dict[str, list[float]] = field(default_factory=dict)
    ingest: list[IngestTiming] = field(default_factory=list)
    warmup: IngestTiming | None = None
    cold: IngestTiming | None = None  # first run: the command with its own temporary server

    def add(self, engine: str, seconds: float, cpu_seconds: float) -> None:
        self.seconds.setdefault(engine, []).append(round(seconds, 2))
        self.cpu_seconds.setdefault(engine, []).append(round(cpu_seconds, 2))

    def median(self, engine: str) -> float:
        return statistics.median(self.seconds[engine])

    def pages_per_minute(self, engine: str) -> float:
        return round(self.pages * 60.0 / self.median(engine), 1)


def _batch(corpus: Corpus, inbox: Path) -> Path:
    """A copy of the corpus as one READY batch in ``inbox``."""
    batch = inbox / "bench-batch"
    batch.mkdir(parents=True)
    for item in corpus.files:
        shutil.copyfile(item.path, batch / item.path.name)
    (batch / "READY").touch()
    return inbox


def _stored_texts(data_dir: Path) -> dict[str, list[str]]:
    """Each original file's page texts, read back from the stored records."""
    texts = {}
    for record in iter_records(FilesystemObjectStore(data_dir / "objects")):
        pages = sorted(record.pages, key=lambda page: page.number)
        texts[record.originals[0].name] = [page.text for page in pages]
    return texts


def _floor_texts(raster: dict[str, list[RasterPage]], out_dir: Path) -> dict[str, list[str]]:
    return {
        name: [(out_dir / f"{p.image.stem}.txt").read_text(encoding="utf-8") for p in pages]
        for name, pages in raster.items()
    }


def _sidecar_texts(files: tuple[CorpusFile, ...], out_dir: Path) -> dict[str, list[str]]:
    """OCRmyPDF's sidecar holds the pages' texts separated by form feeds."""
    texts = {}
    for item in files:
        sidecar = out_dir / item.path.with_suffix(".txt").name
        pages = sidecar.read_text(encoding="utf-8").split("\f")
        texts[item.path.name] = (pages + [""] * item.page_count)[: item.page_count]
    return texts


def run_throughput(
    corpus: Corpus, work: Path, runs: int, workers: int, log: Callable[[str], None]
) -> tuple[ThroughputRuns, EngineTexts]:
    """Times every engine ``runs`` times over the corpus; keeps the first run's texts."""
    shutil.rmtree(work, ignore_errors=True)
    raster = rasterize(corpus.files, work / "raster")
    floor_pages = [page for pages in raster.values() for page in pages]
    result = ThroughputRuns(pages=len(floor_pages))
    texts = EngineTexts()
    prefect_home = work / "prefect"

    # A first ingest creates Prefect's database and warms the caches; not counted.
    warm = work / "warmup"
    warm_corpus = Corpus(corpus.files[:1], corpus.real_scans_note)
    result.warmup = engines.sohoa_ingest(
        _batch(warm_corpus, warm / "inbox"), engines.sohoa_env(warm / "data", prefect_home, 2)
    )
    shutil.rmtree(warm)
    log(f"throughput: warm-up ingest {result.warmup.wall:.0f} s")
    with engines.prefect_server(work / "prefect-server") as api_url:
        engines.sohoa_ingest(  # the server's first flow runs register the flows: not counted
            _batch(warm_corpus, warm / "inbox"),
            engines.sohoa_env(warm / "data", prefect_home, 2, api_url),
        )
        shutil.rmtree(warm)
        for run in range(1, runs + 1):
            _timed_run(corpus, work / f"run{run}", run, api_url, result, texts, raster, workers)
            timed = {n: sec[-1] for n, sec in result.seconds.items() if len(sec) == run}
            log(
                f"throughput run {run}: "
                + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timed.items())
                + f" (flow span {result.ingest[-1].ingest_flow:.1f} s)"
                + (f"; cold command {result.cold.wall:.1f} s" if result.cold and run == 1 else "")
            )
    return result, texts


def _timed_run(
    corpus: Corpus,
    folder: Path,
    run: int,
    api_url: str,
    result: ThroughputRuns,
    texts: EngineTexts,
    raster: dict[str, list[RasterPage]],
    workers: int,
) -> None:
    """One run: sohoa (steady state; cold too in the first run), the floor, OCRmyPDF."""
    prefect_home = folder.parent / "prefect"
    floor_pages = [page for pages in raster.values() for page in pages]
    env = engines.sohoa_env(folder / "data", prefect_home, workers, api_url)
    cpu = engines.children_cpu_seconds()
    timing = engines.sohoa_ingest(_batch(corpus, folder / "inbox"), env)
    result.ingest.append(timing)
    result.add("sohoa_ingest", timing.wall, engines.children_cpu_seconds() - cpu)
    if run == 1:
        cold_env = engines.sohoa_env(folder / "cold-data", prefect_home, workers)
        result.cold = engines.sohoa_ingest(_batch(corpus, folder / "cold-inbox"), cold_env)
    cpu = engines.children_cpu_seconds()
    seconds = engines.tesseract_floor(floor_pages, folder / "floor", workers)
    result.add("tesseract_floor", seconds, engines.children_cpu_seconds() - cpu)
    for name, ocrmypdf in OCRMYPDF_CONFIGS.items():
        if run > 1 and name not in _contenders(result):
            continue
        cpu = engines.children_cpu_seconds()
        seconds = ocrmypdf(_inputs(corpus), folder / name, workers)
        result.add(name, seconds, engines.children_cpu_seconds() - cpu)
    if run == 1:
        texts.by_engine["sohoa"] = _stored_texts(folder / "data")
        texts.by_engine["tesseract"] = _floor_texts(raster, folder / "floor")
        for name in OCRMYPDF_CONFIGS:
            texts.by_engine[name] = _sidecar_texts(corpus.files, folder / name)
    shutil.rmtree(folder)


def _contenders(result: ThroughputRuns) -> list[str]:
    """The OCRmyPDF configurations still worth timing after the first run: both,
    unless one was more than SLOWER_BY slower (then only the faster, to save time)."""
    first = {name: result.seconds[name][0] for name in OCRMYPDF_CONFIGS}
    fastest = min(first.values())
    return [name for name, seconds in first.items() if seconds <= fastest * SLOWER_BY]


def _inputs(corpus: Corpus) -> list[Path]:
    return [item.path for item in corpus.files]


def fastest_ocrmypdf(result: ThroughputRuns) -> str:
    """Of the configurations timed in every run, the one with the lowest median."""
    timed_throughout = [n for n in OCRMYPDF_CONFIGS if len(result.seconds[n]) == len(result.ingest)]
    return min(timed_throughout, key=result.median)


def summary(result: ThroughputRuns, workers: int) -> dict[str, Any]:
    """Figures for results.json: seconds per run, medians, pages/min, ratios."""
    best = fastest_ocrmypdf(result)
    runs = len(result.ingest)
    per_run_floor = [
        result.seconds["sohoa_ingest"][i] / result.seconds["tesseract_floor"][i]
        for i in range(runs)
    ]
    # Pages/min ratio within a run = OCRmyPDF's seconds / sohoa's seconds.
    per_run_ocrmypdf = [
        result.seconds[best][i] / result.seconds["sohoa_ingest"][i] for i in range(runs)
    ]
    return {
        "pages": result.pages,
        "runs": runs,
        "workers": workers,
        "seconds": result.seconds,
        "median_seconds": {name: result.median(name) for name in result.seconds},
        "cpu_seconds": result.cpu_seconds,
        "median_cpu_seconds_per_page": {
            name: round(statistics.median(cpu) / result.pages, 2)
            for name, cpu in result.cpu_seconds.items()
        },
        "pages_per_min": {name: result.pages_per_minute(name) for name in result.seconds},
        "ocrmypdf_fastest_config": best,
        "ingest_timing": "steady state: the whole `sohoa ingest` command, running Prefect server",
        "ingest_cli": {
            "wall_seconds": [round(t.wall, 2) for t in result.ingest],
            "cold_wall_seconds": round(result.cold.wall, 2) if result.cold else None,
            "cold_startup_seconds": round(result.cold.startup, 2) if result.cold else None,
            "cold_prefect_server_peak_rss_mb": result.cold.memory.server_mb
            if result.cold
            else None,
            "ingest_flow_seconds": [round(t.ingest_flow, 2) for t in result.ingest],
            "batch_flow_seconds": [round(t.batch_flow, 2) for t in result.ingest],
            "startup_seconds": [round(t.startup, 2) for t in result.ingest],
            "peak_rss_mb": [t.memory.rss_mb for t in result.ingest],
            "prefect_server_peak_rss_mb": [t.memory.server_mb for t in result.ingest],
            "most_tesseracts_at_once": [t.memory.tesseracts for t in result.ingest],
            "warmup_wall_seconds": round(result.warmup.wall, 2) if result.warmup else None,
        },
        "ingest_vs_floor_per_run": [round(r, 3) for r in per_run_floor],
        "ingest_vs_ocrmypdf_per_run": [round(r, 3) for r in per_run_ocrmypdf],
        "ingest_vs_floor": round(statistics.median(per_run_floor), 3),
        **_other_timings(result, best),
        "ingest_vs_ocrmypdf": round(statistics.median(per_run_ocrmypdf), 3),
    }


def _other_timings(result: ThroughputRuns, best: str) -> dict[str, Any]:
    """The same ratios with sohoa timed two other ways: the flow's log span
    (no interpreter, no Prefect start) and the cold command (its own
    temporary Prefect server; first run only)."""
    floor, ocrmypdf = result.seconds["tesseract_floor"], result.seconds[best]
    spans = [t.ingest_flow for t in result.ingest]
    figures: dict[str, Any] = {
        "flow_span_vs_floor": round(
            statistics.median(s / f for s, f in zip(spans, floor, strict=False)), 3
        ),
        "flow_span_vs_ocrmypdf": round(
            statistics.median(o / s for s, o in zip(spans, ocrmypdf, strict=False)), 3
        ),
    }
    if result.cold:
        figures["cold_vs_floor_run1"] = round(result.cold.wall / floor[0], 3)
        figures["cold_vs_ocrmypdf_run1"] = round(ocrmypdf[0] / result.cold.wall, 3)
    return figures
