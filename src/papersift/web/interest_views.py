"""Views of a reader's interests: "For you", follows, "not interested" marks, saved searches,
digest settings, and the signed links that work without a login (personal feeds, unsubscribe).

Like ``views``, each function builds the object a page shows and its JSON twin returns; the
rules (limits, ownership, tokens) are the engine's ``Interests`` service's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from urllib.parse import urlencode

from papersift.errors import InvalidInputError, NotFoundError
from papersift.features import addresses
from papersift.features.addresses import author_path, category_path, paper_path, path
from papersift.features.alerts import filters_from_json
from papersift.features.digest_model import SECTION_TITLES
from papersift.features.interests import MAX_SAVED_SEARCHES
from papersift.features.reasons import Reason, ReasonKind
from papersift.features.recommendations import Recommendation
from papersift.model import Paper
from papersift.search_request import SearchRequest
from papersift.store.interests import SavedSearch
from papersift.store.users import User
from papersift.text import readable
from papersift.web import models, views
from papersift.web.views import Visitor

FOR_YOU_LIMIT = 20
MATCHES_LISTED = 5  # per search on the list of saved searches
MATCHES_SHOWN = 100  # on one saved search's page and feed


# For you ---------------------------------------------------------------------------------------


def for_you(visitor: Visitor, user: User, *, limit: int = FOR_YOU_LIMIT) -> models.ForYouView:
    if not 1 <= limit <= 100:
        raise InvalidInputError("limit must be between 1 and 100")
    engine = visitor.engine
    recommended = engine.recommendations(user, limit=limit)
    recommended = engine.reading.unseen(user, recommended, lambda r: r.paper.id)
    follows = engine.interests.follows_of(user.id)
    library = engine.recommender.library(user)
    token = engine.interests.for_you_token(user.id)
    papers = views.summaries(visitor, [r.paper for r in recommended])
    return models.ForYouView(
        cold_start=not library,
        library_size=len(library),
        window_days=engine.settings.recommendation_window_days,
        follows=[follow_out(kind, value) for kind, value in follows],
        feed_rss=path(addresses.FOR_YOU_FEED, token=token, kind="rss"),
        feed_atom=path(addresses.FOR_YOU_FEED, token=token, kind="atom"),
        items=[
            recommendation_out(summary, r, follows)
            for summary, r in zip(papers, recommended, strict=True)
        ],
    )


def recommendation_out(
    summary: models.PaperSummary,
    recommended: Recommendation,
    follows: Sequence[tuple[str, str]] = (),
) -> models.RecommendationOut:
    return models.RecommendationOut(
        paper=summary,
        score=round(recommended.score, 4),
        reasons=[reason_out(reason, follows) for reason in recommended.reasons],
        because=[paper_link(p) for p in recommended.because],
    )


def paper_link(paper: Paper) -> models.PaperLink:
    return models.PaperLink(id=paper.id, title=readable(paper.title), url=paper_path(paper.id))


def reason_out(reason: Reason, follows: Sequence[tuple[str, str]] = ()) -> models.ReasonOut:
    """A reason with where it points: the library paper it names, the followed author or
    category (while followed), the trending page."""
    url: str | None = None
    if reason.kind is ReasonKind.LIKE_PAPER and reason.paper_id:
        url = paper_path(reason.paper_id)
    elif reason.kind is ReasonKind.FOLLOWED_AUTHOR and ("author", reason.value) in follows:
        url = author_path(reason.value)
    elif reason.kind is ReasonKind.FOLLOWED_CATEGORY and ("category", reason.value) in follows:
        url = category_path(reason.value)
    elif reason.kind is ReasonKind.TRENDING:
        url = addresses.TRENDING
    return models.ReasonOut(kind=reason.kind.value, text=reason.text, url=url)


# follows ---------------------------------------------------------------------------------------


def follow_out(kind: str, value: str) -> models.FollowOut:
    url = author_path(value) if kind == "author" else category_path(value)
    return models.FollowOut(kind=kind, value=value, url=url)


def set_follow(
    visitor: Visitor, user: User, kind: str, value: str, following: bool
) -> models.FollowStateOut:
    value, follows = visitor.engine.interests.set_follow(user, kind, value, following)
    return models.FollowStateOut(
        kind=kind,
        value=value,
        following=(kind, value) in follows,
        follows=[follow_out(k, v) for k, v in follows],
    )


def with_follow_state(visitor: Visitor, page: models.PapersPage, kind: str) -> models.PapersPage:
    """An author's or a category's page with whether the logged-in visitor follows it."""
    if visitor.user is None:
        return page
    following = visitor.engine.interests.is_following(visitor.user.id, kind, page.name)
    return page.model_copy(update={"following": following})


# not interested --------------------------------------------------------------------------------


def set_dismissed(
    visitor: Visitor, user: User, paper_id: str, dismissed: bool
) -> models.DismissalOut:
    engine = visitor.engine
    paper = engine.paper(paper_id)  # unknown papers are 404
    engine.interests.set_dismissed(user, paper.id, dismissed)
    return models.DismissalOut(paper_id=paper.id, dismissed=dismissed)


def dismissed_paper(visitor: Visitor, user: User, paper_id: str) -> models.PaperLink | None:
    """The paper just marked "not interested" (to offer an undo), if it is."""
    if paper_id not in visitor.engine.interests.dismissed(user.id):
        return None
    try:
        return paper_link(visitor.engine.paper(paper_id))
    except NotFoundError:  # deleted since
        return None


# saved searches --------------------------------------------------------------------------------


def save_search(
    visitor: Visitor,
    user: User,
    *,
    query: str,
    name: str | None,
    mode: str,
    category: str | None,
    since: date | None,
    until: date | None,
    author: str | None,
    has_code: bool = False,
) -> SavedSearch:
    """Save a search; only papers added from now on are matched against it (alerts)."""
    engine = visitor.engine
    request = SearchRequest.checked(
        query, mode=mode, category=category, since=since, until=until, author=author,
        has_code=has_code,
    )  # fmt: skip
    answering = engine.choose_mode(request.mode).mode
    return engine.interests.save_search(
        user, query=query, name=name, mode=answering, filters=request.filters
    )


def search_url(search: SavedSearch) -> str:
    filters = filters_from_json(search.filters)
    params: dict[str, str] = {"q": search.query, "mode": search.mode}
    if filters.categories:
        params["category"] = filters.categories[0]
    if filters.since:
        params["since"] = filters.since.isoformat()
    if filters.until:
        params["until"] = filters.until.isoformat()
    if filters.author:
        params["author"] = filters.author
    if filters.has_code:
        params["has_code"] = "true"
    return "/search?" + urlencode(params)


def saved_search_out(
    visitor: Visitor, search: SavedSearch, *, matches: int = MATCHES_SHOWN
) -> models.SavedSearchOut:
    engine = visitor.engine
    shown = engine.interests.matched(search, limit=matches)
    summaries = views.summaries(visitor, [paper for paper, _ in shown])
    filters = filters_from_json(search.filters)
    token = engine.interests.saved_search_token(search)
    return models.SavedSearchOut(
        id=search.id,
        name=search.name,
        query=search.query,
        mode=search.mode,
        filters=models.SavedSearchFilters(
            categories=list(filters.categories),
            since=filters.since,
            until=filters.until,
            author=filters.author,
            has_code=filters.has_code,
        ),
        created_at=search.created_at,
        url=path(addresses.SAVED_SEARCH, search_id=search.id),
        search_url=search_url(search),
        feed_rss=path(addresses.SAVED_SEARCH_FEED, token=token, kind="rss"),
        feed_atom=path(addresses.SAVED_SEARCH_FEED, token=token, kind="atom"),
        matches=[
            models.AlertMatchOut(paper=summary, found_at=when)
            for summary, (_, when) in zip(summaries, shown, strict=True)
        ],
    )


def saved_searches(visitor: Visitor, user: User) -> models.SavedSearchesView:
    return models.SavedSearchesView(
        searches=[
            saved_search_out(visitor, search, matches=MATCHES_LISTED)
            for search in visitor.engine.interests.searches_of(user.id)
        ],
        limit=MAX_SAVED_SEARCHES,
    )


def saved_search(visitor: Visitor, user: User, search_id: int) -> models.SavedSearchOut:
    return saved_search_out(visitor, visitor.engine.interests.own_search(user, search_id))


def delete_search(visitor: Visitor, user: User, search_id: int) -> None:
    visitor.engine.interests.delete_search(user, search_id)


# digest settings -------------------------------------------------------------------------------


def digest_settings(visitor: Visitor, user: User) -> models.DigestSettingsOut:
    choice = visitor.engine.interests.digest_choice(user.id)
    return models.DigestSettingsOut(
        email=user.email,
        frequency=choice.frequency,
        sections=list(choice.sections),
        available_sections=[
            models.DigestSectionOut(key=key, title=title) for key, title in SECTION_TITLES.items()
        ],
    )


def set_digest(
    visitor: Visitor, user: User, frequency: str, sections: Sequence[str]
) -> models.DigestSettingsOut:
    visitor.engine.interests.set_digest(user, frequency, sections)
    return digest_settings(visitor, user)
