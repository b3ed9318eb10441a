"""Metadata from a dossier's OCR text: document type, number/symbol, issue
date, agency, citizen IDs, tax codes, phone numbers, names, dossier code.

The vocabulary (label phrases, document types with their titles, keywords and
required fields) lives in ``metadata_rules.yaml``, which an office can copy and
edit: a document type is a code the loaded rules declare, not a Python enum.
Matching runs on a *view* of each page: folded by ``sohoa.core.text.fold`` (lower
case, no diacritics, "đ" as "d") and with O, l and I read as digits inside
runs of digits. The view has exactly as many characters as the page text, so
the offsets of a match in the view point at the same characters as printed,
which is where names and symbols are copied from.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from sohoa.core.errors import ConfigurationError
from sohoa.core.text import fold
from sohoa.models import FieldValue
from sohoa.models.records import DOCUMENT_TYPE_CODE

DEFAULT_RULES = Path(__file__).with_name("metadata_rules.yaml")
# Version 2: document types have labels and the rules name a fallback type.
RULES_VERSION = 2

# ----------------------------------------------------------------------------
# Public data


@dataclass(frozen=True)
class PageText:
    """One page's OCR result, as the metadata step needs it."""

    number: int  # 1-based
    text: str
    confidence: float  # mean word confidence, 0-100
    qr_payloads: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentTypeRule:
    """One type from the rules file: its code, its names for people, the
    phrases that recognise it and the fields its records must have."""

    code: str
    label: str  # Vietnamese, with diacritics
    label_en: str
    titles: tuple[re.Pattern[str], ...]
    keywords: tuple[re.Pattern[str], ...]
    required: tuple[str, ...]
    retention_years: int | None = None  # None: kept permanently


@dataclass(frozen=True)
class ExtractedMetadata:
    """``document_type`` is a code the rules declare; ``missing_required`` the
    fields that type requires and the text did not yield."""

    document_type: str
    document_type_label: str
    document_type_confidence: float
    fields: dict[str, tuple[FieldValue, ...]]
    issue_date: date | None
    missing_required: tuple[str, ...]


@dataclass(frozen=True)
class MetadataRules:
    """The compiled contents of a rules file."""

    source: Path
    document_types: tuple[DocumentTypeRule, ...]  # the ones classification scores
    fallback_type: DocumentTypeRule  # for a document no other type matches
    title_weight: float
    keyword_weight: float
    title_lines: int
    min_score: float
    labels: dict[str, re.Pattern[str]]
    name_stop: re.Pattern[str]
    honorifics: frozenset[str]
    motto: re.Pattern[str]
    agency_words: re.Pattern[str]
    date_roles: dict[str, re.Pattern[str]]
    not_places: re.Pattern[str]
    issue_date_fallback: tuple[str, ...]
    date_fields: tuple[str, ...]
    context_chars: int
    place_words_max: int
    symbol_abbreviations: dict[str, str]
    province_codes: frozenset[str]
    strength: dict[str, float]

    @property
    def declared_types(self) -> tuple[DocumentTypeRule, ...]:
        """Every declared type, the fallback last."""
        return (*self.document_types, self.fallback_type)

    def document_type(self, code: str) -> DocumentTypeRule | None:
        """The declared type with this code; None for a code these rules lack
        (a record read under another office's or an older rules file)."""
        return next((t for t in self.declared_types if t.code == code), None)


# ----------------------------------------------------------------------------
# Loading rules

_FIELDS_WITH_LABELS = (
    "number_symbol",
    "citizen_id",
    "old_id",
    "tax_code",
    "phone",
    "dossier_code",
    "person_name",
)
# Fields found without a label of their own; date roles listed under
# dates.fields in the rules are fields too.
_OTHER_FIELDS = ("agency", "issue_date", "birth_date")
_TYPE_CODE = re.compile(DOCUMENT_TYPE_CODE)
_TYPE_KEYS = frozenset({"label", "label_en", "titles", "keywords", "required", "retention"})
PERMANENT = "permanent"


def _phrase_pattern(entry: str) -> str:
    """A rules-file phrase as a regex over folded text; "re:" entries are regexes."""
    if entry.startswith("re:"):
        return rf"(?<![a-z0-9])(?:{entry[3:]})"
    # OCR reads "m" as "rn"; a comma or a dash may be lost.
    words = [
        re.escape(word).replace(",", ",?").replace("m", "(?:m|rn)") + ("?" if word == "-" else "")
        for word in fold(entry).split()
    ]
    return r"(?<![a-z0-9])" + r"\s*".join(words) + r"(?![a-z0-9])"


