"""Importing a reference manager's library (BibTeX, RIS, CSL-JSON) into a collection.

Each entry is matched to a stored paper by, in turn: its arXiv id (``eprint``, an arXiv URL or
``arXiv:`` id in its other fields, arXiv's DOI), its DOI, its title (normalised: LaTeX, accents,
case and punctuation left out, so ``{T}ransformers`` and ``Schr\\"{o}dinger`` match). An entry
naming an arXiv paper that is not in the store is fetched from the arXiv API (at most
``MAX_FETCHES`` an import: importing the file again fetches the rest) and stored. The report
names every entry: matched (and how), fetched, unmatched (and why), malformed (and why).

Importing the same file twice changes nothing more: papers already in the collection keep
their tags and place, and the second report says they were there already.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from papersift.errors import HarvestError, IndexError_
from papersift.features.library import Library, clean_name
from papersift.features.reference_formats import Reference, read_references
from papersift.model import Paper
from papersift.retrieval.known_item import title_words
from papersift.sources.arxiv_api import ArxivClient
from papersift.store.collections import Collection
from papersift.store.paper_lookup import ids_by_doi
from papersift.store.papers import PaperStore
from papersift.store.users import User

MAX_FETCHES = 50  # arXiv papers fetched per import, in one request to the arXiv API
TITLE_CANDIDATES = 20  # keyword hits whose titles are compared with an entry's title

# How an entry was matched.
MatchedBy = Literal["arxiv_id", "doi", "title", "fetched"]
BY_ARXIV_ID: MatchedBy = "arxiv_id"
BY_DOI: MatchedBy = "doi"
BY_TITLE: MatchedBy = "title"
FETCHED: MatchedBy = "fetched"  # from arXiv, into the store


@dataclass(frozen=True, slots=True)
class ImportedEntry:
    key: str
    paper_id: str
    matched_by: MatchedBy
    added: bool  # False when the collection held the paper already


@dataclass(frozen=True, slots=True)
class SkippedEntry:
    key: str
    reason: str


@dataclass
class ImportReport:
    collection: Collection
    format: str
    entries: int
    matched: list[ImportedEntry] = field(default_factory=list)
    fetched: list[ImportedEntry] = field(default_factory=list)
    unmatched: list[SkippedEntry] = field(default_factory=list)
    malformed: list[SkippedEntry] = field(default_factory=list)

    @property
    def added(self) -> int:
        """Papers this import put into the collection."""
        return sum(entry.added for entry in (*self.matched, *self.fetched))

    @property
    def already(self) -> int:
        """Entries whose paper the collection held already (before, or by an earlier entry)."""
        return sum(not entry.added for entry in (*self.matched, *self.fetched))


class LibraryImport:
    def __init__(
        self,
        library: Library,
        papers: PaperStore,
        *,
        search: Callable[[str, int], list[str]],
        arxiv: Callable[[], ArxivClient],
        on_new_papers: Callable[[list[Paper]], None],
        clock: Callable[[], datetime],
        max_fetches: int = MAX_FETCHES,
    ) -> None:
        """``search(words, k)``: the ids of the ``k`` best keyword matches (title candidates);
        ``on_new_papers``: stores (and indexes) the papers fetched from arXiv."""
        self.library = library
        self.papers = papers
        self.search = search
        self.arxiv = arxiv
        self.on_new_papers = on_new_papers
        self.clock = clock
        self.max_fetches = max_fetches

    def collection_named(self, user: User, name: str) -> Collection:
        """The user's collection called ``name`` (spaces tidied), created when there is none."""
        wanted = clean_name(name)
        for collection in self.library.of_user(user):
            if collection.name == wanted:
                return collection
        return self.library.create(user, wanted)

    def run(
        self,
        user: User,
        collection_id: int,
        data: bytes | str,
        *,
        filename: str = "",
        format: str | None = None,
    ) -> ImportReport:
        """Import the file ``data`` into the user's collection (see the module docstring).
        Raises ``InvalidInputError`` for a file that cannot be read at all."""
        collection = self.library.owned(user, collection_id)
        found = read_references(data, filename=filename, format=format)
        report = ImportReport(collection, found.format, found.entries)
        report.malformed = [SkippedEntry(bad.key, bad.reason) for bad in found.malformed]
        resolved, unmatched = self._resolve(found.references)
        held = {item.paper_id for item in self.library.collections.items(collection_id)}
        now = self.clock()
        for reference, paper_id, how in resolved:
            added = paper_id not in held
            if added:
                self.library.collections.put_item(collection_id, paper_id, (), now=now)
                held.add(paper_id)
            entry = ImportedEntry(reference.key, paper_id, how, added)
            (report.fetched if how == FETCHED else report.matched).append(entry)
        report.unmatched = unmatched
        return report

    # matching ------------------------------------------------------------------------------

    def _resolve(
        self, references: Sequence[Reference]
    ) -> tuple[list[tuple[Reference, str, MatchedBy]], list[SkippedEntry]]:
        """Each reference's stored paper (fetching arXiv papers the store lacks), in order."""
        by_id = self.papers.get_many(sorted({r.arxiv_id for r in references if r.arxiv_id}))
        by_doi = ids_by_doi(self.papers.db, [r.doi for r in references if r.doi])
        found: dict[int, tuple[str, MatchedBy]] = {}
        reasons: dict[int, str] = {}
        to_fetch: list[int] = []
        for index, reference in enumerate(references):
            if reference.arxiv_id and reference.arxiv_id in by_id:
                found[index] = (reference.arxiv_id, BY_ARXIV_ID)
            elif reference.doi and reference.doi in by_doi:
                found[index] = (by_doi[reference.doi], BY_DOI)
            elif (titled := self._by_title(reference.title)) is not None:
                found[index] = (titled, BY_TITLE)
            elif reference.arxiv_id:
                to_fetch.append(index)
            else:
                reasons[index] = _why_unmatched(reference)
        fetched, fetch_reasons = self._fetch([references[i].arxiv_id or "" for i in to_fetch])
        for index in to_fetch:
            arxiv_id = references[index].arxiv_id or ""
            if arxiv_id in fetched:
                found[index] = (arxiv_id, FETCHED)
            else:
                reasons[index] = fetch_reasons[arxiv_id]
        resolved = [(references[i], *found[i]) for i in sorted(found)]
        unmatched = [SkippedEntry(references[i].key, reasons[i]) for i in sorted(reasons)]
        return resolved, unmatched

    def _by_title(self, title: str) -> str | None:
        words = title_words(title)
        if not words:
            return None
        try:
            candidates = self.search(" ".join(words), TITLE_CANDIDATES)
        except (IndexError_, ValueError):
            return None  # no keyword index yet: ids and DOIs still match
        wanted = "".join(words)
        stored = self.papers.get_many(candidates)
        for paper_id in candidates:
            paper = stored.get(paper_id)
            if paper is not None and "".join(title_words(paper.title)) == wanted:
                return paper_id
        return None

    def _fetch(self, arxiv_ids: Sequence[str]) -> tuple[set[str], dict[str, str]]:
        """(ids fetched and stored, {id: why not} for the others): one request to the arXiv
        API for the first ``max_fetches`` ids."""
        wanted = list(dict.fromkeys(arxiv_ids))
        batch = wanted[: self.max_fetches]
        reasons = {
            arxiv_id: (
                f"not fetched: an import fetches at most {self.max_fetches} papers from arXiv; "
                "import the file again to fetch the rest"
            )
            for arxiv_id in wanted[self.max_fetches :]
        }
        if not batch:
            return set(), reasons
        client = self.arxiv()
        try:
            papers = client.fetch_many(batch)
        except HarvestError as error:
            papers = {}
            reasons.update(
                (arxiv_id, f"not in the store, and not fetched: {error}") for arxiv_id in batch
            )
        finally:
            client.close()
        for arxiv_id in batch:
            if arxiv_id not in papers and arxiv_id not in reasons:
                reasons[arxiv_id] = f"not in the store, and arXiv has no paper {arxiv_id}"
        if papers:
            self.on_new_papers(list(papers.values()))
        return set(papers), reasons


def _why_unmatched(reference: Reference) -> str:
    if not (reference.title or reference.doi):
        return "the entry names no arXiv id, DOI or title"
    named = " or ".join(
        what for what, value in (("DOI", reference.doi), ("title", reference.title)) if value
    )
    return f"no paper in the store has this {named}"
