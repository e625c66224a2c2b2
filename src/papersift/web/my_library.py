"""A reader's notes on papers and the search of their own library, with JSON twins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from papersift.web import models
from papersift.web.pages import CSRF, UserDep, VisitorDep, redirect, render
from papersift.web.views import summaries

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api_router = APIRouter(prefix="/api", tags=["library"])

SearchText = Annotated[str, Query(max_length=500)]


class NoteIn(BaseModel):
    body: str = Field(max_length=100_000, description="Markdown, at most 20,000 characters.")


class NoteOut(BaseModel):
    paper_id: str
    body: str | None = Field(description="The note as written (None: no note).")
    html: str | None = Field(description="The note rendered to safe HTML.")


class LibraryHitOut(BaseModel):
    paper: models.PaperSummary
    matched: list[str] = Field(description='Where it matched: "text", "note", "tag #name".')


class LibrarySearchView(BaseModel):
    query: str
    results: list[LibraryHitOut]


def _search(who: VisitorDep, user: UserDep, q: str) -> LibrarySearchView:
    hits = who.engine.my_library.search(user, q)
    cards = summaries(who, [hit.paper for hit in hits])
    return LibrarySearchView(
        query=q,
        results=[
            LibraryHitOut(paper=card, matched=list(hit.matched))
            for card, hit in zip(cards, hits, strict=True)
        ],
    )


def _note_out(who: VisitorDep, user: UserDep, paper_id: str) -> NoteOut:
    found = who.engine.paper(paper_id).id
    note = who.engine.my_library.note(user, found)
    return NoteOut(
        paper_id=found, body=note.body if note else None, html=str(note.html) if note else None
    )


@router.get("/library/search")
def library_search_page(
    request: Request, who: VisitorDep, user: UserDep, q: SearchText = ""
) -> Response:
    response = render(request, "library_search.html", view=_search(who, user, q))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.post("/notes", dependencies=[CSRF])
def note_form(
    who: VisitorDep,
    user: UserDep,
    paper_id: Annotated[str, Form(max_length=200)],
    body: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    found = who.engine.paper(paper_id).id
    who.engine.my_library.set_note(user, found, body)
    return redirect(f"/papers/{found}#note")


@api_router.get("/library/search", summary="Search your saved papers, notes and tags")
def library_search(who: VisitorDep, user: UserDep, q: SearchText = "") -> LibrarySearchView:
    return _search(who, user, q)


@api_router.get("/notes/{paper_id:path}", summary="Your note on a paper")
def get_note(who: VisitorDep, user: UserDep, paper_id: str) -> NoteOut:
    return _note_out(who, user, paper_id)


@api_router.put("/notes/{paper_id:path}", dependencies=[CSRF], summary="Write your note on a paper")
def put_note(who: VisitorDep, user: UserDep, paper_id: str, body: NoteIn) -> NoteOut:
    who.engine.my_library.set_note(user, paper_id, body.body)
    return _note_out(who, user, paper_id)


@api_router.delete("/notes/{paper_id:path}", dependencies=[CSRF], summary="Delete your note")
def delete_note(who: VisitorDep, user: UserDep, paper_id: str) -> NoteOut:
    who.engine.my_library.set_note(user, paper_id, "")
    return _note_out(who, user, paper_id)
