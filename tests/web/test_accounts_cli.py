"""``sohoa user`` on the command line, with argon2 hashes, on SQLite and on the
live PostgreSQL (the migrations are checked against the models on both in
tests/test_database.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from sohoa import cli
from sohoa.app import accounts
from sohoa.storage.database import (
    forget_engines,
    session_scope,
)
from sohoa.storage.schema.accounts import User

PASSWORD = "một mật khẩu dài"


def _run(monkeypatch: pytest.MonkeyPatch, stdin: str, *argv: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(list(argv))


def test_user_add_disable_reset_and_token(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SOHOA_DATABASE", database_url)
    monkeypatch.delenv("SOHOA_CONFIG", raising=False)
    forget_engines()
    url = database_url
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
    capsys.readouterr()
    assert _run(monkeypatch, "", "user", "token", "lan", "--token-name", "quầy 1") == 0
    token = capsys.readouterr().out.strip()
    with session_scope(url) as session:
        holder = accounts.user_for_token(session, token)
        assert holder is not None and holder.username == "lan"
    forget_engines()
