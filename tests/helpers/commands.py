"""Running a server's own tools from test helpers."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence

import pytest


def run_or_fail(args: Sequence[str], env: Mapping[str, str], what: str) -> None:
    """Run ``args``; a non-zero exit fails the test, saying ``what`` failed and why."""
    done = subprocess.run(list(args), env=dict(env), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"{what} failed: {done.stdout}{done.stderr}", pytrace=False)
