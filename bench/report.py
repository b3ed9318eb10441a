"""BENCHMARKS.md from the figures of one run (``bench/results.json``)."""

from __future__ import annotations

from typing import Any

from bench.notes import EARLIER_MARK, METHOD, limits_for

ENGINE_LABELS = {
    "sohoa_ingest": "`sohoa ingest`, whole command, Prefect server running",
    "tesseract_floor": "floor: bare `tesseract` ×2",
    "ocrmypdf_j2_sequential": "OCRmyPDF `-j 2`, files one after another",
    "ocrmypdf_j1_per_core": "OCRmyPDF `-j 1`, 2 processes over the files",
}


def _row(*cells: Any) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    return [_row(*header), _row(*["---"] * len(header)), *(_row(*r) for r in rows)]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    return str(value)


def render(results: dict[str, Any]) -> str:
    machine = results["machine"]
    out = [
        "# Benchmarks",
        "",
        f"Produced by `{results['command']}` (`bench/run.py`) on {results['started_at']}, "
        f"in {results['duration_seconds'] / 60:.1f} minutes. Every figure below is in "
        "`bench/results.json`, written by the same run, except those in brackets marked "
        f"*{EARLIER_MARK}*: measured once while developing the bench, not repeated by it. "
        "To reproduce: `make bench` (it "
        "installs the `bench` extra, OCRmyPDF included, and starts Elasticsearch with "
        "`make services` when it is down); `.venv/bin/python bench/run.py --render-only` "
        "rewrites this file from `bench/results.json` without measuring.",
        "",
        *(
            line
            for note in results.get("changed_after_run", ())
            for line in (f"[*Changed after this run, separate check:* {note}]", "")
        ),
        f"Machine: {machine['nproc']} cores, {machine['cpu_model']}, "
        f"{machine['memory_gib']} GiB; Linux {machine['kernel']}, Python {machine['python']}, "
        f"{machine['tesseract']}, OCRmyPDF {machine['ocrmypdf']}. Load average at start "
        f"{machine['load_average_at_start']}, at end {machine.get('load_average_at_end')}"
        " (other work on the machine slows every engine alike; ratios are taken within a run).",
        "",
        "## Targets",
        "",
    ]
    rows = []
    for name, target in results["targets"].items():
        status = "met" if target["met"] else "**missed**"
        rows.append([f"`{name}`", _fmt(target["value"]), target["target"], status])
    out += _table(["key", "value", "target", ""], rows)
    for name, target in results["targets"].items():
        text = limits_for(name, target["met"], results)
        if text:
            out += ["", f"**{name}**: {text}"]
    if "throughput" in results:
        out += _throughput(results)
        out += _accuracy(results)
    if "realscans" in results:
        out += _realscans(results["realscans"], results.get("separate_runs", {}))
    if "search" in results:
        out += _search(results["search"], results.get("separate_runs", {}))
    if "api_search" in results:
        out += _api_search(results["api_search"], results.get("separate_runs", {}))
    if "memory" in results:
        out += _memory(results["memory"])
    if "managers" in results:
        out += _managers(results["managers"], results.get("separate_runs", {}))
    if "storage" in results:
        out += _storage(results["storage"], results.get("separate_runs", {}))
    if "scale_out" in results:
        out += _scale_out(results["scale_out"], results.get("separate_runs", {}))
    out += ["", "## Method", "", *METHOD]
    # Sections measured by scripts of their own and written by hand, kept verbatim.
    for section in results.get("extra_sections", ()):
        out += ["", section]
    return "\n".join(out) + "\n"


