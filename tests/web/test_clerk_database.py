"""Accounts, tokens, the login rate limit, the audit log, corrections, reuse
and review confirmations on the database itself, on SQLite and on the live
PostgreSQL (``database_url``): the same rules hold on both, timezones,
booleans and text comparisons included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.app import accounts, audit, corrections, reuse, review
from sohoa.app.accounts import Principal
from sohoa.core.errors import InvalidRequest
from sohoa.storage.database import migrate, session_scope
from sohoa.storage.schema.accounts import ApiToken, AuditAction, AuditEvent, Role
from tests.helpers.records import make_record
from tests.helpers.web import PASSWORD

UNIT = "UBND Phường Láng Hạ"
RECORD = make_record(
    "db-record", ["Họ và tên: Nguyễn Văn Ánh"], unit=UNIT, citizen_ids=["001085012345"]
)


@pytest.fixture
def url(database_url: str) -> str:
    migrate(database_url)
    return database_url


def _clerk(session: Session, name: str = "lan", **options: object) -> Principal:
    user = accounts.create_user(session, name, PASSWORD, Role.CLERK, unit=UNIT, **options)  # type: ignore[arg-type]
    return accounts.principal(user)


def test_users_passwords_and_flags_round_trip(url: str) -> None:
    with session_scope(url) as session:
        _clerk(session, all_units=True)
        with pytest.raises(InvalidRequest):
            _clerk(session)
        with pytest.raises(InvalidRequest):
            accounts.create_user(session, "short", "ngắn", Role.CLERK)
    with session_scope(url) as session:
        user = accounts.authenticate(session, "lan", PASSWORD)
        assert user is not None and user.password_hash.startswith("$argon2id$")
        who = accounts.principal(user)
        assert who.all_units is True and who.unit_scope is None
        assert who.password_changed_at.tzinfo is not None
        assert abs(datetime.now(UTC) - who.password_changed_at) < timedelta(minutes=1)
        assert accounts.authenticate(session, "lan", "wrong password") is None
        assert accounts.authenticate(session, "LAN", PASSWORD) is None  # names are exact
        assert accounts.authenticate(session, "nobody", PASSWORD) is None
        accounts.set_disabled(session, "lan")
    with session_scope(url) as session:
        assert accounts.authenticate(session, "lan", PASSWORD) is None
        assert [u.disabled for u in accounts.list_users(session)] == [True]


def test_tokens_stop_when_expired_revoked_or_the_user_is_disabled(url: str) -> None:
    with session_scope(url) as session:
        user = accounts.create_user(session, "lan", PASSWORD, Role.CLERK)
        valid = accounts.issue_token(session, user, "counter 1")
        expired = accounts.issue_token(session, user, "old", days=-1)
        revoked = accounts.issue_token(session, user, "lost")
    with session_scope(url) as session:
        session.scalars(select(ApiToken).where(ApiToken.name == "lost")).one().revoked = True
    with session_scope(url) as session:
        found = accounts.user_for_token(session, valid)
        assert found is not None and found.username == "lan"
        assert accounts.user_for_token(session, expired) is None
        assert accounts.user_for_token(session, revoked) is None
        assert accounts.user_for_token(session, "sohoa_not-a-token") is None
        accounts.set_disabled(session, "lan")
    with session_scope(url) as session:
        assert accounts.user_for_token(session, valid) is None


def test_login_rate_limit_counts_recent_failures_per_name_and_address(url: str) -> None:
    window = timedelta(minutes=15)

    def failure(username: str, address: str, at: datetime | None = None) -> None:
        with session_scope(url) as session:
            audit.append(
                session,
                None,
                AuditAction.LOGIN_FAILED,
                client_address=address,
                username=username,
            )
            if at is not None:
                event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
                assert event is not None
                event.at = at

    long_ago = datetime.now(UTC) - 2 * window
    for _ in range(3):
        failure("lan", "10.0.0.1", at=long_ago)
    for _ in range(2):
        failure("lan", "10.0.0.1")
    failure("lan", "10.0.0.2")
    with session_scope(url) as session:
        assert not accounts.login_refused(session, "lan", "10.0.0.1", 3, window)
    failure("lan", "10.0.0.1")
    with session_scope(url) as session:
        assert accounts.login_refused(session, "lan", "10.0.0.1", 3, window)
        assert not accounts.login_refused(session, "lan", "10.0.0.2", 3, window)
        assert not accounts.login_refused(session, "binh", "10.0.0.1", 3, window)


def test_audit_log_filters_orders_and_exports(url: str) -> None:
    with session_scope(url) as session:
        who = _clerk(session)
        for action, record_id, detail in (
            (AuditAction.SEARCH, "", "nguyen van anh"),
            (AuditAction.VIEW, RECORD.record_id, ""),
            (AuditAction.DOWNLOAD, RECORD.record_id, "searchable_pdf"),
            (AuditAction.EDIT, RECORD.record_id, "=HYPERLINK(evil)"),
        ):
            audit.append(
                session, who, action, client_address="10.0.0.9", record_id=record_id, detail=detail
            )
    with session_scope(url) as session:
        total, events = audit.browse(session, audit.AuditFilter(username="lan"))
        assert total == 4
        assert [e.action for e in events] == ["edit", "download", "view", "search"]
        prefix = RECORD.record_id[:8]
        for typed in (prefix, prefix.upper(), f" {prefix} "):
            assert audit.browse(session, audit.AuditFilter(record_id=typed))[0] == 3, typed
        assert audit.browse(session, audit.AuditFilter(record_id="%"))[0] == 0
        assert audit.browse(session, audit.AuditFilter(action="download"))[0] == 1
        since = audit.AuditFilter(since=datetime.now(UTC) - timedelta(minutes=5))
        assert audit.browse(session, since)[0] == 4
        future = audit.AuditFilter(since=datetime.now(UTC) + timedelta(minutes=5))
        assert audit.browse(session, future)[0] == 0
        lines = "".join(
            audit.csv_lines(audit.all_events(session, audit.AuditFilter()))
        ).splitlines()
        assert lines[0] == ",".join(audit.CSV_COLUMNS)
        assert [line.split(",")[2] for line in lines[1:]] == ["search", "view", "download", "edit"]
        assert lines[-1].split(",")[4] == "'=HYPERLINK(evil)"


def test_corrections_keep_the_original_and_the_latest_wins(url: str) -> None:
    with session_scope(url) as session:
        lan, binh = _clerk(session), _clerk(session, "binh")
        corrections.correct(session, lan, RECORD, "person_name", "  Nguyễn   Văn Anh ")
        corrections.correct(session, binh, RECORD, "person_name", "Nguyễn Văn Ánh")
        corrections.correct(session, lan, RECORD, "citizen_id", "001085012346")
        with pytest.raises(InvalidRequest):
            corrections.correct(session, lan, RECORD, "password_hash", "x")
    with session_scope(url) as session:
        history = corrections.history(session, RECORD.record_id)
        assert [(e.field, e.new_value, who) for e, who in history] == [
            ("person_name", "Nguyễn Văn Anh", "lan"),
            ("person_name", "Nguyễn Văn Ánh", "binh"),
            ("citizen_id", "001085012346", "lan"),
        ]
        fields = {f.name: f for f in corrections.effective_metadata(session, RECORD)}
        assert (fields["citizen_id"].value, fields["citizen_id"].original) == (
            "001085012346",
            "001085012345",
        )
        assert fields["person_name"].corrected_by == "binh"
        assert fields["person_name"].corrected_at is not None
        assert not fields["tax_code"].corrected


def test_reuse_is_counted_per_record_newest_first(url: str) -> None:
    with session_scope(url) as session:
        who = _clerk(session)
        reuse.record_reuse(session, who, RECORD.record_id, "HS-2025-001")
        reuse.record_reuse(session, who, RECORD.record_id, " HS-2025-002 ")
        with pytest.raises(InvalidRequest):
            reuse.record_reuse(session, who, RECORD.record_id, "<script>")
    with session_scope(url) as session:
        found = reuse.reuses_of(session, RECORD.record_id)
        assert [(a.new_dossier_code, a.unit, u) for a, u in found] == [
            ("HS-2025-002", UNIT, "lan"),
            ("HS-2025-001", UNIT, "lan"),
        ]
        assert reuse.reuses_of(session, "0" * 64) == []


def test_review_confirmation_is_kept_once(url: str) -> None:
    with session_scope(url) as session:
        lan, binh = _clerk(session), _clerk(session, "binh")
        review.confirm(session, lan, RECORD.record_id, "đã kiểm tra")
        review.confirm(session, binh, RECORD.record_id)
    with session_scope(url) as session:
        confirmed = review.confirmation(session, RECORD.record_id)
        assert confirmed is not None and confirmed.note == "đã kiểm tra"
        assert review.confirmed_ids(session) == {RECORD.record_id}
        assert review.confirmation(session, "0" * 64) is None
