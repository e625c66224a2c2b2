"""Views of a reader's interests: "For you", follows, "not interested" marks, saved searches,
digest settings, and the signed links that work without a login (personal feeds, unsubscribe).

Like ``views``, each function builds the object a page shows and its JSON twin returns.

Links without a login carry a signed token (``papersift.features.tokens``): the "For you" feed
``make_token(secret, "for-you-feed", user id)``; a saved search's feed
``<search id>.`` + ``make_token(secret, "saved-search:<search id>", owner id)``, which names the
search and its owner, so it cannot be forged or moved to another search, and a search id reused
after a deletion does not open another reader's search; the digest's unsubscribe link
``make_token(secret, "unsubscribe", user id)``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from urllib.parse import quote, urlencode

from papersift.engine import Engine
from papersift.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from papersift.features.alerts import filters_from_json, filters_to_json
from papersift.features.digest_model import OPTIONAL_SECTIONS, SECTION_TITLES
from papersift.features.recommendations import Recommendation
from papersift.features.tokens import make_token, read_token
from papersift.filters import Filters
from papersift.model import Paper
from papersift.store.interests import SavedSearch, Subscription
from papersift.store.users import User
from papersift.text import readable
from papersift.web import models, views
from papersift.web.views import Visitor

FOR_YOU_LIMIT = 20
FOR_YOU_FEED = "for-you-feed"
UNSUBSCRIBE = "unsubscribe"
MAX_SAVED_SEARCHES = 100
MAX_FOLLOWS = 500
MATCHES_LISTED = 5  # per search on the list of saved searches
MATCHES_SHOWN = 100  # on one saved search's page and feed
FREQUENCIES = ("daily", "weekly", "off")
SECTIONS = tuple(SECTION_TITLES)
FOLLOW_KINDS = ("author", "category")
FEED_LINK_INVALID = "this feed link is invalid or was changed: copy it again from its page"
_MAX_ID = 2**63 - 1
_SEARCH_TOKEN = re.compile(r"(0|[1-9][0-9]{0,18})\.(v1\.[0-9A-Za-z_.-]{1,100})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_BY_AUTHOR = re.compile(r"By (.+), whom you follow")
_IN_CATEGORY = re.compile(r"In (.+), which you follow")


# For you ---------------------------------------------------------------------------------------


def for_you_token(engine: Engine, user_id: int) -> str:
    return make_token(engine.secret_key(), FOR_YOU_FEED, user_id)


def user_of_feed_token(engine: Engine, token: str) -> User:
    """The reader a "For you" feed link was made for."""
    user_id = read_feed_token(engine, FOR_YOU_FEED, token)
    user = engine.users.by_id(user_id)
    if user is None:
        raise NotFoundError("this feed's account no longer exists")
    return user


def for_you(visitor: Visitor, user: User, *, limit: int = FOR_YOU_LIMIT) -> models.ForYouView:
    if not 1 <= limit <= 100:
        raise InvalidInputError("limit must be between 1 and 100")
    engine = visitor.engine
    recommended = engine.recommendations(user, limit=limit)
    recommended = engine.reading.unseen(user, recommended, lambda r: r.paper.id)
    follows = engine.interests.follows_of(user.id)
    library = engine.recommender.library(user)
    token = for_you_token(engine, user.id)
    papers = views.summaries(visitor, [r.paper for r in recommended])
    return models.ForYouView(
        cold_start=not library,
        library_size=len(library),
        window_days=engine.settings.recommendation_window_days,
        follows=[follow_out(kind, value) for kind, value in follows],
        feed_rss=f"/feeds/for-you/{token}.rss",
        feed_atom=f"/feeds/for-you/{token}.atom",
        items=[
            models.RecommendationOut(
                paper=summary,
                score=round(r.score, 4),
                reasons=_reasons(r, follows),
                because=[paper_link(p) for p in r.because],
            )
            for summary, r in zip(papers, recommended, strict=True)
        ],
    )


def paper_link(paper: Paper) -> models.PaperLink:
    return models.PaperLink(id=paper.id, title=readable(paper.title), url=f"/papers/{paper.id}")


def reasons_of(recommendation: Recommendation) -> list[models.ReasonOut]:
    """The recommendation's reasons with where they point (a collection stream's)."""
    return _reasons(recommendation, ())


def _reasons(
    recommendation: Recommendation, follows: Sequence[tuple[str, str]]
) -> list[models.ReasonOut]:
    """Each reason with where it points: the library paper it names, the followed author or
    category, the trending page."""
    followed = set(follows)
    reasons = []
    for text in recommendation.reasons:
        url: str | None = None
        liked = [p for p in recommendation.because if f"“{readable(p.title)}”" in text]
        author, category = _BY_AUTHOR.fullmatch(text), _IN_CATEGORY.fullmatch(text)
        if liked:
            url = f"/papers/{liked[0].id}"
        elif author and ("author", author.group(1)) in followed:
            url = author_url(author.group(1))
        elif category and ("category", category.group(1)) in followed:
            url = f"/categories/{category.group(1)}"
        elif text == "Trending":
            url = "/trending"
        reasons.append(models.ReasonOut(text=text, url=url))
    return reasons


# follows ---------------------------------------------------------------------------------------


def author_url(name: str) -> str:
    return f"/authors/{quote(name)}"


def follow_out(kind: str, value: str) -> models.FollowOut:
    url = author_url(value) if kind == "author" else f"/categories/{value}"
    return models.FollowOut(kind=kind, value=value, url=url)


def check_follow(kind: str, value: str) -> str:
    """The value to store for following ``kind`` ``value`` (an author name or a category)."""
    if kind == "category":
        checked = views.check_category(value)
        if checked is None:
            raise InvalidInputError("name the category to follow")
        return checked
    if kind not in FOLLOW_KINDS:
        raise InvalidInputError("one follows an author or a category")
    name = " ".join(value.split())
    if not 1 <= len(name) <= 200:
        raise InvalidInputError("an author name must have 1 to 200 characters")
    return _plain(name, "an author name")


def set_follow(
    visitor: Visitor, user: User, kind: str, value: str, following: bool
) -> models.FollowStateOut:
    interests = visitor.engine.interests
    value = check_follow(kind, value)
    if following:
        current = interests.follows_of(user.id)
        if (kind, value) not in current and len(current) >= MAX_FOLLOWS:
            raise ConflictError(f"you follow {MAX_FOLLOWS} authors and categories already")
        interests.follow(user.id, kind, value)
    else:
        interests.unfollow(user.id, kind, value)
    follows = interests.follows_of(user.id)
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
    following = (kind, page.name) in visitor.engine.interests.follows_of(visitor.user.id)
    return page.model_copy(update={"following": following})


# not interested --------------------------------------------------------------------------------


def set_dismissed(
    visitor: Visitor, user: User, paper_id: str, dismissed: bool
) -> models.DismissalOut:
    engine = visitor.engine
    paper = engine.paper(paper_id)  # unknown papers are 404
    if dismissed:
        engine.interests.dismiss(user.id, paper.id, now=engine.clock())
    else:
        engine.interests.undismiss(user.id, paper.id)
    return models.DismissalOut(paper_id=paper.id, dismissed=dismissed)


# saved searches --------------------------------------------------------------------------------


def saved_search_token(engine: Engine, search: SavedSearch) -> str:
    signed = make_token(engine.secret_key(), f"saved-search:{search.id}", search.user_id)
    return f"{search.id}.{signed}"


def search_of_feed_token(engine: Engine, token: str) -> SavedSearch:
    """The saved search a feed link names; only its owner's link (from its page) opens it."""
    match = _SEARCH_TOKEN.fullmatch(token)
    if match is None or int(match.group(1)) > _MAX_ID:
        raise InvalidInputError(FEED_LINK_INVALID)
    search_id = int(match.group(1))
    owner = read_feed_token(engine, f"saved-search:{search_id}", match.group(2))
    found = engine.interests.search(search_id)
    if found is None or found.user_id != owner:
        raise NotFoundError("this saved search was deleted")
    return found


