"""The BM25 keyword index: a tantivy index in the data directory, kept in step with the store.

The index directory holds tantivy's files plus ``papersift.json``, which records which store it
mirrors and up to which paper revision. Updates delete-then-add each changed paper and commit
before the revision is recorded, so an interrupted update is simply redone by the next one.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tantivy

from papersift.errors import IndexError_
from papersift.filters import Filters
from papersift.indexes.impact.terms import NAME_TERM, TEXT_TERM
from papersift.indexes.meta import meta_stamp, read_meta, write_meta
from papersift.model import Paper
from papersift.text import fold_name, normalise_for_search

if TYPE_CHECKING:
    from papersift.indexes.impact.accelerator import KeywordAccelerator
    from papersift.indexes.impact.builder import Built

FORMAT_VERSION = 1
TEXT_ANALYZER = "papersift_text"
NAME_ANALYZER = "papersift_name"
SEARCH_FIELDS = ("title", "abstract", "authors")
# Chosen on the SciFact train queries (python -m bench.tune_bm25): title boosts 0.3-0.5 tie there
# (0.6798 vs 0.6796 nDCG@10) and 0.5 keeps titles weightier for arXiv readers. A title match needs
# a lower boost than an abstract match because tantivy scores each field's BM25 separately and
# short titles get large length-normalised scores.
DEFAULT_BOOSTS = {"title": 0.5, "abstract": 1.0, "authors": 1.0}
# A plain query of 2 to 4 words may be a person's name: where those words follow one another in
# the authors field, the phrase adds its own BM25 score times this boost (bench.query_kinds).
AUTHOR_PHRASE_BOOST = 2.0
NAME_WORDS = (2, 4)
# The accelerator answers a query that may be a name by merging the papers with that author
# phrase into its candidates; past this many such papers, tantivy answers instead.
PHRASE_MERGE_LIMIT = 200
# Candidates the accelerator takes past the k-th, to find the papers tied with it.
BOUNDARY_EXTRA = 10
_OPERATOR_WORDS = re.compile(r"\b(AND|OR|NOT|IN|TO)\b")
# What makes a query go to tantivy's query parser: a "quoted phrase" (quotes in pairs), a known
# field (title:...), the operator words AND, OR, NOT, or a word marked required (+) or excluded
# (-). Anything else is plain words, whatever punctuation it holds: "(", ":" or " - " in a
# pasted title must not change what the query means.
_FIELD = re.compile(r"(?:^|[\s(+-])(?:title|abstract|authors|categories|date|id):(?=\S)")
_OPERATOR = re.compile(r"(?:^|[\s(])(?:AND|OR|NOT)(?=[\s(\"+-])")
_MARKED = re.compile(r"(?:^|[\s(])[-+](?=[^\W\d_]|[\"(])")  # not -5 or +1.5
_NON_WORD = re.compile(r"[^\w\s]+")
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"[^\W_]+")  # what the simple tokenizer keeps: runs of letters and digits
# Outside quotes, a bare word of a parsed query (not an operator, a field or a marked term).
_PARSED_PART = re.compile(r'\S*"[^"]*"\S*|\S+')
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# Function words, dropped from plain-word queries (and outside the phrases of parsed ones). The
# index keeps them, so phrases still match them; a query of nothing but function words keeps
# them all. In the authors field a function word typed with a capital (Kaiming He, Dong An)
# is kept: it may be a name. Words in capitals are never dropped (IT, US: acronyms), nor is "i"
# (type I, phase I). Chosen on the SciFact train split and bench.query_kinds.
STOPWORDS = frozenset(
    {
        "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
        "because", "been", "being", "both", "but", "by", "can", "could", "did", "do", "does",
        "doing", "each", "for", "from", "had", "has", "have", "having", "he", "her", "here",
        "hers", "herself", "him", "himself", "his", "how", "if", "in", "into", "is", "it",
        "its", "itself", "may", "me", "might", "must", "my", "myself", "no", "nor", "not", "of",
        "on", "or", "our", "ours", "ourselves", "s", "shall", "she", "should", "so", "some",
        "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there",
        "these", "they", "this", "those", "through", "to", "was", "we", "were", "what",
        "when", "where", "which", "while", "who", "whom", "whose", "why", "will", "with",
        "would", "you", "your", "yours", "yourself", "yourselves",
    }
)  # fmt: skip


def uses_syntax(query: str) -> bool:
    """Whether ``query`` means to use query syntax (see ``_FIELD``, ``_OPERATOR``, ``_MARKED``):
    only then does it go to the query parser."""
    quotes = query.count('"')
    return (
        (quotes >= 2 and quotes % 2 == 0)
        or bool(_FIELD.search(query))
        or bool(_OPERATOR.search(query))
        or bool(_MARKED.search(query))
    )


def is_stopword(word: str, *, keep_capitalised: bool = False) -> bool:
    """Whether ``word`` is a function word to leave out of a query. Never a word in capitals
    (IT, US, DO: acronyms); with ``keep_capitalised``, never one with any capital."""
    if word.lower() not in STOPWORDS or (len(word) > 1 and word.isupper()):
        return False
    return not keep_capitalised or word.islower()


def content_words(words: list[str], *, keep_capitalised: bool = False) -> list[str]:
    """``words`` without function words (see ``is_stopword``); all of them when every one is
    one. ``keep_capitalised`` keeps function words typed with a capital (names: He, An)."""
    kept = [word for word in words if not is_stopword(word, keep_capitalised=keep_capitalised)]
    return kept if kept else words


@dataclass(frozen=True, slots=True)
class KeywordHit:
    paper_id: str
    score: float


@dataclass(frozen=True, slots=True)
class PlainQuery:
    """A plain-word query as clauses: each field's analysed terms (a term twice counts twice)
    and, when the words may be a person's name, the words of the author phrase."""

    terms: dict[str, tuple[str, ...]]
    names: tuple[str, ...]


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


