"""The ``sohoa`` command. Every command takes ``--json``; errors are one line
on stderr and a non-zero exit code."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sohoa.core.errors import ConfigurationError, SohoaError
from sohoa.core.settings import load_settings
from sohoa.flows import prefect_env

if TYPE_CHECKING:
    from sohoa.pipeline.metadata import MetadataRules

console = Console(stderr=True)


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json") if hasattr(model, "model_dump") else model


def cmd_ingest(args: argparse.Namespace) -> int:
    from sohoa.flows.digitize import add_progress_listener
    from sohoa.flows.inbox import poll_inbox

    if args.json:
        reports = poll_inbox(str(args.inbox))
        _print_json([_dump(r) for r in reports])
        return 0
    with Progress(
        TextColumn("[bold]pages"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        bar = progress.add_task("pages", total=0)

        def on_progress(event: str, count: int) -> None:
            if event == "pages-queued":
                progress.update(bar, total=(progress.tasks[0].total or 0) + count)
            elif event == "pages-done":
                progress.advance(bar, count)

        add_progress_listener(on_progress)
        reports = poll_inbox(str(args.inbox))
    for report in reports:
        _print_batch(report)
    if not reports:
        console.print(f"No complete batch in {args.inbox}.")
    return 0


def _print_batch(report: Any) -> None:
    counts = Counter(f.status.value for f in report.files)
    if report.failed_reason:
        print(f"{report.batch_id}: FAILED, moved to {report.destination}: {report.failed_reason}")
        return
    print(
        f"{report.batch_id}: {len(report.records)} records, {report.pages} pages, "
        f"{counts['duplicate']} duplicates, {counts['quarantined']} quarantined "
        f"-> {report.destination}"
    )
    for outcome in report.files:
        if outcome.status.value == "quarantined":
            print(f"  quarantined {outcome.file}: {outcome.quarantine_reason}")


def cmd_watch(args: argparse.Namespace) -> int:
    from sohoa.flows.inbox import poll_inbox

    interval = args.interval or load_settings().poll_seconds
    console.print(f"Watching {args.inbox} every {interval:g} s (Ctrl-C to stop)")
    while True:
        for report in poll_inbox(str(args.inbox)):
            _print_json(_dump(report)) if args.json else _print_batch(report)
        time.sleep(interval)


def _metadata_rules() -> MetadataRules:
    from sohoa.pipeline.metadata import load_rules

    return load_rules(load_settings().metadata_rules)


def _declared_type(code: str) -> str:
    """A ``--type`` is a code the loaded metadata rules declare, so a typo is
    an error rather than an empty result."""
    rules = _metadata_rules()
    if rules.document_type(code) is None:
        declared = ", ".join(f"{t.code} ({t.label})" for t in rules.declared_types)
        raise ConfigurationError(
            f"Unknown document type {code!r}. The metadata rules {rules.source} declare: "
            f"{declared}."
        )
    return code


def cmd_search(args: argparse.Namespace) -> int:
    from sohoa.flows import resources
    from sohoa.models import SearchQuery

    query = SearchQuery(
        text=args.query,
        document_type=_declared_type(args.type) if args.type else None,
        date_from=args.date_from,
        date_to=args.date_to,
        unit=args.unit,
        dossier_code=args.dossier,
        id_number=args.id_number,
        limit=args.limit,
    )
    results = resources.search_index().search(query)
    if args.json:
        _print_json(_dump(results))
        return 0
    print(f"{results.total} record(s)")
    for hit in results.hits:
        when = hit.issue_date.isoformat() if hit.issue_date else "-"
        print(
            f"{hit.record_id[:12]}  p.{hit.page}  {hit.document_type}  {when}  {hit.dossier_code}"
        )
        print(f"    {hit.snippet.replace('<mark>', '[').replace('</mark>', ']')}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from sohoa.flows import resources
    from sohoa.storage.records import find_record_id, load_record

    store = resources.object_store()
    record = load_record(store, find_record_id(store, args.record))
    if args.json:
        _print_json(_dump(record))
        return 0
    print(f"record         {record.record_id}")
    declared = _metadata_rules().document_type(record.document_type)
    label = f" ({declared.label})" if declared else ""
    print(f"type           {record.document_type}{label}")
    print(f"dossier        {record.dossier_code or '-'}   batch {record.batch_id}")
    print(f"pdf            {store.url(record.searchable_pdf_key)}")
    for name, values in sorted(record.fields.items()):
        shown = ", ".join(f"{v.value} (p.{v.page}, {v.confidence:.2f})" for v in values)
        print(f"{name:<15}{shown}")
    if record.needs_review:
        print("REVIEW         " + "; ".join(record.review_reasons))
    for page in record.pages:
        flags = " blank" if page.blank else ""
        print(
            f"\n--- page {page.number} ({page.source_file}) confidence {page.ocr_confidence:.0f}"
            f" rotated {page.rotation_degrees}° skew {page.skew_degrees:+.1f}°{flags}"
        )
        print(page.text)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from sohoa.flows import resources
    from sohoa.storage.records import iter_records

    types: Counter[str] = Counter()
    records = pages = review = 0
    confidence_sum = 0.0
    for record in iter_records(resources.object_store()):
        records += 1
        pages += record.page_count
        review += record.needs_review
        confidence_sum += record.mean_ocr_confidence
        types[record.document_type] += 1
    stats = {
        "records": records,
        "pages": pages,
        "needs_review": review,
        "mean_ocr_confidence": round(confidence_sum / records, 1) if records else 0.0,
        "indexed_records": resources.search_index().count(),
        "document_types": dict(types.most_common()),
    }
    if args.json:
        _print_json(stats)
    else:
        for key, value in stats.items():
            print(f"{key:<20}{value}")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from sohoa.flows.maintenance import reindex

    count = reindex()
    _print_json({"reindexed": count}) if args.json else print(f"Reindexed {count} records")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from sohoa.flows.maintenance import verify

    report = verify()
    found = {"ok": report.ok, **dataclasses.asdict(report)}
    if args.json:
        _print_json(found)
    else:
        for name, value in found.items():
            shown = len(value) if isinstance(value, tuple) else value
            print(f"{name:<22}{shown}")
            for item in value if isinstance(value, tuple) else ():
                print(f"  {item}")
    return 0 if report.ok else 1


def cmd_samples(args: argparse.Namespace) -> int:
    from sohoa.samples import write_batch

    write_batch(args.out, count=args.count, seed=args.seed, distortions=args.distort)
    print(f"Wrote {args.count} sample dossiers to {args.out}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from sohoa.demo import run_demo

    return run_demo(args.dir, as_json=args.json)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sohoa", description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="show Prefect's INFO logs")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(handler=handler)
        return p

    command("ingest", cmd_ingest, "digitize all complete batches once").add_argument(
        "inbox", type=Path
    )
    watch = command("watch", cmd_watch, "keep polling the inbox")
    watch.add_argument("inbox", type=Path)
    watch.add_argument("--interval", type=float, default=None, help="seconds between polls")
    search = command("search", cmd_search, "search records (accents optional)")
    search.add_argument("query", nargs="?", default="")
    search.add_argument(
        "--type", help="document type code declared in the metadata rules, e.g. quyet_dinh"
    )
    search.add_argument("--from", dest="date_from", type=date.fromisoformat, help="YYYY-MM-DD")
    search.add_argument("--to", dest="date_to", type=date.fromisoformat, help="YYYY-MM-DD")
    search.add_argument("--unit")
    search.add_argument("--dossier", help="dossier code")
    search.add_argument("--id", dest="id_number", help="citizen ID or tax code")
    search.add_argument("--limit", type=int, default=10)
    command("show", cmd_show, "a record's metadata and per-page text").add_argument("record")
    command("stats", cmd_stats, "records, pages, review queue")
    command("reindex", cmd_reindex, "rebuild the search index from the stored manifests")
    command("verify", cmd_verify, "compare storage with the index and re-check checksums")
    samples = command("samples", cmd_samples, "write a batch of generated sample dossiers")
    samples.add_argument("out", type=Path)
    samples.add_argument("--count", type=int, default=10)
    samples.add_argument("--seed", type=int, default=1)
    samples.add_argument("--distort", action="store_true", help="skew, rotate, noise, blur")
    demo = command("demo", cmd_demo, "digitize a bundled sample batch and search it")
    demo.add_argument("--dir", type=Path, default=Path("demo"), help="demo inbox and data folder")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    prefect_env.configure(quiet=not args.verbose)
    try:
        return int(args.handler(args))
    except SohoaError as exc:
        print(f"sohoa: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head or less that quit early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
