"""The ``SearchIndex`` contract, run on every index (see conftest). The
semantics tested here are written down in ``storage/search_semantics.py``."""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from sohoa.core.text import snippet, token_text
from sohoa.models import DocumentType, Record, SearchQuery, SearchResults, SignatureVerdict
from sohoa.storage.protocols import SearchIndex
from sohoa.storage.search_semantics import MAX_QUERY_TOKENS, QueryTerms, parse_query
from tests.helpers.backends import INDEX_BACKENDS, fresh_index
from tests.helpers.records import load, make_record, signature

ANH = make_record(
    "anh",
    [
        "ỦY BAN NHÂN DÂN QUẬN HOÀN KIẾM\nQUYẾT ĐỊNH\nVề việc cấp giấy phép xây dựng",
        "Họ và tên: Nguyễn Văn Ánh\nSố căn cước công dân: 001085012345\n"
        "Địa chỉ: 12 Đường Láng, Đống Đa",
        "Điều 2. Quyết định có hiệu lực kể từ ngày ký.",
    ],
    document_type=DocumentType.DECISION,
    unit="UBND Quận Hoàn Kiếm",
    dossier_code="HS-2024-001",
    issue_date=date(2024, 3, 15),
    citizen_ids=["001085012345"],
    signatures=[signature(ok=True)],
)
BINH = make_record(
    "binh",
    [
        "ĐƠN ĐỀ NGHỊ\nKính gửi: Ủy ban nhân dân phường Láng Hạ",
        "Tôi tên là Trần Thị Bình, sinh năm 1990, thường trú tại đường Nguyễn Trãi",
    ],
    document_type=DocumentType.APPLICATION,
    unit="Phường Láng Hạ",
    dossier_code="HS-2024-002",
    issue_date=date(2023, 11, 2),
    citizen_ids=["079190000123"],
    tax_codes=["0101234567"],
    signatures=[signature(ok=True), signature(ok=False)],  # one bad signature is enough
)
CUONG = make_record(
    "cuong",
    [
        "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP\nCông ty TNHH Cường Thịnh\n"
        "Mã số doanh nghiệp: 0109876543",
        "Người đại diện theo pháp luật: Lê Văn Cường\nĐịa chỉ trụ sở: 45 đường Giải Phóng",
    ],
    document_type=DocumentType.BUSINESS_REGISTRATION,
    unit="Phòng Đăng ký kinh doanh",
    dossier_code="HS-2022-017",
    issue_date=date(2022, 6, 30),
    tax_codes=["0109876543"],
)
UNDATED = make_record("undated", ["", "Biên bản bàn giao hồ sơ lưu trữ, Nguyễn Văn A"])
CORPUS = (ANH, BINH, CUONG, UNDATED)
ALL_IDS = {r.record_id for r in CORPUS}

HOSTILE_QUERIES = [
    '"AND OR NOT * ( ) : ^ -',
    '"',
    '""',
    '"""',
    "*",
    "-",
    "^",
    "NOT",
    "a OR",
    "NEAR(nguyen van, 2)",
    "tokens:nguyen",
    "nguyen*",
    "(nguyen",
    "{}[]\\/|&!~",
    "' OR 1=1 --",
    "'; DROP TABLE records; --",
    "\x00\x01",
    "“Nguyễn Văn Ánh",
    " ".join(f"word{n}" for n in range(300)),
]


@pytest.fixture(scope="module", params=INDEX_BACKENDS)
def corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchIndex]:
    """One index per backend holding CORPUS, shared by the tests that only read."""
    with fresh_index(request, tmp_path_factory.mktemp("corpus")) as index:
        yield load(index, *CORPUS)


def search(index: SearchIndex, text: str = "", **filters: Any) -> SearchResults:
    return index.search(SearchQuery(text=text, limit=100, **filters))


def found(index: SearchIndex, text: str = "", **filters: Any) -> set[str]:
    results = search(index, text, **filters)
    assert results.total == len(results.hits)
    return {hit.record_id for hit in results.hits}


