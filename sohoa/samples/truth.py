"""What a generated document holds: its pages' text and the metadata a
perfect reader extracts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from sohoa.models import DocumentType

# Fields whose truth is a list of values, and the extractor field each one checks.
LIST_FIELDS = {
    "citizen_id": "citizen_ids",
    "old_id": "old_ids",
    "tax_code": "tax_codes",
    "phone": "phones",
    "person_name": "names",
    "birth_date": "birth_dates",
}


@dataclass(frozen=True)
class GroundTruth:
    """What was drawn: each page's text (lines joined by "\\n") and the metadata.

    ``metadata`` keys: document_type (a DocumentType value), number_symbol,
    issue_date (ISO), agency, dossier_code, qr_payload, signer (str or None) and
    the lists citizen_ids, old_ids, tax_codes, phones, names, birth_dates
    (birth dates ISO). Names are only those written after a name label.
    """

    kind: str
    pages: tuple[str, ...]
    metadata: dict[str, Any]
    distortions: tuple[dict[str, Any], ...] = ()
    file_format: str = ""
    manifest: dict[str, str] | None = None

    def expected(self, field_name: str) -> set[str]:
        """The values a perfect extractor returns for ``field_name``."""
        value = self.metadata.get(LIST_FIELDS.get(field_name, field_name))
        if value is None or value == "":
            return set()
        return set(value) if isinstance(value, list) else {str(value)}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GroundTruth:
        return cls(
            kind=data["kind"],
            pages=tuple(data["pages"]),
            metadata=data["metadata"],
            distortions=tuple(data.get("distortions", ())),
            file_format=data.get("file_format", ""),
            manifest=data.get("manifest"),
        )


@dataclass
class SampleDocument:
    """A rendered document: its page images and its ground truth."""

    kind: str
    pages: list[Image.Image]
    truth: GroundTruth


@dataclass(frozen=True)
class BatchTruth:
    """A written batch: its folder, the truth file and each file's truth."""

    batch_dir: Path
    truth_path: Path
    documents: dict[str, GroundTruth]


def document_metadata(document_type: DocumentType, **values: Any) -> dict[str, Any]:
    """The truth's metadata: every key present, list fields without empty or
    repeated values."""
    meta: dict[str, Any] = {
        "document_type": document_type.value,
        "number_symbol": None,
        "issue_date": None,
        "agency": None,
        "dossier_code": None,
        "qr_payload": None,
        "signer": None,
    }
    meta.update({key: [] for key in LIST_FIELDS.values()})
    for key, value in values.items():
        if key in LIST_FIELDS.values():
            value = list(dict.fromkeys(v for v in value if v))
        meta[key] = value
    return meta
