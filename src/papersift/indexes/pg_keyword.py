"""Keyword search in PostgreSQL: BM25 over an impact-ordered inverted index in SQL, with a
weighted tsvector per paper for matching, filters and query syntax.

Each paper's ``document`` is ``setweight(title, A) || setweight(abstract, B) ||
setweight(authors, C)`` under the 'english' configuration, on text normalised and accent-folded
by papersift first (as the file index does). The ranking is BM25 (k1 1.2, b 0.75) over that
document, a title word counting twice:

    score = sum over query terms t of idf(t) * (k1 + 1) * tf / (tf + k1 * (1 - b + b * dl / avgdl))

with ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))`` from ``keyword_terms`` (document frequencies
kept in step by ``update``). A term's weight in a paper (the tf part, quantised to a smallint
by the SQL function ``papersift_impact`` of migration 0007) is stored twice: in
``keyword_postings``, indexed by (term, impact), and in the paper's entry (``terms``,
``impacts``). A plain query reads only the ``TERM_DEPTH`` papers where each of its terms weighs
most (impact-ordered ranking, as in JASS), keeps the ``RESCORE_POOL`` best by the sum of what it
read, and gives those their whole BM25 from their entries (``papersift_bm25``). It never ranks
every paper that holds a term, which PostgreSQL's ``ts_rank`` would do tsvector by tsvector.
``avgdl`` is the average when a paper was indexed; it moves little as a corpus grows.

Matching follows Lucene's common-terms idea: a paper must hold one of the query's *selective*
terms (held by at most ``COMMON_FRACTION`` of papers); very common terms only add to the score,
so that "learning" alone never makes a query rank every paper; a query of common terms only
requires all of them. Filtered queries and queries with syntax ("quoted phrases" with their
quotes in pairs, ``-excluded``, ``OR`` in capitals, matched with ``websearch_to_tsquery``;
``+word`` requires that word, what keyword alerts use) match through the tsvector's GIN index
and score the matches with the same ``papersift_bm25``. Function words are left out of queries
(see ``papersift.indexes.keyword.STOPWORDS``), outside quoted phrases.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, DOUBLE_PRECISION, REAL, TSQUERY
from sqlalchemy.engine import Connection, Engine

from papersift.errors import IndexError_
from papersift.filters import Filters
from papersift.indexes.keyword import KeywordHit, is_stopword
from papersift.indexes.pg_state import delete_state, lock_writers, read_state, write_state
from papersift.model import Paper
from papersift.store.search_schema import keyword_entries, keyword_postings
from papersift.text import fold_accents, fold_name

FORMAT_VERSION = 2
STATE_NAME = "keyword"
K1 = 1.2
B = 0.75
IMPACT_SCALE = (
    32767  # papersift_impact's quantisation: (k1 + 1) * tf / (tf + norm) maps to 0..32767
)
# Postings read per query term, best impact first. At 1M bench papers a depth of 1000 finds 0.685
# of the exhaustive ranking's top 10, p50 15 ms (bench.postgres_scale prints both).
TERM_DEPTH = 1000
MORE_LIKE_DEPTH = 300
RESCORE_POOL = 100  # the best papers by the postings read that get their whole BM25 score
ALL_COMMON_POOL = 4
COMMON_FRACTION = 0.05
COMMON_AT_LEAST = 1000  # in small collections no term counts as common
MAX_QUERY_TERMS = 32
MORE_LIKE_TERMS = 25
MORE_LIKE_MATCH_TERMS = 5
# Tsvector matches: above this many, a cheap first pass (one ts_rank) keeps RERANK_DEPTH of them
# for the BM25 score.
RERANK_ABOVE = 2000
RERANK_DEPTH = 300
_WEIGHTS = sa.cast([0.0, 0.6, 0.4, 1.0], ARRAY(REAL))  # ts_rank's {D, C, B, A}: the cheap pass
_BATCH = 2000
# What websearch_to_tsquery reads as syntax, counted only when a query means it: "quoted
# phrases" (quotes in pairs), OR in capitals, a word marked excluded (-word, not -5).
_OR = re.compile(r"(?:^|\s)OR(?=\s)")
_EXCLUDED = re.compile(r"(?:^|\s)-(?=[^\W\d_])")
_WORD = re.compile(r"\w+")
_REQUIRED = re.compile(r"(?:^|\s)\+([^\s+]+)")
# A word standing alone (not part of a hyphenated or dotted compound, which PostgreSQL's parser
# indexes whole as well as in parts).
_LONE_WORD = re.compile(r"(?<![\w.-])[^\W\d_]+(?![\w.-])")


@dataclass(frozen=True, slots=True)
class _Term:
    lexeme: str
    term_id: int | None
    documents: int
    count: int = 1  # occurrences in the query text (more-like-this weighs by them)


def fold_text(text: str) -> str:
    """``normalise_for_search`` without accents: PostgreSQL's 'english' configuration does not
    fold them (the file index's analyzer does), so papersift folds before both sides."""
    return fold_accents(text.replace("\x00", " "))


class DatabaseKeywordIndex:
    """The keyword index of a PostgreSQL store: tables beside the papers, one transaction per
    batch of changes (entries, postings, term counts and the indexed revision together)."""

    def __init__(self, db: Engine) -> None:
        self.db = db

    # state -------------------------------------------------------------------------------------

    def meta(self) -> dict[str, Any] | None:
        with self.db.connect() as connection:
            return read_state(connection, STATE_NAME)

    def indexed_rev(self, store_id: str) -> int | None:
        meta = self.meta()
        if meta is None or meta.get("format") != FORMAT_VERSION or meta.get("store_id") != store_id:
            return None
        return int(meta["store_rev"])

    def refresh(self) -> None:
        """Nothing to do: every worker reads the same tables."""

    def clear(self) -> None:
        with self.db.begin() as connection:
            lock_writers(connection, STATE_NAME)
            connection.execute(sa.text("TRUNCATE keyword_postings, keyword_entries, keyword_terms"))
            delete_state(connection, STATE_NAME)

    def document_count(self) -> int:
        with self.db.connect() as connection:
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
        written. A ``fresh`` build (into a cleared index) drops the secondary indexes first and
        builds them once at the end with ``memory_mb`` of memory, as does any run after an
        interrupted fresh one."""
        if fresh:
            with self.db.begin() as connection:
                lock_writers(connection, STATE_NAME)
                for index in _SECONDARY_INDEXES:
                    connection.execute(sa.text(f"DROP INDEX IF EXISTS {index.name}"))
        written = 0
        batch: list[tuple[int, Paper]] = []
        for rev, paper in changes:
            if batch and rev != batch[-1][0] and len(batch) >= commit_every:
                written += self._write(batch, store_id)
                batch = []
            batch.append((rev, paper))
        written += self._write(batch, store_id)
        if self._build_missing_indexes(memory_mb):
            _vacuum(self.db)
        return written

    def _write(self, batch: list[tuple[int, Paper]], store_id: str) -> int:
        with self.db.begin() as connection:
            lock_writers(connection, STATE_NAME)
            previous = read_state(connection, STATE_NAME) or {}
            documents = int(previous.get("documents", 0))
            lengths = int(previous.get("lengths", 0))
            if batch:
                ids = list(dict.fromkeys(paper.id for _, paper in batch))
                replaced, replaced_length = _entries_and_length(connection, ids)
                connection.execute(_DELETE_POSTINGS, {"ids": ids})
                _count_terms(connection, ids, sign=-1)
                connection.execute(_UPSERT, _entry_columns([paper for _, paper in batch]))
                documents += len(ids) - replaced
                lengths += _entries_and_length(connection, ids)[1] - replaced_length
                average = lengths / max(documents, 1) or 1.0
                connection.execute(_SET_NORMS, {"ids": ids, "average": average, "k1": K1, "b": B})
                _count_terms(connection, ids, sign=+1)
                connection.execute(_SET_POSTINGS, {"ids": ids})
                connection.execute(_INSERT_POSTINGS, {"ids": ids})
            rev = batch[-1][0] if batch else int(previous.get("store_rev", 0))
            meta = {
                "format": FORMAT_VERSION,
                "store_id": store_id,
                "store_rev": rev,
                "documents": documents,
                "lengths": lengths,
                "ranking": f"BM25 k1 {K1} b {B}, title words count twice; impact-ordered postings",
            }
            write_state(connection, STATE_NAME, meta)
        return len(batch)

    def _build_missing_indexes(self, memory_mb: int) -> bool:
        """Create the secondary indexes a fresh build dropped; true when any was missing."""
        with self.db.begin() as connection:
            lock_writers(connection, STATE_NAME)
            existing = set(
                connection.execute(
                    sa.text("SELECT indexname FROM pg_indexes WHERE indexname = ANY(:names)"),
                    {"names": [index.name for index in _SECONDARY_INDEXES]},
                ).scalars()
            )
            missing = [index for index in _SECONDARY_INDEXES if index.name not in existing]
            connection.execute(
                sa.text(f"SET LOCAL maintenance_work_mem = '{max(64, memory_mb)}MB'")
            )
            for index in missing:
                index.create(connection)
        return bool(missing)

    # searching ---------------------------------------------------------------------------------

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[KeywordHit]:
        """The ``k`` best matches of ``query`` (plain words, or web-search syntax)."""
        if k <= 0:
            return []
        text = _without_stopwords(fold_text(query))
        with self.db.connect() as connection:
            total = _indexed_documents(connection)
            terms = _query_terms(connection, text)
            if not terms:
                return []
            plain = not _REQUIRED.search(text) and not _uses_syntax(text)
            if plain and (filters is None or filters.empty):
                return _plain_search(connection, terms, k, total)
            match, candidates = _match_clause(text, terms, total)
            return _ranked(connection, terms, match, filters, k, total, candidates)

    def scores_of(self, query: str, paper_ids: Collection[str]) -> dict[str, float]:
        """The BM25 score ``search`` gives each of ``paper_ids`` for ``query``; 0.0 for a paper
        of them that does not match it (or is not indexed)."""
        wanted = list(dict.fromkeys(paper_ids))
        scores = dict.fromkeys(wanted, 0.0)
        if not wanted:
            return scores
        text = _without_stopwords(fold_text(query))
        with self.db.connect() as connection:
            total = _indexed_documents(connection)
            terms = _query_terms(connection, text)
            if not terms:
                return scores
            match, _ = _match_clause(text, terms, total)
            among = sa.and_(match, keyword_entries.c.paper_id.in_(wanted))
            for hit in _ranked(connection, terms, among, None, len(wanted), total, 0):
                scores[hit.paper_id] = hit.score
        return scores

    def count(
        self, query: str, filters: Filters | None = None, *, at_most: int | None = None
    ) -> int:
        """How many papers match ``query`` (and the filters), at most ``at_most``: counting
        stops there, where a query of common words would otherwise visit most of the index."""
        text = _without_stopwords(fold_text(query))
        with self.db.connect() as connection:
            total = _indexed_documents(connection)
            terms = _query_terms(connection, text)
            if not terms:
                return 0
            match, _ = _match_clause(text, terms, total)
            where = [match, *_filter_clauses(filters)]
            matching = sa.select(keyword_entries.c.doc).where(*where).limit(at_most).subquery()
            statement = sa.select(sa.func.count()).select_from(matching)
            return int(connection.execute(statement).scalar_one())

    def more_like(
        self, texts: list[tuple[str, str]], k: int, filters: Filters | None = None
    ) -> list[KeywordHit]:
        """Papers sharing the distinctive terms of the given (title, abstract) pairs: their
        ``MORE_LIKE_TERMS`` terms of highest count x idf score the papers holding one of the
        ``MORE_LIKE_MATCH_TERMS`` best of them."""
        if k <= 0:
            return []
        text = " ".join(fold_text(f"{title} {abstract}") for title, abstract in texts)
        with self.db.connect() as connection:
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
            if filters is None or filters.empty:
                return _from_postings(connection, terms, matching, MORE_LIKE_DEPTH, k, total)
            estimate = sum(t.documents for t in matching)
            return _ranked(connection, terms, _any_of(matching), filters, k, total, estimate)

    def ids_matching(self, filters: Filters, limit: int = 100_000) -> set[str]:
        clauses = list(_filter_clauses(filters))
        if not clauses:
            raise ValueError("ids_matching needs at least one filter")
        statement = sa.select(keyword_entries.c.paper_id).where(*clauses).limit(limit)
        with self.db.connect() as connection:
            _indexed_documents(connection)
            return set(connection.execute(statement).scalars())

    def ids_with_author_words(self, words: Sequence[str], limit: int = 100_000) -> set[str]:
        if not words:
            raise ValueError("ids_with_author_words needs at least one word")
        every = " & ".join(_quoted(word) for word in words)
        statement = (
            sa.select(keyword_entries.c.paper_id)
            .where(keyword_entries.c.authors.op("@@")(sa.cast(every, TSQUERY)))
            .limit(limit)
        )
        with self.db.connect() as connection:
            _indexed_documents(connection)
            return set(connection.execute(statement).scalars())


# writing ---------------------------------------------------------------------------------------

_SECONDARY_INDEXES = [*keyword_entries.indexes, *keyword_postings.indexes]

_UPSERT = sa.text(
    """
    INSERT INTO keyword_entries
        (paper_id, document, authors, categories, day, length, norm, terms, impacts)
    SELECT :paper_id, made.document, to_tsvector('simple', :folded_names),
           CAST(:categories AS text[]), :day,
           coalesce((SELECT sum(cardinality(word.positions)) FROM unnest(made.document) AS word),
                    0),
           1, '{}', '{}'
    FROM (
        SELECT setweight(to_tsvector('english', :title), 'A')
            || setweight(to_tsvector('english', :abstract), 'B')
            || setweight(to_tsvector('english', :names), 'C') AS document
    ) AS made
    ON CONFLICT (paper_id) DO UPDATE SET
        document = excluded.document,
        authors = excluded.authors,
        categories = excluded.categories,
        day = excluded.day,
        length = excluded.length,
        terms = excluded.terms,
        impacts = excluded.impacts
    """
)

_SET_NORMS = sa.text(
    """
    UPDATE keyword_entries SET norm = :k1 * (1 - :b + :b * length / :average)
    WHERE paper_id = ANY(:ids)
    """
)

# Each entry's postings, in term-number order, once its norm is set and its lexemes counted.
_SET_POSTINGS = sa.text(
    """
    UPDATE keyword_entries AS entry SET terms = made.terms, impacts = made.impacts
    FROM (
        SELECT entry.paper_id,
               array_agg(term.term_id ORDER BY term.term_id) AS terms,
               array_agg(papersift_impact(word.weights, entry.norm) ORDER BY term.term_id)
                   AS impacts
        FROM keyword_entries AS entry
        CROSS JOIN LATERAL unnest(entry.document) AS word
        JOIN keyword_terms AS term ON term.lexeme = word.lexeme
        WHERE entry.paper_id = ANY(:ids)
        GROUP BY entry.paper_id
    ) AS made
    WHERE entry.paper_id = made.paper_id
    """
)

_POSTINGS_OF = """
    SELECT unnest(entry.terms) AS term_id, unnest(entry.impacts) AS impact, entry.doc
    FROM keyword_entries AS entry
    WHERE entry.paper_id = ANY(:ids)
"""

_INSERT_POSTINGS = sa.text(f"INSERT INTO keyword_postings (term_id, impact, doc) {_POSTINGS_OF}")

_DELETE_POSTINGS = sa.text(
    f"""
    DELETE FROM keyword_postings AS posting USING ({_POSTINGS_OF}) AS old
    WHERE posting.term_id = old.term_id AND posting.impact = old.impact AND posting.doc = old.doc
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


def _entries_and_length(connection: Connection, paper_ids: list[str]) -> tuple[int, int]:
    """How many of these papers have entries, and their total length."""
    found = connection.execute(
        sa.select(
            sa.func.count(), sa.func.coalesce(sa.func.sum(keyword_entries.c.length), 0)
        ).where(keyword_entries.c.paper_id.in_(paper_ids))
    ).one()
    return int(found[0]), int(found[1])


def _vacuum(db: Engine) -> None:
    """After a bulk build: statistics for the planner, and a visibility map so that reading
    postings is an index-only scan."""
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM (ANALYZE) keyword_postings, keyword_entries"))
        connection.execute(sa.text("ANALYZE keyword_terms"))


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
            SELECT word.lexeme, term.term_id, coalesce(term.documents, 0) AS documents,
                   array_length(word.positions, 1) AS occurrences
            FROM unnest(to_tsvector('english', :text)) AS word
            LEFT JOIN keyword_terms AS term ON term.lexeme = word.lexeme
            """
        ),
        {"text": text},
    )
    terms = [
        _Term(row.lexeme, row.term_id, int(row.documents), int(row.occurrences or 1))
        for row in rows
    ]
    return terms[:limit] if limit else terms


def _selective(terms: Sequence[_Term], total: int) -> list[_Term]:
    """The terms held by few enough papers to decide what matches (see the module's doc)."""
    common = max(COMMON_FRACTION * total, COMMON_AT_LEAST)
    return [t for t in terms if 0 < t.documents <= common]


def _match_clause(text: str, terms: list[_Term], total: int) -> tuple[Any, int]:
    """The condition a paper must meet, and about how many papers meet it (at most)."""
    everything = sum(t.documents for t in terms)
    required = _REQUIRED.findall(text)
    if required:  # +word: papers must hold every such word; the others only add to the score
        return _web_search(" ".join(required)), everything
    if _uses_syntax(text):
        return _web_search(text), everything
    selective = _selective(terms, total)
    if selective:
        return _any_of(selective), sum(t.documents for t in selective)
    present = [t for t in terms if t.documents > 0] or terms
    return _tsquery_match(_all_of_query(present)), min(t.documents for t in present)


def _uses_syntax(text: str) -> bool:
    quotes = text.count('"')
    return (quotes >= 2 and quotes % 2 == 0) or bool(_OR.search(text) or _EXCLUDED.search(text))


def _without_stopwords(text: str) -> str:
    """The query less its function words (``papersift.indexes.keyword.STOPWORDS``: the
    'english' configuration drops most of them, not may, could, would, also...), outside
    quoted phrases; a query of nothing but function words stays as it is."""
    if '"' in text:
        return text
    words = _LONE_WORD.findall(text)
    if not words or all(is_stopword(word) for word in words):
        return text
    return _LONE_WORD.sub(lambda m: "" if is_stopword(m.group(0)) else m.group(0), text)


def _web_search(text: str) -> Any:
    return keyword_entries.c.document.op("@@")(
        sa.func.websearch_to_tsquery(sa.literal_column("'english'"), text)
    )


def _any_of(terms: Sequence[_Term]) -> Any:
    return keyword_entries.c.document.op("@@")(_any_of_query(terms))


def _any_of_query(terms: Sequence[_Term]) -> Any:
    return sa.cast(" | ".join(_quoted(t.lexeme) for t in terms), TSQUERY)


def _all_of_query(terms: Sequence[_Term]) -> str:
    return " & ".join(_quoted(t.lexeme) for t in terms)


def _tsquery_match(tsquery: str) -> Any:
    return keyword_entries.c.document.op("@@")(sa.cast(tsquery, TSQUERY))


_FROM_POSTINGS = sa.text(
    """
    WITH query AS (
        SELECT * FROM unnest(CAST(:term_ids AS integer[]), CAST(:weights AS float8[]),
                             CAST(:matching AS boolean[])) AS query(term_id, weight, matching)
    ),
    best AS (
        SELECT posting.doc, sum(query.weight * posting.impact) AS score
        FROM query
        CROSS JOIN LATERAL (
            SELECT doc, impact FROM keyword_postings
            WHERE term_id = query.term_id
            ORDER BY impact DESC
            LIMIT :depth
        ) AS posting
        GROUP BY posting.doc
        HAVING bool_or(query.matching)
        ORDER BY score DESC, posting.doc
        LIMIT :pool
    )
    SELECT entry.paper_id,
           papersift_bm25(entry.terms, entry.impacts, CAST(:term_ids AS integer[]),
                          CAST(:weights AS float8[])) AS score
    FROM best JOIN keyword_entries AS entry ON entry.doc = best.doc
    WHERE entry.terms @> CAST(:every AS integer[])
    ORDER BY score DESC, entry.paper_id
    LIMIT :k
    """
)


def _plain_search(
    connection: Connection, terms: list[_Term], k: int, total: int
) -> list[KeywordHit]:
    """A plain query through the postings. A query of common terms only requires all of them:
    a wider pool (``ALL_COMMON_POOL`` times as many papers) is read from the postings and only
    its papers holding every term are ranked, so fewer than ``k`` may come back. Whether a paper
    holds them is read from its entry's term numbers, not its tsvector: the tsvector is stored
    out of line, and fetching it for every paper of the pool was most of the time of these
    queries (p99 of 300-result searches at 100k papers from 63 to 31 ms)."""
    selective = _selective(terms, total)
    if selective:
        return _from_postings(connection, terms, selective, TERM_DEPTH, k, total)
    present = [t for t in terms if t.documents > 0]
    if not present:
        return []
    every = [term.term_id for term in present if term.term_id is not None]
    pool = ALL_COMMON_POOL * max(k, RESCORE_POOL)
    return _from_postings(connection, present, present, TERM_DEPTH, k, total, every, pool)


def _from_postings(
    connection: Connection,
    terms: Sequence[_Term],
    matching: Sequence[_Term],
    depth: int,
    k: int,
    total: int,
    every: Sequence[int] = (),
    pool: int = 0,
) -> list[KeywordHit]:
    """The ``k`` best papers among those found in the ``depth`` best postings of a ``matching``
    term (and holding each term numbered in ``every``): the ``RESCORE_POOL`` best by
    BM25 summed over the postings read, then rescored by their whole BM25 (a paper's weight for
    a term it holds deeper in that term's postings counts too)."""
    counted = _indexed(terms)
    if not counted:
        return []
    must = {term.lexeme for term in matching}
    parameters = {
        "term_ids": [term.term_id for term in counted],
        "weights": [_weight(term, total) for term in counted],
        "matching": [term.lexeme in must for term in counted],
        "depth": depth,
        "pool": max(k, RESCORE_POOL, pool),
        "k": k,
        "every": list(every),
    }
    rows = connection.execute(_FROM_POSTINGS, parameters)
    return [KeywordHit(row.paper_id, float(row.score)) for row in rows]


def _ranked(
    connection: Connection,
    terms: Sequence[_Term],
    match: Any,
    filters: Filters | None,
    k: int,
    total: int,
    candidates: int,
) -> list[KeywordHit]:
    """The ``k`` best papers passing ``match`` and the filters, by BM25 from their postings.
    When about ``candidates`` papers match and that is more than ``RERANK_ABOVE``, a cheaper
    first pass (one ``ts_rank`` of all the terms) keeps the ``RERANK_DEPTH`` best for BM25."""
    counted = _indexed(terms)
    if not counted:
        return []
    where = [match, *_filter_clauses(filters)]
    source: Any = keyword_entries
    if candidates > RERANK_ABOVE:
        cheap = sa.func.ts_rank(_WEIGHTS, keyword_entries.c.document, _any_of_query(counted), 1)
        entries = keyword_entries.c
        source = (
            sa.select(entries.paper_id, entries.terms, entries.impacts)
            .where(*where)
            .order_by(cheap.desc())
            .limit(max(RERANK_DEPTH, k))
            .subquery()
        )
        where = []
    score = sa.func.papersift_bm25(
        source.c.terms,
        source.c.impacts,
        sa.cast([term.term_id for term in counted], ARRAY(sa.Integer)),
        sa.cast([_weight(term, total) for term in counted], ARRAY(DOUBLE_PRECISION)),
        type_=DOUBLE_PRECISION,
    ).label("score")
    statement = (
        sa.select(source.c.paper_id, score)
        .where(*where)
        .order_by(sa.desc("score"), source.c.paper_id)
        .limit(k)
    )
    return [KeywordHit(row.paper_id, float(row.score)) for row in connection.execute(statement)]


def _indexed(terms: Sequence[_Term]) -> list[_Term]:
    """The terms some indexed paper holds (the only ones with postings and a weight)."""
    return [term for term in terms if term.term_id is not None and term.documents > 0]


def _weight(term: _Term, total: int) -> float:
    """What a term's impact is multiplied by: idf x occurrences in the query, and the factor
    turning the quantised impact back into BM25's (k1 + 1) * tf / (tf + norm)."""
    return _idf(term.documents, max(total, 1)) * term.count * (K1 + 1) / IMPACT_SCALE


def _idf(documents: int, total: int) -> float:
    return math.log(1.0 + (total - documents + 0.5) / (documents + 0.5))


def _quoted(lexeme: str) -> str:
    """A lexeme as a tsquery operand (quotes doubled, backslashes escaped)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _filter_clauses(filters: Filters | None) -> Iterator[Any]:
    if filters is None:
        return
    entries = keyword_entries.c
    allowed = filters.allowed_ids()
    if allowed is not None:
        yield entries.paper_id == sa.any_(sa.cast(sorted(allowed), ARRAY(sa.Text)))
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
