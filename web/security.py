"""Who is asking: a bearer token (the API) or a signed session cookie (the
pages), the CSRF check on form posts, and the role checks routes depend on.

The session cookie is ``payload.signature``: the payload (user id, when it
was issued, the CSRF token) in base64url JSON, signed with HMAC-SHA256 under
the secret key. It is HttpOnly, SameSite=Lax, Secure over https, and
expires after ``SOHOA_SESSION_MINUTES``; a password reset or a disabled
account ends it at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from sohoa.app import accounts, audit
from sohoa.app.accounts import Principal
from sohoa.core.settings import Settings
from sohoa.storage.database import session_scope
from sohoa.storage.schema.accounts import AuditAction

SESSION_COOKIE = "sohoa_session"
LOGIN_CSRF_COOKIE = "sohoa_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SECRET_KEY_FILE = "secret_key"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class NotSignedIn(Exception):
    """No valid token or session: 401 for the API, the login page for a browser."""


class Forbidden(Exception):
    """Signed in, but the role does not allow this (403)."""


class CsrfRefused(Exception):
    """A form post without the session's CSRF token (403)."""


def secret_key(settings: Settings) -> bytes:
    """``SOHOA_SECRET_KEY``, else a key generated once and kept (mode 600) in the data folder."""
    configured = settings.secret_key.get_secret_value()
    if configured:
        return configured.encode()
    path: Path = settings.data_dir / SECRET_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_hex(32).encode())
    return path.read_bytes().strip()


def _sign(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def session_cookie(key: bytes, user_id: int) -> str:
    payload = json.dumps({"u": user_id, "i": int(time.time()), "c": secrets.token_urlsafe(24)})
    encoded = base64.urlsafe_b64encode(payload.encode()).decode()
    return f"{encoded}.{_sign(key, encoded.encode())}"


def read_session(key: bytes, cookie: str, max_age_seconds: int) -> dict[str, int | str] | None:
    """The cookie's payload if its signature holds and it has not expired."""
    encoded, _, signature = cookie.partition(".")
    if not hmac.compare_digest(_sign(key, encoded.encode()), signature):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(encoded))
    except ValueError:
        return None
    if not isinstance(payload, dict) or time.time() - int(payload["i"]) > max_age_seconds:
        return None
    return payload


def client_address(request: Request) -> str:
    """The peer's address (a proxy in front must be the one peer the app sees)."""
    return request.client.host if request.client else ""


def log(
    session: Session,
    who: Principal,
    request: Request,
    action: AuditAction,
    record_id: str = "",
    detail: str = "",
) -> None:
    """Append this request's audit event: who, what, which record, from where."""
    audit.append(
        session,
        who,
        action,
        client_address=client_address(request),
        record_id=record_id,
        detail=detail,
    )


def attachment(filename: str) -> dict[str, str]:
    """Headers that make a browser save the response as ``filename``."""
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def database(request: Request) -> Iterator[Session]:
    """One database session per request, committed when the route returns."""
    with session_scope(settings_of(request).database_url) as session:
        yield session


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get(CSRF_FIELD, ""))
    if not sent or not hmac.compare_digest(sent, expected):
        raise CsrfRefused()


async def signed_in(request: Request, session: Session = Depends(database)) -> Principal:
    """The user behind the request's bearer token or session cookie.

    Raises:
        NotSignedIn: neither is valid.
        CsrfRefused: a cookie-authenticated post without the session's CSRF token.
    """
    settings = settings_of(request)
    token = _bearer(request)
    if token is not None:
        user = accounts.user_for_token(session, token)
        if user is None:
            raise NotSignedIn()
        return accounts.principal(user)
    cookie = request.cookies.get(SESSION_COOKIE)
    payload = cookie and read_session(
        request.app.state.secret_key, cookie, settings.session_minutes * 60
    )
    user = accounts.active_user(session, int(payload["u"])) if payload else None
    if not payload or user is None:
        raise NotSignedIn()
    who = accounts.principal(user)
    if who.password_changed_at.timestamp() > int(payload["i"]) + 1:
        raise NotSignedIn()  # signed before the password was reset
    request.state.csrf_token = str(payload["c"])
    if request.method in _UNSAFE_METHODS:
        await _check_csrf(request, str(payload["c"]))
    return who


def requires(
    allowed: Callable[[Principal], bool],
) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the signed-in user, if ``allowed(user)``."""

    async def check(who: Principal = Depends(signed_in)) -> Principal:
        if not allowed(who):
            raise Forbidden()
        return who

    return check


def _reads_records(who: Principal) -> bool:
    return who.reads_records


def _reads_audit(who: Principal) -> bool:
    return who.reads_audit


def _manages_users(who: Principal) -> bool:
    return who.manages_users


def _anyone(who: Principal) -> bool:
    return True


record_reader = requires(_reads_records)
audit_reader = requires(_reads_audit)
user_manager = requires(_manages_users)
any_user = requires(_anyone)
