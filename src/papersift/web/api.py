"""The JSON API: each page's twin at the same path under /api, plus the state-changing calls.

Errors always have the shape ``{"error": {"status", "code", "message", "fields"}}``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, StrictBool

from papersift.features.library import clean_tags
from papersift.store.users import User
from papersift.web import interest_views, models, views
from papersift.web.deps import (
    Category,
    CollectionId,
    IsoDate,
    SearchMode,
    SearchSort,
    checked_csrf,
    engine_of,
    logged_in_user,
    visitor,
)
from papersift.web.pages import default_mode
from papersift.web.security import SESSION_COOKIE, client_address, csrf_token, set_cookie
from papersift.web.views import Visitor

ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": models.ErrorOut} for status in (400, 401, 403, 404, 409, 422, 429)
}
router = APIRouter(prefix="/api", responses=ERRORS)

Page = Annotated[int, Query(ge=1, le=views.MAX_PAGE)]
VisitorDep = Annotated[Visitor, Depends(visitor)]
UserDep = Annotated[User, Depends(logged_in_user)]
CSRF = Depends(checked_csrf)


# reading ---------------------------------------------------------------------------------------


@router.get("/feed", tags=["papers"], summary="The daily feed (page: /)")
def feed(
    who: VisitorDep,
    date: IsoDate | None = None,
    span: Literal["day", "week", "month"] = "day",
    category: Category = None,
    sort: Literal["upvotes", "date"] = "upvotes",
    page: Page = 1,
    has_code: bool = False,
) -> models.FeedView:
    return views.feed(
        who, day=date, span=span, category=category, sort=sort, page=page, has_code=has_code
    )


@router.get("/trending", tags=["papers"], summary="Trending papers (page: /trending)")
def trending(
    who: VisitorDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> models.TrendingView:
    return views.trending(who, limit=limit)


@router.get("/search", tags=["papers"], summary="Search (page: /search)")
def search(
    who: VisitorDep,
    q: Annotated[str, Query(max_length=500)] = "",
    mode: SearchMode | None = None,
    category: Category = None,
    since: IsoDate | None = None,
    until: IsoDate | None = None,
    author: Annotated[str | None, Query(max_length=200)] = None,
    has_code: bool = False,
    sort: SearchSort = "relevance",
    page: Page = 1,
) -> models.SearchView:
    return views.search(
        who, query=q, mode=mode or default_mode(who), category=category, since=since,
        until=until, author=author, page=page, has_code=has_code, sort=sort,
    )  # fmt: skip


@router.get("/status", tags=["site"], summary="What the site can do now (page: /status)")
def status(who: VisitorDep) -> models.StatusView:
    return views.status(who)


@router.get("/papers/{paper_id:path}", tags=["papers"], summary="A paper (page: /papers/{id})")
def paper(who: VisitorDep, paper_id: str) -> models.PaperDetail:
    return views.paper(who, paper_id)


@router.get("/authors/{name}", tags=["papers"], summary="An author's papers")
def author(who: VisitorDep, name: str, page: Page = 1) -> models.PapersPage:
    return interest_views.with_follow_state(who, views.author(who, name, page=page), "author")


@router.get("/categories/{name}", tags=["papers"], summary="A category's papers")
def category(who: VisitorDep, name: str, page: Page = 1) -> models.PapersPage:
    listed = views.category(who, name, page=page)
    return interest_views.with_follow_state(who, listed, "category")


# accounts --------------------------------------------------------------------------------------


@router.get("/auth/csrf", tags=["accounts"], summary="A CSRF token for state-changing calls")
def csrf(request: Request) -> models.CsrfOut:
    return models.CsrfOut(csrf_token=csrf_token(request, engine_of(request).secret_key()))


@router.post("/auth/signup", tags=["accounts"], status_code=201, dependencies=[CSRF])
def signup(request: Request, body: models.SignUpIn) -> JSONResponse:
    engine = engine_of(request)
    user = engine.accounts.sign_up(
        body.email, body.password, body.display_name, client=client_address(request)
    )
    return _with_session(request, user, engine.accounts.start_session(user), status=201)


@router.post("/auth/login", tags=["accounts"], dependencies=[CSRF])
def login(request: Request, body: models.LogInIn) -> JSONResponse:
    engine = engine_of(request)
    user, token = engine.accounts.log_in(body.email, body.password, client=client_address(request))
    return _with_session(request, user, token, status=200)


def _with_session(request: Request, user: User, token: str, *, status: int) -> JSONResponse:
    agent = request.headers.get("user-agent", "")
    engine_of(request).account_settings.describe_session(token, agent)
    response = JSONResponse(_user_out(user).model_dump(), status_code=status)
    max_age = engine_of(request).settings.session_days * 24 * 3600
    set_cookie(request, response, SESSION_COOKIE, token, max_age=max_age)
    return response


@router.post("/auth/logout", tags=["accounts"], status_code=204, dependencies=[CSRF])
def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        engine_of(request).accounts.log_out(token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", tags=["accounts"], summary="The logged-in user")
def me(user: UserDep) -> models.UserOut:
    return _user_out(user)


def _user_out(user: User) -> models.UserOut:
    return models.UserOut(id=user.id, email=user.email, display_name=user.display_name)


# upvotes and submissions -----------------------------------------------------------------------


@router.put("/votes/{paper_id:path}", tags=["upvotes"], dependencies=[CSRF])
def upvote(request: Request, user: UserDep, paper_id: str) -> models.VoteOut:
    count = engine_of(request).vote(user, paper_id, True)
    return models.VoteOut(paper_id=paper_id, voted=True, upvotes=count)


@router.delete("/votes/{paper_id:path}", tags=["upvotes"], dependencies=[CSRF])
def remove_upvote(request: Request, user: UserDep, paper_id: str) -> models.VoteOut:
    count = engine_of(request).vote(user, paper_id, False)
    return models.VoteOut(paper_id=paper_id, voted=False, upvotes=count)


@router.post("/submissions", tags=["submissions"], status_code=201, dependencies=[CSRF])
def submit(who: VisitorDep, user: UserDep, body: models.SubmissionIn) -> models.SubmissionOut:
    submitted = who.engine.submissions.submit(user, body.reference)
    summary = views.summaries(who, [submitted.paper])[0]
    return models.SubmissionOut(
        paper=summary.model_copy(update={"submitted_by": user.display_name}),
        fetched_from_arxiv=submitted.fetched,
        feed_date=who.engine.clock().date(),
    )


# collections -----------------------------------------------------------------------------------


@router.get("/collections", tags=["collections"], summary="Your collections (page: /collections)")
def collections(who: VisitorDep, user: UserDep) -> models.CollectionsView:
    return views.collections(who, user)


@router.post("/collections", tags=["collections"], status_code=201, dependencies=[CSRF])
def create_collection(
    who: VisitorDep, user: UserDep, body: models.CollectionIn
) -> models.CollectionSummary:
    return views.collection_summary(who.engine.library.create(user, body.name, public=body.public))


@router.get("/collections/{collection_id}", tags=["collections"], summary="A collection")
def collection(who: VisitorDep, collection_id: CollectionId) -> models.CollectionDetail:
    return views.collection(who, collection_id)


class CollectionPatch(BaseModel):
    """The fields to change; those left out keep their value."""

    name: str | None = Field(default=None, max_length=200)
    public: StrictBool | None = None


@router.patch("/collections/{collection_id}", tags=["collections"], dependencies=[CSRF])
def update_collection(
    who: VisitorDep, user: UserDep, collection_id: CollectionId, body: CollectionPatch
) -> models.CollectionSummary:
    library = who.engine.library
    current = library.collections.get(collection_id)  # missing: update() says so
    name = body.name if body.name is not None else current.name if current else ""
    public = body.public if body.public is not None else bool(current and current.is_public)
    updated = library.update(user, collection_id, name=name, public=public)
    return views.collection_summary(updated)


@router.delete(
    "/collections/{collection_id}", tags=["collections"], status_code=204, dependencies=[CSRF]
)
def delete_collection(who: VisitorDep, user: UserDep, collection_id: CollectionId) -> Response:
    who.engine.library.delete(user, collection_id)
    return Response(status_code=204)


@router.put(
    "/collections/{collection_id}/papers/{paper_id:path}",
    tags=["collections"],
    dependencies=[CSRF],
)
def put_collection_item(
    who: VisitorDep,
    user: UserDep,
    collection_id: CollectionId,
    paper_id: str,
    body: models.CollectionItemIn,
) -> models.CollectionDetail:
    who.engine.library.put(user, collection_id, paper_id, clean_tags(body.tags))
    return views.collection(who, collection_id)


@router.delete(
    "/collections/{collection_id}/papers/{paper_id:path}",
    tags=["collections"],
    dependencies=[CSRF],
)
def delete_collection_item(
    who: VisitorDep, user: UserDep, collection_id: CollectionId, paper_id: str
) -> models.CollectionDetail:
    who.engine.library.remove(user, collection_id, paper_id)
    return views.collection(who, collection_id)
