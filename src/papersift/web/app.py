"""The FastAPI application: pages, their JSON twins under /api, feeds, static files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from papersift import __version__
from papersift.engine import Engine
from papersift.settings import load_settings
from papersift.web import api, feeds, pages
from papersift.web.deps import current_user, known_params_only
from papersift.web.errors import error_response, install_error_handlers
from papersift.web.security import CSRF_COOKIE, csrf_token, set_cookie

HERE = Path(__file__).parent
MAX_BODY_BYTES = 1_000_000
REFRESH_SECONDS = 2.0
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "font-src 'self' data:; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(engine: Engine) -> FastAPI:
    """The web application over ``engine`` (which it does not close)."""
    app = FastAPI(
        title="papersift",
        version=__version__,
        description=(
            "Research-paper discovery: the daily feed, trending papers, search, paper pages, "
            "accounts, upvotes, submissions and collections. Every page has a JSON twin at the "
            "same path under /api (the feed page / is /api/feed). State-changing calls need the "
            "session cookie and the X-CSRF-Token header (GET /api/auth/csrf)."
        ),
        dependencies=[Depends(known_params_only)],
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.engine = engine
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["version"] = __version__
    app.state.templates = templates
    app.state.render_error = _error_renderer(templates)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(feeds.router)
    app.include_router(pages.router)

    @app.middleware("http")
    async def _around(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return error_response(
                request, 413, "too_large", f"request bodies are limited to {MAX_BODY_BYTES} bytes"
            )
        engine.refresh(min_interval=REFRESH_SECONDS)
        response = await call_next(request)
        nonce = getattr(request.state, "new_csrf_nonce", None)
        if nonce:
            set_cookie(request, response, CSRF_COOKIE, nonce, max_age=365 * 24 * 3600)
        response.headers.update(SECURITY_HEADERS)
        return response

    return app


def _error_renderer(templates: Jinja2Templates) -> Callable[..., Response]:
    def render(
        request: Request,
        status: int,
        title: str,
        message: str,
        fields: dict[str, str] | None,
    ) -> Response:
        try:
            user = current_user(request)
        except Exception:  # the error page must render even when the store is down
            user = None
        context: dict[str, Any] = {
            "status": status,
            "title": title,
            "message": message,
            "fields": fields,
            "user": user,
            "csrf_token": csrf_token(request, request.app.state.engine.secret_key()),
        }
        try:
            return templates.TemplateResponse(request, "error.html", context, status_code=status)
        except Exception:
            return HTMLResponse(f"<h1>{status} {title}</h1>", status_code=status)

    return render


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory`` and ``papersift serve``: settings from PAPERSIFT_*."""
    return create_app(Engine(load_settings()))
