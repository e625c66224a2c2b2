"""What readers share with everyone: public collections to browse and upvote, and profiles
showing what each reader chose to make public (public collections, submissions, comments)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from papersift.errors import InvalidInputError, NotFoundError
from papersift.store.public_collections import (
    DirectoryOrder,
    ProfileFacts,
    PublicCollection,
    PublicCollectionStore,
)
from papersift.store.users import User

DIRECTORY_PAGE = 30
MAX_PAGE = 1_000
ORDERS: tuple[DirectoryOrder, ...] = ("recent", "upvoted")


@dataclass(frozen=True, slots=True)
class Directory:
    order: DirectoryOrder
    page: int
    pages: int
    total: int
    collections: list[PublicCollection]
    voted: set[int]


@dataclass(frozen=True, slots=True)
class Profile:
    facts: ProfileFacts
    collections: list[PublicCollection]


class Community:
    def __init__(self, store: PublicCollectionStore, *, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def directory(self, viewer: User | None, order: str = "recent", page: int = 1) -> Directory:
        if order not in ORDERS:
            raise InvalidInputError(f"sort must be one of {', '.join(ORDERS)}, not {order!r}")
        if not 1 <= page <= MAX_PAGE:
            raise InvalidInputError(f"page must be between 1 and {MAX_PAGE}")
        chosen: DirectoryOrder = "upvoted" if order == "upvoted" else "recent"
        offset = (page - 1) * DIRECTORY_PAGE
        found, total = self.store.directory(chosen, offset=offset, limit=DIRECTORY_PAGE)
        voted = self.store.voted_by(viewer.id, [c.id for c in found]) if viewer else set()
        pages = max(1, -(-total // DIRECTORY_PAGE))
        return Directory(chosen, page, pages, total, found, voted)

    def vote(self, user: User, collection_id: int, voted: bool) -> int:
        """Upvote a public collection (or take the upvote back); returns its upvote count. A
        private collection answers as a missing one does."""
        if self.store.get(collection_id) is None:
            raise NotFoundError(f"no public collection {collection_id}")
        return self.store.set_vote(collection_id, user.id, voted, now=self.clock())

    def holding(self, paper_id: str) -> list[PublicCollection]:
        return self.store.holding(paper_id)

    def profile(self, user_id: int) -> Profile:
        facts = self.store.profile(user_id)
        if facts is None:
            raise NotFoundError(f"no reader {user_id}")
        shared, _ = self.store.directory("recent", offset=0, limit=100, owner_id=user_id)
        return Profile(facts, shared)
