"""What a viewer reads of a new record: each page image, taken from the searchable
PDF where it is stored (a JPEG as stored, a bilevel page as PNG), and the words
with their confidences, from the ALTO."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from sohoa.app import backends, lookup, records
from sohoa.core.errors import ObjectNotFound
from tests.helpers.archival import WORDS, stored_record


def test_page_images_come_from_the_searchable_pdf(data_dir: Path, tmp_path: Path) -> None:
    record_id, _ = stored_record(tmp_path)
    record = records.open_record(record_id)
    assert all(not page.image_key for page in record.pages)

    gray_chunks, gray_type, gray_name = lookup.record_file(record, "page", 1)
    bilevel_chunks, bilevel_type, _ = lookup.record_file(record, "page", 2)
    gray, bilevel = b"".join(gray_chunks), b"".join(bilevel_chunks)

    stored_jpeg = next((tmp_path / "pages").glob("L-*/page.jpg")).read_bytes()
    assert (gray, gray_type, gray_name) == (stored_jpeg, "image/jpeg", f"{record_id[:12]}-0001.jpg")
    assert bilevel_type == "image/png"
    with Image.open(io.BytesIO(bilevel)) as image:
        assert (image.mode, image.size) == ("1", (1240, 1754))
    with pytest.raises(ObjectNotFound):
        lookup.record_file(record, "page", 3)


def test_thumbnails_are_made_from_the_searchable_pdf_and_cached(
    data_dir: Path, tmp_path: Path
) -> None:
    record_id, _ = stored_record(tmp_path)
    record = records.open_record(record_id)
    assert all(not page.thumbnail_key for page in record.pages)  # none stored

    chunks, content_type, name = lookup.record_file(record, "thumbnail", 2)
    data = b"".join(chunks)
    assert (content_type, name) == ("image/jpeg", f"{record_id[:12]}-0002-thumb.jpg")
    with Image.open(io.BytesIO(data)) as thumbnail:
        assert thumbnail.size == (181, 256)  # the 1240x1754 page, longer side 256
        gray = thumbnail.convert("L")
        # The page's black bar (x 200-700, y 300-340 of 1754) and white paper.
        assert gray.getpixel((65, 47)) < 100 and gray.getpixel((90, 200)) > 230

    # A second view reads the cache: the PDF is not needed again.
    backends.object_store().delete(record.searchable_pdf_key)
    again, _, _ = lookup.record_file(record, "thumbnail", 2)
    assert b"".join(again) == data
    with pytest.raises(ObjectNotFound):
        lookup.record_file(record, "thumbnail", 1)
    with pytest.raises(ObjectNotFound):
        lookup.record_file(record, "thumbnail", 3)


def test_page_words_are_read_from_the_alto(data_dir: Path, tmp_path: Path) -> None:
    record_id, _ = stored_record(tmp_path)

    words = lookup.page_words(records.open_record(record_id))

    assert sorted(words) == [1, 2]
    assert [(w.text, w.confidence, w.line) for w in words[1]] == [
        (word.text, word.confidence, 0) for word in WORDS
    ]
