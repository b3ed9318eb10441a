"""Figures over the whole archive: records, pages, the review queue and
document types, read from the manifests (the source of truth)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sohoa.app import backends
from sohoa.storage.manifests import iter_records


@dataclass(frozen=True, slots=True)
class ArchiveStats:
    records: int
    pages: int
    needs_review: int
    mean_ocr_confidence: float
    indexed_records: int
    document_types: dict[str, int]


def archive_stats() -> ArchiveStats:
    types: Counter[str] = Counter()
    records = pages = review = 0
    confidence_sum = 0.0
    for record in iter_records(backends.object_store()):
        records += 1
        pages += record.page_count
        review += record.needs_review
        confidence_sum += record.mean_ocr_confidence
        types[str(record.document_type)] += 1
    return ArchiveStats(
        records=records,
        pages=pages,
        needs_review=review,
        mean_ocr_confidence=round(confidence_sum / records, 1) if records else 0.0,
        indexed_records=backends.search_index().count(),
        document_types=dict(types.most_common()),
    )
