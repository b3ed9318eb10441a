"""Search and open records as a signed-in clerk: the unit they may see is
enforced here, and lookups of a CCCD/CMND, tax code, dossier code or
number/symbol typed into the one search box rank their exact matches first."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from sohoa.app import backends, records
from sohoa.app.accounts import Principal
from sohoa.core.errors import ObjectNotFound, ProcessingError
from sohoa.models import (
    Record,
    SearchFacets,
    SearchHit,
    SearchQuery,
    SearchResults,
    SignatureVerdict,
)
from sohoa.pipeline.alto import read_alto_words
from sohoa.pipeline.searchable_pdf import page_scan, page_thumbnail

# CMND 9 digits, CCCD 12; tax codes 10 digits, branches 10-3.
_ID_NUMBER = re.compile(r"\d{9}|\d{12}|\d{10}(?:-\d{3})?")
# Dossier codes mix letters and digits with - _ . / and no spaces: "HS-2024-001".
_DOSSIER_CODE = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[0-9A-Za-z][0-9A-Za-z._/-]{2,79}")
# Number/symbol of an official document: "123/QĐ-UBND", "45/2024/NĐ-CP".
_NUMBER_SYMBOL = re.compile(r"\d+/[\wĐđ./-]+")
EXACT_LOOKUP_LIMIT = 5
THUMBNAIL_CACHE = Path("cache", "thumbnails")


@dataclass(frozen=True, slots=True)
class FoundHit:
    hit: SearchHit
    # Which exact lookup found it ("id_number", "dossier_code", "number_symbol"), else "".
    exact: str = ""


@dataclass(frozen=True, slots=True)
class FoundRecords:
    total: int
    hits: list[FoundHit]
    facets: SearchFacets = field(default_factory=SearchFacets)


@dataclass(frozen=True, slots=True)
class ClerkQuery:
    text: str = ""
    document_type: str = ""
    unit: str = ""
    date_from: date | None = None
    date_to: date | None = None
    signature: SignatureVerdict | None = None
    sort: Literal["relevance", "date"] = "relevance"
    limit: int = 20
    offset: int = 0


def exact_lookups(text: str) -> list[tuple[str, dict[str, str]]]:
    """The exact lookups the query text reads as: (kind, SearchQuery fields)."""
    typed = text.strip()
    compact = re.sub(r"[\s.]", "", typed)
    lookups: list[tuple[str, dict[str, str]]] = []
    if _ID_NUMBER.fullmatch(compact):
        lookups.append(("id_number", {"text": "", "id_number": compact}))
    if " " not in typed and _DOSSIER_CODE.fullmatch(typed):
        lookups.append(("dossier_code", {"text": "", "dossier_code": typed}))
    if " " not in typed and _NUMBER_SYMBOL.fullmatch(typed):
        lookups.append(("number_symbol", {"text": f'"{typed}"'}))
    return lookups


def search(who: Principal, wanted: ClerkQuery) -> FoundRecords:
    """Records the user may see that match, exact lookups first on the first page."""
    scope = who.unit_scope
    if not who.reads_records or (scope is not None and wanted.unit not in ("", scope)):
        return FoundRecords(0, [])
    base = SearchQuery(
        text=wanted.text,
        document_type=wanted.document_type or None,
        unit=scope if scope is not None else (wanted.unit or None),
        date_from=wanted.date_from,
        date_to=wanted.date_to,
        signature=wanted.signature,
        sort=wanted.sort,
        limit=wanted.limit,
        offset=wanted.offset,
    )
    exact: dict[str, FoundHit] = {}
    for kind, fields in exact_lookups(wanted.text):
        query = base.model_copy(update={**fields, "limit": EXACT_LOOKUP_LIMIT, "offset": 0})
        for hit in records.search(query).hits:
            exact.setdefault(hit.record_id, FoundHit(hit, kind))
    results: SearchResults = records.search(base)
    rest = [FoundHit(h) for h in results.hits if h.record_id not in exact]
    shown = [*exact.values(), *rest][: wanted.limit] if wanted.offset == 0 else rest
    # Exact matches found by a field the text does not hold add to the total.
    return FoundRecords(max(results.total, len(exact)), shown, results.facets)


def open_record(who: Principal, record_id: str) -> Record:
    """The record, if the user may see it.

    Raises:
        ObjectNotFound: no such record, or one of a unit the user does not see
            (the same answer, so ids of other units' records are not revealed).
    """
    record = records.open_record(record_id) if who.reads_records else None
    if record is None or not who.sees_unit(record.unit):
        raise ObjectNotFound(f"No record {record_id!r} that you may see.")
    return record


@dataclass(frozen=True, slots=True)
class PageWord:
    text: str
    confidence: float
    line: int


def page_words(record: Record) -> dict[int, list[PageWord]]:
    """The OCR words of each page with their confidences, from the record's ALTO
    (or the OCR JSON of records made before it)."""
    if not record.ocr_key:
        return {}
    try:
        data = backends.object_store().get_bytes(record.ocr_key)
    except ObjectNotFound:
        return {}
    if ".xml" in record.ocr_key:
        return {
            number: [PageWord(text, confidence, line) for text, confidence, line in words]
            for number, words in read_alto_words(data).items()
        }
    return _ocr_json_words(json.loads(data))


def _ocr_json_words(data: dict[str, Any]) -> dict[int, list[PageWord]]:
    return {
        int(page["number"]): [
            PageWord(w["text"], float(w["confidence"]), int(w["line"])) for w in page["words"]
        ]
        for page in data.get("pages", ())
    }


def record_file_key(record: Record, kind: str, number: int = 1) -> tuple[str, str, str]:
    """(object key, content type, download name) of one of the record's files.

    ``kind`` is "original" (``number`` counts the originals from 1),
    "searchable_pdf", "page" or "thumbnail" (``number`` is the page).

    Raises:
        ObjectNotFound: the record has no such file.
    """
    short = record.record_id[:12]
    if kind == "searchable_pdf" and record.searchable_pdf_key:
        return record.searchable_pdf_key, "application/pdf", f"{short}-searchable.pdf"
    if kind == "original" and 1 <= number <= len(record.originals):
        original = record.originals[number - 1]
        return original.key, original.media_type, original.name
    page = next((p for p in record.pages if p.number == number), None)
    if kind == "page" and page and page.image_key:
        return page.image_key, "image/jpeg", f"{short}-{number:04d}.jpg"
    if kind == "thumbnail" and page and page.thumbnail_key:
        return page.thumbnail_key, "image/jpeg", f"{short}-{number:04d}-thumb.jpg"
    raise ObjectNotFound(f"Record {short} has no {kind} {number}.")


def file_chunks(key: str) -> Generator[bytes, None, None]:
    """The stored file in chunks; a missing one raises ``ObjectNotFound`` here, before any."""
    return backends.object_store().read_chunks(key)


def record_file(record: Record, kind: str, number: int = 1) -> tuple[Iterator[bytes], str, str]:
    """(bytes in chunks, content type, download name) of one of the record's
    files (see ``record_file_key``). A page image is taken from the searchable
    PDF, where it is stored, and a thumbnail made from it (and cached, see
    ``_thumbnail``), unless the record is older and kept them apart.

    Raises:
        ObjectNotFound: the record has no such file (before any chunk).
    """
    page = next((p for p in record.pages if p.number == number), None)
    stored_apart = page is not None and (
        page.image_key if kind == "page" else page.thumbnail_key if kind == "thumbnail" else ""
    )
    if kind not in ("page", "thumbnail") or page is None or stored_apart:
        key, content_type, name = record_file_key(record, kind, number)
        return file_chunks(key), content_type, name
    short = record.record_id[:12]
    if kind == "thumbnail":
        return iter([_thumbnail(record, number)]), "image/jpeg", f"{short}-{number:04d}-thumb.jpg"
    with _searchable_pdf(record) as pdf:
        try:
            data, content_type = page_scan(pdf, number)
        except ProcessingError as exc:
            raise ObjectNotFound(str(exc)) from exc
    suffix = ".jpg" if content_type == "image/jpeg" else ".png"
    return iter([data]), content_type, f"{short}-{number:04d}{suffix}"


@contextmanager
def _searchable_pdf(record: Record) -> Iterator[Path]:
    """The record's searchable PDF, downloaded to a scratch folder for the block."""
    if not record.searchable_pdf_key:
        raise ObjectNotFound(f"Record {record.record_id[:12]} has no searchable PDF.")
    with tempfile.TemporaryDirectory() as scratch:
        yield backends.object_store().download(
            record.searchable_pdf_key, Path(scratch) / "searchable.pdf"
        )


def _thumbnail(record: Record, number: int) -> bytes:
    """Page ``number``'s thumbnail, made from the searchable PDF the first time
    and kept in ``<data_dir>/cache/thumbnails``; a cache that cannot be
    written (a read-only archive) only costs the next view a new rendering.
    The cached name carries the record's digitization time, so a record
    digitized again is shown afresh."""
    stamp = record.digitized_at.strftime("%Y%m%dT%H%M%S%f")
    cached = (
        backends.settings().data_dir
        / THUMBNAIL_CACHE
        / record.record_id
        / f"{stamp}-{number:04d}.jpg"
    )
    try:
        return cached.read_bytes()
    except OSError:
        pass
    with _searchable_pdf(record) as pdf:
        try:
            data = page_thumbnail(pdf, number)
        except ProcessingError as exc:
            raise ObjectNotFound(str(exc)) from exc
    partial = cached.with_name(f".{cached.name}.{os.getpid()}")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        partial.replace(cached)
    except OSError:
        partial.unlink(missing_ok=True)
    return data
