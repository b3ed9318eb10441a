"""Batch claims: one owner per batch, however many ``ingest``, ``watch`` and
Prefect workers poll the same inbox, on one host or on several sharing it.

A claim is a folder ``<inbox>/.sohoa-claims/<batch>`` made with ``mkdir``,
which is atomic on local disks and on NFS/SMB shares alike; the batch itself
stays where the operator put it until its records are stored, so a crash
never takes a file out of the inbox. The owner writes ``owner.json`` (host,
pid, process start time) and touches it while it works. A claim is stale,
and taken over, when its owner is a dead process on this host, or, from
another host, when it has not been touched for ``lease_seconds``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CLAIMS_DIR = ".sohoa-claims"
OWNER_FILE = "owner.json"
LEASE_SECONDS = 600.0
# A claim folder without its owner file yet is being made right now.
_BIRTH_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Claim:
    batch: Path
    folder: Path


def _process_start(pid: int) -> str | None:
    """The kernel's start time of a process (tells a reused pid apart), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _owner() -> dict[str, object]:
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "start": _process_start(pid)}


def claim_folder(batch: Path) -> Path:
    """Where the claim of ``batch`` lives, held or not."""
    return batch.parent / CLAIMS_DIR / batch.name


def describe_owner(folder: Path) -> str:
    try:
        owner = json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "another process"
    return f"process {owner.get('pid')} on {owner.get('host')}"


def _is_stale(folder: Path, lease_seconds: float) -> bool:
    owner_file = folder / OWNER_FILE
    try:
        owner = json.loads(owner_file.read_text(encoding="utf-8"))
        touched = owner_file.stat().st_mtime
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > _BIRTH_SECONDS
        except FileNotFoundError:
            return False  # released meanwhile: try again
    except ValueError:
        return True  # half-written by an owner that died
    if owner.get("host") == socket.gethostname():
        return bool(_process_start(int(owner["pid"])) != owner.get("start"))
    return time.time() - touched > lease_seconds


def _break(folder: Path) -> None:
    """Remove a stale claim; the rename makes sure only one claimant removes it."""
    tombstone = folder.with_name(f".stale-{uuid.uuid4().hex}")
    try:
        folder.rename(tombstone)
    except FileNotFoundError:
        return
    shutil.rmtree(tombstone, ignore_errors=True)


def try_claim(batch: Path, lease_seconds: float = LEASE_SECONDS) -> Claim | None:
    """Claim a batch; None when a live owner has it or it is gone already."""
    folder = claim_folder(batch)
    folder.parent.mkdir(exist_ok=True)
    for _ in range(3):
        try:
            folder.mkdir()
        except FileExistsError:
            if not _is_stale(folder, lease_seconds):
                return None
            _break(folder)
            continue
        (folder / OWNER_FILE).write_text(json.dumps(_owner()), encoding="utf-8")
        if not batch.is_dir():  # finished by its last owner just before we looked
            release(Claim(batch, folder))
            return None
        return Claim(batch, folder)
    return None


def release(claim: Claim) -> None:
    shutil.rmtree(claim.folder, ignore_errors=True)


@contextmanager
def claimed(batch: Path, lease_seconds: float = LEASE_SECONDS) -> Iterator[Claim | None]:
    """Hold a batch's claim while the block runs, touching it so that other
    hosts see it alive; released on every way out."""
    claim = try_claim(batch, lease_seconds)
    if claim is None:
        yield None
        return
    stop = threading.Event()
    owner_file = claim.folder / OWNER_FILE

    def heartbeat() -> None:
        while not stop.wait(lease_seconds / 10):
            try:
                os.utime(owner_file)
            except FileNotFoundError:
                return

    beat = threading.Thread(target=heartbeat, name=f"claim {batch.name}", daemon=True)
    beat.start()
    try:
        yield claim
    finally:
        stop.set()
        beat.join()
        release(claim)
