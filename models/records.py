"""A record is one digitized dossier: its original files, its pages and what
was read from them. Its id is a SHA-256, so the same paper scanned twice maps
to the same record."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)

MANIFEST_SCHEMA_VERSION = 1


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


DOCUMENT_TYPE_CODE = r"^[a-z][a-z0-9_]{0,63}$"
DocumentTypeCode = Annotated[str, StringConstraints(pattern=DOCUMENT_TYPE_CODE)]
"""A document type, by the code the metadata rules file declares it under
("quyet_dinh"). Any code of that shape loads, so a record keeps its type when
the rules that named it change; which codes exist is the rules file's say."""


class DocumentType(StrEnum):
    """The codes of the types declared by the rules file shipped with sohoa
    (``pipeline/metadata_rules.yaml``), for code that names one: the sample
    generator, benches and tests. Records hold a ``DocumentTypeCode``, so an
    office's own rules file can add types without touching this list."""

    APPLICATION = "don_de_nghi"
    DECLARATION = "to_khai"
    BUSINESS_REGISTRATION = "giay_chung_nhan_dkdn"
    CITIZEN_ID_CARD = "can_cuoc_cong_dan"
    DECISION = "quyet_dinh"
    OFFICIAL_LETTER = "cong_van"
    REPORT = "bao_cao"
    RECEIPT = "bien_nhan_ho_so"
    UNKNOWN = "khong_xac_dinh"


class DossierCodeSource(StrEnum):
    """Where a record's dossier code came from."""

    MANIFEST = "manifest"  # the batch's manifest.csv
    QR = "qr"  # a QR code on the receipt
    OCR = "ocr"  # read from the printed page


class FieldValue(Frozen):
    """One extracted value, with where it was found and how sure we are."""

    value: str
    page: int = Field(ge=1)
    confidence: float = Field(ge=0.0, le=1.0)
    source_text: str = ""


class SignatureInfo(Frozen):
    """A digital signature found in a received PDF, as checked when it was digitized.

    ``intact``: the signed bytes are unchanged; ``valid``: intact and
    cryptographically sound; ``trusted``: the signer's certificate chains to the
    configured trust store; ``whole_file``: it covers the file as received (later
    additions of validation data only, as in a PAdES B-LT file, do not count).
    """

    field: str
    signer: str
    signing_time: datetime | None = None
    intact: bool
    valid: bool
    trusted: bool
    whole_file: bool
    summary: str = ""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted


class SignatureVerdict(StrEnum):
    """A record's digital signatures in one word, as search filters and counts them."""

    VALID = "valid"  # signed, and every signature verified (SignatureInfo.ok)
    INVALID = "invalid"  # at least one signature failed a check
    UNSIGNED = "unsigned"  # no original carries a signature


class OriginalFile(Frozen):
    name: str
    sha256: str
    size: int
    media_type: str
    key: str
    page_count: int
    signatures: tuple[SignatureInfo, ...] = ()  # PDFs only; the file itself is kept as received

    @model_serializer(mode="wrap")
    def _unsigned_as_before(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """An unsigned file serializes as it did before signatures were checked,
        so older manifests are written back byte for byte."""
        data: dict[str, Any] = handler(self)
        if not self.signatures:
            data.pop("signatures", None)
        return data


class PageRecord(Frozen):
    number: int = Field(ge=1)
    source_file: str
    width: int
    height: int
    dpi: int
    rotation_degrees: int = 0
    skew_degrees: float = 0.0
    skew_corrected: bool = False
    blank: bool = False
    ocr_confidence: float = 0.0
    word_count: int = 0
    text: str = ""
    qr_payloads: tuple[str, ...] = ()
    image_key: str = ""  # records made before page images lived only in the searchable PDF
    thumbnail_key: str = ""  # records made before thumbnails were made on demand


class Record(Frozen):
    schema_version: int = MANIFEST_SCHEMA_VERSION
    record_id: str
    batch_id: str
    dossier_code: str = ""
    # None for a record stored before sources were kept, or without a code;
    # left out of the JSON then, so that older manifests are written back unchanged.
    dossier_code_source: DossierCodeSource | None = Field(
        default=None, exclude_if=lambda source: source is None
    )
    procedure: str = ""
    unit: str = ""
    operator: str = ""
    originals: tuple[OriginalFile, ...]
    pages: tuple[PageRecord, ...]
    document_type: DocumentTypeCode = DocumentType.UNKNOWN.value
    fields: dict[str, tuple[FieldValue, ...]] = Field(default_factory=dict)
    issue_date: date | None = None
    searchable_pdf_key: str = ""
    ocr_key: str = ""  # ALTO XML 4 (alto.xml.gz); ocr.json in records made before it
    needs_review: bool = False
    review_reasons: tuple[str, ...] = ()
    digitized_at: datetime

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def mean_ocr_confidence(self) -> float:
        scored = [p.ocr_confidence for p in self.pages if not p.blank]
        return sum(scored) / len(scored) if scored else 0.0

    @property
    def signature_verdict(self) -> SignatureVerdict:
        signatures = [s for original in self.originals for s in original.signatures]
        if not signatures:
            return SignatureVerdict.UNSIGNED
        valid = all(s.ok for s in signatures)
        return SignatureVerdict.VALID if valid else SignatureVerdict.INVALID

    def first_value(self, name: str) -> str:
        values = self.fields.get(name, ())
        return values[0].value if values else ""

    def id_numbers(self) -> list[str]:
        """Citizen IDs and tax codes, the numbers clerks search by."""
        names = ("citizen_id", "old_id", "tax_code")
        return sorted({v.value for n in names for v in self.fields.get(n, ())})


def record_id_for(file_sha256s: list[str]) -> str:
    """A one-file dossier is identified by its file's hash; a multi-file
    dossier by the hash of its files' sorted hashes."""
    if len(file_sha256s) == 1:
        return file_sha256s[0]
    joined = "\n".join(sorted(file_sha256s)).encode()
    return hashlib.sha256(joined).hexdigest()


# Hits in one page of results; the CLI and the web app refuse more.
MAX_SEARCH_LIMIT = 1000


class SearchQuery(Frozen):
    text: str = ""
    document_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    unit: str | None = None
    dossier_code: str | None = None
    id_number: str | None = None
    signature: SignatureVerdict | None = None
    # "relevance" (BM25) or "date" (newest issue_date first, undated last);
    # a query without words is always listed by date.
    sort: Literal["relevance", "date"] = "relevance"
    limit: int = Field(default=10, ge=1, le=MAX_SEARCH_LIMIT)
    offset: int = Field(default=0, ge=0)


class SearchHit(Frozen):
    record_id: str
    score: float
    page: int
    snippet: str
    document_type: str
    dossier_code: str
    unit: str
    issue_date: date | None
    page_count: int
    signature: str = ""  # the record's SignatureVerdict; empty when indexed before verdicts


class SearchFacets(Frozen):
    document_type: dict[str, int] = Field(default_factory=dict)
    unit: dict[str, int] = Field(default_factory=dict)
    year: dict[str, int] = Field(default_factory=dict)
    signature: dict[str, int] = Field(default_factory=dict)


class SearchResults(Frozen):
    total: int
    hits: tuple[SearchHit, ...]
    facets: SearchFacets = SearchFacets()
