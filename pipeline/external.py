"""The one helper that runs an external program (pdfinfo, pdfimages,
pdftotext, qpdf, tesseract's version and language probes) where pdf2image
does not cover it.

Every run has a timeout, reads no stdin unless given bytes for it, and turns
a missing program, a timeout or a failure into one typed error raised
``from`` its cause, with the tail of the program's stderr in the message.

Threading: the functions keep no state; call them from any thread or process.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

from sohoa.core.errors import MissingDependencyError, ProcessingError, ToolTimeout

STDERR_TAIL_LINES = 5
STDERR_TAIL_CHARS = 600


def stderr_tail(stderr: bytes | str) -> str:
    """The last few lines of a program's stderr, joined with " | "."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    tail = " | ".join(text.strip().splitlines()[-STDERR_TAIL_LINES:])
    return tail[-STDERR_TAIL_CHARS:]


def run_program(
    command: Sequence[str | os.PathLike[str]],
    *,
    timeout: float,
    install_hint: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout_error: type[ToolTimeout] = ToolTimeout,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``command`` to completion; the caller looks at the exit code.

    Args:
        command: the program and its arguments, built explicitly (no shell).
        timeout: seconds before the program is stopped.
        install_hint: how to install the program, e.g. "apt-get install qpdf".
        stdin: bytes to feed the program; without them it reads /dev/null.
        env: extra environment variables for the program.
        timeout_error: the error class raised on a timeout.

    Raises:
        MissingDependencyError: the program is not installed.
        ToolTimeout: (or ``timeout_error``) the program ran past ``timeout``.
    """
    args = [str(part) for part in command]
    child_env = {**os.environ, **env} if env else None
    try:
        if stdin is None:
            return subprocess.run(
                args, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                env=child_env, check=False,
            )  # fmt: skip
        return subprocess.run(
            args, input=stdin, capture_output=True, timeout=timeout, env=child_env, check=False
        )
    except FileNotFoundError as exc:
        raise MissingDependencyError(
            f"{args[0]} is not installed or not on PATH: {install_hint}"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise timeout_error(
            f"{args[0]} took longer than {timeout:g} s and was stopped; "
            "try again when the machine is less busy, or raise the timeout."
        ) from exc


def check_exit(
    completed: subprocess.CompletedProcess[bytes],
    what: str,
    error: type[ProcessingError] = ProcessingError,
    ok_codes: Sequence[int] = (0,),
) -> None:
    """Raise ``error`` naming ``what`` and the stderr tail if the program failed.

    Raises:
        ProcessingError: (or ``error``) the exit code is not in ``ok_codes``.
    """
    if completed.returncode in ok_codes:
        return
    cause = subprocess.CalledProcessError(
        completed.returncode, completed.args, completed.stdout, completed.stderr
    )
    raise error(
        f"{what} failed (exit {completed.returncode}): {stderr_tail(completed.stderr)}"
    ) from cause
