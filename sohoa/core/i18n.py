"""The command line's messages in English or Vietnamese, from a gettext
catalogue: ``sohoa/core/locale/vi/LC_MESSAGES/sohoa.po`` (the translations)
compiled to ``sohoa.mo`` with ``make messages``. ``SOHOA_LANG=vi`` or ``en``
chooses; without it the locale does (LC_ALL, LC_MESSAGES, LANG)."""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "sohoa"
LANGUAGES = ("en", "vi")


def language() -> str:
    """``vi`` or ``en``: SOHOA_LANG first, then the locale's variables."""
    for variable in ("SOHOA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "").strip().lower()
        if value and value not in ("c", "posix"):
            return "vi" if value.startswith("vi") else "en"
    return "en"


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` in the user's language (English is the source text)."""
    return _catalogue(language()).gettext(message)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; ``_`` translates it later."""
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    return _catalogue(language()).ngettext(singular, plural, count)
