"""The ``sohoa`` command. Every command takes ``--json``; errors are one line
on stderr and a non-zero exit code."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from sohoa import __version__
from sohoa.core.errors import InvalidRequest, RejectCode, SohoaError
from sohoa.core.fsutil import private_by_default
from sohoa.core.i18n import N_, _, language
from sohoa.core.settings import load_settings
from sohoa.core.text import terminal_safe
from sohoa.flows import prefect_env
from sohoa.models.records import MAX_SEARCH_LIMIT, SignatureVerdict

if TYPE_CHECKING:
    from sohoa.app.retention import Retention
    from sohoa.models import SignatureInfo

console = Console(stderr=True)
# `ingest` finished, but a file was quarantined, a batch failed or waits for a later run.
EXIT_NEEDS_ATTENTION = 7
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells expect

# What each quarantine code means, for the operator (the code itself is for machines).
REJECT_TEXT = {
    RejectCode.EMPTY: N_("empty file"),
    RejectCode.TOO_LARGE: N_("file too large"),
    RejectCode.UNSUPPORTED_TYPE: N_("not a scan format sohoa reads"),
    RejectCode.CORRUPT: N_("damaged file"),
    RejectCode.ENCRYPTED: N_("password-protected file"),
    RejectCode.DECOMPRESSION_BOMB: N_("image too large to open safely"),
    RejectCode.TOO_SMALL: N_("image too small to read"),
    RejectCode.NOT_A_REGULAR_FILE: N_(
        "not a regular file (a link, a device or a shared hard link)"
    ),
    RejectCode.PROCESSING_FAILED: N_("could not be processed"),
}


def _exit_code(reports: Sequence[Any]) -> int:
    return EXIT_NEEDS_ATTENTION if any(r.needs_attention for r in reports) else 0


def _say(text: object = "", file: TextIO | None = None) -> None:
    """A line for a person at a terminal: control characters in it (escape
    sequences in a file name) are shown escaped, never obeyed."""
    print(terminal_safe(str(text)), file=file)


def _name(name: str) -> str:
    """A file name on one line, whatever characters it holds."""
    return terminal_safe(name, one_line=True)


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json") if hasattr(model, "model_dump") else model


def _check_data_dir_writable() -> None:
    """Before any flow starts: a read-only data folder is one line, not a flow's traceback."""
    from sohoa.app import backends
    from sohoa.app.intake import check_data_dir_writable

    check_data_dir_writable(backends.settings())


def cmd_ingest(args: argparse.Namespace) -> int:
    from sohoa.flows.inbox import poll_inbox

    _check_data_dir_writable()
    shown = _reports_on_failure() if args.json else _page_progress()
    with shown, prefect_env.without_heartbeats():
        reports = poll_inbox(str(args.inbox), mark_inbox=True)
    if args.json:
        status = _inbox_status(args.inbox)
        _print_json({"batches": [_dump(r) for r in reports], **_dump(status)})
        return _exit_code(reports)
    for report in reports:
        _print_batch(report)
    if not reports:
        console.print(_("No complete batch in {inbox}.").format(inbox=args.inbox))
    status = _inbox_status(args.inbox)
    _print_inbox_status(status)
    return _exit_code(reports)


@contextmanager
def _page_progress() -> Iterator[None]:
    """A bar that counts pages, names the batch in hand and shows an ETA."""
    from sohoa.flows.digitize import PageProgress, add_progress_listener

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(_("pages")),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        # Redrawn twice a second at a terminal; elsewhere (a log file) only its last state is shown.
        auto_refresh=console.is_terminal,
        refresh_per_second=2,
    ) as progress:
        bar = progress.add_task(_("starting"), total=None)

        def on_progress(update: PageProgress) -> None:
            if update.event == "batch":
                progress.update(bar, description=update.batch)
            elif update.event == "queued":
                progress.update(bar, total=(progress.tasks[0].total or 0) + update.count)
            elif update.event == "done":
                progress.advance(bar, update.count)

        add_progress_listener(on_progress)
        yield


