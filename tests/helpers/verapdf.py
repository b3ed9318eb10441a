"""veraPDF, the PDF Association's validator, run on PDF files (``scripts/verapdf.sh``
fetches it from Maven Central into ``tools/`` the first time)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verapdf.sh"
TIMEOUT = 600


def pdfa_failures(pdfs: Iterable[Path], flavour: str = "2b") -> dict[str, list[str]]:
    """veraPDF's failed rules for each file, by path; a conforming file has none.

    Raises:
        AssertionError: veraPDF could not be provisioned or did not answer for every file.
    """
    paths = [str(pdf) for pdf in pdfs]
    completed = subprocess.run(
        ["bash", str(SCRIPT), "check", flavour, *paths],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    lines = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    results = {line["file"]: line["failures"] for line in lines}
    if set(results) != set(paths) or completed.returncode not in (0, 1):
        raise AssertionError(
            f"veraPDF did not validate {paths} (exit {completed.returncode}): "
            f"{completed.stderr[-2000:]}"
        )
    return {path: results[path] if results[path] else [] for path in paths}
