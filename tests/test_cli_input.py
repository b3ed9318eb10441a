"""Command-line values out of range are one line of usage error, never a traceback."""

from __future__ import annotations

import pytest

from sohoa.cli import main


@pytest.mark.parametrize("limit", ["0", "-1", "100000", "ten"])
def test_search_limit_out_of_range_is_a_one_line_error(
    limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["search", "nguyen", "--limit", limit])
    assert exit_.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("sohoa search: error: argument --limit: ")
    assert "between 1 and 1000" in error[-1] or "not a whole number" in error[-1]
    assert not any("Traceback" in line or "pydantic" in line for line in error)
