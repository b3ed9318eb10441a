"""Intake: what happens to a batch folder, apart from the page work.

A batch is planned (or moved to ``failed/`` when it cannot be read), each
dossier's files are checked (rejects go to ``quarantine/``), a dossier's
processed pages are finished into its derivatives, and the batch leaves the
inbox only after every record in it is stored. The flow in
``flows/digitize.py`` sequences these steps as Prefect tasks; nothing here
knows about Prefect.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sohoa.app.archive import DossierOutputs, first_value
from sohoa.core.errors import (
    ConfigurationError,
    InboxError,
    RejectCode,
    RejectedInput,
    StorageError,
)
from sohoa.core.settings import Settings
from sohoa.models import BatchReport, FileOutcome, FileStatus, Record
from sohoa.models.batch import InboxStatus
from sohoa.models.records import record_id_for
from sohoa.pipeline import dossier as dossier_steps
from sohoa.pipeline import inbox
from sohoa.pipeline.metadata import ExtractedMetadata, MetadataRules, extract_metadata
from sohoa.pipeline.pages import PageOptions, ProcessedPage
from sohoa.pipeline.pdfa import ArchivalMetadata
from sohoa.pipeline.preflight import IntakeLimits, SourceFile, inspect_file
from sohoa.pipeline.signatures import (
    LongTermSigning,
    SignatureCheck,
    TokenKey,
    check_signatures,
    load_crls,
    load_trust_roots,
    sign_pdf,
)


@dataclass(frozen=True, slots=True)
class BatchFolders:
    """Where a batch and its files go when they leave the inbox."""

    processed: Path
    failed: Path
    quarantine: Path

    @classmethod
    def beside(cls, inbox_dir: Path, settings: Settings) -> BatchFolders:
        return cls(
            processed=settings.sibling_dir(inbox_dir, settings.processed_dir, "processed"),
            failed=settings.sibling_dir(inbox_dir, settings.failed_dir, "failed"),
            quarantine=settings.sibling_dir(inbox_dir, settings.quarantine_dir, "quarantine"),
        )


def intake_limits(settings: Settings) -> IntakeLimits:
    return IntakeLimits(
        max_file_bytes=settings.max_file_mb * 1024 * 1024,
        max_page_pixels=settings.max_page_pixels,
        min_image_side=settings.min_image_side,
        render_dpi=settings.dpi,
    )


def page_options(settings: Settings, dpi: int) -> PageOptions:
    """``dpi`` is the rendered page's own: images keep their native resolution."""
    return PageOptions(
        languages=settings.languages, dpi=dpi, ocr_timeout=settings.ocr_timeout_seconds
    )


INBOX_MARKER = ".sohoa-inbox"
# A folder holding one of these is a code checkout or a project, never an inbox.
_NOT_AN_INBOX = (".git", "pyproject.toml", "setup.py", "prefect.yaml")


def open_inbox(path: str, *, mark: bool) -> Path:
    """The inbox folder, checked before anything in it is touched.

    An inbox must exist, must not be a code checkout, and must be marked with
    ``.sohoa-inbox``: an operator naming a folder on the command line marks it
    (``mark=True``); a deployment only accepts a folder marked already.

    Raises:
        InboxError: naming what is wrong and the setting to fix.
    """
    if not path.strip():
        raise InboxError("No inbox folder given: set SOHOA_INBOX (deployments) or name the folder.")
    inbox = Path(path).expanduser().absolute()
    if not inbox.is_dir():
        raise InboxError(f"Inbox folder {inbox} does not exist or is not a folder.")
    found = [name for name in _NOT_AN_INBOX if (inbox / name).exists()]
    if found or inbox == Path(inbox.anchor) or inbox == Path.home():
        why = f"it holds {found[0]}" if found else "it is a system or home folder"
        raise InboxError(
            f"{inbox} cannot be an inbox ({why}); point SOHOA_INBOX at the scanners' folder."
        )
    marker = inbox / INBOX_MARKER
    if not marker.exists():
        if not mark:
            raise InboxError(
                f"{inbox} is not marked as a sohoa inbox; run `sohoa ingest {inbox}` once, "
                f"or create {marker}, to confirm that sohoa may move files out of it."
            )
        marker.write_text("This folder is a sohoa inbox.\n", encoding="utf-8")
    return inbox


