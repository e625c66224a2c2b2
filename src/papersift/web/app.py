"""The FastAPI application: pages, their JSON twins under /api, feeds, static files."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papersift import __version__
from papersift.engine import Engine
from papersift.settings import load_settings
from papersift.text import plain_text
from papersift.web import (
    account_pages,
    api,
    community,
    discussion,
    feeds,
    interests,
    interests_api,
    library_io,
    my_library,
    pages,
    reading,
    server,
    streams,
)
from papersift.web import openapi as openapi_document
from papersift.web.blank_params import BlankParamsMiddleware
from papersift.web.deps import current_user, known_params_only
from papersift.web.errors import error_response, install_error_handlers
from papersift.web.hardening import HardeningMiddleware
from papersift.web.linkify import linkify
from papersift.web.security import CSRF_COOKIE, cookie_header, csrf_token

HERE = Path(__file__).parent
MAX_BODY_BYTES = 1_000_000
REFRESH_SECONDS = 2.0
CSRF_MAX_AGE = 365 * 24 * 3600
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


class _PublicUrl:
    """``PAPERSIFT_PUBLIC_URL`` for templates (macros too), read from the engine's settings when
    a page is rendered rather than when the app is made."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __str__(self) -> str:
        return str(self.engine.settings.public_url)


def create_app(engine: Engine) -> FastAPI:
    """The web application over ``engine`` (which it does not close)."""
    app = FastAPI(
        title="papersift",
        version=__version__,
        description=(
            "Research-paper discovery: the daily feed, trending papers, search, paper pages, "
            "accounts, upvotes, submissions, collections, recommendations, follows, saved "
            "searches and the email digest. Every page has a JSON twin at the "
            "same path under /api (the feed page / is /api/feed). State-changing calls need the "
            "session cookie and the X-CSRF-Token header (GET /api/auth/csrf)."
        ),
        dependencies=[Depends(known_params_only)],
        docs_url=None,  # Swagger UI comes from a CDN; /api/docs is rendered here instead
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.engine = engine
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["version"] = __version__
    templates.env.globals["public_url"] = _PublicUrl(engine)
    templates.env.filters["plain"] = plain_text
    templates.env.filters["linkify"] = linkify
    app.state.templates = templates
    app.state.render_error = _error_renderer(templates)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(discussion.api_router)
    app.include_router(discussion.feed_router)
    app.include_router(discussion.router)
    app.include_router(community.api_router)
    app.include_router(community.router)
    app.include_router(reading.api_router)
    app.include_router(reading.router)
    app.include_router(my_library.api_router)
    app.include_router(my_library.router)
    app.include_router(streams.api_router)
    app.include_router(streams.feed_router)
    app.include_router(streams.router)
    app.include_router(interests_api.router)
    app.include_router(account_pages.api)
    app.include_router(library_io.api_router)
    app.include_router(feeds.router)
    app.include_router(interests.feed_router)
    app.include_router(pages.router)
    app.include_router(library_io.router)
    app.include_router(interests.router)
    app.include_router(account_pages.router)

    @app.get("/api/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs(request: Request) -> Response:
        """The API reference, rendered from the OpenAPI schema (no scripts, works offline)."""
        return pages.render(request, "api_docs.html", schema=app.openapi())

    app.add_middleware(SiteMiddleware, engine=engine)
    app.add_middleware(BlankParamsMiddleware)
    app.add_middleware(HardeningMiddleware)  # outermost: sees every answer, renames cookies
    openapi_document.install(app)  # every status and media type an answer may have
    return app


class SiteMiddleware:
    """Per request: refuse oversized bodies, let the engine see index updates, set the CSRF
    cookie for new visitors, add security headers. Plain ASGI: no per-request task or copy."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            await self._too_large(scope, receive, send)
            return
        if _holds_nul(scope):
            await self._refuse_nul(scope, receive, send)
            return
        self.engine.refresh(min_interval=REFRESH_SECONDS)
        state: dict[str, Any] = scope.setdefault("state", {})
        received = 0
        too_large = False

        async def counted_receive() -> Message:  # bodies sent without a Content-Length
            nonlocal received, too_large
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                too_large = True
                raise _BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            if too_large:  # the framework answered the aborted read; answer 413 instead
                if message["type"] == "http.response.start":
                    await self._too_large(scope, receive, send)
                return
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                nonce = state.get("new_csrf_nonce")
                if nonce:
                    secure = scope.get("scheme") == "https"
                    headers.append(
                        "set-cookie",
                        cookie_header(CSRF_COOKIE, nonce, max_age=CSRF_MAX_AGE, secure=secure),
                    )
            await send(message)

        try:
            await self.app(scope, counted_receive, send_with_headers)
        except _BodyTooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            Request(scope, receive),
            413,
            "too_large",
            f"request bodies are limited to {MAX_BODY_BYTES} bytes",
        )
        await response(scope, receive, send)

    async def _refuse_nul(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            Request(scope, receive), 400, "bad_request", "the address holds a NUL character"
        )
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def _holds_nul(scope: Scope) -> bool:
    """Whether the path holds a NUL character: no paper id, name or token can (and PostgreSQL
    refuses it in any text). Query strings may: a search for one simply finds nothing."""
    return "\x00" in scope["path"]


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
    settings = load_settings()
    server.configure(
        server.Limits(
            max_header_bytes=settings.request_max_header_bytes,
            header_timeout=settings.request_header_timeout,
            body_timeout=settings.request_body_timeout,
        )
    )
    app = create_app(Engine(settings))
    # A server holds many long-lived objects (templates, indexes, models): keep them out of the
    # garbage collector's full passes, which otherwise show up as latency spikes.
    gc.collect()
    gc.freeze()
    return app
