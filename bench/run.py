"""`make bench`: throughput, OCR accuracy, search and memory in one run.

Writes ``bench/results.json`` (every figure, machine-readable) and
``BENCHMARKS.md`` (the same figures, the command, the machine and which
targets are met). ``--quick`` is a small smoke run for development, and
``--only SECTION`` runs one section alone (``--only realscans``: the real-scan
evaluation, a few minutes; ``--only managers``: `sohoa report` on a generated
year on SQLite and PostgreSQL and a 500,000-row register import, ~10 minutes;
``--only storage``: stored size against the original for each real scan, a
minute); both write under ``bench/work/`` and leave the committed files alone,
unless ``--only SECTION --merge``: then the section's figures replace its earlier
ones in ``bench/results.json`` (marked with their own command and date) and
BENCHMARKS.md is rendered again.

    .venv/bin/python bench/run.py [--quick] [--runs 3] [--skip SECTION ...]
                                  [--only SECTION [--merge]]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the bench package importable
    sys.path.insert(0, str(REPO))

from bench import (  # noqa: E402
    accuracy,
    api_search,
    breakdown,
    realscans,
    report,
    services,
    storage_size,
    throughput,
)
from bench import managers as managers_bench  # noqa: E402
from bench import memory as memory_bench  # noqa: E402
from bench import search as search_bench  # noqa: E402
from bench.corpus import build_corpus  # noqa: E402
from bench.engines import ocrmypdf_version, run_program  # noqa: E402

WORK = REPO / "bench" / "work"
SECTIONS = (
    "throughput",
    "realscans",
    "search",
    "api_search",
    "memory",
    "managers",
    "storage",
    "scale_out",
)
# Sections' keys in the results, for --merge.
SECTION_KEYS = {
    "realscans": ("realscans",),
    "search": ("search", "search_p95_ms", "index_pages_per_s", "rebuild_seconds"),
    "api_search": ("api_search",),
    "managers": ("managers",),
    "storage": ("storage",),
    "scale_out": ("scale_out",),
}
SEARCH_SIZES = (10_000, 100_000)
QUICK_SEARCH_SIZES = (1_000, 5_000)
ACCURACY_SETS = ("clean", "skewed", "rotated", "noisy")

_started = time.perf_counter()


def log(message: str) -> None:
    print(f"[bench {time.perf_counter() - _started:6.0f} s] {message}", flush=True)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    tesseract = run_program(["tesseract", "--version"]).stdout.splitlines()[0]
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(memory_kib / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "tesseract": tesseract,
        "ocrmypdf": ocrmypdf_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def run_throughput_and_accuracy(quick: bool, runs: int) -> dict[str, Any]:
    corpus = build_corpus(
        WORK / "corpus", WORK / "cache", per_set=1 if quick else None, real=not quick
    )
    log(f"corpus: {corpus.pages} pages in {len(corpus.files)} files {corpus.sets()}")
    runs_result, texts = throughput.run_throughput(
        corpus, WORK / "throughput", runs, workers=2, log=log
    )
    figures = throughput.summary(runs_result, workers=2)
    sample = [next(f for f in corpus.files if f.set_name == s) for s in ACCURACY_SETS]
    figures["breakdown"] = breakdown.page_breakdown(sample, WORK / "breakdown")
    log(f"breakdown per page: {figures['breakdown']}")
    best = figures["ocrmypdf_fastest_config"]
    engines = {"sohoa": "sohoa", "tesseract": "tesseract", "ocrmypdf": best}
    pairs = [
        (item.set_name if item.set_name != "real" else "real_linn", engine, truth, text)
        for item in corpus.files
        for engine, source in engines.items()
        for truth, text in zip(item.truth, texts.by_engine[source][item.path.name], strict=True)
        if truth is not None
    ]
    rates = accuracy.score(pairs)
    (WORK / "texts.json").write_text(
        json.dumps(texts.by_engine, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    page_cer = {
        item.path.name: {
            engine: [
                accuracy.page_cer(truth, text) if truth is not None else None
                for truth, text in zip(
                    item.truth, texts.by_engine[source][item.path.name], strict=True
                )
            ]
            for engine, source in engines.items()
        }
        for item in corpus.files
    }
    return {
        "corpus": {
            "pages": corpus.pages,
            "files": [f.path.name for f in corpus.files],
            "sets": corpus.sets(),
            "real_scans": corpus.real_scans_note,
        },
        "throughput": figures,
        "cer": {s: {e: r.cer for e, r in by.items()} for s, by in rates.items()},
        "wer": {s: {e: r.wer for e, r in by.items()} for s, by in rates.items()},
        "accuracy_pages": {s: next(iter(by.values())).pages for s, by in rates.items()},
        "cer_per_page": page_cer,
    }


def run_search(quick: bool) -> dict[str, Any]:
    sizes = QUICK_SEARCH_SIZES if quick else SEARCH_SIZES
    return search_bench.run_all(sizes, WORK / "search", services.elasticsearch_settings(log), log)


def targets(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target with its figure and whether it is met (None: not measured)."""
    found: dict[str, dict[str, Any]] = {}
    tp = results.get("throughput")
    if tp:
        steady = "whole `sohoa ingest` command, Prefect server running"
        found["ingest_vs_floor"] = _target(
            tp["ingest_vs_floor"], f"<= 1.4 ({steady})", tp["ingest_vs_floor"] <= 1.4
        )
        found["ingest_vs_ocrmypdf"] = _target(
            tp["ingest_vs_ocrmypdf"], f">= 2.0 ({steady})", tp["ingest_vs_ocrmypdf"] >= 2.0
        )
    cer = results.get("cer")
    if cer:
        worse = [s for s in ACCURACY_SETS if s in cer and cer[s]["sohoa"] > cer[s]["ocrmypdf"]]
        found["cer_vs_ocrmypdf"] = _target(
            {s: cer[s] for s in ACCURACY_SETS if s in cer},
            "sohoa <= OCRmyPDF on every set",
            not worse,
            f"worse on {', '.join(worse)}" if worse else "",
        )
    real = results.get("realscans")
    if real:
        found.update(realscan_targets(real))
    p95 = results.get("search_p95_ms")
    if p95:
        largest = str(max(int(size) for by in p95.values() for size in by))
        slow = {b: by[largest] for b, by in p95.items() if by.get(largest, 0) > 50}
        found["search_p95_ms"] = _target(
            {b: by.get(largest) for b, by in p95.items()},
            f"<= 50 ms at {int(largest):,} pages",
            not slow,
        )
    rss = results.get("peak_rss_mb")
    if rss:
        workers = {case: mb for case, mb in rss.items() if case.startswith("worker_")}
        over = {case: mb for case, mb in workers.items() if mb > 1536}
        flat = rss.get("worker_pdf_300_pages", 0) <= 1.15 * rss.get("worker_pdf_10_pages", 1) + 50
        found["peak_rss_mb"] = _target(
            workers, "<= 1.5 GB per worker, flat in page count", not over and flat
        )
    managers = results.get("managers")
    if managers:
        report_s = {
            db: managers[db]["median_s"] for db in ("sqlite", "postgresql") if db in managers
        }
        found["managers_report_s"] = _target(
            report_s,
            "< 5 s on SQLite and PostgreSQL (100,000 dossiers)",
            len(report_s) == 2 and all(s < 5 for s in report_s.values()),
            "" if len(report_s) == 2 else "PostgreSQL not measured (no SOHOA_TEST_DATABASE_URL)",
        )
    storage = results.get("storage")
    if storage:
        ratios = {name: f["record_vs_original"] for name, f in storage["files"].items()}
        over = [name for name, ratio in ratios.items() if ratio > storage["target_ratio"]]
        found["record_vs_original"] = _target(
            ratios,
            f"record <= {storage['target_ratio']}× the original, every real scan",
            not over,
            f"over on {', '.join(over)}" if over else "",
        )
    return found


