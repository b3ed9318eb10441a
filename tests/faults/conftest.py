"""Fault injection: ``sohoa ingest`` killed, starved of disk, cut off from its
servers, run three at a time, and fed hostile files. Every command is forked
from one warm interpreter (the suite's ``forked_cli``) that talks to the
session's Prefect test server."""

from __future__ import annotations

from tests.flows.conftest import sohoa_home

__all__ = ["sohoa_home"]  # the flow tests' fresh data dir and inbox
