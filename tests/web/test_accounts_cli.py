"""``sohoa user`` on the command line, argon2 hashes, and the migrations
building exactly the tables the models declare."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from sohoa import cli
from sohoa.app import accounts
from sohoa.storage.database import (
    Base,
    create_database_engine,
    forget_engines,
    migrate,
    session_scope,
)
from sohoa.storage.schema.accounts import User

PASSWORD = "một mật khẩu dài"


def _run(monkeypatch: pytest.MonkeyPatch, stdin: str, *argv: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(list(argv))


def test_user_add_disable_reset_and_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SOHOA_DATABASE", raising=False)
    monkeypatch.delenv("SOHOA_CONFIG", raising=False)
    forget_engines()
    url = f"sqlite:///{tmp_path / 'sohoa.sqlite3'}"
    add = ("user", "add", "lan", "--role", "clerk", "--unit", "Phường 1", "--password-stdin")
    assert _run(monkeypatch, PASSWORD + "\n", *add) == 0
    assert _run(monkeypatch, PASSWORD + "\n", *add) != 0  # already exists
    assert _run(monkeypatch, "short\n", "user", "add", "x", "--password-stdin") != 0
    with session_scope(url) as session:
        user = session.scalar(select(User).where(User.username == "lan"))
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert accounts.authenticate(session, "lan", PASSWORD) is not None
    assert _run(monkeypatch, "", "user", "disable", "lan") == 0
    with session_scope(url) as session:
        assert accounts.authenticate(session, "lan", PASSWORD) is None
    assert _run(monkeypatch, "", "user", "disable", "lan", "--enable") == 0
    new_password = "mật khẩu mới rất dài"
    assert _run(monkeypatch, new_password + "\n", "user", "reset", "lan", "--password-stdin") == 0
    with session_scope(url) as session:
        assert accounts.authenticate(session, "lan", PASSWORD) is None
        assert accounts.authenticate(session, "lan", new_password) is not None
    assert _run(monkeypatch, "", "user", "reset", "nobody", "--password-stdin") != 0
    forget_engines()


def test_migrations_build_exactly_the_declared_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate(url)
    engine = create_database_engine(url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()
