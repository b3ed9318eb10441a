"""The inbox contract: which batches are complete, which files make up each
dossier, and where a batch goes when it is done.

``INBOX/<batch>/`` holds scans and optionally ``manifest.csv`` (file,
dossier_code, procedure, unit, operator). A batch is complete when it holds a
``READY`` file or nothing in it has changed for ``quiet_seconds``. Network
shares send no file-system events, so readiness is decided by polling."""

from __future__ import annotations

import csv
import os
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sohoa.core.errors import InboxError
from sohoa.core.fsutil import fsync_dir
from sohoa.models.batch import InboxStatus, WaitCode, WaitingBatch

READY_MARKER = "READY"
MANIFEST_NAME = "manifest.csv"
REASON_FILE = "REASON.txt"
MANIFEST_COLUMNS = ("file", "dossier_code", "procedure", "unit", "operator")
_CONTROL_FILES = {READY_MARKER, MANIFEST_NAME, REASON_FILE}
_RESERVED_NAME = f"{REASON_FILE} is a name sohoa keeps for its own notes; rename the file"


@dataclass(frozen=True, slots=True)
class DossierSpec:
    """One dossier of a batch: its files, in order, and what the manifest says."""

    name: str
    files: tuple[Path, ...]
    dossier_code: str = ""
    procedure: str = ""
    unit: str = ""
    operator: str = ""


@dataclass(frozen=True, slots=True)
class SetAside:
    """A file of the batch that is not digitized, and why, in words for the operator."""

    path: Path
    reason: str


@dataclass(frozen=True, slots=True)
class BatchPlan:
    batch_id: str
    path: Path
    dossiers: tuple[DossierSpec, ...]
    warnings: tuple[str, ...] = field(default=())
    # Links, FIFOs, devices and shared hard links: quarantined unopened.
    refused: tuple[SetAside, ...] = field(default=())
    # Hidden files and names sohoa keeps for itself: left as they are.
    skipped: tuple[SetAside, ...] = field(default=())


def _is_hidden(name: str) -> bool:
    """Dot files, Office lock files and partial copies are never documents."""
    return name.startswith((".", "~$")) or _is_partial(name)


def _is_partial(name: str) -> bool:
    """A copy still in progress (``.part``, ``.tmp``, an Office ``~$`` lock file)."""
    return name.startswith("~$") or name.endswith((".part", ".tmp"))


