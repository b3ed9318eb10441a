"""The one subprocess helper, on real programs."""

from __future__ import annotations

import subprocess

import pytest

from sohoa.core.errors import MissingDependencyError, PopplerTimeout, ProcessingError, ToolTimeout
from sohoa.pipeline.external import check_exit, run_program, stderr_tail

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
