"""Pages treat an empty query parameter as an absent one.

A page's GET form sends every field, filled or not (``/search?q=lora&since=&until=``); a blank
date or number would otherwise fail validation and turn a plain search into an error page. The
JSON API is left strict.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class BlankParamsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/api/"):
            query: bytes = scope.get("query_string", b"")
            if b"=&" in query + b"&":  # the bytes as sent: nothing decoded and encoded again
                kept = [part for part in query.split(b"&") if part and not part.endswith(b"=")]
                scope = {**scope, "query_string": b"&".join(kept)}
        await self.app(scope, receive, send)
