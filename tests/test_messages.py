"""The command line's Vietnamese catalogue is complete and compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import sohoa
from sohoa.core import i18n

CATALOGUE = i18n.LOCALE_DIR / "vi" / "LC_MESSAGES"
SOURCES = [Path(sohoa.__file__).parent / "cli.py"]


def _source_messages() -> set[str]:
    return {
        message
        for source in SOURCES
        for _, message, _, _ in extract_from_file(
            "python", str(source), keywords={"_": None, "N_": None}
        )
        if isinstance(message, str)
    }


def test_every_message_of_the_command_line_has_a_vietnamese_translation() -> None:
    with open(CATALOGUE / "sohoa.po", "rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id: m.string for m in catalogue if m.id}
    missing = sorted(m for m in _source_messages() if not translated.get(m))
    assert not missing, f"add to sohoa.po, then `make messages`: {missing}"
    for message, translation in translated.items():
        placeholders = set(re.findall(r"\{[^}]*\}", str(message)))
        assert set(re.findall(r"\{[^}]*\}", str(translation))) == placeholders, message


def test_the_compiled_catalogue_matches_its_source() -> None:
    with open(CATALOGUE / "sohoa.po", "rb") as handle:
        source = {m.id: m.string for m in read_po(handle) if m.id}
    with open(CATALOGUE / "sohoa.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [m for m, s in source.items() if compiled.gettext(str(m)) != s]
    assert not stale, f"sohoa.mo is older than sohoa.po; run `make messages`: {stale}"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"SOHOA_LANG": "vi"}, "vi"),
        ({"SOHOA_LANG": "en", "LANG": "vi_VN.UTF-8"}, "en"),
        ({"LANG": "vi_VN.UTF-8"}, "vi"),
        ({"LC_ALL": "C", "LANG": "vi_VN.UTF-8"}, "vi"),
        ({}, "en"),
    ],
)
def test_the_language_comes_from_sohoa_lang_then_the_locale(
    environment: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SOHOA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert i18n.language() == expected
    assert i18n._("pages") == ("trang" if expected == "vi" else "pages")
