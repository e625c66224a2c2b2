"""Views: each builds the object one page shows, and its JSON twin returns.

Page routes render these with templates; API routes return them as JSON. So a page and its
twin can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from papersift.engine import Engine
from papersift.errors import InvalidInputError
from papersift.features.bibtex import bibtex
from papersift.features.feed import FeedRequest, Span
from papersift.features.highlight import highlight, snippet
from papersift.links import Link, find_links
from papersift.model import Paper
from papersift.search_request import SearchRequest, check_category, check_day
from papersift.sources.arxiv_ids import arxiv_abs_url, arxiv_pdf_url
from papersift.store.collections import Collection
from papersift.store.listings import Order
from papersift.store.submissions import Submission
from papersift.store.users import User
from papersift.text import cut_outside_math, paragraphs, readable
from papersift.web import community_views, discussion_views, models

SEARCH_PAGE_SIZE = 20
SEARCH_DEPTH = 200  # results retrieved per query: 10 pages
COUNT_LIMIT = 10_000  # matches counted: beyond it the page says 10,000+
LIST_PAGE_SIZE = 50
SIMILAR_COUNT = 8
MAX_PAGE = 10_000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
# The formula of papersift.features.trending, shown on the page and in the API.
TRENDING_FORMULA = "score = sum over upvotes of 2^(-(now - upvote time) / half-life)"


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who is asking: views need the engine and the logged-in user (or None)."""

    engine: Engine
    user: User | None


def check_mode(engine: Engine, mode: str) -> str:
    """The mode that answers for ``mode`` now (keyword while semantic search cannot answer);
    an error for a name that is no mode."""
    try:
        return engine.choose_mode(mode).mode
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def check_page(page: int) -> int:
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInputError(f"page must be between 1 and {MAX_PAGE}")
    return page


def preview(abstract: str, *, limit: int = 300) -> str:
    """The abstract's first sentences, up to about ``limit`` characters."""
    text = readable(abstract)
    if len(text) <= limit:
        return text
    cut = text[: cut_outside_math(text, limit)]
    sentences = _SENTENCE_END.split(cut)
    if len(sentences) > 1:
        return " ".join(sentences[:-1])
    return cut[: cut.rfind(" ")] + " …"


def summaries(
    visitor: Visitor,
    papers: Sequence[Paper],
    *,
    upvotes: dict[str, int] | None = None,
    submissions: dict[str, Submission] | None = None,
) -> list[models.PaperSummary]:
    ids = [p.id for p in papers]
    counts = upvotes if upvotes is not None else visitor.engine.upvotes(ids)
    voted = visitor.engine.voted_by(visitor.user, ids) if visitor.user else set()
    submitted = submissions or {}
    comment_counts = visitor.engine.discussion.counts(ids)
    states = visitor.engine.reading.states(visitor.user, ids)
    return [
        models.PaperSummary(
            id=p.id,
            title=readable(p.title),
            authors=list(p.authors),
            categories=list(p.categories),
            date=p.display_date,
            abstract_preview=preview(p.abstract),
            upvotes=counts.get(p.id, 0),
            voted=p.id in voted,
            submitted_by=submitted[p.id].submitter if p.id in submitted else None,
            url=f"/papers/{p.id}",
            arxiv_url=arxiv_abs_url(p.id) if p.source == "arxiv" else None,
            comment_count=comment_counts.get(p.id, 0),
            state=states.get(p.id),  # type: ignore[arg-type]
            **_links(p),
        )
        for p in papers
    ]


def _links(paper: Paper) -> dict[str, Any]:
    found = find_links(paper.abstract, paper.comments)
    code = next((link.repository for link in found if link.repository), None)
    links = [models.LinkOut.model_validate(_link_fields(link)) for link in found]
    return {"code_url": code, "links": links}


def _link_fields(link: Link) -> dict[str, str]:
    return {"url": link.url, "kind": link.kind, "label": link.label}


# feed and trending -----------------------------------------------------------------------------


def feed(
    visitor: Visitor,
    *,
    day: date | None,
    span: Span,
    category: str | None,
    sort: Order,
    page: int,
    has_code: bool = False,
) -> models.FeedView:
    request = FeedRequest(
        check_day(day, "date"), span, check_category(category), sort, check_page(page),
        has_code=has_code,
    )  # fmt: skip
    result = visitor.engine.feed.page(request)
    reading, user = visitor.engine.reading, visitor.user
    hide_seen = reading.hides_seen(user)  # read once for the page: it filters and is shown
    entries = (
        reading.without_seen(user, result.entries, lambda e: e.paper.id)
        if hide_seen and user is not None
        else result.entries
    )
    papers = [entry.paper for entry in entries]
    upvotes = {entry.paper.id: entry.upvotes for entry in result.entries}
    submissions = {e.paper.id: e.submission for e in result.entries if e.submission}
    return models.FeedView(
        date=result.first,
        span=span,
        first=result.first,
        last=result.last,
        category=request.category,
        sort=sort,
        has_code=has_code,
        page=page,
        pages=result.pages,
        total=result.total,
        previous=result.previous,
        next=result.next,
        papers=summaries(visitor, papers, upvotes=upvotes, submissions=submissions),
        hide_seen=hide_seen,
        hidden_seen=len(result.entries) - len(entries),
    )