def check_data_dir_writable(settings: Settings) -> None:
    """Ingest writes its scratch space, and by default the index and the store,
    under the data folder: a read-only one stops the run before anything moves.

    Raises:
        StorageError: naming the folder; searches still work on a read-only archive.
    """
    folder = settings.data_dir.expanduser().absolute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise StorageError(
            f"The data folder {folder} is not writable ({exc.strerror}); nothing was taken "
            "from the inbox. Ingest needs it writable; search, show, stats and verify "
            "work on a read-only archive."
        ) from exc


def requeue(batch_id: str, inbox_dir: Path, settings: Settings) -> Path:
    """A quarantined or failed batch back in the inbox as ``<batch>-retry``, READY."""
    if Path(batch_id).name != batch_id or batch_id.startswith("."):
        raise InboxError(f"{batch_id!r} is not a batch name (a folder name, no path).")
    folders = BatchFolders.beside(inbox_dir, settings)
    return inbox.requeue_batch(batch_id, folders.quarantine, folders.failed, inbox_dir)


def inbox_status(folder: Path, settings: Settings) -> InboxStatus:
    """Batches still waiting (and how long until a poll takes them) and loose files."""
    return inbox.inbox_status(folder, settings.quiet_seconds)


def plan_or_fail(batch: Path, folders: BatchFolders) -> inbox.BatchPlan | BatchReport:
    """The batch's dossiers, or, when the batch cannot be read at all (a broken
    manifest), the report of its move to ``failed/`` with REASON.txt."""
    try:
        return inbox.plan_batch(batch)
    except InboxError as exc:
        target = inbox.fail_batch(batch, folders.failed, exc.message)
        return BatchReport(batch_id=batch.name, destination=str(target), failed_reason=exc.message)


@dataclass
class CheckedDossier:
    """A dossier whose files passed preflight; ``rejected`` names those that did not."""

    spec: inbox.DossierSpec
    sources: list[SourceFile] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    @property
    def record_id(self) -> str:
        return record_id_for([source.sha256 for source in self.sources])


@dataclass
class BatchTally:
    """What happened to each file of a batch, gathered while it runs."""

    plan: inbox.BatchPlan
    folders: BatchFolders
    outcomes: list[FileOutcome] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    pages: int = 0
    seen: set[str] = field(default_factory=set)
    kept_in_inbox: list[str] = field(default_factory=list)

    def name(self, path: Path) -> str:
        return path.relative_to(self.plan.path).as_posix()

    def quarantine(self, path: Path, code: RejectCode, message: str) -> None:
        """Move a file to quarantine with ``<name>.reason.txt`` for the operator."""
        inbox.quarantine_file(path, self.plan.path, self.folders.quarantine, f"{code}: {message}")
        self.outcomes.append(
            FileOutcome(
                file=self.name(path),
                status=FileStatus.QUARANTINED,
                reject_code=code,
                quarantine_reason=message,
            )
        )

    def set_aside(self) -> None:
        """Account for the files the plan set aside: links and special files go to
        quarantine unopened, hidden files and reserved names are reported as skipped."""
        for entry in self.plan.refused:
            self.quarantine(entry.path, RejectCode.NOT_A_REGULAR_FILE, entry.reason)
        self.outcomes += [
            FileOutcome(file=self.name(e.path), status=FileStatus.SKIPPED, skip_reason=e.reason)
            for e in self.plan.skipped
        ]

    def stored(self, record_id: str, sources: Sequence[SourceFile], pages: int) -> None:
        self.records.append(record_id)
        self.pages += pages
        self.outcomes += [
            FileOutcome(file=self.name(s.path), status=FileStatus.STORED, record_id=record_id)
            for s in sources
        ]

    def duplicates(self, record_id: str, dossier: CheckedDossier) -> None:
        """The dossier's files are a record stored already; the dossier code this
        drop was given stays in the report (and the batch history)."""
        self.outcomes += [
            FileOutcome(
                file=self.name(s.path),
                status=FileStatus.DUPLICATE,
                duplicate_of=record_id,
                dossier_code=dossier.spec.dossier_code,
            )
            for s in dossier.sources
        ]

    def stored_before(self, record: Record, dossier: CheckedDossier) -> bool:
        """Whether ``record`` is this very dossier, stored by an earlier run of
        this batch that stopped before the batch left the inbox (same batch,
        same file names), rather than a copy dropped another time."""
        return record.batch_id == self.plan.batch_id and sorted(
            original.name for original in record.originals
        ) == sorted(source.path.name for source in dossier.sources)

    def keep_in_inbox(self, dossier: CheckedDossier, reason: str) -> None:
        """A failure that a later run can get past: the files stay where they are."""
        self.kept_in_inbox.append(f"{dossier.spec.name}: {reason}")
        self.keep_unaccounted((s.path for s in dossier.sources), reason)

    def keep_unaccounted(self, paths: Iterable[Path], reason: str) -> None:
        """Report each of ``paths`` not reported yet as kept in the inbox."""
        reported = {outcome.file for outcome in self.outcomes}
        for name in dict.fromkeys(self.name(path) for path in paths):
            if name not in reported:
                self.outcomes.append(
                    FileOutcome(file=name, status=FileStatus.KEPT, keep_reason=reason)
                )


