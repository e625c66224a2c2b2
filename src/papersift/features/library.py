"""Collections: a user's named lists of papers, public or private, with tags per paper.

Only the owner may change a collection or see a private one; anyone may see a public one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from papersift.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PaperNotFoundError,
    PermissionDeniedError,
)
from papersift.model import Paper
from papersift.sources.arxiv_ids import canonical_arxiv_id
from papersift.store.collections import Collection, CollectionItem, CollectionStore, NameTaken
from papersift.store.papers import PaperStore
from papersift.store.users import User

MAX_NAME = 200
MAX_TAGS = 20
MAX_TAG = 40
MAX_COLLECTIONS = 500
_TAG = re.compile(r"[\w][\w .+#-]*")


@dataclass(frozen=True, slots=True)
class CollectionView:
    collection: Collection
    owner_name: str
    items: list[tuple[Paper, CollectionItem]]


def clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidInputError(f"a collection name must have 1 to {MAX_NAME} characters")
    return name


def clean_tags(raw: str | list[str]) -> tuple[str, ...]:
    """Tags from a comma-separated string or a list: trimmed, lower-cased, unique, in order."""
    values = raw.split(",") if isinstance(raw, str) else raw
    tags: list[str] = []
    for value in values:
        tag = " ".join(str(value).split()).lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG or not _TAG.fullmatch(tag):
            raise InvalidInputError(
                f"invalid tag {tag[:50]!r}: use up to {MAX_TAG} letters, digits, spaces or . + # -"
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidInputError(f"at most {MAX_TAGS} tags per paper")
    return tuple(tags)


class Library:
    def __init__(
        self,
        collections: CollectionStore,
        papers: PaperStore,
        owner_names: Callable[[set[int]], dict[int, str]],
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.collections = collections
        self.papers = papers
        self.owner_names = owner_names
        self.clock = clock

    def of_user(self, user: User) -> list[Collection]:
        return self.collections.of_user(user.id)

    def paper_ids_of(self, user: User) -> set[str]:
        """Every paper in any of the user's collections."""
        return {
            item.paper_id
            for collection in self.collections.of_user(user.id)
            for item in self.collections.items(collection.id)
        }

    def create(self, user: User, name: str, *, public: bool = False) -> Collection:
        name = clean_name(name)
        if len(self.collections.of_user(user.id)) >= MAX_COLLECTIONS:
            raise InvalidInputError(f"at most {MAX_COLLECTIONS} collections per user")
        try:
            return self.collections.create(user.id, name, public, now=self.clock())
        except NameTaken:
            raise ConflictError(f"you already have a collection named {name!r}") from None

    def update(self, user: User, collection_id: int, *, name: str, public: bool) -> Collection:
        self._owned(user, collection_id)
        name = clean_name(name)
        try:
            self.collections.update(collection_id, name=name, is_public=public)
        except NameTaken:
            raise ConflictError(f"you already have a collection named {name!r}") from None
        return self._owned(user, collection_id)

    def delete(self, user: User, collection_id: int) -> None:
        self._owned(user, collection_id)
        self.collections.delete(collection_id)

    def view(self, viewer: User | None, collection_id: int) -> CollectionView:
        collection = self._visible(viewer, collection_id)
        items = self.collections.items(collection_id)
        papers = self.papers.get_many([item.paper_id for item in items])
        owner = self.owner_names({collection.user_id}).get(collection.user_id, "unknown")
        return CollectionView(
            collection,
            owner,
            [(papers[item.paper_id], item) for item in items if item.paper_id in papers],
        )

    def put(self, user: User, collection_id: int, paper_id: str, tags: tuple[str, ...]) -> None:
        """Add the paper to the collection (or set its tags when it is there already); any
        spelling of its arXiv id names it (``2504.21650v2``, ``arXiv:2504.21650``, a URL)."""
        self._owned(user, collection_id)
        stored = self._stored_id(paper_id)
        if stored is None:
            shown = paper_id if len(paper_id) <= 80 else paper_id[:80] + "..."
            raise PaperNotFoundError(f"no paper with id {shown!r} in the store")
        self.collections.put_item(collection_id, stored, tags, now=self.clock())

    def remove(self, user: User, collection_id: int, paper_id: str) -> bool:
        """Take the paper (any spelling of its id) out of the collection; False if not there."""
        self._owned(user, collection_id)
        if self.collections.remove_item(collection_id, paper_id):
            return True
        canonical = canonical_arxiv_id(paper_id)
        if canonical is None or canonical == paper_id:
            return False
        return self.collections.remove_item(collection_id, canonical)

    def holding(self, user: User, paper_id: str) -> set[int]:
        return self.collections.holding(user.id, self._stored_id(paper_id) or paper_id)

    def _stored_id(self, paper_id: str) -> str | None:
        """The id the store holds the paper under: ``paper_id`` itself, else its canonical
        arXiv id; None when neither is stored."""
        if self.papers.get(paper_id) is not None:
            return paper_id
        canonical = canonical_arxiv_id(paper_id)
        if canonical is not None and canonical != paper_id and self.papers.get(canonical):
            return canonical
        return None

    def _visible(self, viewer: User | None, collection_id: int) -> Collection:
        collection = self.collections.get(collection_id)
        # A private collection of someone else's answers as a missing one: ids are sequential,
        # and a different answer would tell which private collections exist.
        if collection is None or (
            not collection.is_public and (viewer is None or viewer.id != collection.user_id)
        ):
            raise NotFoundError(f"no collection {collection_id}")
        return collection

    def owned(self, user: User, collection_id: int) -> Collection:
        """The user's own collection ``collection_id`` (``NotFoundError``, ``PermissionDenied``
        otherwise, as for every change)."""
        return self._owned(user, collection_id)

    def _owned(self, user: User, collection_id: int) -> Collection:
        collection = self.collections.get(collection_id)
        if collection is None or (not collection.is_public and collection.user_id != user.id):
            raise NotFoundError(f"no collection {collection_id}")  # private: as if missing
        if collection.user_id != user.id:
            raise PermissionDeniedError("only the owner can change this collection")
        return collection