def _throughput(results: dict[str, Any]) -> list[str]:
    tp = results["throughput"]
    corpus = results["corpus"]
    out = [
        "",
        "## Throughput",
        "",
        f"{tp['pages']} pages in {len(corpus['files'])} files ({_fmt(corpus['sets'])}); "
        f"{corpus['real_scans']}. {tp['runs']} runs, each timing every engine once; "
        f"{tp['workers']} workers for every engine.",
        "",
    ]
    rows = [
        [
            ENGINE_LABELS.get(name, name)
            + (" (first run only: over 10% slower there)" if len(seconds) < tp["runs"] else ""),
            ", ".join(f"{s:.1f}" for s in seconds),
            f"{tp['median_seconds'][name]:.1f}",
            f"{tp['pages_per_min'][name]:.1f}",
        ]
        for name, seconds in tp["seconds"].items()
    ]
    out += _table(["engine", "seconds per run", "median s", "pages/min"], rows)
    cli = tp["ingest_cli"]
    out += [
        "",
        f"- `ingest_vs_floor` = sohoa seconds ÷ floor seconds, per run "
        f"{tp['ingest_vs_floor_per_run']}, median **{tp['ingest_vs_floor']}**.",
        f"- `ingest_vs_ocrmypdf` = sohoa pages/min ÷ OCRmyPDF pages/min (its faster "
        f"configuration, `{tp['ocrmypdf_fastest_config']}`), per run "
        f"{tp['ingest_vs_ocrmypdf_per_run']}, median **{tp['ingest_vs_ocrmypdf']}**.",
        "- sohoa's seconds above are the wall time of the whole `sohoa ingest` command with "
        "a Prefect server already running (steady state, as a deployment has): they include "
        "starting Python and importing, as OCRmyPDF's and the floor's include their own "
        "starts. Both targets use this figure.",
        f"- Cold command (it starts its own temporary Prefect server; first run only): "
        f"{_fmt(cli.get('cold_wall_seconds'))} s wall, of which "
        f"{_fmt(cli.get('cold_startup_seconds'))} s before and after its flow (interpreter, "
        f"imports, the server); ratios {_fmt(tp.get('cold_vs_floor_run1'))} against the floor "
        f"and {_fmt(tp.get('cold_vs_ocrmypdf_run1'))} against OCRmyPDF in that run.",
        f"- The poll-inbox flow's own log span (the figure reported before this bench timed "
        f"whole commands): {_fmt(cli['ingest_flow_seconds'])} s, of which the digitize-batch "
        f"flow {_fmt(cli['batch_flow_seconds'])} s; ratios "
        f"{_fmt(tp.get('flow_span_vs_floor'))} against the floor and "
        f"{_fmt(tp.get('flow_span_vs_ocrmypdf'))} against OCRmyPDF. The rest of the steady "
        f"command, {_fmt(cli['startup_seconds'])} s, is Python's start, imports and the client "
        f"talking to the server. The untimed warm-up ingest took {cli['warmup_wall_seconds']} "
        "s (first start: database migrations).",
        f"- CPU seconds per page (user + system of every process the engine ran, "
        f"median run): {_fmt(tp['median_cpu_seconds_per_page'])}; sohoa's include "
        "its start, not the running Prefect server's.",
        f"- `sohoa ingest` peak RSS (the command, its workers' Tesseract readers and poppler "
        f"children; sampled every 0.1 s): {_fmt(cli['peak_rss_mb'])} MiB (the running "
        "Prefect server is not the command's child, so not counted; the cold command's "
        f"temporary server peaked at {_fmt(cli.get('cold_prefect_server_peak_rss_mb'))} MiB); "
        "at most "
        f"{max(cli['most_tesseracts_at_once'])} Tesseract processes at once (reader "
        "processes and the `tesseract` program).",
    ]
    if tp.get("breakdown"):
        out += ["", "Where sohoa's time goes (one page at a time, one worker):", ""]
        rows = [
            [stage, f"{value:.0f} pages" if stage.endswith(": count") else f"{value:.2f}"]
            for stage, value in tp["breakdown"].items()
        ]
        out += _table(["stage", "seconds per page"], rows)
    return out


def _accuracy(results: dict[str, Any]) -> list[str]:
    cer, wer = results["cer"], results["wer"]
    engines = ["sohoa", "tesseract", "ocrmypdf"]
    out = [
        "",
        "## OCR accuracy",
        "",
        "CER and WER in percent against the ground truth (lower is better); texts "
        "from the first throughput run: sohoa's stored page text (`process_page`), the "
        "floor's `tesseract` text, OCRmyPDF's `--sidecar`.",
        "",
    ]
    rows = [
        [
            f"{set_name} ({results['accuracy_pages'][set_name]} p.)",
            *(f"{cer[set_name][e]:.2f}" for e in engines),
            *(f"{wer[set_name][e]:.2f}" for e in engines),
        ]
        for set_name in cer
    ]
    out += _table(
        [
            "set",
            "CER sohoa",
            "CER tesseract",
            "CER OCRmyPDF",
            "WER sohoa",
            "WER tesseract",
            "WER OCRmyPDF",
        ],
        rows,
    )
    return out


def _cells(values: dict[str, Any], engines: list[str]) -> list[str]:
    return [f"{values[e]:.3f}" if e in values else "-" for e in engines]


