"""Errors drive retries: only what can pass is tried again, and a page that
keeps timing out leaves its batch in the inbox instead of in quarantine."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import flow, task

from sohoa.core.errors import (
    IndexUnavailable,
    RejectCode,
    RejectedInput,
    SohoaError,
    ToolTimeout,
)
from sohoa.flows.digitize import digitize_batch, retry_only_retryable
from tests.helpers.pages import write_small_batch


def _attempts_until_given_up(error: Exception) -> int:
    attempts = []

    @task(retries=3, retry_delay_seconds=0, retry_condition_fn=retry_only_retryable)
    def failing() -> None:
        attempts.append(1)
        raise error

    @flow
    def run() -> None:
        failing()

    with pytest.raises(type(error)):
        run()
    return len(attempts)


@pytest.mark.parametrize(
    ("error", "attempts"),
    [
        (IndexUnavailable("Elasticsearch refused the credentials."), 4),
        (ToolTimeout("tesseract took too long"), 4),
        (ConnectionResetError("connection reset by peer"), 4),
        (SohoaError("Elasticsearch authentication failed: check SOHOA_ES_API_KEY."), 1),
        (RejectedInput(RejectCode.CORRUPT, "the file is damaged"), 1),
    ],
)
def test_only_retryable_errors_are_retried(
    prefect_server: None, error: Exception, attempts: int
) -> None:
    assert _attempts_until_given_up(error) == attempts


@pytest.mark.ocr
def test_a_page_that_keeps_timing_out_keeps_its_batch_in_the_inbox(
    prefect_server: None, sohoa_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOHOA_OCR_TIMEOUT_SECONDS", "0.001")
    monkeypatch.setenv("SOHOA_RETRY_DELAYS", "[0.5, 0.5]")  # both page retries, in 1 s not 12 s
    batch = sohoa_home / "inbox" / "slow-machine"
    write_small_batch(batch, ["Ho so 3\nmay cham"], ("jpg",))

    report = digitize_batch(str(batch))

    assert batch.is_dir() and report.destination == str(batch)
    assert len(report.kept_in_inbox) == 1 and "longer than" in report.kept_in_inbox[0]
    assert not report.records and not [o for o in report.files if o.reject_code]
    assert [o.status for o in report.files] == ["kept"] and "longer than" in str(
        report.files[0].keep_reason
    )
    assert not (sohoa_home / "quarantine").exists()
    assert not (sohoa_home / "data" / "work" / "slow-machine").exists()  # scratch removed