def _any_of(entries: Sequence[str]) -> re.Pattern[str]:
    """One pattern matching any entry; longer entries are tried first."""
    if not entries:
        return re.compile(r"(?!x)x")
    ordered = sorted(entries, key=len, reverse=True)
    return re.compile("|".join(f"(?:{_phrase_pattern(e)})" for e in ordered))


def _compile_all(entries: Sequence[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(_phrase_pattern(e)) for e in entries)


def load_rules(path: Path | None = None) -> MetadataRules:
    """Read and compile a rules file (default: the one shipped beside this module).

    Raises:
        ConfigurationError: the file cannot be read, is not valid YAML, or
            lacks a section, declares a document type badly (a code that is
            not lower case letters, digits and "_", no label, an unknown key,
            a required field sohoa does not extract, an undeclared fallback)
            or holds a bad regex.
    """
    source = path or DEFAULT_RULES
    try:
        stat = source.stat()
        return _rules_as_of(source, stat.st_mtime_ns, stat.st_size)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"Cannot read metadata rules {source}: {exc}") from exc
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ConfigurationError(
            f"Metadata rules {source} are invalid ({type(exc).__name__}: {exc}). "
            f"Compare with {DEFAULT_RULES}."
        ) from exc


@lru_cache(maxsize=8)
def _rules_as_of(source: Path, mtime_ns: int, size: int) -> MetadataRules:
    """The rules file compiled once per version of it (every dossier asks)."""
    return _compile_rules(source, yaml.safe_load(source.read_text(encoding="utf-8")))


def _document_type(code: str, spec: Any, known_fields: set[str]) -> DocumentTypeRule:
    if not isinstance(code, str) or not _TYPE_CODE.fullmatch(code):
        raise ValueError(f"document type code {code!r} must be lower case letters, digits, _")
    if not isinstance(spec, dict) or not isinstance(spec.get("required", []), list):
        raise ValueError(f"document type {code} must map label, titles, ... to lists")
    unknown_keys = set(spec) - _TYPE_KEYS
    if unknown_keys:
        raise ValueError(f"document type {code} has unknown keys {sorted(unknown_keys)}")
    label = str(spec.get("label") or "").strip()
    if not label:
        raise ValueError(f"document type {code} needs a label, its Vietnamese name")
    required = tuple(spec.get("required", []))
    unknown_fields = [name for name in required if name not in known_fields]
    if unknown_fields:
        raise ValueError(
            f"document type {code} requires {unknown_fields}, which sohoa does not "
            f"extract; fields are {sorted(known_fields)}"
        )
    return DocumentTypeRule(
        code=code,
        label=label,
        label_en=str(spec.get("label_en") or label).strip(),
        titles=_compile_all(spec.get("titles", [])),
        keywords=_compile_all(spec.get("keywords", [])),
        required=required,
        retention_years=_retention_years(code, spec.get("retention", PERMANENT)),
    )


def _retention_years(code: str, value: object) -> int | None:
    """A type's retention period: whole years, or None for "permanent"."""
    if value == PERMANENT:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"document type {code}: retention must be a number of years or {PERMANENT!r}, "
            f"not {value!r}"
        )
    return value


def _compile_rules(source: Path, data: dict[str, Any]) -> MetadataRules:
    if data.get("version") != RULES_VERSION:
        raise ValueError(
            f"version {data.get('version')!r}; sohoa reads version {RULES_VERSION}, in which "
            "each document type has a label and classification names a fallback type"
        )
    classification = data["classification"]
    dates = data["dates"]
    known_fields = {*_FIELDS_WITH_LABELS, *_OTHER_FIELDS, *dates.get("fields", [])}
    declared = [
        _document_type(code, spec or {}, known_fields)
        for code, spec in data["document_types"].items()
    ]
    fallback_code = classification["fallback"]
    fallback = next((t for t in declared if t.code == fallback_code), None)
    if fallback is None:
        raise ValueError(f"the fallback type {fallback_code!r} is not among document_types")
    fields = data["fields"]
    names = fields["person_name"]
    abbreviations = {fold(a).upper(): a for a in data.get("symbol_abbreviations", [])}
    return MetadataRules(
        source=source,
        document_types=tuple(t for t in declared if t is not fallback),
        fallback_type=fallback,
        title_weight=float(classification["title_weight"]),
        keyword_weight=float(classification["keyword_weight"]),
        title_lines=int(classification["title_lines"]),
        min_score=float(classification["min_score"]),
        labels={name: _any_of(fields[name]["labels"]) for name in _FIELDS_WITH_LABELS},
        name_stop=_any_of(names.get("stop", [])),
        honorifics=frozenset(fold(h) for h in names.get("honorifics", [])),
        motto=_any_of(data.get("motto", [])),
        agency_words=_any_of(data["agency_words"]),
        date_roles={role: _any_of(phrases) for role, phrases in dates["roles"].items()},
        not_places=_any_of(dates.get("not_places", [])),
        issue_date_fallback=tuple(dates.get("issue_date_fallback", [])),
        date_fields=tuple(dates.get("fields", [])),
        context_chars=int(dates["context_chars"]),
        place_words_max=int(dates["place_words_max"]),
        symbol_abbreviations=abbreviations,
        province_codes=frozenset(str(c) for c in data["citizen_id_province_codes"]),
        strength={k: float(v) for k, v in data["strength"].items()},
    )


