"""SIGKILL of `sohoa ingest` (the whole process group, as a power cut or the
OOM killer would) at twenty seeded points; after each, a rerun completes and
the archive has lost, doubled and quarantined nothing, and verify is clean.

Most kills wait for a marker (the ``SOHOA_FAULT_PAUSE_AT`` test hook of
``sohoa.app.fault_points``): in the OCR task of the first or second page, or in
the middle of archiving the first or second dossier (its originals and page
images stored, no manifest). The rest land at a seeded random moment.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from sohoa.app.fault_points import MARKER, PAUSE_AT
from sohoa.app.intake import INBOX_MARKER
from sohoa.core.settings import load_settings
from tests.helpers.faults import (
    assert_archive_whole,
    kill_group,
    wait_for_marker,
    write_two_dossiers,
)
from tests.helpers.forked_cli import CliForker

pytestmark = [pytest.mark.ocr, pytest.mark.slow]

TRIALS = 20
# Seven mid-OCR, seven mid-archive, six anywhere: fourteen of twenty at a marker.
POINTS = ["ocr:1", "ocr:2"] * 3 + ["ocr:1"] + ["archive:1", "archive:2"] * 3 + ["archive:2"]
POINTS += ["random"] * (TRIALS - len(POINTS))


def test_twenty_sigkills_lose_double_and_quarantine_nothing(
    forked_cli: CliForker, tmp_path: Path
) -> None:
    rng = random.Random(14)
    points = rng.sample(POINTS, k=len(POINTS))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / INBOX_MARKER).touch()
    data = tmp_path / "data"
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "1"}
    settings = load_settings(data_dir=data)
    dropped: list[str] = []
    landed: Counter[str] = Counter()

    for trial, point in enumerate(points):
        dropped += write_two_dossiers(inbox / f"trial-{trial:02d}", f"{trial:02d}", ready=True)
        marker = tmp_path / f"paused-{trial:02d}"
        hook = {} if point == "random" else {PAUSE_AT: point, MARKER: str(marker)}
        pid = forked_cli.start(["ingest", str(inbox), "--json"], {**env, **hook}, marker)
        if point == "random":
            time.sleep(rng.uniform(0.5, 8.0))
        else:
            wait_for_marker(marker)
        kill_group(pid, signal.SIGKILL)
        killed = forked_cli.wait(pid)
        landed[point.split(":")[0] if killed.exit_code == -signal.SIGKILL else "after exit"] += 1

        rerun = forked_cli.run(["ingest", str(inbox), "--json"], env, tmp_path / f"rerun-{trial}")
        assert rerun.exit_code == 0, rerun.stderr[-3000:]
        assert [p.name for p in inbox.iterdir() if not p.name.startswith(".")] == []
        assert_archive_whole(settings, dropped, tmp_path / "quarantine")

    verify = forked_cli.run(["verify", "--json"], env, tmp_path / "verify")
    assert verify.exit_code == 0, verify.stdout + verify.stderr
    print(f"kill trials: {dict(landed)}")
    assert landed["ocr"] + landed["archive"] >= TRIALS // 2
