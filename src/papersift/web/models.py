"""The JSON shapes of the API. Pages render the same objects with templates."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class PaperSummary(BaseModel):
    id: str
    title: str
    authors: list[str]
    categories: list[str]
    date: dt.date | None
    abstract_preview: str = Field(description="The first sentences of the abstract.")
    upvotes: int
    voted: bool = Field(description="Whether the logged-in user upvoted it (false when anonymous).")
    submitted_by: str | None = Field(
        default=None, description="Who submitted it to this feed, for community submissions."
    )
    url: str
    arxiv_url: str | None


class VersionOut(BaseModel):
    version: int
    created: dt.datetime | None


class PaperDetail(PaperSummary):
    abstract: str = Field(description="The abstract as stored (LaTeX and line breaks kept).")
    abstract_paragraphs: list[str] = Field(
        description="The abstract for reading: LaTeX accents as characters, maths kept for KaTeX."
    )
    primary_category: str | None
    submitted: dt.date | None
    updated: dt.date | None
    listed: dt.date | None
    version: int
    versions: list[VersionOut]
    doi: str | None
    journal_ref: str | None
    comments: str | None
    license: str | None
    pdf_url: str | None
    bibtex: str
    similar: list[PaperSummary]
    in_collections: list[int] = Field(
        description="Ids of the logged-in user's collections holding this paper."
    )


class FeedView(BaseModel):
    date: dt.date
    span: str
    first: dt.date
    last: dt.date
    category: str | None
    sort: str
    page: int
    pages: int
    total: int
    previous: dt.date | None = Field(description="The nearest earlier day with papers.")
    next: dt.date | None = Field(description="The nearest later day with papers.")
    papers: list[PaperSummary]


class TrendingItem(BaseModel):
    paper: PaperSummary
    score: float


class TrendingView(BaseModel):
    half_life_hours: float
    formula: str
    papers: list[TrendingItem]


class SearchItem(BaseModel):
    paper: PaperSummary
    score: float
    title_html: str = Field(description="The title, HTML-escaped, query terms in <mark>.")
    snippet_html: str = Field(description="An abstract excerpt, HTML-escaped, terms in <mark>.")


class SearchView(BaseModel):
    query: str
    mode: str
    modes: list[str]
    category: str | None
    since: dt.date | None
    until: dt.date | None
    author: str | None
    page: int
    pages: int
    total: int = Field(description="Matching papers (keyword mode) or results retrieved.")
    results: list[SearchItem]


class PapersPage(BaseModel):
    """An author's or a category's papers, newest first."""

    title: str
    name: str
    page: int
    pages: int
    total: int
    papers: list[PaperSummary]


class CollectionSummary(BaseModel):
    id: int
    name: str
    public: bool
    size: int
    created_at: dt.datetime
    url: str


class CollectionItemOut(BaseModel):
    paper: PaperSummary
    tags: list[str]
    added_at: dt.datetime


class CollectionDetail(CollectionSummary):
    owner: str
    mine: bool
    items: list[CollectionItemOut]


class CollectionsView(BaseModel):
    collections: list[CollectionSummary]


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str


class VoteOut(BaseModel):
    paper_id: str
    voted: bool
    upvotes: int


class CsrfOut(BaseModel):
    csrf_token: str = Field(description="Send it back in the X-CSRF-Token header.")


class SubmissionOut(BaseModel):
    paper: PaperSummary
    fetched_from_arxiv: bool
    feed_date: dt.date


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


# Request bodies ------------------------------------------------------------------------------


class SignUpIn(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    display_name: str = Field(max_length=120)


class LogInIn(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class CollectionIn(BaseModel):
    name: str = Field(max_length=200)
    public: bool = False


class CollectionItemIn(BaseModel):
    tags: list[str] = Field(default_factory=list, max_length=20)


class SubmissionIn(BaseModel):
    reference: str = Field(max_length=300, description="An arXiv id or abs/pdf URL.")
