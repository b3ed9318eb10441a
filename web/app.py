"""The web app: ``create_app(settings)`` builds the FastAPI application from
one router per area. Every route needs a signed-in user except the login
page and its post, the token endpoint, ``/static`` and ``/health``.

``/docs`` (a page listing the REST API's operations, rendered here: Swagger
UI would load from a CDN) and ``/openapi.json`` need a signed-in user too."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from sohoa import __version__
from sohoa.core.errors import InvalidRequest, ObjectNotFound
from sohoa.core.settings import Settings
from sohoa.storage.database import migrate
from sohoa.web import api_admin, api_records, auth, manager, pages
from sohoa.web.security import CsrfRefused, Forbidden, NotSignedIn, secret_key
from sohoa.web.templating import render

STATIC_DIR = Path(__file__).parent / "static"
# Every area's router; the manager pages will add theirs here.
ROUTERS = (auth.router, api_records.router, api_admin.router, pages.router, manager.router)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def create_app(settings: Settings) -> FastAPI:
    migrate(settings.database_url)
    app = FastAPI(
        title="sohoa",
        version=__version__,
        description="Tìm và tái sử dụng hồ sơ đã số hóa / find and reuse digitized records",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.secret_key = secret_key(settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    _handle_errors(app)
    return app


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if wants_html(request):
            target = quote(
                request.url.path + ("?" + request.url.query if request.url.query else "")
            )
            return RedirectResponse(f"/login?next={target}", status_code=303)
        return JSONResponse(
            {"detail": "Sign in: a bearer token or a session is needed."},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if wants_html(request):
            return render(request, "message.html", 403, message_key="forbidden")
        return JSONResponse({"detail": "Your role does not allow this."}, status_code=403)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return JSONResponse({"detail": "Missing or wrong CSRF token."}, status_code=403)

    @app.exception_handler(ObjectNotFound)
    async def not_found(request: Request, exc: ObjectNotFound) -> Response:
        if wants_html(request):
            return render(request, "message.html", 404, message_key="not_found")
        return JSONResponse({"detail": exc.message}, status_code=404)

    @app.exception_handler(InvalidRequest)
    async def invalid(request: Request, exc: InvalidRequest) -> Response:
        return JSONResponse({"detail": exc.message}, status_code=422)
