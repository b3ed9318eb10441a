"""How long a record is kept: its document type's retention period in the
metadata rules, counted from its issue date (from when it was digitized when
no issue date was read). sohoa only lists the records past their period;
disposing of one is a person's decision, made outside sohoa."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sohoa.app import backends, records
from sohoa.models import Record
from sohoa.pipeline.metadata import MetadataRules
from sohoa.storage.manifests import iter_records


@dataclass(frozen=True, slots=True)
class Retention:
    """``disposal_date`` is None for a record kept permanently."""

    record: Record
    years: int | None
    disposal_date: date | None

    def due(self, on: date) -> bool:
        return self.disposal_date is not None and self.disposal_date <= on


def retention_of(record: Record, rules: MetadataRules) -> Retention:
    """The record's retention under ``rules``; a type they no longer declare,
    or one without a period, is kept permanently."""
    declared = rules.document_type(record.document_type)
    years = declared.retention_years if declared else None
    if years is None:
        return Retention(record, None, None)
    start = record.issue_date or record.digitized_at.date()
    return Retention(record, years, _years_after(start, years))


def due_for_disposal(on: date) -> Iterator[Retention]:
    """Every stored record whose retention period has ended by ``on``."""
    rules = records.metadata_rules()
    for record in iter_records(backends.object_store()):
        retention = retention_of(record, rules)
        if retention.due(on):
            yield retention


def _years_after(start: date, years: int) -> date:
    """``start`` moved ``years`` calendar years on (29 February becomes 28 February)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)
