"""A reader's interests and their rules: follows, "not interested" marks, saved searches, the
digest's settings, and the signed links that work without a login (private feeds, unsubscribe).

Every front (pages, JSON API, CLI) goes through this service, so the limits, the ownership
checks and the token formats hold whichever way a reader comes in.

Tokens (``features.tokens``) are made for a ``Purpose``: the "For you" feed's names the reader;
a saved search's feed address is ``<search id>.<token for saved_search_feed(id)>``, which names
the search and its owner; the unsubscribe link's names the reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from papersift.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from papersift.features.addresses import Purpose
from papersift.features.alerts import filters_to_json
from papersift.features.digest_model import OPTIONAL_SECTIONS, SECTION_TITLES
from papersift.features.tokens import make_token, read_token
from papersift.filters import Filters
from papersift.model import Paper
from papersift.search_request import check_category
from papersift.store.interests import InterestStore, SavedSearch, Subscription
from papersift.store.papers import PaperStore
from papersift.store.users import User, UserStore
from papersift.text import has_control_characters

MAX_SAVED_SEARCHES = 100
MAX_FOLLOWS = 500
FREQUENCIES = ("daily", "weekly", "off")
SECTIONS = tuple(SECTION_TITLES)
FOLLOW_KINDS = ("author", "category")
FEED_LINK_INVALID = "this feed link is invalid or was changed: copy it again from its page"
_MAX_ID = 2**63 - 1
_SEARCH_TOKEN = re.compile(r"(0|[1-9][0-9]{0,18})\.(v1\.[0-9A-Za-z_.-]{1,100})")


@dataclass(frozen=True, slots=True)
class DigestChoice:
    """How often a reader gets the digest ("off": never) and which sections it holds."""

    frequency: str
    sections: tuple[str, ...]


class Interests:
    def __init__(
        self,
        store: InterestStore,
        users: UserStore,
        papers: PaperStore,
        *,
        secret: Callable[[], bytes],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.users = users
        self.papers = papers
        self.secret = secret
        self.clock = clock

    # follows -----------------------------------------------------------------------------------

    def follows_of(self, user_id: int) -> list[tuple[str, str]]:
        """(kind, value) of what the reader follows: authors and categories."""
        return self.store.follows_of(user_id)

    def is_following(self, user_id: int, kind: str, value: str) -> bool:
        return (kind, value) in self.store.follows_of(user_id)

    def set_follow(
        self, user: User, kind: str, value: str, following: bool
    ) -> tuple[str, list[tuple[str, str]]]:
        """Follow or stop following; returns the value as stored and the reader's follows."""
        value = checked_follow(kind, value)
        if following:
            current = self.store.follows_of(user.id)
            if (kind, value) not in current and len(current) >= MAX_FOLLOWS:
                raise ConflictError(f"you follow {MAX_FOLLOWS} authors and categories already")
            self.store.follow(user.id, kind, value)
        else:
            self.store.unfollow(user.id, kind, value)
        return value, self.store.follows_of(user.id)

    # not interested ----------------------------------------------------------------------------

    def dismissed(self, user_id: int) -> list[str]:
        """Ids of the papers the reader marked "not interested"."""
        return self.store.dismissed(user_id)

    def set_dismissed(self, user: User, paper_id: str, dismissed: bool) -> None:
        """Mark ``paper_id`` (a stored paper's canonical id) "not interested", or undo it."""
        if dismissed:
            self.store.dismiss(user.id, paper_id, now=self.clock())
        else:
            self.store.undismiss(user.id, paper_id)

    # saved searches ----------------------------------------------------------------------------

    def searches_of(self, user_id: int) -> list[SavedSearch]:
        return self.store.searches_of(user_id)

    def save_search(
        self, user: User, *, query: str, name: str | None, mode: str, filters: Filters
    ) -> SavedSearch:
        """Save a search (``mode`` a canonical mode name); only papers added from now on are
        matched against it (alerts)."""
        query = _plain(query.strip(), "a query")
        if not 1 <= len(query) <= 500:
            raise InvalidInputError("a saved search needs a query of 1 to 500 characters")
        title = _plain(" ".join((name or "").split()), "a name") or " ".join(query.split())[:200]
        if len(title) > 200:
            raise InvalidInputError("a saved search's name must have at most 200 characters")
        if filters.author is not None:
            _plain(filters.author, "an author")
        stored = filters_to_json(filters)
        existing = self.store.searches_of(user.id)
        for search in existing:
            if (search.query, search.mode, search.filters) == (query, mode, stored):
                raise ConflictError(f"you saved this search already, as “{search.name}”")
        if len(existing) >= MAX_SAVED_SEARCHES:
            raise ConflictError(
                f"you have {MAX_SAVED_SEARCHES} saved searches, the most there may be: "
                "delete one first"
            )
        return self.store.save_search(
            user.id,
            name=title,
            query=query,
            mode=mode,
            filters=stored,
            checked_rev=self.papers.max_rev(),
            now=self.clock(),
        )

    def own_search(self, user: User, search_id: int) -> SavedSearch:
        found = self.store.search(search_id)
        if found is None:
            raise NotFoundError(f"no saved search {search_id}")
        if found.user_id != user.id:
            raise PermissionDeniedError("this saved search belongs to someone else")
        return found

    def delete_search(self, user: User, search_id: int) -> None:
        self.own_search(user, search_id)
        self.store.delete_search(search_id)

    def matched(self, search: SavedSearch, *, limit: int) -> list[tuple[Paper, datetime]]:
        """The new papers a saved search matched, newest first, with when they were found."""
        found = self.store.matches(search.id, limit=limit)
        papers = self.papers.get_many([paper_id for paper_id, _ in found])
        return [(papers[i], when) for i, when in found if i in papers]

    # the digest --------------------------------------------------------------------------------

    def digest_choice(self, user_id: int) -> DigestChoice:
        current = self.store.subscription(user_id)
        return DigestChoice(current.frequency if current else "off", _sections_of(current))

    def set_digest(self, user: User, frequency: str, sections: Sequence[str]) -> DigestChoice:
        if frequency not in FREQUENCIES:
            raise InvalidInputError(f"frequency must be one of {', '.join(FREQUENCIES)}")
        unknown = sorted(set(sections) - set(SECTIONS))
        if unknown:
            raise InvalidInputError(f"unknown digest section(s): {', '.join(unknown)[:200]}")
        chosen = [key for key in SECTIONS if key in sections]
        if frequency != "off" and not chosen:
            raise InvalidInputError("choose at least one section, or turn the digest off")
        self.store.subscribe(user.id, frequency, chosen, now=self.clock())
        return self.digest_choice(user.id)

    def digest_off(self, user_id: int) -> None:
        """Switch the digest off, keeping the chosen sections."""
        current = self.store.subscription(user_id)
        if current is not None and current.frequency != "off":
            self.store.subscribe(user_id, "off", _sections_of(current), now=self.clock())

    # links without a login ---------------------------------------------------------------------

    def for_you_token(self, user_id: int) -> str:
        return make_token(self.secret(), Purpose.FOR_YOU_FEED, user_id)

    def user_of_feed_token(self, token: str) -> User:
        """The reader a "For you" feed link was made for."""
        user = self.users.by_id(self.read_feed_token(Purpose.FOR_YOU_FEED, token))
        if user is None:
            raise NotFoundError("this feed's account no longer exists")
        return user

    def saved_search_token(self, search: SavedSearch) -> str:
        purpose = Purpose.saved_search_feed(search.id)
        return f"{search.id}.{make_token(self.secret(), purpose, search.user_id)}"

    def search_of_feed_token(self, token: str) -> SavedSearch:
        """The saved search a feed link names; only its owner's link (from its page) opens it."""
        match = _SEARCH_TOKEN.fullmatch(token)
        if match is None or int(match.group(1)) > _MAX_ID:
            raise InvalidInputError(FEED_LINK_INVALID)
        search_id = int(match.group(1))
        owner = self.read_feed_token(Purpose.saved_search_feed(search_id), match.group(2))
        found = self.store.search(search_id)
        if found is None or found.user_id != owner:
            raise NotFoundError("this saved search was deleted")
        return found

    def stream_token(self, collection_id: int) -> str:
        """The token of a collection stream's private feed address."""
        return make_token(self.secret(), Purpose.STREAM_FEED, collection_id)

    def collection_of_stream_token(self, token: str) -> int:
        return self.read_feed_token(Purpose.STREAM_FEED, token)

    def read_feed_token(self, purpose: str, token: str) -> int:
        """The value a private feed address was signed for, or the plain-words error."""
        try:
            return read_token(self.secret(), purpose, token)
        except InvalidInputError:
            raise InvalidInputError(FEED_LINK_INVALID) from None

    def unsubscribe_token(self, user_id: int) -> str:
        """The token of a reader's unsubscribe link (``addresses.UNSUBSCRIBE``)."""
        return make_token(self.secret(), Purpose.UNSUBSCRIBE, user_id)

    def user_of_unsubscribe_token(self, token: str) -> tuple[User, str]:
        """The reader an unsubscribe link names and their digest frequency now."""
        user = self.users.by_id(read_token(self.secret(), Purpose.UNSUBSCRIBE, token))
        if user is None:
            raise NotFoundError("this link's account no longer exists")
        return user, self.digest_choice(user.id).frequency

    def unsubscribe(self, token: str) -> User:
        """Turn the digest off for the reader the link names (the token is the proof)."""
        user, _ = self.user_of_unsubscribe_token(token)
        current = self.store.subscription(user.id)  # recorded even when never subscribed
        self.store.subscribe(user.id, "off", _sections_of(current), now=self.clock())
        return user


def checked_follow(kind: str, value: str) -> str:
    """The value to store for following ``kind`` ``value`` (an author name or a category)."""
    if kind == "category":
        checked = check_category(value)
        if checked is None:
            raise InvalidInputError("name the category to follow")
        return checked
    if kind not in FOLLOW_KINDS:
        raise InvalidInputError("one follows an author or a category")
    name = " ".join(value.split())
    if not 1 <= len(name) <= 200:
        raise InvalidInputError("an author name must have 1 to 200 characters")
    return _plain(name, "an author name")


def _sections_of(subscription: Subscription | None) -> tuple[str, ...]:
    if subscription is None:
        return tuple(key for key in SECTIONS if key not in OPTIONAL_SECTIONS)
    return tuple(key for key in SECTIONS if key in subscription.sections)


def _plain(text: str, what: str) -> str:
    """``text``, unless it holds control characters (which no name needs)."""
    if has_control_characters(text):
        raise InvalidInputError(f"{what} must not contain control characters")
    return text