def check_dossier(
    spec: inbox.DossierSpec, tally: BatchTally, limits: IntakeLimits
) -> CheckedDossier:
    """Preflight every file of a dossier; rejects go to quarantine at once."""
    checked = CheckedDossier(spec)
    for path in spec.files:
        try:
            checked.sources.append(inspect_file(path, limits))
        except RejectedInput as exc:
            tally.quarantine(path, exc.code, exc.message)
            checked.rejected.append(tally.name(path))
    return checked


@dataclass(frozen=True, slots=True)
class SigningOptions:
    """Signatures: those in received PDFs are checked against ``trust_store``;
    the searchable PDF is signed with the key in the PKCS#12 file ``pkcs12`` or
    on the PKCS#11 token ``token`` (unlocked by ``pin``) when one is set, PAdES
    B-LT when a timestamp authority ``tsa_url`` is set (its validation info
    gathered with ``trust_store`` and the CRLs in ``crls``)."""

    trust_store: Path | None = None
    pkcs12: Path | None = None
    pin: str = field(default="", repr=False)
    tsa_url: str = ""
    crls: Path | None = None
    token: TokenKey | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SigningOptions:
        module = settings.signing_pkcs11_module
        return cls(
            settings.trust_store,
            settings.signing_pkcs12,
            settings.signing_pin.get_secret_value(),
            settings.signing_tsa_url,
            settings.signing_crls,
            TokenKey(module, settings.signing_token_label, settings.signing_key_label)
            if module
            else None,
        )

    def office_key(self) -> Path | TokenKey | None:
        """The PKCS#12 file or the token key to sign with; None: no signing.

        Raises:
            ConfigurationError: both are set.
        """
        if self.pkcs12 is not None and self.token is not None:
            raise ConfigurationError(
                "Set SOHOA_SIGNING_PKCS12 or SOHOA_SIGNING_PKCS11_MODULE, not both: "
                "sohoa signs with one key"
            )
        return self.pkcs12 or self.token

    def long_term(self) -> LongTermSigning | None:
        """What B-LT signing needs; None for baseline B (no timestamp authority)."""
        if not self.tsa_url:
            return None
        roots = tuple(load_trust_roots(self.trust_store))
        return LongTermSigning(self.tsa_url, roots, tuple(load_crls(self.crls)))


NO_SIGNING = SigningOptions()


