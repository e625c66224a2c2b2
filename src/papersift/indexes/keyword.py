"""The BM25 keyword index: a tantivy index in the data directory, kept in step with the store.

The index directory holds tantivy's files plus ``papersift.json``, which records which store it
mirrors and up to which paper revision. Updates delete-then-add each changed paper and commit
before the revision is recorded, so an interrupted update is simply redone by the next one.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tantivy

from papersift.errors import IndexError_
from papersift.filters import Filters
from papersift.indexes.meta import meta_stamp, read_meta, write_meta
from papersift.model import Paper
from papersift.text import fold_name, normalise_for_search

FORMAT_VERSION = 1
TEXT_ANALYZER = "papersift_text"
NAME_ANALYZER = "papersift_name"
SEARCH_FIELDS = ("title", "abstract", "authors")
# Chosen on the SciFact train queries (python -m bench.tune_bm25): title boosts 0.3-0.5 tie there
# (0.6798 vs 0.6796 nDCG@10) and 0.5 keeps titles weightier for arXiv readers. A title match needs
# a lower boost than an abstract match because tantivy scores each field's BM25 separately and
# short titles get large length-normalised scores.
DEFAULT_BOOSTS = {"title": 0.5, "abstract": 1.0, "authors": 1.0}
_OPERATOR_WORDS = re.compile(r"\b(AND|OR|NOT|IN|TO)\b")
# Anything tantivy's query parser would read as syntax: quotes, fields, grouping, boosts, fuzzy and
# prefix marks, required/excluded terms, ranges and operator words.
_QUERY_SYNTAX = re.compile(r'["():^~*+\[\]{}!\\]|(?:^|\s)-|\b(?:AND|OR|NOT|IN|TO)\b')
_NON_WORD = re.compile(r"[^\w\s]+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class KeywordHit:
    paper_id: str
    score: float


def _text_analyzer() -> Any:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def _name_analyzer() -> Any:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def _schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name=TEXT_ANALYZER)
    builder.add_text_field("abstract", tokenizer_name=TEXT_ANALYZER)
    builder.add_text_field("authors", tokenizer_name=NAME_ANALYZER)
    builder.add_text_field("categories", tokenizer_name="raw")
    builder.add_date_field("date", fast=True, indexed=True)
    return builder.build()


def _directory_identity(path: Path) -> tuple[int, int] | None:
    """Which directory ``path`` names now (it changes when a rebuilt index is switched in)."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


def _as_datetime(day: Any) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _document(paper: Paper) -> Any:
    document = tantivy.Document()
    document.add_text("id", paper.id)
    document.add_text("title", normalise_for_search(paper.title))
    document.add_text("abstract", normalise_for_search(paper.abstract))
    # One value for all names: normalising one string is much cheaper than one per author, and
    # the separator keeps names apart for the tokenizer.
    document.add_text("authors", normalise_for_search(" ; ".join(paper.authors)))
    for category in paper.categories:
        document.add_text("categories", category)
    if paper.display_date is not None:
        document.add_date("date", _as_datetime(paper.display_date))
    return document