@pytest.mark.parametrize(
    ("text", "words", "phrases"),
    [
        ('Nguyễn "Văn Ánh" đường', ("nguyen", "duong"), (("van", "anh"),)),
        ("“Văn Ánh” ĐƯỜNG", ("duong",), (("van", "anh"),)),
        ('"Láng" lang LANG', ("lang",), ()),  # a one-word phrase is a word
        ('"van anh" "Văn Ánh"', (), (("van", "anh"),)),
        ('"AND OR NOT * ( ) : ^ -', ("and", "or", "not"), ()),
        ('a "b c', ("a", "b", "c"), ()),  # a stray quote is a separator
        ('"" "*" ( )', (), ()),
        ("", (), ()),
    ],
)
def test_parse_query(text: str, words: tuple[str, ...], phrases: tuple[tuple[str, ...]]) -> None:
    terms = parse_query(text)
    assert terms == QueryTerms(words=words, phrases=phrases)
    assert terms.empty == (not words and not phrases)


def test_satisfies_the_protocol(search_index: SearchIndex) -> None:
    assert isinstance(search_index, SearchIndex)


def test_empty_index(search_index: SearchIndex) -> None:
    assert search_index.count() == 0
    assert list(search_index.record_ids()) == []
    assert search(search_index, "nguyen").total == 0
    assert search(search_index).total == 0


def test_setup_is_idempotent(search_index: SearchIndex) -> None:
    load(search_index, ANH)
    search_index.setup()
    search_index.setup()
    assert search_index.count() == 1
    assert found(search_index, "nguyen") == {ANH.record_id}


def test_record_ids_and_count(search_index: SearchIndex) -> None:
    result = search_index.index_records(CORPUS)
    search_index.refresh()

    assert result.indexed == 4
    assert result.errors == {}
    assert search_index.count() == 4
    assert set(search_index.record_ids()) == ALL_IDS


def test_diacritics_and_case_are_ignored(corpus: SearchIndex) -> None:
    anh = {ANH.record_id}
    for query in ("nguyen van anh", "NGUYEN VAN ANH", "Nguyễn Văn Ánh", "nguyễn văn ánh"):
        assert found(corpus, query) == anh, query
    assert found(corpus, unicodedata.normalize("NFD", "Nguyễn Văn Ánh")) == anh
    duong = {ANH.record_id, BINH.record_id, CUONG.record_id}
    for query in ("duong", "Đường", "ĐƯỜNG", "đường", "DUONG"):
        assert found(corpus, query) == duong, query
    assert found(corpus, "nguyen van a") == {UNDATED.record_id}


def test_every_word_must_be_on_one_page(corpus: SearchIndex) -> None:
    # BINH has "Láng" on page 1 and "Nguyễn" on page 2 only.
    results = search(corpus, "nguyen lang")
    assert [(h.record_id, h.page) for h in results.hits] == [(ANH.record_id, 2)]
    # ANH has every word, but never on the same page.
    assert found(corpus, "quyet dinh nguyen") == set()
    assert found(corpus, "nguyen xyzzy") == set()


def test_words_match_exactly(corpus: SearchIndex) -> None:
    assert found(corpus, "nguy") == set()
    assert found(corpus, "duo") == set()
    assert found(corpus, "0109876543") == {CUONG.record_id}
    assert found(corpus, "010987654") == set()


def test_quoted_phrase_needs_adjacent_words(corpus: SearchIndex) -> None:
    assert found(corpus, '"van anh"') == {ANH.record_id}
    assert found(corpus, '"anh van"') == set()
    assert found(corpus, "anh van") == {ANH.record_id}
    assert found(corpus, '"nguyễn văn"') == {ANH.record_id, UNDATED.record_id}
    assert found(corpus, "“Nguyễn Văn” ánh") == {ANH.record_id}
    assert found(corpus, '"giay chung nhan" "ma so"') == {CUONG.record_id}
    assert found(corpus, '"giay chung nhan" "so ma"') == set()
    # Quoted words may be separated by punctuation in the page text.
    assert found(corpus, '"dong da"') == {ANH.record_id}
    assert found(corpus, '"lang dong da"') == {ANH.record_id}