def refusal(path: Path) -> str | None:
    """Why an entry is not plainly a file or folder of the batch, or None.

    A link could reach anything on the machine (``/etc/passwd``, another
    office's share), so nothing behind one is ever opened."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return f"{path.name} is a symbolic link, not a scan; copy the scan itself into the batch"
    if stat.S_ISDIR(info.st_mode):
        return None
    if not stat.S_ISREG(info.st_mode):
        return f"{path.name} is a FIFO, socket or device, not a scan file"
    if info.st_nlink > 1:
        return (
            f"{path.name} is a hard link shared with another file; copy the scan itself "
            "into the batch"
        )
    return None


@dataclass
class _Walk:
    """Every entry under a folder, sorted into files, refusals and skips."""

    files: list[Path] = field(default_factory=list)
    refused: list[SetAside] = field(default_factory=list)
    skipped: list[SetAside] = field(default_factory=list)

    def visit(self, path: Path) -> None:
        reason = refusal(path)
        if reason is not None:
            self.refused.append(SetAside(path, reason))
        elif _is_hidden(path.name):
            self.skipped.append(SetAside(path, f"{path.name} is a hidden or partial file"))
        elif path.is_dir():
            for child in sorted(path.iterdir()):
                self.visit(child)
        else:
            self.files.append(path)


def _content_files(folder: Path) -> Iterator[Path]:
    walk = _Walk()
    for child in sorted(folder.iterdir()):
        walk.visit(child)
    yield from walk.files


def _entries(batch: Path) -> Iterator[Path]:
    """Everything under a batch, without following links (a link may loop)."""
    for folder, folders, files in os.walk(batch):
        for name in [*folders, *files]:
            yield Path(folder, name)


def newest_change(batch: Path) -> float:
    """Latest modification time of the batch folder or anything in it."""
    newest = batch.stat().st_mtime
    for path in _entries(batch):
        try:
            newest = max(newest, path.lstat().st_mtime)
        except FileNotFoundError:  # removed while we looked: it is still changing
            return time.time()
    return newest


def is_ready(batch: Path, quiet_seconds: float, now: float | None = None) -> bool:
    """A batch is ready when marked READY or quiet, and no copy into it is in progress."""
    if any(_is_partial(path.name) for path in _entries(batch)):
        return False
    if (batch / READY_MARKER).exists():
        return True
    if not any(_content_files(batch)):
        return False
    now = time.time() if now is None else now
    return now - newest_change(batch) >= quiet_seconds


def find_ready_batches(inbox: Path, quiet_seconds: float, now: float | None = None) -> list[Path]:
    """Complete batch folders in the inbox, oldest name first."""
    if not inbox.is_dir():
        raise InboxError(f"Inbox folder {inbox} does not exist or is not a folder.")
    if not os.access(inbox, os.R_OK | os.X_OK):
        raise InboxError(f"Inbox folder {inbox} is not readable by this user.")
    return [
        batch
        for batch in sorted(inbox.iterdir())
        if batch.is_dir() and not _is_hidden(batch.name) and is_ready(batch, quiet_seconds, now)
    ]


def _why_waiting(batch: Path, quiet_seconds: float, now: float) -> WaitingBatch:
    partial = next((path.name for path in _entries(batch) if _is_partial(path.name)), None)
    if partial is not None:
        return WaitingBatch(
            batch_id=batch.name,
            code=WaitCode.COPYING,
            reason=f"a copy is in progress ({partial})",
            partial_file=partial,
        )
    if not any(_content_files(batch)):
        return WaitingBatch(
            batch_id=batch.name, code=WaitCode.EMPTY, reason="the folder holds no document yet"
        )
    left = max(0.0, quiet_seconds - (now - newest_change(batch)))
    return WaitingBatch(
        batch_id=batch.name,
        code=WaitCode.QUIET,
        reason=f"quiet period: taken once nothing has changed for {quiet_seconds:g} s, "
        f"or at once when a {READY_MARKER} file is added",
        seconds_left=round(left, 1),
    )


def inbox_status(inbox: Path, quiet_seconds: float, now: float | None = None) -> InboxStatus:
    """The batches not ready yet and the files lying loose in the inbox root."""
    now = time.time() if now is None else now
    waiting = []
    loose = []
    for entry in sorted(inbox.iterdir()):
        if entry.name.startswith((".", "~$")):  # sohoa's own, hidden files, lock files
            continue
        if entry.is_dir() and not entry.is_symlink():
            if not is_ready(entry, quiet_seconds, now):
                waiting.append(_why_waiting(entry, quiet_seconds, now))
        else:
            loose.append(entry.name)
    return InboxStatus(inbox=str(inbox), waiting=tuple(waiting), loose_files=tuple(loose))


def plan_batch(batch: Path) -> BatchPlan:
    """Group a batch's files into dossiers, by manifest or by layout."""
    manifest = batch / MANIFEST_NAME
    if manifest.exists():
        return _plan_from_manifest(batch, manifest)
    dossiers = []
    top = _Walk()
    for entry in sorted(batch.iterdir()):
        if entry.name in (READY_MARKER, MANIFEST_NAME):
            continue
        if entry.name == REASON_FILE:
            top.skipped.append(SetAside(entry, _RESERVED_NAME))
            continue
        walk = _Walk()
        walk.visit(entry)
        top.refused += walk.refused
        top.skipped += walk.skipped
        if walk.files:
            dossiers.append(DossierSpec(name=entry.name, files=tuple(walk.files)))
    return BatchPlan(
        batch.name, batch, tuple(dossiers), refused=tuple(top.refused), skipped=tuple(top.skipped)
    )


