"""Shared collections and profiles: the public collections directory, upvotes of collections,
and each reader's public profile, with their JSON twins under /api."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from papersift.web import community_views, models
from papersift.web.deps import MAX_ID
from papersift.web.pages import CSRF, UserDep, VisitorDep, local_path, redirect, render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api_router = APIRouter(prefix="/api", tags=["collections"])

CollectionId = Annotated[int, Path(ge=1, le=MAX_ID)]
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
Sort = Annotated[Literal["recent", "upvoted"], Query()]
PageNumber = Annotated[int, Query(ge=1, le=1000)]


@router.get("/public-collections")
def directory_page(
    request: Request, who: VisitorDep, sort: Sort = "recent", page: PageNumber = 1
) -> Response:
    # Not cached: collections change without a change of the store's data version.
    view = community_views.directory(who, sort, page)
    return render(request, "public_collections.html", view=view)


@router.get("/users/{user_id}")
def profile_page(request: Request, who: VisitorDep, user_id: UserId) -> Response:
    return render(request, "profile.html", view=community_views.profile(who, user_id))


@router.post("/collections/{collection_id}/votes", dependencies=[CSRF])
def vote_page(
    who: VisitorDep,
    user: UserDep,
    collection_id: CollectionId,
    voted: Annotated[Literal["1", "0"], Form()],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    who.engine.community.vote(user, collection_id, voted == "1")
    return redirect(local_path(next, f"/collections/{collection_id}"))


@api_router.get("/public-collections", summary="Public collections (page: /public-collections)")
def directory(who: VisitorDep, sort: Sort = "recent", page: PageNumber = 1) -> models.DirectoryView:
    return community_views.directory(who, sort, page)


@api_router.get("/users/{user_id}", summary="A reader's public profile (page: /users/{id})")
def profile(who: VisitorDep, user_id: UserId) -> models.ProfileView:
    return community_views.profile(who, user_id)


@api_router.post(
    "/collections/{collection_id}/votes", dependencies=[CSRF], summary="Upvote a collection"
)
def vote(
    who: VisitorDep, user: UserDep, collection_id: CollectionId, body: models.CollectionVoteIn
) -> models.CollectionVoteOut:
    count = who.engine.community.vote(user, collection_id, body.voted)
    return models.CollectionVoteOut(collection_id=collection_id, voted=body.voted, upvotes=count)
