"""Pages and feeds of a reader's interests: "For you", follows, "not interested", saved searches,
digest settings and unsubscribing. The JSON twins are in ``interests_api``; both render the
views of ``interest_views``.

Feeds and the unsubscribe link work without a login: a signed token in the address names the
reader (or the saved search). The unsubscribe POST needs no CSRF token either: mail clients
send it on their own (RFC 8058 one-click) and the token is the proof; its GET only asks.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from papersift.errors import ConflictError, InvalidInputError
from papersift.features import addresses
from papersift.web import interest_views
from papersift.web.deps import MAX_ID, SearchMode, engine_of
from papersift.web.feeds import FEED_SIZE, Kind, respond
from papersift.web.pages import (
    CSRF,
    UserDep,
    VisitorDep,
    default_mode,
    local_path,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
feed_router = APIRouter(prefix="/feeds", tags=["feeds"])

Next = Annotated[str | None, Form(max_length=2000)]
Flag = Annotated[Literal["1", "0"], Form()]
SearchId = Annotated[int, Path(ge=-MAX_ID, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=100)]
PRIVATE = {"Cache-Control": "private, no-store"}


# For you ---------------------------------------------------------------------------------------


@router.get("/for-you")
def for_you_page(
    request: Request,
    who: VisitorDep,
    user: UserDep,
    limit: Limit = interest_views.FOR_YOU_LIMIT,
    hidden: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    view = interest_views.for_you(who, user, limit=limit)
    # the paper just marked "not interested", to offer an undo
    hidden_paper = interest_views.dismissed_paper(who, user, hidden) if hidden else None
    return render(request, "for_you.html", view=view, hidden=hidden_paper)


@router.post("/dismissals/{paper_id:path}", dependencies=[CSRF])
def dismiss(
    who: VisitorDep, user: UserDep, paper_id: str, dismissed: Flag, next: Next = None
) -> Response:
    interest_views.set_dismissed(who, user, paper_id, dismissed == "1")
    return redirect(local_path(next, "/for-you"))


@router.post("/follows/{kind}/{value:path}", dependencies=[CSRF])
def follow(
    who: VisitorDep,
    user: UserDep,
    kind: Literal["author", "category"],
    value: str,
    following: Flag,
    next: Next = None,
) -> Response:
    state = interest_views.set_follow(who, user, kind, value, following == "1")
    return redirect(local_path(next, interest_views.follow_out(state.kind, state.value).url))


# saved searches --------------------------------------------------------------------------------


@router.get("/saved-searches")
def saved_searches_page(request: Request, who: VisitorDep, user: UserDep) -> Response:
    view = interest_views.saved_searches(who, user)
    return render(request, "saved_searches.html", view=view, error=None)


@router.post("/saved-searches", dependencies=[CSRF])
def save_search(
    request: Request,
    who: VisitorDep,
    user: UserDep,
    q: Annotated[str, Form(max_length=500)],
    name: Annotated[str | None, Form(max_length=200)] = None,
    mode: Annotated[SearchMode | None, Form()] = None,
    category: Annotated[str | None, Form(max_length=40)] = None,
    since: Annotated[date | None, Form()] = None,
    until: Annotated[date | None, Form()] = None,
    author: Annotated[str | None, Form(max_length=200)] = None,
    has_code: Annotated[bool, Form()] = False,
) -> Response:
    try:
        saved = interest_views.save_search(
            who, user, query=q, name=name, mode=mode or default_mode(who), category=category,
            since=since, until=until, author=author, has_code=has_code,
        )  # fmt: skip
    except (InvalidInputError, ConflictError) as error:
        status = 409 if isinstance(error, ConflictError) else 400
        view = interest_views.saved_searches(who, user)
        return render(request, "saved_searches.html", status, view=view, error=str(error))
    return redirect(f"/saved-searches/{saved.id}")


@router.get("/saved-searches/{search_id}")
def saved_search_page(
    request: Request, who: VisitorDep, user: UserDep, search_id: SearchId
) -> Response:
    view = interest_views.saved_search(who, user, search_id)
    return render(request, "saved_search.html", view=view)


@router.post("/saved-searches/{search_id}/delete", dependencies=[CSRF])
def delete_saved_search(who: VisitorDep, user: UserDep, search_id: SearchId) -> Response:
    interest_views.delete_search(who, user, search_id)
    return redirect("/saved-searches")


# digest settings and unsubscribing -------------------------------------------------------------


@router.get(addresses.DIGEST_SETTINGS)
def digest_settings_page(request: Request, who: VisitorDep, user: UserDep) -> Response:
    view = interest_views.digest_settings(who, user)
    return render(request, "digest_settings.html", view=view, error=None)


@router.post(addresses.DIGEST_SETTINGS, dependencies=[CSRF])
def digest_settings(
    request: Request,
    who: VisitorDep,
    user: UserDep,
    frequency: Annotated[str, Form(max_length=20)],
    sections: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        interest_views.set_digest(who, user, frequency, sections or [])
    except InvalidInputError as error:
        view = interest_views.digest_settings(who, user)
        return render(request, "digest_settings.html", 400, view=view, error=str(error))
    return redirect("/settings/digest")


@router.get(addresses.UNSUBSCRIBE)
def unsubscribe_page(request: Request, token: str) -> Response:
    """Asks only: link scanners and previews follow GETs, so a GET must not unsubscribe."""
    user, frequency = engine_of(request).interests.user_of_unsubscribe_token(token)
    return render(
        request, "unsubscribe.html", done=False, account=user, frequency=frequency, token=token
    )


@router.post(addresses.UNSUBSCRIBE)
def unsubscribe(request: Request, token: str) -> Response:
    """One-click unsubscribe (RFC 8058: the body is ``List-Unsubscribe=One-Click``, which is
    not needed): no login and no CSRF token, the signed token is the proof."""
    user = engine_of(request).interests.unsubscribe(token)
    return render(
        request, "unsubscribe.html", done=True, account=user, frequency="off", token=token
    )


# feeds -----------------------------------------------------------------------------------------


@feed_router.get("/for-you/{token}.{kind}", summary="Your recommendations (a private address)")
def for_you_feed(request: Request, token: str, kind: Kind) -> Response:
    engine = engine_of(request)
    user = engine.interests.user_of_feed_token(token)
    recommended = engine.recommendations(user, limit=FEED_SIZE)
    response = respond(
        request,
        [r.paper for r in recommended],
        kind,
        title=f"papersift: for {user.display_name}",
        description="Recent papers picked for you, from your library and your follows",
        page="/for-you",
    )
    response.headers.update(PRIVATE)
    return response


@feed_router.get(
    "/saved-searches/{token}.{kind}", summary="New papers matching a saved search (private)"
)
def saved_search_feed(request: Request, token: str, kind: Kind) -> Response:
    engine = engine_of(request)
    search = engine.interests.search_of_feed_token(token)
    found = engine.interests.matched(search, limit=interest_views.MATCHES_SHOWN)
    response = respond(
        request,
        [paper for paper, _ in found],
        kind,
        title=f"papersift: {search.name[:80]}",
        description=f"New papers matching the saved search {search.query[:200]!r}",
        page=f"/saved-searches/{search.id}",
    )
    response.headers.update(PRIVATE)
    return response
