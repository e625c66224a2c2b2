"""Discussion on paper pages: forms that post, edit, delete, report and (for moderators) hide
comments, the moderators' page, their JSON twins under /api, and each thread's RSS feed.

The thread itself is part of the paper page (``views.paper``). Comment routes live under
``/comments`` rather than ``/papers/{id}/…`` because old-style arXiv ids contain a slash.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from feedgen.feed import FeedGenerator

from papersift.features.syndication import MEDIA_TYPES
from papersift.web import discussion_views, models
from papersift.web.deps import MAX_ID, engine_of
from papersift.web.interests import Next
from papersift.web.pages import CSRF, UserDep, VisitorDep, local_path, redirect, render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api_router = APIRouter(prefix="/api", tags=["discussion"])
feed_router = APIRouter(prefix="/feeds", tags=["feeds"])

CommentId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Generous: the discussion's own check (10,000 characters) gives the clearer message.
Body = Annotated[str, Form(max_length=200_000)]
PRIVATE = {"Cache-Control": "private, no-store"}


# pages -----------------------------------------------------------------------------------------


@router.post("/comments", dependencies=[CSRF])
def post_comment(
    who: VisitorDep,
    user: UserDep,
    paper_id: Annotated[str, Form(max_length=200)],
    body: Body,
    parent_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> Response:
    paper = who.engine.paper(paper_id)
    new_id = who.engine.discussion.post(user, paper.id, body, parent_id)
    return redirect(f"/papers/{paper.id}#comment-{new_id}")


@router.post("/comments/{comment_id}/edit", dependencies=[CSRF])
def edit_comment(who: VisitorDep, user: UserDep, comment_id: CommentId, body: Body) -> Response:
    who.engine.discussion.edit(user, comment_id, body)
    return redirect(_comment_url(who, comment_id))


@router.post("/comments/{comment_id}/delete", dependencies=[CSRF])
def delete_comment(who: VisitorDep, user: UserDep, comment_id: CommentId) -> Response:
    paper_id = who.engine.discussion.get(comment_id).paper_id
    who.engine.discussion.delete(user, comment_id)
    return redirect(f"/papers/{paper_id}#discussion")


@router.post("/comments/{comment_id}/report", dependencies=[CSRF])
def report_comment(
    who: VisitorDep,
    user: UserDep,
    comment_id: CommentId,
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    who.engine.discussion.report(user, comment_id, reason)
    return redirect(_comment_url(who, comment_id) + "?reported=1")


@router.post("/comments/{comment_id}/hide", dependencies=[CSRF])
def hide_comment(
    who: VisitorDep,
    user: UserDep,
    comment_id: CommentId,
    hidden: Annotated[Literal["1", "0"], Form()],
    next: Next = None,
) -> Response:
    who.engine.discussion.hide_comment(user, comment_id, hidden == "1")
    return redirect(local_path(next, "/moderation"))


@router.post("/moderation/submissions", dependencies=[CSRF])
def hide_submission(
    who: VisitorDep,
    user: UserDep,
    paper_id: Annotated[str, Form(max_length=200)],
    hidden: Annotated[Literal["1", "0"], Form()],
) -> Response:
    who.engine.discussion.hide_submission(user, paper_id, hidden == "1")
    return redirect("/moderation")


@router.get("/moderation")
def moderation_page(request: Request, who: VisitorDep, user: UserDep) -> Response:
    response = render(request, "moderation.html", view=discussion_views.moderation(who))
    response.headers.update(PRIVATE)
    return response


def _comment_url(who: VisitorDep, comment_id: int) -> str:
    comment = who.engine.discussion.get(comment_id)
    return f"/papers/{comment.paper_id}#comment-{comment_id}"


# JSON ------------------------------------------------------------------------------------------


@api_router.get("/comments", summary="A paper's discussion, as a tree of replies")
def thread(
    who: VisitorDep, paper: Annotated[str, Query(max_length=200)]
) -> list[models.CommentOut]:
    return discussion_views.thread(who, paper)


@api_router.post("/comments", status_code=201, dependencies=[CSRF], summary="Comment or reply")
def create(who: VisitorDep, user: UserDep, body: models.CommentIn) -> models.CommentOut:
    new_id = who.engine.discussion.post(user, body.paper_id, body.body, body.parent_id)
    return discussion_views.comment_out(who.engine.discussion.get(new_id))


@api_router.patch("/comments/{comment_id}", dependencies=[CSRF], summary="Edit your comment")
def edit(
    who: VisitorDep, user: UserDep, comment_id: CommentId, body: models.CommentEditIn
) -> models.CommentOut:
    who.engine.discussion.edit(user, comment_id, body.body)
    return discussion_views.comment_out(who.engine.discussion.get(comment_id))


@api_router.delete(
    "/comments/{comment_id}", status_code=204, dependencies=[CSRF], summary="Delete your comment"
)
def delete(who: VisitorDep, user: UserDep, comment_id: CommentId) -> Response:
    who.engine.discussion.delete(user, comment_id)
    return Response(status_code=204)


@api_router.post(
    "/comments/{comment_id}/report", status_code=204, dependencies=[CSRF], summary="Report"
)
def report(
    who: VisitorDep, user: UserDep, comment_id: CommentId, body: models.ReportIn
) -> Response:
    who.engine.discussion.report(user, comment_id, body.reason)
    return Response(status_code=204)


@api_router.post(
    "/comments/{comment_id}/hide", status_code=204, dependencies=[CSRF],
    summary="Hide or show a comment (moderators)",
)  # fmt: skip
def hide(who: VisitorDep, user: UserDep, comment_id: CommentId, body: models.HiddenIn) -> Response:
    who.engine.discussion.hide_comment(user, comment_id, body.hidden)
    return Response(status_code=204)


@api_router.post(
    "/moderation/submissions", status_code=204, dependencies=[CSRF],
    summary="Hide or show a community submission (moderators)",
)  # fmt: skip
def hide_submission_api(
    who: VisitorDep, user: UserDep, body: models.SubmissionHiddenIn
) -> Response:
    who.engine.discussion.hide_submission(user, body.paper_id, body.hidden)
    return Response(status_code=204)


@api_router.get("/moderation", summary="Reported comments and the moderation log (moderators)")
def moderation(who: VisitorDep, user: UserDep) -> models.ModerationView:
    return discussion_views.moderation(who)


# RSS -------------------------------------------------------------------------------------------


@feed_router.get("/comments.{kind}", summary="A paper's discussion, newest comment first")
def comments_feed(
    request: Request,
    kind: Literal["rss", "atom"],
    paper: Annotated[str, Query(max_length=200)],
) -> Response:
    engine = engine_of(request)
    found = engine.paper(paper)
    site = engine.settings.public_url.rstrip("/")
    page = f"{site}/papers/{found.id}#discussion"
    generator = FeedGenerator()
    generator.id(f"{site}/feeds/comments.{kind}?paper={found.id}")
    generator.title(f"papersift: discussion of {found.id}")
    generator.subtitle(f"Comments on {found.id}")
    generator.link(href=f"{site}/feeds/comments.{kind}?paper={found.id}", rel="self")
    generator.link(href=page, rel="alternate")
    generator.language("en")
    generator.updated(datetime.now(UTC))
    for comment in reversed(engine.discussion.visible_comments(found.id)):
        entry = generator.add_entry()
        link = f"{site}/papers/{found.id}#comment-{comment.id}"
        entry.id(link)
        entry.guid(link, permalink=True)
        entry.title(f"{comment.author} on {found.id}")
        entry.link(href=link)
        entry.author(name=comment.author or "a reader")
        # The rendered Markdown has passed the allow-list (features.markdown): safe as HTML.
        entry.description(str(comment.html) or "(empty)")
        entry.published(comment.created_at)
        entry.updated(comment.edited_at or comment.created_at)
    body = generator.atom_str(pretty=True) if kind == "atom" else generator.rss_str(pretty=True)
    return Response(bytes(body), media_type=MEDIA_TYPES[kind])
