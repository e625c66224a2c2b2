"""The morning reading workflow: papers seen and read, lists that can hide them, and the built-in
"Reading list" collection that one key saves to.

A paper is *seen* once a digest showed it or the reader marked it (one by one, or a whole page
at once); it is *read* once the reader opened its page or marked it read. Lists (the feed, For
you, search) hide both when the reader switches "hide seen" on; digests never send either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from papersift.errors import InvalidInputError
from papersift.features.library import Library
from papersift.model import Paper
from papersift.store.collections import Collection
from papersift.store.reading import READ, SEEN, ReadingStore
from papersift.store.users import User

READING_LIST = "Reading list"
MAX_MARKED = 200  # papers one "mark all as seen" may name (a page holds at most 50)

T = TypeVar("T")


class Reading:
    def __init__(
        self,
        store: ReadingStore,
        library: Library,
        *,
        find_paper: Callable[[str], Paper],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.library = library
        self.find_paper = find_paper
        self.clock = clock

    def states(self, user: User | None, paper_ids: Sequence[str]) -> dict[str, str]:
        """ "seen" or "read" for the papers the user has seen or read (empty when anonymous)."""
        return self.store.states(user.id, list(paper_ids)) if user and paper_ids else {}

    def mark_seen(self, user: User, paper_ids: Iterable[str]) -> int:
        ids = [self.find_paper(pid).id for pid in dict.fromkeys(paper_ids)]
        if len(ids) > MAX_MARKED:
            raise InvalidInputError(f"mark at most {MAX_MARKED} papers at once")
        self.store.mark(user.id, ids, SEEN, now=self.clock())
        return len(ids)

    def mark_read(self, user: User, paper_id: str, read: bool = True) -> str:
        """Mark the paper read (or forget it was seen or read); returns its stored id."""
        found = self.find_paper(paper_id).id
        if read:
            self.store.mark(user.id, [found], READ, now=self.clock())
        else:
            self.store.forget(user.id, found)
        return found

    def opened(self, user: User | None, paper_id: str) -> None:
        """The reader opened the paper's page: it counts as read."""
        if user is not None:
            self.store.mark(user.id, [paper_id], READ, now=self.clock())

    def shown_in_digest(self, user_id: int, paper_ids: Iterable[str]) -> None:
        self.store.mark(user_id, paper_ids, SEEN, now=self.clock())

    def known(self, user_id: int) -> set[str]:
        """Every paper the user has seen or read (a digest leaves them out)."""
        return self.store.all_of(user_id)

    def hides_seen(self, user: User | None) -> bool:
        return user is not None and self.store.hides_seen(user.id)

    def set_hide_seen(self, user: User, hide: bool) -> None:
        self.store.set_hide_seen(user.id, hide)

    def unseen(
        self, user: User | None, items: Sequence[T], paper_id: Callable[[T], str]
    ) -> list[T]:
        """``items`` without those the user has seen or read, when the user hides them."""
        if user is None or not self.hides_seen(user):
            return list(items)
        return self.without_seen(user, items, paper_id)

    def without_seen(self, user: User, items: Sequence[T], paper_id: Callable[[T], str]) -> list[T]:
        """``items`` without those the user has seen or read."""
        states = self.store.states(user.id, [paper_id(item) for item in items])
        return [item for item in items if paper_id(item) not in states]

    def reading_list(self, user: User) -> Collection:
        """The user's "Reading list" collection, made on first use."""
        for collection in self.library.of_user(user):
            if collection.name == READING_LIST:
                return collection
        return self.library.create(user, READING_LIST)

    def read_later(self, user: User, paper_id: str) -> Collection:
        collection = self.reading_list(user)
        self.library.put(user, collection.id, paper_id, ())
        return collection
