"""The JSON twins of the interest pages (``interests``): "For you", "not interested", follows,
saved searches and digest settings. All need a login; changes need the X-CSRF-Token header."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from papersift.web import interest_views, models
from papersift.web.api import CSRF, ERRORS, UserDep, VisitorDep
from papersift.web.deps import CollectionId
from papersift.web.pages import default_mode

router = APIRouter(prefix="/api", responses=ERRORS)
FollowKind = Literal["author", "category"]
SearchId = CollectionId  # the same range: any 64-bit id, 404 when there is none


@router.get("/for-you", tags=["for you"], summary="Recommended papers and why (page: /for-you)")
def for_you(
    who: VisitorDep,
    user: UserDep,
    limit: Annotated[int, Query(ge=1, le=100)] = interest_views.FOR_YOU_LIMIT,
) -> models.ForYouView:
    return interest_views.for_you(who, user, limit=limit)


@router.put(
    "/dismissals/{paper_id:path}",
    tags=["for you"],
    summary="Not interested: never recommend this paper",
    dependencies=[CSRF],
)
def dismiss(who: VisitorDep, user: UserDep, paper_id: str) -> models.DismissalOut:
    return interest_views.set_dismissed(who, user, paper_id, True)


@router.delete(
    "/dismissals/{paper_id:path}",
    tags=["for you"],
    summary="Take back a not-interested mark",
    dependencies=[CSRF],
)
def undismiss(who: VisitorDep, user: UserDep, paper_id: str) -> models.DismissalOut:
    return interest_views.set_dismissed(who, user, paper_id, False)


@router.put(
    "/follows/{kind}/{value:path}",
    tags=["follows"],
    summary="Follow an author or a category",
    dependencies=[CSRF],
)
def follow(who: VisitorDep, user: UserDep, kind: FollowKind, value: str) -> models.FollowStateOut:
    return interest_views.set_follow(who, user, kind, value, True)


@router.delete(
    "/follows/{kind}/{value:path}",
    tags=["follows"],
    summary="Stop following an author or a category",
    dependencies=[CSRF],
)
def unfollow(who: VisitorDep, user: UserDep, kind: FollowKind, value: str) -> models.FollowStateOut:
    return interest_views.set_follow(who, user, kind, value, False)


@router.get(
    "/saved-searches",
    tags=["saved searches"],
    summary="Your saved searches and their newest matches (page: /saved-searches)",
)
def saved_searches(who: VisitorDep, user: UserDep) -> models.SavedSearchesView:
    return interest_views.saved_searches(who, user)


@router.post(
    "/saved-searches",
    tags=["saved searches"],
    summary="Save a search: papers added from now on that match it are collected",
    status_code=201,
    dependencies=[CSRF],
)
def save_search(
    who: VisitorDep, user: UserDep, body: models.SavedSearchIn
) -> models.SavedSearchOut:
    saved = interest_views.save_search(
        who, user, query=body.query, name=body.name, mode=body.mode or default_mode(who),
        category=body.category, since=body.since, until=body.until, author=body.author,
        has_code=body.has_code,
    )  # fmt: skip
    return interest_views.saved_search_out(who, saved)


@router.get(
    "/saved-searches/{search_id}",
    tags=["saved searches"],
    summary="One of your saved searches (page: /saved-searches/{id})",
)
def saved_search(who: VisitorDep, user: UserDep, search_id: SearchId) -> models.SavedSearchOut:
    return interest_views.saved_search(who, user, search_id)


@router.delete(
    "/saved-searches/{search_id}",
    tags=["saved searches"],
    status_code=204,
    dependencies=[CSRF],
)
def delete_saved_search(who: VisitorDep, user: UserDep, search_id: SearchId) -> Response:
    interest_views.delete_search(who, user, search_id)
    return Response(status_code=204)


@router.get(
    "/settings/digest",
    tags=["digest"],
    summary="Your email digest: how often, which sections (page: /settings/digest)",
)
def digest_settings(who: VisitorDep, user: UserDep) -> models.DigestSettingsOut:
    return interest_views.digest_settings(who, user)


@router.put("/settings/digest", tags=["digest"], dependencies=[CSRF])
def set_digest_settings(
    who: VisitorDep, user: UserDep, body: models.DigestSettingsIn
) -> models.DigestSettingsOut:
    return interest_views.set_digest(who, user, body.frequency, body.sections)
