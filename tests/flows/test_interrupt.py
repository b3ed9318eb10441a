"""Ctrl-C at a terminal stops `sohoa watch` quietly with exit code 130, even
though the same signal stops Prefect's temporary server first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_on_watch_exits_130_without_a_traceback(sohoa_home: Path) -> None:
    inbox = sohoa_home / "inbox"
    (inbox / "batch-ctrl-c").mkdir()
    (inbox / "batch-ctrl-c" / "not-a-scan.pdf").write_text("plain text\n")  # quarantined at once
    (inbox / "batch-ctrl-c" / "READY").touch()
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(sohoa_home / "data"),
        "PREFECT_HOME": str(sohoa_home / "prefect"),  # its own temporary server
    }
    env.pop("PREFECT_API_URL", None)
    command = [str(Path(sys.executable).with_name("sohoa")), "watch", str(inbox)]
    watch = subprocess.Popen(
        [*command, "--interval", "0.05", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a terminal's process group: Ctrl-C reaches every member
    )
    assert watch.stdout is not None
    first_line = watch.stdout.readline()  # the batch report: flows run, the server is up
    assert first_line.strip() == "{", watch.stderr.read() if watch.stderr else ""
    time.sleep(1.0)  # polls run back to back now; the signal lands in one

    os.killpg(watch.pid, signal.SIGINT)
    _, stderr = watch.communicate(timeout=120)

    assert watch.returncode == 130, stderr
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 60
    while _group_alive(watch.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _group_alive(watch.pid), "a child of sohoa outlived it"
