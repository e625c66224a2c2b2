"""The printed tables of ``python -m bench`` and the quick mode's relevance check.

The ratio column is the peer's p50 latency divided by papersift's: above 1 means papersift
answers faster.
"""

from __future__ import annotations

from typing import Any

# SciFact test nDCG@10 of papersift with the static embedder (the benchmark's default), a little
# below what `python -m bench --quick` measured: a drop under these is a relevance regression.
RELEVANCE_FLOORS = {"papersift bm25": 0.68, "papersift dense": 0.38, "papersift hybrid": 0.64}
GB = 1024.0


def _latency(stats: dict[str, float] | None) -> str:
    if not stats:
        return "-"
    return f"{stats['p50_ms']:.2f} / {stats['p99_ms']:.2f}"


def _ratio(peer: dict[str, float] | None, ours: dict[str, float] | None) -> str:
    if not peer or not ours or ours["p50_ms"] <= 0:
        return "-"
    return f"{peer['p50_ms'] / ours['p50_ms']:.2f}x"


def _memory(result: dict[str, Any] | None, key: str = "peak_rss_mb") -> str:
    if not result or result.get(key) is None:
        return "-"
    return f"{result[key] / GB:.2f} GB"


def print_size(papers: int, results: dict[str, Any]) -> None:
    print(f"\n=== {papers:,} papers " + "=" * 60)
    print(_builds(results))
    print()
    print(f"{'latency, ms (p50 / p99)':<44}{'papersift':>18}  {'peer':<28}{'peer':>18}  "
          f"{'peer p50 / ours':>15}")  # fmt: skip
    for label, ours, peers in _latency_rows(results):
        first = True
        for peer_name, peer in peers or [("", None)]:
            left = f"{label:<44}{_latency(ours):>18}" if first else " " * 62
            extra = ""
            if peer and "recall@10" in peer:
                extra = f" r@10 {peer['recall@10']:.3f}"
            peer_text = _latency(peer) + extra if peer_name else ""
            print(f"{left}  {peer_name:<28}{peer_text:>18}  {_ratio(peer, ours):>15}")
            first = False
    print(_interleaved(results.get("keyword-interleaved")))
    search = results.get("papersift-search", {}).get("rows", {})
    if "vector" in search:
        print(f"papersift vector recall@10 vs exact: {search['vector']['recall@10']:.3f}")
    http = results.get("http")
    if http:
        server = (
            f"{_memory(http, 'server_peak_rss_mb')} PSS, of which "
            f"{_memory(http, 'server_peak_anon_mb')} anonymous"
        )
        print(f"\nHTTP, {http['workers']} workers, {http['connections']} connections, "
              f"{http['seconds']:g} s per endpoint; server peak {server}")  # fmt: skip
        for row in http["endpoints"]:
            print(f"  {row['endpoint']:<20} {row['rps']:8.0f} req/s  p50 {row['p50_ms']:7.1f} ms"
                  f"  p99 {row['p99_ms']:7.1f} ms  errors {row['errors']}")  # fmt: skip
    print(_memory_summary(results))


def _builds(results: dict[str, Any]) -> str:
    lines = [f"{'build':<44}{'seconds':>10}{'papers/s':>12}{'peak RSS':>12}"]
    keyword = results.get("papersift-keyword")
    papers = keyword["papers"] if keyword else None

    def line(label: str, seconds: float | None, peak: str, reused: bool = False) -> None:
        rate = f"{papers / seconds:,.0f}" if papers and seconds else "-"
        shown = f"{seconds:,.1f}" if seconds else "-"
        lines.append(
            f"{label:<44}{shown:>10}{rate:>12}{peak:>12}" + (" (reused)" if reused else "")
        )

    if keyword:
        line("papersift ingest + keyword index", keyword["ingest_s"] + keyword["keyword_index_s"],
             _memory(keyword), keyword.get("reused", False))  # fmt: skip
    snapshot = results.get("keyword-accelerator")
    if snapshot and "skipped" not in snapshot:
        line("keyword accelerator snapshot (PISA)", snapshot["seconds"], _memory(snapshot),
             snapshot.get("reused", False))  # fmt: skip
    vectors = results.get("papersift-vectors")
    if vectors:
        line(f"papersift embeddings + vector index ({vectors['embedder']})", vectors["seconds"],
             _memory(vectors), vectors.get("reused", False))  # fmt: skip
    lucene = results.get("lucene")
    if lucene:
        line("Lucene (Anserini) index, 2 threads", lucene["index_s"],
             _memory(lucene, "java_peak_rss_mb"), lucene.get("reused", False))  # fmt: skip
    for name, label in (("bm25s", "bm25s index (in memory)"), ("tfidf", "TF-IDF features")):
        if results.get(name):
            line(label, results[name]["build_s"], _memory(results[name]))
    usearch = results.get("usearch")
    if usearch and usearch.get("build_s"):
        line("usearch HNSW (f16, 2 threads)", usearch["build_s"], "-")
    return "\n".join(lines)