# ----------------------------------------------------------------------------
# Page views

_DIGIT_LOOKALIKES = str.maketrans({"o": "0", "l": "1", "i": "1", "|": "1", "!": "1"})
_TOKEN = re.compile(r"[0-9a-z|!]+")
_LOOKALIKE_CHARS = frozenset("oli|!")
_LOOKALIKES_BY_DIGIT = re.compile(r"(?<=\d)[oli|!]+|[oli|!]+(?=\d)")
_LETTERS_OR_DIGITS = re.compile(r"[^\W_]")
# The eth looks like Đ and OCR engines output either.
_LOOKALIKE_LETTERS = str.maketrans({"Ð": "Đ", "ð": "đ", "\u00a0": " ", "\t": " ", "\r": " "})


def _digit_view(folded: str) -> str:
    """Read O, l, I as 0, 1 in tokens that hold digits: all of them when the
    token holds nothing else ("2O23"), else those next to a digit ("PCO6")."""

    def fix(match: re.Match[str]) -> str:
        token = match.group()
        if not any(c.isdigit() for c in token):
            return token
        if all(c.isdigit() or c in _LOOKALIKE_CHARS for c in token):
            return token.translate(_DIGIT_LOOKALIKES)
        return _LOOKALIKES_BY_DIGIT.sub(lambda m: m.group().translate(_DIGIT_LOOKALIKES), token)

    return _TOKEN.sub(fix, folded)


@dataclass
class _Page:
    number: int
    text: str  # NFC, as printed
    view: str  # folded, digits fixed; same length as text
    confidence: float  # 0-1
    qr_payloads: tuple[str, ...]
    claimed: list[tuple[int, int]] = field(default_factory=list)

    @classmethod
    def of(cls, page: PageText) -> _Page:
        text = unicodedata.normalize("NFC", page.text).translate(_LOOKALIKE_LETTERS)
        # Marks that compose with nothing (a misread tone on a letter that has
        # one already) would hide words from every rule.
        text = "".join(c for c in text if not unicodedata.combining(c))
        text = unicodedata.normalize("NFC", text)
        view = _digit_view(fold(text))  # fold keeps the length of NFC text
        confidence = min(max(page.confidence / 100.0, 0.0), 1.0)
        return cls(page.number, text, view, confidence, page.qr_payloads)

    def line_span(self, pos: int) -> tuple[int, int]:
        start = self.view.rfind("\n", 0, pos) + 1
        end = self.view.find("\n", pos)
        return start, len(self.view) if end < 0 else end

    def line_at(self, pos: int) -> str:
        start, end = self.line_span(pos)
        return " ".join(self.text[start:end].split())

    def is_claimed(self, span: tuple[int, int]) -> bool:
        return any(s < span[1] and span[0] < e for s, e in self.claimed)

    def window(self, pos: int, limit: int = 80) -> tuple[int, int]:
        """Rest of the line from ``pos``, or with the next line of text when
        the rest holds no digit (a value printed under its label; OCR may
        put a blank line between them when it reads them as two paragraphs)."""
        _, end = self.line_span(pos)
        if not any(c.isdigit() for c in self.view[pos:end]) and end < len(self.view):
            next_line = end + 1
            while next_line < len(self.view) and self.view[next_line] == "\n":
                next_line += 1
            _, end = self.line_span(next_line)
        return pos, min(end, pos + limit)