def _plan_from_manifest(batch: Path, manifest: Path) -> BatchPlan:
    try:
        with manifest.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip().lower() for c in reader.fieldnames or []]
            if "file" not in columns:
                raise InboxError(
                    f"{manifest} has no 'file' column. Expected a header row: "
                    + ",".join(MANIFEST_COLUMNS)
                )
            rows = [
                {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InboxError(f"Cannot read {manifest}: {exc}. Save it as UTF-8 CSV.") from exc

    warnings: list[str] = []
    grouped: dict[str, list[dict[str, str]]] = {}
    listed: set[Path] = set()
    everything = _Walk()
    for child in sorted(batch.iterdir()):
        everything.visit(child)
    refused = {entry.path for entry in everything.refused}
    present = set(everything.files)
    for number, row in enumerate(rows, start=2):
        path = Path(os.path.normpath(batch / row["file"]))
        if not row["file"] or not path.is_relative_to(batch):
            warnings.append(f"{MANIFEST_NAME} line {number}: '{row['file']}' is not in the batch")
            continue
        if path in refused:
            continue  # quarantined unopened, with its reason
        if path not in present:
            warnings.append(f"{MANIFEST_NAME} line {number}: file '{row['file']}' is missing")
            continue
        listed.add(path)
        key = row.get("dossier_code") or f"file:{row['file']}"
        grouped.setdefault(key, []).append(row)

    dossiers = [
        DossierSpec(
            name=rows_[0].get("dossier_code") or rows_[0]["file"],
            files=tuple(batch / r["file"] for r in rows_),
            dossier_code=rows_[0].get("dossier_code", ""),
            procedure=rows_[0].get("procedure", ""),
            unit=rows_[0].get("unit", ""),
            operator=rows_[0].get("operator", ""),
        )
        for rows_ in grouped.values()
    ]
    for path in everything.files:
        if path not in listed and path.name not in _CONTROL_FILES:
            rel = path.relative_to(batch).as_posix()
            warnings.append(f"{rel} is not listed in {MANIFEST_NAME}; taken as its own dossier")
            dossiers.append(DossierSpec(name=rel, files=(path,)))
    skipped = everything.skipped + [
        SetAside(path, _RESERVED_NAME) for path in everything.files if path.name == REASON_FILE
    ]
    return BatchPlan(
        batch.name,
        batch,
        tuple(dossiers),
        tuple(warnings),
        tuple(everything.refused),
        tuple(skipped),
    )


def _free_destination(parent: Path, name: str) -> Path:
    target = parent / name
    suffix = 1
    while target.exists():
        target = parent / f"{name}.{suffix}"
        suffix += 1
    return target


def move_durably(source: Path, parent: Path, name: str | None = None) -> Path:
    """Move a file or folder into ``parent`` without overwriting anything.
    Across file systems it copies, syncs, and only then removes the source."""
    parent.mkdir(parents=True, exist_ok=True)
    target = _free_destination(parent, name or source.name)
    try:
        os.rename(source, target)
    except OSError:
        if source.is_symlink():  # move the link itself, never what it points at
            os.symlink(os.readlink(source), target)
            fsync_dir(parent)
            source.unlink()
            return target
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
        for path in [target, *target.rglob("*")] if target.is_dir() else [target]:
            if path.is_file():
                with path.open("rb") as handle:
                    os.fsync(handle.fileno())
        fsync_dir(parent)
        shutil.rmtree(source) if source.is_dir() else source.unlink()
    fsync_dir(parent)
    return target


def quarantine_file(path: Path, batch: Path, quarantine_root: Path, reason: str) -> Path:
    """Move a rejected file to ``quarantine/<batch>/`` with ``<name>.reason.txt``."""
    relative = path.relative_to(batch)
    parent = quarantine_root / batch.name / relative.parent
    target = move_durably(path, parent)
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


def requeue_batch(batch_id: str, quarantine_root: Path, failed_root: Path, inbox: Path) -> Path:
    """Put a batch's quarantined files, or its failed batch folder, back into the
    inbox as a new batch marked READY, without the reason notes; the files that
    are still bad are quarantined again when it runs.

    Raises:
        InboxError: when neither quarantine nor failed/ holds the batch.
    """
    candidates = (quarantine_root / batch_id, failed_root / batch_id)
    sources = [folder for folder in candidates if folder.is_dir()]
    if not sources:
        raise InboxError(
            f"Nothing to retry for batch {batch_id!r}: neither {quarantine_root} "
            f"nor {failed_root} holds it."
        )
    # Filled out of sight (pollers skip dot folders), then renamed into place whole.
    staging = inbox / f".sohoa-retry-{batch_id}"
    for folder in sources:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not _is_reason_note(path):
                move_durably(path, staging / path.parent.relative_to(folder))
        shutil.rmtree(folder)
    (staging / READY_MARKER).touch()
    retry = _free_destination(inbox, f"{batch_id}-retry")
    staging.rename(retry)
    fsync_dir(inbox)
    return retry


def _is_reason_note(path: Path) -> bool:
    return path.name == REASON_FILE or path.name.endswith(".reason.txt")


def fail_batch(batch: Path, failed_root: Path, reason: str) -> Path:
    """Move a batch that cannot be processed to ``failed/`` with REASON.txt."""
    (batch / REASON_FILE).write_text(reason + "\n", encoding="utf-8")
    return move_durably(batch, failed_root)