def _latency_rows(
    results: dict[str, Any],
) -> list[tuple[str, dict[str, float] | None, list[tuple[str, dict[str, Any]]]]]:
    rows = results.get("papersift-search", {}).get("rows", {})

    def peer(stage: str, key: str) -> dict[str, Any] | None:
        found = results.get(stage)
        if not found:
            return None
        stats = dict(found[key])
        if "recall@10" in found:
            stats["recall@10"] = found["recall@10"]
        return stats

    def present(*pairs: tuple[str, dict[str, Any] | None]) -> list[tuple[str, dict[str, Any]]]:
        return [(name, stats) for name, stats in pairs if stats]

    return [
        ("keyword search (top 10)", rows.get("keyword"),
         present(("Lucene BM25 (Anserini)", peer("lucene", "search")),
                 ("bm25s", peer("bm25s", "search")))),
        ("keyword search + metadata", rows.get("keyword + metadata"), []),
        ("vector search (top 10)", rows.get("vector"),
         present(("exact numpy", peer("exact", "search")),
                 ("usearch HNSW", peer("usearch", "search")))),
        ("query embedding (corpus embedder)", rows.get("query embedding"), []),
        ("hybrid, excl. query embedding", rows.get("hybrid excl. embedding"), []),
        ("hybrid, incl. query embedding", rows.get("hybrid incl. embedding"), []),
        ("hybrid + onnx-int8 query embedding",
         rows.get("hybrid + default-model query embedding"), []),
        ("similar papers (top 10)", rows.get("similar"),
         present(("TF-IDF brute force (a-s-lite)", peer("tfidf", "similar")))),
    ]  # fmt: skip


def _interleaved(keyword: dict[str, Any] | None) -> str:
    """Keyword search of the systems timed query by query in turn, in one process."""
    if not keyword:
        return ""
    if "skipped" in keyword:
        return f"\nkeyword accelerator skipped: {keyword['skipped']}"
    lines = [
        f"\nkeyword search, interleaved, {keyword['queries']} queries "
        f"({keyword['answered_by_snapshot']} answered by the snapshot)",
        f"  {'system':<28}{'p50 ms':>9}{'p99 ms':>9}{'top-10 overlap':>16}{'same top 10':>13}",
    ]
    for name, row in keyword["rows"].items():
        lines.append(
            f"  {name:<28}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
            f"{row['top10_overlap']:>16.4f}{row['same_top10_share']:>13.3f}"
        )
    return "\n".join(lines)


def _memory_summary(results: dict[str, Any]) -> str:
    peaks = {
        stage: result["peak_rss_mb"]
        for stage, result in results.items()
        if isinstance(result, dict) and "peak_rss_mb" in result
    }
    ours = {k: v for k, v in peaks.items() if k.startswith("papersift")}
    if "http" in results:
        ours["http server"] = results["http"]["server_peak_rss_mb"]
    text = ", ".join(f"{k} {v / GB:.2f} GB" for k, v in sorted(ours.items()))
    peers = ", ".join(
        f"{k} {v / GB:.2f} GB" for k, v in sorted(peaks.items()) if k not in ours and k != "http"
    )
    return f"peak RSS, papersift: {text}\npeak RSS, peers: {peers}"


def print_relevance(relevance: dict[str, Any]) -> None:
    print(f"\n=== SciFact test, {relevance['queries']} queries, "
          f"{relevance['documents']:,} documents " + "=" * 30)  # fmt: skip
    print(f"{'system':<32}{'nDCG@10':>10}{'Recall@100':>12}")
    for name, metrics in relevance["rows"].items():
        print(f"{name:<32}{metrics['ndcg@10']:>10.4f}{metrics['recall@100']:>12.4f}")


def relevance_failures(relevance: dict[str, Any]) -> list[str]:
    failures = []
    for name, floor in RELEVANCE_FLOORS.items():
        got = relevance["rows"].get(name, {}).get("ndcg@10")
        if got is None:
            failures.append(f"{name}: no SciFact result")
        elif got < floor:
            failures.append(f"{name}: SciFact nDCG@10 {got:.4f} fell below {floor}")
    return failures
