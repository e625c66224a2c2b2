"""RSS 2.0 and Atom feeds: the daily feed (per category too), trending, a search, a collection.

Every link in a feed starts with ``PAPERSIFT_PUBLIC_URL``, never with the request's Host header
(which a client chooses); the daily feed carries the whole day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from papersift.features.feed import FeedRequest
from papersift.features.syndication import MEDIA_TYPES, render_feed
from papersift.model import Paper
from papersift.search_request import SearchRequest, check_category
from papersift.text import strip_control_characters
from papersift.web.deps import CollectionId, SearchMode, engine_of, known_query, visitor
from papersift.web.views import Visitor

router = APIRouter(prefix="/feeds", tags=["feeds"])
Kind = Literal["rss", "atom"]
FEED_SIZE = 100
DAY_SIZE = 10_000  # the daily feed's papers: a whole day (arXiv lists up to ~2,000 a day)
TRENDING_PERIOD = 600  # seconds a cached trending feed lasts (its scores decay with time)
VisitorDep = Annotated[Visitor, Depends(visitor)]


def respond(
    request: Request,
    papers: list[Paper],
    kind: Kind,
    *,
    title: str,
    description: str,
    page: str,
) -> Response:
    base = engine_of(request).settings.public_url
    query = request.url.query
    body = render_feed(
        papers,
        title=strip_control_characters(title),
        description=strip_control_characters(description),
        page_url=base + page,
        feed_url=base + request.url.path + (f"?{query}" if query else ""),
        paper_url=base + "/papers/{id}",
        kind=kind,
        updated=engine_of(request).clock(),
    )
    return Response(body, media_type=MEDIA_TYPES[kind])


def cached_feed(request: Request, build: Callable[[], Response], *, period: int = 0) -> Response:
    """``build()``'s feed, from the page cache while the data it shows is unchanged, with an
    ETag: a feed reader polling with If-None-Match gets 304 and no body. ``period`` (seconds)
    makes the feed expire on its own (trending changes with time)."""
    engine = engine_of(request)
    now = engine.clock()
    version = engine.data_version()
    cache = engine_of(request).page_cache
    key = cache.key(
        (
            "feed",
            request.url.path,
            "&".join(sorted(f"{k}={v}" for k, v in known_query(request))),
            version,
            now.date().isoformat(),
            str(int(now.timestamp()) // period) if period else "",
        )
    )
    etag = f'"{key[:32]}"'
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"ETag": etag})
    media_type = MEDIA_TYPES["atom" if request.url.path.endswith(".atom") else "rss"]
    body = cache.get(key) if cache.enabled else None
    if body is None:
        response = build()
        if response.status_code != 200:
            return response
        body = bytes(response.body)
        cache.put(key, version, body)
    return Response(body, media_type=media_type, headers={"ETag": etag})


@router.get("/daily.{kind}", summary="The newest day's papers (optionally one category)")
def daily(
    request: Request,
    kind: Kind,
    category: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    return cached_feed(request, lambda: _daily(request, kind, category))


def _daily(request: Request, kind: Kind, category: str | None) -> Response:
    engine = engine_of(request)
    checked = check_category(category)
    result = engine.feed.page(FeedRequest(category=checked, order="date", page_size=DAY_SIZE))
    scope = f" in {checked}" if checked else ""
    return respond(
        request,
        [entry.paper for entry in result.entries],
        kind,
        title=f"papersift: new papers{scope}",
        description=f"Papers listed on {result.first.isoformat()}{scope}",
        page=f"/feed?category={checked}" if checked else "/feed",
    )


@router.get("/trending.{kind}", summary="Trending papers")
def trending(request: Request, kind: Kind) -> Response:
    return cached_feed(request, lambda: _trending(request, kind), period=TRENDING_PERIOD)


def _trending(request: Request, kind: Kind) -> Response:
    ranked = engine_of(request).trending(limit=FEED_SIZE)
    return respond(
        request,
        [item.paper for item in ranked],
        kind,
        title="papersift: trending papers",
        description="Papers ranked by recent upvotes",
        page="/trending",
    )


@router.get("/search.{kind}", summary="The newest papers matching a search")
def search(
    request: Request,
    kind: Kind,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    mode: SearchMode = "bm25",
    category: Annotated[str | None, Query(max_length=40)] = None,
    since: date | None = None,
) -> Response:
    engine = engine_of(request)
    checked = SearchRequest.checked(q, mode=mode, category=category, since=since)
    answering = engine.choose_mode(checked.mode).mode
    results = engine.search(checked.query, k=FEED_SIZE, filters=checked.filters, mode=answering)
    found = [result.paper for result in results]
    found.sort(key=lambda p: (p.display_date or date.min, p.id), reverse=True)
    return respond(
        request,
        found,
        kind,
        title=f"papersift: {q[:80]}",
        description=f"Newest papers matching the search {q[:200]!r}",
        page="/search" + (f"?{request.url.query}" if request.url.query else ""),
    )


@router.get("/collections/{collection_id}.{kind}", summary="A public collection")
def collection(
    request: Request, who: VisitorDep, collection_id: CollectionId, kind: Kind
) -> Response:
    view = who.engine.library.view(None, collection_id)  # feeds are anonymous: public only
    return respond(
        request,
        [paper for paper, _ in view.items],
        kind,
        title=f"papersift: {view.collection.name} ({view.owner_name})",
        description=f"The collection {view.collection.name!r} by {view.owner_name}",
        page=f"/collections/{collection_id}",
    )