# The dates tantivy can hold (nanoseconds in 64 bits): a paper stored before readers refused
# others is indexed without its date rather than failing every update.
_DATE_RANGE = (date(1678, 1, 1), date(2262, 4, 10))


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
    if paper.display_date is not None and _DATE_RANGE[0] <= paper.display_date <= _DATE_RANGE[1]:
        document.add_date("date", _as_datetime(paper.display_date))  # tantivy's range only
    return document


class KeywordIndex:
    """A tantivy BM25 index over title, abstract and authors, with category/date/author filters."""

    def __init__(
        self, path: Path, *, boosts: dict[str, float] | None = None, accelerator: str = "auto"
    ) -> None:
        self.path = path
        self.boosts = dict(boosts or DEFAULT_BOOSTS)
        self.accelerator_mode = accelerator
        self._accelerator: KeywordAccelerator | None = None
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
        self.accelerator().remove()

    def accelerator(self) -> KeywordAccelerator:
        """The impact snapshot that answers plain-word queries while it mirrors this index
        (``papersift.indexes.impact``)."""
        if self._accelerator is None:
            from papersift.indexes.impact.accelerator import KeywordAccelerator

            self._accelerator = KeywordAccelerator(self.path, self.boosts, self.accelerator_mode)
        return self._accelerator

    def refresh_accelerator(
        self, papers: Callable[[], Iterable[tuple[int, Paper]]], *, progress: bool = False
    ) -> Built | None:
        """Rebuild the accelerator's snapshot from ``papers()`` (every paper of the store, the
        ones this index holds) when this index has changed since it was built; a no-op when
        it has not, or when the accelerator is off, not installed or not worth it."""
        if not (self.path / "meta.json").exists():
            return None  # no keyword index yet
        return self.accelerator().refresh(
            self._open(create=False), self._analyzers, papers, progress=progress
        )

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
        if k <= 0:
            return []  # tantivy panics on a limit of 0
        if filters is None or filters.empty:
            accelerated = self._accelerated(index, query, k)
            if accelerated is not None:
                return accelerated
        text_query = self._text_query(index, query)
        if text_query is None:
            return []
        return self._run(index, self._with_filters(index, text_query, filters), k)

    def scores_of(self, query: str, paper_ids: Collection[str]) -> dict[str, float]:
        """The BM25 score ``search`` gives each of ``paper_ids`` for ``query``; 0.0 for a paper
        of them that matches none of its words (or is not indexed). Hybrid search asks this for
        the candidates the semantic list found and the keyword list did not."""
        wanted = list(dict.fromkeys(paper_ids))
        scores = dict.fromkeys(wanted, 0.0)
        if not wanted:
            return scores
        index = self._open(create=False)
        text_query = self._text_query(index, query)
        if text_query is None:
            return scores
        among = tantivy.Query.term_set_query(index.schema, "id", wanted)
        restricted = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, text_query),
                (tantivy.Occur.Must, tantivy.Query.const_score_query(among, 0.0)),
            ]
        )
        for hit in self._run(index, restricted, len(wanted)):
            scores[hit.paper_id] = hit.score
        return scores

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

    def ids_with_author_words(self, words: Sequence[str], limit: int = 100_000) -> set[str]:
        """Ids of the papers whose authors hold every one of ``words`` (folded), anywhere: a
        superset of those with an author holding them in order, whatever stands between."""
        index = self._open(create=False)
        clauses = [
            (tantivy.Occur.Must, tantivy.Query.term_query(index.schema, "authors", word))
            for word in words
        ]
        if not clauses:
            raise ValueError("ids_with_author_words needs at least one word")
        every = tantivy.Query.boolean_query(clauses)
        return {hit.paper_id for hit in self._run(index, every, limit)}

    def _accelerated(self, index: Any, query: str, k: int) -> list[KeywordHit] | None:
        """The answer of the impact snapshot to a plain-word query, or None when tantivy must
        answer (query syntax, no snapshot mirroring this index, a common author phrase)."""
        normalised = normalise_for_search(query)
        if self.accelerator_mode == "off" or uses_syntax(normalised):
            return None
        snapshot = self.accelerator().current()
        if snapshot is None:
            return None
        plain = self._plain_query(normalised)
        if plain.terms["title"] != plain.terms["abstract"]:
            return None  # the snapshot holds them as one impact: never the case today
        weights = Counter(TEXT_TERM + term for term in plain.terms["title"])
        weights.update(NAME_TERM + term for term in plain.terms["authors"])
        terms = {term: float(n) for term, n in weights.items()}
        # Impacts are rounded: each clause's by at most one unit, so two papers closer than
        # twice that may be in either order. Near the k-th place, tantivy settles the order:
        # the snapshot is asked for one paper more than k, and for more when that one is
        # close to the k-th (a few queries in a hundred).
        margin = 2.0 * sum(weights.values()) / snapshot.scale
        settled, unsettled = _split_at_boundary(snapshot.top(terms, k + 1), k, margin)
        if unsettled is None:
            found = snapshot.top(terms, k + BOUNDARY_EXTRA)
            settled, unsettled = _split_at_boundary(found, k, margin)
        if unsettled is None:
            return None  # more near-ties than candidates: tantivy answers
        named: list[str] = []
        if plain.names:
            matches = self._phrase_matches(index, plain.names)
            if matches is None:
                return None
            named = matches
        if not unsettled and not named:
            return [KeywordHit(paper_id, score) for paper_id, score in settled]
        # Papers where the words follow one another in the authors score more than their
        # impacts say; every other paper of the top k is among the snapshot's candidates. So
        # the top k is among both lists, those not settled scored exactly by tantivy.
        exact = self.scores_of(query, [paper_id for paper_id, _ in unsettled] + named)
        merged = dict(settled)
        for paper_id in named:
            merged.pop(paper_id, None)
        merged.update(exact)
        ranked = sorted(merged.items(), key=lambda item: -item[1])[:k]
        return [KeywordHit(paper_id, score) for paper_id, score in ranked if score > 0]

    def _phrase_matches(self, index: Any, names: tuple[str, ...]) -> list[str] | None:
        """Papers whose authors hold ``names`` in order (cheaply none when one word is in no
        paper's authors); None when more than ``PHRASE_MERGE_LIMIT`` do."""
        searcher = index.searcher()
        if any(searcher.doc_freq("authors", name) == 0 for name in names):
            return []
        phrase = tantivy.Query.phrase_query(index.schema, "authors", list(names))
        hits = self._run(index, phrase, PHRASE_MERGE_LIMIT + 1)
        return None if len(hits) > PHRASE_MERGE_LIMIT else [hit.paper_id for hit in hits]

    def _run(self, index: Any, query: Any, k: int) -> list[KeywordHit]:
        searcher = index.searcher()
        result = searcher.search(query, k, count=False)
        return [KeywordHit(searcher.doc(address)["id"][0], score) for score, address in result.hits]

    def _text_query(self, index: Any, query: str) -> Any | None:
        normalised = normalise_for_search(query)
        if not uses_syntax(normalised):
            return self._words_query(index, normalised)
        try:
            return index.parse_query(
                _without_stopwords(normalised), list(SEARCH_FIELDS), field_boosts=self.boosts
            )
        except ValueError:
            return self._words_query(index, _plain_words(normalised))

    def _words_query(self, index: Any, text: str) -> Any | None:
        """Plain words as one flat disjunction of (field, term) clauses, function words left
        out (see ``STOPWORDS``).

        The query parser would nest one disjunction per word and read a hyphenated word as a
        phrase; the flat form scores every term in every field the same way (BM25 summed over
        clauses) and runs much faster on large indexes, where the nested unions and the phrase
        positions dominated the tail latency.
        """
        plain = self._plain_query(text)
        clauses = []
        for field in SEARCH_FIELDS:
            boost = self.boosts.get(field, 1.0)
            for term in plain.terms[field]:
                clause = tantivy.Query.term_query(index.schema, field, term)
                if boost != 1.0:
                    clause = tantivy.Query.boost_query(clause, boost)
                clauses.append((tantivy.Occur.Should, clause))
        if plain.names:
            # A query that may be a name counts more where the words follow one another in the
            # authors (Jian Zhang, not Jian Li ; Wei Zhang).
            phrase = tantivy.Query.phrase_query(index.schema, "authors", list(plain.names))
            clauses.append(
                (tantivy.Occur.Should, tantivy.Query.boost_query(phrase, AUTHOR_PHRASE_BOOST))
            )
        return tantivy.Query.boolean_query(clauses) if clauses else None

    def _plain_query(self, text: str) -> PlainQuery:
        """The (field, term) clauses of plain words, and the words of the author phrase when
        the query may be a person's name."""
        words = _TOKEN.findall(text)
        # Title and abstract share the words and the analyzer, hence the terms.
        text_terms = tuple(self._analyzers["title"].analyze(" ".join(content_words(words))))
        names = tuple(
            self._analyzers["authors"].analyze(
                " ".join(content_words(words, keep_capitalised=True))
            )
        )
        terms = {"title": text_terms, "abstract": text_terms, "authors": names}
        maybe_name = AUTHOR_PHRASE_BOOST and NAME_WORDS[0] <= len(names) <= NAME_WORDS[1]
        return PlainQuery(terms, names if maybe_name else ())

    def _with_filters(self, index: Any, text_query: Any, filters: Filters | None) -> Any:
        clauses = list(_filter_queries(index.schema, filters)) if filters else []
        if not clauses:
            return text_query
        must = [(tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)) for q in clauses]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, text_query), *must])


