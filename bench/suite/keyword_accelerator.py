"""The keyword accelerator against tantivy and Lucene: its build, then the three keyword paths
timed in one process, interleaved query by query, and how far the accelerated ranking agrees
with tantivy's; SciFact nDCG@10 of both papersift paths.

Interleaving: after a warm-up pass of each system, every query is run by each system in turn
(the order rotating from one query to the next), so that a busy moment of the machine falls
on all of them alike. Lucene is Anserini's SimpleSearcher as ``lucene_peer`` runs it.
Agreement is the mean overlap of the two top-10 lists (Lucene's too, with tantivy's), and the
share of queries whose top 10 is the same list in the same order.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import peak_rss_mb, percentiles
from bench.suite import workload
from bench.suite.context import Context
from papersift.engine import Engine
from papersift.indexes.impact import pisa
from papersift.indexes.keyword import KeywordIndex

K = 10
SCIFACT_DEPTH = 100


def _keyword_dir(context: Context) -> Path:
    return context.settings().index_dir / "keyword"


def _missing() -> str | None:
    """Why the accelerator cannot run here (PISA not installed), or None."""
    try:
        pisa.module()
    except pisa.PisaUnavailable as exc:
        return str(exc)
    return None


def build(context: Context) -> dict[str, Any]:
    """Build the snapshot of the corpus's keyword index (reused while it still matches)."""
    if (reason := _missing()) is not None:
        return {"skipped": reason}
    marker = context.folder / "bench-keyword-accelerator.json"
    fast = KeywordIndex(_keyword_dir(context), accelerator="on")
    if marker.exists() and fast.accelerator().current() is not None:
        return {**json.loads(marker.read_text()), "reused": True}
    fast.accelerator().remove()  # measure a whole build
    engine = Engine(context.settings())
    started = time.perf_counter()
    built = fast.refresh_accelerator(lambda: engine.papers.changed_since(0), progress=True)
    seconds = time.perf_counter() - started
    engine.close()
    if built is None:
        raise SystemExit("the keyword accelerator was not built (is pyterrier-pisa installed?)")
    size = sum(f.stat().st_size for f in fast.accelerator().path.iterdir())
    result = {
        "seconds": seconds,
        "papers": built.documents,
        "terms": built.terms,
        "postings": built.postings,
        "snapshot_mb": size / 2**20,
        "peak_rss_mb": peak_rss_mb(),
    }
    marker.write_text(json.dumps(result, indent=1))
    return {**result, "reused": False}


def interleaved(context: Context) -> dict[str, Any]:
    """Keyword latency of tantivy, the accelerator and Lucene, and top-10 agreement."""
    from bench.suite import lucene_peer

    if (reason := _missing()) is not None:
        return {"skipped": reason}
    queries = workload.queries(context)
    ids = workload.paper_ids(context)
    tantivy = KeywordIndex(_keyword_dir(context), accelerator="off")
    fast = KeywordIndex(_keyword_dir(context), accelerator="on")
    if fast.accelerator().current() is None:
        raise SystemExit("no keyword accelerator snapshot matches the keyword index")
    systems: dict[str, Callable[[str], list[str]]] = {
        "papersift (tantivy)": lambda q: [h.paper_id for h in tantivy.search(q, K)],
        "papersift (accelerated)": lambda q: [h.paper_id for h in fast.search(q, K)],
    }
    lucene = None
    index = context.folder / "lucene"
    if (index / "bench-build.json").exists():
        lucene = lucene_peer.Searcher(index)
        systems["Lucene BM25 (Anserini)"] = lambda q: [ids[int(d)] for d, _ in lucene.search(q, K)]
    names = list(systems)
    for name in names:  # warm-up: JIT, page cache, the snapshot's memory maps
        for query in queries:
            systems[name](query)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    found: dict[str, list[list[str]]] = {name: [] for name in names}
    for n, query in enumerate(queries):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            started = time.perf_counter()
            result = systems[name](query)
            seconds[name].append(time.perf_counter() - started)
            found[name].append(result)
    if lucene is not None:
        lucene.close()
    reference = found["papersift (tantivy)"]
    rows = {
        name: {**percentiles(seconds[name]), **_agreement(found[name], reference)} for name in names
    }
    return {
        "rows": rows,
        "queries": len(queries),
        "answered_by_snapshot": sum(
            fast._accelerated(fast._open(create=False), q, K) is not None for q in queries
        ),
        "peak_rss_mb": peak_rss_mb(),
    }


def _agreement(found: list[list[str]], reference: list[list[str]]) -> dict[str, float]:
    overlap = [len(set(a) & set(b)) / max(len(b), 1) for a, b in zip(found, reference, strict=True)]
    same = [a == b for a, b in zip(found, reference, strict=True)]
    return {
        "top10_overlap": sum(overlap) / len(overlap),
        "same_top10_share": sum(same) / len(same),
    }


def scifact(context: Context) -> dict[str, Any]:
    """SciFact test nDCG@10 and Recall@100 of papersift's keyword search through tantivy and
    through the accelerator (built at any size here: the corpus has 5,183 documents)."""
    from bench.suite.relevance import SCIFACT
    from papersift.evaluation import (
        collection_store,
        evaluate_collection,
        load_collection,
        score_run,
    )

    if (reason := _missing()) is not None:
        return {"skipped": reason}
    collection = load_collection(SCIFACT, "test")
    settings = context.settings(context.work / "scifact-papersift")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # The store and keyword index the relevance stage built (built here if it has not).
    official = evaluate_collection(SCIFACT, mode="bm25", settings=settings, cache=True)
    rows = {"papersift bm25 (papersift eval)": official.metrics}
    with collection_store(collection, settings, cache=True) as store_settings:
        engine = Engine(store_settings)
        path = store_settings.index_dir / "keyword"
        fast = KeywordIndex(path, accelerator="on")
        fast.refresh_accelerator(lambda: engine.papers.changed_since(0))
        documents = engine.papers.count()
        engine.close()
        if fast.accelerator().current() is None:
            raise SystemExit("the SciFact keyword accelerator was not built")
        prefix = f"{collection.name}:"
        for name, index in (
            ("tantivy", KeywordIndex(path, accelerator="off")),
            ("accelerated", fast),
        ):
            run = {
                query_id: {
                    hit.paper_id.removeprefix(prefix): hit.score
                    for hit in index.search(text, SCIFACT_DEPTH)
                }
                for query_id, text in collection.queries.items()
            }
            rows[f"papersift bm25 ({name})"] = score_run(collection, run)
    return {"rows": rows, "queries": len(collection.queries), "documents": documents}
