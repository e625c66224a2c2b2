"""Search quality by the kinds of query researchers type: titles, arXiv ids, author names, topics.

Built from the arXiv sample, deterministic under ``--seed``. The store holds ``--papers`` papers
of the sample (a seeded random choice; all of them by default) and the queries are made from it:

  title          a paper's title as written (whitespace tidied): relevant = that paper (and any
                 other paper with the same title, folded)
  title-lower    the title lower-cased
  title-drop     the title less one word (titles of 4 words or more)
  title-nopunct  the title without punctuation (a hyphen or slash becomes a space)
  id             a paper's arXiv id in one of the forms people copy (bare, with a version,
                 arXiv: prefix, abs/pdf/html URLs, surrounding whitespace): relevant = the paper
  author         the name of an author with 3 to 30 papers in the store: relevant = their papers
  topic          SciFact's test claims (its own store, ``--scifact``): relevant = the judged
                 abstracts

Half of ``--titles`` are exact titles, the other half altered (a third each way); the altered
kinds are also reported together as ``title-altered``. For every kind and mode it reports hits@1,
MRR (reciprocal rank of the first relevant paper in the top 100), nDCG@10 and precision@10: the
share of the top 10 that is relevant, out of the most it can be (10, or the number of relevant
papers when fewer: an author's own papers among the first of them).

The semantic modes need the store embedded with the default embedder (onnx-int8), minutes for
5,000 papers on 2 cores: keep ``--papers`` small for them. Stores are kept in ``--work`` and
reused by later runs with the same papers and seed.

Usage: python -m bench.query_kinds [--papers 5000] [--modes bm25,dense,hybrid] [--scifact]
                                   [--titles 1000] [--ids 500] [--authors 300] [--seed 1]
                                   [--json bench/results/query_kinds.json]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ir_measures
import orjson
from ir_measures import RR, Success, nDCG

from bench.common import SAMPLE, SHARED_DATA, require
from papersift.engine import Engine
from papersift.settings import Settings, load_settings
from papersift.text import fold_name

DEFAULT_WORK = Path(os.environ.get("TMPDIR", "/tmp")) / "papersift-query-kinds"
DEPTH = 100
MEASURES = {"hits@1": Success @ 1, "mrr": RR, "ndcg@10": nDCG @ 10}
PRECISION_AT = 10  # precision@10, out of min(10, relevant papers)
COLUMNS = (*MEASURES, "p@10")
TITLE_KINDS = ("title", "title-lower", "title-drop", "title-nopunct")
ALTERED = "title-altered"
KINDS = (*TITLE_KINDS, ALTERED, "id", "author", "topic")
AUTHOR_PAPERS = (3, 30)
# The forms of an arXiv id people paste; {id} is the bare id, {v} a version number.
ID_FORMS = (
    "{id}",
    "{id}v{v}",
    "arXiv:{id}",
    "arXiv:{id}v{v}",
    "https://arxiv.org/abs/{id}",
    "https://arxiv.org/abs/{id}v{v}",
    "https://arxiv.org/pdf/{id}v{v}",
    "http://arxiv.org/pdf/{id}v{v}.pdf",
    "https://arxiv.org/html/{id}v{v}",
    "arxiv.org/abs/{id}",
    "  {id}v{v}\n",
    " arXiv:{id} ",
)
_PUNCTUATION = re.compile(r"[^\w\s]")
_SPLITTING = re.compile(r"[-/]")


@dataclass(frozen=True, slots=True)
class Query:
    kind: str
    text: str
    relevant: dict[str, int]


# corpus and queries ----------------------------------------------------------------------------


def load_sample(path: Path = SAMPLE) -> list[dict[str, Any]]:
    with gzip.open(require(path), "rb") as handle:
        return [orjson.loads(line) for line in handle]


def choose_corpus(
    records: Sequence[dict[str, Any]], papers: int, seed: int
) -> list[dict[str, Any]]:
    """``papers`` records chosen at random under ``seed`` (all of them when there are fewer),
    in the sample's order."""
    if papers >= len(records):
        return list(records)
    chosen = sorted(random.Random(seed).sample(range(len(records)), papers))
    return [records[number] for number in chosen]


def tidy(text: str) -> str:
    return " ".join(text.split())


def alter_title(title: str, kind: str, rng: random.Random) -> str:
    """``title`` as a reader might retype it (see the module's doc for the kinds)."""
    if kind == "title-lower":
        return title.lower()
    if kind == "title-drop":
        words = title.split()
        del words[rng.randrange(len(words))]
        return " ".join(words)
    if kind == "title-nopunct":
        return tidy(_PUNCTUATION.sub("", _SPLITTING.sub(" ", title)))
    return title