def own_search(engine: Engine, user: User, search_id: int) -> SavedSearch:
    found = engine.interests.search(search_id)
    if found is None:
        raise NotFoundError(f"no saved search {search_id}")
    if found.user_id != user.id:
        raise PermissionDeniedError("this saved search belongs to someone else")
    return found


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
    query = _plain(query.strip(), "a query")
    if not 1 <= len(query) <= 500:
        raise InvalidInputError("a saved search needs a query of 1 to 500 characters")
    mode = views.check_mode(engine, mode)
    views.check_day(since, "since")
    views.check_day(until, "until")
    try:
        filters = Filters(
            categories=(c,) if (c := views.check_category(category)) else (),
            since=since,
            until=until,
            author=_plain(author.strip(), "an author") or None if author else None,
            has_code=has_code,
        )
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    title = _plain(" ".join((name or "").split()), "a name") or " ".join(query.split())[:200]
    if len(title) > 200:
        raise InvalidInputError("a saved search's name must have at most 200 characters")
    stored = filters_to_json(filters)
    existing = engine.interests.searches_of(user.id)
    for search in existing:
        if (search.query, search.mode, search.filters) == (query, mode, stored):
            raise ConflictError(f"you saved this search already, as “{search.name}”")
    if len(existing) >= MAX_SAVED_SEARCHES:
        raise ConflictError(
            f"you have {MAX_SAVED_SEARCHES} saved searches, the most there may be: delete one first"
        )
    return engine.interests.save_search(
        user.id,
        name=title,
        query=query,
        mode=mode,
        filters=stored,
        checked_rev=engine.papers.max_rev(),
        now=engine.clock(),
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


def matched(engine: Engine, search: SavedSearch, *, limit: int) -> list[tuple[Paper, datetime]]:
    """The new papers a saved search matched, newest first, with when they were found."""
    found = engine.interests.matches(search.id, limit=limit)
    papers = engine.papers.get_many([paper_id for paper_id, _ in found])
    return [(papers[i], when) for i, when in found if i in papers]


def saved_search_out(
    visitor: Visitor, search: SavedSearch, *, matches: int = MATCHES_SHOWN
) -> models.SavedSearchOut:
    engine = visitor.engine
    shown = matched(engine, search, limit=matches)
    summaries = views.summaries(visitor, [paper for paper, _ in shown])
    filters = filters_from_json(search.filters)
    token = saved_search_token(engine, search)
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
        url=f"/saved-searches/{search.id}",
        search_url=search_url(search),
        feed_rss=f"/feeds/saved-searches/{token}.rss",
        feed_atom=f"/feeds/saved-searches/{token}.atom",
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
    return saved_search_out(visitor, own_search(visitor.engine, user, search_id))


def delete_search(visitor: Visitor, user: User, search_id: int) -> None:
    own_search(visitor.engine, user, search_id)
    visitor.engine.interests.delete_search(search_id)


# digest settings and unsubscribing -------------------------------------------------------------


def digest_settings(visitor: Visitor, user: User) -> models.DigestSettingsOut:
    current = visitor.engine.interests.subscription(user.id)
    return models.DigestSettingsOut(
        email=user.email,
        frequency=current.frequency if current else "off",
        sections=_sections_of(current),
        available_sections=[
            models.DigestSectionOut(key=key, title=title) for key, title in SECTION_TITLES.items()
        ],
    )


def _sections_of(subscription: Subscription | None) -> list[str]:
    if subscription is None:
        return [key for key in SECTIONS if key not in OPTIONAL_SECTIONS]
    return [key for key in SECTIONS if key in subscription.sections]


def set_digest(
    visitor: Visitor, user: User, frequency: str, sections: Sequence[str]
) -> models.DigestSettingsOut:
    if frequency not in FREQUENCIES:
        raise InvalidInputError(f"frequency must be one of {', '.join(FREQUENCIES)}")
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise InvalidInputError(f"unknown digest section(s): {', '.join(unknown)[:200]}")
    chosen = [key for key in SECTIONS if key in sections]
    if frequency != "off" and not chosen:
        raise InvalidInputError("choose at least one section, or turn the digest off")
    engine = visitor.engine
    engine.interests.subscribe(user.id, frequency, chosen, now=engine.clock())
    return digest_settings(visitor, user)


def unsubscribe_token(engine: Engine, user_id: int) -> str:
    """The token of a user's unsubscribe link, ``/unsubscribe/<token>``."""
    return make_token(engine.secret_key(), UNSUBSCRIBE, user_id)


def user_of_unsubscribe_token(engine: Engine, token: str) -> tuple[User, str]:
    """The user an unsubscribe link names and their digest frequency now."""
    user_id = read_token(engine.secret_key(), UNSUBSCRIBE, token)
    user = engine.users.by_id(user_id)
    if user is None:
        raise NotFoundError("this link's account no longer exists")
    current = engine.interests.subscription(user.id)
    return user, current.frequency if current else "off"


def unsubscribe(engine: Engine, token: str) -> User:
    """Turn the digest off for the user the link names (no login: the token is the proof)."""
    user, _ = user_of_unsubscribe_token(engine, token)
    current = engine.interests.subscription(user.id)
    engine.interests.subscribe(user.id, "off", _sections_of(current), now=engine.clock())
    return user


def _plain(text: str, what: str) -> str:
    """``text``, unless it holds control characters (which no name needs, and some stores
    refuse)."""
    if _CONTROL.search(text):
        raise InvalidInputError(f"{what} must not contain control characters")
    return text


def read_feed_token(engine: Engine, purpose: str, token: str) -> int:
    """The value a private feed address was signed for, or the plain-words error."""
    try:
        return read_token(engine.secret_key(), purpose, token)
    except InvalidInputError:
        raise InvalidInputError(FEED_LINK_INVALID) from None