def finish_dossier(
    dossier: CheckedDossier,
    pages: Sequence[ProcessedPage],
    page_sources: Sequence[str],
    record_dir: Path,
    rules: MetadataRules,
    review_min_confidence: float,
    signing: SigningOptions = NO_SIGNING,
) -> DossierOutputs:
    """A dossier's derivatives from its processed pages: the searchable PDF
    (PDF/A-2b, carrying the record's metadata, signed by the office when
    ``signing`` names its certificate), the OCR as ALTO XML 4, the metadata,
    the reasons a clerk should review it, and the digital signatures in its
    PDF files checked against ``signing.trust_store``."""
    extracted = extract_metadata(dossier_steps.page_texts(pages), rules)
    digitized_at = datetime.now(UTC)
    archival = archival_metadata(dossier, extracted, digitized_at)
    searchable_pdf = dossier_steps.build_searchable_pdf(
        pages, record_dir / dossier_steps.SEARCHABLE_PDF, archival
    )
    office_key = signing.office_key()
    if office_key is not None:
        sign_pdf(searchable_pdf, office_key, signing.pin, signing.long_term())
    return DossierOutputs(
        sources=dossier.sources,
        pages=pages,
        page_sources=page_sources,
        searchable_pdf=searchable_pdf,
        alto_xml=dossier_steps.build_alto(pages, record_dir / dossier_steps.ALTO_XML, digitized_at),
        metadata=extracted,
        review_reasons=dossier_steps.review_reasons(
            pages, extracted, review_min_confidence, dossier.rejected
        ),
        digitized_at=digitized_at,
        signatures=signed_files(dossier.sources, signing.trust_store),
    )


def signed_files(
    sources: Sequence[SourceFile], trust_store: Path | None
) -> dict[str, tuple[SignatureCheck, ...]]:
    """The checked signatures of each signed PDF among ``sources``, by its SHA-256."""
    pdfs = [source for source in sources if source.kind == "pdf"]
    roots = load_trust_roots(trust_store) if pdfs else []
    found = {source.sha256: check_signatures(source.path, roots) for source in pdfs}
    return {sha256: checks for sha256, checks in found.items() if checks}


def archival_metadata(
    dossier: CheckedDossier, extracted: ExtractedMetadata, digitized_at: datetime
) -> ArchivalMetadata:
    """What the record's PDF/A file says about it (the same values its manifest holds)."""
    return ArchivalMetadata(
        record_id=dossier.record_id,
        digitized_at=digitized_at,
        document_type=extracted.document_type,
        document_type_label=extracted.document_type_label,
        number_symbol=first_value(extracted.fields, "number_symbol"),
        issue_date=extracted.issue_date,
        dossier_code=dossier.spec.dossier_code or first_value(extracted.fields, "dossier_code"),
        unit=dossier.spec.unit,
        procedure=dossier.spec.procedure,
        sources=tuple(source.path.name for source in dossier.sources),
    )


@contextmanager
def scratch_space(work_root: Path) -> Iterator[Path]:
    """The batch's scratch folder for page images, removed on every way out."""
    work_root.mkdir(parents=True, exist_ok=True)
    try:
        yield work_root
    finally:
        shutil.rmtree(work_root, ignore_errors=True)


def close_batch(tally: BatchTally) -> BatchReport:
    """Move the batch to ``processed/`` once every record in it is stored; a
    batch with a dossier to retry stays in the inbox for the next run."""
    plan = tally.plan
    if tally.kept_in_inbox:
        destination = plan.path
    else:
        destination = inbox.move_durably(plan.path, tally.folders.processed)
    return BatchReport(
        batch_id=plan.batch_id,
        destination=str(destination),
        operator=_most_frequent(spec.operator for spec in plan.dossiers),
        unit=_most_frequent(spec.unit for spec in plan.dossiers),
        files=tuple(tally.outcomes),
        records=tuple(tally.records),
        pages=tally.pages,
        warnings=plan.warnings,
        kept_in_inbox=tuple(tally.kept_in_inbox),
    )


def report_so_far(tally: BatchTally, reason: str) -> BatchReport:
    """The report of a batch that stopped on an error: what was done with each
    file until then; the batch stays in the inbox for the next run."""
    tally.kept_in_inbox.append(f"{tally.plan.batch_id}: {reason}")
    tally.keep_unaccounted((f for spec in tally.plan.dossiers for f in spec.files), reason)
    return close_batch(tally)


def _most_frequent(values: Iterable[str]) -> str:
    counts = Counter(value for value in values if value)
    return counts.most_common(1)[0][0] if counts else ""