@contextmanager
def _reports_on_failure() -> Iterator[None]:
    """A run that stops on an error still prints, as JSON, the report of each
    batch it finished and of the one it stopped in (what it did with each file)."""
    from sohoa.flows.digitize import (
        PageProgress,
        add_progress_listener,
        remove_progress_listener,
    )

    reports: list[Any] = []

    def on_progress(update: PageProgress) -> None:
        if update.report is not None:
            reports.append(update.report)

    add_progress_listener(on_progress)
    try:
        yield
    except SohoaError as exc:
        _print_json({"batches": [_dump(r) for r in reports], "error": exc.message})
        raise
    finally:
        remove_progress_listener(on_progress)


def _inbox_status(folder: Path) -> Any:
    from sohoa.app import backends
    from sohoa.app.intake import inbox_status

    return inbox_status(folder.absolute(), backends.settings())


def _wait_line(waiting: Any) -> str:
    from sohoa.models.batch import WaitCode

    if waiting.code == WaitCode.COPYING:
        line = _("{batch}: waiting (a copy is in progress: {file})")
    elif waiting.code == WaitCode.EMPTY:
        line = _("{batch}: waiting (the folder holds no document yet)")
    else:
        line = _("{batch}: waiting (quiet period), taken in {seconds:g} s, or at once with READY")
    return line.format(
        batch=waiting.batch_id, file=_name(waiting.partial_file), seconds=waiting.seconds_left
    )


def cmd_retry(args: argparse.Namespace) -> int:
    from sohoa.app import backends
    from sohoa.app.intake import open_inbox, requeue
    from sohoa.flows.digitize import digitize_batch, task_runner_for

    settings = backends.settings()
    inbox = open_inbox(str(args.inbox), mark=False)
    _check_data_dir_writable()
    batch = requeue(args.batch, inbox, settings)
    run_batch = digitize_batch.with_options(task_runner=task_runner_for(settings))
    if args.json:
        with prefect_env.without_heartbeats():
            report = run_batch(str(batch))
        _print_json(_dump(report))
        return _exit_code([report])
    _say(
        _("{batch}: put back into the inbox as {retry}").format(batch=args.batch, retry=batch.name)
    )
    with _page_progress(), prefect_env.without_heartbeats():
        report = run_batch(str(batch))
    _print_batch(report)
    return _exit_code([report])


def _print_inbox_status(status: Any) -> None:
    for waiting in status.waiting:
        _say(_wait_line(waiting))
    if status.loose_files:
        _say(
            _(
                "{count} file(s) lie loose in the inbox; put each in a batch folder so that "
                "it is digitized: {files}"
            ).format(
                count=len(status.loose_files), files=", ".join(map(_name, status.loose_files[:10]))
            )
        )


def _print_batch(report: Any) -> None:
    counts = Counter(f.status.value for f in report.files)
    if report.claimed_by:
        _say(
            _("{batch}: left to {owner}, which is digitizing it").format(
                batch=report.batch_id, owner=report.claimed_by
            )
        )
        return
    if report.failed_reason:
        _say(
            _("{batch}: FAILED, moved to {destination}: {reason}").format(
                batch=report.batch_id, destination=report.destination, reason=report.failed_reason
            )
        )
        return
    _say(
        _(
            "{batch}: {records} records, {pages} pages, {duplicates} duplicates, "
            "{quarantined} quarantined -> {destination}"
        ).format(
            batch=report.batch_id,
            records=len(report.records),
            pages=report.pages,
            duplicates=counts["duplicate"],
            quarantined=counts["quarantined"],
            destination=report.destination,
        )
    )
    for outcome in report.files:
        if outcome.status.value == "quarantined":
            _say(
                _("  quarantined {file}: {what} ({code}): {reason}").format(
                    file=_name(outcome.file),
                    what=_(REJECT_TEXT.get(outcome.reject_code, outcome.reject_code)),
                    code=outcome.reject_code,
                    reason=outcome.quarantine_reason,
                )
            )
    for kept in report.kept_in_inbox:
        _say(_("  kept in the inbox for the next run: {dossier}").format(dossier=kept))
    for outcome in report.files:
        if outcome.status.value == "skipped":
            _say(
                _("  skipped {file}: {reason}").format(
                    file=_name(outcome.file), reason=outcome.skip_reason
                )
            )
    for warning in report.warnings:
        _say(_("  warning: {warning}").format(warning=warning))