def test_hit_is_the_matching_page(corpus: SearchIndex) -> None:
    hits = search(corpus, "hieu luc").hits
    assert [(h.record_id, h.page) for h in hits] == [(ANH.record_id, 3)]
    hits = search(corpus, "giai phong").hits
    assert [(h.record_id, h.page) for h in hits] == [(CUONG.record_id, 2)]


def test_best_page_wins_and_ties_go_to_the_lowest_page(search_index: SearchIndex) -> None:
    twins = make_record("twins", ["Lý lịch tư pháp số 1", "Lý lịch tư pháp số 1"])
    graded = make_record(
        "graded",
        [
            "Biên nhận hồ sơ đề nghị cấp giấy phép xây dựng nhà ở riêng lẻ tại phường",
            "Nơi cấp phép: Sở Xây dựng",
            "Giấy phép giấy phép giấy phép",
        ],
    )
    load(search_index, twins, graded)
    assert search(search_index, "ly lich").hits[0].page == 1
    assert search(search_index, "phep").hits[0].page == 3


def test_hit_fields_and_accented_snippet(corpus: SearchIndex) -> None:
    [hit] = search(corpus, "nguyen van anh").hits

    assert hit.record_id == ANH.record_id
    assert hit.page == 2
    assert hit.snippet == snippet(ANH.pages[1].text, "nguyen van anh")
    assert "<mark>Nguyễn</mark> <mark>Văn</mark> <mark>Ánh</mark>" in hit.snippet
    assert hit.document_type == DocumentType.DECISION.value
    assert hit.dossier_code == "HS-2024-001"
    assert hit.unit == "UBND Quận Hoàn Kiếm"
    assert hit.issue_date == date(2024, 3, 15)
    assert hit.page_count == 3
    assert hit.score > 0


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"document_type": DocumentType.DECISION.value}, (ANH,)),
        ({"document_type": DocumentType.RECEIPT.value}, ()),
        ({"unit": "Phường Láng Hạ"}, (BINH,)),
        ({"unit": "phường láng hạ"}, ()),  # exact, not folded
        ({"unit": "Phường"}, ()),  # whole value, not words
        ({"dossier_code": "HS-2022-017"}, (CUONG,)),
        ({"id_number": "001085012345"}, (ANH,)),
        ({"id_number": "0101234567"}, (BINH,)),  # a tax code
        ({"id_number": "079190000123"}, (BINH,)),  # a citizen id of the same record
        ({"id_number": "01012345"}, ()),
        ({"date_from": date(2023, 11, 2)}, (ANH, BINH)),  # inclusive
        ({"date_to": date(2023, 11, 2)}, (BINH, CUONG)),  # inclusive
        ({"date_from": date(2023, 11, 2), "date_to": date(2023, 11, 2)}, (BINH,)),
        ({"date_from": date(2024, 3, 16)}, ()),
        ({"date_from": date(2022, 1, 1), "date_to": date(2022, 12, 31)}, (CUONG,)),
        ({"signature": SignatureVerdict.VALID}, (ANH,)),
        ({"signature": SignatureVerdict.INVALID}, (BINH,)),
        ({"signature": SignatureVerdict.UNSIGNED}, (CUONG, UNDATED)),
        ({"signature": SignatureVerdict.UNSIGNED, "date_from": date(2022, 1, 1)}, (CUONG,)),
        ({"unit": "", "dossier_code": ""}, CORPUS),  # empty means no filter
        ({"unit": "' OR 1=1 --"}, ()),
    ],
)
def test_filters(
    corpus: SearchIndex, filters: dict[str, Any], expected: tuple[Record, ...]
) -> None:
    assert found(corpus, **filters) == {r.record_id for r in expected}


