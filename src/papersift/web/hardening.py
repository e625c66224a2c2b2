"""Headers and cookies for a site on the open internet (plain ASGI, outermost middleware).

- ``Permissions-Policy`` on every answer: no camera, microphone, location, payment, USB or
  interest tracking for any page.
- ``Strict-Transport-Security`` on every answer over https (one year, subdomains too).
- ``Cache-Control: no-store`` on the JSON API and on every answer to a logged-in visitor (pages
  that show their name, library or settings), unless the route chose its own; static files
  keep theirs.
- Over https, papersift's cookies carry the ``__Host-`` prefix (which browsers accept only with
  Secure, Path=/ and no Domain, so no subdomain or plain-http page can plant one): answers'
  Set-Cookie headers are renamed on the way out, and requests' cookies on the way in, so the
  application knows each cookie by its one name. Over https an unprefixed papersift cookie is
  ignored.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papersift.web.security import CSRF_COOKIE, SESSION_COOKIE

HOST_PREFIX = "__Host-"
COOKIES = (SESSION_COOKIE, CSRF_COOKIE)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), "
    "browsing-topics=()"
)
HSTS = "max-age=31536000; includeSubDomains"


class HardeningMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        if https:
            scope = dict(scope)
            scope["headers"] = [
                (name, _incoming_cookies(value)) if name == b"cookie" else (name, value)
                for name, value in scope["headers"]
            ]
        path: str = scope["path"]
        personal = path.startswith("/api/") or _has_session(scope)
        static = path.startswith("/static/")

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Permissions-Policy"] = PERMISSIONS_POLICY
                if https:
                    headers["Strict-Transport-Security"] = HSTS
                    _rename_set_cookies(headers)
                sets_session = any(
                    value.startswith((SESSION_COOKIE, HOST_PREFIX + SESSION_COOKIE))
                    for value in headers.getlist("set-cookie")
                )
                if (personal or sets_session) and not static and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_hardened)


def _has_session(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"cookie" and SESSION_COOKIE.encode() + b"=" in value:
            return True
    return False


def _incoming_cookies(value: bytes) -> bytes:
    """``__Host-papersift_session=...`` as ``papersift_session=...``; unprefixed papersift
    cookies (which anyone on the network or a subdomain could have set) dropped."""
    kept = []
    for part in value.split(b";"):
        name, _, rest = part.strip().partition(b"=")
        text = name.decode("latin-1")
        if text in COOKIES:
            continue
        if text.startswith(HOST_PREFIX) and text[len(HOST_PREFIX) :] in COOKIES:
            name = text[len(HOST_PREFIX) :].encode("latin-1")
        kept.append(name + b"=" + rest)
    return b"; ".join(kept)


def _rename_set_cookies(headers: MutableHeaders) -> None:
    values = headers.getlist("set-cookie")
    if not any(value.startswith(COOKIES) for value in values):
        return
    del headers["set-cookie"]
    for value in values:
        if value.startswith(COOKIES):
            value = HOST_PREFIX + value
            if "; secure" not in value.lower():  # a deletion (Max-Age=0) needs it too
                value += "; Secure"
        headers.append("set-cookie", value)