@dataclass(frozen=True)
class _Found:
    value: str
    page: int
    position: int
    source: str  # the line it was found on


class _Collector:
    """Values found so far, by field; keeps the strongest sighting of each value."""

    def __init__(self) -> None:
        self.found: dict[str, dict[str, tuple[float, _Found]]] = {}

    def add(
        self,
        page: _Page,
        name: str,
        value: str,
        strength: float,
        span: tuple[int, int],
        *,
        from_qr: bool = False,
    ) -> None:
        """Record a value; from a QR code it is as sure as the rule, whatever the OCR."""
        found = _Found(value, page.number, span[0], page.line_at(span[0]))
        confidence = strength if from_qr else strength * page.confidence
        values = self.found.setdefault(name, {})
        if value not in values or values[value][0] < confidence:
            values[value] = (confidence, found)
        page.claimed.append(span)

    def has(self, name: str) -> bool:
        return bool(self.found.get(name))

    def fields(self) -> dict[str, tuple[FieldValue, ...]]:
        out = {}
        for name, values in self.found.items():
            ranked = sorted(values.values(), key=lambda v: (-v[0], v[1].page, v[1].position))
            out[name] = tuple(
                FieldValue(
                    value=f.value,
                    page=f.page,
                    confidence=round(min(conf, 1.0), 4),
                    source_text=f.source[:200],
                )
                for conf, f in ranked
            )
        return out


# ----------------------------------------------------------------------------
# Numbers: IDs, tax codes, phones, dossier codes, number/symbol

_CITIZEN_ID = re.compile(r"(?<!\d)(?<!\d[ .])\d(?:[ .]?\d){11}(?![ .]?\d)")
_OLD_ID = re.compile(r"(?<!\d)(?<!\d[ .])\d(?:[ .]?\d){8}(?![ .]?\d)")
_TAX_CODE = re.compile(r"(?<![\d.])\d{10}(?: ?- ?\d{3})?(?![\d])(?! ?- ?\d)")
_CITIZEN_ID_BARE = re.compile(r"(?<![\d.-])\d{12}(?![\d-])")
_TAX_CODE_BRANCH = re.compile(r"(?<![\d.-])\d{10} ?- ?\d{3}(?![\d-])")
_PHONE = re.compile(r"(?<![\d+])(?:\+ ?84|84|0)[ .]?[35789](?:[ .]?\d){8}(?![ .]?\d)")
_DOSSIER_CODE = re.compile(r"(?<![0-9a-z.])[0-9a-z]{1,6}(?: ?[.-] ?[0-9a-z]{1,8}){2,6}(?![0-9a-z])")
# The national one-stop portal's dossier code: office, date received, serial.
_DOSSIER_CODE_STRICT = re.compile(
    r"(?<![0-9a-z.])\d{3}\.\d{2}\.\d{2}\.[a-z]\d{2}-\d{6}-\d{4}(?![0-9a-z])", re.IGNORECASE
)
_SYMBOL = re.compile(
    r"\d{1,5} ?/ ?(?:\d{4} ?/ ?)?[a-z][a-z0-9]{0,9}(?: ?- ?[a-z0-9]{1,10}){0,3}(?![a-z0-9])"
)
_SEPARATOR = re.compile(r"[ ]*([:;.])?[ ]*")


def _only_digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _labeled(
    page: _Page, name: str, rules: MetadataRules, value: re.Pattern[str]
) -> Iterator[re.Match[str]]:
    """The first ``value`` after each label of field ``name``."""
    for label in rules.labels[name].finditer(page.view):
        start, end = page.window(label.end())
        match = value.search(page.view, start, end)
        if match and not page.is_claimed(match.span()):
            yield match


def _tax_code_value(text: str) -> str:
    return re.sub(r" ?- ?", "-", text).replace(" ", "")


def _phone_value(text: str) -> str:
    return "0" + _only_digits(text)[-9:]


# Field, its value after a label, the value's shape without a label (None:
# only after a label), and how a match is written down.
_NUMBERS: tuple[tuple[str, re.Pattern[str], re.Pattern[str] | None, Callable[[str], str]], ...] = (
    ("tax_code", _TAX_CODE, _TAX_CODE_BRANCH, _tax_code_value),
    ("citizen_id", _CITIZEN_ID, _CITIZEN_ID_BARE, _only_digits),
    ("old_id", _OLD_ID, None, _only_digits),
    ("phone", _PHONE, _PHONE, _phone_value),
)