def test_each_hit_carries_its_records_signature_verdict(corpus: SearchIndex) -> None:
    hits = corpus.search(SearchQuery(limit=10)).hits
    assert {hit.record_id: hit.signature for hit in hits} == {
        record.record_id: record.signature_verdict.value for record in CORPUS
    }


def test_filters_combine_with_text(corpus: SearchIndex) -> None:
    assert found(corpus, "duong", date_from=date(2023, 1, 1)) == {
        ANH.record_id,
        BINH.record_id,
    }
    assert found(corpus, "duong", unit="Phường Láng Hạ") == {BINH.record_id}
    assert found(corpus, "duong", document_type=DocumentType.DECISION.value) == {ANH.record_id}
    assert found(corpus, "nguyen", id_number="0109876543") == set()
    assert found(corpus, "nguyen", signature=SignatureVerdict.UNSIGNED) == {UNDATED.record_id}


def test_listing_without_text_is_newest_first(corpus: SearchIndex) -> None:
    results = search(corpus)

    assert results.total == 4
    assert [h.record_id for h in results.hits] == [r.record_id for r in CORPUS]
    assert [h.page for h in results.hits] == [1, 1, 1, 2]  # UNDATED's page 1 is blank
    assert results.hits[0].snippet == snippet(ANH.pages[0].text, "")
    assert results.hits[3].snippet.startswith("Biên bản bàn giao")
    assert all(hit.score == 0 for hit in results.hits)
    assert search(corpus, "  * ( ) : ^ - ").hits == results.hits


def test_listing_breaks_date_ties_by_record_id(search_index: SearchIndex) -> None:
    same_day = [
        make_record(f"same-day-{n}", [f"Văn bản {n}"], issue_date=date(2024, 1, 1))
        for n in range(5)
    ]
    load(search_index, *same_day)
    hits = search(search_index, document_type=DocumentType.UNKNOWN.value).hits
    assert [h.record_id for h in hits] == sorted(r.record_id for r in same_day)


def test_sort_by_date_orders_the_same_hits_newest_first(corpus: SearchIndex) -> None:
    by_relevance = corpus.search(SearchQuery(text="nguyen"))
    by_date = corpus.search(SearchQuery(text="nguyen", sort="date"))
    assert [h.record_id for h in by_date.hits] == [ANH.record_id, BINH.record_id, UNDATED.record_id]
    assert {h.record_id for h in by_date.hits} == {h.record_id for h in by_relevance.hits}
    assert by_date.total == by_relevance.total and by_date.facets == by_relevance.facets
    assert [h.page for h in by_date.hits] == [2, 2, 2]
    assert all(h.score > 0 and "<mark>" in h.snippet for h in by_date.hits)
    second = corpus.search(SearchQuery(text="nguyen", sort="date", limit=1, offset=1))
    assert [h.record_id for h in second.hits] == [BINH.record_id]


def test_paging(corpus: SearchIndex) -> None:
    listing = [corpus.search(SearchQuery(limit=3, offset=offset)) for offset in (0, 3, 4, 10)]
    assert [r.total for r in listing] == [4, 4, 4, 4]
    assert [len(r.hits) for r in listing] == [3, 1, 0, 0]
    assert [h.record_id for r in listing for h in r.hits] == [r.record_id for r in CORPUS]
    assert listing[1].facets == listing[0].facets  # facets cover all matches

    pages = [
        corpus.search(SearchQuery(text="duong", limit=1, offset=offset)) for offset in range(3)
    ]
    assert [r.total for r in pages] == [3, 3, 3]
    assert sorted(h.record_id for r in pages for h in r.hits) == sorted(
        {ANH.record_id, BINH.record_id, CUONG.record_id}
    )


