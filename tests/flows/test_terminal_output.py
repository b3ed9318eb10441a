"""File names are shown, never obeyed: escape sequences in them reach the
terminal escaped in text output, and unchanged in --json."""

from __future__ import annotations

import os
from pathlib import Path

from tests.helpers.forked_cli import CliForker

CLEAR_SCREEN = "\x1b[2J"
SET_TITLE = "\x1b]0;owned\x07"


def test_escape_sequences_in_file_names_are_printed_escaped(
    sohoa_home: Path, forked_cli: CliForker
) -> None:
    inbox = sohoa_home / "inbox"
    batch = inbox / "b-escapes"
    batch.mkdir()
    (batch / f"{CLEAR_SCREEN}scan.pdf").write_text("not a scan\n")  # quarantined
    (batch / "READY").touch()
    (inbox / f"{SET_TITLE}loose.jpg").write_bytes(b"\xff\xd8\xff")  # reported as loose

    env = {**os.environ, "SOHOA_DATA_DIR": str(sohoa_home / "data")}
    ingest = forked_cli.run(["ingest", str(inbox)], env, sohoa_home / "ingest")

    assert ingest.exit_code == 7, ingest.stderr[-2000:]
    assert "\x1b" not in ingest.stdout and "\x07" not in ingest.stdout
    assert "quarantined \\x1b[2Jscan.pdf" in ingest.stdout
    assert "\\x1b]0;owned\\x07loose.jpg" in ingest.stdout
    assert "\x1b" not in ingest.stderr