def cmd_watch(args: argparse.Namespace) -> int:
    from sohoa.flows.inbox import poll_inbox

    _check_data_dir_writable()
    interval = args.interval or load_settings().poll_seconds
    console.print(
        _("Watching {inbox} every {interval:g} s (Ctrl-C to stop)").format(
            inbox=args.inbox, interval=interval
        )
    )
    while True:
        for report in poll_inbox(str(args.inbox), mark_inbox=True):
            _print_json(_dump(report)) if args.json else _print_batch(report)
        time.sleep(interval)


def cmd_search(args: argparse.Namespace) -> int:
    from sohoa.app import records
    from sohoa.models import SearchQuery

    query = SearchQuery(
        text=args.query,
        document_type=records.declared_document_type(args.type) if args.type else None,
        date_from=args.date_from,
        date_to=args.date_to,
        unit=args.unit,
        dossier_code=args.dossier,
        id_number=args.id_number,
        signature=args.signature,
        limit=args.limit,
    )
    results = records.search(query)
    if args.json:
        _print_json(_dump(results))
        return 0
    _say(_("{count} record(s)").format(count=results.total))
    for hit in results.hits:
        when = hit.issue_date.isoformat() if hit.issue_date else "-"
        parts = [hit.record_id[:12], f"p.{hit.page}", hit.document_type, when, hit.dossier_code]
        if signed := _SIGNED.get(hit.signature):
            parts.append(f"[{_(signed)}]")
        _say("  ".join(parts))
        _say(f"    {hit.snippet.replace('<mark>', '[').replace('</mark>', ']')}")
    return 0


# How a search line marks a signed record (unsigned ones carry no mark).
_SIGNED = {"valid": N_("signature valid"), "invalid": N_("signature INVALID")}


def cmd_show(args: argparse.Namespace) -> int:
    from sohoa.app import records
    from sohoa.app.retention import retention_of

    record = records.open_record(args.record)
    if args.json:
        _print_json(_dump(record))
        return 0
    _say(f"record         {record.record_id}")
    label = records.document_type_label(record.document_type, language())
    _say(f"type           {record.document_type}{f' ({label})' if label else ''}")
    _say(f"dossier        {record.dossier_code or '-'}   batch {record.batch_id}")
    _say(f"retention      {_retention_line(retention_of(record, records.metadata_rules()))}")
    _say(f"pdf            {records.object_link(record.searchable_pdf_key)}")
    for original in record.originals:
        for signature in original.signatures:
            _say(f"signature      {_name(original.name)}: {_signature_line(signature)}")
    for name, values in sorted(record.fields.items()):
        shown = ", ".join(f"{v.value} (p.{v.page}, {v.confidence:.2f})" for v in values)
        _say(f"{name:<15}{shown}")
    if record.needs_review:
        _say("REVIEW         " + "; ".join(record.review_reasons))
    for page in record.pages:
        flags = " blank" if page.blank else ""
        source = _name(page.source_file)
        _say(
            f"\n--- page {page.number} ({source}) confidence {page.ocr_confidence:.0f}"
            f" rotated {page.rotation_degrees}° skew {page.skew_degrees:+.1f}°{flags}"
        )
        _say(page.text)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from sohoa.app.export import export_record

    args.out.mkdir(parents=True, exist_ok=True)
    bag = export_record(args.record, args.out)
    if args.json:
        _print_json({"bag": str(bag)})
    else:
        _say(f"BagIt package written: {bag}")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from sohoa.app.retention import due_for_disposal

    due = sorted(due_for_disposal(args.on), key=lambda r: (r.disposal_date, r.record.record_id))
    if args.json:
        _print_json(
            [
                {
                    "record_id": r.record.record_id,
                    "document_type": r.record.document_type,
                    "dossier_code": r.record.dossier_code,
                    "retention_years": r.years,
                    "disposal_date": str(r.disposal_date),
                }
                for r in due
            ]
        )
        return 0
    for r in due:
        _say(
            f"{r.record.record_id[:16]}  {r.disposal_date}  {r.record.document_type:<22} "
            f"{r.record.dossier_code or '-'}"
        )
    _say(
        f"{len(due)} record(s) past their retention period on {args.on}. Nothing was deleted: "
        "disposing of a record is a person's decision."
    )
    return 0


