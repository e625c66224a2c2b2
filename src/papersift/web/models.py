"""The JSON shapes of the API. Pages render the same objects with templates."""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from pydantic import BaseModel, Field, StrictBool


class LinkOut(BaseModel):
    url: str
    kind: Literal["code", "model", "dataset", "space", "project", "other"] = Field(
        description="code: a GitHub, GitLab or Bitbucket repository; model, dataset, space: "
        "Hugging Face; project: a project page; other: any other address."
    )
    label: str = Field(description="Short text for the link (owner/repo for repositories).")


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
    code_url: str | None = Field(
        default=None, description="The first code repository the abstract or comments link to."
    )
    comment_count: int = Field(default=0, description="Visible comments in its discussion.")
    state: Literal["seen", "read"] | None = Field(
        default=None, description="Whether the logged-in reader has seen or read it."
    )
    links: list[LinkOut] = Field(
        default_factory=list, description="Code, data and project links in abstract and comments."
    )


class CommentOut(BaseModel):
    """A comment; a deleted or hidden one (``state``) keeps only its place for its replies."""

    id: int
    paper_id: str
    author: str | None = Field(description="The author's display name (None once deleted).")
    author_id: int | None
    parent_id: int | None
    body: str = Field(description="The Markdown as written.")
    html: str = Field(description="The Markdown rendered to safe HTML.")
    created_at: dt.datetime
    edited_at: dt.datetime | None
    state: Literal["visible", "deleted", "hidden"]
    depth: int = Field(description="Nesting level on the page (deep threads stop indenting).")
    replies: list[CommentOut]


class CommentIn(BaseModel):
    paper_id: str = Field(max_length=200, description="The paper (any spelling of its id).")
    body: str = Field(max_length=200_000, description="Markdown, at most 10,000 characters.")
    parent_id: int | None = Field(default=None, ge=1, le=2**62, description="Reply to this.")


class CommentEditIn(BaseModel):
    body: str = Field(max_length=200_000, description="Markdown, at most 10,000 characters.")


class ReportIn(BaseModel):
    reason: str = Field(max_length=2_000, description="What is wrong, in a few words.")


class HiddenIn(BaseModel):
    hidden: bool


class SubmissionHiddenIn(BaseModel):
    paper_id: str = Field(max_length=200)
    hidden: bool


class ModerationEntryOut(BaseModel):
    actor: str | None = Field(
        description="Who: a moderator, or None for the command line or a "
        "deleted account (see by_operator)."
    )
    by_operator: bool
    action: str
    target_kind: str
    target: str
    created_at: dt.datetime


class ModerationView(BaseModel):
    reported: list[CommentOut] = Field(description="Reported comments still shown.")
    reports: dict[int, int] = Field(description="Reports per reported comment id.")
    log: list[ModerationEntryOut]


class PublicCollectionOut(BaseModel):
    id: int
    name: str
    owner_id: int
    owner: str
    size: int = Field(description="Papers in it.")
    upvotes: int
    voted: bool = Field(default=False, description="Whether the logged-in user upvoted it.")
    url: str
    created_at: dt.datetime


class DirectoryView(BaseModel):
    """Public collections with at least one paper, newest or most upvoted first."""

    sort: Literal["recent", "upvoted"]
    page: int
    pages: int
    total: int
    collections: list[PublicCollectionOut]


class CollectionVoteIn(BaseModel):
    voted: bool


class CollectionVoteOut(BaseModel):
    collection_id: int
    voted: bool
    upvotes: int


class ProfileComment(BaseModel):
    id: int
    paper_id: str
    url: str
    created_at: dt.datetime


class ProfileView(BaseModel):
    """What a reader made public: public collections, community submissions and comments."""

    id: int
    name: str
    joined: dt.date
    collections: list[PublicCollectionOut]
    submissions: list[PaperSummary]
    comments: list[ProfileComment]


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
    in_public_collections: list[PublicCollectionOut] = Field(
        default_factory=list, description="Public collections holding this paper."
    )
    discussion: list[CommentOut] = Field(
        default_factory=list, description="Readers' comments, as a tree of replies."
    )


