"""A collection as its own recommendation stream: a page, its JSON twin and a private RSS feed
(``Engine.collection_stream``: a model trained on the collection's papers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from papersift.features import addresses
from papersift.web import interest_views, models
from papersift.web.deps import MAX_ID, engine_of
from papersift.web.feeds import FEED_SIZE, Kind, respond
from papersift.web.pages import UserDep, VisitorDep, render
from papersift.web.views import Visitor, summaries

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api_router = APIRouter(prefix="/api", tags=["collections"])
feed_router = APIRouter(prefix="/feeds", tags=["feeds"])

CollectionId = Annotated[int, Path(ge=1, le=MAX_ID)]
STREAM_SIZE = 30
PRIVATE = {"Cache-Control": "private, no-store"}


class StreamView(BaseModel):
    collection_id: int
    name: str
    size: int = Field(description="Papers in the collection (the model's positives).")
    feed_rss: str = Field(description="A private feed address of this stream.")
    items: list[models.RecommendationOut]


def stream(visitor: Visitor, collection_id: int) -> StreamView:
    user = visitor.user
    assert user is not None
    engine = visitor.engine
    collection, recommended = engine.collection_stream(user, collection_id, limit=STREAM_SIZE)
    cards = summaries(visitor, [r.paper for r in recommended])
    token = engine.interests.stream_token(collection.id)
    return StreamView(
        collection_id=collection.id,
        name=collection.name,
        size=collection.size,
        feed_rss=addresses.path(addresses.STREAM_FEED, token=token, kind="rss"),
        items=[
            interest_views.recommendation_out(card, r)
            for card, r in zip(cards, recommended, strict=True)
        ],
    )


@router.get("/collections/{collection_id}/stream")
def stream_page(
    request: Request, who: VisitorDep, user: UserDep, collection_id: CollectionId
) -> Response:
    response = render(request, "collection_stream.html", view=stream(who, collection_id))
    response.headers.update(PRIVATE)
    return response


@api_router.get(
    "/collections/{collection_id}/stream", summary="Recent papers like a collection's (its stream)"
)
def stream_api(who: VisitorDep, user: UserDep, collection_id: CollectionId) -> StreamView:
    return stream(who, collection_id)


@feed_router.get("/streams/{token}.{kind}", summary="A collection's stream (a private address)")
def stream_feed(request: Request, token: str, kind: Kind) -> Response:
    engine = engine_of(request)
    collection_id = engine.interests.collection_of_stream_token(token)
    collection, recommended = engine.owner_stream(collection_id, limit=FEED_SIZE)
    response = respond(
        request,
        [r.paper for r in recommended],
        kind,
        title=f"papersift: like “{collection.name}”",
        description=f"Recent papers like those in the collection “{collection.name}”",
        page=f"/collections/{collection.id}/stream",
    )
    response.headers.update(PRIVATE)
    return response
