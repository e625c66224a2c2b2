"""The engine: the one object that holds papersift's behaviour. Fronts (CLI, web) call it."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from tqdm import tqdm

from papersift.built_once import built_once
from papersift.embeddings.base import Embedder, Vectors, document_text
from papersift.embeddings.registry import (
    NONE,
    SEMANTIC_INSTALL_HINT,
    EmbedderSpec,
    resolve_backend,
)
from papersift.errors import (
    IndexError_,
    MalformedRecordError,
    NotFoundError,
    PaperNotFoundError,
    PapersiftError,
    SettingsError,
)
from papersift.features.trending import trending as rank_trending
from papersift.filters import Filters
from papersift.indexes.backends import open_indexes
from papersift.indexes.base import KeywordSearchIndex, VectorSearchIndex
from papersift.indexes.consistency import head_intact, record_head
from papersift.indexes.consistency import store_key as history_key
from papersift.indexes.dsi.model_dir import DSIReport
from papersift.indexes.keyword import KeywordIndex
from papersift.indexes.swap import fresh_staging, recover, switch
from papersift.indexes.vector_sync import (
    IndexShape,
    Publishing,
    SyncProgress,
    VectorReport,
    update_vector_index,
)
from papersift.model import Paper
from papersift.reports import HarvestReport, IndexReport, IngestReport, SemanticStatus
from papersift.retrieval.authors import Author
from papersift.retrieval.base import Hit, Retriever
from papersift.retrieval.bm25 import BM25Retriever
from papersift.retrieval.dense import DenseRetriever
from papersift.retrieval.dsi import DSIRetriever
from papersift.retrieval.hybrid import Fusion, HybridRetriever
from papersift.retrieval.modes import DEFAULT, KEYWORD, SEMANTIC_MODES, canonical_mode, label
from papersift.retrieval.similar import SimilarPapers
from papersift.search_request import SEARCH_SORTS
from papersift.settings import Settings
from papersift.sources import Malformed, Record
from papersift.sources.detect import detect_format, read_path
from papersift.store.collections import Collection, CollectionStore
from papersift.store.comments import CommentStore
from papersift.store.counters import COMMUNITY_REV, current
from papersift.store.database import migrate, open_database, private_directory
from papersift.store.digests import DigestLog
from papersift.store.embeddings import EmbeddingStore
from papersift.store.harvests import HarvestCheckpoint, HarvestLog
from papersift.store.info import read_info, write_info
from papersift.store.interests import InterestStore
from papersift.store.listings import Listed, ListingStore
from papersift.store.locks import LockBusy, deployment_lock
from papersift.store.notes import NoteStore
from papersift.store.papers import PaperStore, UpsertCounts
from papersift.store.public_collections import PublicCollectionStore
from papersift.store.reading import ReadingStore
from papersift.store.schema import papers as papers_table
from papersift.store.schema import store_info
from papersift.store.submissions import SubmissionStore
from papersift.store.users import User, UserStore
from papersift.store.votes import VoteStore
from papersift.timeutil import utc_now

if TYPE_CHECKING:
    from papersift.features.account_mail import Outbox
    from papersift.features.account_settings import AccountSettings
    from papersift.features.accounts import Accounts
    from papersift.features.alerts import Alerts
    from papersift.features.community import Community
    from papersift.features.digest import DigestService
    from papersift.features.discussion import Discussion
    from papersift.features.feed import DailyFeed
    from papersift.features.interests import Interests
    from papersift.features.library import Library
    from papersift.features.library_import import LibraryImport
    from papersift.features.my_library import MyLibrary
    from papersift.features.page_cache import PageCache
    from papersift.features.reading import Reading
    from papersift.features.recommendations import Recommendation, Recommender
    from papersift.features.submissions import Submissions
    from papersift.sources.arxiv_api import ArxivClient
    from papersift.sources.harvest import HarvestRequest, OAIHarvester

DSI_MODES = ("dsi", "hybrid-dsi")
DSI_INSTALL_HINT = "pip install 'papersift[dsi]'"  # torch; faiss comes with semantic
DSI_MISSING = f"DSI search needs torch and faiss: {DSI_INSTALL_HINT}"
SORT_DEPTH = 200  # the most relevant papers a search sorted by date or upvotes orders
EMBEDDING_LOCK = "embedding"
EMBEDDING_STATUS = "embedding_status"
log = logging.getLogger("papersift.engine")


@dataclass(frozen=True, slots=True)
class SearchResult:
    paper: Paper
    score: float


@dataclass(frozen=True, slots=True)
class ModeChoice:
    """The mode a search runs in, and what to tell the reader about it (None: nothing)."""

    mode: str
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class Trending:
    paper: Paper
    score: float
    upvotes: int


class Engine:
    """Store, indexes and retrievers of one papersift deployment."""

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        private_directory(settings.data_dir)  # holds the signing secret's store, or its indexes
        self.db = open_database(settings.store_url, pool_size=settings.database_pool_size)
        migrate(self.db)
        self.papers = PaperStore(self.db)
        # Similar papers of one paper, by index generation: paper pages ask for them every time.
        self.similar_ids = lru_cache(maxsize=4096)(self._similar_ids)
        # The authors a query names, by index generation: search asks for every page of results.
        self._authors_named = lru_cache(maxsize=1024)(self._find_authors)
        self._categories: tuple[int, tuple[tuple[str, int], ...]] | None = None
        self._secret: bytes | None = None
        self._index_generation: str | None = None
        self._refresh_lock = threading.Lock()
        self._refreshed_at = 0.0
        self._embedder: Embedder | None = None
        self._embedder_loaded_for: EmbedderSpec | None = None
        self._spec_cache: tuple[EmbedderSpec | None] | None = None
        self._vector_count: int | None = None
        self._paper_count: int | None = None
        self._code_ids: tuple[int, frozenset[str]] | None = None  # (store revision, ids)
        self._cache_scope: str | None = None
        self._switching_embedder = False
        # Called whenever an embedding run reports progress (the CLI prints a line).
        self.embedding_listeners: list[Callable[[], None]] = []

    # Stores, indexes and services, each built on first use (a command pays only for its own).

    @built_once
    def harvests(self) -> HarvestLog:
        return HarvestLog(self.db)

    @built_once
    def embeddings(self) -> EmbeddingStore:
        return EmbeddingStore(self.db)

    @built_once
    def listings(self) -> ListingStore:
        return ListingStore(self.db)

    @built_once
    def users(self) -> UserStore:
        idle = timedelta(hours=self.settings.session_idle_hours)
        return UserStore(self.db, session_idle=idle)

    @built_once
    def votes(self) -> VoteStore:
        return VoteStore(self.db)

    @built_once
    def interest_store(self) -> InterestStore:
        return InterestStore(self.db)

    @built_once
    def interests(self) -> Interests:
        """Follows, "not interested" marks, saved searches, digest settings, private links."""
        from papersift.features.interests import Interests

        return Interests(
            self.interest_store, self.users, self.papers, secret=self.secret_key, clock=self.clock
        )

    @built_once
    def _submission_store(self) -> SubmissionStore:
        return SubmissionStore(self.db)

    @built_once
    def accounts(self) -> Accounts:
        from papersift.features.accounts import Accounts
        from papersift.features.limits import BoundedHasher

        settings = self.settings
        accounts = Accounts(
            self.users,
            clock=self.clock,
            session_lifetime=timedelta(days=settings.session_days),
            max_failures=settings.login_max_failures,
            hasher=BoundedHasher(settings.password_hash_workers),
            signups_per_hour=settings.signups_per_hour,
        )
        accounts.on_sign_up = lambda user: self.account_settings.signed_up(user)
        return accounts

    @built_once
    def outbox(self) -> Outbox:
        from papersift.features.account_mail import Outbox

        return Outbox(self._send_mail)

    @built_once
    def account_settings(self) -> AccountSettings:
        from papersift.features.account_mail import AccountMail
        from papersift.features.account_settings import AccountSettings

        settings = self.settings
        return AccountSettings(
            self.users,
            hasher=lambda: self.accounts.hasher,
            mail=AccountMail(
                self.outbox,
                site_url=settings.public_url,
                sender=settings.mail_from,
                clock=self.clock,
            ),
            clock=self.clock,
            reset_lifetime=timedelta(minutes=settings.reset_link_minutes),
            forget_mail_choices=self._digest_off,
            limit_email=lambda client, address: self.accounts.limits.email(
                client=client, address=address
            ),
        )

    @built_once
    def library(self) -> Library:
        from papersift.features.library import Library

        return Library(CollectionStore(self.db), self.papers, self.users.names, clock=self.clock)

    @built_once
    def alerts(self) -> Alerts:
        from papersift.features.alerts import Alerts

        return Alerts(self.interest_store, self.papers, self._alert_search, clock=self.clock)

    @built_once
    def recommender(self) -> Recommender:
        from papersift.features.recommendations import Recommender, Sources

        return Recommender(
            self.interest_store,
            self.votes,
            self.library.collections,
            self.listings,
            Sources(
                vectors=self._stored_vectors,
                papers=self.papers.get_many,
                more_like=self._more_like_ids,
                trending=lambda limit: [item.paper for item in self.trending(limit=limit)],
                embedder_identity=lambda: str((self.vector_index.meta() or {}).get("identity")),
            ),
            window_days=self.settings.recommendation_window_days,
            clock=self.clock,
        )

    @built_once
    def digests(self) -> DigestService:
        from papersift.features.digest import DigestService

        return DigestService(
            self.users,
            self.interest_store,
            self.listings,
            self.recommender,
            DigestLog(self.db),
            secret=self.secret_key,
            site_url=self.settings.public_url,
            sender=self.settings.mail_from,
            clock=self.clock,
            discussion_news=lambda user, since: self.discussion.news(
                user.id, since, self.library.paper_ids_of(user)
            ),
            known_papers=lambda user_id: self.reading.known(user_id),
            on_sent=lambda user_id, paper_ids: self.reading.shown_in_digest(user_id, paper_ids),
        )

    @built_once
    def feed(self) -> DailyFeed:
        from papersift.features.feed import DailyFeed

        today = lambda: self.clock().date()  # noqa: E731
        return DailyFeed(self.listings, self._submission_store, today=today)

    @built_once
    def submissions(self) -> Submissions:
        from papersift.features.submissions import Submissions

        return Submissions(
            self.papers,
            self._submission_store,
            self._arxiv_client,
            window=timedelta(days=self.settings.submission_window_days),
            clock=self.clock,
            on_new_paper=self._add_submitted_paper,
        )

    @built_once
    def library_import(self) -> LibraryImport:
        """Reference-manager files (BibTeX, RIS, CSL-JSON) into collections."""
        from papersift.features.library_import import LibraryImport

        return LibraryImport(
            self.library,
            self.papers,
            search=lambda words, k: [hit.paper_id for hit in self.keyword_index.search(words, k)],
            arxiv=self._arxiv_client,
            on_new_papers=self._add_fetched_papers,
            clock=self.clock,
        )

    @built_once
    def discussion(self) -> Discussion:
        from papersift.features.discussion import Discussion

        return Discussion(
            CommentStore(self.db),
            self._submission_store,
            self.users,
            find_paper=self.paper,
            clock=self.clock,
        )

    @built_once
    def community(self) -> Community:
        from papersift.features.community import Community

        return Community(PublicCollectionStore(self.db), clock=self.clock)

    @built_once
    def reading(self) -> Reading:
        from papersift.features.reading import Reading

        return Reading(ReadingStore(self.db), self.library, find_paper=self.paper, clock=self.clock)

    @built_once
    def my_library(self) -> MyLibrary:
        from papersift.features.my_library import MyLibrary

        return MyLibrary(
            NoteStore(self.db),
            self.library,
            find_paper=self.paper,
            fetch_many=self.papers.get_many,
            keyword_search=lambda query, k, filters: [
                hit.paper_id for hit in self.search_hits(query, k=k, filters=filters, mode="bm25")
            ],
            clock=self.clock,
        )

    def _arxiv_client(self) -> ArxivClient:
        from papersift.sources.arxiv_api import ArxivClient

        return ArxivClient(self.settings.arxiv_api_endpoint)

    @built_once
    def page_cache(self) -> PageCache:
        """Rendered pages for anonymous visitors, shared by every serve worker."""
        from papersift.features.page_cache import PageCache
        from papersift.store.page_cache import PageCacheStore

        return PageCache(
            PageCacheStore(self.db),
            max_entries=self.settings.page_cache_entries,
            clock=self.clock,
        )

    @built_once
    def _side_work(self) -> ThreadPoolExecutor:
        """Threads for lookups a search runs beside its retriever (never nested: no deadlock)."""
        return ThreadPoolExecutor(max_workers=4, thread_name_prefix="papersift-side")

    @built_once
    def _indexes(self) -> tuple[KeywordSearchIndex, VectorSearchIndex]:
        keyword, vector = open_indexes(
            self.settings.index_backend,
            self.settings.index_dir,
            self.db,
            keyword_accelerator=self.settings.keyword_accelerator,
        )
        if isinstance(keyword, KeywordIndex):
            recover(keyword.path)  # a switch to a rebuilt index cut short by a crash
        return keyword, vector

    @property
    def keyword_index(self) -> KeywordSearchIndex:
        return self._indexes[0]

    @property
    def vector_index(self) -> VectorSearchIndex:
        return self._indexes[1]

    @built_once
    def bm25(self) -> BM25Retriever:
        return BM25Retriever(self.keyword_index)

    @built_once
    def dense(self) -> DenseRetriever | None:
        if not self.semantic_enabled:
            return None
        return DenseRetriever(
            self.embedder, self.vector_index, self._author_ids, self.settings.vector_ef_search
        )

    @built_once
    def dsi(self) -> DSIRetriever | None:
        if self.dense is None or not _installed("torch", "faiss"):
            return None
        return DSIRetriever(self.embedder, self.dsi_dir, self.settings.dsi_beam, self._filtered_ids)

    @built_once
    def _retrievers(self) -> dict[str, Retriever]:
        retrievers: dict[str, Retriever] = {"bm25": self.bm25}
        if self.dense is not None:
            retrievers["dense"] = self.dense
            retrievers["hybrid"] = HybridRetriever([self.bm25, self.dense], self._fusion())
        if self.dense is not None and self.dsi is not None:
            retrievers["dsi"] = self.dsi
            retrievers["hybrid-dsi"] = HybridRetriever(
                [self.bm25, self.dense, self.dsi], self._dsi_fusion(), name="hybrid-dsi"
            )
        return retrievers

    @built_once
    def similar_papers(self) -> SimilarPapers:
        return SimilarPapers(
            self.keyword_index,
            self.papers.get_many,
            self.dense,
            self._seed_vectors if self.dense else None,
            self._similar_fusion(),
        )

    def _fusion(self) -> Fusion:
        keyword = self.settings.hybrid_keyword_weight
        return Fusion(
            self.settings.hybrid_fusion,
            (keyword, 1.0 - keyword),
            normalise=self.settings.hybrid_normalisation,
            depth=self.settings.hybrid_depth,
            missing=self.settings.hybrid_missing_scores,
        )

    def _dsi_fusion(self) -> Fusion:
        """Hybrid's fusion with DSI as a third list weighted ``dsi_hybrid_weight``."""
        keyword, dsi = self.settings.hybrid_keyword_weight, self.settings.dsi_hybrid_weight
        return Fusion(
            self.settings.hybrid_fusion,
            (keyword * (1.0 - dsi), (1.0 - keyword) * (1.0 - dsi), dsi),
            normalise=self.settings.hybrid_normalisation,
            depth=self.settings.hybrid_depth,
            missing=self.settings.hybrid_missing_scores,
        )

    def _similar_fusion(self) -> Fusion:
        lexical = self.settings.similar_lexical_weight
        return Fusion("convex", (1.0 - lexical, lexical), depth=100)

    def close(self) -> None:
        if "outbox" in self.__dict__:  # built: it may hold mail still being sent
            self.outbox.close()
        if "_side_work" in self.__dict__:
            self._side_work.shutdown(wait=False)
        self.db.dispose()

    def _send_mail(self, message: EmailMessage) -> None:
        """Send one account email over SMTP (the digest's settings); raises MailError."""
        from papersift.features.mailer import SMTPMailer

        SMTPMailer.from_settings(self.settings).send(message)

    def _digest_off(self, user_id: int) -> None:
        self.interests.digest_off(user_id)

    def refresh(self, *, min_interval: float = 0.0) -> None:
        """Let a long-running process (a web server) see index updates made by other processes."""
        now = time.monotonic()
        if now - self._refreshed_at < min_interval or not self._refresh_lock.acquire(False):
            return
        try:
            self._refreshed_at = now
            self._forget_index_state()
            self.keyword_index.refresh()
            self.vector_index.refresh()
        except IndexError_:
            pass  # no index yet: searches report that themselves
        finally:
            self._refresh_lock.release()

    def data_version(self) -> str:
        """Changes whenever papers, upvotes or submissions change (in any process), or an index
        does: a key for caching what pages show."""
        with self.db.connect() as connection:
            row = connection.execute(
                sa.select(sa.func.max(papers_table.c.rev), current(COMMUNITY_REV))
            ).one()
        if self._cache_scope is None:  # which store, and the site address pages link to
            self._cache_scope = f"{self.papers.store_id()}/{self.settings.public_url}"
        return f"{self._cache_scope}/{row[0]}/{row[1]}/{self.index_generation()}"

    def index_generation(self) -> str:
        """Changes whenever either index changes: a key for caching derived results.

        Read from the index files at most once per ``refresh`` (and after this process's own
        index updates).
        """
        if self._index_generation is None:
            self._index_generation = self._read_index_generation()
        return self._index_generation

    def _read_index_generation(self) -> str:
        keyword, vector = _meta_or_empty(self.keyword_index), _meta_or_empty(self.vector_index)
        dsi = self.dsi.stamp() if self.dsi else None
        return (
            f"{keyword.get('store_rev')}/{vector.get('generation')}/{vector.get('store_rev')}/{dsi}"
        )

    def secret_key(self) -> bytes:
        """The deployment's signing secret: the setting, else one generated once in the store."""
        if self.settings.secret_key:
            return self.settings.secret_key.encode()
        if self._secret is not None:
            return self._secret
        with self.db.begin() as connection:
            found = connection.execute(
                sa.select(store_info.c.value).where(store_info.c.key == "secret_key")
            ).scalar()
            if found is None:
                found = secrets.token_hex(32)
                connection.execute(store_info.insert().values(key="secret_key", value=found))
        self._secret = str(found).encode()
        return self._secret

    def _forget_index_state(self) -> None:
        """Read the indexes' state again on next use (another process may have changed it)."""
        self._index_generation = None
        self._spec_cache = None
        self._vector_count = None
        self._paper_count = None

    # semantic search ---------------------------------------------------------------------------

    @property
    def semantic_enabled(self) -> bool:
        """Whether semantic search is switched on and installed (it may not be ready yet)."""
        return resolve_backend(self.settings.embedder_backend) != NONE

    @property
    def semantic_backend(self) -> str | None:
        """The embedding backend in use, or None when semantic search is off or not installed."""
        spec = self.embedder_spec()
        return spec.backend if spec else None

    def embedder_spec(self) -> EmbedderSpec | None:
        """The embedder semantic search uses: the vector index's own once it exists, else the
        settings' (None when semantic search is off). A setting that explicitly names another
        embedder than the index's is an error, except in a rebuild that switches embedders."""
        if self._spec_cache is None:
            self._spec_cache = (self._resolve_spec(),)
        return self._spec_cache[0]

    def _resolve_spec(self) -> EmbedderSpec | None:
        if not self.semantic_enabled:
            return None
        configured = EmbedderSpec(
            resolve_backend(self.settings.embedder_backend), self.settings.embedder_model
        )
        indexed = self._indexed_spec()
        if indexed is None or self._switching_embedder:
            return configured
        conflict = self._conflicting_setting(indexed)
        if conflict:
            raise SettingsError(
                f"the vector index was built with {indexed.describe()}, but {conflict} asks for "
                f"{configured.describe()}. Unset {conflict} to use the index's embedder, or run "
                f"`papersift index --rebuild` with it set to embed every paper again with "
                f"{configured.describe()}."
            )
        return indexed

    def _indexed_spec(self) -> EmbedderSpec | None:
        try:
            meta = self.vector_index.meta()
        except IndexError_:
            return None
        return EmbedderSpec.of_index(meta) if meta else None

    def _conflicting_setting(self, indexed: EmbedderSpec) -> str | None:
        """The setting that explicitly names another embedder than ``indexed``, if any."""
        from papersift.embeddings.models import model_name

        explicit = self.settings.model_fields_set
        backend = self.settings.embedder_backend
        if "embedder_backend" in explicit and backend != "auto" and backend != indexed.backend:
            return "PAPERSIFT_EMBEDDER_BACKEND"
        model = self.settings.embedder_model
        if "embedder_model" in explicit and model_name(model) != model_name(indexed.model):
            return "PAPERSIFT_EMBEDDER_MODEL"
        return None

    def embedder(self) -> Embedder:
        """The embedder of ``embedder_spec()``, loaded on first use (once per process)."""
        if self._embedder is not None and self._embedder_loaded_for is None:
            return self._embedder  # given to this engine directly (tests, benchmarks)
        spec = self.embedder_spec()
        if spec is None:
            raise SettingsError(
                f"semantic search is off: install it with {SEMANTIC_INSTALL_HINT} "
                "and leave PAPERSIFT_EMBEDDER_BACKEND at auto (or name a backend)"
            )
        if self._embedder is None or self._embedder_loaded_for != spec:
            from papersift.embeddings import load_embedder

            self._embedder = load_embedder(
                spec.backend, spec.model, cache_dir=self.settings.models_dir
            )
            self._embedder_loaded_for = spec
        return self._embedder

    def semantic_coverage(self) -> tuple[int, int]:
        """(papers semantic search covers, papers stored), read once per ``refresh``: every
        semantic search asks, for its coverage notice."""
        if self._paper_count is None:
            self._paper_count = self.papers.count()
        return self.vector_count(), self._paper_count

    def vector_count(self) -> int:
        """Papers in the vector index (0 without one), read once per ``refresh``."""
        if self._vector_count is None:
            try:
                self._vector_count = len(self.vector_index) if self.semantic_enabled else 0
            except IndexError_:
                self._vector_count = 0
        return self._vector_count

    def semantic_ready(self) -> bool:
        """Whether semantic search can answer now: switched on, with vectors to search."""
        if self.dense is None or self.vector_count() == 0:
            return False
        try:
            return self.embedder_spec() is not None
        except SettingsError:
            return False

    def _author_ids(self, filters: Filters) -> set[str]:
        return self.keyword_index.ids_matching(Filters(author=filters.author))

    def _filtered_ids(self, filters: Filters) -> set[str]:
        return self.keyword_index.ids_matching(filters, limit=10_000_000)

    def _seed_vectors(self, seeds: Sequence[Paper]) -> Vectors:
        """Vectors of the seed papers: from the index when there, else embedded now."""
        found = {p.id: self.vector_index.vector_of(p.id) for p in seeds}
        missing = [p for p in seeds if found[p.id] is None]
        if missing:
            fresh = self.embedder().embed([document_text(p) for p in missing])
            found.update({p.id: vector for p, vector in zip(missing, fresh, strict=True)})
        return np.stack([np.asarray(found[p.id], dtype=np.float32) for p in seeds])

    # ingesting ---------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        strict: bool = False,
        namespace: str | None = None,
        update_index: bool = True,
        progress: bool = False,
    ) -> IngestReport:
        """Read every path (file or directory, any supported format) into the store.

        Non-strict runs commit in batches and skip malformed records (counted, first ones kept for
        the report); re-running after an interruption changes nothing already stored. Strict runs
        write everything in one transaction and abort on the first malformed record. The keyword
        index is updated afterwards (``update_index``); embeddings wait for ``index()``, which
        can take long on large corpora.
        """
        for path in paths:
            if path.is_file():
                detect_format(path)  # fail fast, before writing, on a file we cannot read
        started = time.perf_counter()
        report = IngestReport()
        records = self._read_all(paths, namespace, progress)
        if strict:
            with self.db.begin() as connection:
                self._write_batches(connection, records, report, strict=True)
        else:
            self._write_batches(None, records, report, strict=False)
        if update_index:
            report.indexed = self.index(semantic=False, progress=progress).written
        report.seconds = time.perf_counter() - started
        return report

    def _read_all(
        self, paths: Sequence[Path], namespace: str | None, progress: bool
    ) -> Iterator[Record]:
        bar = tqdm(desc="reading", unit=" papers", disable=not progress, mininterval=0.5)
        with bar:
            for path in paths:
                for record in read_path(path, namespace=namespace):
                    bar.update()
                    yield record

    def _write_batches(
        self,
        connection: Connection | None,
        records: Iterable[Record],
        report: IngestReport,
        *,
        strict: bool,
    ) -> None:
        seen: set[str] = set()
        batch: list[Paper] = []
        for record in records:
            if isinstance(record, Malformed):
                if strict:
                    raise MalformedRecordError(f"{record} (strict mode: nothing was written)")
                report.note_malformed(record)
                continue
            report.records += 1
            report.duplicates += record.id in seen
            seen.add(record.id)
            batch.append(record)
            if len(batch) >= self.settings.ingest_batch_size:
                self._write(connection, batch, report)
                batch = []
        if batch:
            self._write(connection, batch, report)

    def _write(
        self, connection: Connection | None, batch: list[Paper], report: IngestReport
    ) -> None:
        with self._transaction(connection) as active:
            counts = self.papers.upsert(active, batch)
        report.note_written(counts)

    @contextmanager
    def _transaction(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is not None:
            yield connection
            return
        with self.db.begin() as fresh:
            yield fresh

    # harvesting --------------------------------------------------------------------------------

    def harvest(
        self,
        *,
        set_spec: str | None,
        from_date: date | None,
        until_date: date | None = None,
        metadata_prefix: str = "arXiv",
        restart: bool = False,
        harvester: OAIHarvester | None = None,
        update_index: bool = True,
        progress: bool = False,
    ) -> HarvestReport:
        """Harvest ListRecords from the OAI-PMH endpoint into the store, page by page.

        Each page's papers and the resumption token for the next page are committed together, so
        an interrupted harvest resumes after the last committed page.
        """
        from papersift.sources.harvest import ExpiredResumptionToken, HarvestRequest, OAIHarvester

        request = HarvestRequest(
            self.settings.oai_endpoint, set_spec, from_date, until_date, metadata_prefix
        )
        client = harvester or OAIHarvester(
            delay=self.settings.harvest_delay, max_retries=self.settings.harvest_max_retries
        )
        key = _harvest_key(request)
        checkpoint = None if restart else self.harvests.get(key)
        report = HarvestReport()
        try:
            if checkpoint is not None and checkpoint.resumable:
                report.resumed_from_page = checkpoint.pages
                try:
                    self._harvest_pages(client, request, key, checkpoint, report, progress)
                except ExpiredResumptionToken:
                    report.resumed_from_page = None
                    self._harvest_pages(client, request, key, None, report, progress)
            else:
                self._harvest_pages(client, request, key, None, report, progress)
        finally:
            if harvester is None:
                client.close()
        if update_index:
            self.index(semantic=False, progress=progress)
        return report

    def _harvest_pages(
        self,
        client: OAIHarvester,
        request: HarvestRequest,
        key: str,
        checkpoint: HarvestCheckpoint | None,
        report: HarvestReport,
        progress: bool,
    ) -> None:
        pages_done = checkpoint.pages if checkpoint else 0
        records_done = checkpoint.records if checkpoint else 0
        token = checkpoint.resumption_token if checkpoint else None
        with tqdm(desc="harvesting", unit=" pages", disable=not progress) as bar:
            for page in client.pages(request, resume_token=token):
                papers = [r for r in page.records if isinstance(r, Paper)]
                for problem in (r for r in page.records if isinstance(r, Malformed)):
                    report.note_malformed(problem)
                pages_done, records_done = pages_done + 1, records_done + len(papers)
                status = "running" if page.resumption_token else "done"
                with self.db.begin() as connection:
                    counts = self.papers.upsert(connection, papers) if papers else UpsertCounts()
                    self.harvests.save(
                        connection,
                        HarvestCheckpoint(
                            key, page.resumption_token, pages_done, records_done, status
                        ),
                    )
                report.pages += 1
                report.records += len(papers)
                report.note_written(counts)
                bar.update()
        if report.pages == 0:  # noRecordsMatch: nothing to do, but the harvest is complete
            with self.db.begin() as connection:
                self.harvests.save(connection, HarvestCheckpoint(key, None, 0, 0, "done"))

    # indexing ----------------------------------------------------------------------------------

    def index(
        self,
        *,
        rebuild: bool = False,
        semantic: bool = True,
        progress: bool = False,
        accelerate: bool = True,
    ) -> IndexReport:
        """Bring the indexes up to date with the store (incrementally unless rebuilding).

        The keyword index always; the vector index too when semantic search is on and
        ``semantic`` is true (embedding only new or changed papers).
        """
        started = time.perf_counter()
        key = self.store_key()
        since = None if rebuild else self._keyword_rev(key)
        diverged = since is not None and not self._history_intact(since)
        if diverged:
            since = None
        pending = self.papers.changed_since(since or 0)
        total = self.papers.count() if since is None else None
        with tqdm(
            pending, desc="indexing", unit=" papers", total=total, disable=not progress
        ) as bar:
            if since is None:
                written = self._rebuild_keyword(bar, key)
            else:
                written = self.keyword_index.update(
                    bar, store_id=key, memory_mb=self.settings.index_memory_mb
                )
        self._record_history()
        if accelerate:  # at most once a run, when the keyword index changed
            self._refresh_keyword_accelerator(progress=progress)
        report = IndexReport(
            written=written,
            documents=self.keyword_index.document_count(),
            rebuilt=since is None,
            seconds=time.perf_counter() - started,
            diverged=diverged,
        )
        self._forget_index_state()
        if semantic and self.semantic_enabled:
            try:
                report.vector = self.index_vectors(
                    rebuild=rebuild or diverged, switch_embedder=rebuild, progress=progress
                )
            except LockBusy:
                report.vector_busy = True
        self._forget_index_state()
        return report

    def backup(self, target: Path) -> int:
        """A consistent snapshot of the store in ``target`` while it serves; its size in bytes.
        The indexes are derived data: ``restore`` rebuilds them (stored embeddings are kept)."""
        from papersift.store.backup import backup

        return backup(self.db, target)

    def restore(self, source: Path, *, progress: bool = False) -> IndexReport:
        """Put the backup at ``source`` in place of the store and bring the indexes in line:
        the restored store is a new history, so every index is rebuilt from it (embeddings
        stored in the backup are reused, not computed again)."""
        from papersift.indexes.consistency import renew_history
        from papersift.store.backup import restore

        restore(self.db, source)
        migrate(self.db)  # a backup from an older papersift
        renew_history(self.db)
        self._secret = None
        self._forget_index_state()
        return self.index(progress=progress)

    def store_key(self) -> str:
        """Which store, and which history of it, the indexes must mirror (see
        ``papersift.indexes.consistency``)."""
        return history_key(self.db, self.papers.store_id())

    def _keyword_rev(self, key: str) -> int | None:
        """The revision the keyword index is complete up to; None when it must be rebuilt (none
        yet, another store or history, or damaged metadata)."""
        try:
            return self.keyword_index.indexed_rev(key)
        except IndexError_:
            return None

    def _history_intact(self, rev: int) -> bool:
        if not isinstance(self.keyword_index, KeywordIndex):
            return True  # indexes in the database go back in time with it
        return head_intact(self.db, self.settings.index_dir, rev)

    def _record_history(self) -> None:
        if isinstance(self.keyword_index, KeywordIndex):
            rev = self.keyword_index.indexed_rev(self.store_key())
            if rev is not None:
                record_head(self.db, self.settings.index_dir, rev)

    def index_diverged(self) -> bool:
        """Whether the keyword index mirrors another history than the store's (a restore, or
        lost writes): the next ``index`` rebuilds it."""
        key = self.store_key()
        try:
            meta = self.keyword_index.meta()
        except IndexError_:
            return True
        if meta is None:
            return False
        rev = self.keyword_index.indexed_rev(key)
        return rev is None or not self._history_intact(rev)

    def _rebuild_keyword(self, changes: Iterable[tuple[int, Paper]], key: str) -> int:
        """Build the keyword index anew beside the one in service, then switch to it: searches
        use the old one meanwhile, and a crash leaves it in service."""
        index = self.keyword_index
        if not isinstance(index, KeywordIndex):  # the database backend rebuilds in place
            index.clear()
            return index.update(
                changes, store_id=key, memory_mb=self.settings.index_memory_mb, fresh=True
            )
        staging = KeywordIndex(fresh_staging(index.path), boosts=index.boosts)
        written = staging.update(
            changes, store_id=key, memory_mb=self.settings.index_memory_mb, fresh=True
        )
        staging.reopen()
        switch(index.path)
        index.reopen()
        return written

    def index_vectors(
        self,
        *,
        rebuild: bool = False,
        switch_embedder: bool | None = None,
        progress: bool = False,
    ) -> VectorReport:
        """Embed new or changed papers, newest first, and bring the vector index up to date,
        publishing as it goes (see ``papersift.indexes.vector_sync``).

        One embedding run at a time per deployment: ``LockBusy`` when another process (a
        server's background worker, another ``papersift index``) is embedding.
        """
        with deployment_lock(self.db, EMBEDDING_LOCK, lock_dir=self.settings.data_dir):
            self._switching_embedder = rebuild if switch_embedder is None else switch_embedder
            self._forget_index_state()
            try:
                embedder = self.embedder()
                spec = self.embedder_spec()
            finally:
                self._switching_embedder = False
            return update_vector_index(
                self.papers,
                self.embeddings,
                embedder,
                self.vector_index,
                store_key=self.store_key(),
                rebuild=rebuild,
                batch_size=self.settings.embed_batch_size,
                shape=IndexShape(
                    exact_below=self.settings.vector_exact_below,
                    m=self.settings.vector_hnsw_m,
                    ef_construction=self.settings.vector_hnsw_ef_construction,
                    embedder=spec.record() if spec else None,
                ),
                publishing=Publishing(
                    self.settings.embed_publish_papers, self.settings.embed_publish_seconds
                ),
                on_progress=self._record_embedding_progress,
                progress=progress,
            )

    def _record_embedding_progress(self, step: SyncProgress) -> None:
        self._forget_index_state()
        spec = self._embedder_loaded_for
        write_info(
            self.db,
            EMBEDDING_STATUS,
            {
                "embedder": spec.describe() if spec else None,
                "pending": step.total,
                "done": step.done,
                "embedded": step.embedded,
                "seconds": round(step.seconds, 3),
                "finished": step.finished,
                "updated_at": self.clock().isoformat(),
            },
        )
        for listener in self.embedding_listeners:
            listener()

    def semantic_status(self) -> SemanticStatus:
        """How far semantic search is: coverage, and the embedding run's rate and ETA."""
        covered, total = self.semantic_coverage()
        try:
            spec = self.embedder_spec()
            problem = None
        except SettingsError as exc:
            spec, problem = None, str(exc)
        record = read_info(self.db, EMBEDDING_STATUS) or {}
        return SemanticStatus.of(
            enabled=self.semantic_enabled,
            embedder=spec.describe() if spec else None,
            covered=covered,
            papers=total,
            run=record,
            now=self.clock(),
            problem=problem,
        )

    def embed_in_background(self, stop: threading.Event, *, poll_seconds: float = 30.0) -> None:
        """Keep the indexes up to date until ``stop`` is set: catch the keyword index up (after
        a restore, or papers written without indexing), embed whatever is new when this process
        holds the deployment's embedding lock, then look again every ``poll_seconds``."""
        while not stop.is_set():
            try:
                if self.index_diverged() or self.pending_index_updates() > 0:
                    # a restore, or papers written without indexing
                    self.index(semantic=False, accelerate=False)
                self._refresh_keyword_accelerator()  # after those, or a submission, say
                if self.semantic_enabled and self.pending_vector_updates():
                    self.index_vectors()
            except LockBusy:
                pass  # another process embeds for the deployment
            except (PapersiftError, OSError, ValueError) as exc:
                log.warning("background embedding stopped for now: %s", exc)
            stop.wait(poll_seconds)

    def pending_vector_updates(self) -> bool:
        """Whether papers are waiting for their vectors (or the vector index must be built)."""
        spec = self.embedder_spec()
        if spec is None:
            return False
        meta = self.vector_index.meta()
        if meta is None:
            return self.papers.count() > 0
        indexed = self.vector_index.indexed_rev(self.store_key(), str(meta.get("identity")))
        return indexed is None or indexed < self.papers.max_rev()

    @property
    def dsi_dir(self) -> Path:
        return self.settings.index_dir / "dsi"

    def train_dsi(
        self,
        *,
        epochs: int | None = None,
        max_docs: int | None = None,
        seed: int = 0,
        restart: bool = False,
        train_queries: Sequence[tuple[str, str]] = (),
        progress: bool = False,
    ) -> DSIReport:
        """Train (or resume training) the DSI model over the papers in the vector index.

        ``max_docs`` keeps the newest papers; ``train_queries`` are real (paper id, query) pairs
        used besides the pseudo-queries, e.g. a collection's train split.
        """
        if self.dsi is None:
            self.retriever("dsi")  # raises how to install what is missing
        embedder = self.embedder()
        meta = self.vector_index.meta()
        if meta is None or meta.get("identity") != embedder.identity:
            raise IndexError_(
                f"the vector index is missing or was built with another embedder than "
                f"{embedder.identity}: run papersift index first"
            )
        from papersift.indexes.dsi.model_dir import CorpusDocument, DSIOptions, train_index

        papers = sorted(
            self.papers.iter_all(), key=lambda p: (p.display_date or date.min, p.id), reverse=True
        )
        vectors = self.vector_index.vectors_of([p.id for p in papers])
        papers = [p for p in papers if p.id in vectors][: max_docs or None]
        if not papers:
            raise IndexError_("no embedded papers to train DSI on: run papersift index first")
        papers.sort(key=lambda p: p.id)
        position = {paper.id: number for number, paper in enumerate(papers)}
        options = DSIOptions(
            branching=self.settings.dsi_branching,
            leaf_size=self.settings.dsi_leaf_size,
            epochs=epochs or self.settings.dsi_epochs,
            seed=seed,
        )
        report = train_index(
            [CorpusDocument(p.id, p.title, p.abstract) for p in papers],
            np.stack([vectors[p.id] for p in papers]),
            embedder,
            self.dsi_dir,
            options,
            extra_queries=[(position[pid], text) for pid, text in train_queries if pid in position],
            restart=restart,
            progress=progress,
        )
        self._index_generation = None
        return report

    def pending_index_updates(self) -> int:
        """How many store revisions the keyword index has not caught up with (0 when current)."""
        indexed = self._keyword_rev(self.store_key())
        return self.papers.max_rev() - (indexed or 0)

    # reading -----------------------------------------------------------------------------------

    def paper_count(self) -> int:
        return self.papers.count()

    def all_papers(self) -> Iterator[Paper]:
        """Every stored paper, read in chunks (for training and exports)."""
        return self.papers.iter_all()

    def papers_by_id(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        """The stored papers among ``paper_ids``, by id (unknown ids are left out)."""
        return self.papers.get_many(list(paper_ids))

    def is_stored_id(self, paper_id: str) -> bool:
        """Whether ``paper_id`` is a paper's id exactly as stored."""
        return self.papers.get(paper_id) is not None

    def upvotes(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """Upvotes per paper (papers without votes are left out)."""
        return self.votes.counts(paper_ids)

    def voted_by(self, user: User, paper_ids: Sequence[str]) -> set[str]:
        """Which of ``paper_ids`` the reader upvoted."""
        return self.votes.voted_by(user.id, paper_ids)

    def papers_voted_by(self, user: User) -> list[str]:
        return self.votes.papers_voted_by(user.id)

    def category_listing(
        self, category: str, *, limit: int, offset: int
    ) -> tuple[list[Listed], int]:
        """One page of a category's papers, newest first, and how many there are."""
        return self.listings.page(
            first=None, last=None, category=category, order="date", limit=limit, offset=offset
        )

    def count_matches(self, query: str, filters: Filters | None, *, at_most: int) -> int:
        """Papers the keyword index matches for ``query`` (counted up to ``at_most``)."""
        return self.keyword_index.count(query, self.resolve_filters(filters), at_most=at_most)

    def keyword_index_state(self) -> tuple[int, str | None]:
        """(papers in the keyword index, the problem when it cannot be read, else None)."""
        try:
            meta = self.keyword_index.meta() or {}
        except IndexError_ as exc:
            return 0, f"{exc} (the next papersift index repairs it)"
        return int(meta.get("documents", 0)), None

    def dsi_trained_papers(self) -> int | None:
        """Papers the DSI model was trained on; None without a trained model."""
        if self.dsi is None or not self.dsi.ready():
            return None
        return len(self.dsi.model().paper_ids)

    def user_by_email(self, email: str) -> User | None:
        from papersift.features.accounts import normalise_email

        return self.users.by_email(normalise_email(email))

    def paper(self, paper_id: str) -> Paper:
        """The stored paper ``paper_id`` names: its id as stored, or any spelling of its arXiv
        id (``2504.21650v1``, ``arXiv:2504.21650``, an abs/pdf/html URL, see
        ``canonical_arxiv_id``)."""
        from papersift.sources.arxiv_ids import canonical_arxiv_id

        found = self.papers.get(paper_id)
        if found is None:
            canonical = canonical_arxiv_id(paper_id)
            if canonical is not None and canonical != paper_id:
                found = self.papers.get(canonical)
        if found is None:
            shown = paper_id if len(paper_id) <= 80 else paper_id[:80] + "..."
            raise PaperNotFoundError(f"no paper with id {shown!r} in the store")
        return found

    def paper_named_by(self, query: str) -> str | None:
        """The id of the stored paper that ``query`` is an id of (any spelling of its arXiv id,
        or its id as stored): the paper search puts first (see ``known_item``); None for any
        other query."""
        from papersift.retrieval.known_item import known_item

        return known_item(query, self.papers.get)

    def unstored_id_notice(self, query: str) -> str | None:
        """A plain-words notice when ``query`` is an arXiv id (any spelling) that no stored paper
        has, so the results cannot start with it; None otherwise."""
        from papersift.sources.arxiv_ids import canonical_arxiv_id

        canonical = canonical_arxiv_id(query)
        if canonical is None or self.paper_named_by(query) is not None:
            return None
        return f"arXiv:{canonical} is not in this library; the results match its words."

    @property
    def modes(self) -> list[str]:
        """Search modes that can answer now: keyword always, the semantic ones once vectors
        exist (DSI's once a model has been trained)."""
        ready = self.semantic_ready()
        untrained = self.dsi is not None and not self.dsi.ready()
        return [
            mode
            for mode in self._retrievers
            if mode == KEYWORD or (ready and not (untrained and mode in DSI_MODES))
        ]

    @property
    def default_mode(self) -> str:
        """Hybrid as soon as semantic search can answer, keyword before that."""
        return "hybrid" if "hybrid" in self.modes else KEYWORD

    def choose_mode(self, requested: str | None = None) -> ModeChoice:
        """The mode that answers a search asked for in ``requested`` (any mode name or alias;
        None or auto for the default), with a notice in plain words when semantic search
        cannot answer yet, or covers only part of the papers. ValueError for an unknown name."""
        wanted = canonical_mode(requested or DEFAULT)
        if wanted == DEFAULT:
            wanted = self.default_mode
            if wanted == KEYWORD and self.semantic_enabled:
                return ModeChoice(KEYWORD, self._building_notice())
        available = self.modes
        if wanted in available:
            return ModeChoice(wanted, self._coverage_notice(wanted))
        return ModeChoice(KEYWORD, self._unavailable_notice(wanted))

    def _unavailable_notice(self, mode: str) -> str:
        name = label(mode)
        if mode in DSI_MODES and not _installed("torch", "faiss"):
            return f"{name} search needs {DSI_INSTALL_HINT}; showing keyword results."
        if mode in DSI_MODES and self.semantic_ready():
            return f"{name} search needs a trained model (papersift dsi train); keyword results."
        if not self.semantic_enabled and self.settings.embedder_backend == "auto":
            return f"{name} search needs {SEMANTIC_INSTALL_HINT}; showing keyword results."
        if not self.semantic_enabled:
            return f"{name} search is not switched on here; showing keyword results."
        try:
            self.embedder_spec()
        except SettingsError:
            return f"{name} search is unavailable until the site's settings are fixed: keywords"
        covered, total = self.semantic_coverage()
        return (
            f"{name} search is not ready yet: semantic search is being built "
            f"({covered:,} of {total:,} papers so far). Showing keyword results."
        )

    def _building_notice(self) -> str | None:
        """While semantic search has no vectors yet: what the default (keyword) search is."""
        try:
            self.embedder_spec()
        except SettingsError:
            return None
        covered, total = self.semantic_coverage()
        if not total:
            return None
        return (
            f"Semantic search is being built ({covered:,} of {total:,} papers so far); "
            "until then, searches match words."
        )

    def _coverage_notice(self, mode: str) -> str | None:
        if mode not in SEMANTIC_MODES:
            return None
        covered, total = self.semantic_coverage()
        if covered >= total:
            return None
        rest = "; the others are found by their words" if mode != "dense" else ""
        return f"Semantic search covers {covered:,} of {total:,} papers so far{rest}."

    def retriever(self, mode: str) -> Retriever:
        try:
            return self._retrievers[mode]
        except KeyError:
            if mode in DSI_MODES and not _installed("torch", "faiss"):
                raise SettingsError(DSI_MISSING) from None
            if mode in ("dense", "hybrid", *DSI_MODES):
                self.embedder()  # raises the explanation of how to turn semantic search on
            if mode in DSI_MODES:
                raise SettingsError(DSI_MISSING) from None
            known = ", ".join(self._retrievers)
            raise ValueError(f"unknown search mode {mode!r}; choose one of: {known}") from None

    def authors_named(self, query: str, filters: Filters | None = None) -> list[Author]:
        """The authors ``query`` names ("LeCun", "Y. LeCun", "Yann LeCun"; several when the
        name is ambiguous), each with their papers that pass ``filters`` (see
        ``papersift.retrieval.authors``)."""
        return list(self._authors_named(query.strip(), filters, self.index_generation()))

    def _find_authors(
        self, query: str, filters: Filters | None, generation: str
    ) -> tuple[Author, ...]:
        from papersift.retrieval.authors import CANDIDATE_PAPERS, named_authors
        from papersift.retrieval.known_item import passes

        def candidates(words: Sequence[str], phrase: bool) -> set[str]:
            if phrase:
                by_name = Filters(author=" ".join(words))
                return self.keyword_index.ids_matching(by_name, limit=CANDIDATE_PAPERS)
            return self.keyword_index.ids_with_author_words(words, limit=CANDIDATE_PAPERS)

        def keep(paper_ids: set[str]) -> set[str]:
            found = self.papers.get_many(sorted(paper_ids))
            return {pid for pid, paper in found.items() if passes(paper, filters)}

        filtered = filters is not None and not filters.empty
        try:
            return tuple(
                named_authors(query, candidates, self.papers.authors_of, keep if filtered else None)
            )
        except (IndexError_, ValueError):
            return ()  # no keyword index yet

    def search_hits(
        self, query: str, *, k: int = 10, filters: Filters | None = None, mode: str = "bm25"
    ) -> list[Hit]:
        """Ranked hits in ``mode`` (see ``choose_mode``: a mode that cannot answer yet gives
        keyword results instead of an error). A query that names a stored paper, by its id (any
        spelling of an arXiv id) or its title (exactly or nearly), gives that paper first (see
        ``papersift.retrieval.known_item``); one that names an author gives their papers first
        (see ``authors_named``)."""
        from papersift.retrieval.authors import authors_first
        from papersift.retrieval.known_item import SearchTitles, known_first, may_name_a_title

        chosen = self.choose_mode(mode).mode
        filters = self.resolve_filters(filters)
        # Whether the query names an author is looked up while the retriever searches: the
        # two wait on different indexes, and a hybrid search should not pay for both in turn.
        named = self._side_work.submit(self.authors_named, query, filters)
        titles = SearchTitles(self.papers.titles_of)
        read_ahead = titles.read_ahead if may_name_a_title(query) else None
        hits, keyword_top = self._ranked_with_keyword_top(chosen, query, k, filters, read_ahead)
        authors = named.result()
        if authors:
            hits = authors_first(hits, authors, k)
        return known_first(
            query,
            hits,
            k,
            filters,
            fetch_many=self.papers.get_many,
            title_words_of=titles,
            keyword_top=keyword_top,
            fused_from_keyword=self._fused_from_keyword(chosen),
        )

    def _fused_from_keyword(self, mode: str) -> bool:
        retriever = self.retriever(mode)
        return isinstance(retriever, HybridRetriever) and self.bm25 in retriever.retrievers

    def _ranked_with_keyword_top(
        self,
        mode: str,
        query: str,
        k: int,
        filters: Filters | None,
        read_ahead: Callable[[Sequence[Hit]], None] | None = None,
    ) -> tuple[list[Hit], Callable[[int], Sequence[Hit]] | None]:
        """``mode``'s ranking of ``query``, and how to get the top of the keyword ranking
        beside it (None in keyword mode, whose ranking it is): the hybrid retriever's own
        keyword run when it has one, so that it is not searched twice. A hybrid search whose
        keyword run comes first hands it to ``read_ahead`` while its semantic half runs."""
        retriever = self.retriever(mode)
        if mode == KEYWORD:
            return retriever.search(query, k, filters), None
        if isinstance(retriever, HybridRetriever) and self._fused_from_keyword(mode):
            meanwhile = read_ahead if retriever.retrievers[0] is self.bm25 else None
            hits, runs = retriever.search_with_runs(query, k, filters, meanwhile=meanwhile)
            keyword_run = runs[retriever.retrievers.index(self.bm25)]
            return hits, lambda n: keyword_run[:n]
        hits = retriever.search(query, k, filters)
        return hits, lambda n: self.bm25.search(query, n, filters)

    def resolve_filters(self, filters: Filters | None) -> Filters | None:
        """``filters`` as retrievers take them: ``has_code`` becomes the ids of the papers that
        link to a code repository (read from the store once per store revision)."""
        if filters is None or not filters.has_code or filters.only is not None:
            return filters
        rev = self.papers.max_rev()
        if self._code_ids is None or self._code_ids[0] != rev:
            self._code_ids = (rev, self.papers.ids_with_code())
        return replace(filters, only=self._code_ids[1])

    def sort_hits(self, hits: Sequence[Hit], sort: str = "relevance") -> list[Hit]:
        """``hits`` (best first) in the order ``sort`` names (``SEARCH_SORTS``): relevance as
        ranked, date (newest first) or upvotes (most first); ties keep the relevance order."""
        if sort not in SEARCH_SORTS:
            raise ValueError(f"unknown sort {sort!r}; choose one of: {', '.join(SEARCH_SORTS)}")
        if sort == "relevance" or not hits:
            return list(hits)
        ids = [hit.paper_id for hit in hits]
        if sort == "upvotes":
            upvotes = self.votes.counts(ids)
            keys = {pid: -upvotes.get(pid, 0) for pid in ids}
        else:
            found = self.papers.get_many(ids)
            days = {pid: p.display_date for pid, p in found.items()}
            keys = {pid: -(days.get(pid) or date.min).toordinal() for pid in ids}
        order = sorted(range(len(hits)), key=lambda n: (keys[hits[n].paper_id], n))
        return [hits[n] for n in order]

    def categories(self) -> list[tuple[str, int]]:
        """The categories the stored papers are in, each with its number of papers, most first
        (ties by name); read from the store once per store revision."""
        rev = self.papers.max_rev()
        if self._categories is None or self._categories[0] != rev:
            counts = self.papers.category_counts()
            ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            self._categories = (rev, tuple(ranked))
        return list(self._categories[1])

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        filters: Filters | None = None,
        mode: str = "bm25",
        sort: str = "relevance",
    ) -> list[SearchResult]:
        """Ranked papers for ``query``; any string is accepted. Another ``sort`` than relevance
        orders the ``SORT_DEPTH`` (or ``k``, when more) most relevant papers by date or upvotes
        and gives the first ``k`` (see ``sort_hits``)."""
        if sort == "relevance":
            hits = self.search_hits(query, k=k, filters=filters, mode=mode)
        else:
            if sort not in SEARCH_SORTS:
                self.sort_hits([], sort)  # raises the choices
            depth = max(k, SORT_DEPTH)
            found_hits = self.search_hits(query, k=depth, filters=filters, mode=mode)
            hits = self.sort_hits(found_hits, sort)[:k]
        found = self.papers.get_many([hit.paper_id for hit in hits])
        return [SearchResult(found[h.paper_id], h.score) for h in hits if h.paper_id in found]

    def similar(
        self,
        paper_ids: Sequence[str],
        *,
        k: int = 10,
        filters: Filters | None = None,
        sort: str = "relevance",
    ) -> list[SearchResult]:
        """Papers like the given ones (more like these), without them and without duplicates."""
        if not paper_ids:
            raise ValueError("give at least one paper id")
        seeds = [self.paper(paper_id) for paper_id in dict.fromkeys(paper_ids)]
        filters = self.resolve_filters(filters)
        hits = self.similar_papers.find(seeds, k, filters=filters, sort=sort)
        found = self.papers.get_many([hit.paper_id for hit in hits])
        return [SearchResult(found[h.paper_id], h.score) for h in hits if h.paper_id in found]

    def _similar_ids(self, paper_id: str, k: int, generation: str) -> tuple[str, ...]:
        """Ids of ``similar([paper_id], k)``; ``generation`` (index_generation()) keys caching."""
        return tuple(result.paper.id for result in self.similar([paper_id], k=k))

    # community ---------------------------------------------------------------------------------

    def vote(self, user: User, paper_id: str, voted: bool) -> int:
        """Set the user's upvote on the paper (any spelling of its id); returns the paper's
        upvote count."""
        paper_id = self.paper(paper_id).id
        return self.votes.set_vote(user.id, paper_id, voted, now=self.clock())

    def trending(self, *, limit: int = 50) -> list[Trending]:
        """Papers ranked by time-decayed upvotes (see ``papersift.features.trending``)."""
        half_life = timedelta(hours=self.settings.trending_half_life_hours)
        scores = rank_trending(self.votes, now=self.clock(), half_life=half_life, limit=limit)
        found = self.papers.get_many([s.paper_id for s in scores])
        upvotes = self.votes.counts(list(found))
        return [
            Trending(found[s.paper_id], s.score, upvotes.get(s.paper_id, 0))
            for s in scores
            if s.paper_id in found
        ]

    def author_papers(self, name: str, *, limit: int = 500) -> list[Paper]:
        """Papers with an author whose name contains ``name`` (folded), newest first."""
        try:
            ids = self.keyword_index.ids_matching(Filters(author=name), limit=limit)
        except ValueError:
            return []
        papers = list(self.papers.get_many(sorted(ids)).values())
        papers.sort(key=lambda p: (p.display_date or date.min, p.id), reverse=True)
        return papers

    def author_page(
        self, name: str, *, page: int, size: int, limit: int = 500
    ) -> tuple[list[Paper], int]:
        """One page of ``author_papers`` (newest first) and how many there are: only the page's
        papers are read from the store."""
        try:
            ids = self.keyword_index.ids_matching(Filters(author=name), limit=limit)
        except ValueError:
            return [], 0
        shown = self.listings.newest_first(sorted(ids), limit=size, offset=(page - 1) * size)
        return shown, len(ids)

    def recommendations(self, user: User, *, limit: int = 20) -> list[Recommendation]:
        """Recent papers for ``user``, each with its reasons (see features.recommendations)."""
        return self.recommender.for_user(user, limit=limit)

    def collection_stream(
        self, user: User, collection_id: int, *, limit: int = 20
    ) -> tuple[Collection, list[Recommendation]]:
        """Recent papers like those of one of the user's collections (its own model)."""
        collection = self.library.owned(user, collection_id)
        return collection, self.recommender.for_collection(user, collection, limit=limit)

    def owner_stream(
        self, collection_id: int, *, limit: int = 20
    ) -> tuple[Collection, list[Recommendation]]:
        """A collection's stream as its owner sees it (its private feed's address names only
        the collection); NotFoundError when the collection or its owner is gone."""
        found = self.library.collections.get(collection_id)
        owner = self.users.by_id(found.user_id) if found else None
        if owner is None:
            raise NotFoundError("this stream's collection no longer exists")
        return self.collection_stream(owner, collection_id, limit=limit)

    def _stored_vectors(self, paper_ids: Sequence[str]) -> dict[str, Vectors]:
        if self.semantic_backend is None:
            return {}
        try:
            return self.vector_index.vectors_of(paper_ids)
        except IndexError_:
            return {}  # not built yet: recommendations fall back to lexical similarity

    def _more_like_ids(self, seeds: Sequence[str], k: int, filters: Filters) -> list[str]:
        """Papers sharing the seeds' distinctive terms (the lexical half of similar papers)."""
        papers = self.papers.get_many(list(seeds))
        texts = [(p.title, p.abstract) for p in papers.values()]
        if not texts:
            return []
        hits = self.keyword_index.more_like(texts, k + len(texts), filters)
        return [hit.paper_id for hit in hits if hit.paper_id not in papers][:k]

    def _alert_search(self, query: str, k: int, filters: Filters, mode: str) -> list[Hit]:
        return self.search_hits(query, k=k, filters=filters, mode=mode)

    def _refresh_keyword_accelerator(self, *, progress: bool = False) -> None:
        """Rebuild the keyword accelerator's snapshot if the keyword index changed since."""
        if isinstance(self.keyword_index, KeywordIndex):
            self.keyword_index.refresh_accelerator(
                lambda: self.papers.changed_since(0), progress=progress
            )

    def _add_fetched_papers(self, papers: list[Paper]) -> None:
        """Store papers fetched from arXiv for an import, then index them (as a submission)."""
        with self.db.begin() as connection:
            self.papers.upsert(connection, papers)
        with contextlib.suppress(IndexError_, ValueError, OSError):
            self.index(semantic=False, accelerate=False)  # the worker rebuilds the snapshot

    def _add_submitted_paper(self, paper: Paper) -> None:
        with self.db.begin() as connection:
            self.papers.upsert(connection, [paper])
        # When another process holds the index writer, the next index run adds the paper.
        with contextlib.suppress(IndexError_, ValueError, OSError):
            self.index(semantic=False, accelerate=False)  # the worker rebuilds the snapshot


def _meta_or_empty(index: KeywordSearchIndex | VectorSearchIndex) -> dict[str, Any]:
    """An index's metadata; empty when there is none, or when it is damaged (pages keep
    working; searches and ``papersift stats`` name the problem, ``papersift index`` repairs it)."""
    try:
        return index.meta() or {}
    except IndexError_:
        return {"damaged": True}


def _installed(*modules: str) -> bool:
    return all(importlib.util.find_spec(module) is not None for module in modules)


def _harvest_key(request: HarvestRequest) -> str:
    parts = (
        request.endpoint,
        request.metadata_prefix,
        request.set_spec or "*",
        request.from_date.isoformat() if request.from_date else "*",
        request.until_date.isoformat() if request.until_date else "*",
    )
    return "|".join(parts)
