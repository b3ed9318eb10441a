"""Records built for the storage tests, and indexing them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sohoa.models import (
    DocumentType,
    FieldValue,
    OriginalFile,
    PageRecord,
    Record,
    SignatureInfo,
)
from sohoa.storage.protocols import SearchIndex


def make_record(
    name: str,
    pages: Sequence[str],
    *,
    document_type: DocumentType = DocumentType.UNKNOWN,
    unit: str = "",
    dossier_code: str = "",
    issue_date: date | None = None,
    citizen_ids: Sequence[str] = (),
    tax_codes: Sequence[str] = (),
    signatures: Sequence[SignatureInfo] = (),
) -> Record:
    """A record named ``name`` (its id is the name's SHA-256) whose pages
    hold ``pages`` as OCR text, numbered from 1, and whose one original
    carries ``signatures``."""
    record_id = hashlib.sha256(name.encode()).hexdigest()
    fields = {
        field: tuple(FieldValue(value=v, page=1, confidence=0.9) for v in values)
        for field, values in (("citizen_id", citizen_ids), ("tax_code", tax_codes))
        if values
    }
    original = OriginalFile(
        name=f"{name}.pdf",
        sha256=record_id,
        size=1000,
        media_type="application/pdf",
        key=f"originals/{record_id[:2]}/{record_id}.pdf",
        page_count=len(pages),
        signatures=tuple(signatures),
    )
    return Record(
        record_id=record_id,
        batch_id="contract-batch",
        dossier_code=dossier_code,
        unit=unit,
        originals=(original,),
        pages=tuple(
            PageRecord(
                number=number,
                source_file=original.name,
                width=2480,
                height=3508,
                dpi=300,
                blank=not text.strip(),
                ocr_confidence=90.0,
                word_count=len(text.split()),
                text=text,
            )
            for number, text in enumerate(pages, start=1)
        ),
        document_type=document_type,
        fields=fields,
        issue_date=issue_date,
        digitized_at=datetime(2024, 5, 1, 8, 30, tzinfo=UTC),
    )


def load(index: SearchIndex, *records: Record) -> SearchIndex:
    """Index ``records``, check none failed, and make them searchable."""
    result = index.index_records(records)
    assert result.errors == {}
    assert result.indexed == len(records)
    index.refresh()
    return index


def signature(*, ok: bool) -> SignatureInfo:
    """A checked signature: verified, or one whose signed bytes were changed."""
    return SignatureInfo(
        field="Signature1",
        signer="Common Name: Sở Nội vụ",
        signing_time=datetime(2024, 3, 15, 9, 0, tzinfo=UTC),
        intact=ok,
        valid=ok,
        trusted=True,
        whole_file=True,
    )
