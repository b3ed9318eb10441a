"""Digitized records matched to register dossiers by their normalised dossier
code. A record whose code is not in the register may be a misread code: the
register codes of the same unit within ``MAX_EDITS`` edits are offered to a
clerk, whose decision is kept (``MatchConfirmation``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from sohoa.app.register import refresh_first_digitized
from sohoa.core.errors import ConfigurationError
from sohoa.storage.schema.register import DigitizedRecord, MatchConfirmation, RegisteredDossier

MAX_EDITS = 2


@dataclass(frozen=True, slots=True)
class UnmatchedRecord:
    record_id: str
    dossier_code: str
    unit: str
    digitized_on: date


@dataclass(frozen=True, slots=True)
class UnmatchedDossier:
    dossier_code: str
    unit: str
    procedure: str
    received_on: date


@dataclass(frozen=True, slots=True)
class MatchCandidate:
    record_id: str
    record_code: str
    dossier_code: str
    code_key: str
    unit: str
    edits: int


def _record_without_dossier() -> object:
    return ~exists().where(RegisteredDossier.code_key == DigitizedRecord.match_key)


def unmatched_records(
    session: Session, limit: int = 10_000, unit: str | None = None
) -> list[UnmatchedRecord]:
    """Records whose dossier code is not in the register (of ``unit`` alone when given)."""
    statement = (
        select(
            DigitizedRecord.record_id,
            DigitizedRecord.dossier_code,
            DigitizedRecord.unit,
            DigitizedRecord.digitized_on,
        )
        .where(_record_without_dossier())  # type: ignore[arg-type]
        .order_by(DigitizedRecord.digitized_on, DigitizedRecord.record_id)
        .limit(limit)
    )
    if unit is not None:
        statement = statement.where(DigitizedRecord.unit == unit)
    return [UnmatchedRecord(*row) for row in session.execute(statement)]


def unmatched_dossiers(
    session: Session,
    received_until: date | None = None,
    limit: int = 10_000,
    unit: str | None = None,
) -> list[UnmatchedDossier]:
    """Register dossiers no record is matched to (received by ``received_until``;
    of ``unit`` alone when given)."""
    statement = select(
        RegisteredDossier.dossier_code,
        RegisteredDossier.unit,
        RegisteredDossier.procedure,
        RegisteredDossier.received_on,
    ).where(RegisteredDossier.first_digitized_on.is_(None))
    if received_until is not None:
        statement = statement.where(RegisteredDossier.received_on <= received_until)
    if unit is not None:
        statement = statement.where(RegisteredDossier.unit == unit)
    statement = statement.order_by(RegisteredDossier.received_on, RegisteredDossier.code_key)
    return [UnmatchedDossier(*row) for row in session.execute(statement.limit(limit))]


def match_candidates(
    session: Session, limit: int = 1000, unit: str | None = None
) -> list[MatchCandidate]:
    """Near misses: for each unmatched record with a code (of ``unit`` alone
    when given), the unmatched register codes of its unit within MAX_EDITS
    edits, closest first; pairs a clerk rejected are not offered again."""
    wanted = select(
        DigitizedRecord.record_id,
        DigitizedRecord.dossier_code,
        DigitizedRecord.unit,
        DigitizedRecord.match_key,
    )
    wanted = wanted.where(DigitizedRecord.match_key != "", _record_without_dossier())  # type: ignore[arg-type]
    if unit is not None:
        wanted = wanted.where(DigitizedRecord.unit == unit)
    records = session.execute(wanted).all()  # fmt: skip
    units = {unit for _, _, unit, _ in records}
    codes: dict[str, dict[str, str]] = defaultdict(dict)
    for key, code, unit in session.execute(
        select(RegisteredDossier.code_key, RegisteredDossier.dossier_code, RegisteredDossier.unit)
        .where(RegisteredDossier.unit.in_(units), RegisteredDossier.first_digitized_on.is_(None))
    ):  # fmt: skip
        codes[unit][key] = code
    rejected = {
        (record_id, key)
        for record_id, key in session.execute(
            select(MatchConfirmation.record_id, MatchConfirmation.code_key).where(
                ~MatchConfirmation.accepted
            )
        )
    }
    found = []
    for record_id, record_code, unit, key in records:
        choices = codes.get(unit, {})
        for candidate, edits, _ in extract(
            key, list(choices), scorer=Levenshtein.distance, score_cutoff=MAX_EDITS, limit=5
        ):
            if (record_id, candidate) not in rejected:
                found.append(
                    MatchCandidate(
                        record_id, record_code, choices[candidate], candidate, unit, int(edits)
                    )
                )
        if len(found) >= limit:
            break
    return sorted(found, key=lambda c: (c.edits, c.unit, c.record_id))[:limit]


def confirm_match(
    session: Session, record_id: str, code_key: str, accepted: bool, user_id: int | None
) -> None:
    """A clerk's decision: the record belongs to the dossier (its match key
    changes and the dossier counts as digitized), or not (never offered again)."""
    record = session.get(DigitizedRecord, record_id)
    if record is None or session.get(RegisteredDossier, code_key) is None:
        raise ConfigurationError(f"No record {record_id} or no register dossier {code_key}")
    session.merge(
        MatchConfirmation(
            record_id=record_id, code_key=code_key, accepted=accepted, user_id=user_id
        )
    )
    if accepted:
        previous = record.match_key
        record.match_key = code_key
        session.flush()
        refresh_first_digitized(session, {previous, code_key})
