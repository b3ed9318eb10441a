"""Only a folder meant as an inbox is ever treated as one."""

from __future__ import annotations

from pathlib import Path

import pytest

from sohoa.app.intake import INBOX_MARKER, open_inbox
from sohoa.core.errors import InboxError

CHECKOUT = Path(__file__).resolve().parents[1]


def test_an_unset_inbox_names_the_setting() -> None:
    with pytest.raises(InboxError, match="SOHOA_INBOX"):
        open_inbox("", mark=False)


def test_the_code_checkout_is_never_an_inbox_even_when_named() -> None:
    with pytest.raises(InboxError, match=r"holds (\.git|pyproject\.toml)"):
        open_inbox(str(CHECKOUT), mark=True)
    assert not (CHECKOUT / INBOX_MARKER).exists()


def test_a_deployment_takes_only_a_marked_inbox(tmp_path: Path) -> None:
    with pytest.raises(InboxError, match="not marked"):
        open_inbox(str(tmp_path), mark=False)
    assert open_inbox(str(tmp_path), mark=True) == tmp_path  # a person named it: marked
    assert open_inbox(str(tmp_path), mark=False) == tmp_path


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InboxError, match="does not exist"):
        open_inbox(str(tmp_path / "nowhere"), mark=True)
