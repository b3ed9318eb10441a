"""A test hook, and nothing else: the fault-injection tests (tests/faults/) must
kill ``sohoa ingest`` at a known step, not at a guessed moment.

With ``SOHOA_FAULT_PAUSE_AT=<step>`` (``ocr`` or ``archive``), the first arrival
at that step writes the file named by ``SOHOA_FAULT_MARKER`` and sleeps until
the test kills the process, or, with ``SOHOA_FAULT_RESUME=<file>``, until that
file exists (the outage trials stop a server meanwhile, then let the run go on).
``<step>:<n>`` waits for the n-th arrival instead. Unset, as in every
deployment, ``pause_point`` does nothing.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path

PAUSE_AT = "SOHOA_FAULT_PAUSE_AT"
MARKER = "SOHOA_FAULT_MARKER"
RESUME = "SOHOA_FAULT_RESUME"

_arrivals: Counter[str] = Counter()
_lock = threading.Lock()


def pause_point(step: str) -> None:
    """Pause here when the test hook names this step (see the module)."""
    wanted = os.environ.get(PAUSE_AT)
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != step:
        return
    with _lock:
        _arrivals[step] += 1
        arrived = _arrivals[step]
    if arrived != int(nth or 1):
        return
    Path(os.environ[MARKER]).write_text(f"{step}:{arrived} pid {os.getpid()}\n", encoding="utf-8")
    resume = os.environ.get(RESUME)
    while not (resume and Path(resume).exists()):
        time.sleep(0.05 if resume else 60)
