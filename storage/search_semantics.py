"""What both search backends share: the flat fields and page documents a
record is indexed as, how query text becomes clauses, how a hit is built.

Search semantics (every ``SearchIndex`` implements exactly these; the
contract suite in ``tests/contract`` checks them on each backend):

* Query text is split by ``parse_query``: a quoted ``"phrase"`` is one
  clause of adjacent tokens, every other word is a clause of its own. Tokens
  come from ``sohoa.core.text.search_tokens``, so case and diacritics are
  ignored ("nguyen van a" finds "Nguyễn Văn A", "duong" finds "Đường").
  Stray quotes and operator characters are just separators: no query string
  can raise a syntax error.
* Only the first ``MAX_QUERY_TOKENS`` tokens count (words first, then the
  phrases in order, the last one cut short): a pasted page of 15,000 words is
  answered on its beginning instead of being refused.
* A page matches when it contains every clause (AND, exact tokens, no
  prefixes or stemming). A record matches when any of its pages matches;
  results are records, one hit each.
* A hit's ``page`` is its best-scoring page (the lowest page number among
  equal scores) and its ``snippet`` is ``sohoa.core.text.snippet`` of that
  page's original text, so highlights keep their accents. Hits are ranked by
  BM25, ties broken by record_id; the order among different scores is
  backend-specific, the set of hits is not. With ``sort="date"`` the same
  hits come newest issue_date first (undated last), then by record_id.
* Filters apply to records: document_type, unit, dossier_code and signature
  (``Record.signature_verdict``: valid, invalid or unsigned) exact,
  id_number equal to any of ``Record.id_numbers()``, date_from/date_to
  inclusive on issue_date (a record without a date never passes a date
  filter). Empty filter values mean "no filter".
* Text without any token (empty, or only punctuation) lists every record that
  passes the filters, newest issue_date first (records without a date last),
  then by record_id; such hits have score 0, ``page`` = ``preview_page`` and a
  snippet of that page's leading text.
* ``total`` counts matching records; facets count matching records per
  document_type, per non-empty unit, per issue year (records without a
  date are not counted in ``year``) and per signature verdict (records
  indexed before verdicts were, whose verdict is unknown, are not counted
  there and pass no signature filter until ``sohoa reindex``). limit/offset
  page through the hits only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sohoa.core.text import search_tokens, token_text
from sohoa.models import Record, SearchQuery

FILTER_NAMES = (
    "document_type",
    "unit",
    "dossier_code",
    "id_number",
    "date_from",
    "date_to",
    "signature",
)

# Straight and typographic double quotes delimit phrases.
_PHRASE = re.compile(r"[\"“”]([^\"“”]*)[\"“”]")

# Elasticsearch refuses queries of several thousand clauses; no person types this many.
MAX_QUERY_TOKENS = 256


@dataclass(frozen=True, slots=True)
class IndexFields:
    """The flat per-record fields both backends store, filter and facet on."""

    record_id: str
    document_type: str
    dossier_code: str
    unit: str
    issue_date: date | None
    issue_year: str | None
    page_count: int
    preview_page: int
    id_numbers: tuple[str, ...]
    signature: str  # Record.signature_verdict


@dataclass(frozen=True, slots=True)
class PageDocument:
    """One searchable page: ``tokens`` is what backends index, ``text`` what
    snippets are cut from."""

    record_id: str
    page: int
    text: str
    tokens: str


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """Query text as clauses a page must all contain: single ``words`` and
    quoted ``phrases`` of adjacent tokens."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()

    @property
    def empty(self) -> bool:
        """No token at all: the search lists records by filters alone."""
        return not (self.words or self.phrases)


def index_fields(record: Record) -> IndexFields:
    issue_date = record.issue_date
    return IndexFields(
        record_id=record.record_id,
        document_type=record.document_type,
        dossier_code=record.dossier_code,
        unit=record.unit,
        issue_date=issue_date,
        issue_year=str(issue_date.year) if issue_date else None,
        page_count=record.page_count,
        preview_page=preview_page(record),
        id_numbers=tuple(record.id_numbers()),
        signature=record.signature_verdict.value,
    )


def page_documents(record: Record) -> list[PageDocument]:
    """The record's pages that hold at least one token; others can never match."""
    documents = (
        PageDocument(record.record_id, page.number, page.text, token_text(page.text))
        for page in record.pages
    )
    return [doc for doc in documents if doc.tokens]


def preview_page(record: Record) -> int:
    """The page shown for a hit found by filters alone: the first page with
    text, else the first page."""
    pages = sorted(record.pages, key=lambda page: page.number)
    with_text = (page.number for page in pages if search_tokens(page.text))
    return next(with_text, pages[0].number if pages else 1)


def parse_query(text: str) -> QueryTerms:
    """Split query text into quoted phrases and loose words, folded like the
    indexed text; duplicates dropped, a one-word phrase is a word."""
    phrases: list[tuple[str, ...]] = []
    loose: list[str] = []
    cursor = 0
    for match in _PHRASE.finditer(text):
        loose.append(text[cursor : match.start()])
        phrases.append(tuple(search_tokens(match.group(1))))
        cursor = match.end()
    loose.append(text[cursor:])
    words = search_tokens(" ".join(loose)) + [p[0] for p in phrases if len(p) == 1]
    return _first_tokens(
        tuple(dict.fromkeys(words)), tuple(dict.fromkeys(p for p in phrases if len(p) > 1))
    )


def _first_tokens(words: tuple[str, ...], phrases: tuple[tuple[str, ...], ...]) -> QueryTerms:
    """At most ``MAX_QUERY_TOKENS`` tokens: the words first, then whole phrases,
    the last one cut short (kept when two tokens or more remain)."""
    budget = MAX_QUERY_TOKENS - len(words[:MAX_QUERY_TOKENS])
    kept: list[tuple[str, ...]] = []
    for phrase in phrases:
        if budget < 2:
            break
        kept.append(phrase[:budget])
        budget -= len(kept[-1])
    return QueryTerms(words=words[:MAX_QUERY_TOKENS], phrases=tuple(kept))


def active_filters(query: SearchQuery) -> dict[str, str]:
    """The query's filters that are set, as strings (dates in ISO form)."""
    values = {name: getattr(query, name) for name in FILTER_NAMES}
    return {
        name: value.isoformat() if isinstance(value, date) else str(value)
        for name, value in values.items()
        if value not in (None, "")
    }