def _extract_numbers(page: _Page, collector: _Collector, rules: MetadataRules) -> None:
    for name, labeled_shape, _, write in _NUMBERS:
        for m in _labeled(page, name, rules, labeled_shape):
            collector.add(page, name, write(m.group()), rules.strength["labeled"], m.span())
    # Without a label, only numbers whose shape leaves no doubt.
    for name, _, bare_shape, write in _NUMBERS:
        for m in bare_shape.finditer(page.view) if bare_shape else ():
            value = write(m.group())
            if page.is_claimed(m.span()):
                continue
            if name == "citizen_id" and not (
                value[:3] in rules.province_codes and value[3] in "0123"
            ):
                continue  # not a province of registration and a century-and-sex digit
            collector.add(page, name, value, rules.strength["unlabeled"], m.span())


def _extract_dossier_code(
    pages: Sequence[_Page], collector: _Collector, rules: MetadataRules
) -> None:
    """From QR codes when any holds one, else from the printed label."""
    for page in pages:
        for payload in page.qr_payloads:
            code = _code_in_payload(payload)
            if code:
                printed = page.view.find(code.lower())
                span = (printed, printed + len(code)) if printed >= 0 else (0, 0)
                collector.add(page, "dossier_code", code, rules.strength["qr"], span, from_qr=True)
    if collector.has("dossier_code"):
        return
    for page in pages:
        for m in _labeled(page, "dossier_code", rules, _DOSSIER_CODE):
            value = re.sub(r" ?([.-]) ?", r"\1", m.group()).upper()
            if sum(c.isdigit() for c in value) >= 4:
                collector.add(page, "dossier_code", value, rules.strength["labeled"], m.span())
        for m in _DOSSIER_CODE_STRICT.finditer(page.view):
            if not page.is_claimed(m.span()):
                value = m.group().upper()
                collector.add(page, "dossier_code", value, rules.strength["unlabeled"], m.span())


def _code_in_payload(payload: str) -> str:
    payload = payload.strip()
    match = _DOSSIER_CODE_STRICT.search(payload)
    if match:
        return match.group().upper()
    looks_like_code = 4 <= len(payload) <= 64 and not re.search(r"\s|://|\|", payload)
    return payload if looks_like_code and any(c.isdigit() for c in payload) else ""


def _id_card_qr(page: _Page, collector: _Collector, rules: MetadataRules) -> None:
    """The QR on a chip citizen ID card: ID|old ID|name|birth ddmmyyyy|sex|address|issued."""
    for payload in page.qr_payloads:
        parts = payload.split("|")
        if len(parts) < 4 or not re.fullmatch(r"\d{12}", parts[0]):
            continue
        birth = re.fullmatch(r"(\d{2})(\d{2})(\d{4})", parts[3])
        parsed = _valid_date(birth.group(3), birth.group(2), birth.group(1)) if birth else None
        values = {
            "citizen_id": parts[0],
            "old_id": parts[1] if re.fullmatch(r"\d{9}", parts[1]) else "",
            "person_name": " ".join(parts[2].split()),
            "birth_date": parsed.isoformat() if parsed else "",
        }
        for name, value in values.items():
            if value:
                collector.add(page, name, value, rules.strength["qr"], (0, 0), from_qr=True)


def _symbol_value(page: _Page, start: int, end: int, rules: MetadataRules) -> str:
    """The symbol as printed, with digits from the view and without spaces."""
    chars = []
    for view_char, printed in zip(page.view[start:end], page.text[start:end], strict=True):
        if view_char.isdigit():
            chars.append(view_char)
        elif not printed.isspace():
            chars.append(printed)
    value = "".join(chars)
    parts = re.split(r"([/-])", value)
    return "".join(rules.symbol_abbreviations.get(p, p) if p.isupper() else p for p in parts)


def _extract_number_symbol(page: _Page, collector: _Collector, rules: MetadataRules) -> int | None:
    """'Số: 1524/QĐ-UBND'. Returns the position of the first label found."""
    first = None
    header_end = _nth_line_end(page.view, rules.title_lines)
    for label in rules.labels["number_symbol"].finditer(page.view):
        separator = _SEPARATOR.match(page.view, label.end())
        assert separator is not None  # the pattern matches the empty string
        symbol = _SYMBOL.match(page.view, separator.end())
        if not symbol or page.is_claimed(symbol.span()):
            continue
        with_colon = separator.group(1) is not None
        if not with_colon:
            line_start, _ = page.line_span(label.start())
            at_line_start = not page.view[line_start : label.start()].strip()
            capital = page.text[label.start()].isupper()
            if not (at_line_start and capital and label.start() < header_end):
                continue
        strength = rules.strength["labeled" if with_colon else "no_colon"]
        value = _symbol_value(page, *symbol.span(), rules)
        collector.add(page, "number_symbol", value, strength, symbol.span())
        first = label.start() if first is None else first
    return first


