"""The engine: the one object that holds papersift's behaviour. Fronts (CLI, web) call it."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Connection
from tqdm import tqdm

from papersift.errors import MalformedRecordError, PaperNotFoundError
from papersift.indexes.keyword import KeywordIndex
from papersift.model import Paper
from papersift.reports import HarvestReport, IndexReport, IngestReport
from papersift.retrieval.base import Hit, Retriever
from papersift.retrieval.bm25 import BM25Retriever
from papersift.retrieval.filters import Filters
from papersift.settings import Settings
from papersift.sources import Malformed, Record
from papersift.sources.detect import detect_format, read_path
from papersift.sources.harvest import (
    ExpiredResumptionToken,
    HarvestRequest,
    OAIHarvester,
)
from papersift.store.database import migrate, open_database
from papersift.store.harvests import HarvestCheckpoint, HarvestLog
from papersift.store.papers import PaperStore, UpsertCounts


@dataclass(frozen=True, slots=True)
class SearchResult:
    paper: Paper
    score: float


class Engine:
    """Store, indexes and retrievers of one papersift deployment."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.database = open_database(settings.store_url)
        migrate(self.database)
        self.papers = PaperStore(self.database)
        self.harvests = HarvestLog(self.database)
        self.keyword_index = KeywordIndex(settings.index_dir / "keyword")
        self._retrievers: dict[str, Retriever] = {"bm25": BM25Retriever(self.keyword_index)}

    def close(self) -> None:
        self.database.dispose()

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
        write everything in one transaction and abort on the first malformed record.
        """
        for path in paths:
            detect_format(path) if path.is_file() else None  # fail fast on unreadable inputs
        started = time.perf_counter()
        report = IngestReport()
        records = self._read_all(paths, namespace, progress)
        if strict:
            with self.database.begin() as connection:
                self._write_batches(connection, records, report, strict=True)
        else:
            self._write_batches(None, records, report, strict=False)
        if update_index:
            report.indexed = self.index(progress=progress).written
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
        _add_counts(report, counts)

    @contextmanager
    def _transaction(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is not None:
            yield connection
            return
        with self.database.begin() as fresh:
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
        request = HarvestRequest(
            self.settings.oai_endpoint, set_spec, from_date, until_date, metadata_prefix
        )
        client = harvester or OAIHarvester(
            delay=self.settings.harvest_delay, max_retries=self.settings.harvest_max_retries
        )
        key = _harvest_key(request)
        checkpoint = None if restart else self.harvests.get(key)
        report = HarvestReport()
        if checkpoint is not None and checkpoint.resumable:
            report.resumed_from_page = checkpoint.pages
            try:
                self._harvest_pages(client, request, key, checkpoint, report, progress)
            except ExpiredResumptionToken:
                report.resumed_from_page = None
                self._harvest_pages(client, request, key, None, report, progress)
        else:
            self._harvest_pages(client, request, key, None, report, progress)
        if update_index:
            self.index(progress=progress)
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
                    report.malformed += 1
                    report.problems.append(problem)
                pages_done, records_done = pages_done + 1, records_done + len(papers)
                status = "running" if page.resumption_token else "done"
                with self.database.begin() as connection:
                    counts = self.papers.upsert(connection, papers) if papers else UpsertCounts()
                    self.harvests.save(
                        connection,
                        HarvestCheckpoint(
                            key, page.resumption_token, pages_done, records_done, status
                        ),
                    )
                report.pages += 1
                report.records += len(papers)
                _add_counts(report, counts)
                bar.update()
        if report.pages == 0:  # noRecordsMatch: nothing to do, but the harvest is complete
            with self.database.begin() as connection:
                self.harvests.save(connection, HarvestCheckpoint(key, None, 0, 0, "done"))

    # indexing ----------------------------------------------------------------------------------

    def index(self, *, rebuild: bool = False, progress: bool = False) -> IndexReport:
        """Bring the keyword index up to date with the store (incrementally unless rebuilding)."""
        started = time.perf_counter()
        store_id = self.papers.store_id()
        since = None if rebuild else self.keyword_index.indexed_rev(store_id)
        if since is None:
            self.keyword_index.clear()
        pending = self.papers.changed_since(since or 0)
        total = self.papers.count() if since is None else None
        with tqdm(
            pending, desc="indexing", unit=" papers", total=total, disable=not progress
        ) as bar:
            written = self.keyword_index.update(
                bar,
                store_id=store_id,
                memory_mb=self.settings.index_memory_mb,
                fresh=since is None,
            )
        return IndexReport(
            written=written,
            documents=self.keyword_index.document_count(),
            rebuilt=since is None,
            seconds=time.perf_counter() - started,
        )

    def pending_index_updates(self) -> int:
        """How many store revisions the keyword index has not caught up with (0 when current)."""
        indexed = self.keyword_index.indexed_rev(self.papers.store_id())
        return self.papers.max_rev() - (indexed or 0)

    # reading -----------------------------------------------------------------------------------

    def paper(self, paper_id: str) -> Paper:
        found = self.papers.get(paper_id)
        if found is None:
            raise PaperNotFoundError(f"no paper with id {paper_id!r} in the store")
        return found

    def retriever(self, mode: str) -> Retriever:
        try:
            return self._retrievers[mode]
        except KeyError:
            known = ", ".join(sorted(self._retrievers))
            raise ValueError(f"unknown search mode {mode!r}; choose one of: {known}") from None

    def search_hits(
        self, query: str, *, k: int = 10, filters: Filters | None = None, mode: str = "bm25"
    ) -> list[Hit]:
        return self.retriever(mode).search(query, k, filters)

    def search(
        self, query: str, *, k: int = 10, filters: Filters | None = None, mode: str = "bm25"
    ) -> list[SearchResult]:
        """Ranked papers for ``query``; any string is accepted."""
        hits = self.search_hits(query, k=k, filters=filters, mode=mode)
        found = self.papers.get_many([hit.paper_id for hit in hits])
        return [SearchResult(found[h.paper_id], h.score) for h in hits if h.paper_id in found]


def _add_counts(report: IngestReport | HarvestReport, counts: UpsertCounts) -> None:
    report.added += counts.added
    report.updated += counts.updated
    report.unchanged += counts.unchanged


def _harvest_key(request: HarvestRequest) -> str:
    parts = (
        request.endpoint,
        request.metadata_prefix,
        request.set_spec or "*",
        request.from_date.isoformat() if request.from_date else "*",
        request.until_date.isoformat() if request.until_date else "*",
    )
    return "|".join(parts)