def trending(visitor: Visitor, *, limit: int) -> models.TrendingView:
    if not 1 <= limit <= 200:
        raise InvalidInputError("limit must be between 1 and 200")
    ranked = visitor.engine.trending(limit=limit)
    papers = summaries(
        visitor, [t.paper for t in ranked], upvotes={t.paper.id: t.upvotes for t in ranked}
    )
    return models.TrendingView(
        half_life_hours=visitor.engine.settings.trending_half_life_hours,
        formula=TRENDING_FORMULA,
        papers=[
            models.TrendingItem(paper=s, score=round(t.score, 4))
            for s, t in zip(papers, ranked, strict=True)
        ],
    )


# search ----------------------------------------------------------------------------------------


def search(
    visitor: Visitor,
    *,
    query: str,
    mode: str,
    category: str | None,
    since: date | None,
    until: date | None,
    author: str | None,
    page: int,
    has_code: bool = False,
    sort: str = "relevance",
) -> models.SearchView:
    engine = visitor.engine
    request = SearchRequest.checked(
        query, mode=mode, category=category, since=since, until=until, author=author,
        has_code=has_code, sort=sort,
    )  # fmt: skip
    check_page(page)
    query = request.query
    choice = engine.choose_mode(request.mode)
    categories = [models.CategoryCount(name=n, papers=c) for n, c in engine.categories()]
    mode = choice.mode
    filters = request.filters
    filters = engine.resolve_filters(filters) or filters
    if not query:
        return models.SearchView(
            query="", mode=mode, modes=engine.modes, notice=choice.notice,
            category=filters.categories[0] if filters.categories else None, since=since,
            until=until, author=filters.author, has_code=has_code, page=1, pages=1, total=0,
            sort=sort, categories=categories, results=[],
        )  # fmt: skip
    if mode == "bm25":  # the index counts the matches (to COUNT_LIMIT): fetch up to this page
        total = engine.count_matches(query, filters, at_most=COUNT_LIMIT)
        # Sorted by date or upvotes, every page orders the same most relevant papers.
        depth = page * SEARCH_PAGE_SIZE if sort == "relevance" else SEARCH_DEPTH
        hits = engine.search_hits(query, k=depth, filters=filters, mode=mode)
        total = max(total, len(hits))  # a paper named by its id counts, whatever its words
        retrieved = min(total, SEARCH_DEPTH)
    else:
        hits = engine.search_hits(query, k=SEARCH_DEPTH, filters=filters, mode=mode)
        total = retrieved = len(hits)
    hits = engine.sort_hits(hits, sort)
    authors = [
        models.AuthorCard(name=a.name, papers=a.papers, url=f"/authors/{quote(a.name, safe='')}")
        for a in engine.authors_named(query, filters)
    ]
    pages = max(1, -(-retrieved // SEARCH_PAGE_SIZE))
    shown = hits[(page - 1) * SEARCH_PAGE_SIZE : page * SEARCH_PAGE_SIZE]
    shown = engine.reading.unseen(visitor.user, shown, lambda hit: hit.paper_id)
    found = engine.papers_by_id([h.paper_id for h in shown])
    papers = [found[h.paper_id] for h in shown if h.paper_id in found]
    scores = {h.paper_id: h.score for h in shown}
    results = [
        models.SearchItem(
            paper=summary,
            score=round(scores[paper.id], 4),
            title_html=str(highlight(readable(paper.title), query)),
            snippet_html=str(snippet(readable(paper.abstract), query)),
        )
        for paper, summary in zip(papers, summaries(visitor, papers), strict=True)
    ]
    notices = [choice.notice, engine.unstored_id_notice(query)]
    return models.SearchView(
        query=query,
        mode=mode,
        modes=engine.modes,
        notice=" ".join(notice for notice in notices if notice) or None,
        category=filters.categories[0] if filters.categories else None,
        since=since,
        until=until,
        author=filters.author,
        has_code=has_code,
        page=page,
        pages=pages,
        total=total,
        total_is_limit=mode == "bm25" and total >= COUNT_LIMIT,
        sort=sort,
        authors=authors,
        categories=categories,
        results=results,
    )


# papers, authors, categories -------------------------------------------------------------------


def paper(visitor: Visitor, paper_id: str) -> models.PaperDetail:
    engine = visitor.engine
    found = engine.paper(paper_id)
    similar_ids = engine.similar_ids(found.id, SIMILAR_COUNT, engine.index_generation())
    similar_papers = engine.papers_by_id(list(similar_ids))
    similar = [similar_papers[i] for i in similar_ids if i in similar_papers]
    submissions = engine.submissions.of_papers([found.id])
    summary = summaries(visitor, [found], submissions=submissions)[0]
    holding = sorted(engine.library.holding(visitor.user, found.id)) if visitor.user else []
    is_arxiv = found.source == "arxiv"
    return models.PaperDetail(
        **summary.model_dump(),
        abstract=found.abstract,
        abstract_paragraphs=paragraphs(found.abstract),
        primary_category=found.primary_category,
        submitted=found.submitted,
        updated=found.updated,
        listed=found.listed,
        version=found.version,
        versions=[models.VersionOut(version=v.number, created=v.created) for v in found.versions],
        doi=found.doi,
        journal_ref=found.journal_ref,
        comments=found.comments,
        license=found.license,
        pdf_url=arxiv_pdf_url(found.id) if is_arxiv else None,
        bibtex=bibtex(found),
        similar=summaries(visitor, similar),
        in_collections=holding,
        in_public_collections=community_views.holding(visitor, found.id),
        discussion=discussion_views.thread(visitor, found.id),
    )


def _papers_page(
    visitor: Visitor,
    title: str,
    name: str,
    papers: list[Paper],
    total: int,
    page: int,
    *,
    upvotes: dict[str, int] | None = None,
) -> models.PapersPage:
    return models.PapersPage(
        title=title,
        name=name,
        page=page,
        pages=max(1, -(-total // LIST_PAGE_SIZE)),
        total=total,
        papers=summaries(visitor, papers, upvotes=upvotes),
    )


def author(visitor: Visitor, name: str, *, page: int) -> models.PapersPage:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 200:
        raise InvalidInputError("an author name must have 1 to 200 characters")
    check_page(page)
    shown, total = visitor.engine.author_page(name, page=page, size=LIST_PAGE_SIZE)
    return _papers_page(visitor, f"Papers by {name}", name, shown, total, page)


def category(visitor: Visitor, name: str, *, page: int) -> models.PapersPage:
    checked = check_category(name)
    assert checked is not None
    check_page(page)
    listed, total = visitor.engine.category_listing(
        checked, limit=LIST_PAGE_SIZE, offset=(page - 1) * LIST_PAGE_SIZE
    )
    upvotes = {item.paper.id: item.upvotes for item in listed}
    papers = [item.paper for item in listed]
    return _papers_page(
        visitor, f"Papers in {checked}", checked, papers, total, page, upvotes=upvotes
    )


# collections -----------------------------------------------------------------------------------


def collection_summary(collection: Collection) -> models.CollectionSummary:
    return models.CollectionSummary(
        id=collection.id,
        name=collection.name,
        public=collection.is_public,
        size=collection.size,
        created_at=collection.created_at,
        url=f"/collections/{collection.id}",
    )


def collections(visitor: Visitor, user: User) -> models.CollectionsView:
    return models.CollectionsView(
        collections=[collection_summary(c) for c in visitor.engine.library.of_user(user)]
    )


def collection(visitor: Visitor, collection_id: int) -> models.CollectionDetail:
    view = visitor.engine.library.view(visitor.user, collection_id)
    papers = [p for p, _ in view.items]
    items = [
        models.CollectionItemOut(paper=summary, tags=list(item.tags), added_at=item.added_at)
        for summary, (_, item) in zip(summaries(visitor, papers), view.items, strict=True)
    ]
    summary = collection_summary(view.collection)
    return models.CollectionDetail(
        **summary.model_dump(),
        owner=view.owner_name,
        mine=visitor.user is not None and visitor.user.id == view.collection.user_id,
        items=items,
    )


# status ----------------------------------------------------------------------------------------


def status(visitor: Visitor) -> models.StatusView:
    engine = visitor.engine
    semantic = engine.semantic_status()
    keyword_papers, _ = engine.keyword_index_state()  # damaged: papersift stats says so
    return models.StatusView(
        papers=semantic.papers,
        keyword_indexed=keyword_papers,
        modes=engine.modes,
        default_mode=engine.default_mode,
        semantic=models.SemanticOut(**semantic.to_dict()),
    )
