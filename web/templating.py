"""Jinja2 templates with autoescaping on; every page gets the language, the
message lookup ``t``, the signed-in user and the session's CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from sohoa.app import backends
from sohoa.web.i18n import LANGUAGE_COOKIE, LANGUAGES, language, translate

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def local_time(moment: datetime, pattern: str = "%d/%m/%Y %H:%M") -> str:
    """A stored moment (UTC; SQLite hands it back without a zone) in the office's
    time zone (SOHOA_TIMEZONE)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(backends.settings().timezone)).strftime(pattern)


TEMPLATES.env.filters["local_time"] = local_time


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The template as a response; ``?lang=en`` (or ``vi``) switches the language and keeps it."""
    switched = request.query_params.get("lang")
    lang = switched if switched in LANGUAGES else language(request)
    context.setdefault("user", None)
    response = TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "other_lang": "en" if lang == "vi" else "vi",
            "t": lambda key: translate(key, lang),
            "csrf_token": getattr(request.state, "csrf_token", ""),
            **context,
        },
        status_code=status_code,
    )
    if switched in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response
