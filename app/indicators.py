"""The managers' indicators, by unit, procedure and period, computed by SQL
aggregation in the database (SQLite or PostgreSQL), never by walking manifests.

Each family of figures has its own period date:

* dossiers (rate, issued results, median days, backlog): the register's
  received date; a dossier counts as digitized when a record matched to it
  was digitized on or before ``as_of`` (the last day of the range);
* records, pages, OCR quality: the local day the record was digitized;
* batches, files, quarantine and failures: the local day the run started;
* reuse and lookups: the local day of the reuse action or audit event.

Batches, reuse and lookups have no procedure: grouped or filtered by
procedure, their figures are None. Timestamps are stored in UTC (every
writer uses ``utc_now``); on SQLite the local day uses the zone's present
offset (Vietnam has no daylight saving time), on PostgreSQL the zone itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from sohoa.core.errors import ConfigurationError
from sohoa.storage.schema.accounts import AuditAction, AuditEvent, ReuseAction, User
from sohoa.storage.schema.register import BatchRun, DigitizedRecord, RegisteredDossier

# Backlog age buckets, in days since the dossier was received: (label, low, high).
BACKLOG_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0_7", 0, 7),
    ("8_30", 8, 30),
    ("31_90", 31, 90),
    ("over_90", 91, None),
)
LOOKUP_ACTIONS = (AuditAction.VIEW.value, AuditAction.SEARCH.value)
DIMENSIONS = ("period", "unit", "procedure")


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class IndicatorQuery:
    date_from: date
    date_to: date
    granularity: Granularity = Granularity.MONTH
    # Any of DIMENSIONS; none gives one row for the whole range.
    group_by: tuple[str, ...] = ()
    unit: str | None = None
    procedure: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"

    def __post_init__(self) -> None:
        unknown = set(self.group_by) - set(DIMENSIONS)
        if unknown:
            raise ConfigurationError(f"Cannot group indicators by {sorted(unknown)}")
        if self.date_to < self.date_from:
            raise ConfigurationError(f"The range ends ({self.date_to}) before it starts")


@dataclass
class IndicatorRow:
    period: str | None = None
    unit: str | None = None
    procedure: str | None = None
    # dossiers received in the period (the register)
    received: int = 0
    digitized_dossiers: int = 0
    issued: int = 0
    issued_digitized: int = 0
    median_days_to_digitize: float | None = None
    backlog: dict[str, int] = field(default_factory=lambda: {b[0]: 0 for b in BACKLOG_BUCKETS})
    # records digitized in the period
    records: int = 0
    pages: int = 0
    mean_ocr_confidence: float | None = None
    flagged_for_review: int = 0
    # batch runs started in the period
    batches: int | None = None
    failed_batches: int | None = None
    files: int | None = None
    quarantined_files: int | None = None
    # reuse at the counters
    reuse_actions: int | None = None
    lookups: int | None = None
    dossiers_served_by_reuse: int | None = None

    @property
    def key(self) -> tuple[str | None, str | None, str | None]:
        return self.period, self.unit, self.procedure

    @property
    def digitization_rate(self) -> float | None:
        return _ratio(self.digitized_dossiers, self.received)

    @property
    def issued_digitization_rate(self) -> float | None:
        return _ratio(self.issued_digitized, self.issued)

    @property
    def flagged_share(self) -> float | None:
        return _ratio(self.flagged_for_review, self.records)

    @property
    def quarantine_rate(self) -> float | None:
        return _ratio(self.quarantined_files, self.files)

    @property
    def failure_rate(self) -> float | None:
        return _ratio(self.failed_batches, self.batches)

    @property
    def reuse_rate(self) -> float | None:
        return _ratio(self.reuse_actions, self.lookups)

    @property
    def backlog_total(self) -> int:
        return sum(self.backlog.values())

    def as_dict(self) -> dict[str, Any]:
        """The stored figures and the rates derived from them, for JSON and exports."""
        out = asdict(self)
        for name in RATES:
            out[name] = getattr(self, name)
        out["backlog_total"] = self.backlog_total
        return out


RATES = (
    "digitization_rate",
    "issued_digitization_rate",
    "flagged_share",
    "quarantine_rate",
    "failure_rate",
    "reuse_rate",
)


def _ratio(part: int | None, whole: int | None) -> float | None:
    return part / whole if part is not None and whole else None


@dataclass(frozen=True, slots=True)
class OperatorThroughput:
    operator: str
    records: int
    pages: int
    batches: int


@dataclass(frozen=True, slots=True)
class BatchThroughput:
    batch_id: str
    operator: str
    unit: str
    started_at: datetime
    duration_seconds: float
    files: int
    records: int
    pages: int
    quarantined_files: int

    @property
    def pages_per_hour(self) -> float | None:
        return self.pages * 3600 / self.duration_seconds if self.duration_seconds > 0 else None


class _Sql:
    """Dialect-dependent date expressions: the one place SQLite and PostgreSQL differ."""

    def __init__(self, session: Session, timezone: str) -> None:
        self.postgresql = session.get_bind().dialect.name == "postgresql"
        self.timezone = timezone
        offset = datetime.now(UTC).astimezone(ZoneInfo(timezone)).utcoffset()
        self.offset_minutes = int(offset.total_seconds() // 60) if offset else 0

    def period_start(self, day: Any, granularity: Granularity) -> ColumnElement[str]:
        """The first day of ``day``'s period, as text YYYY-MM-DD (weeks start on Monday)."""
        if self.postgresql:
            return func.to_char(func.date_trunc(granularity.value, day), "YYYY-MM-DD")
        # Dates are stored as YYYY-MM-DD text: cutting it is cheaper than strftime.
        if granularity is Granularity.DAY:
            return func.substr(day, 1, 10)
        if granularity is Granularity.WEEK:
            return func.date(day, "weekday 0", "-6 days")
        if granularity is Granularity.MONTH:
            return func.substr(day, 1, 8).concat("01")
        if granularity is Granularity.YEAR:
            return func.substr(day, 1, 5).concat("01-01")
        month = cast(func.strftime("%m", day), Integer)
        first_month = (month - 1) // 3 * 3 + 1
        return func.printf("%s-%02d-01", func.strftime("%Y", day), first_month)

    def days_between(self, start: Any, end: Any) -> ColumnElement[int]:
        if self.postgresql:
            return cast(end - start, Integer)
        return cast(func.julianday(end) - func.julianday(start), Integer)

    def local_day(self, instant: Any) -> ColumnElement[date]:
        if self.postgresql:
            return cast(func.timezone(self.timezone, instant), Date)
        return func.date(instant, f"{self.offset_minutes:+d} minutes")

    def local_days(self, instant: Any, first: date, last: date) -> ColumnElement[bool]:
        """``first <= local_day(instant) <= last`` as UTC instants (an index can serve it)."""
        return and_(instant >= self._utc_midnight(first), instant < self._utc_midnight(last, 1))

    def _utc_midnight(self, day: date, days_later: int = 0) -> datetime:
        start = datetime.combine(day + timedelta(days=days_later), time())
        if self.postgresql:
            return start.replace(tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)
        return (start - timedelta(minutes=self.offset_minutes)).replace(tzinfo=UTC)


