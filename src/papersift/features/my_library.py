"""A reader's own library: private Markdown notes on papers, and search over the papers they
saved (titles, abstracts, authors through the keyword index; their notes and tags as well)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from papersift.errors import InvalidInputError
from papersift.features.library import Library
from papersift.features.markdown import render_markdown
from papersift.filters import Filters
from papersift.model import Paper
from papersift.store.notes import NoteStore
from papersift.store.users import User
from papersift.text import fold_accents

MAX_NOTE_CHARS = 20_000
MAX_QUERY_CHARS = 500
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Note:
    body: str
    html: Markup


@dataclass(frozen=True, slots=True)
class LibraryHit:
    paper: Paper
    matched: tuple[str, ...]  # "text" (title, abstract, authors), "note", "tag #name"


class MyLibrary:
    def __init__(
        self,
        notes: NoteStore,
        library: Library,
        *,
        find_paper: Callable[[str], Paper],
        fetch_many: Callable[[list[str]], dict[str, Paper]],
        keyword_search: Callable[[str, int, Filters], list[str]],
        clock: Callable[[], datetime],
    ) -> None:
        self.notes = notes
        self.library = library
        self.find_paper = find_paper
        self.fetch_many = fetch_many
        self.keyword_search = keyword_search
        self.clock = clock

    def note(self, user: User | None, paper_id: str) -> Note | None:
        if user is None:
            return None
        body = self.notes.get(user.id, paper_id)
        return Note(body, render_markdown(body)) if body else None

    def set_note(self, user: User, paper_id: str, body: str) -> Note | None:
        """Write the user's note on the paper (an empty note deletes it)."""
        found = self.find_paper(paper_id).id
        text = body.replace("\r\n", "\n").replace("\x00", "").strip()
        if len(text) > MAX_NOTE_CHARS:
            raise InvalidInputError(
                f"a note is at most {MAX_NOTE_CHARS:,} characters (this one has {len(text):,})"
            )
        if not text:
            self.notes.delete(user.id, found)
            return None
        self.notes.put(user.id, found, text, now=self.clock())
        return Note(text, render_markdown(text))

    def search(self, user: User, query: str, *, limit: int = 50) -> list[LibraryHit]:
        """The user's saved or annotated papers matching ``query``: those the keyword index
        ranks first, then those matched by a note or tag only."""
        query = " ".join(query.split())
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidInputError(f"a query is at most {MAX_QUERY_CHARS} characters")
        if not query:
            return []
        notes = self.notes.of_user(user.id)
        tags = self._tags(user)
        ids = set(tags) | set(notes)
        if not ids:
            return []
        words = _words(query)
        matched: dict[str, list[str]] = {}
        for paper_id in self.keyword_search(query, limit, Filters(only=frozenset(ids))):
            matched.setdefault(paper_id, []).append("text")
        for paper_id in sorted(ids):
            if paper_id in notes and words <= _words(notes[paper_id]):
                matched.setdefault(paper_id, []).append("note")
            for tag in tags.get(paper_id, ()):
                if words <= _words(tag):
                    matched.setdefault(paper_id, []).append(f"tag #{tag}")
        papers = self.fetch_many(list(matched))
        hits = [
            LibraryHit(papers[pid], tuple(why)) for pid, why in matched.items() if pid in papers
        ]
        return hits[:limit]

    def _tags(self, user: User) -> dict[str, set[str]]:
        """Every saved paper of the user with the tags it has in any collection."""
        tags: dict[str, set[str]] = {}
        for collection in self.library.of_user(user):
            for item in self.library.collections.items(collection.id):
                tags.setdefault(item.paper_id, set()).update(item.tags)
        return tags


def _words(text: str) -> set[str]:
    return set(_WORD.findall(fold_accents(text).lower()))
