"""HTML pages and their forms. Every page renders a view from ``views``; forms redirect after
success (303) and show the form again with the problem otherwise."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from papersift.errors import (
    AuthenticationError,
    ConflictError,
    HarvestError,
    InvalidIdError,
    InvalidInputError,
    PaperNotFoundError,
    RateLimitedError,
    SubmissionRefusedError,
)
from papersift.features.bibtex import bibtex, bibtex_many
from papersift.features.library import clean_tags
from papersift.sources.arxiv_ids import canonical_arxiv_id
from papersift.store.users import User
from papersift.web import interest_views, views
from papersift.web.deps import (
    MAX_ID,
    CollectionId,
    SearchMode,
    SearchSort,
    checked_csrf,
    current_user,
    engine_of,
    known_query,
    logged_in_user,
    visitor,
)
from papersift.web.security import (
    SESSION_COOKIE,
    client_address,
    csrf_token,
    set_cookie,
)
from papersift.web.views import Visitor

CSRF_PLACEHOLDER = "__papersift_csrf_placeholder__"  # a visitor's token goes here in a cached page

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

Page = Annotated[int, Query(ge=1, le=views.MAX_PAGE)]
Text = Annotated[str, Form(max_length=2000)]
VisitorDep = Annotated[Visitor, Depends(visitor)]
UserDep = Annotated[User, Depends(logged_in_user)]
CSRF = Depends(checked_csrf)


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    engine = engine_of(request)
    context.setdefault("user", current_user(request))
    if getattr(request.state, "csrf_placeholder", False):
        context["csrf_token"] = CSRF_PLACEHOLDER
    else:
        context["csrf_token"] = csrf_token(request, engine.secret_key())
    context["semantic"] = "dense" in engine.modes
    templates = request.app.state.templates
    response: Response = templates.TemplateResponse(request, template, context, status_code=status)
    return response


def cached(
    request: Request, who: Visitor, build: Callable[[], Response], *, period: int = 0
) -> Response:
    """``build()``'s page from the anonymous page cache (see ``papersift.features.page_cache``).

    ``period`` (seconds) makes the page expire on its own, for pages that change with time.
    """
    cache = engine_of(request).page_cache
    if who.user is not None or not cache.enabled:
        return build()
    engine = who.engine
    now = engine.clock()
    version = engine.data_version()
    key = cache.key(
        (
            request.url.path,
            "&".join(sorted(f"{k}={v}" for k, v in known_query(request))),
            version,
            now.date().isoformat(),
            str(int(now.timestamp()) // period) if period else "",
        )
    )
    body = cache.get(key)
    if body is None:
        request.state.csrf_placeholder = True
        response = build()
        body = bytes(response.body)
        if response.status_code != 200:
            return response
        cache.put(key, version, body)
    token = csrf_token(request, engine.secret_key()).encode()
    return HTMLResponse(body.replace(CSRF_PLACEHOLDER.encode(), token))


def local_path(target: str | None, default: str = "/") -> str:
    """Only redirect within the site (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


# reading ---------------------------------------------------------------------------------------


@router.get("/")
@router.get("/feed")
def feed_page(
    request: Request,
    who: VisitorDep,
    date: date | None = None,
    span: Literal["day", "week", "month"] = "day",
    category: Annotated[str | None, Query(max_length=40)] = None,
    sort: Literal["upvotes", "date"] = "upvotes",
    page: Page = 1,
    has_code: bool = False,
) -> Response:
    def build() -> Response:
        view = views.feed(
            who, day=date, span=span, category=category, sort=sort, page=page, has_code=has_code
        )
        return render(request, "feed.html", view=view)

    return cached(request, who, build)


@router.get("/trending")
def trending_page(
    request: Request, who: VisitorDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> Response:
    def build() -> Response:
        return render(request, "trending.html", view=views.trending(who, limit=limit))

    return cached(request, who, build, period=60)


@router.get("/search")
def search_page(
    request: Request,
    who: VisitorDep,
    q: Annotated[str, Query(max_length=500)] = "",
    mode: SearchMode | None = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    since: date | None = None,
    until: date | None = None,
    author: Annotated[str | None, Query(max_length=200)] = None,
    has_code: bool = False,
    sort: SearchSort = "relevance",
    page: Page = 1,
) -> Response:
    named = who.engine.paper_named_by(q)
    if named is not None:  # an id or arXiv URL names one paper: show it, as arXiv's search does
        return RedirectResponse(f"/papers/{named}", status_code=303)

    def build() -> Response:
        view = views.search(
            who, query=q, mode=mode or default_mode(who), category=category, since=since,
            until=until, author=author, page=page, has_code=has_code, sort=sort,
        )  # fmt: skip
        return render(request, "search.html", view=view)

    return cached(request, who, build)


@router.get("/status")
def status_page(request: Request, who: VisitorDep) -> Response:
    return render(request, "status.html", view=views.status(who))


def default_mode(who: Visitor) -> str:
    return who.engine.default_mode


@router.get("/papers/{paper_id:path}")
def paper_page(request: Request, who: VisitorDep, paper_id: str) -> Response:
    moved = _canonical_paper_url(request, who, paper_id)
    if moved is not None:
        return RedirectResponse(moved, status_code=301)

    def build() -> Response:
        view = views.paper(who, paper_id)
        collections = who.engine.library.of_user(who.user) if who.user else []
        who.engine.reading.opened(who.user, view.id)
        note = who.engine.my_library.note(who.user, view.id)
        return render(request, "paper.html", view=view, collections=collections, note=note)

    return cached(request, who, build)


def _canonical_paper_url(request: Request, who: Visitor, paper_id: str) -> str | None:
    """The paper page's own address when ``paper_id`` is another spelling of a stored paper's
    arXiv id (``2504.21650v2``, ``arXiv:2504.21650``, an arxiv.org URL), with the query
    string kept; None when ``paper_id`` is the id as stored (or names no paper)."""
    canonical = canonical_arxiv_id(paper_id)
    if canonical is None or canonical == paper_id or who.engine.is_stored_id(paper_id):
        return None
    query = request.url.query
    return f"/papers/{canonical}" + (f"?{query}" if query else "")


@router.get("/bibtex/{paper_id:path}")
def paper_bibtex(request: Request, paper_id: str) -> Response:
    """The paper's BibTeX entry; any spelling of its arXiv id names it (see ``Engine.paper``)."""
    return PlainTextResponse(
        bibtex(engine_of(request).paper(paper_id)), media_type="application/x-bibtex"
    )


@router.get("/authors/{name}")
def author_page(request: Request, who: VisitorDep, name: str, page: Page = 1) -> Response:
    def build() -> Response:
        view = interest_views.with_follow_state(who, views.author(who, name, page=page), "author")
        return render(request, "papers_list.html", view=view, kind="author")

    return cached(request, who, build)


@router.get("/categories/{name}")
def category_page(request: Request, who: VisitorDep, name: str, page: Page = 1) -> Response:
    def build() -> Response:
        view = interest_views.with_follow_state(
            who, views.category(who, name, page=page), "category"
        )
        return render(request, "papers_list.html", view=view, kind="category")

    return cached(request, who, build)


# accounts --------------------------------------------------------------------------------------


@router.get("/signup")
def signup_form(request: Request, next: str | None = None) -> Response:
    return render(request, "signup.html", next=local_path(next), error=None, values={})


@router.post("/signup", dependencies=[CSRF])
def signup(
    request: Request,
    email: Text,
    password: Annotated[str, Form(max_length=1024)],
    display_name: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    engine = engine_of(request)
    values = {"email": email, "display_name": display_name}
    try:
        user = engine.accounts.sign_up(
            email, password, display_name, client=client_address(request)
        )
        token = engine.accounts.start_session(user)
    except (InvalidInputError, ConflictError, RateLimitedError) as error:
        status = {ConflictError: 409, RateLimitedError: 429}.get(type(error), 400)
        response = render(request, "signup.html", status, next=local_path(next),
                          error=str(error), values=values)  # fmt: skip
        if isinstance(error, RateLimitedError):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    return _logged_in(request, token, local_path(next))


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=local_path(next), error=None, values={})


@router.post("/login", dependencies=[CSRF])
def login(
    request: Request,
    email: Text,
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    engine = engine_of(request)
    try:
        _user, token = engine.accounts.log_in(email, password, client=client_address(request))
    except (AuthenticationError, RateLimitedError) as error:
        status = 429 if isinstance(error, RateLimitedError) else 401
        response = render(request, "login.html", status, next=local_path(next), error=str(error),
                          values={"email": email})  # fmt: skip
        if isinstance(error, RateLimitedError):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    return _logged_in(request, token, local_path(next))


def _logged_in(request: Request, token: str, target: str) -> Response:
    agent = request.headers.get("user-agent", "")
    engine_of(request).account_settings.describe_session(token, agent)
    response = redirect(target)
    max_age = engine_of(request).settings.session_days * 24 * 3600
    set_cookie(request, response, SESSION_COOKIE, token, max_age=max_age)
    return response


@router.post("/logout", dependencies=[CSRF])
def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        engine_of(request).accounts.log_out(token)
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# upvotes and submissions -----------------------------------------------------------------------


@router.post("/votes/{paper_id:path}", dependencies=[CSRF])
def vote(
    request: Request,
    user: UserDep,
    paper_id: str,
    voted: Annotated[Literal["1", "0"], Form()],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    engine_of(request).vote(user, paper_id, voted == "1")
    return redirect(local_path(next, f"/papers/{paper_id}"))


@router.get("/submit")
def submit_form(request: Request, user: UserDep) -> Response:
    return render(request, "submit.html", error=None, reference="")


@router.post("/submit", dependencies=[CSRF])
def submit(
    request: Request, user: UserDep, reference: Annotated[str, Form(max_length=300)]
) -> Response:
    engine = engine_of(request)
    try:
        submitted = engine.submissions.submit(user, reference)
    except (InvalidIdError, PaperNotFoundError, SubmissionRefusedError, HarvestError) as error:
        status = 404 if isinstance(error, PaperNotFoundError) else 400
        if isinstance(error, SubmissionRefusedError):
            status = 422
        elif isinstance(error, HarvestError):
            status = 502
        return render(request, "submit.html", status, error=str(error), reference=reference)
    return redirect(f"/papers/{submitted.paper.id}")


# collections -----------------------------------------------------------------------------------


@router.get("/collections")
def collections_page(request: Request, who: VisitorDep, user: UserDep) -> Response:
    return render(request, "collections.html", view=views.collections(who, user), error=None)


@router.post("/collections", dependencies=[CSRF])
def create_collection(
    request: Request,
    who: VisitorDep,
    user: UserDep,
    name: Annotated[str, Form(max_length=400)],
    public: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    try:
        created = who.engine.library.create(user, name, public=public is not None)
    except (InvalidInputError, ConflictError) as error:
        status = 409 if isinstance(error, ConflictError) else 400
        view = views.collections(who, user)
        return render(request, "collections.html", status, view=view, error=str(error))
    return redirect(f"/collections/{created.id}")


@router.post("/collections/add", dependencies=[CSRF])
def save_to_collection(
    request: Request,
    who: VisitorDep,
    user: UserDep,
    paper_id: Annotated[str, Form(max_length=100)],
    collection_id: Annotated[str, Form(max_length=20)] = "",
    new_name: Annotated[str, Form(max_length=400)] = "",
    tags: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    library = who.engine.library
    tag_list = clean_tags(tags)
    if new_name.strip():
        target = library.create(user, new_name).id
    elif collection_id.isdigit() and int(collection_id) <= MAX_ID:
        target = int(collection_id)
    else:
        raise InvalidInputError("choose a collection or name a new one")
    library.put(user, target, paper_id, tag_list)
    return redirect(f"/papers/{paper_id}")


@router.get("/collections/{collection_id}")
def collection_page(request: Request, who: VisitorDep, collection_id: CollectionId) -> Response:
    return render(request, "collection.html", view=views.collection(who, collection_id))


@router.post("/collections/{collection_id}/edit", dependencies=[CSRF])
def edit_collection(
    who: VisitorDep,
    user: UserDep,
    collection_id: CollectionId,
    name: Annotated[str, Form(max_length=400)],
    public: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    who.engine.library.update(user, collection_id, name=name, public=public is not None)
    return redirect(f"/collections/{collection_id}")


@router.post("/collections/{collection_id}/delete", dependencies=[CSRF])
def delete_collection(who: VisitorDep, user: UserDep, collection_id: CollectionId) -> Response:
    who.engine.library.delete(user, collection_id)
    return redirect("/collections")


@router.post("/collections/{collection_id}/remove", dependencies=[CSRF])
def remove_from_collection(
    who: VisitorDep,
    user: UserDep,
    collection_id: CollectionId,
    paper_id: Annotated[str, Form(max_length=100)],
) -> Response:
    who.engine.library.remove(user, collection_id, paper_id)
    return redirect(f"/collections/{collection_id}")


@router.get("/collections/{collection_id}/export.bib")
def export_bibtex(who: VisitorDep, collection_id: CollectionId) -> Response:
    view = who.engine.library.view(who.user, collection_id)
    name = quote(view.collection.name[:80])
    return PlainTextResponse(
        bibtex_many(paper for paper, _ in view.items),
        media_type="application/x-bibtex",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.bib"},
    )


@router.get("/collections/{collection_id}/export.json")
def export_json(who: VisitorDep, collection_id: CollectionId) -> Response:
    view = who.engine.library.view(who.user, collection_id)
    body = {
        "collection": {
            "id": view.collection.id,
            "name": view.collection.name,
            "public": view.collection.is_public,
            "owner": view.owner_name,
        },
        "papers": [
            {**paper.to_dict(), "tags": list(item.tags), "added_at": item.added_at.isoformat()}
            for paper, item in view.items
        ],
    }
    name = quote(view.collection.name[:80])
    return Response(
        orjson.dumps(body, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.json"},
    )
