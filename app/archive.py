"""Archive a digitized dossier: upload its originals and derivatives under
their keys, then write its manifest last. A record exists once its manifest
does, so a crash at any point leaves either a whole record or none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sohoa.app.fault_points import pause_point
from sohoa.models import OriginalFile, PageRecord, Record, SignatureInfo
from sohoa.models.records import DossierCodeSource, FieldValue
from sohoa.pipeline.inbox import DossierSpec
from sohoa.pipeline.metadata import ExtractedMetadata
from sohoa.pipeline.pages import ProcessedPage
from sohoa.pipeline.preflight import SourceFile
from sohoa.pipeline.signatures import SignatureCheck
from sohoa.storage import keys
from sohoa.storage.manifests import save_record
from sohoa.storage.protocols import ObjectStore

_SUFFIX = {"pdf": ".pdf", "tiff": ".tif", "jpeg": ".jpg", "png": ".png"}


@dataclass(frozen=True, slots=True)
class DossierOutputs:
    """What the pipeline produced for a dossier, as local paths and values."""

    sources: Sequence[SourceFile]
    pages: Sequence[ProcessedPage]
    page_sources: Sequence[str]
    searchable_pdf: Path
    alto_xml: Path
    metadata: ExtractedMetadata
    review_reasons: tuple[str, ...]
    digitized_at: datetime
    # The checked signatures of each signed PDF, by its SHA-256.
    signatures: dict[str, tuple[SignatureCheck, ...]] = field(default_factory=dict)


def archive_dossier(
    store: ObjectStore, record_id: str, batch_id: str, spec: DossierSpec, outputs: DossierOutputs
) -> Record:
    originals = []
    for source in outputs.sources:
        key = keys.original_key(source.sha256, _SUFFIX.get(source.kind, ""))
        if store.stat(key) is None:
            store.put_file(key, source.path, source.media_type)
        originals.append(
            OriginalFile(
                name=source.path.name,
                sha256=source.sha256,
                size=source.size,
                media_type=source.media_type,
                key=key,
                page_count=source.page_count,
                signatures=tuple(
                    signature_info(check) for check in outputs.signatures.get(source.sha256, ())
                ),
            )
        )

    page_records = []
    for number, (page, source_name) in enumerate(
        zip(outputs.pages, outputs.page_sources, strict=True), start=1
    ):
        # The page image is stored once, inside the searchable PDF; viewers
        # make thumbnails from it on demand.
        page_records.append(
            PageRecord(
                number=number,
                source_file=source_name,
                width=page.width,
                height=page.height,
                dpi=page.dpi,
                rotation_degrees=page.rotation_degrees,
                skew_degrees=round(page.skew_degrees, 2),
                skew_corrected=page.skew_corrected,
                blank=page.blank,
                ocr_confidence=round(page.ocr_confidence, 1),
                word_count=page.word_count,
                text=page.text,
                qr_payloads=tuple(page.qr_payloads),
            )
        )

    pause_point("archive")  # test hook: originals and page images stored, no manifest yet
    pdf_key = keys.searchable_pdf_key(record_id)
    ocr_key = keys.alto_key(record_id)
    store.put_file(pdf_key, outputs.searchable_pdf, "application/pdf")
    store.put_file(ocr_key, outputs.alto_xml, "application/gzip")

    dossier_code, code_source = dossier_code_and_source(spec, outputs)
    record = Record(
        record_id=record_id,
        batch_id=batch_id,
        dossier_code=dossier_code,
        dossier_code_source=code_source,
        procedure=spec.procedure,
        unit=spec.unit,
        operator=spec.operator,
        originals=tuple(originals),
        pages=tuple(page_records),
        document_type=outputs.metadata.document_type,
        fields=outputs.metadata.fields,
        issue_date=outputs.metadata.issue_date,
        searchable_pdf_key=pdf_key,
        ocr_key=ocr_key,
        needs_review=bool(outputs.review_reasons),
        review_reasons=outputs.review_reasons,
        digitized_at=outputs.digitized_at,
    )
    save_record(store, record)
    return record


def dossier_code_and_source(
    spec: DossierSpec, outputs: DossierOutputs
) -> tuple[str, DossierCodeSource | None]:
    """The batch manifest's code wins; else the code read from the pages, from
    a QR code when one of them carries it (metadata prefers QR), else OCR."""
    if spec.dossier_code:
        return spec.dossier_code, DossierCodeSource.MANIFEST
    found = outputs.metadata.fields.get("dossier_code", ())
    if not found:
        return "", None
    code = found[0].value
    in_qr = any(code in payload.upper() for page in outputs.pages for payload in page.qr_payloads)
    return code, DossierCodeSource.QR if in_qr else DossierCodeSource.OCR


def signature_info(check: SignatureCheck) -> SignatureInfo:
    return SignatureInfo(
        field=check.field,
        signer=check.signer,
        signing_time=check.signing_time,
        intact=check.intact,
        valid=check.valid,
        trusted=check.trusted,
        whole_file=check.whole_file,
        summary=check.summary,
    )


def first_value(fields: dict[str, tuple[FieldValue, ...]], name: str) -> str:
    values = fields.get(name, ())
    return values[0].value if values else ""
