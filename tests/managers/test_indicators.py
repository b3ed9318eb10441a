"""Every indicator, computed by SQL, against an independent computation in
plain Python over the same generated rows."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest

from sohoa.app.indicators import (
    Granularity,
    IndicatorQuery,
    batch_throughput,
    compute_indicators,
    operator_throughput,
)
from sohoa.app.register_samples import GeneratedData
from sohoa.storage.database import session_scope

VIETNAM = timedelta(hours=7)  # no daylight saving time


def period_of(day: date, granularity: Granularity) -> str:
    if granularity is Granularity.WEEK:
        day -= timedelta(days=day.weekday())
    elif granularity is Granularity.MONTH:
        day = day.replace(day=1)
    elif granularity is Granularity.QUARTER:
        day = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    elif granularity is Granularity.YEAR:
        day = day.replace(month=1, day=1)
    return day.isoformat()


def expected_indicators(data: GeneratedData, q: IndicatorQuery) -> dict[tuple[Any, ...], dict]:
    as_of = q.date_to
    by_procedure = "procedure" in q.group_by or q.procedure is not None

    def key(day: date, unit: str, procedure: str | None) -> tuple[Any, ...]:
        values = {"period": period_of(day, q.granularity), "unit": unit, "procedure": procedure}
        return tuple(
            values[n] if n in q.group_by else None for n in ("period", "unit", "procedure")
        )

    def wanted(day: date, unit: str, procedure: str | None) -> bool:
        return (
            q.date_from <= day <= q.date_to
            and q.unit in (None, unit)
            and (q.procedure is None or procedure is None or procedure == q.procedure)
        )

    rows: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    first: dict[str, date] = {}
    for record in data.records:
        known = first.get(record["match_key"])
        if known is None or record["digitized_on"] < known:
            first[record["match_key"]] = record["digitized_on"]
    delays: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for dossier in data.dossiers:
        received, unit, procedure = dossier["received_on"], dossier["unit"], dossier["procedure"]
        if not wanted(received, unit, procedure):
            continue
        row = rows[key(received, unit, procedure)]
        row["received"] += 1
        done = first.get(dossier["code_key"])
        digitized = done is not None and done <= as_of
        issued = dossier["result_issued_on"] is not None and dossier["result_issued_on"] <= as_of
        row["digitized_dossiers"] += digitized
        row["issued"] += issued
        row["issued_digitized"] += issued and digitized
        if digitized:
            delays[key(received, unit, procedure)].append((done - received).days)
        else:
            age = (as_of - received).days
            bucket = (
                "0_7" if age <= 7 else "8_30" if age <= 30 else "31_90" if age <= 90 else "over_90"
            )
            row[f"backlog_{bucket}"] += 1
    for group, values in delays.items():
        rows[group]["median_days_to_digitize"] = float(statistics.median(values))
    confidences: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    for record in data.records:
        day, unit, procedure = record["digitized_on"], record["unit"], record["procedure"]
        if not wanted(day, unit, procedure):
            continue
        row = rows[key(day, unit, procedure)]
        row["records"] += 1
        row["pages"] += record["pages"]
        row["flagged_for_review"] += record["needs_review"]
        confidences[key(day, unit, procedure)].append(record["mean_ocr_confidence"])
    for group, values in confidences.items():
        rows[group]["mean_ocr_confidence"] = statistics.fmean(values)
    if by_procedure:
        return rows
    for run in data.batches:
        if run["claimed_by"] or not wanted(run["started_on"], run["unit"], None):
            continue
        row = rows[key(run["started_on"], run["unit"], None)]
        row["batches"] += 1
        row["failed_batches"] += bool(run["failed_reason"])
        row["files"] += run["files"]
        row["quarantined_files"] += run["quarantined_files"]
    served: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    for action in data.reuse:
        day = (action["at"] + VIETNAM).date()
        if wanted(day, action["unit"], None):
            rows[key(day, action["unit"], None)]["reuse_actions"] += 1
            served[key(day, action["unit"], None)].add(action["new_dossier_code"])
    for group, codes in served.items():
        rows[group]["dossiers_served_by_reuse"] = len(codes)
    unit_of = {user["id"]: user["unit"] for user in data.users}
    for event in data.events:
        day, unit = (event["at"] + VIETNAM).date(), unit_of[event["user_id"]]
        if event["action"] in ("view", "search") and wanted(day, unit, None):
            rows[key(day, unit, None)]["lookups"] += 1
    return rows


def assert_same(data: GeneratedData, url: str, query: IndicatorQuery) -> int:
    with session_scope(url) as session:
        computed = {row.key: row.as_dict() for row in compute_indicators(session, query)}
    expected = expected_indicators(data, query)
    assert set(computed) == set(expected)
    for group, figures in expected.items():
        row = computed[group]
        for name, value in figures.items():
            got = (
                row["backlog"][name.removeprefix("backlog_")]
                if name.startswith("backlog_")
                else row[name]
            )
            assert got == pytest.approx(value), (group, name)
        received = figures.get("received", 0)
        if received:
            assert row["digitization_rate"] == pytest.approx(
                figures["digitized_dossiers"] / received
            )
        if figures.get("lookups"):
            assert row["reuse_rate"] == pytest.approx(
                figures.get("reuse_actions", 0) / figures["lookups"]
            )
        if figures.get("files"):
            assert row["quarantine_rate"] == pytest.approx(
                figures["quarantined_files"] / figures["files"]
            )
        for name in ("median_days_to_digitize", "mean_ocr_confidence"):
            if name not in figures:
                assert row[name] is None, (group, name)
    return len(expected)


YEAR = (date(2024, 1, 1), date(2024, 12, 31))


@pytest.mark.parametrize(
    "query",
    [
        IndicatorQuery(*YEAR),
        IndicatorQuery(*YEAR, Granularity.MONTH, ("period",)),
        IndicatorQuery(*YEAR, Granularity.MONTH, ("unit",)),
        IndicatorQuery(*YEAR, Granularity.QUARTER, ("period", "procedure")),
        IndicatorQuery(*YEAR, Granularity.MONTH, ("period", "unit", "procedure")),
        IndicatorQuery(*YEAR, Granularity.YEAR, ("period", "unit")),
        IndicatorQuery(date(2024, 3, 1), date(2024, 4, 30), Granularity.WEEK, ("period", "unit")),
        IndicatorQuery(
            date(2024, 6, 1), date(2024, 6, 14), Granularity.DAY, ("period",), unit="Sở Tư pháp"
        ),
        IndicatorQuery(*YEAR, Granularity.MONTH, ("period",), procedure="Đăng ký kết hôn"),
    ],
    ids=lambda q: (
        f"{q.granularity}-{'+'.join(q.group_by) or 'total'}-{q.unit or q.procedure or ''}"
    ),
)
def test_every_indicator_matches_a_python_computation(
    generated: tuple[str, GeneratedData], query: IndicatorQuery
) -> None:
    url, data = generated
    assert assert_same(data, url, query) >= 1


def test_the_generated_year_has_what_the_indicators_need(
    generated: tuple[str, GeneratedData],
) -> None:
    url, data = generated
    with session_scope(url) as session:
        (total,) = compute_indicators(session, IndicatorQuery(*YEAR))
    assert total.received == 100_000
    assert 0.5 < total.digitization_rate < 0.8  # partial, and neither none nor all
    assert total.backlog_total == total.received - total.digitized_dossiers
    assert total.reuse_actions and total.lookups and total.failed_batches
    assert total.batches is not None and total.batches < len(data.batches)  # claimed runs left out


def test_throughput_per_operator_and_per_batch(generated: tuple[str, GeneratedData]) -> None:
    url, data = generated
    query = IndicatorQuery(date(2024, 5, 1), date(2024, 5, 31), unit="Sở Tư pháp")
    with session_scope(url) as session:
        operators = operator_throughput(session, query)
        batches = batch_throughput(session, query)
    in_may = [
        r for r in data.records
        if r["unit"] == "Sở Tư pháp" and date(2024, 5, 1) <= r["digitized_on"] <= date(2024, 5, 31)
    ]  # fmt: skip
    expected = defaultdict(lambda: [0, 0, set()])
    for record in in_may:
        figures = expected[record["operator"]]
        figures[0] += 1
        figures[1] += record["pages"]
        figures[2].add(record["batch_id"])
    assert {o.operator: (o.records, o.pages, o.batches) for o in operators} == {
        name: (n, pages, len(ids)) for name, (n, pages, ids) in expected.items()
    }
    runs = [
        b for b in data.batches
        if b["unit"] == "Sở Tư pháp" and not b["claimed_by"]
        and date(2024, 5, 1) <= b["started_on"] <= date(2024, 5, 31)
    ]  # fmt: skip
    assert sorted(b.batch_id for b in batches) == sorted(b["batch_id"] for b in runs)
    assert all(b.pages_per_hour == pytest.approx(b.pages * 2) for b in batches)  # 30-minute runs