def _nth_line_end(text: str, count: int) -> int:
    pos = -1
    for _ in range(count):
        pos = text.find("\n", pos + 1)
        if pos < 0:
            return len(text)
    return pos


# ----------------------------------------------------------------------------
# Dates

_NON_SPACE = re.compile(r"\S+")
_DATE_WORDS = re.compile(
    r"ngay\s*(\d{1,2})\s*,?\s*thang\s*(\d{1,2})\s*,?\s*na(?:m|rn)\s*(\d{4})(?!\d)"
)
_DATE_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2}) ?([/.-]) ?(\d{1,2}) ?\2 ?(\d{4})(?![\d/-])")


def _valid_date(year: str, month: str, day: str) -> date | None:
    try:
        parsed = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return parsed if 1900 <= parsed.year <= 2100 else None


@dataclass(frozen=True)
class _Date:
    value: date
    page: int
    start: int
    end: int
    role: str  # a role from the rules, "place" or ""
    strength: float


def _dates(page: _Page, rules: MetadataRules) -> list[_Date]:
    found = []
    for pattern, words in ((_DATE_WORDS, True), (_DATE_NUMERIC, False)):
        for m in pattern.finditer(page.view):
            if words:
                parsed = _valid_date(m.group(3), m.group(2), m.group(1))
            else:
                parsed = _valid_date(m.group(4), m.group(3), m.group(1))
            if parsed is None:
                continue
            role = _date_role(page, m.start(), rules)
            strength = rules.strength["labeled"]
            if not role:
                strength = _place_strength(page, m.start(), words, rules)
                role = "place" if strength else ""
            found.append(_Date(parsed, page.number, m.start(), m.end(), role, strength))
    return sorted(found, key=lambda d: d.start)


def _date_role(page: _Page, start: int, rules: MetadataRules) -> str:
    """The role of the nearest label before ``start``, with no digit between."""
    window_start = max(0, start - rules.context_chars)
    newlines = [i for i in range(window_start, start) if page.view[i] == "\n"]
    if len(newlines) > 1:  # a label may stand on the line above, not further
        window_start = newlines[-2] + 1
    best, best_end = "", -1
    for role, pattern in rules.date_roles.items():
        for m in pattern.finditer(page.view, window_start, start):
            if m.end() > best_end:
                best, best_end = role, m.end()
    if best and not any(c.isdigit() for c in page.view[best_end:start]):
        return best
    return ""


def _place_strength(page: _Page, start: int, words_form: bool, rules: MetadataRules) -> float:
    """How surely the text before a date on its line is a place name
    ("Hà Nội, ngày ..."); 0.0 when it is not one."""
    line_start, _ = page.line_span(start)
    prefix = page.view[line_start:start].rstrip()
    if not words_form:
        prefix = re.sub(r"(?<![a-z0-9])ngay$", "", prefix).rstrip()
    comma = prefix.endswith(",")
    prefix = prefix.rstrip(",").rstrip()
    column_gap = prefix.rfind("  ") + 1  # OCR may join side-by-side columns
    tokens = list(_NON_SPACE.finditer(prefix, column_gap))
    words: list[re.Match[str]] = []
    for token in reversed(tokens):
        if any(c.isdigit() for c in token.group()) or token.group()[-1] in ":;":
            break
        if page.is_claimed((line_start + token.start(), line_start + token.end())):
            break  # part of the number and symbol printed on the same line
        if token.group()[-1] == "." and words:  # the end of a sentence
            break
        words.append(token)
    if not words or len(words) > rules.place_words_max:
        return 0.0
    place = " ".join(w.group() for w in reversed(words))
    first_letter = page.text[line_start + words[-1].start()]
    if rules.not_places.search(place) or not first_letter.isupper():
        return 0.0
    if not all(_LETTERS_OR_DIGITS.search(w.group()) for w in words):
        return 0.0
    if comma:
        return rules.strength["labeled"]
    return rules.strength["no_colon"] if len(words) <= 4 else 0.0


