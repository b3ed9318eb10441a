"""Retention periods from the metadata rules: a record's disposal date, and
`sohoa retention --due` listing the records past it (nothing is deleted)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from sohoa.app import backends
from sohoa.app.retention import retention_of
from sohoa.core.errors import ConfigurationError
from sohoa.models import DocumentType
from sohoa.pipeline.metadata import DEFAULT_RULES, load_rules
from sohoa.storage.manifests import iter_records, save_record
from tests.helpers.cli import run_cli
from tests.helpers.records import make_record


def test_disposal_date_follows_the_type_and_the_issue_date() -> None:
    rules = load_rules()
    letter = make_record(
        "cv", ["x"], document_type=DocumentType.OFFICIAL_LETTER, issue_date=date(2012, 2, 29)
    )
    decision = make_record(
        "qd", ["x"], document_type=DocumentType.DECISION, issue_date=date(2012, 2, 29)
    )
    undated = make_record("bn", ["x"], document_type=DocumentType.RECEIPT)

    kept = retention_of(letter, rules)
    assert (kept.years, kept.disposal_date) == (10, date(2022, 2, 28))
    assert kept.due(date(2022, 2, 28)) and not kept.due(date(2022, 2, 27))
    assert retention_of(decision, rules).disposal_date is None  # permanent
    assert not retention_of(decision, rules).due(date(2999, 1, 1))
    start = undated.digitized_at.date()
    assert retention_of(undated, rules).disposal_date == start.replace(year=start.year + 5)


def test_a_retention_that_is_not_years_is_an_error(tmp_path: Path) -> None:
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace("retention: 10", "retention: ten", 1)
    (tmp_path / "rules.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="retention must be a number of years"):
        load_rules(tmp_path / "rules.yaml")


def test_retention_due_lists_what_is_past_its_period_and_deletes_nothing(data_dir: Path) -> None:
    store = backends.object_store()
    old_letter = make_record(
        "cv-2010",
        ["x"],
        document_type=DocumentType.OFFICIAL_LETTER,
        issue_date=date(2010, 5, 4),
        dossier_code="HS-1",
    )
    new_letter = make_record(
        "cv-2020", ["x"], document_type=DocumentType.OFFICIAL_LETTER, issue_date=date(2020, 5, 4)
    )
    decision = make_record(
        "qd-1990", ["x"], document_type=DocumentType.DECISION, issue_date=date(1990, 1, 1)
    )
    for record in (old_letter, new_letter, decision):
        save_record(store, record)
    env = {"SOHOA_DATA_DIR": str(data_dir)}

    listed = run_cli("retention", "--due", "--on", "2024-06-01", "--json", env=env)

    assert listed.returncode == 0, listed.stderr[-2000:]
    assert json.loads(listed.stdout) == [
        {
            "record_id": old_letter.record_id,
            "document_type": "cong_van",
            "dossier_code": "HS-1",
            "retention_years": 10,
            "disposal_date": "2020-05-04",
        }
    ]
    assert len(list(iter_records(store))) == 3
    shown = run_cli("show", decision.record_id, env=env).stdout
    assert "retention      kept permanently" in shown
    shown = run_cli("show", old_letter.record_id, env=env).stdout
    assert "retention      10 years: may be disposed of from 2020-05-04" in shown