def test_facets_count_matching_records(corpus: SearchIndex) -> None:
    everything = search(corpus).facets
    assert everything.document_type == {
        DocumentType.DECISION.value: 1,
        DocumentType.APPLICATION.value: 1,
        DocumentType.BUSINESS_REGISTRATION.value: 1,
        DocumentType.UNKNOWN.value: 1,
    }
    assert everything.unit == {  # no empty unit
        "UBND Quận Hoàn Kiếm": 1,
        "Phường Láng Hạ": 1,
        "Phòng Đăng ký kinh doanh": 1,
    }
    assert everything.year == {"2024": 1, "2023": 1, "2022": 1}  # undated not counted
    assert everything.signature == {"valid": 1, "invalid": 1, "unsigned": 2}

    filtered = search(corpus, "nguyen", date_from=date(2023, 1, 1)).facets
    assert filtered.document_type == {
        DocumentType.DECISION.value: 1,
        DocumentType.APPLICATION.value: 1,
    }
    assert filtered.unit == {"UBND Quận Hoàn Kiếm": 1, "Phường Láng Hạ": 1}
    assert filtered.year == {"2024": 1, "2023": 1}
    assert filtered.signature == {"valid": 1, "invalid": 1}

    nothing = search(corpus, "xyzzy")
    assert (nothing.total, nothing.hits) == (0, ())
    assert nothing.facets.document_type == nothing.facets.unit == nothing.facets.year == {}
    assert nothing.facets.signature == {}


def test_facets_count_records_not_pages(search_index: SearchIndex) -> None:
    many = [
        make_record(f"phep-{n}", ["giấy phép"] * 4, document_type=DocumentType.DECISION)
        for n in range(3)
    ]
    load(search_index, *many)
    results = search(search_index, "giay phep")
    assert results.total == 3
    assert results.facets.document_type == {DocumentType.DECISION.value: 3}


def test_indexing_again_replaces_the_record(search_index: SearchIndex) -> None:
    load(search_index, ANH, BINH)
    changed = make_record(
        "anh",  # same record id
        ["Bản sửa đổi: Phạm Thị Hoa"],
        document_type=DocumentType.REPORT,
        unit="Văn phòng",
        issue_date=date(2020, 1, 2),
    )
    load(search_index, changed)

    assert search_index.count() == 2
    assert found(search_index, "hieu luc") == set()
    assert found(search_index, "nguyen van anh") == set()
    assert found(search_index, id_number="001085012345") == set()
    assert found(search_index, signature=SignatureVerdict.VALID) == set()  # ANH was signed
    [hit] = search(search_index, "pham thi hoa").hits
    assert (hit.record_id, hit.page, hit.page_count) == (ANH.record_id, 1, 1)
    assert (hit.document_type, hit.unit, hit.issue_date) == (
        DocumentType.REPORT.value,
        "Văn phòng",
        date(2020, 1, 2),
    )
    assert found(search_index, "binh") == {BINH.record_id}


def test_delete_record(search_index: SearchIndex) -> None:
    load(search_index, *CORPUS)

    search_index.delete_record(BINH.record_id)
    search_index.delete_record(BINH.record_id)
    search_index.delete_record("0" * 64)
    search_index.refresh()

    assert search_index.count() == 3
    assert set(search_index.record_ids()) == ALL_IDS - {BINH.record_id}
    assert found(search_index, "tran thi binh") == set()
    assert found(search_index, "duong") == {ANH.record_id, CUONG.record_id}
    assert search(search_index).facets.unit.get("Phường Láng Hạ") is None


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_query_text_never_fails(corpus: SearchIndex, query: str) -> None:
    """Operators and stray quotes are separators: the query means its words."""
    assert found(corpus, query) == found(corpus, token_text(query))


def test_operator_words_are_plain_words(search_index: SearchIndex) -> None:
    pages = ["Thư gửi: AND OR NOT NEAR, ký hiệu A-B"]
    load(search_index, make_record("operators", pages), ANH)
    assert len(found(search_index, "and or not near")) == 1
    assert found(search_index, "NOT nguyen") == set()
    assert found(search_index, "nguyen OR xyzzy") == set()
    assert len(found(search_index, '"a b"')) == 1