def _second_look_lines(looks: dict[str, dict[str, Any]]) -> list[str]:
    """How often a weak first reading made sohoa read a page again, and its cost."""
    rows = [
        [
            kind,
            f"{figures['looked_again']} of {figures['pages']}",
            str(figures["extra_readings"]),
            ", ".join(f"{name}: {count}" for name, count in sorted(figures["kept"].items())) or "-",
            _fmt(figures["seconds_per_page"].get("looked again", "-")),
            _fmt(figures["seconds_per_page"].get("read once", "-")),
        ]
        for kind, figures in looks.items()
    ]
    header = [
        "kind",
        "pages looked at again",
        "extra readings",
        "reading kept",
        "s/page looked again",
        "s/page read once",
    ]
    return [
        "Second looks: a page whose first reading's mean word confidence is below "
        "`pages.WEAK_CONFIDENCE` is read again (the plain copy, the other scale, the same "
        "copy as one block) and the best-scoring reading kept:",
        "",
        *_table(header, rows),
    ]


def _realscans(real: dict[str, Any], separate_runs: dict[str, Any]) -> list[str]:
    engines = ["sohoa", "tesseract", "ocrmypdf"]
    out = [
        "",
        "## Real scans and hard pages",
        "",
        *_measured_apart(separate_runs.get("realscans")),
        "Case-insensitive CER and WER (micro average, as fractions) and word recall per "
        "kind, every engine on the same pages in this run (`bench/realscans.py`; pages "
        f"read {real['seconds']:.0f} s in all). sohoa: `inspect_file`, `render_page`, "
        "`process_page`; plain tesseract; OCRmyPDF `--deskew --rotate-pages`; all three with "
        "the kind's language (`eng` for the receipts and OCRmyPDF's scans, `vie` for the "
        "Vietnamese pages and cards).",
        "",
    ]
    rows = [
        [
            f"{kind} ({figures['pages']} p.)",
            *_cells(figures["cer"], engines),
            *_cells(figures["wer"], engines),
            *_cells(figures["word_recall"], engines),
        ]
        for kind, figures in real["kinds"].items()
    ]
    header = [f"{m} {e}" for m in ("CER", "WER", "recall") for e in ("sohoa", "tess.", "OCRmyPDF")]
    out += _table(["kind", *header], rows)
    seconds = {k: f["seconds_per_page"] for k, f in real["kinds"].items()}
    out += [
        "",
        "Seconds per page, two jobs at a time (sohoa: raster and page steps; OCRmyPDF: its "
        "whole process, shared by a file's pages): "
        + "; ".join(f"{k}: {_fmt(v)}" for k, v in seconds.items())
        + ".",
    ]
    looks = real.get("second_looks")
    if looks:
        out += ["", *_second_look_lines(looks)]
    cards = real.get("cards")
    if cards:
        out += [
            "",
            f"ID cards: the red ID number extracted as a `citizen_id`/`old_id` field by "
            f"`extract_metadata` from each engine's text, of {cards['cards']} cards: "
            + ", ".join(
                f"{e} {cards['id_number_found'][e]} ({cards['rate'][e]:.0%})" for e in engines
            )
            + ".",
        ]
    lost = real["losing_pages"]
    out += [
        "",
        f"Pages where sohoa's CER is more than {real['loss_margin']} above plain tesseract's: "
        f"{len(lost)}.",
    ]
    if lost:
        out += [""]
        rows = [
            [
                page["kind"],
                f"`{page['page']}`",
                " / ".join(_cells(page["cer"], engines)),
                page["cause"],
                _fmt({k: v for k, v in page["record"].items() if v not in (None, "", [], {})}),
            ]
            for page in lost
        ]
        out += _table(
            ["kind", "page", "CER sohoa / tess. / OCRmyPDF", "cause", "what sohoa recorded"], rows
        )
    turns = real["sroie_turns"]
    out += ["", f"sroie-dev pages sohoa turned: {len(turns)}."]
    if turns:
        out += [""]
        rows = [
            [
                f"`{turn['page']}`",
                _fmt(turn["recorded"]),
                _fmt(turn["tesseract_osd"]),
                " / ".join(_cells(turn["cer"], engines)),
            ]
            for turn in turns
        ]
        out += _table(
            ["page", "recorded by sohoa", "plain tesseract OSD", "CER sohoa / tess. / OCRmyPDF"],
            rows,
        )
    return out


