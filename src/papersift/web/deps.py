"""Request dependencies shared by pages and API: the engine, the visitor, CSRF, strict params."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request
from fastapi.routing import APIRoute
from pydantic import BeforeValidator

from papersift import search_request
from papersift.engine import Engine
from papersift.errors import AuthenticationError, InvalidInputError, PermissionDeniedError
from papersift.store.users import User
from papersift.web.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, csrf_valid
from papersift.web.views import Visitor

_ALLOWED_PARAMS: dict[int, frozenset[str]] = {}
# Every search mode there is; those the engine does not offer (semantic search off) are refused
# with the reason by the engine, anything else by validation (never a 500).
# Every name of a search mode (see papersift.retrieval.modes): a mode that cannot answer yet
# gives keyword results with a notice, never an error.
SearchMode = Literal["auto", "keyword", "semantic", "bm25", "dense", "hybrid", "dsi", "hybrid-dsi"]
# The orders of search results (papersift.search_request.SEARCH_SORTS).
SearchSort = Literal["relevance", "date", "upvotes"]
# Ids are 64-bit integers in the store: a larger number is refused here (it would overflow there).
MAX_ID = 2**63 - 1
CollectionId = Annotated[int, Path(ge=-MAX_ID, le=MAX_ID)]
# The JSON API's strict parameter types: the schema says exactly what is accepted.
CATEGORY_PATTERN = f"^{search_request.CATEGORY_PATTERN}$"
Category = Annotated[
    str | None,
    Query(max_length=40, pattern=CATEGORY_PATTERN, description="An arXiv category or archive."),
]


def _iso_date(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("write a date as YYYY-MM-DD")
    return value


# A date written YYYY-MM-DD only (pydantic alone reads "0" as 1970-01-01).
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def current_user(request: Request) -> User | None:
    if not hasattr(request.state, "user"):
        token = request.cookies.get(SESSION_COOKIE, "")
        request.state.user = engine_of(request).accounts.session_user(token) if token else None
    user: User | None = request.state.user
    return user


# The dependencies below are ``async`` only so FastAPI calls them on the event loop instead of
# handing each to a worker thread: they do no I/O for anonymous visitors and one short indexed
# query for logged-in ones.


async def visitor(request: Request) -> Visitor:
    return Visitor(engine_of(request), current_user(request))


async def logged_in_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise AuthenticationError("log in first")
    return user


async def checked_csrf(request: Request) -> None:
    """Refuse a state-changing request without this visitor's CSRF token."""
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not csrf_valid(request, engine_of(request).secret_key(), submitted):
        raise PermissionDeniedError(
            "the form's security token is missing or out of date: reload the page and try again"
        )


async def known_params_only(request: Request) -> None:
    """Answer 400 when a JSON API call's query string names a parameter the route does not take.
    Pages ignore such parameters (shared links carry ``utm_source``, ``fbclid`` and the like)."""
    if not request.url.path.startswith("/api/"):
        return
    allowed = _allowed_params(request)
    if allowed is None:
        return
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise InvalidInputError(
            f"unknown parameter(s): {', '.join(unknown)[:200]}; this address accepts: {accepted}"
        )


def known_query(request: Request) -> list[tuple[str, str]]:
    """The query parameters the route takes (those a page ignores left out), in order."""
    allowed = _allowed_params(request)
    items = request.query_params.multi_items()
    return items if allowed is None else [(k, v) for k, v in items if k in allowed]


def _allowed_params(request: Request) -> frozenset[str] | None:
    route: Any = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return None
    allowed = _ALLOWED_PARAMS.get(id(route))
    if allowed is None:
        allowed = frozenset(_query_names(route.dependant))
        _ALLOWED_PARAMS[id(route)] = allowed
    return allowed


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names