def make_queries(
    corpus: Sequence[dict[str, Any]], *, titles: int, ids: int, authors: int, seed: int
) -> list[Query]:
    """The benchmark's title, id and author queries over ``corpus`` (see the module's doc)."""
    rng = random.Random(seed)
    by_title: dict[str, list[str]] = defaultdict(list)
    for record in corpus:
        by_title[fold_name(record["title"])].append(record["id"])
    queries: list[Query] = []
    picked = rng.sample(list(corpus), min(titles, len(corpus)))
    altered = [kind for kind in TITLE_KINDS if kind != "title"]
    for number, record in enumerate(picked):
        title = tidy(record["title"])
        relevant = dict.fromkeys(by_title[fold_name(record["title"])], 1)
        if number % 2 == 0:
            queries.append(Query("title", title, relevant))
            continue
        kind = altered[(number // 2) % len(altered)]
        if kind == "title-drop" and len(title.split()) < 4:
            kind = "title-lower"
        text = alter_title(title, kind, rng)
        if text == title:  # nothing to lower-case or no punctuation: drop a word instead
            kind, text = "title-drop", alter_title(title, "title-drop", rng)
        queries.append(Query(kind, text, relevant))
    for record in rng.sample(list(corpus), min(ids, len(corpus))):
        form = rng.choice(ID_FORMS)
        text = form.format(id=record["id"], v=rng.randint(1, 4))
        queries.append(Query("id", text, {record["id"]: 1}))
    queries.extend(author_queries(corpus, authors, rng))
    return queries


def author_queries(corpus: Sequence[dict[str, Any]], count: int, rng: random.Random) -> list[Query]:
    papers_of: dict[str, set[str]] = defaultdict(set)
    spelling: dict[str, Counter[str]] = defaultdict(Counter)
    for record in corpus:
        for name in record["authors"]:
            key = fold_name(name)
            if len(key.split()) >= 2:  # a bare surname names too many people
                papers_of[key].add(record["id"])
                spelling[key][tidy(name)] += 1
    low, high = AUTHOR_PAPERS
    eligible = sorted(key for key, ids in papers_of.items() if low <= len(ids) <= high)
    chosen = rng.sample(eligible, min(count, len(eligible)))
    return [
        Query("author", spelling[key].most_common(1)[0][0], dict.fromkeys(papers_of[key], 1))
        for key in chosen
    ]


# stores ----------------------------------------------------------------------------------------


def store_settings(folder: Path, *, semantic: bool) -> Settings:
    return Settings(
        data_dir=folder,
        database_url=f"sqlite:///{folder / 'papersift.db'}",
        embedder_backend="onnx-int8" if semantic else "none",
        model_cache_dir=load_settings().models_dir,
    )


def open_store(
    corpus: Sequence[dict[str, Any]], folder: Path, *, semantic: bool, progress: bool = False
) -> Engine:
    """An engine over ``corpus`` in ``folder``: ingested and keyword-indexed once, embedded when
    ``semantic`` (only what is missing, so a kept store is ready at once)."""
    folder.mkdir(parents=True, exist_ok=True)
    engine = Engine(store_settings(folder, semantic=semantic))
    if engine.papers.count() != len(corpus):
        source = folder / "corpus.jsonl"
        source.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in corpus))
        engine.ingest([source], progress=progress)
        source.unlink()
    if engine.pending_index_updates():
        engine.index(semantic=False, progress=progress)
    if semantic and engine.pending_vector_updates():
        engine.index_vectors(progress=progress)
    return engine


def corpus_folder(work: Path, corpus: Sequence[dict[str, Any]], seed: int) -> Path:
    digest = hashlib.blake2b(digest_size=6)
    for record in corpus:
        digest.update(record["id"].encode() + b"\n")
    return work / f"sample-{len(corpus)}-seed{seed}-{digest.hexdigest()}"


# measuring -------------------------------------------------------------------------------------


Rows = dict[str, list[list[float]]]  # per query kind, each query's [hits@1, mrr, ndcg@10, p@10]


def run_queries(engine: Engine, queries: Iterable[Query], mode: str) -> Rows:
    """Each query's measures in ``mode``, by query kind."""
    if mode not in engine.modes:
        raise SystemExit(f"mode {mode} cannot answer on this store (modes: {engine.modes})")
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    kinds: dict[str, str] = {}
    for number, query in enumerate(queries):
        key = str(number)
        hits = engine.search_hits(query.text, k=DEPTH, mode=mode)
        # Scores by rank, so ties never reorder what the engine ranked.
        run[key] = {hit.paper_id: float(DEPTH - rank) for rank, hit in enumerate(hits)}
        qrels[key] = query.relevant
        kinds[key] = query.kind
    return per_kind(qrels, run, kinds)


def per_kind(
    qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]], kinds: dict[str, str]
) -> Rows:
    values: dict[str, dict[str, float]] = defaultdict(dict)
    for metric in ir_measures.iter_calc(list(MEASURES.values()), qrels, run):
        values[metric.query_id][str(metric.measure)] = float(metric.value)
    out: Rows = defaultdict(list)
    names = [str(measure) for measure in MEASURES.values()]
    for key, kind in kinds.items():
        row = [values[key].get(name, 0.0) for name in names]
        row.append(precision(qrels[key], run.get(key, {})))
        out[kind].append(row)
        if kind in TITLE_KINDS and kind != "title":
            out[ALTERED].append(row)
    return out


