"""Times on the pages are the office's, not UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sohoa.app import backends
from sohoa.web.templating import local_time


def test_stored_utc_moments_are_shown_in_the_office_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    naive_from_sqlite = datetime(2026, 11, 30, 23, 30)
    aware_from_postgresql = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    backends.reset()
    assert local_time(naive_from_sqlite) == "01/12/2026 06:30"  # Asia/Ho_Chi_Minh, UTC+7
    assert local_time(aware_from_postgresql, "%H:%M") == "06:30"
    monkeypatch.setenv("SOHOA_TIMEZONE", "UTC")
    backends.reset()
    try:
        assert local_time(naive_from_sqlite) == "30/11/2026 23:30"
    finally:
        backends.reset()