class FeedView(BaseModel):
    date: dt.date
    span: str
    first: dt.date
    last: dt.date
    category: str | None
    sort: str
    has_code: bool = Field(default=False, description="Only papers that link to code.")
    page: int
    pages: int
    total: int
    previous: dt.date | None = Field(description="The nearest earlier day with papers.")
    next: dt.date | None = Field(description="The nearest later day with papers.")
    papers: list[PaperSummary]
    hide_seen: bool = Field(
        default=False, description="The logged-in reader hides papers they have seen or read."
    )
    hidden_seen: int = Field(default=0, description="Papers of this page hidden as seen.")


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


class AuthorCard(BaseModel):
    """An author the query names (see Engine.authors_named)."""

    name: str = Field(description="The spelling most of their papers use.")
    papers: int = Field(description="Their papers that pass the search's filters.")
    url: str = Field(description="Their author page.")


class CategoryCount(BaseModel):
    name: str
    papers: int


class SearchView(BaseModel):
    query: str
    mode: str = Field(description="The mode that answered (notice says why, if not the one asked).")
    modes: list[str] = Field(description="The modes that can answer now.")
    notice: str | None = Field(
        default=None,
        description="In plain words: semantic search not ready yet, or covering only part of "
        "the papers so far; an arXiv id searched for that no stored paper has.",
    )
    category: str | None
    since: dt.date | None
    until: dt.date | None
    author: str | None
    has_code: bool = Field(default=False, description="Only papers that link to a code repository.")
    page: int
    pages: int
    total: int = Field(description="Matching papers (keyword mode) or results retrieved.")
    total_is_limit: bool = Field(
        default=False, description="Counting stopped at total: at least this many papers match."
    )
    sort: str = Field(
        default="relevance",
        description="The order of the results: relevance, date (newest first) or upvotes; by "
        "date or upvotes, the 200 most relevant papers are ordered.",
    )
    sorts: list[str] = Field(default_factory=lambda: ["relevance", "date", "upvotes"])
    authors: list[AuthorCard] = Field(
        default_factory=list,
        description="The authors the query names, most papers first (several when the name is "
        "ambiguous); their papers come first in the results.",
    )
    categories: list[CategoryCount] = Field(
        default_factory=list,
        description="The categories the stored papers are in, most papers first: the choices of "
        "the category filter.",
    )
    results: list[SearchItem]


class PapersPage(BaseModel):
    """An author's or a category's papers, newest first."""

    title: str
    name: str
    page: int
    pages: int
    total: int
    papers: list[PaperSummary]
    following: bool | None = Field(
        default=None,
        description="Whether the logged-in user follows this author or category (null when "
        "anonymous).",
    )


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


# Interests: recommendations, follows, saved searches, digest ---------------------------------


class PaperLink(BaseModel):
    id: str
    title: str
    url: str


class ReasonOut(BaseModel):
    kind: str = Field(
        description="like_paper, like_papers, followed_author, followed_category or trending."
    )
    text: str = Field(description="One line, e.g. Like “X” in your library; By A, whom you follow.")
    url: str | None = Field(
        description="What the reason points at: the library paper, the followed author or "
        "category, or the trending page."
    )


class RecommendationOut(BaseModel):
    paper: PaperSummary
    score: float
    reasons: list[ReasonOut]
    because: list[PaperLink] = Field(
        description="The papers of your library most like this one, most similar first."
    )


class FollowOut(BaseModel):
    kind: str = Field(description="author or category")
    value: str
    url: str


class ForYouView(BaseModel):
    cold_start: bool = Field(
        description="True while your library (upvoted and saved papers) is empty: the papers "
        "then come from your follows and from trending."
    )
    library_size: int
    window_days: int = Field(description="Papers of this many days, up to the newest day.")
    follows: list[FollowOut]
    feed_rss: str = Field(description="Your personal RSS feed (keep it private: no login).")
    feed_atom: str
    items: list[RecommendationOut]


