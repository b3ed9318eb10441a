"""Diacritics folding and snippets, shared by every search backend.

Folding happens in Python on both documents and queries, so search ignores
accents on any Elasticsearch (no analysis-common needed) and on SQLite alike.
``fold`` keeps the length of NFC text, so a match found in folded text can be
highlighted at the same offsets in the original."""

from __future__ import annotations

import html
import re
import unicodedata

_TOKEN = re.compile(r"[0-9a-z]+")
_SPECIAL = {"đ": "d", "Đ": "d", "ð": "d", "ı": "i", "ł": "l", "ø": "o", "ß": "s"}
HIGHLIGHT_START = "<mark>"
HIGHLIGHT_END = "</mark>"


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on first sight of each character."""

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        folded = _SPECIAL.get(char) or unicodedata.normalize("NFD", char)[0].lower()
        self[codepoint] = folded if len(folded) == 1 else char
        return self[codepoint]


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Lower-case and strip diacritics, one output character per input one."""
    return unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)


def search_tokens(text: str) -> list[str]:
    """The words a search backend indexes or looks up: folded, alphanumeric."""
    return _TOKEN.findall(fold(text))


def token_text(text: str) -> str:
    """The folded tokens joined by spaces: what backends store and analyze."""
    return " ".join(search_tokens(text))


def snippet(text: str, query: str, width: int = 160) -> str:
    """A window of ``text`` around the first query word, as HTML: the text is
    escaped (OCR text may hold "<script>") and then every query word is
    wrapped in <mark>; the original accents are kept."""
    text = unicodedata.normalize("NFC", text)
    words = set(search_tokens(query))
    spans = [m.span() for m in _TOKEN.finditer(fold(text)) if m.group() in words]
    if not spans:
        return html.escape(" ".join(text[:width].split()))
    start = max(0, spans[0][0] - width // 3)
    end = min(len(text), start + width)
    out: list[str] = []
    cursor = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out += [_escaped(text[cursor:s]), HIGHLIGHT_START, _escaped(text[s:e]), HIGHLIGHT_END]
        cursor = e
    out.append(_escaped(text[cursor:end]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + " ".join("".join(out).split()) + suffix


def _escaped(text: str) -> str:
    # Whitespace is collapsed after marking; escaping adds none.
    return html.escape(text)


# C0 and C1 controls (escape sequences start with ESC or CSI) and the marks
# that reverse the direction of text (they can disguise a file name's extension).
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[{_CONTROL}]")
_CONTROLS_AND_LINE_BREAKS = re.compile(f"[{_CONTROL}\t\n]")


def terminal_safe(text: str, *, one_line: bool = False) -> str:
    """``text`` with its control characters shown escaped (``\\x1b``), never
    obeyed by a terminal; ``one_line`` escapes tabs and line breaks as well
    (a file name is one line)."""
    controls = _CONTROLS_AND_LINE_BREAKS if one_line else _CONTROLS
    return controls.sub(_escape_code, text)


def _escape_code(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
