"""Precision and recall of a metadata extractor against the ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sohoa.core.text import fold
from sohoa.samples.truth import GroundTruth

# The fields whose precision and recall sohoa promises (>= 0.95).
SCORED_FIELDS = ("number_symbol", "issue_date", "citizen_id", "tax_code", "dossier_code")
REPORTED_FIELDS = (*SCORED_FIELDS, "phone", "old_id", "birth_date", "person_name", "agency")
# Compared without case, accents or extra spaces, as search compares them.
_LOOSE_FIELDS = ("person_name", "agency")


@dataclass
class FieldScore:
    """True and false positives and false negatives of one field."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


@dataclass
class ExtractionScores:
    """Precision and recall per field, and document-type accuracy, over many
    documents. Every value found counts: a wrong extra value is a false positive."""

    fields: dict[str, FieldScore] = field(
        default_factory=lambda: {name: FieldScore() for name in REPORTED_FIELDS}
    )
    documents: int = 0
    types_right: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, truth: GroundTruth, document_type: str, found: dict[str, Any]) -> None:
        """``found`` maps field names to sequences of objects with a ``value``."""
        self.documents += 1
        self.types_right += document_type == truth.metadata["document_type"]
        if document_type != truth.metadata["document_type"]:
            self.misses.append(f"{name}: type {document_type}, expected {truth.kind}")
        for field_name, score in self.fields.items():
            loose = field_name in _LOOSE_FIELDS
            key = (lambda v: " ".join(fold(v).split())) if loose else (lambda v: v)
            expected = {key(v) for v in truth.expected(field_name)}
            got = {key(v.value) for v in found.get(field_name, ())}
            score.true_positives += len(expected & got)
            score.false_positives += len(got - expected)
            score.false_negatives += len(expected - got)
            if expected != got:
                self.misses.append(
                    f"{name}: {field_name} expected {sorted(expected)} got {sorted(got)}"
                )

    def table(self) -> str:
        rows = [f"{'field':<15}{'precision':>10}{'recall':>8}{'TP':>6}{'FP':>5}{'FN':>5}"]
        for name, s in self.fields.items():
            rows.append(
                f"{name:<15}{s.precision:>10.3f}{s.recall:>8.3f}"
                f"{s.true_positives:>6}{s.false_positives:>5}{s.false_negatives:>5}"
            )
        accuracy = self.types_right / self.documents if self.documents else 0.0
        rows.append(f"document_type accuracy {accuracy:.3f} over {self.documents} documents")
        return "\n".join(rows)
