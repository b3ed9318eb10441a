"""The one place that runs the ``qpdf`` program (through ``sohoa.pipeline.external``).

qpdf joins page PDFs while streaming each page's image from its source file,
so joining 300 pages needs no more memory than joining 30 (pikepdf's in-process
copy held every page image in memory at once)."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from sohoa.core.errors import MissingDependencyError
from sohoa.pipeline.external import check_exit, run_program

INSTALL_HINT = "apt-get install qpdf"
PROBE_TIMEOUT = 30.0
# qpdf's exit code for "warnings only": the output was written.
_WARNINGS_ONLY = 3


@cache
def qpdf_version() -> str:
    """The installed qpdf version line; checked once per process.

    Raises:
        MissingDependencyError: qpdf is missing or does not run.
    """
    completed = run_program(["qpdf", "--version"], timeout=PROBE_TIMEOUT, install_hint=INSTALL_HINT)
    lines = completed.stdout.decode("utf-8", "replace").splitlines()
    if completed.returncode != 0 or not lines:
        raise MissingDependencyError(f"qpdf does not run: {INSTALL_HINT}")
    return lines[0].strip()


def join_pages(pages: list[Path], out_pdf: Path, timeout: float, base: Path | None = None) -> Path:
    """Write the pages of ``pages``, in order, into ``out_pdf`` (reproducible ids).

    ``base``, when given, is the document they go into: its catalog and /Info
    are kept and its own pages dropped. Streams end as PDF/A asks (an EOL
    before ``endstream``).

    Raises:
        ToolTimeout: qpdf ran past ``timeout``.
        ProcessingError: qpdf failed.
    """
    qpdf_version()
    with tempfile.NamedTemporaryFile("w", suffix=".args", dir=out_pdf.parent) as args:
        # An argument file keeps thousands of page paths off the command line.
        primary = str(base) if base else "--empty"
        args.write("\n".join([primary, "--pages", *map(str, pages), "--"]) + "\n")
        args.flush()
        command = [
            "qpdf",
            f"@{args.name}",
            "--object-streams=generate",
            "--deterministic-id",
            "--newline-before-endstream",
        ]
        completed = run_program([*command, out_pdf], timeout=timeout, install_hint=INSTALL_HINT)
        check_exit(completed, f"qpdf joining {out_pdf.name}", ok_codes=(0, _WARNINGS_ONLY))
    return out_pdf
