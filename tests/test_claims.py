"""Batch claims: one owner per batch, stale claims taken over."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sohoa.app import claims


def _batch(tmp_path: Path) -> Path:
    batch = tmp_path / "inbox" / "b-1"
    batch.mkdir(parents=True)
    (batch / "scan.jpg").write_bytes(b"\xff\xd8")
    return batch


def test_a_held_claim_keeps_others_out_until_released(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    first = claims.try_claim(batch)
    assert first is not None
    assert claims.try_claim(batch) is None
    assert str(os.getpid()) in claims.describe_owner(first.folder)
    claims.release(first)
    assert claims.try_claim(batch) is not None


def test_the_claim_of_a_dead_process_on_this_host_is_taken_over(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    held = claims.try_claim(batch)
    assert held is not None
    owner = json.loads((held.folder / claims.OWNER_FILE).read_text())
    owner.update(pid=int(dead.stdout), start="1")
    (held.folder / claims.OWNER_FILE).write_text(json.dumps(owner))
    assert claims.try_claim(batch) is not None


def test_another_hosts_claim_is_respected_until_its_lease_runs_out(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    held = claims.try_claim(batch)
    assert held is not None
    owner_file = held.folder / claims.OWNER_FILE
    owner_file.write_text(json.dumps({"host": "scanner-2", "pid": 1, "start": "1"}))
    assert claims.try_claim(batch, lease_seconds=60) is None
    an_hour_ago = time.time() - 3600
    os.utime(owner_file, (an_hour_ago, an_hour_ago))
    assert claims.try_claim(batch, lease_seconds=60) is not None


def test_a_batch_gone_before_the_claim_is_not_claimed(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    (batch / "scan.jpg").unlink()
    batch.rmdir()
    assert claims.try_claim(batch) is None
    assert not any((tmp_path / "inbox" / claims.CLAIMS_DIR).iterdir())


def _claim_and_hold(batch: str, won: multiprocessing.Queue[int], done: Any) -> None:
    claim = claims.try_claim(Path(batch))
    won.put(1 if claim is not None else 0)
    done.wait(60)  # alive, so the claim stays live, until every racer has tried


def test_of_many_processes_racing_for_one_batch_exactly_one_wins(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    context = multiprocessing.get_context("spawn")
    won: multiprocessing.Queue[int] = context.Queue()
    done = context.Event()
    racers = [
        context.Process(target=_claim_and_hold, args=(str(batch), won, done)) for _ in range(6)
    ]
    for racer in racers:
        racer.start()
    results = [won.get(timeout=60) for _ in racers]
    done.set()
    for racer in racers:
        racer.join(timeout=60)
    assert sorted(results) == [0, 0, 0, 0, 0, 1]


def test_the_claim_is_released_when_the_block_ends_even_by_an_error(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    try:
        with claims.claimed(batch) as claim:
            assert claim is not None and claim.folder.is_dir()
            raise RuntimeError("the batch failed")
    except RuntimeError:
        pass
    assert not (tmp_path / "inbox" / claims.CLAIMS_DIR / batch.name).exists()