def _split_at_boundary(
    found: list[tuple[str, float]], k: int, margin: float
) -> tuple[list[tuple[str, float]], list[tuple[str, float]] | None]:
    """The candidates surely in the top ``k`` (more than ``margin`` above the k-th), and those
    whose place needs the exact score (within ``margin`` of it); None in place of the second
    when they may run past the candidates."""
    if len(found) <= k or found[k][1] < found[k - 1][1] - margin:
        return found[:k], []
    threshold = found[k - 1][1] - margin
    if found[-1][1] >= threshold:
        return found, None
    settled = [hit for hit in found if hit[1] > found[k - 1][1] + margin]
    unsettled = [hit for hit in found[len(settled) :] if hit[1] >= threshold]
    return settled, unsettled


def _without_stopwords(query: str) -> str:
    """A parsed query less its bare function words; quoted phrases, operators, fields and
    marked terms stay as written (and so does a query that would be left with no word)."""
    parts = _PARSED_PART.findall(query)
    bare = {n for n, part in enumerate(parts) if _TOKEN.fullmatch(part) and part not in _OPERATORS}
    dropped = {n for n in bare if is_stopword(parts[n])}
    kept = [part for n, part in enumerate(parts) if n not in dropped]
    return " ".join(kept) if set(kept) - _OPERATORS else query


def _plain_words(query: str) -> str:
    """The query reduced to lower-cased words: always valid tantivy syntax."""
    words = _NON_WORD.sub(" ", query)
    return " ".join(_OPERATOR_WORDS.sub(lambda m: m.group(0).lower(), words).split())


def _filter_queries(schema: Any, filters: Filters) -> Iterator[Any]:
    allowed = filters.allowed_ids()
    if allowed is not None:
        yield tantivy.Query.term_set_query(schema, "id", sorted(allowed))
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
