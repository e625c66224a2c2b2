"""The reading workflow's forms and their JSON twins: read later (the Reading list), mark read,
mark a page as seen, and the "hide seen" setting of lists. Every form works without JavaScript;
the keyboard keys of list pages (static/app.js) press the same buttons."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from papersift.web.interests import Next
from papersift.web.pages import CSRF, UserDep, VisitorDep, local_path, redirect

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api_router = APIRouter(prefix="/api", tags=["reading"])

PaperField = Annotated[str, Form(max_length=200)]


class ReadLaterOut(BaseModel):
    paper_id: str
    collection_id: int = Field(description="The reader's Reading list collection.")


class ReadOut(BaseModel):
    paper_id: str
    state: Literal["read"] | None


class SeenIn(BaseModel):
    paper_ids: list[str] = Field(max_length=200, description="Papers to mark as seen.")


class SeenOut(BaseModel):
    marked: int


class ReadingSettings(BaseModel):
    hide_seen: bool = Field(description="Lists (feed, For you, search) hide seen and read papers.")


# pages -----------------------------------------------------------------------------------------


@router.post("/reading-list", dependencies=[CSRF])
def read_later_form(
    who: VisitorDep, user: UserDep, paper_id: PaperField, next: Next = None
) -> Response:
    collection = who.engine.reading.read_later(user, paper_id)
    return redirect(local_path(next, f"/collections/{collection.id}"))


@router.post("/read", dependencies=[CSRF])
def read_form(
    who: VisitorDep,
    user: UserDep,
    paper_id: PaperField,
    read: Annotated[Literal["1", "0"], Form()] = "1",
    next: Next = None,
) -> Response:
    found = who.engine.reading.mark_read(user, paper_id, read == "1")
    return redirect(local_path(next, f"/papers/{found}"))


@router.post("/seen", dependencies=[CSRF])
def seen_form(
    who: VisitorDep,
    user: UserDep,
    paper_id: Annotated[list[str], Form(max_length=200)],
    next: Next = None,
) -> Response:
    who.engine.reading.mark_seen(user, paper_id)
    return redirect(local_path(next, "/"))


@router.post("/settings/hide-seen", dependencies=[CSRF])
def hide_seen_form(
    who: VisitorDep,
    user: UserDep,
    hide: Annotated[Literal["1", "0"], Form()],
    next: Next = None,
) -> Response:
    who.engine.reading.set_hide_seen(user, hide == "1")
    return redirect(local_path(next, "/"))


# JSON ------------------------------------------------------------------------------------------


@api_router.put("/reading-list/{paper_id:path}", dependencies=[CSRF], summary="Read later")
def read_later(who: VisitorDep, user: UserDep, paper_id: str) -> ReadLaterOut:
    collection = who.engine.reading.read_later(user, paper_id)
    return ReadLaterOut(paper_id=who.engine.paper(paper_id).id, collection_id=collection.id)


@api_router.put("/read/{paper_id:path}", dependencies=[CSRF], summary="Mark a paper read")
def mark_read(who: VisitorDep, user: UserDep, paper_id: str) -> ReadOut:
    return ReadOut(paper_id=who.engine.reading.mark_read(user, paper_id, True), state="read")


@api_router.delete(
    "/read/{paper_id:path}", dependencies=[CSRF], summary="Forget that a paper was seen or read"
)
def unmark_read(who: VisitorDep, user: UserDep, paper_id: str) -> ReadOut:
    return ReadOut(paper_id=who.engine.reading.mark_read(user, paper_id, False), state=None)


@api_router.post("/seen", dependencies=[CSRF], summary="Mark papers as seen")
def mark_seen(who: VisitorDep, user: UserDep, body: SeenIn) -> SeenOut:
    return SeenOut(marked=who.engine.reading.mark_seen(user, body.paper_ids))


@api_router.get("/settings/reading", summary="Your reading settings")
def reading_settings(who: VisitorDep, user: UserDep) -> ReadingSettings:
    return ReadingSettings(hide_seen=who.engine.reading.hides_seen(user))


@api_router.put("/settings/reading", dependencies=[CSRF], summary="Change your reading settings")
def set_reading_settings(who: VisitorDep, user: UserDep, body: ReadingSettings) -> ReadingSettings:
    who.engine.reading.set_hide_seen(user, body.hide_seen)
    return ReadingSettings(hide_seen=who.engine.reading.hides_seen(user))