def _extract_dates(
    pages: Sequence[_Page], collector: _Collector, rules: MetadataRules
) -> date | None:
    all_dates = [d for page in pages for d in _dates(page, rules)]
    by_page = {page.number: page for page in pages}
    for d in all_dates:
        if d.role in rules.date_fields:
            page = by_page[d.page]
            collector.add(page, d.role, d.value.isoformat(), d.strength, (d.start, d.end))
    issue = next((d for d in all_dates if d.role == "place"), None)
    if issue is None:
        fallback = [d for d in all_dates if d.role in rules.issue_date_fallback]
        issue = max(fallback, key=lambda d: d.value, default=None)
    if issue is None:
        return None
    page = by_page[issue.page]
    collector.add(
        page, "issue_date", issue.value.isoformat(), issue.strength, (issue.start, issue.end)
    )
    return issue.value


# ----------------------------------------------------------------------------
# Names and agency

_NAME_WORD = re.compile(r"[^\W\d_]+")
_PUNCTUATION = string.punctuation + "“”‘’—–…"
_COLON_AFTER_LABEL = re.compile(r"[^:\n]{0,40}?:")


def _extract_names(page: _Page, collector: _Collector, rules: MetadataRules) -> None:
    for label in rules.labels["person_name"].finditer(page.view):
        line_start, line_end = page.line_span(label.end())
        before = page.view[line_start : label.start()]
        if before.rfind("(") > before.rfind(")"):
            continue  # "(Ký và ghi rõ họ tên)": how to sign, not a label
        colon = _COLON_AFTER_LABEL.match(page.view, label.end(), line_end)
        if colon and ("  " in colon.group() or rules.name_stop.search(colon.group())):
            colon = None  # that colon belongs to the next field on the line
        start = colon.end() if colon else label.end()
        # The name may be printed under its label, maybe after a blank line;
        # OCR may leave a speck ("Full name i") at the end of the label's line.
        for _ in range(2):
            rest = page.view[start:line_end]
            if len(_LETTERS_OR_DIGITS.findall(rest)) > 1 or line_end >= len(page.view):
                break
            start = line_end + 1
            _, line_end = page.line_span(start)
        name = _clean_name(page, start, line_end, rules, colon is not None)
        if name:
            strength = rules.strength["labeled" if colon else "no_colon"]
            collector.add(page, "person_name", name, strength, (start, start + len(name)))


def _clean_name(page: _Page, start: int, end: int, rules: MetadataRules, after_colon: bool) -> str:
    stop = rules.name_stop.search(page.view, start, end)
    end = stop.start() if stop else end
    gap = page.text.find("  ", start, end)
    end = gap if gap >= 0 else end
    tokens = page.text[start:end].replace("*", " ").split()
    if not after_colon:  # skip the rest of the label: "Họ và tên người mẹ NGUYỄN ..."
        while tokens and tokens[0][0].islower() and len(tokens) > 2:
            tokens.pop(0)
    while len(tokens) > 2 and fold(tokens[0]).strip(":") in rules.honorifics:
        tokens.pop(0)
    name: list[str] = []
    for token in tokens:
        word = token.rstrip(",.;")
        if not _NAME_WORD.fullmatch(word) or not word[0].isupper():
            break
        if name and (word.isupper() != name[0].isupper()) and len(word) > 1:
            break  # "Nguyễn Ngọc Hà ORS": a name is all capitals or none
        name.append(word)
        if word != token:
            break
    return " ".join(name) if 2 <= len(name) <= 7 else ""


def _agency_line(line: str, rules: MetadataRules) -> str:
    """An agency header line without the motto; "" when it is not one."""
    # Rules under the header come out as "__" or "—"; a token needs a letter or digit.
    tokens = (token.strip(_PUNCTUATION) for token in _strip_motto(line, rules).split())
    kept = " ".join(t for t in tokens if _LETTERS_OR_DIGITS.search(t))
    letters = [c for c in kept if c.isalpha()]
    if len(letters) < 3 or ":" in kept or not rules.agency_words.search(fold(kept)):
        return ""
    upper = sum(c.isupper() for c in letters)
    return kept if upper >= 0.7 * len(letters) else ""


def _strip_motto(line: str, rules: MetadataRules) -> str:
    folded = fold(line)
    spans = [m.span() for m in rules.motto.finditer(folded)]
    for start, end in reversed(spans):
        line = line[:start] + " " * (end - start) + line[end:]
    return line


