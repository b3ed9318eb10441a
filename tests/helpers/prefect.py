"""Prefect for tests: offline, with a home of its own."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from sohoa.flows import prefect_env


def use_offline_prefect() -> None:
    """The offline defaults the CLI uses, and a throwaway Prefect home for this
    process (its ephemeral server keeps a SQLite database there) unless
    PREFECT_HOME is set. Call before anything imports Prefect."""
    prefect_env.configure()
    if "PREFECT_HOME" not in os.environ:
        home = tempfile.mkdtemp(prefix="sohoa-test-prefect-")
        os.environ["PREFECT_HOME"] = home
        atexit.register(shutil.rmtree, home, ignore_errors=True)