def _retention_line(retention: Retention) -> str:
    if retention.disposal_date is None:
        return "kept permanently"
    return f"{retention.years} years: may be disposed of from {retention.disposal_date}"


def _signature_line(signature: SignatureInfo) -> str:
    """ "VALID, signed by ... at ...", or what is wrong with the signature."""
    problems = [
        problem
        for problem, bad in (
            ("signed content changed", not signature.intact),
            ("cryptographically invalid", signature.intact and not signature.valid),
            ("signer not trusted", signature.valid and not signature.trusted),
            ("file changed after signing", signature.intact and not signature.whole_file),
        )
        if bad
    ]
    when = signature.signing_time.isoformat(timespec="seconds") if signature.signing_time else "?"
    verdict = "VALID" if signature.ok else "INVALID (" + ", ".join(problems) + ")"
    return f"{verdict}, signed by {signature.signer or '?'} at {when}"


def cmd_stats(args: argparse.Namespace) -> int:
    from sohoa.app.stats import archive_stats

    stats = dataclasses.asdict(archive_stats())
    if args.json:
        _print_json(stats)
    else:
        for key, value in stats.items():
            _say(f"{key:<20}{value}")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from sohoa.flows.maintenance import reindex

    count = reindex()
    _print_json({"reindexed": count}) if args.json else _say(f"Reindexed {count} records")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from sohoa.flows.maintenance import verify

    report = verify(repair=args.repair)
    found = {"ok": report.ok, **dataclasses.asdict(report)}
    if args.json:
        _print_json(found)
    else:
        for name, value in found.items():
            shown = len(value) if isinstance(value, tuple) else value
            _say(f"{name:<22}{shown}")
            for item in value if isinstance(value, tuple) else ():
                _say(f"  {item}")
    return 0 if report.ok else 1


def cmd_deploy(args: argparse.Namespace) -> int:
    from sohoa.flows.deployments import deploy_all

    names = deploy_all()
    if args.json:
        _print_json({"deployments": names})
    else:
        _say(_("Deployed on the work pool 'sohoa': {names}").format(names=", ".join(names)))
        _say(_("Start a worker on each host: prefect worker start --pool sohoa"))
    return 0


def cmd_samples(args: argparse.Namespace) -> int:
    from sohoa.samples import write_batch

    write_batch(args.out, count=args.count, seed=args.seed, distortions=args.distort)
    _say(f"Wrote {args.count} sample dossiers to {args.out}")
    return 0


def cmd_register_import(args: argparse.Namespace) -> int:
    from sohoa.app.register import import_register_file

    report = import_register_file(load_settings().database_url, args.file)
    if args.json:
        _print_json(dataclasses.asdict(report))
    else:
        _say(f"{report.imported} dossiers imported, {report.bad_rows} bad rows not imported")
        for error in report.errors:
            _say(f"  line {error.line}: {error.message}")
    return 0 if not report.bad_rows else EXIT_NEEDS_ATTENTION


def cmd_register_unmatched(args: argparse.Namespace) -> int:
    from sohoa.app import matching
    from sohoa.storage.database import session_scope

    with session_scope(load_settings().database_url) as session:
        found: dict[str, list[Any]] = {
            "records_without_dossier": matching.unmatched_records(session, args.limit),
            "dossiers_without_record": matching.unmatched_dossiers(session, limit=args.limit),
            "candidates": matching.match_candidates(session, args.limit),
        }
    if args.json:
        _print_json({k: [dataclasses.asdict(v) for v in vs] for k, vs in found.items()})
        return 0
    for name, values in found.items():
        _say(f"{name}: {len(values)}")
        for value in values:
            _say("  " + "  ".join(str(v) for v in dataclasses.astuple(value)))
    return 0


