"""Accounts: users with an argon2 password hash and a role, API bearer tokens,
and what each role may see.

Roles (``Role``): an operator sees batch status, never record contents; a
clerk reads, corrects and reuses records; a manager also browses and exports
the audit log; an admin also manages users. Clerks and managers see the
records of their own unit unless ``all_units`` is set; admins see every unit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sohoa.core.errors import InvalidRequest
from sohoa.storage.schema.accounts import ApiToken, AuditAction, AuditEvent, Role, User

MIN_PASSWORD_LENGTH = 10
TOKEN_DAYS = 90
_HASHER = PasswordHasher()
# Verified against when the user name is unknown, so a wrong name costs as
# long as a wrong password and timing does not tell which names exist.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user as the app layer sees them."""

    user_id: int
    username: str
    display_name: str
    role: Role
    unit: str
    all_units: bool
    password_changed_at: datetime

    @property
    def reads_records(self) -> bool:
        return self.role is not Role.OPERATOR

    @property
    def reads_audit(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)

    @property
    def manages_users(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def unit_scope(self) -> str | None:
        """The one unit whose records this user sees, or None for every unit."""
        return None if self.role is Role.ADMIN or self.all_units else self.unit

    def sees_unit(self, unit: str) -> bool:
        return self.reads_records and self.unit_scope in (None, unit)


def principal(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        role=Role(user.role),
        unit=user.unit,
        all_units=user.all_units,
        password_changed_at=_aware(user.password_changed_at),
    )


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes for timezone columns; they were UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return password


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InvalidRequest(f"No user is named {username!r}.")
    return user


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    *,
    unit: str = "",
    all_units: bool = False,
    display_name: str = "",
) -> User:
    username = username.strip()
    if not username:
        raise InvalidRequest("A user needs a name.")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise InvalidRequest(f"A user named {username!r} already exists.")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=_HASHER.hash(_checked_password(password)),
        role=Role(role).value,
        unit=unit,
        all_units=all_units,
        disabled=False,
    )
    session.add(user)
    session.flush()
    return user


def set_disabled(session: Session, username: str, disabled: bool = True) -> User:
    """Disable (or enable) an account; its sessions and tokens stop working at once."""
    user = find_user(session, username)
    user.disabled = disabled
    return user


def reset_password(session: Session, username: str, password: str) -> User:
    """A new password; sessions signed before it no longer count."""
    user = find_user(session, username)
    user.password_hash = _HASHER.hash(_checked_password(password))
    user.password_changed_at = datetime.now(UTC)
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The enabled user with this name and password, else None."""
    user = session.scalar(select(User).where(User.username == username))
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return user


def login_refused(
    session: Session, username: str, client_address: str, attempts: int, window: timedelta
) -> bool:
    """Rate limit: True when this name has failed ``attempts`` times from this
    address within ``window``. Counted from the audit log in the database, so
    it holds across restarts and across the app's worker processes."""
    since = datetime.now(UTC) - window
    failures = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == AuditAction.LOGIN_FAILED.value,
            AuditEvent.username == username,
            AuditEvent.client_address == client_address,
            AuditEvent.at >= since,
        )
    )
    return (failures or 0) >= attempts


def active_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return None if user is None or user.disabled else user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str = "", days: int = TOKEN_DAYS) -> str:
    """A new bearer token for ``user``; only its SHA-256 is stored, so the
    token itself is shown once."""
    token = "sohoa_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            token_sha256=_token_digest(token),
            name=name,
            expires_at=datetime.now(UTC) + timedelta(days=days),
            revoked=False,
        )
    )
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The enabled user a valid, unexpired, unrevoked token belongs to."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _token_digest(token)))
    if row is None or row.revoked:
        return None
    if row.expires_at is not None and _aware(row.expires_at) < datetime.now(UTC):
        return None
    return active_user(session, row.user_id)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))