def _search(search: dict[str, Any], separate_runs: dict[str, Any]) -> list[str]:
    out = ["", "## Search", "", *_measured_apart(separate_runs.get("search"))]
    rows = []
    for backend, found in search.items():
        for size, figures in found["latency"].items():
            rows.append([backend, f"{int(size):,}", figures["p50_ms"], figures["p95_ms"]])
    out += _table(["backend", "pages", "p50 ms", "p95 ms"], rows)
    out += [""]
    rows = [
        [
            backend,
            f"{found['records']:,}",
            f"{found['pages']:,}",
            found["index_pages_per_s"],
            found["rebuild_seconds"],
        ]
        for backend, found in search.items()
    ]
    out += _table(["backend", "records", "pages", "bulk index pages/s", "full rebuild s"], rows)
    largest = {b: f["latency"][max(f["latency"], key=int)] for b, f in search.items()}
    queries = list(next(iter(largest.values()))["per_query_p50_ms"])
    out += ["", "Median latency (ms) per query at the largest size, and matching records:", ""]
    rows = [
        [
            f"`{q}`",
            *(
                f"{largest[b]['per_query_p50_ms'][q]} ({largest[b]['matches'][q]:,})"
                for b in largest
            ),
        ]
        for q in queries
    ]
    out += _table(["query", *largest], rows)
    costs = search.get("sqlite", {}).get("ranking_cost_ms")
    if costs:
        out += [
            "",
            "SQLite at the largest size, median ms: finding the pages, ranking them, whole search:",
            "",
        ]
        rows = [
            [f"`{q}`", c["match_only"], c["bm25_all_matches"], c["search"]]
            for q, c in costs.items()
        ]
        out += _table(["query", "FTS5 match only", "bm25() of every match", "search()"], rows)
    extra = []
    if search.get("sqlite", {}).get("file_mb"):
        extra.append(f"SQLite file {search['sqlite']['file_mb']} MiB")
    if "elasticsearch" in search and "heap" in search["elasticsearch"]:
        heap = search["elasticsearch"]["heap"]
        extra.append(f"Elasticsearch heap {heap['used_mb']} of {heap['max_mb']} MiB used")
    if extra:
        out += ["", "; ".join(extra) + " with every page indexed."]
    return out


def _measured_apart(run: dict[str, Any] | None) -> list[str]:
    """The note on a section measured alone (``--only SECTION --merge``); none otherwise."""
    if not run:
        return []
    return [
        f"Measured by `{run['command']}` on {run['started_at']}, in "
        f"{run['duration_seconds'] / 60:.1f} minutes, apart from the run above (load "
        f"average {run['load_average'][0]} at start, {run['load_average'][1]} at end).",
        "",
    ]


def _api_search(found: dict[str, Any], separate_runs: dict[str, Any]) -> list[str]:
    out = ["", "## Search through the REST API", ""]
    out += _measured_apart(separate_runs.get("api_search"))
    backends = [b for b in ("sqlite", "elasticsearch") if b in found]
    out += [
        f"{found['pages']:,} pages ({found['records']:,} records) of the search section's "
        "synthetic records, written straight to the index; each query a `GET /api/search` "
        f"with a clerk's bearer token, over {found['transport']}. "
        f"{found['repetitions']} timed rounds of the {len(found['queries'])}-query mix after "
        "warm-up; each answer includes the exact lookups the search box adds, the facets, "
        "and the audit event it writes (SQLite database).",
        "",
    ]
    rows = [[b, found[b]["requests"], found[b]["p50_ms"], found[b]["p95_ms"]] for b in backends]
    out += _table(["backend", "requests", "p50 ms", "p95 ms"], rows)
    out += ["", "Median latency (ms) per query, and matching records:", ""]
    rows = [
        [
            f"`{name}`",
            "`" + "&".join(f"{k}={v}" for k, v in params.items()) + "`" if params else "",
            *(
                f"{found[b]['per_query_p50_ms'][name]} ({found[b]['matches'][name]:,})"
                for b in backends
            ),
        ]
        for name, params in found["queries"].items()
    ]
    out += _table(["query", "parameters", *backends], rows)
    return out