def test_rebuild_replaces_everything(search_index: SearchIndex) -> None:
    load(search_index, *CORPUS)

    count = search_index.rebuild([BINH, CUONG])

    assert count == 2
    assert search_index.count() == 2
    assert set(search_index.record_ids()) == {BINH.record_id, CUONG.record_id}
    assert found(search_index, "duong") == {BINH.record_id, CUONG.record_id}
    assert found(search_index, id_number="0101234567") == {BINH.record_id}
    load(search_index, ANH)  # writes after a rebuild land in the new index
    assert found(search_index, "duong") == {ANH.record_id, BINH.record_id, CUONG.record_id}


def test_searches_keep_answering_during_rebuild(search_index: SearchIndex) -> None:
    load(search_index, *CORPUS)
    expected = {ANH.record_id, BINH.record_id, CUONG.record_id}
    stop = threading.Event()
    seen: list[set[str]] = []
    failures: list[BaseException] = []

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                seen.append({h.record_id for h in search(search_index, "duong").hits})
            except BaseException as exc:  # the test fails below, with the cause
                failures.append(exc)
                return

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    rebuilds = 0
    try:
        # Rebuild until plenty of searches overlapped the rebuilds.
        while (rebuilds < 3 or len(seen) < 20) and rebuilds < 200 and not failures:
            assert search_index.rebuild(iter(CORPUS)) == 4
            rebuilds += 1
    finally:
        stop.set()
        searcher.join(timeout=60)
    assert failures == []
    assert seen, "the searching thread never got an answer"
    assert all(result == expected for result in seen)
    assert found(search_index, "duong") == expected
    assert search_index.count() == 4


def test_a_type_declared_by_an_office_is_filtered_and_faceted(search_index: SearchIndex) -> None:
    """Types are codes from the rules file; the index knows no list of them."""
    proxies = [
        make_record(f"uy-quyen-{n}", ["GIẤY ỦY QUYỀN\nBên ủy quyền"], document_type="giay_uy_quyen")
        for n in range(2)
    ]
    load(search_index, ANH, *proxies)
    assert found(search_index, document_type="giay_uy_quyen") == {r.record_id for r in proxies}
    assert search(search_index, "uy quyen").facets.document_type == {"giay_uy_quyen": 2}
    assert search(search_index).facets.document_type == {
        "giay_uy_quyen": 2,
        DocumentType.DECISION.value: 1,
    }


def test_snippets_escape_html_in_ocr_text(search_index: SearchIndex) -> None:
    hostile = make_record(
        "hostile", ['Hồ sơ <script>alert("x")</script> của Phạm <b>Thị</b> & Dung <img src=x>']
    )
    load(search_index, hostile)
    for text in ("pham thi dung", "script", ""):
        [hit] = search(search_index, text).hits
        markup_left = hit.snippet.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in markup_left and ">" not in markup_left, hit.snippet
        assert "&lt;" in hit.snippet and "&gt;" in hit.snippet
    [hit] = search(search_index, "pham thi dung").hits
    assert "<mark>Phạm</mark> &lt;b&gt;<mark>Thị</mark>&lt;/b&gt; &amp; <mark>Dung</mark>" in (
        hit.snippet
    )


def test_a_very_long_query_is_answered_on_its_first_tokens(search_index: SearchIndex) -> None:
    """A pasted document (15,000 words) is answered, not refused: only its first
    ``MAX_QUERY_TOKENS`` tokens count, on every backend alike."""
    words = [f"tu{n}" for n in range(MAX_QUERY_TOKENS + 50)]
    long_page = make_record("long", [" ".join(words)])
    load(search_index, long_page, ANH)
    beyond_the_cap = " ".join(f"khac{n}" for n in range(15_000))
    assert found(search_index, " ".join(words) + " " + beyond_the_cap) == {long_page.record_id}
    assert found(search_index, beyond_the_cap + " " + " ".join(words)) == set()
    assert found(search_index, '"' + " ".join([*words, "khac0"]) + '"') == {long_page.record_id}
    assert found(search_index, '"' + " ".join(words) + '" khac0') == set()  # words come first
    assert found(search_index, "Nguyễn Văn Ánh " * 5_000) == {ANH.record_id}