def realscan_targets(real: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Issue 9's figures: sroie-dev, lost pages, degraded pages, cards, OCRmyPDF."""
    found: dict[str, dict[str, Any]] = {}
    kinds = real["kinds"]
    sroie = kinds.get("sroie-dev")
    if sroie:
        cer, recall = sroie["cer"]["sohoa"], sroie["word_recall"]["sohoa"]
        found["sroie_cer_recall"] = _target(
            {"cer": cer, "word_recall": recall},
            "CER <= 0.15, word recall >= 0.75",
            cer <= 0.15 and recall >= 0.75,
        )
        found["sroie_turns"] = _target(
            len(real["sroie_turns"]), "0 upright pages turned", not real["sroie_turns"]
        )
    lost = real["losing_pages"]
    found["pages_lost_to_tesseract"] = _target(
        len(lost),
        f"0 pages > {real['loss_margin']} CER worse than plain tesseract",
        not lost,
        ", ".join(f"{p['kind']}/{p['page']}" for p in lost),
    )
    degraded = kinds.get("vn-degraded")
    if degraded:
        ratio = round(degraded["cer"]["sohoa"] / max(1e-9, degraded["cer"]["tesseract"]), 3)
        found["vn_degraded_vs_tesseract"] = _target(ratio, "CER <= 0.8 × plain", ratio <= 0.8)
    cards = real.get("cards")
    if cards:
        rate = cards["rate"]["sohoa"]
        found["card_id_extracted"] = _target(rate, ">= 0.90 of cards", rate >= 0.9)
    behind = [k for k, f in kinds.items() if f["cer"]["sohoa"] > f["cer"]["ocrmypdf"]]
    found["realscans_vs_ocrmypdf"] = _target(
        {k: f["cer"]["sohoa"] for k, f in kinds.items()},
        "CER <= OCRmyPDF's on every kind",
        not behind,
        f"behind on {', '.join(behind)}" if behind else "",
    )
    return found


def _target(value: Any, goal: str, met: bool, note: str = "") -> dict[str, Any]:
    return {"value": value, "target": goal, "met": met, "note": note}


def render_only(results_json: Path, out_md: Path) -> int:
    """BENCHMARKS.md (and the targets' notes) again from a run's figures."""
    results = json.loads(results_json.read_text(encoding="utf-8"))
    results["targets"] = targets(results)
    results_json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")
    out_md.write_text(report.render(results), encoding="utf-8")
    log(f"rewrote {out_md.relative_to(REPO)} from {results_json.relative_to(REPO)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run into bench/work/")
    parser.add_argument("--runs", type=int, default=None, help="throughput runs (default 3)")
    parser.add_argument("--skip", nargs="*", default=[], choices=SECTIONS)
    parser.add_argument("--only", choices=SECTIONS, help="run this section alone")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="with --only: put the section's figures into bench/results.json and BENCHMARKS.md",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite BENCHMARKS.md and target notes from bench/results.json; measure nothing",
    )
    args = parser.parse_args()
    if args.render_only:
        return render_only(REPO / "bench" / "results.json", REPO / "BENCHMARKS.md")
    if args.merge and args.only not in SECTION_KEYS:
        parser.error(f"--merge needs --only with one of {', '.join(SECTION_KEYS)}")
    runs = args.runs or (1 if args.quick else 3)
    skip = set(SECTIONS) - {args.only} if args.only else set(args.skip)
    partial = args.quick or bool(args.only)
    started_at = datetime.now(UTC)
    command = "bench/run.py" + (" --quick" if args.quick else "")
    command += f" --only {args.only}" if args.only else ""
    results: dict[str, Any] = {
        "command": "make bench" if not partial else command,
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": machine(),
    }
    log(f"machine: {results['machine']}")
    if "throughput" not in skip:
        results.update(run_throughput_and_accuracy(args.quick, runs))
        results["ingest_vs_floor"] = results["throughput"]["ingest_vs_floor"]
        results["ingest_vs_ocrmypdf"] = results["throughput"]["ingest_vs_ocrmypdf"]
    if "realscans" not in skip:
        results["realscans"] = realscans.run_realscans(
            WORK / "realscans", WORK / "cache", log, per_kind=4 if args.quick else None
        )
    if "search" not in skip:
        search = run_search(args.quick)
        results["search"] = search
        results["search_p95_ms"] = search_bench.p95_table(search)
        results["index_pages_per_s"] = {b: r["index_pages_per_s"] for b, r in search.items()}
        results["rebuild_seconds"] = {b: r["rebuild_seconds"] for b, r in search.items()}
    if "api_search" not in skip:
        results["api_search"] = api_search.run_api_search(
            WORK / "api_search",
            services.elasticsearch_settings(log),
            log,
            pages=QUICK_SEARCH_SIZES[0] if args.quick else api_search.PAGES,
        )
    if "memory" not in skip:
        results["memory"] = memory_bench.run_memory(WORK / "memory", log)
        results["peak_rss_mb"] = {
            case: figures["with_children_mb"]
            for case, figures in results["memory"].items()
            if not case.startswith("what_if")
        }
        if "throughput" in results:
            ingest = results["throughput"]["ingest_cli"]["peak_rss_mb"]
            results["peak_rss_mb"][f"ingest_{results['throughput']['pages']}_pages"] = max(ingest)
    if "managers" not in skip:
        results["managers"] = managers_bench.run_managers(log)
    if "storage" not in skip:
        results["storage"] = storage_size.run_storage(WORK / "storage", WORK / "cache", log)
    if "scale_out" not in skip:
        from bench import scale_out  # configures Prefect's environment for its workers

        batches = 4 if args.quick else scale_out.BATCHES
        results["scale_out"] = scale_out.run_scale_out(batches, log)
    results["targets"] = targets(results)
    results["duration_seconds"] = round(time.perf_counter() - _started, 1)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    prefix = "quick-" if args.quick else ""
    prefix += f"{args.only}-" if args.only else ""
    out_json = WORK / f"{prefix}results.json" if partial else REPO / "bench" / "results.json"
    out_md = WORK / f"{prefix.upper()}BENCHMARKS.md" if partial else REPO / "BENCHMARKS.md"
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    out_md.write_text(report.render(results), encoding="utf-8")
    log(f"wrote {out_json.relative_to(REPO)} and {out_md.relative_to(REPO)}")
    for name, target in results["targets"].items():
        log(f"target {name}: {'met' if target['met'] else 'MISSED'} ({target['target']})")
    if args.merge and args.only:
        merge_section(results, args.only, command)
    return 0


def merge_section(section_results: dict[str, Any], section: str, command: str) -> None:
    """The section's figures into bench/results.json, replacing its earlier
    ones, with the command, date and machine load of their own run; then
    BENCHMARKS.md again from the whole file."""
    results_json = REPO / "bench" / "results.json"
    results = json.loads(results_json.read_text(encoding="utf-8"))
    for key in SECTION_KEYS[section]:
        results[key] = section_results[key]
    results.setdefault("separate_runs", {})[section] = {
        "command": command + " --merge",
        "started_at": section_results["started_at"],
        "duration_seconds": section_results["duration_seconds"],
        "load_average": [
            section_results["machine"]["load_average_at_start"],
            section_results["machine"]["load_average_at_end"],
        ],
    }
    results_json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")
    render_only(results_json, REPO / "BENCHMARKS.md")


if __name__ == "__main__":
    sys.exit(main())
