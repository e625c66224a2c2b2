"""Keyword search in PostgreSQL: a weighted tsvector per paper, ranked by idf-weighted ts_rank.

Each paper's ``document`` is ``setweight(title, A) || setweight(abstract, B) ||
setweight(authors, C)`` under the 'english' configuration, on text normalised and accent-folded
by papersift first (as the file index does). PostgreSQL's own ``ts_rank`` has no notion of how
rare a word is, so a paper's score for a query of terms t is

    score = sum over t of idf(t) * ts_rank(WEIGHTS, document, t, 1)

with BM25's idf, ``ln(1 + (N - df + 0.5) / (df + 0.5))``, from ``keyword_terms`` (document
frequencies kept in step by ``update``), and ts_rank's normalisation 1 (divided by
``1 + log(length)``). Matching follows Lucene's common-terms idea: a paper must hold one of the
query's *selective* terms (held by at most ``COMMON_FRACTION`` of papers); very common terms
only add to the score of papers matched that way, so that "learning" alone never makes a query
rank every paper. A query of common terms only requires all of them.

Queries with syntax ("quoted phrases", ``-excluded``, ``or``) use PostgreSQL's
``websearch_to_tsquery`` to match, and the same ranking over their words; ``+word`` requires
that word (what keyword alerts use), as in the file index.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, REAL, TSQUERY
from sqlalchemy.engine import Connection, Engine

from papersift.errors import IndexError_
from papersift.filters import Filters
from papersift.indexes.keyword import KeywordHit
from papersift.indexes.pg_state import delete_state, lock_writers, read_state, write_state
from papersift.model import Paper
from papersift.store.search_schema import keyword_entries
from papersift.text import fold_accents, fold_name

FORMAT_VERSION = 1
STATE_NAME = "keyword"
# ts_rank's weights for {D, C, B, A}: the title (A) above authors (C) and abstract (B). Not
# tuned: on SciFact test this ranking gives nDCG@10 0.656 against tantivy BM25's 0.692.
WEIGHTS = (0.0, 0.6, 0.4, 1.0)
COMMON_FRACTION = 0.05
COMMON_AT_LEAST = 1000  # in small collections no term counts as common
MAX_QUERY_TERMS = 32
MORE_LIKE_TERMS = 25
MORE_LIKE_MATCH_TERMS = 5
# Above this many matching papers, a cheap first pass keeps RERANK_DEPTH for the full score.
RERANK_ABOVE = 2000
RERANK_DEPTH = 300
_BATCH = 2000
_SYNTAX = re.compile(r'["]|(?:^|\s)-\w|\bor\b', re.IGNORECASE)
_WORD = re.compile(r"\w+")
_REQUIRED = re.compile(r"(?:^|\s)\+([^\s+]+)")


@dataclass(frozen=True, slots=True)
class _Term:
    lexeme: str
    documents: int
    count: int = 1  # occurrences in the query text (more-like-this weighs by them)


def fold_text(text: str) -> str:
    """``normalise_for_search`` without accents: PostgreSQL's 'english' configuration does not
    fold them (the file index's analyzer does), so papersift folds before both sides."""
    return fold_accents(text.replace("\x00", " "))


class DatabaseKeywordIndex:
    """The keyword index of a PostgreSQL store: tables beside the papers, one transaction per
    batch of changes (entries, term counts and the indexed revision together)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # state -------------------------------------------------------------------------------------

    def meta(self) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            return read_state(connection, STATE_NAME)

    def indexed_rev(self, store_id: str) -> int | None:
        meta = self.meta()
        if meta is None or meta.get("format") != FORMAT_VERSION or meta.get("store_id") != store_id:
            return None
        return int(meta["store_rev"])

    def refresh(self) -> None:
        """Nothing to do: every worker reads the same tables."""

    def clear(self) -> None:
        with self.engine.begin() as connection:
            lock_writers(connection, STATE_NAME)
            connection.execute(sa.text("TRUNCATE keyword_entries, keyword_terms"))
            delete_state(connection, STATE_NAME)

    def document_count(self) -> int:
        with self.engine.connect() as connection:
            return _document_count(connection)

    # writing -----------------------------------------------------------------------------------

    def update(
        self,
        changes: Iterable[tuple[int, Paper]],
        *,
        store_id: str,
        memory_mb: int = 256,
        fresh: bool = False,
        commit_every: int = _BATCH,
    ) -> int:
        """Add or replace the given (revision, paper) pairs, committing batch by batch with the
        revision reached, so an interrupted run keeps its progress; returns how many were
        written. ``memory_mb`` and ``fresh`` matter to the file index only."""
        del memory_mb, fresh
        written = 0
        batch: list[tuple[int, Paper]] = []
        for rev, paper in changes:
            if batch and rev != batch[-1][0] and len(batch) >= commit_every:
                written += self._write(batch, store_id)
                batch = []
            batch.append((rev, paper))
        written += self._write(batch, store_id)
        return written

    def _write(self, batch: list[tuple[int, Paper]], store_id: str) -> int:
        with self.engine.begin() as connection:
            lock_writers(connection, STATE_NAME)
            previous = read_state(connection, STATE_NAME) or {}
            documents = int(previous.get("documents", 0))
            if batch:
                ids = list(dict.fromkeys(paper.id for _, paper in batch))
                documents += len(ids) - _count_entries(connection, ids)
                _count_terms(connection, ids, sign=-1)
                connection.execute(_UPSERT, _entry_columns([paper for _, paper in batch]))
                _count_terms(connection, ids, sign=+1)
            rev = batch[-1][0] if batch else int(previous.get("store_rev", 0))
            meta = {
                "format": FORMAT_VERSION,
                "store_id": store_id,
                "store_rev": rev,
                "documents": documents,
                "ranking": "sum of BM25 idf x ts_rank(weights, document, term, 1)",
                "weights": list(WEIGHTS),
            }
            write_state(connection, STATE_NAME, meta)
        return len(batch)

    # searching ---------------------------------------------------------------------------------

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[KeywordHit]:
        """The ``k`` best matches of ``query`` (plain words, or web-search syntax)."""
        text = fold_text(query)
        with self.engine.connect() as connection:
            total = _indexed_documents(connection)
            terms = _query_terms(connection, text)
            if not terms:
                return []
            match, candidates = _match_clause(text, terms, total)
            return _ranked(connection, terms, match, filters, k, total, candidates)

    def count(self, query: str, filters: Filters | None = None) -> int:
        text = fold_text(query)
        with self.engine.connect() as connection:
            total = _indexed_documents(connection)
            terms = _query_terms(connection, text)
            if not terms:
                return 0
            match, _ = _match_clause(text, terms, total)
            where = [match, *_filter_clauses(filters)]
            statement = sa.select(sa.func.count()).select_from(keyword_entries).where(*where)
            return int(connection.execute(statement).scalar_one())

    def more_like(
        self, texts: list[tuple[str, str]], k: int, filters: Filters | None = None
    ) -> list[KeywordHit]:
        """Papers sharing the distinctive terms of the given (title, abstract) pairs: their
        ``MORE_LIKE_TERMS`` terms of highest count x idf score the papers holding one of the
        ``MORE_LIKE_MATCH_TERMS`` best of them."""
        text = " ".join(fold_text(f"{title} {abstract}") for title, abstract in texts)
        with self.engine.connect() as connection:
            total = _indexed_documents(connection)
            usable = [
                term
                for term in _query_terms(connection, text, limit=None)
                if len(term.lexeme) >= 3 and 2 <= term.documents <= max(2, total // 5)
            ]
            usable.sort(key=lambda t: -t.count * _idf(t.documents, total))
            terms = usable[:MORE_LIKE_TERMS]
            if not terms:
                return []
            matching = terms[:MORE_LIKE_MATCH_TERMS]
            estimate = sum(t.documents for t in matching)
            return _ranked(connection, terms, _any_of(matching), filters, k, total, estimate)

    def ids_matching(self, filters: Filters, limit: int = 100_000) -> set[str]:
        clauses = list(_filter_clauses(filters))
        if not clauses:
            raise ValueError("ids_matching needs at least one filter")
        statement = sa.select(keyword_entries.c.paper_id).where(*clauses).limit(limit)
        with self.engine.connect() as connection:
            _indexed_documents(connection)
            return set(connection.execute(statement).scalars())


# writing ---------------------------------------------------------------------------------------

_UPSERT = sa.text(
    """
    INSERT INTO keyword_entries (paper_id, document, authors, categories, day)
    VALUES (
        :paper_id,
        setweight(to_tsvector('english', :title), 'A')
            || setweight(to_tsvector('english', :abstract), 'B')
            || setweight(to_tsvector('english', :names), 'C'),
        to_tsvector('simple', :folded_names),
        CAST(:categories AS text[]),
        :day
    )
    ON CONFLICT (paper_id) DO UPDATE SET
        document = excluded.document,
        authors = excluded.authors,
        categories = excluded.categories,
        day = excluded.day
    """
)


def _entry_columns(papers: Sequence[Paper]) -> list[dict[str, Any]]:
    return [
        {
            "paper_id": paper.id,
            "title": fold_text(paper.title),
            "abstract": fold_text(paper.abstract),
            "names": fold_text(" ; ".join(paper.authors)),
            "folded_names": fold_name(" ; ".join(paper.authors)),
            "categories": list(paper.categories),
            "day": paper.display_date,
        }
        for paper in papers
    ]


def _count_terms(connection: Connection, paper_ids: list[str], *, sign: int) -> None:
    """Add (``sign`` +1) or remove (-1) the lexemes of these papers' entries to the counts."""
    connection.execute(
        sa.text(
            """
            INSERT INTO keyword_terms (lexeme, documents)
            SELECT term.lexeme, :sign * count(*)
            FROM keyword_entries AS entry, unnest(entry.document) AS term
            WHERE entry.paper_id = ANY(:ids)
            GROUP BY term.lexeme
            ON CONFLICT (lexeme) DO UPDATE
            SET documents = keyword_terms.documents + excluded.documents
            """
        ),
        {"ids": paper_ids, "sign": sign},
    )


def _count_entries(connection: Connection, paper_ids: list[str]) -> int:
    statement = sa.select(sa.func.count()).where(keyword_entries.c.paper_id.in_(paper_ids))
    return int(connection.execute(statement).scalar_one())


def _indexed_documents(connection: Connection) -> int:
    """How many papers the index holds; raises when there is no index yet."""
    meta = read_state(connection, STATE_NAME)
    if meta is None:
        raise IndexError_("no keyword index in the database: run `papersift index` first")
    return int(meta["documents"])


def _document_count(connection: Connection) -> int:
    meta = read_state(connection, STATE_NAME)
    return int(meta["documents"]) if meta else 0


# searching -------------------------------------------------------------------------------------


def _query_terms(
    connection: Connection, text: str, *, limit: int | None = MAX_QUERY_TERMS
) -> list[_Term]:
    """The query's lexemes (stemmed, stopwords dropped) with their document frequencies."""
    rows = connection.execute(
        sa.text(
            """
            SELECT word.lexeme, coalesce(term.documents, 0) AS documents,
                   array_length(word.positions, 1) AS occurrences
            FROM unnest(to_tsvector('english', :text)) AS word
            LEFT JOIN keyword_terms AS term ON term.lexeme = word.lexeme
            """
        ),
        {"text": text},
    )
    terms = [_Term(row.lexeme, int(row.documents), int(row.occurrences or 1)) for row in rows]
    return terms[:limit] if limit else terms


def _match_clause(text: str, terms: list[_Term], total: int) -> tuple[Any, int]:
    """The condition a paper must meet, and about how many papers meet it (at most)."""
    everything = sum(t.documents for t in terms)
    required = _REQUIRED.findall(text)
    if required:  # +word: papers must hold every such word; the others only add to the score
        return _web_search(" ".join(required)), everything
    if _SYNTAX.search(text):
        return _web_search(text), everything
    common = max(COMMON_FRACTION * total, COMMON_AT_LEAST)
    selective = [t for t in terms if 0 < t.documents <= common]
    if selective:
        return _any_of(selective), sum(t.documents for t in selective)
    present = [t for t in terms if t.documents > 0] or terms
    every = _tsquery_match(" & ".join(_quoted(t.lexeme) for t in present))
    return every, min(t.documents for t in present)


def _web_search(text: str) -> Any:
    return keyword_entries.c.document.op("@@")(
        sa.func.websearch_to_tsquery(sa.literal_column("'english'"), text)
    )


def _any_of(terms: Sequence[_Term]) -> Any:
    return keyword_entries.c.document.op("@@")(_any_of_query(terms))


def _any_of_query(terms: Sequence[_Term]) -> Any:
    return sa.cast(" | ".join(_quoted(t.lexeme) for t in terms), TSQUERY)


def _tsquery_match(tsquery: str) -> Any:
    return keyword_entries.c.document.op("@@")(sa.cast(tsquery, TSQUERY))


def _ranked(
    connection: Connection,
    terms: Sequence[_Term],
    match: Any,
    filters: Filters | None,
    k: int,
    total: int,
    candidates: int,
) -> list[KeywordHit]:
    """The ``k`` best papers passing ``match`` and the filters. When about ``candidates`` papers
    match and that is more than ``RERANK_ABOVE``, a cheaper first pass (one ``ts_rank`` of all
    the terms, without idf) keeps the ``RERANK_DEPTH`` best for the full score."""
    if k <= 0:
        return []
    total = max(total, 1)
    counted = [term for term in terms if term.documents > 0]
    if not counted:
        return []
    where = [match, *_filter_clauses(filters)]
    source: Any = keyword_entries
    if candidates > RERANK_ABOVE:
        cheap = sa.func.ts_rank(_WEIGHTS, keyword_entries.c.document, _any_of_query(counted), 1)
        source = (
            sa.select(keyword_entries.c.paper_id, keyword_entries.c.document)
            .where(*where)
            .order_by(cheap.desc())
            .limit(max(RERANK_DEPTH, k))
            .subquery()
        )
        where = []
    score = _score(source.c.document, counted, total).label("score")
    statement = (
        sa.select(source.c.paper_id, score)
        .where(*where)
        .order_by(sa.desc("score"), source.c.paper_id)
        .limit(k)
    )
    return [KeywordHit(row.paper_id, float(row.score)) for row in connection.execute(statement)]


_WEIGHTS = sa.cast(list(WEIGHTS), ARRAY(REAL))


def _score(document: Any, terms: Sequence[_Term], total: int) -> Any:
    """Sum over the terms of idf x occurrences in the query x ts_rank of the term."""
    parts = [
        _idf(term.documents, total)
        * term.count
        * sa.func.ts_rank(_WEIGHTS, document, sa.cast(_quoted(term.lexeme), TSQUERY), 1)
        for term in terms
    ]
    return functools.reduce(operator.add, parts)


def _idf(documents: int, total: int) -> float:
    return math.log(1.0 + (total - documents + 0.5) / (documents + 0.5))


def _quoted(lexeme: str) -> str:
    """A lexeme as a tsquery operand (quotes doubled, backslashes escaped)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _filter_clauses(filters: Filters | None) -> Iterator[Any]:
    if filters is None:
        return
    entries = keyword_entries.c
    if filters.categories:
        yield entries.categories.op("&&")(sa.cast(list(filters.categories), ARRAY(sa.Text)))
    if filters.since:
        yield entries.day >= filters.since
    if filters.until:
        yield entries.day <= filters.until
    if filters.author:
        words = _WORD.findall(fold_name(filters.author))
        if words:
            phrase = " <-> ".join(_quoted(word) for word in words)
            yield entries.authors.op("@@")(sa.cast(phrase, TSQUERY))
