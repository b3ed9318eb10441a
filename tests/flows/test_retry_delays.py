"""SOHOA_RETRY_DELAYS sets how often and how long a flow run retries a step
whose error can pass."""

from __future__ import annotations

import pytest

from sohoa.core.errors import ConfigurationError
from sohoa.core.settings import load_settings
from sohoa.flows.digitize import _retrying, archive_dossier_task, digitize_page


def test_a_runs_retry_delays_come_from_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_RETRY_DELAYS", "[0.5, 1]")
    settings = load_settings()
    archive = _retrying(archive_dossier_task, settings)
    assert (archive.retries, archive.retry_delay_seconds) == (2, [0.5, 1.0])
    assert archive_dossier_task.retries == 3  # the defined task is left as it was
    page = _retrying(digitize_page, load_settings(retry_delays=(1.0, 2.0, 4.0, 8.0)))
    assert (page.retries, page.retry_delay_seconds) == (2, [1.0, 2.0])  # its own limit of two
    never = _retrying(archive_dossier_task, load_settings(retry_delays=()))
    assert never.retries == 0


def test_a_negative_or_unreadable_delay_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("soon", "[1, -2]"):
        monkeypatch.setenv("SOHOA_RETRY_DELAYS", value)
        with pytest.raises(ConfigurationError, match="retry_delays"):
            load_settings()
