"""The one place that runs the ``qpdf`` program.

qpdf joins page PDFs while streaming each page's image from its source file,
so joining 300 pages needs no more memory than joining 30 (pikepdf's in-process
copy held every page image in memory at once)."""

from __future__ import annotations

import subprocess
import tempfile
from functools import cache
from pathlib import Path

from sohoa.core.errors import MissingDependencyError, ProcessingError, ProcessingTimeout


@cache
def qpdf_version() -> str:
    try:
        done = subprocess.run(
            ["qpdf", "--version"], capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise MissingDependencyError(
            "qpdf is not installed or does not run: apt-get install qpdf"
        ) from exc
    return done.stdout.splitlines()[0].strip()


def join_pages(pages: list[Path], out_pdf: Path, timeout: float) -> Path:
    """Write the pages of ``pages``, in order, into ``out_pdf`` (reproducible ids)."""
    qpdf_version()
    with tempfile.NamedTemporaryFile("w", suffix=".args", dir=out_pdf.parent) as args:
        # An argument file keeps thousands of page paths off the command line.
        args.write("\n".join(["--empty", "--pages", *map(str, pages), "--"]) + "\n")
        args.flush()
        command = [
            "qpdf",
            f"@{args.name}",
            "--object-streams=generate",
            "--deterministic-id",
            str(out_pdf),
        ]
        try:
            subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
        except subprocess.TimeoutExpired as exc:
            raise ProcessingTimeout(f"qpdf took over {timeout:g} s joining {out_pdf.name}") from exc
        except subprocess.CalledProcessError as exc:
            # Exit code 3 means warnings only: the output was written.
            if exc.returncode != 3:
                reason = (exc.stderr or "").strip().splitlines()[-1:] or ["unknown error"]
                raise ProcessingError(f"qpdf could not join {out_pdf.name}: {reason[0]}") from exc
    return out_pdf
