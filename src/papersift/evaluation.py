"""Retrieval quality on BEIR-layout test collections, computed with ir-measures (the ``eval``
extra: ``pip install 'papersift[eval]'``).

A collection directory holds ``corpus.jsonl`` ({"_id" or "id", "title", "text"}), queries
(``queries.jsonl``, or ``queries_<split>.jsonl`` for other splits) and relevance judgements
(``qrels.tsv`` / ``qrels/test.tsv``, or ``qrels_<split>.tsv``: query, doc, relevance; an optional
header line). The corpus is loaded into a store of its own, never the user's: by default a cache
under ``<data_dir>/eval/`` keyed by the corpus digest (so embeddings are computed once per
embedder), or a temporary directory with ``cache=False``.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from tqdm import tqdm

from papersift.embeddings.models import DEFAULT_MODEL, model_name
from papersift.engine import DSI_MODES, Engine
from papersift.errors import CollectionError, MissingDependencyError
from papersift.settings import Settings, load_settings

# Each measure's name in papersift's output, and in ir-measures' syntax.
MEASURES = {
    "ndcg@10": "nDCG@10",
    "recall@10": "R@10",
    "recall@100": "R@100",
    "map": "AP@1000",
    "mrr@10": "RR@10",
    "hits@1": "Success@1",
    "hits@10": "Success@10",
}
RUN_DEPTH = 1000

if TYPE_CHECKING:
    from papersift.embeddings.adapt import Document


@dataclass(frozen=True)
class Collection:
    name: str
    corpus: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


@dataclass(frozen=True)
class EvalResult:
    collection: str
    mode: str
    split: str
    queries: int
    documents: int
    metrics: dict[str, float]
    seconds: float
    embedder: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "mode": self.mode,
            "split": self.split,
            "queries": self.queries,
            "documents": self.documents,
            "embedder": self.embedder,
            **{name: round(value, 4) for name, value in self.metrics.items()},
            "seconds": round(self.seconds, 1),
            **self.details,
        }

    def table(self) -> str:
        embedder = f" ({self.embedder})" if self.embedder else ""
        head = (
            f"{self.collection} ({self.split}: {self.queries} queries, "
            f"{self.documents:,} documents), mode {self.mode}{embedder}"
        )
        rows = [f"  {name:<11} {value:.4f}" for name, value in self.metrics.items()]
        notes = [f"  {name}: {value}" for name, value in self.details.items()]
        return "\n".join([head, *rows, *notes, f"  ({self.seconds:.1f} s)"])


def _first_existing(directory: Path, names: list[str], what: str) -> Path:
    for name in names:
        if (directory / name).is_file():
            return directory / name
    raise CollectionError(f"{directory}: no {what} file (looked for {', '.join(names)})")


def _read_queries(path: Path) -> dict[str, str]:
    queries: dict[str, str] = {}
    for number, line in enumerate(path.read_bytes().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
            queries[str(record.get("_id", record.get("id")))] = str(record["text"])
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise CollectionError(f"{path}: line {number}: not a query record ({exc})") from None
    return queries


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), 1):
            if not row or (number == 1 and not row[-1].strip().lstrip("-").isdigit()):
                continue  # blank line or header
            if len(row) not in (3, 4):
                raise CollectionError(f"{path}: line {number}: expected query, doc, relevance")
            query_id, doc_id, relevance = row[0], row[-2], row[-1]
            try:
                qrels.setdefault(query_id, {})[doc_id] = int(relevance)
            except ValueError:
                raise CollectionError(f"{path}: line {number}: relevance is not a number") from None
    return qrels


def load_collection(directory: Path, split: str = "test") -> Collection:
    """Locate and read a BEIR-layout collection; missing or bad files raise CollectionError."""
    if split not in ("test", "train", "dev"):
        raise CollectionError(f"unknown split {split!r}: use test, train or dev")
    corpus = _first_existing(directory, ["corpus.jsonl", "corpus.jsonl.gz"], "corpus")
    query_names = ["queries.jsonl"] if split == "test" else [f"queries_{split}.jsonl"]
    qrels_names = (
        ["qrels.tsv", "qrels/test.tsv"]
        if split == "test"
        else [f"qrels_{split}.tsv", f"qrels/{split}.tsv"]
    )
    queries = _read_queries(_first_existing(directory, query_names, f"{split} queries"))
    qrels = _read_qrels(_first_existing(directory, qrels_names, f"{split} qrels"))
    judged = {query_id: text for query_id, text in queries.items() if query_id in qrels}
    if not judged:
        raise CollectionError(f"{directory}: no {split} query has relevance judgements")
    return Collection(directory.resolve().name, corpus, judged, qrels)


def evaluate_collection(
    directory: Path,
    *,
    mode: str = "bm25",
    split: str = "test",
    settings: Settings | None = None,
    cache: bool = True,
    store_url: str | None = None,
    progress: bool = False,
    adapt_minutes: float | None = None,
) -> EvalResult:
    """Load the collection into its own store, run every judged query, compute the measures.

    ``store_url`` names the database of that store (any backend; its other files still go to
    the eval cache or a temporary directory); by default it is a SQLite file there. With
    ``adapt_minutes`` (dense and hybrid modes), the encoder is first adapted to the collection's
    corpus, never its queries, within that budget (``adapt_to_corpus``)."""
    _ir_measures()  # before any embedding work: say at once what to install
    collection = load_collection(directory, split)
    base = settings or load_settings()
    adapted: dict[str, Any] = {}
    if adapt_minutes is not None and mode != "bm25":
        base, adapted = adapt_to_corpus(collection, base, adapt_minutes, progress)
    started = time.perf_counter()
    with collection_store(collection, base, cache, store_url) as eval_settings:
        engine = Engine(eval_settings)
        try:
            engine.ingest([collection.corpus], namespace=collection.name, progress=progress)
            embedder = None
            details: dict[str, Any] = {}
            if mode != "bm25":
                engine.index_vectors(progress=progress)
                embedder = engine.embedder().identity
            if mode in DSI_MODES:
                details = train_dsi_for(engine, directory, split, progress)
            documents = engine.papers.count()
            run = run_queries(engine, collection, mode, progress)
        finally:
            engine.close()
    return EvalResult(
        collection.name,
        mode,
        split,
        len(collection.queries),
        documents,
        score_run(collection, run),
        time.perf_counter() - started,
        embedder,
        {**adapted, **details},
    )


def adapt_to_corpus(
    collection: Collection, base: Settings, minutes: float, progress: bool
) -> tuple[Settings, dict[str, Any]]:
    """Settings that embed with the configured encoder adapted to the collection's corpus (its
    documents only), and what the adaptation did. The adapted model is kept in the model cache
    and reused by later runs on the same corpus with the same settings."""
    from papersift.embeddings.adapt import AdaptConfig, Controls, adapt_model

    result = adapt_model(
        read_corpus_documents(collection.corpus),
        AdaptConfig(base.embedder_model),
        work_root=base.data_dir / "eval" / "adapt",
        output_root=base.models_dir / "adapted",
        controls=Controls(budget_seconds=minutes * 60),
        export_cache_dir=base.models_dir,
        progress=progress,
    )
    meta = result.metadata
    details = {
        "adapted_model": str(result.model_dir),
        "adapt_steps": f"{meta['steps']} of {meta['steps_planned']}",
        "adapt_training_seconds": meta["training_seconds"],
        "adapt_pairs": meta["data"]["pairs"],
    }
    return base.model_copy(update={"embedder_model": str(result.model_dir)}), details


def read_corpus_documents(corpus: Path) -> list[Document]:
    """The (title, text) of every document of a BEIR corpus file (.jsonl or .jsonl.gz)."""
    from papersift.embeddings.adapt import Document

    opener = gzip.open if corpus.suffix == ".gz" else open
    with opener(corpus, "rb") as handle:
        records = [orjson.loads(line) for line in handle if line.strip()]
    return [Document(str(r.get("title") or ""), str(r.get("text") or "")) for r in records]


def relevant_pairs(collection: Collection) -> list[tuple[str, str]]:
    """(paper id in the store, query text) for every judged-relevant document of every query."""
    return [
        (f"{collection.name}:{doc}", text)
        for query_id, text in collection.queries.items()
        for doc, relevance in collection.qrels[query_id].items()
        if relevance > 0
    ]


def train_dsi_for(engine: Engine, directory: Path, split: str, progress: bool) -> dict[str, Any]:
    """Train DSI on the collection's corpus, with its train split's queries when it has one and
    the split being evaluated is another (evaluating on train uses pseudo-queries only)."""
    train = None
    if split != "train":
        with contextlib.suppress(CollectionError):
            train = load_collection(directory, "train")
    pairs = relevant_pairs(train) if train else []
    report = engine.train_dsi(train_queries=pairs, progress=progress)
    return {
        "dsi_training_seconds": round(report.seconds, 1),
        "dsi_epochs": report.epochs,
        "dsi_parameters": report.parameters,
        "dsi_train_queries": len(pairs),
    }


@contextmanager
def collection_store(
    collection: Collection, base: Settings, cache: bool, store_url: str | None = None
) -> Iterator[Settings]:
    """Settings of a store for the collection: cached by corpus digest, or temporary."""
    if cache:
        folder = base.data_dir / "eval" / f"{collection.name}-{_digest(collection.corpus)}"
        if base.embedder_model != DEFAULT_MODEL:
            # A vector index built with one model must not be mistaken for another's.
            folder = folder.with_name(f"{folder.name}-{model_name(base.embedder_model)}")
        if store_url:
            # File indexes of another store must not be mistaken for this one's.
            folder = folder.with_name(f"{folder.name}-{_digest_text(store_url)}")
        yield _store_settings(base, folder, store_url)
        return
    with tempfile.TemporaryDirectory(prefix="papersift-eval-") as scratch:
        yield _store_settings(base, Path(scratch), store_url)


def _store_settings(base: Settings, folder: Path, store_url: str | None) -> Settings:
    return base.model_copy(
        update={
            "data_dir": folder,
            "database_url": store_url or f"sqlite:///{folder / 'eval.db'}",
            "model_cache_dir": base.models_dir,
        }
    )


def _digest_text(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def _digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=8)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def score_run(collection: Collection, run: dict[str, dict[str, float]]) -> dict[str, float]:
    """The measures of a run ({query id: {doc id: score}}) against the collection's qrels."""
    ir_measures = _ir_measures()
    measures = {name: ir_measures.parse_measure(spec) for name, spec in MEASURES.items()}
    scores = ir_measures.calc_aggregate(list(measures.values()), collection.qrels, run)
    return {name: float(scores[measure]) for name, measure in measures.items()}


def _ir_measures() -> Any:
    try:
        import ir_measures
    except ImportError as error:
        raise MissingDependencyError("ir-measures", extra="eval") from error
    return ir_measures


def run_queries(
    engine: Engine, collection: Collection, mode: str, progress: bool
) -> dict[str, dict[str, float]]:
    prefix = f"{collection.name}:"
    run: dict[str, dict[str, float]] = {}
    queries = tqdm(collection.queries.items(), desc=mode, unit=" queries", disable=not progress)
    for query_id, text in queries:
        hits = engine.search_hits(text, k=RUN_DEPTH, mode=mode)
        run[query_id] = {hit.paper_id.removeprefix(prefix): hit.score for hit in hits}
    return run