def cmd_register_confirm(args: argparse.Namespace) -> int:
    from sohoa.app import accounts, matching
    from sohoa.app.register import dossier_code_key
    from sohoa.storage.database import session_scope

    with session_scope(load_settings().database_url) as session:
        user_id = accounts.find_user(session, args.user).id if args.user else None
        matching.confirm_match(
            session, args.record, dossier_code_key(args.dossier), not args.reject, user_id
        )
    _say(f"{args.record} {'is not' if args.reject else 'is'} dossier {args.dossier}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from sohoa.app.monthly_report import write_report
    from sohoa.storage.database import session_scope

    settings = load_settings()
    out_dir = args.out or settings.data_dir / "reports"
    with session_scope(settings.database_url) as session:
        report = write_report(session, args.month, out_dir, settings.timezone)
    if args.json:
        _print_json(report.as_json())
    else:
        _say(f"{report.title}: {out_dir}/bao-cao-{args.month}.html and .pdf")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from sohoa.demo import run_demo

    return run_demo(args.dir, as_json=args.json)


def _new_password(args: argparse.Namespace) -> str:
    """From stdin with --password-stdin (scripts), else asked twice at the terminal."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise InvalidRequest("The two passwords differ.")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    from sohoa.app import accounts
    from sohoa.storage.database import session_scope
    from sohoa.storage.schema.accounts import Role

    with session_scope(load_settings().database_url) as session:
        if args.action == "add":
            user = accounts.create_user(
                session,
                args.username,
                _new_password(args),
                Role(args.role),
                unit=args.unit,
                all_units=args.all_units,
                display_name=args.name,
            )
        elif args.action == "disable":
            user = accounts.set_disabled(session, args.username, not args.enable)
        elif args.action == "reset":
            user = accounts.reset_password(session, args.username, _new_password(args))
        else:
            user = accounts.find_user(session, args.username)
            _say(accounts.issue_token(session, user, args.token_name))
            return 0
        shown = {
            "username": user.username,
            "role": user.role,
            "unit": user.unit,
            "all_units": user.all_units,
            "disabled": user.disabled,
        }
    if args.json:
        _print_json(shown)
    else:
        console.print(f"{args.action}: {shown}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from sohoa.web.app import create_app

    uvicorn.run(create_app(load_settings()), host=args.host, port=args.port)
    return 0


def _bounded(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, else a one-line usage error."""

    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return whole_number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sohoa", description=__doc__)
    parser.add_argument("--version", action="version", version=f"sohoa {__version__}")
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
    retry = command(
        "retry", cmd_retry, "put a batch's quarantined files (or a failed batch) back through"
    )
    retry.add_argument("batch", help="the batch folder name under quarantine/ or failed/")
    retry.add_argument("inbox", type=Path, help="the inbox the batch came from")
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
    search.add_argument(
        "--signature",
        choices=[verdict.value for verdict in SignatureVerdict],
        help="records whose signatures all verified, one failed, or none is signed",
    )
    search.add_argument(
        "--limit",
        type=_bounded(1, MAX_SEARCH_LIMIT),
        default=10,
        help=f"hits shown, 1 to {MAX_SEARCH_LIMIT}",
    )
    command("show", cmd_show, "a record's metadata and per-page text").add_argument("record")
    retention = command(
        "retention", cmd_retention, "records past their retention period (nothing is deleted)"
    )
    retention.add_argument(
        "--due", action="store_true", required=True, help="list the records due for disposal"
    )
    retention.add_argument(
        "--on", type=date.fromisoformat, default=date.today(), help="YYYY-MM-DD (default today)"
    )
    export = command(
        "export", cmd_export, "a record as a BagIt package: originals, PDF/A, ALTO, Dublin Core"
    )
    export.add_argument("record")
    export.add_argument("--out", type=Path, default=Path("."), help="folder for the package")
    command("stats", cmd_stats, "records, pages, review queue")
    command("reindex", cmd_reindex, "rebuild the search index from the stored manifests")
    verify_parser = command(
        "verify", cmd_verify, "compare storage with the index and re-check checksums"
    )
    verify_parser.add_argument(
        "--repair", action="store_true", help="remove orphan objects older than an hour"
    )
    command(
        "deploy",
        cmd_deploy,
        "check the worker settings, create the work pool, deploy prefect.yaml",
    )
    samples = command("samples", cmd_samples, "write a batch of generated sample dossiers")
    samples.add_argument("out", type=Path)
    samples.add_argument("--count", type=int, default=10)
    samples.add_argument("--seed", type=int, default=1)
    samples.add_argument("--distort", action="store_true", help="skew, rotate, noise, blur")
    register = sub.add_parser("register", help="the register of received dossiers")
    register_sub = register.add_subparsers(dest="register_command", required=True)

    def register_command(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        p = register_sub.add_parser(name, help=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(handler=handler)
        return p

    register_command(
        "import", cmd_register_import, "import the one-stop system's CSV or XLSX export"
    ).add_argument("file", type=Path)
    register_command(
        "unmatched", cmd_register_unmatched, "records and dossiers without a match, near misses"
    ).add_argument("--limit", type=int, default=100)
    confirm = register_command("confirm", cmd_register_confirm, "confirm a near-miss match")
    confirm.add_argument("record", help="record id")
    confirm.add_argument("dossier", help="register dossier code")
    confirm.add_argument("--reject", action="store_true", help="the record is not that dossier")
    confirm.add_argument("--user", default="", help="the web user who decided (kept with it)")
    report = command("report", cmd_report, "the managers' monthly report (HTML and PDF)")
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--out", type=Path, default=None, help="folder (default <data>/reports)")
    demo = command("demo", cmd_demo, "digitize a bundled sample batch and search it")
    demo.add_argument("--dir", type=Path, default=Path("demo"), help="demo inbox and data folder")
    user = command("user", cmd_user, "add, disable or reset a web user; print an API token")
    user.add_argument("action", choices=["add", "disable", "reset", "token"])
    user.add_argument("username")
    user.add_argument("--role", choices=["operator", "clerk", "manager", "admin"], default="clerk")
    user.add_argument("--unit", default="", help="the unit whose records the user sees")
    user.add_argument("--all-units", action="store_true", help="see every unit's records")
    user.add_argument("--name", default="", help="display name")
    user.add_argument("--enable", action="store_true", help="with disable: enable again")
    user.add_argument("--token-name", default="cli", help="with token: what it is for")
    user.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    serve = command("serve", cmd_serve, "the web app and REST API (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000)
    return parser


# Set once Ctrl-C or SIGTERM arrived: a failure after it is part of stopping.
_interrupted = threading.Event()


def _stop(signum: int, frame: object) -> None:
    """Ctrl-C and SIGTERM unwind alike: the batch in hand stays whole in the
    inbox, its claim is released, and Prefect's temporary server is stopped with us."""
    _interrupted.set()
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    private_by_default()
    prefect_env.configure(quiet=not args.verbose)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        # Ctrl-C at a terminal reaches Prefect's temporary server too; a call
        # to it that fails because it stopped first is part of stopping.
        if _interrupted.is_set():
            return EXIT_INTERRUPTED
        if isinstance(exc, SohoaError):
            _say(f"sohoa: error: {exc.message}", file=sys.stderr)
            return exc.exit_code
        if isinstance(exc, BrokenPipeError):  # output piped into head or less that quit early
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        raise
    finally:
        _close_ocr_engines()


def _close_ocr_engines() -> None:
    """The OCR engine's reader processes end with the command, however it ends
    (``atexit`` would miss a command run in a forked child that leaves through
    ``os._exit``). A command that read no page never imported the engines."""
    engines = sys.modules.get("sohoa.pipeline.ocr_engine")
    if engines is not None:
        engines.close_engines()


if __name__ == "__main__":
    sys.exit(main())
