"""Training a DSI index into a self-describing model directory, and loading it to search.

``<dir>/`` is what searches load, written only when training completes (so a running server keeps
its old model until a new one is whole): ``model.json`` (what the model is: embedder, docid
settings, network, training plan and its outcome), ``papers.json`` (paper ids in document order),
``docids.npz`` and ``weights.pt``.

``<dir>-training/`` holds an unfinished run: its fingerprint, the docid tree, the pseudo-queries
and the checkpoint. Re-running with the same inputs resumes; other inputs (new papers, other
settings) start over. ``<dir>-query-embeddings/`` keeps the queries' embeddings in chunks named by
their content, so neither an interruption nor a change of settings embeds them twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import orjson

from papersift.embeddings.base import Embedder
from papersift.indexes.dsi.docids import DocidTree, build_docids
from papersift.indexes.dsi.pseudo_queries import PseudoQuery, QueryPlan, pseudo_queries

if TYPE_CHECKING:
    from papersift.indexes.dsi.network import NetworkShape
    from papersift.indexes.dsi.training import Examples, TrainingPlan

FORMAT = 1
EMBED_CHUNK = 4096


def _default_shape() -> NetworkShape:
    from papersift.indexes.dsi.network import NetworkShape

    return NetworkShape(dimension=0, dropout=0.0)


@dataclass(frozen=True)
class DSIOptions:
    branching: int = 10
    leaf_size: int = 100
    # The decoder's sizes; the dimension is the embedder's, filled in when training starts.
    # No dropout by default: the model must memorise the corpus, and on a CPU dropout costs a
    # quarter of the training time.
    network: NetworkShape = field(default_factory=_default_shape)
    queries: QueryPlan = field(default_factory=QueryPlan)
    epochs: int = 10
    batch_size: int = 512
    learning_rate: float = 2e-3
    seed: int = 0

    def fingerprint_fields(self) -> dict[str, Any]:
        """Everything that shapes the model except the number of epochs (which may grow)."""
        fields = asdict(self)
        fields.pop("epochs")
        return fields


@dataclass(frozen=True)
class CorpusDocument:
    paper_id: str
    title: str
    abstract: str


@dataclass
class DSIReport:
    documents: int
    edges: int
    depth: int
    queries: dict[str, int]
    parameters: int
    epochs: int
    seconds: float
    epoch_losses: list[float]
    resumed_at_step: int | None
    directory: Path

    def summary(self) -> str:
        made = ", ".join(f"{count:,} {kind}" for kind, count in sorted(self.queries.items()))
        resumed = f" (resumed at step {self.resumed_at_step:,})" if self.resumed_at_step else ""
        loss = f", final loss {self.epoch_losses[-1]:.3f}" if self.epoch_losses else ""
        return (
            f"DSI over {self.documents:,} papers: {self.edges:,} docid tokens, ids of up to "
            f"{self.depth} tokens, {self.parameters / 1e6:.1f}M parameters; training examples: "
            f"{made}. {self.epochs} epochs in {self.seconds:.0f} s{resumed}{loss}. "
            f"Saved to {self.directory}"
        )


def train_index(
    documents: Sequence[CorpusDocument],
    vectors: npt.NDArray[np.float32],
    embedder: Embedder,
    directory: Path,
    options: DSIOptions,
    *,
    extra_queries: Sequence[tuple[int, str]] = (),
    restart: bool = False,
    progress: bool = False,
) -> DSIReport:
    """Build docids, make and embed the queries, train (or resume), then publish ``directory``.

    ``vectors`` are the documents' embeddings by ``embedder``; ``extra_queries`` are real training
    queries as (document position, text), e.g. a collection's train split.
    """
    import torch

    from papersift.indexes.dsi.network import DSINetwork, parameter_count
    from papersift.indexes.dsi.training import fit

    if len(documents) != len(vectors) or not documents:
        raise ValueError("train_index needs one vector per document, and some documents")
    work = directory.with_name(directory.name + "-training")
    fingerprint = _fingerprint(documents, embedder.identity, options, extra_queries)
    _prepare(work, fingerprint, restart)
    tree = _docids(work, vectors, options)
    queries = _queries(work, documents, options, extra_queries)
    cache = directory.with_name(directory.name + "-query-embeddings")
    examples = _examples(vectors, queries, _embedded(cache, queries, embedder, progress))
    torch.manual_seed(options.seed)
    network = DSINetwork(replace(options.network, dimension=int(vectors.shape[1])), tree)
    plan = _plan(options)
    fitted = fit(network, tree, examples, plan, work / "checkpoint.pt", progress=progress)
    kinds = Counter(q.kind for q in queries)
    kinds["document"] = len(documents)
    report = DSIReport(
        documents=len(documents),
        edges=tree.edges,
        depth=tree.depth,
        queries=dict(kinds),
        parameters=parameter_count(network),
        epochs=fitted.epochs_done,
        seconds=fitted.seconds,
        epoch_losses=fitted.epoch_losses,
        resumed_at_step=fitted.resumed_at_step,
        directory=directory,
    )
    meta = _description(report, options, network.shape, plan, embedder.identity, fingerprint)
    _publish(directory, work, meta, [d.paper_id for d in documents], network)
    return report


def _examples(
    vectors: npt.NDArray[np.float32], queries: list[PseudoQuery], query_vectors: Any
) -> Examples:
    """Indexing examples (each document's own embedding) then the retrieval ones (queries)."""
    from papersift.indexes.dsi.training import Examples

    docs = np.array([q.doc for q in queries], dtype=np.int64)
    return Examples(
        np.concatenate([vectors.astype(np.float32), query_vectors]),
        np.concatenate([np.arange(len(vectors), dtype=np.int64), docs]),
    )


def _plan(options: DSIOptions) -> TrainingPlan:
    from papersift.indexes.dsi.training import TrainingPlan

    return TrainingPlan(
        epochs=options.epochs,
        batch_size=options.batch_size,
        learning_rate=options.learning_rate,
        seed=options.seed,
    )


def _description(
    report: DSIReport,
    options: DSIOptions,
    shape: NetworkShape,
    plan: TrainingPlan,
    identity: str,
    fingerprint: str,
) -> dict[str, Any]:
    """What ``model.json`` says about the model."""
    return {
        "format": FORMAT,
        "kind": "papersift DSI model",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "embedder": identity,
        "fingerprint": fingerprint,
        "documents": report.documents,
        "docids": {
            "branching": options.branching,
            "leaf_size": options.leaf_size,
            "tokens": report.edges,
            "max_length": report.depth,
        },
        "network": shape.to_dict(),
        "parameters": report.parameters,
        "queries": {"plan": asdict(options.queries), "counts": report.queries},
        "training": {
            **plan.to_dict(),
            "epochs_done": report.epochs,
            "seconds": round(report.seconds, 1),
            "epoch_losses": [round(x, 4) for x in report.epoch_losses],
        },
    }


def _fingerprint(
    documents: Sequence[CorpusDocument],
    identity: str,
    options: DSIOptions,
    extra_queries: Sequence[tuple[int, str]],
) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(orjson.dumps([FORMAT, identity, options.fingerprint_fields()]))
    for document in documents:
        digest.update(orjson.dumps([document.paper_id, document.title, document.abstract]))
    digest.update(orjson.dumps(list(extra_queries)))
    return digest.hexdigest()


def _prepare(work: Path, fingerprint: str, restart: bool) -> None:
    stamp = work / "fingerprint"
    if not restart and stamp.exists() and stamp.read_text() == fingerprint:
        return
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    stamp.write_text(fingerprint)


def _docids(work: Path, vectors: npt.NDArray[np.float32], options: DSIOptions) -> DocidTree:
    path = work / "docids.npz"
    if path.exists():
        return DocidTree.load(path)
    tree = build_docids(
        vectors, branching=options.branching, leaf_size=options.leaf_size, seed=options.seed
    )
    _atomic(path, lambda partial: tree.save(partial))
    return tree


def _queries(
    work: Path,
    documents: Sequence[CorpusDocument],
    options: DSIOptions,
    extra_queries: Sequence[tuple[int, str]],
) -> list[PseudoQuery]:
    path = work / "queries.json"
    if path.exists():
        return [PseudoQuery(*row) for row in orjson.loads(path.read_bytes())]
    made = pseudo_queries([(d.title, d.abstract) for d in documents], options.queries, options.seed)
    made += [PseudoQuery(doc, "train query", text) for doc, text in extra_queries]
    rows = [[q.doc, q.kind, q.text] for q in made]
    _atomic(path, lambda partial: partial.write_bytes(orjson.dumps(rows)))
    return made


def _embedded(cache: Path, queries: list[PseudoQuery], embedder: Embedder, progress: bool) -> Any:
    """Embeddings of ``texts``, computed in chunks that are saved as they finish, under names
    from their content: an interrupted run, or a run with other settings over the same papers,
    embeds only what it has not embedded before. Chunks this run did not use are removed."""
    from tqdm import tqdm

    texts = [query.text for query in queries]
    cache.mkdir(parents=True, exist_ok=True)
    chunks, used = [], set()
    with tqdm(
        total=len(texts), desc="embedding queries", unit=" queries", disable=not progress
    ) as bar:
        for start in range(0, len(texts), EMBED_CHUNK):
            part = texts[start : start + EMBED_CHUNK]
            path = cache / f"{_chunk_name(embedder.identity, part)}.npy"
            used.add(path.name)
            if path.exists():
                chunk = np.load(path)
            else:
                chunk = embedder.embed(part, batch_size=64).astype(np.float16)
                _atomic(path, lambda partial, c=chunk: _save_npy(partial, c))
            chunks.append(chunk)
            bar.update(len(part))
    for stale in cache.glob("*.npy"):
        if stale.name not in used:
            stale.unlink()
    if not chunks:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32)


