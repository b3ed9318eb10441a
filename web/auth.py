"""Signing in and out: the login page and its post (session cookie), the API
token endpoint (bearer token), and the health check. Failed attempts are
rate limited per user name and client address (``accounts.login_refused``)."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from sohoa.app import accounts, audit
from sohoa.app.accounts import Principal
from sohoa.storage.schema.accounts import AuditAction, User
from sohoa.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    any_user,
    client_address,
    database,
    session_cookie,
    settings_of,
)
from sohoa.web.templating import render

router = APIRouter()


@router.get("/health", include_in_schema=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


class Throttled(Exception):
    pass


def _sign_in(request: Request, session: Session, username: str, password: str) -> User | None:
    """The user if the password is right; every attempt goes to the audit log.

    Raises:
        Throttled: too many failures for this name from this address lately.
    """
    settings = settings_of(request)
    address = client_address(request)
    window = timedelta(minutes=settings.login_window_minutes)
    if accounts.login_refused(session, username, address, settings.login_attempts, window):
        raise Throttled()
    user = accounts.authenticate(session, username, password)
    if user is None:
        audit.append(
            session, None, AuditAction.LOGIN_FAILED, client_address=address, username=username
        )
    else:
        audit.append(session, accounts.principal(user), AuditAction.LOGIN, client_address=address)
    return user


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _login_page(
    request: Request, status: int = 200, error: str = "", next_url: str = "/"
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", status, login_csrf=token, error_key=error, next_url=next_url
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login", max_age=3600
    )
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str = "/") -> Response:
    return _login_page(request, next_url=_safe_next(next))


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    session: Session = Depends(database),
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(request, 403, "login_failed", _safe_next(next))
    try:
        user = _sign_in(request, session, username.strip(), password)
    except Throttled:
        return _login_page(request, 429, "login_throttled", _safe_next(next))
    if user is None:
        return _login_page(request, 401, "login_failed", _safe_next(next))
    settings = settings_of(request)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_cookie(request.app.state.secret_key, user.id),
        max_age=settings.session_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(who: Principal = Depends(any_user)) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


class TokenRequest(BaseModel):
    username: str
    password: str
    name: str = Field(default="", max_length=100)


class TokenResponse(BaseModel):
    token: str
    token_type: str = "bearer"


@router.post(
    "/api/auth/token",
    response_model=TokenResponse,
    responses={401: {"description": "Wrong user name or password"}, 429: {}},
    tags=["auth"],
)
def issue_token(
    request: Request, wanted: TokenRequest, session: Session = Depends(database)
) -> Response | TokenResponse:
    """A bearer token for the API (shown once; valid for 90 days)."""
    try:
        user = _sign_in(request, session, wanted.username.strip(), wanted.password)
    except Throttled:
        return JSONResponse({"detail": "Too many failed sign-ins; wait."}, status_code=429)
    if user is None:
        return JSONResponse({"detail": "Wrong user name or password."}, status_code=401)
    return TokenResponse(token=accounts.issue_token(session, user, wanted.name))