def _group_expressions(
    query: IndicatorQuery, sql: _Sql, day: Any, unit: Any, procedure: Any | None
) -> list[ColumnElement[Any]]:
    sources = {
        "period": sql.period_start(day, query.granularity),
        "unit": unit,
        "procedure": procedure if procedure is not None else literal(None),
    }
    return [sources[name] for name in query.group_by]


def _group_columns(
    query: IndicatorQuery, sql: _Sql, day: Any, unit: Any, procedure: Any | None
) -> list[ColumnElement[Any]]:
    expressions = _group_expressions(query, sql, day, unit, procedure)
    return [e.label(name) for e, name in zip(expressions, query.group_by, strict=True)]


def _filtered(statement: Any, query: IndicatorQuery, unit: Any, procedure: Any) -> Any:
    if query.unit is not None:
        statement = statement.where(unit == query.unit)
    if query.procedure is not None and procedure is not None:
        statement = statement.where(procedure == query.procedure)
    return statement


def _as_of(query: IndicatorQuery) -> Any:
    return literal(query.date_to, Date)


def _dossier_rows(session: Session, query: IndicatorQuery, sql: _Sql) -> list[dict[str, Any]]:
    dossier = RegisteredDossier
    as_of = _as_of(query)
    digitized = dossier.first_digitized_on <= as_of
    waiting = or_(dossier.first_digitized_on.is_(None), dossier.first_digitized_on > as_of)
    issued = and_(dossier.result_issued_on.is_not(None), dossier.result_issued_on <= as_of)

    def aged(low: int, high: int | None) -> ColumnElement[bool]:
        """Received between ``low`` and ``high`` days before ``as_of`` (date comparisons)."""
        received = dossier.received_on
        oldest = [received >= query.date_to - timedelta(days=high)] if high is not None else []
        return and_(received <= query.date_to - timedelta(days=low), *oldest)

    backlog = [
        func.sum(case((and_(waiting, aged(low, high)), 1), else_=0)).label(f"backlog_{label}")
        for label, low, high in BACKLOG_BUCKETS
    ]
    groups = _group_columns(query, sql, dossier.received_on, dossier.unit, dossier.procedure)
    statement = (
        select(
            *groups,
            func.count().label("received"),
            func.sum(case((digitized, 1), else_=0)).label("digitized_dossiers"),
            func.sum(case((issued, 1), else_=0)).label("issued"),
            func.sum(case((and_(issued, digitized), 1), else_=0)).label("issued_digitized"),
            *backlog,
        )
        .where(dossier.received_on.between(query.date_from, query.date_to))
        .group_by(*groups)
    )
    statement = _filtered(statement, query, dossier.unit, dossier.procedure)
    rows = []
    for row in session.execute(statement).mappings():
        values = dict(row)
        values["backlog"] = {b[0]: int(values.pop(f"backlog_{b[0]}") or 0) for b in BACKLOG_BUCKETS}
        rows.append(values)
    return rows