def precision(relevant: dict[str, int], scores: dict[str, float]) -> float:
    """Relevant papers among the top ``PRECISION_AT`` of a run, out of the most there can be."""
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    if not wanted:
        return 0.0
    top = sorted(scores, key=lambda doc: (-scores[doc], doc))[:PRECISION_AT]
    return sum(doc in wanted for doc in top) / min(PRECISION_AT, len(wanted))


def summarise(rows: Sequence[Sequence[float]]) -> dict[str, float]:
    count = len(rows)
    return {
        name: round(sum(row[column] for row in rows) / count, 4) if count else 0.0
        for column, name in enumerate(COLUMNS)
    } | {"queries": count}


def scifact_rows(mode: str, progress: bool) -> list[list[float]]:
    """SciFact test claims in ``mode``, on the eval cache's SciFact store (see evaluation)."""
    from papersift.evaluation import collection_store, load_collection
    from papersift.evaluation import run_queries as run_collection

    collection = load_collection(require(SHARED_DATA / "scifact"), "test")
    base = load_settings()
    if mode != "bm25":
        base = base.model_copy(update={"embedder_backend": "onnx-int8"})
    with collection_store(collection, base, True) as settings:
        engine = Engine(settings)
        try:
            engine.ingest([collection.corpus], namespace=collection.name, progress=progress)
            if mode != "bm25":
                engine.index_vectors(progress=progress)
            run = run_collection(engine, collection, mode, progress)
        finally:
            engine.close()
    kinds = dict.fromkeys(collection.queries, "topic")
    return per_kind(collection.qrels, run, kinds)["topic"]


def measure(
    *,
    papers: int | None,
    modes: Sequence[str],
    titles: int,
    ids: int,
    authors: int,
    seed: int,
    work: Path,
    scifact: bool = False,
    progress: bool = False,
    sample: Path = SAMPLE,
) -> dict[str, Any]:
    """The benchmark's results: {"setup": ..., "results": {mode: {kind: measures}}}."""
    records = load_sample(sample)
    corpus = choose_corpus(records, papers or len(records), seed)
    queries = make_queries(corpus, titles=titles, ids=ids, authors=authors, seed=seed)
    semantic = any(mode != "bm25" for mode in modes)
    started = time.perf_counter()
    engine = open_store(corpus, corpus_folder(work, corpus, seed), semantic=semantic,
                        progress=progress)  # fmt: skip
    build_seconds = time.perf_counter() - started
    results: dict[str, dict[str, Any]] = {}
    seconds: dict[str, float] = {}
    try:
        for mode in modes:
            started = time.perf_counter()
            rows = run_queries(engine, queries, mode)
            if scifact:
                rows["topic"] = scifact_rows(mode, progress)
            results[mode] = {kind: summarise(rows[kind]) for kind in KINDS if kind in rows}
            seconds[mode] = round(time.perf_counter() - started, 1)
    finally:
        engine.close()
    return {
        "setup": {
            "papers": len(corpus),
            "sample": len(records),
            "seed": seed,
            "queries": dict(Counter(query.kind for query in queries)),
            "embedder": "onnx-int8 all-MiniLM-L6-v2" if semantic else None,
            "depth": DEPTH,
        },
        "results": results,
        "seconds": {"store": round(build_seconds, 1), **seconds},
    }


def table(report: dict[str, Any]) -> str:
    setup = report["setup"]
    lines = [
        f"query kinds on {setup['papers']:,} of the sample's {setup['sample']:,} papers "
        f"(seed {setup['seed']}); topic = SciFact test",
        f"{'kind':<15}{'mode':<8}{'queries':>8}{'hits@1':>9}{'MRR':>9}{'nDCG@10':>9}{'P@10':>9}",
    ]
    for kind in KINDS:
        for mode, kinds in report["results"].items():
            if kind in kinds:
                row = kinds[kind]
                lines.append(
                    f"{kind:<15}{mode:<8}{row['queries']:>8}{row['hits@1']:>9.4f}"
                    f"{row['mrr']:>9.4f}{row['ndcg@10']:>9.4f}{row.get('p@10', 0.0):>9.4f}"
                )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.query_kinds", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--papers", type=int, help="store size (default: the whole sample)")
    parser.add_argument("--modes", default="bm25", help="comma-separated: bm25, dense, hybrid")
    parser.add_argument("--titles", type=int, default=1000)
    parser.add_argument("--ids", type=int, default=500)
    parser.add_argument("--authors", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scifact", action="store_true", help="topic queries: SciFact test")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="stores are kept here")
    parser.add_argument("--json", type=Path, help="add the results to this JSON file")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    report = measure(
        papers=args.papers, modes=args.modes.split(","), titles=args.titles, ids=args.ids,
        authors=args.authors, seed=args.seed, work=args.work, scifact=args.scifact,
        progress=args.progress,
    )  # fmt: skip
    print(table(report))
    if args.json:
        runs = orjson.loads(args.json.read_bytes()) if args.json.exists() else {}
        name = f"{report['setup']['papers']}-papers-{'+'.join(report['results'])}"
        runs[name] = {"command": "python -m bench.query_kinds " + " ".join(sys.argv[1:]), **report}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(runs, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


if __name__ == "__main__":
    main()
