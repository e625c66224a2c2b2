"""Run one stage of a benchmark run in this process: python -m bench.suite.stage NAME CONTEXT OUT

Called by ``bench.suite.runner``; the stage writes its result, with this process's peak memory
(VmHWM), to OUT as JSON.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import peak_rss_mb
from bench.suite import http_load, papersift_side, relevance, vector_peers, workload
from bench.suite.context import Context


def lucene(context: Context) -> dict[str, Any]:
    from bench.suite import lucene_peer

    index = context.folder / "lucene"
    documents = ((str(n), text) for n, (_, text) in enumerate(workload.document_texts(context)))
    build = lucene_peer.build_index(documents, index)
    return {**build, "search": lucene_peer.latency(index, workload.queries(context))}


def bm25s(context: Context) -> dict[str, Any]:
    from bench.suite import text_peers

    texts = (text for _, text in workload.document_texts(context))
    return text_peers.bm25s_latency(texts, workload.queries(context))


def tfidf(context: Context) -> dict[str, Any]:
    from bench.suite import text_peers

    texts = (text for _, text in workload.document_texts(context))
    return text_peers.tfidf_latency(texts, workload.similar_seeds(context))


def accelerator_build(context: Context) -> dict[str, Any]:
    from bench.suite import keyword_accelerator

    return keyword_accelerator.build(context)


def accelerator_latency(context: Context) -> dict[str, Any]:
    from bench.suite import keyword_accelerator

    return keyword_accelerator.interleaved(context)


def accelerator_scifact(context: Context) -> dict[str, Any]:
    from bench.suite import keyword_accelerator

    return keyword_accelerator.scifact(context)


STAGES: dict[str, Callable[[Context], dict[str, Any]]] = {
    "papersift-keyword": papersift_side.build_keyword,
    "keyword-accelerator": accelerator_build,
    "keyword-interleaved": accelerator_latency,
    "scifact-accelerator": accelerator_scifact,
    "papersift-vectors": papersift_side.build_vectors,
    "exact": vector_peers.exact,
    "usearch": vector_peers.usearch,
    "papersift-search": papersift_side.searches,
    "lucene": lucene,
    "bm25s": bm25s,
    "tfidf": tfidf,
    "http": http_load.measure,
    "scifact": relevance.scifact,
}


def main() -> None:
    name, context_json, out = sys.argv[1:4]
    result = STAGES[name](Context.from_json(context_json))
    result.setdefault("peak_rss_mb", peak_rss_mb())
    Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
