"""A batch another run has claimed is left alone by the flow."""

from __future__ import annotations

from pathlib import Path

import pytest

from sohoa.app import claims
from sohoa.core.errors import InboxError
from sohoa.flows.digitize import digitize_batch
from sohoa.flows.inbox import poll_inbox
from tests.helpers.pages import write_small_batch


def test_a_claimed_batch_is_left_to_its_owner(prefect_server: None, sohoa_home: Path) -> None:
    batch = sohoa_home / "inbox" / "taken"
    write_small_batch(batch, ["Ho so 5\nda co nguoi nhan"], ("jpg",))
    before = sorted(p.name for p in batch.iterdir())
    held = claims.try_claim(batch)
    assert held is not None

    report = digitize_batch(str(batch))

    assert report.claimed_by is not None and "process" in report.claimed_by
    assert not report.files and not report.records
    assert sorted(p.name for p in batch.iterdir()) == before
    assert not (sohoa_home / "processed").exists()
    claims.release(held)


def test_poll_inbox_from_a_deployment_with_no_inbox_moves_nothing(
    prefect_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(checkout)  # a worker's working directory, as in the accident
    before = sorted(p.name for p in checkout.iterdir())
    for inbox in ("", ".", str(checkout)):
        with pytest.raises(InboxError):
            poll_inbox(inbox)
    assert sorted(p.name for p in checkout.iterdir()) == before