class KeywordIndex:
    """A tantivy BM25 index over title, abstract and authors, with category/date/author filters."""

    def __init__(self, path: Path, *, boosts: dict[str, float] | None = None) -> None:
        self.path = path
        self.boosts = dict(boosts or DEFAULT_BOOSTS)
        self._index: Any = None
        self._meta_stamp: int | None = None
        self._directory: tuple[int, int] | None = None
        text = _text_analyzer()
        self._analyzers = {"title": text, "abstract": text, "authors": _name_analyzer()}

    # state -------------------------------------------------------------------------------------

    def meta(self) -> dict[str, Any] | None:
        return read_meta(self.path)

    def indexed_rev(self, store_id: str) -> int | None:
        """The store revision this index is complete up to, or None if it must be rebuilt."""
        meta = self.meta()
        if meta is None or meta.get("format") != FORMAT_VERSION or meta.get("store_id") != store_id:
            return None
        return int(meta["store_rev"])

    def _write_meta(self, store_id: str, store_rev: int, documents: int) -> None:
        meta = {
            "format": FORMAT_VERSION,
            "store_id": store_id,
            "store_rev": store_rev,
            "documents": documents,
            "fields": {"text": list(SEARCH_FIELDS), "filters": ["categories", "date", "authors"]},
            "analyzer": "simple tokenizer, remove_long(40), lowercase, ascii_fold, english stemmer",
        }
        write_meta(self.path, meta)

    def _open(self, *, create: bool) -> Any:
        if self._index is None:
            if not create and not (self.path / "meta.json").exists():
                raise IndexError_(f"no keyword index in {self.path}: run `papersift index` first")
            self.path.mkdir(parents=True, exist_ok=True)
            try:
                index = tantivy.Index(_schema(), path=str(self.path), reuse=True)
            except (OSError, ValueError) as exc:
                raise IndexError_(f"cannot open the keyword index in {self.path}: {exc}") from exc
            index.register_tokenizer(TEXT_ANALYZER, _text_analyzer())
            index.register_tokenizer(NAME_ANALYZER, _name_analyzer())
            self._index = index
            self._directory = _directory_identity(self.path)
        return self._index

    def refresh(self) -> None:
        """See commits made since opening, also by other processes (servers call this often:
        it only reloads when the metadata file, written after every commit, has changed), and
        a rebuilt index put in place of this one (see ``papersift.indexes.swap``)."""
        if self._index is None:
            return
        if _directory_identity(self.path) != self._directory:
            self.reopen()
            return
        stamp = meta_stamp(self.path)
        if stamp != self._meta_stamp:
            self._index.reload()
            self._meta_stamp = stamp

    def reopen(self) -> None:
        """Forget the open index: the next use opens the directory again."""
        self._index = None
        self._meta_stamp = None

    # writing -----------------------------------------------------------------------------------

    def clear(self) -> None:
        self._index = None
        if self.path.exists():
            shutil.rmtree(self.path)

    def update(
        self,
        changes: Iterable[tuple[int, Paper]],
        *,
        store_id: str,
        memory_mb: int = 256,
        fresh: bool = False,
        commit_every: int = 50_000,
    ) -> int:
        """Add or replace the given (revision, paper) pairs; returns how many were written.

        ``fresh`` says the index is empty, so there is nothing to replace. Commits every
        ``commit_every`` papers and records the revision reached, so an interrupted run keeps its
        progress.
        """
        index = self._open(create=True)
        writer = index.writer(memory_mb * 1_000_000, 0)
        current_rev = self.indexed_rev(store_id) or 0
        written = pending = 0
        try:
            for rev, paper in changes:
                # Commit only between revisions, so the recorded revision is always complete.
                if rev != current_rev and pending >= commit_every:
                    self._commit(writer, store_id, current_rev)
                    pending = 0
                current_rev = rev
                if not fresh:
                    writer.delete_documents_by_term("id", paper.id)
                writer.add_document(_document(paper))
                written, pending = written + 1, pending + 1
            self._commit(writer, store_id, current_rev)
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        return written

    def _commit(self, writer: Any, store_id: str, store_rev: int) -> None:
        writer.commit()
        self._index.reload()
        self._write_meta(store_id, store_rev, self.document_count())

    def document_count(self) -> int:
        return int(self._open(create=False).searcher().num_docs)

    # searching ---------------------------------------------------------------------------------

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[KeywordHit]:
        """The ``k`` best BM25 matches of ``query`` (tantivy syntax, else plain words)."""
        index = self._open(create=False)
        text_query = self._text_query(index, query)
        if text_query is None:
            return []
        return self._run(index, self._with_filters(index, text_query, filters), k)

    def count(
        self, query: str, filters: Filters | None = None, *, at_most: int | None = None
    ) -> int:
        """How many papers match ``query`` (and the filters), at most ``at_most``."""
        index = self._open(create=False)
        text_query = self._text_query(index, query)
        if text_query is None:
            return 0
        result = index.searcher().search(self._with_filters(index, text_query, filters), 1)
        return int(result.count) if at_most is None else min(int(result.count), at_most)

    def more_like(
        self, texts: list[tuple[str, str]], k: int, filters: Filters | None = None
    ) -> list[KeywordHit]:
        """Papers sharing the distinctive terms of the given (title, abstract) pairs."""
        index = self._open(create=False)
        fields = {
            "title": [normalise_for_search(title) for title, _ in texts],
            "abstract": [normalise_for_search(abstract) for _, abstract in texts],
        }
        query = tantivy.Query.more_like_this_document_fields_query(
            index.schema,
            fields,
            min_doc_frequency=2,
            max_doc_frequency=max(2, self.document_count() // 5),
            min_term_frequency=1,
            max_query_terms=25 + 5 * (len(texts) - 1),
            min_word_length=3,
            max_word_length=40,
        )
        return self._run(index, self._with_filters(index, query, filters), k)

    def ids_matching(self, filters: Filters, limit: int = 100_000) -> set[str]:
        """Ids of the papers that pass ``filters`` (used to filter other retrievers by author)."""
        index = self._open(create=False)
        clauses = list(_filter_queries(index.schema, filters))
        if not clauses:
            raise ValueError("ids_matching needs at least one filter")
        query = tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in clauses])
        return {hit.paper_id for hit in self._run(index, query, limit)}

    def _run(self, index: Any, query: Any, k: int) -> list[KeywordHit]:
        searcher = index.searcher()
        result = searcher.search(query, k, count=False)
        return [KeywordHit(searcher.doc(address)["id"][0], score) for score, address in result.hits]

    def _text_query(self, index: Any, query: str) -> Any | None:
        normalised = normalise_for_search(query)
        if not _QUERY_SYNTAX.search(normalised):
            return self._words_query(index, normalised)
        try:
            return index.parse_query(normalised, list(SEARCH_FIELDS), field_boosts=self.boosts)
        except ValueError:
            plain = _plain_words(normalised)
            if not plain:
                return None
            return index.parse_query(plain, list(SEARCH_FIELDS), field_boosts=self.boosts)

    def _words_query(self, index: Any, text: str) -> Any | None:
        """Plain words as one flat disjunction of (field, term) clauses.

        The query parser would nest one disjunction per word and read a hyphenated word as a
        phrase; the flat form scores every term in every field the same way (BM25 summed over
        clauses) and runs much faster on large indexes, where the nested unions and the phrase
        positions dominated the tail latency.
        """
        clauses = []
        for field in SEARCH_FIELDS:
            boost = self.boosts.get(field, 1.0)
            for term in self._analyzers[field].analyze(text):
                clause = tantivy.Query.term_query(index.schema, field, term)
                if boost != 1.0:
                    clause = tantivy.Query.boost_query(clause, boost)
                clauses.append((tantivy.Occur.Should, clause))
        return tantivy.Query.boolean_query(clauses) if clauses else None

    def _with_filters(self, index: Any, text_query: Any, filters: Filters | None) -> Any:
        clauses = list(_filter_queries(index.schema, filters)) if filters else []
        if not clauses:
            return text_query
        must = [(tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)) for q in clauses]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, text_query), *must])


def _plain_words(query: str) -> str:
    """The query reduced to lower-cased words: always valid tantivy syntax."""
    words = _NON_WORD.sub(" ", query)
    return " ".join(_OPERATOR_WORDS.sub(lambda m: m.group(0).lower(), words).split())


def _filter_queries(schema: Any, filters: Filters) -> Iterator[Any]:
    if filters.categories:
        yield tantivy.Query.term_set_query(schema, "categories", list(filters.categories))
    if filters.since or filters.until:
        yield tantivy.Query.range_query(
            schema,
            "date",
            tantivy.FieldType.Date,
            _as_datetime(filters.since) if filters.since else None,
            _as_datetime(filters.until) if filters.until else None,
        )
    if filters.author:
        words = _WORD.findall(fold_name(filters.author))
        if not words:
            return
        if len(words) == 1:
            yield tantivy.Query.term_query(schema, "authors", words[0])
        else:
            yield tantivy.Query.phrase_query(schema, "authors", words)