def _storage(storage: dict[str, Any], separate_runs: dict[str, Any]) -> list[str]:
    """Stored record against original, per real scan (``bench/storage_size.py``)."""
    out = ["", "## Stored size", "", *_measured_apart(separate_runs.get("storage"))]
    out += [
        "Each real scan digitized into a filesystem store; the record's folder "
        "(`records/<id>/`: the searchable PDF/A-2b, ALTO XML gzip-compressed, "
        "manifest) against the original file. Page images are stored once, inside the PDF: "
        "a bilevel scan in a PDF as the scanner's own JBIG2 or CCITT G4 bytes, drawn turned "
        "and deskewed where the page steps put its pixels (`kept` pages); other bilevel pages "
        f"as CCITT G4, gray and colour as JPEG at quality {storage['jpeg_quality']}.",
        "",
    ]
    rows = [
        [
            f"`{name}`",
            f"{figures['pages']} ({figures.get('scans_kept', 0)} kept)",
            f"{figures['original_bytes'] / 1000:,.0f}",
            f"{figures['searchable_pdf_bytes'] / 1000:,.0f}",
            f"{figures.get('ocrmypdf_pdf_bytes', 0) / 1000:,.0f}",
            f"{figures.get('page_image_bytes', 0) / 1000:,.0f}",
            f"{figures.get('rest_of_pdf_bytes', 0) / 1000:,.0f}",
            f"{figures.get('alto_bytes', 0) / 1000:,.0f}",
            f"{figures.get('manifest_bytes', 0) / 1000:,.0f}",
            f"{figures['record_bytes'] / 1000:,.0f}",
            f"{figures['record_vs_original']:.2f}×",
            ", ".join(sorted(set(figures["page_images"]))),
        ]
        for name, figures in storage["files"].items()
    ]
    out += _table(
        [
            "scan",
            "pages",
            "original KB",
            "searchable PDF KB",
            "OCRmyPDF's PDF KB",
            "of which page images",
            "of which the rest",
            "ALTO KB",
            "manifest, checksums KB",
            "record KB",
            "record ÷ original",
            "page images",
        ],
        rows,
    )
    out += [
        "",
        "What a record adds to its page images: the rest of the PDF (each page's invisible "
        "text layer, the font once, the XMP metadata and the sRGB output intent), the ALTO, "
        "the manifest (which holds each page's text) and a checksum per object. Thumbnails "
        "and page images for viewers are made from the PDF on demand. Images and fonts that "
        "several pages draw are stored once: `cardinal.pdf` draws one image on all four of its "
        "pages, turned four ways, and so does its searchable PDF. All that a record adds is "
        "per page of text, so a file that draws one image on four pages (`cardinal.pdf`) "
        "cannot be stored within 1.5× with four pages of text: its searchable PDF alone is "
        "as large as OCRmyPDF's. OCRmyPDF's PDF is measured in the same run with "
        f"`ocrmypdf {storage.get('ocrmypdf_flags', '')}`. No lossless JBIG2 encoder can be "
        "installed here (Debian and PyPI offer decoders only), so a bilevel page that is not "
        "a PDF's own scan is stored as CCITT G4, which takes more room than JBIG2 on text pages.",
    ]
    for name, before in storage["before"].items():
        now = storage["files"].get(name)
        if now:
            out += [
                "",
                f"`{name}` before issue 13: searchable PDF "
                f"{before['searchable_pdf_bytes'] / 1e6:.1f} MB, record folder "
                f"{before['record_bytes'] / 1e6:.1f} MB (RGB JPEG pages, stored twice); now "
                f"{now['searchable_pdf_bytes'] / 1000:,.0f} KB and "
                f"{now['record_bytes'] / 1000:,.0f} KB.",
            ]
    return out


def _memory(memory: dict[str, Any]) -> list[str]:
    out = ["", "## Memory", ""]
    rows = [
        [
            f"`{case}`",
            figures.get("note", ""),
            figures["process_mb"] or "-",
            figures["with_children_mb"],
            figures["tesseracts"],
            figures["seconds"],
        ]
        for case, figures in memory.items()
    ]
    out += _table(
        [
            "case",
            "what",
            "Python peak MiB (VmHWM)",
            "with children MiB (sampled)",
            "Tesseract processes at once",
            "s",
        ],
        rows,
    )
    ingest = memory.get("ingest_pdf_300_pages")
    if ingest:
        out += [
            "",
            f"Prefect's temporary API server (a separate process, not counted above) "
            f"peaked at {ingest['prefect_server_mb']} MiB during the ingest.",
        ]
    return out