class FollowStateOut(BaseModel):
    kind: str
    value: str
    following: bool
    follows: list[FollowOut] = Field(description="Everything you follow now.")


class DismissalOut(BaseModel):
    paper_id: str
    dismissed: bool = Field(description="True: never recommended to you again.")


class SavedSearchFilters(BaseModel):
    categories: list[str]
    since: dt.date | None
    until: dt.date | None
    author: str | None
    has_code: bool = False


class AlertMatchOut(BaseModel):
    paper: PaperSummary
    found_at: dt.datetime


class SavedSearchOut(BaseModel):
    id: int
    name: str
    query: str
    mode: str
    filters: SavedSearchFilters
    created_at: dt.datetime
    url: str
    search_url: str = Field(description="The search page with this query and these filters.")
    feed_rss: str = Field(description="RSS of the new papers it matched (keep it private).")
    feed_atom: str
    matches: list[AlertMatchOut] = Field(description="New papers it matched, newest first.")


class SavedSearchesView(BaseModel):
    searches: list[SavedSearchOut]
    limit: int = Field(description="The most saved searches one user may have.")


class DigestSectionOut(BaseModel):
    key: str
    title: str


class DigestSettingsOut(BaseModel):
    email: str
    frequency: str = Field(description="daily, weekly or off")
    sections: list[str]
    available_sections: list[DigestSectionOut]


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
    public: StrictBool = False


class CollectionItemIn(BaseModel):
    tags: list[str] = Field(default_factory=list, max_length=20)


class SubmissionIn(BaseModel):
    reference: str = Field(max_length=300, description="An arXiv id or abs/pdf URL.")


class SavedSearchIn(BaseModel):
    """A search to save: new papers matching it are listed on its page, feed and digest."""

    query: str = Field(min_length=1, max_length=500)
    name: str | None = Field(default=None, max_length=200, description="Default: the query.")
    mode: Literal["auto", "keyword", "semantic", "bm25", "dense", "hybrid"] | None = None
    category: str | None = Field(default=None, max_length=40)
    since: dt.date | None = None
    until: dt.date | None = None
    author: str | None = Field(default=None, max_length=200)
    has_code: bool = Field(default=False, description="Only papers that link to code.")


DigestSection = Literal[
    "trending", "for_you", "saved_searches", "followed_authors", "collection_streams",
    "discussion",
]  # fmt: skip
DEFAULT_SECTIONS: tuple[DigestSection, ...] = (
    "trending", "for_you", "saved_searches", "followed_authors"
)  # fmt: skip


class DigestSettingsIn(BaseModel):
    frequency: Literal["daily", "weekly", "off"]
    sections: list[DigestSection] = Field(
        default_factory=lambda: list(DEFAULT_SECTIONS),
        max_length=len(get_args(DigestSection)),
        description="Default: every section but discussion (new replies to your comments and "
        "new comments on papers in your collections), which is optional.",
    )


class SemanticOut(BaseModel):
    enabled: bool = Field(description="Semantic search is switched on and installed.")
    embedder: str | None = Field(description="The model and backend that embed papers and queries.")
    papers: int
    embedded: int = Field(description="Papers semantic search covers now.")
    coverage: float = Field(description="embedded / papers, 0 to 1.")
    embedding_running: bool = Field(description="An embedding run is adding papers now.")
    papers_per_second: float | None
    eta_seconds: int | None = Field(description="Time until every paper is covered, if running.")
    updated_at: str | None = Field(description="When the embedding run last reported.")
    summary: str = Field(description="The same in one plain sentence.")


class StatusView(BaseModel):
    """What this deployment can do right now."""

    papers: int
    keyword_indexed: int = Field(description="Papers keyword search covers.")
    modes: list[str] = Field(description="Search modes that can answer now.")
    default_mode: str
    semantic: SemanticOut
