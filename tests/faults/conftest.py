"""Fault injection: ``sohoa ingest`` killed, starved of disk, cut off from its
servers, run three at a time, and fed hostile files. Every command is forked
from one warm interpreter (``tests.helpers.forked_cli``) that talks to the
session's Prefect test server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.flows.conftest import sohoa_home
from tests.helpers.forked_cli import CliForker

__all__ = ["forked_cli", "sohoa_home"]  # sohoa_home: the flow tests' fresh data dir and inbox


@pytest.fixture(scope="session")
def forked_cli(prefect_server: None) -> Iterator[CliForker]:
    from prefect.settings import PREFECT_API_URL

    forker = CliForker({**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())})
    yield forker
    forker.close()