def _managers(managers: dict[str, Any], separate_runs: dict[str, Any]) -> list[str]:
    def timing(db: str) -> str:
        figures = managers.get(db)
        if not figures:
            return "not measured"
        runs = figures["runs_s"]
        return (
            f"{figures['median_s']:.2f} s ({min(runs):.2f}–{max(runs):.2f}); CPU "
            f"{figures['median_cpu_s']:.2f} s; load {figures['load_average'][0]:.1f}"
        )

    imported = managers["register_import"]
    run = separate_runs.get("managers")
    measured = (
        f"Measured by `{run['command']}` on {run['started_at']}, in "
        f"{run['duration_seconds'] / 60:.1f} minutes, apart from the run above. "
        if run
        else ""
    )
    out = [
        "",
        "## Managers' figures",
        "",
        measured + f"`bench/managers.py`: `app/register_samples.py`'s generated year, "
        f"{managers['dossiers']:,} register dossiers over 8 units, {managers['records']:,} "
        "digitized records, batch runs, reuse actions and lookups, bulk-inserted into a fresh "
        "database of each kind. Each command runs in a fresh process, as a manager runs it. "
        f"Load average after the section: {managers['load_average']}.",
        "",
    ]
    out += _table(
        ["what", "SQLite", "PostgreSQL (live)", "target"],
        [
            [
                "`sohoa report --month 2024-12` (HTML and PDF): wall, median of 3 after a "
                "warm-up (range); its CPU time (user + system); 1-minute load average after",
                timing("sqlite"),
                timing("postgresql"),
                "< 5 s",
            ],
            [
                "`sohoa register import` of CSV rows into a new database: wall / peak RSS",
                "; ".join(
                    f"{run['rows']:,} rows: {run['seconds']:.0f} s / {run['peak_rss_mib']} MiB"
                    for run in (managers.get("register_import_small"), imported)
                    if run
                ),
                "–",
                "bounded memory",
            ],
        ],
    )
    out += [
        "",
        "The report runs two indicator computations (the twelve months by month, the month "
        "by unit; the month's summary is the trend's last month) over covering indexes "
        "(migration `0005_indicator_indexes`), then writes the HTML and the PDF (fpdf2 with "
        "DejaVu); about half of the wall time is the interpreter, its imports and the PDF. "
        "Peak RSS is the command's own (its VmHWM, sampled every 20 ms), the interpreter and "
        "the CLI's imports included; the import holds one chunk of 2,000 rows at a time and "
        "sends it as one prepared upsert executed per row.",
    ]
    # Hand-written observations from separate checks, kept with the figures.
    for note in managers.get("notes", ()):
        out += ["", f"[*Separate check, not this run:* {note}]"]
    return out


def _scale_out(found: dict[str, Any], separate_runs: dict[str, Any]) -> list[str]:
    batches = found["batches"]
    out = [
        "",
        "## Scale-out on Prefect workers",
        "",
        *_measured_apart(separate_runs.get("scale_out")),
    ]
    out += [
        f"`bench/scale_out.py`: {batches} one-page batches (generated dossiers) in one inbox; a "
        "Prefect server, `sohoa deploy`, then one or two process workers on the work pool "
        "`sohoa`, each taking two flow runs at a time (each run a new process), "
        "`SOHOA_WORKERS=1`; one poll dispatches every batch as a `digitize-batch` run. Time "
        "from the poll to the last batch run completed, embedded backends; the Prefect "
        f"server's own database on {found.get('prefect_database', 'SQLite')}. The same helper "
        "(`tests/helpers/scale_out.py`) runs the scale-out test in `make test`.",
        "",
    ]
    rows = [
        [
            workers,
            found[f"{workers}_workers"]["seconds"],
            found[f"{workers}_workers"]["runs_per_worker"],
        ]
        for workers in (1, 2)
    ]
    out += _table(["workers", "seconds", "batch runs per worker"], rows)
    out += [
        "",
        f"Speed-up with two workers: **{found['speed_up']}×** on one {found['nproc']}-core "
        "machine, where both workers share the same cores: one worker's two runs already keep "
        "both cores busy, so a second worker on the same host can only overlap runs' process "
        "starts and Prefect API calls with others' OCR. On separate hosts each worker brings "
        "its own cores. [*earlier, separate check, not this run:* with the Prefect server on "
        "its default SQLite (2026-11-30, same bench) one worker took 195.2 s and two 151.1 s; "
        'its server log held 102 "database is locked" errors in one such run: the server\'s '
        "database, not the cores, was the limit, which is why README asks for PostgreSQL]",
    ]
    return out
