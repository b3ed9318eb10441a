"""Records, pages, metadata and batches: the one serialized form used by the
manifest JSON, the index documents and the CLI's ``--json`` output."""

from sohoa.models.batch import BatchReport, FileOutcome, FileStatus
from sohoa.models.records import (
    DocumentType,
    DocumentTypeCode,
    DossierCodeSource,
    FieldValue,
    OriginalFile,
    PageRecord,
    Record,
    SearchFacets,
    SearchHit,
    SearchQuery,
    SearchResults,
    SignatureInfo,
    SignatureVerdict,
)

__all__ = [
    "BatchReport",
    "DocumentType",
    "DocumentTypeCode",
    "DossierCodeSource",
    "FieldValue",
    "FileOutcome",
    "FileStatus",
    "OriginalFile",
    "PageRecord",
    "Record",
    "SearchFacets",
    "SearchHit",
    "SearchQuery",
    "SearchResults",
    "SignatureInfo",
    "SignatureVerdict",
]
