"""The one subprocess helper, on real programs."""

from __future__ import annotations

import logging
import subprocess

import pytest

from sohoa.core.errors import MissingDependencyError, PopplerTimeout, ProcessingError, ToolTimeout
from sohoa.pipeline.external import (
    KnownMessage,
    check_exit,
    known_message,
    log_messages,
    run_program,
    stderr_tail,
)
from sohoa.pipeline.tesseract import TESSERACT_MESSAGES

HINT = "apt-get install coreutils"


def test_no_stdin_unless_given() -> None:
    """``cat`` reads /dev/null and ends at once, or echoes the bytes it is given."""
    assert run_program(["cat"], timeout=10, install_hint=HINT).stdout == b""
    assert run_program(["cat"], timeout=10, install_hint=HINT, stdin=b"trang").stdout == b"trang"


def test_environment_is_added_to() -> None:
    done = run_program(["env"], timeout=10, install_hint=HINT, env={"OMP_THREAD_LIMIT": "1"})
    lines = done.stdout.decode().splitlines()
    assert "OMP_THREAD_LIMIT=1" in lines and any(line.startswith("PATH=") for line in lines)


def test_timeout_is_retryable_and_typed() -> None:
    with pytest.raises(ToolTimeout, match=r"sleep took longer than 0\.2 s") as caught:
        run_program(["sleep", "5"], timeout=0.2, install_hint=HINT)
    assert caught.value.retryable
    assert isinstance(caught.value.__cause__, subprocess.TimeoutExpired)
    with pytest.raises(PopplerTimeout):
        run_program(["sleep", "5"], timeout=0.2, install_hint=HINT, timeout_error=PopplerTimeout)


def test_missing_program_says_how_to_install() -> None:
    with pytest.raises(MissingDependencyError, match=HINT) as caught:
        run_program(["no-such-program-here"], timeout=10, install_hint=HINT)
    assert isinstance(caught.value.__cause__, FileNotFoundError)


def test_failure_carries_the_stderr_tail() -> None:
    script = "for n in 1 2 3 4 5 6 7; do echo line $n >&2; done; exit 4"
    done = run_program(["sh", "-c", script], timeout=10, install_hint=HINT)
    with pytest.raises(ProcessingError, match=r"exit 4\): line 3 \| .* \| line 7$") as caught:
        check_exit(done, "the script")
    assert "line 2" not in caught.value.message
    assert isinstance(caught.value.__cause__, subprocess.CalledProcessError)
    check_exit(done, "the script", ok_codes=(0, 4))  # an accepted exit code


def test_stderr_tail_of_text_and_bytes() -> None:
    assert stderr_tail(b"a\nb\n") == stderr_tail("a\nb") == "a | b"


def test_tesseract_messages_sorted_into_log_levels(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.external")
    caplog.set_level(logging.DEBUG, logger=logger.name)
    stderr = "Detected 31 diacritics\nImage too large: (40000, 40000)\nSegmentation fault\n"
    log_messages(logger, "tesseract", stderr, TESSERACT_MESSAGES)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.DEBUG, "tesseract: Detected 31 diacritics"),
        (logging.WARNING, "tesseract: Image too large: (40000, 40000)"),
        (logging.WARNING, "tesseract: Segmentation fault"),
    ]


@pytest.mark.parametrize(
    ("text", "no_text"),
    [
        ("Too few characters. Skipping this page", True),
        ("Empty page!!", True),
        ("Image too large: (40000, 40000)", True),
        ("Detected 31 diacritics", False),
    ],
)
def test_known_tesseract_messages(text: str, no_text: bool) -> None:
    known = known_message(text, TESSERACT_MESSAGES)
    assert isinstance(known, KnownMessage) and known.no_text == no_text


def test_unknown_message() -> None:
    assert known_message("Segmentation fault", TESSERACT_MESSAGES) is None