def _median_rows(session: Session, query: IndicatorQuery, sql: _Sql) -> list[dict[str, Any]]:
    """Median days from receipt to the first digitized record, per group: SQL
    counts the dossiers of each (group, days), the middle one or two values are
    read off those counts (no MEDIAN in SQLite; sorting every dossier is slower)."""
    dossier = RegisteredDossier
    groups = _group_columns(query, sql, dossier.received_on, dossier.unit, dossier.procedure)
    days = sql.days_between(dossier.received_on, dossier.first_digitized_on).label("days")
    statement = (
        select(*groups, days, func.count().label("dossiers"))
        .where(
            dossier.first_digitized_on <= _as_of(query),
            dossier.received_on.between(query.date_from, query.date_to),
        )
        .group_by(*groups, days)
    )
    statement = _filtered(statement, query, dossier.unit, dossier.procedure)
    counts: dict[tuple[Any, ...], list[tuple[int, int]]] = {}
    for row in session.execute(statement):
        *group, value, dossiers = row
        counts.setdefault(tuple(group), []).append((int(value), int(dossiers)))
    return [
        {**dict(zip(query.group_by, group, strict=True)), "median": _median(values)}
        for group, values in counts.items()
    ]


def _median(counted: list[tuple[int, int]]) -> float:
    """The median of values given as (value, how many times)."""
    ordered = sorted(counted)
    total = sum(n for _, n in ordered)

    def value_at(position: int) -> int:  # 1-based, in sorted order
        seen = 0
        for value, n in ordered:
            seen += n
            if seen >= position:
                return value
        raise ValueError(position)

    # the middle value of an odd count, the mean of the two middle ones of an even count
    return (value_at((total + 1) // 2) + value_at((total + 2) // 2)) / 2


def _record_rows(session: Session, query: IndicatorQuery, sql: _Sql) -> list[dict[str, Any]]:
    record = DigitizedRecord
    groups = _group_columns(query, sql, record.digitized_on, record.unit, record.procedure)
    statement = (
        select(
            *groups,
            func.count().label("records"),
            func.coalesce(func.sum(record.pages), 0).label("pages"),
            func.avg(record.mean_ocr_confidence).label("mean_ocr_confidence"),
            func.sum(case((record.needs_review, 1), else_=0)).label("flagged_for_review"),
        )
        .where(record.digitized_on.between(query.date_from, query.date_to))
        .group_by(*groups)
    )
    return _rows(session, _filtered(statement, query, record.unit, record.procedure))


def _batch_rows(session: Session, query: IndicatorQuery, sql: _Sql) -> list[dict[str, Any]]:
    run = BatchRun
    groups = _group_columns(query, sql, run.started_on, run.unit, None)
    statement = (
        select(
            *groups,
            func.count().label("batches"),
            func.sum(case((run.failed_reason != "", 1), else_=0)).label("failed_batches"),
            func.coalesce(func.sum(run.files), 0).label("files"),
            func.coalesce(func.sum(run.quarantined_files), 0).label("quarantined_files"),
        )
        .where(run.started_on.between(query.date_from, query.date_to), run.claimed_by == "")
        .group_by(*groups)
    )
    return _rows(session, _filtered(statement, query, run.unit, None))


def _reuse_rows(session: Session, query: IndicatorQuery, sql: _Sql) -> list[dict[str, Any]]:
    reuse = ReuseAction
    day = sql.local_day(reuse.at)
    groups = _group_columns(query, sql, day, reuse.unit, None)
    statement = (
        select(
            *groups,
            func.count().label("reuse_actions"),
            func.count(func.distinct(reuse.new_dossier_code)).label("dossiers_served_by_reuse"),
        )
        .where(sql.local_days(reuse.at, query.date_from, query.date_to))
        .group_by(*groups)
    )
    return _rows(session, _filtered(statement, query, reuse.unit, None))


def _lookup_rows(session: Session, query: IndicatorQuery, sql: _Sql) -> list[dict[str, Any]]:
    event = AuditEvent
    day = sql.local_day(event.at)
    groups = _group_columns(query, sql, day, User.unit, None)
    statement = (
        select(*groups, func.count().label("lookups"))
        .select_from(event.__table__.join(User.__table__, User.id == event.user_id))
        .where(
            event.action.in_(LOOKUP_ACTIONS),
            sql.local_days(event.at, query.date_from, query.date_to),
        )
        .group_by(*groups)
    )
    return _rows(session, _filtered(statement, query, User.unit, None))


def _rows(session: Session, statement: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in session.execute(statement).mappings()]


def compute_indicators(session: Session, query: IndicatorQuery) -> list[IndicatorRow]:
    """One row per group present in any family, sorted by period, unit, procedure."""
    sql = _Sql(session, query.timezone)
    by_procedure = "procedure" in query.group_by or query.procedure is not None
    families = [
        _dossier_rows(session, query, sql),
        [
            {**row, "median_days_to_digitize": row.pop("median")}
            for row in _median_rows(session, query, sql)
        ],
        _record_rows(session, query, sql),
    ]
    if not by_procedure:
        families += [
            _batch_rows(session, query, sql),
            _reuse_rows(session, query, sql),
            _lookup_rows(session, query, sql),
        ]
    merged: dict[tuple[str | None, ...], IndicatorRow] = {}
    for family in families:
        for values in family:
            key = tuple(_text(values.pop(name, None)) for name in DIMENSIONS)
            row = merged.setdefault(key, _empty_row(key, by_procedure))
            for name, value in values.items():
                setattr(row, name, _number(value))
    if not query.group_by and not merged:
        merged[(None, None, None)] = _empty_row((None, None, None), by_procedure)
    return sorted(merged.values(), key=lambda r: tuple(v or "" for v in r.key))


def _empty_row(key: Sequence[str | None], by_procedure: bool) -> IndicatorRow:
    row = IndicatorRow(period=key[0], unit=key[1], procedure=key[2])
    if not by_procedure:
        for name in ("batches", "failed_batches", "files", "quarantined_files"):
            setattr(row, name, 0)
        for name in ("reuse_actions", "lookups", "dossiers_served_by_reuse"):
            setattr(row, name, 0)
    return row


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _number(value: Any) -> Any:
    """PostgreSQL's AVG is a Decimal; counts and sums are ints on both databases."""
    return float(value) if isinstance(value, Decimal) else value


def operator_throughput(session: Session, query: IndicatorQuery) -> list[OperatorThroughput]:
    record = DigitizedRecord
    statement = (
        select(
            record.operator,
            func.count(),
            func.coalesce(func.sum(record.pages), 0),
            func.count(func.distinct(record.batch_id)),
        )
        .where(record.digitized_on.between(query.date_from, query.date_to))
        .group_by(record.operator)
        .order_by(func.sum(record.pages).desc(), record.operator)
    )
    statement = _filtered(statement, query, record.unit, record.procedure)
    return [
        OperatorThroughput(operator, int(records), int(pages), int(batches))
        for operator, records, pages, batches in session.execute(statement)
    ]


def batch_throughput(
    session: Session, query: IndicatorQuery, limit: int = 1000
) -> list[BatchThroughput]:
    run = BatchRun
    statement = (
        select(
            run.batch_id,
            run.operator,
            run.unit,
            run.started_at,
            run.duration_seconds,
            run.files,
            run.records,
            run.pages,
            run.quarantined_files,
        )
        .where(run.started_on.between(query.date_from, query.date_to), run.claimed_by == "")
        .order_by(run.started_at)
        .limit(limit)
    )
    statement = _filtered(statement, query, run.unit, None)
    return [BatchThroughput(*row) for row in session.execute(statement)]