def _chunk_name(identity: str, texts: list[str]) -> str:
    return hashlib.blake2b(orjson.dumps([identity, texts]), digest_size=16).hexdigest()


def _save_npy(path: Path, array: Any) -> None:
    with path.open("wb") as handle:
        np.save(handle, array)


def _atomic(path: Path, write: Any) -> None:
    partial = path.with_name(path.name + ".partial")
    write(partial)
    os.replace(partial, path)


def _publish(
    directory: Path, work: Path, meta: dict[str, Any], paper_ids: list[str], network: Any
) -> None:
    """Write the searchable model next to ``directory`` and swap it in."""
    import torch

    fresh = directory.with_name(directory.name + "-new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    shutil.copyfile(work / "docids.npz", fresh / "docids.npz")
    (fresh / "papers.json").write_bytes(orjson.dumps(paper_ids))
    torch.save(network.state_dict(), fresh / "weights.pt")
    (fresh / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    retired = directory.with_name(directory.name + "-old")
    shutil.rmtree(retired, ignore_errors=True)
    if directory.exists():
        os.replace(directory, retired)
    os.replace(fresh, directory)
    shutil.rmtree(retired, ignore_errors=True)


class DSIModel:
    """A trained DSI model loaded for searching."""

    def __init__(self, directory: Path) -> None:
        import torch

        from papersift.indexes.dsi.network import DSINetwork, NetworkShape

        self.directory = directory
        self.meta: dict[str, Any] = json.loads((directory / "model.json").read_text())
        if self.meta.get("format") != FORMAT:
            raise ValueError(
                f"{directory}: DSI model format {self.meta.get('format')} "
                f"is not {FORMAT}; retrain with papersift dsi train"
            )
        self.paper_ids: list[str] = orjson.loads((directory / "papers.json").read_bytes())
        self.tree = DocidTree.load(directory / "docids.npz")
        self.network = DSINetwork(NetworkShape(**self.meta["network"]), self.tree)
        self.network.load_state_dict(torch.load(directory / "weights.pt", weights_only=True))
        self.network.eval()
        self.loaded_at = time.time()

    @property
    def embedder_identity(self) -> str:
        return str(self.meta["embedder"])

    def search(self, query: npt.NDArray[np.float32], k: int, beam: int) -> list[tuple[str, float]]:
        """The ``k`` best papers for a query embedding, as (paper id, log-probability)."""
        import torch

        from papersift.indexes.dsi.decoding import beam_search

        found = beam_search(
            self.network,
            self.tree,
            torch.from_numpy(np.asarray(query, dtype=np.float32)),
            beam=max(beam, k),
            k=k,
        )
        return [(self.paper_ids[doc], score) for doc, score in found]