def _extract_agency(
    page: _Page, collector: _Collector, rules: MetadataRules, anchor: int | None, title_line: int
) -> None:
    """The block at the upper left: the lines above 'Số:' or, without one,
    the capitalized lines above the title."""
    lines = page.text.split("\n")
    if anchor is not None:
        anchor_line = page.text.count("\n", 0, anchor)
        collected: list[str] = []
        for line in reversed(lines[max(0, anchor_line - 6) : anchor_line]):
            kept = _agency_line(line, rules)
            if kept:
                collected.insert(0, kept)
            elif collected and _strip_motto(line, rules).strip():
                break  # a line of something else: the block has ended
        strength = rules.strength["labeled"]
    else:
        collected = [k for k in (_agency_line(x, rules) for x in lines[:title_line]) if k]
        strength = rules.strength["unlabeled"]
    if collected:
        value = " ".join(collected[-4:])
        collector.add(page, "agency", value, strength, (0, 0))


# ----------------------------------------------------------------------------
# Document type


def _is_capitalized(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.6 * len(letters)


def _classify(pages: Sequence[_Page], rules: MetadataRules) -> tuple[DocumentTypeRule, float, int]:
    """Returns the type, its confidence and the index of the title line on the
    first page with text (0 when none matched)."""
    first = next((p for p in pages if p.view.strip()), None)
    if first is None:
        return rules.fallback_type, 0.0, 0
    head_lines = first.view.split("\n")[: rules.title_lines]
    printed_lines = first.text.split("\n")[: rules.title_lines]
    whole = "\n".join(p.view for p in pages)
    scores: list[tuple[float, int, DocumentTypeRule]] = []
    for rule in rules.document_types:
        score, title_at = 0.0, 0
        for title in rule.titles:
            for index, line in enumerate(head_lines):
                # At the start of the line or of a column OCR put on the same line.
                segments = (re.sub(r"^[\W\d_]*", "", part) for part in line.split("  "))
                if any(title.match(segment) for segment in segments):
                    weight = 1.0 if _is_capitalized(printed_lines[index]) else 0.5
                    score += rules.title_weight * weight
                    title_at = title_at or index
                    break
        score += rules.keyword_weight * sum(1 for k in rule.keywords if k.search(whole))
        scores.append((score, title_at, rule))
    scores.sort(key=lambda s: -s[0])
    best, title_at, rule = scores[0] if scores else (0.0, 0, rules.fallback_type)
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if best < rules.min_score or not scores:
        return rules.fallback_type, 0.0, 0
    strong = rules.title_weight + 2 * rules.keyword_weight
    confidence = best / (best + runner_up) * min(1.0, best / strong) * first.confidence
    return rule, round(confidence, 4), title_at


# ----------------------------------------------------------------------------
# The step


def extract_metadata(pages: Sequence[PageText], rules: MetadataRules) -> ExtractedMetadata:
    """Read the metadata of one dossier from its pages' OCR text and QR codes.

    Each value's confidence is the strength of the rule that found it (a QR
    code 1.0, a labeled value 1.0, a label without colon 0.8, an unlabeled
    number 0.6) times its page's mean OCR confidence; values read from a QR
    code keep the QR strength, whatever the OCR.
    """
    views = [_Page.of(p) for p in sorted(pages, key=lambda p: p.number)]
    collector = _Collector()
    document_type, type_confidence, title_line = _classify(views, rules)
    _extract_dossier_code(views, collector, rules)
    anchor_page, anchor = None, None
    for page in views:
        position = _extract_number_symbol(page, collector, rules)
        if anchor is None and position is not None:
            anchor_page, anchor = page, position
        _id_card_qr(page, collector, rules)
    issue_date = _extract_dates(views, collector, rules)
    for page in views:
        _extract_numbers(page, collector, rules)
        _extract_names(page, collector, rules)
    first = next((p for p in views if p.view.strip()), None)
    if anchor_page is not None:
        _extract_agency(anchor_page, collector, rules, anchor, title_line)
    elif first is not None and title_line:
        _extract_agency(first, collector, rules, None, title_line)
    fields = collector.fields()
    missing = tuple(name for name in document_type.required if not fields.get(name))
    return ExtractedMetadata(
        document_type=document_type.code,
        document_type_label=document_type.label,
        document_type_confidence=type_confidence,
        fields=fields,
        issue_date=issue_date,
        missing_required=missing,
    )
