"""The served OpenAPI document, completed so that it describes every answer (the contract that
tests/web/test_schema.py holds the site to with schemathesis):

- every operation lists the error statuses any call may get (bad input 400 and 422, not logged
  in 401, not allowed 403, missing 404, conflict 409, too large 413, rate limited 429), with
  the JSON error shape for the API and an HTML page for feeds;
- feeds answer RSS or Atom (``application/rss+xml``, ``application/atom+xml``), not JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ERROR_STATUSES = {
    "400": "Bad input (a malformed value, an unknown parameter, an invalid link or token).",
    "401": "Not logged in, or wrong credentials.",
    "403": "Logged in, but not allowed (the CSRF token is missing or wrong, not the owner).",
    "404": "No such paper, collection, user, comment or address.",
    "409": "Clashes with what is stored (a taken address or name).",
    "413": "The request body is over 1 MB.",
    "422": "A field is missing or invalid (``fields`` says which).",
    "429": "Too many attempts: wait ``Retry-After`` seconds.",
}
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
METHODS = ("get", "put", "post", "delete", "patch")


def install(app: FastAPI) -> None:
    """Serve the completed document at the app's openapi_url (computed once)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if not getattr(app.state, "openapi_completed", False):
            complete(generate())
            app.state.openapi_completed = True
        return generate()

    app.openapi = openapi  # type: ignore[method-assign]


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Add what ``schema`` leaves out (in place; returns it)."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    error = {"$ref": "#/components/schemas/ErrorOut"} if "ErrorOut" in schemas else {}
    for path, item in schema.get("paths", {}).items():
        feed = path.startswith("/feeds/")
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if feed:
                _feed_media_types(responses)
            for status, description in ERROR_STATUSES.items():
                if feed:
                    content = {"text/html": {"schema": {"type": "string"}}}
                else:
                    content = {"application/json": {"schema": error}}
                entry = responses.setdefault(status, {"description": description})
                entry["content"] = content  # FastAPI's own 422 shape is not what is answered
                if status == "429":
                    entry.setdefault(
                        "headers",
                        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
                    )
    return schema


def _feed_media_types(responses: dict[str, Any]) -> None:
    ok = responses.setdefault("200", {"description": "The feed."})
    ok["content"] = {media: {"schema": {"type": "string"}} for media in FEED_TYPES}
    ok.setdefault("headers", {"ETag": {"schema": {"type": "string"}}})
    responses.setdefault(
        "304", {"description": "Not modified since the ETag sent as If-None-Match."}
    )
