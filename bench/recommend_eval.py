"""Offline evaluation of recommendations: the per-user model against nearest neighbours and
popularity, on users simulated from the arXiv sample and the seed papers.

Each simulated user has an interest, a cut-off date and a library:

* **1 category**: papers listing one arXiv category (in any position) among the mid-sized ones,
  those of 0.4% to 4% of the sample (cs.RO, cs.IR, cs.SD, ...: cs.CV, CL, AI and LG would each
  match a third of a window or more). The library is 5 to 60 (log-uniform) such papers listed
  in the 90 days before the cut-off.
* **2 categories**: the same, with papers of either of two mid-sized categories.
* **seed topic**: a random 70% of the seed papers whose title matches one topic's pattern
  (``TOPICS``: diffusion, quantization, ...; topics with at least 8 seed papers), older papers the
  user imported. A paper of the window is of the topic when its title matches the pattern.

Held out are the papers of the user's interest listed in the ``--window-days`` (7) after the
cut-off; the candidates are *all* the sample's papers of those days (about 1,000: a
needle-in-a-haystack ranking). A user with fewer than 5 held-out papers is drawn again.

Systems, each ranking every user's candidates:

* **per-user model**: ``train_user_model`` on the library against recent papers sampled with
  ``sample_negatives`` from a pool of 1,500 of the sample's papers listed in the 30 days before
  the cut-off (some of them are of the user's interest, as in production).
  "+ dislikes" adds simulated explicit dislikes: the papers not of the user's interest among the
  50 pool papers nearest to the library (what a nearest-neighbour feed would have shown), at most
  10 of them.
* **nearest neighbours**: candidates by cosine similarity to the library
  (``nearest_neighbour_scores``), the mean of the 3 nearest library papers ("top3"), which beat
  the nearest one ("max") and the mean over the library on the validation users.
* **popularity**: simulated community votes, as the sample has no votes. Every *other* simulated
  user of the run upvotes each paper of their own interest with probability 0.3; candidates are
  ranked by votes, ties at random. A paper is popular when many readers follow its categories
  or topic: the same ranking for everyone, as a trending page shows.

Measures: P@10 and nDCG@10 of the held-out papers (ir-measures), averaged over users.

Choices were made with ``--split validation --grid``: users with cut-offs in 2025-07..2025-12.
The reported users (``--split test``, the default) have cut-offs in 2026-01..2026-06 and informed
no choice.

Vectors are papersift's embeddings of ``document_text`` (``--embedder``, default the configured
backend: onnx-int8 when installed), cached by text hash in ``<data dir>/bench/recommend/`` so a
re-run embeds nothing; ``--vectors-from DATA_DIR`` reuses the embeddings stored in another
papersift data directory (opened read-only) when embedder and text hash match.

Usage: python -m bench.recommend_eval [--data-dir DIR] [--users N] [--seed S] [--json OUT]
       [--embedder auto|onnx-int8|torch|static] [--vectors-from DATA_DIR]
       [--split test|validation] [--grid]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import math
import os
import random
import re
import sqlite3
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ir_measures
import numpy as np
import numpy.typing as npt
import orjson
from ir_measures import P, nDCG

from bench.common import SAMPLE, SHARED_DATA, peak_rss_mb, require
from papersift.embeddings import document_text, load_embedder
from papersift.features.recommend import (
    DEFAULT_C,
    DEFAULT_MIN_SIMILARITY,
    DEFAULT_SAMPLED_NEGATIVES,
    Reduce,
    explain_many,
    nearest_neighbour_scores,
    popularity_scores,
    sample_negatives,
    train_user_model,
)
from papersift.model import Paper
from papersift.settings import load_settings
from papersift.sources import Malformed
from papersift.sources.jsonl import read_jsonl
from papersift.store.embeddings import text_hash

SEEDS = SHARED_DATA / "seed-papers.jsonl"
SPLITS = {
    "validation": (date(2025, 7, 1), date(2025, 12, 10)),
    "test": (date(2026, 1, 12), date(2026, 6, 20)),
}
CUTOFFS_PER_SPLIT = 5
LIBRARY_DAYS = 90
LIBRARY_SIZES = (5, 60)
TOPIC_LIBRARY_SHARE = 0.7
MIN_SEED_MATCHES = 8
MID_CATEGORY_SHARE = (0.004, 0.04)
MIN_HELD_OUT = 5
RECENT_DAYS = 30
RECENT_POOL = 1500
VOTE_RATE = 0.3
DISLIKE_DEPTH = 50
MAX_DISLIKES = 10
# The neighbours' reduction: on the validation users (onnx-int8), nDCG@10 0.311 for top3,
# 0.305 for mean and 0.251 for max.
NN_REDUCE: Reduce = "top3"
USER_TYPES = ("1 category", "2 categories", "seed topic")
TOPICS = {
    "diffusion models": r"\bdiffusion\b",
    "quantization": r"quanti[sz]",
    "contrastive learning": r"contrastive",
    "adversarial robustness": r"adversarial",
    "audio and speech": r"\b(audio|speech|music|sound)\b",
    "distillation": r"distill",
    "pruning and sparsity": r"\bprun|\bsparse\b|sparsity",
    "self-supervised learning": r"self-supervised|masked (image|autoencod)",
    "super-resolution": r"super-resolution",
    "continual learning": r"continual|incremental learning",
}
MEASURES = {"P@10": P @ 10, "nDCG@10": nDCG @ 10}
Matrix = npt.NDArray[np.float32]
Vectors = dict[str, Matrix]
System = Callable[["User"], npt.NDArray[np.float32]]


@dataclass(frozen=True)
class Interest:
    kind: str
    name: str
    categories: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None

    def matches(self, paper: Paper) -> bool:
        if self.pattern is not None:
            return bool(self.pattern.search(paper.title))
        return not self.categories.isdisjoint(paper.categories)


@dataclass
class User:
    id: str
    interest: Interest
    cutoff: date
    library: list[str]
    candidates: list[str]
    held_out: set[str]
    negatives: list[str] = field(default_factory=list)
    dislikes: list[str] = field(default_factory=list)


@dataclass
class Corpus:
    papers: dict[str, Paper]  # the sample's and the seed papers
    by_day: dict[date, list[str]]  # the sample's papers by listing day
    seeds: list[Paper]

    def listed(self, start: date, end: date) -> list[str]:
        """Ids of the sample's papers listed on days in [start, end)."""
        return [i for day in sorted(self.by_day) if start <= day < end for i in self.by_day[day]]


def read_papers(path: Path) -> list[Paper]:
    return [r for r in read_jsonl(require(path)) if not isinstance(r, Malformed)]


def load_corpus() -> Corpus:
    sample = [p for p in read_papers(SAMPLE) if p.listed is not None]
    by_day: dict[date, list[str]] = defaultdict(list)
    for paper in sample:
        assert paper.listed is not None
        by_day[paper.listed].append(paper.id)
    seeds = read_papers(SEEDS)
    return Corpus({p.id: p for p in [*sample, *seeds]}, dict(by_day), seeds)


def mid_categories(corpus: Corpus) -> list[str]:
    counts = Counter(
        c for day in corpus.by_day.values() for i in day for c in corpus.papers[i].categories
    )
    total = sum(len(day) for day in corpus.by_day.values())
    low, high = (share * total for share in MID_CATEGORY_SHARE)
    return sorted(c for c, n in counts.items() if low <= n <= high)


def topic_interests(corpus: Corpus) -> list[Interest]:
    interests = []
    for name, pattern in TOPICS.items():
        interest = Interest("seed topic", name, pattern=re.compile(pattern, re.IGNORECASE))
        if sum(interest.matches(p) for p in corpus.seeds) >= MIN_SEED_MATCHES:
            interests.append(interest)
    return interests


def choose_cutoffs(corpus: Corpus, split: str, rng: random.Random) -> list[date]:
    """A listing day at random in each of ``CUTOFFS_PER_SPLIT`` equal parts of the split."""
    start, end = SPLITS[split]
    part = (end - start) / CUTOFFS_PER_SPLIT
    days = sorted(corpus.by_day)
    cutoffs = []
    for number in range(CUTOFFS_PER_SPLIT):
        low, high = start + number * part, start + (number + 1) * part
        cutoffs.append(rng.choice([d for d in days if low <= d < high]))
    return cutoffs


def simulate_users(
    corpus: Corpus, split: str, count: int, seed: int, window_days: int
) -> tuple[list[User], dict[date, list[str]]]:
    """``count`` users (the three types in turn) and each cut-off's pool of recent papers."""
    rng = random.Random(f"{seed}:{split}")
    cutoffs = choose_cutoffs(corpus, split, rng)
    pools = {
        c: sorted(rng.sample(corpus.listed(c - timedelta(days=RECENT_DAYS), c), RECENT_POOL))
        for c in cutoffs
    }
    windows = {c: corpus.listed(c, c + timedelta(days=window_days)) for c in cutoffs}
    categories, topics = mid_categories(corpus), topic_interests(corpus)
    users = []
    for number in range(count):
        kind = USER_TYPES[number % len(USER_TYPES)]
        for _attempt in range(1000):
            user = _draw_user(corpus, kind, categories, topics, windows, rng)
            if user is not None:
                break
        else:
            raise RuntimeError(f"could not simulate a {kind} user")
        user.id = f"{split}-{number:03d}"
        users.append(user)
    return users, pools


def _draw_user(
    corpus: Corpus,
    kind: str,
    categories: list[str],
    topics: list[Interest],
    windows: dict[date, list[str]],
    rng: random.Random,
) -> User | None:
    cutoff = rng.choice(sorted(windows))
    if kind == "seed topic":
        interest = rng.choice(topics)
        matching = [p.id for p in corpus.seeds if interest.matches(p)]
        size = max(MIN_SEED_MATCHES, round(TOPIC_LIBRARY_SHARE * len(matching)))
        library = rng.sample(matching, size)
    else:
        chosen = rng.sample(categories, 1 if kind == "1 category" else 2)
        interest = Interest(kind, " + ".join(chosen), categories=frozenset(chosen))
        before = corpus.listed(cutoff - timedelta(days=LIBRARY_DAYS), cutoff)
        matching = [i for i in before if interest.matches(corpus.papers[i])]
        size = round(math.exp(rng.uniform(*(math.log(s) for s in LIBRARY_SIZES))))
        if len(matching) < size:
            return None
        library = rng.sample(matching, size)
    candidates = windows[cutoff]
    held_out = {i for i in candidates if interest.matches(corpus.papers[i])}
    if len(held_out) < MIN_HELD_OUT:
        return None
    return User("", interest, cutoff, sorted(library), candidates, held_out)


class VectorCache:
    """Embeddings of ``document_text`` by paper for one embedder, in an .npz file, by text hash."""

    def __init__(self, folder: Path, backend: str, model: str, models_dir: Path) -> None:
        self.embedder = load_embedder(backend, model, cache_dir=models_dir)
        self.identity = self.embedder.identity
        self.path = folder / f"vectors-{re.sub(r'[^A-Za-z0-9_.-]+', '_', self.identity)}.npz"
        self.vectors: dict[str, tuple[str, Matrix]] = {}
        if self.path.exists():
            with np.load(self.path) as data:
                rows = zip(data["ids"], data["hashes"], data["vectors"], strict=True)
                self.vectors = {str(i): (str(h), v) for i, h, v in rows}
        self.embedded = self.reused = 0

    def get(self, papers: Sequence[Paper], vectors_from: Path | None) -> Vectors:
        texts = {p.id: document_text(p) for p in papers}
        hashes = {i: text_hash(t) for i, t in texts.items()}
        missing = [i for i in texts if self.vectors.get(i, ("",))[0] != hashes[i]]
        if missing and vectors_from is not None:
            stored = self._stored(vectors_from, missing, hashes)
            self.vectors.update((i, (hashes[i], v)) for i, v in stored.items())
            self.reused += len(stored)
            missing = [i for i in missing if i not in stored]
            self._save()
        if missing:
            print(f"embedding {len(missing):,} papers with {self.identity} ...", flush=True)
        for start in range(0, len(missing), 2000):
            chunk = missing[start : start + 2000]
            vectors = self.embedder.embed([texts[i] for i in chunk], batch_size=32)
            self.vectors.update((i, (hashes[i], v)) for i, v in zip(chunk, vectors, strict=True))
            self.embedded += len(chunk)
            self._save()  # an interrupted run keeps what it embedded
            print(f"  {start + len(chunk):,}/{len(missing):,}", flush=True)
        return {i: self.vectors[i][1] for i in texts}

    def _stored(self, data_dir: Path, ids: list[str], hashes: dict[str, str]) -> Vectors:
        """The vectors stored in a papersift data dir for this embedder and text (read-only)."""
        database = require(data_dir / "papersift.db")
        found: Vectors = {}
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = connection.execute(
                    "SELECT paper_id, text_hash, vector FROM paper_embeddings "
                    f"WHERE model = ? AND paper_id IN ({','.join('?' * len(chunk))})",
                    [self.identity, *chunk],
                )
                for paper_id, digest, blob in rows:
                    if digest == hashes[paper_id]:
                        found[paper_id] = np.frombuffer(blob, dtype=np.float32).copy()
        finally:
            connection.close()
        return found

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ids = sorted(self.vectors)
        temporary = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(
            temporary,
            ids=np.array(ids),
            hashes=np.array([self.vectors[i][0] for i in ids]),
            vectors=np.vstack([self.vectors[i][1] for i in ids]).astype(np.float32),
        )
        os.replace(temporary, self.path)


def coin(*parts: str) -> float:
    """A deterministic uniform number in [0, 1) from ``parts``."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def community_votes(
    users: list[User], papers: dict[str, Paper], paper_ids: Iterable[str], seed: int
) -> dict[str, set[str]]:
    """Per paper, the users who upvote it: each paper of their interest w.p. ``VOTE_RATE``."""
    voters: dict[str, set[str]] = defaultdict(set)
    for paper_id in set(paper_ids):
        for user in users:
            matches = user.interest.matches(papers[paper_id])
            if matches and coin(str(seed), "vote", user.id, paper_id) < VOTE_RATE:
                voters[paper_id].add(user.id)
    return voters


def draw_negatives(users: list[User], pools: dict[date, list[str]], count: int, seed: int) -> None:
    for user in users:
        user.negatives = sample_negatives(
            pools[user.cutoff], user.library, count, seed=f"{seed}:{user.id}"
        )


def simulate_dislikes(
    user: User, pool: list[str], vectors: Vectors, papers: dict[str, Paper]
) -> None:
    """The papers not of the user's interest among the pool's nearest to their library."""
    shown_from = sorted(set(pool) - set(user.library))
    scores = nearest_neighbour_scores(
        stack(vectors, shown_from), stack(vectors, user.library), reduce=NN_REDUCE
    )
    shown = [shown_from[j] for j in np.argsort(-scores, kind="stable")[:DISLIKE_DEPTH]]
    user.dislikes = [i for i in shown if not user.interest.matches(papers[i])][:MAX_DISLIKES]


def stack(vectors: Vectors, ids: Sequence[str]) -> Matrix:
    return np.vstack([vectors[i] for i in ids])


def model_system(
    vectors: Vectors, seed: int, *, c: float = DEFAULT_C, dislikes: bool = False
) -> System:
    def scores(user: User) -> npt.NDArray[np.float32]:
        negatives = user.negatives + [
            i for i in user.dislikes if dislikes and i not in user.negatives
        ]
        model = train_user_model(
            stack(vectors, user.library), stack(vectors, negatives), seed=seed, c=c
        )
        return model.score(stack(vectors, user.candidates))

    return scores


def neighbours_system(vectors: Vectors, reduce: Reduce = NN_REDUCE) -> System:
    def scores(user: User) -> npt.NDArray[np.float32]:
        return nearest_neighbour_scores(
            stack(vectors, user.candidates), stack(vectors, user.library), reduce=reduce
        )

    return scores


def popularity_system(voters: dict[str, set[str]], seed: int) -> System:
    def scores(user: User) -> npt.NDArray[np.float32]:
        votes = {i: float(len(voters.get(i, set()) - {user.id})) for i in user.candidates}
        ties = {i: coin(str(seed), "tie", user.id, i) for i in user.candidates}
        return popularity_scores(user.candidates, votes, tie_break=ties)

    return scores


def evaluate(users: list[User], system: System) -> dict[str, dict[str, float]]:
    """Mean P@10 and nDCG@10 per user type and over all users ("all")."""
    per_user = per_user_measures(users, system)
    groups: dict[str, list[str]] = defaultdict(list)
    for user in users:
        groups[user.interest.kind].append(user.id)
        groups["all"].append(user.id)
    return {
        group: {m: statistics.fmean(per_user[u][m] for u in ids) for m in MEASURES}
        for group, ids in groups.items()
    }


def per_user_measures(users: list[User], system: System) -> dict[str, dict[str, float]]:
    qrels = {u.id: dict.fromkeys(u.held_out, 1) for u in users}
    run = {}
    for user in users:
        run[user.id] = dict(zip(user.candidates, map(float, system(user)), strict=True))
    names = {str(measure): name for name, measure in MEASURES.items()}
    per_user: dict[str, dict[str, float]] = defaultdict(dict)
    for metric in ir_measures.iter_calc(list(MEASURES.values()), qrels, run):
        per_user[metric.query_id][names[str(metric.measure)]] = float(metric.value)
    return per_user


def paired_bootstrap(
    users: list[User], better: System, other: System, seed: int, resamples: int = 2000
) -> dict[str, list[float]]:
    """95% bootstrap intervals (resampling users) of the mean difference, per measure."""
    first, second = per_user_measures(users, better), per_user_measures(users, other)
    generator = np.random.default_rng(seed)
    intervals = {}
    for measure in MEASURES:
        differences = np.array([first[u.id][measure] - second[u.id][measure] for u in users])
        means = differences[generator.integers(0, len(users), (resamples, len(users)))].mean(1)
        low, high = np.percentile(means, [2.5, 97.5])
        intervals[measure] = [
            round(float(differences.mean()), 4),
            round(float(low), 4),
            round(float(high), 4),
        ]
    return intervals


def explanation_stats(users: list[User], vectors: Vectors, seed: int) -> dict[str, float]:
    """How the per-user model's top 10 are explained at ``DEFAULT_MIN_SIMILARITY``."""
    sizes, firsts, hits_first = [], [], []
    system = model_system(vectors, seed)
    for user in users:
        top = [user.candidates[j] for j in np.argsort(-system(user))[:10]]
        found = explain_many(stack(vectors, top), stack(vectors, user.library), user.library)
        for paper_id, explanation in zip(top, found, strict=True):
            sizes.append(len(explanation))
            firsts.append(explanation[0][1])
            if paper_id in user.held_out:
                hits_first.append(explanation[0][1])
    return {
        "min_similarity": DEFAULT_MIN_SIMILARITY,
        "mean_papers": statistics.fmean(sizes),
        "share_with_3": sizes.count(3) / len(sizes),
        "share_with_1": sizes.count(1) / len(sizes),
        "median_best_cosine": statistics.median(firsts),
        "median_best_cosine_of_hits": statistics.median(hits_first) if hits_first else math.nan,
    }


def training_ms(users: list[User], vectors: Vectors, seed: int) -> float:
    """Median milliseconds to train one user's model (not a benchmark: a shared machine)."""
    seconds = []
    for user in users:
        positives, negatives = stack(vectors, user.library), stack(vectors, user.negatives)
        started = time.perf_counter()
        train_user_model(positives, negatives, seed=seed)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def grid(
    users: list[User],
    vectors: Vectors,
    pools: dict[date, list[str]],
    papers: dict[str, Paper],
    seed: int,
) -> dict[str, dict[str, dict[str, float]]]:
    """The choices, on validation users only: neighbours' reduction, C x sampled negatives,
    a linear SVM instead of logistic regression, TF-IDF features beside the embeddings."""
    found: dict[str, dict[str, dict[str, float]]] = {}

    def report(name: str, system: System) -> None:
        found[name] = result = evaluate(users, system)
        by_type = "  ".join(f"{t} {result[t]['nDCG@10']:.3f}" for t in USER_TYPES)
        print(f"  {name:<36} nDCG@10 {result['all']['nDCG@10']:.4f} ({by_type})", flush=True)

    reductions: tuple[Reduce, ...] = ("max", "mean", "top3")
    for reduce in reductions:
        report(f"nearest neighbours {reduce}", neighbours_system(vectors, reduce))
    for negatives in (100, 300, 1000):
        draw_negatives(users, pools, negatives, seed)
        for c in (0.3, 1.0, 3.0, 10.0, 30.0, 100.0):
            report(f"logistic C={c:g} negatives={negatives}", model_system(vectors, seed, c=c))
    try:
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC
    except ImportError:
        print("  (scikit-learn not installed: no SVM or TF-IDF comparison)")
        return found
    draw_negatives(users, pools, DEFAULT_SAMPLED_NEGATIVES, seed)

    def training(user: User) -> tuple[list[str], npt.NDArray[np.int8]]:
        ids = user.library + user.negatives
        return ids, np.r_[
            np.ones(len(user.library), np.int8), np.zeros(len(user.negatives), np.int8)
        ]

    for c in (0.01, 0.03, 0.1, 0.3, 1.0):

        def svm(user: User, c: float = c) -> npt.NDArray[np.float32]:
            ids, labels = training(user)
            model = LinearSVC(C=c, class_weight="balanced").fit(stack(vectors, ids), labels)
            return model.decision_function(stack(vectors, user.candidates)).astype(np.float32)

        report(f"linear SVM C={c:g}", svm)
    ids = sorted({i for u in users for i in (*u.library, *u.negatives, *u.candidates)})
    row = {paper_id: number for number, paper_id in enumerate(ids)}
    terms = TfidfVectorizer(sublinear_tf=True, min_df=2, stop_words="english")
    tfidf = terms.fit_transform([document_text(papers[i]) for i in ids]).tocsr()
    for weight in (0.5, 1.0):
        for c in (1.0, 3.0):

            def combined(
                user: User, weight: float = weight, c: float = c
            ) -> npt.NDArray[np.float32]:
                def features(some: list[str]) -> Any:
                    dense = sparse.csr_matrix(stack(vectors, some))
                    return sparse.hstack([dense, weight * tfidf[[row[i] for i in some]]]).tocsr()

                ids, labels = training(user)
                model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
                model.fit(features(ids), labels)
                return model.decision_function(features(user.candidates)).astype(np.float32)

            report(f"logistic + TF-IDF x{weight:g} C={c:g}", combined)
    return found


def table(results: dict[str, dict[str, dict[str, float]]], counts: dict[str, int]) -> str:
    groups = [*USER_TYPES, "all"]
    width = max(len(name) for name in results) + 2
    lines = [
        " " * width + "".join(f"{f'{g} ({counts[g]})':>20}" for g in groups),
        " " * width + "".join(f"{'P@10':>10}{'nDCG@10':>10}" for _ in groups),
    ]
    for name, result in results.items():
        cells = "".join(f"{result[g]['P@10']:>10.3f}{result[g]['nDCG@10']:>10.3f}" for g in groups)
        lines.append(f"{name:<{width}}{cells}")
    return "\n".join(lines)


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Multithreaded BLAS on small matrices crawls on a busy two-core machine; the model's
    matrix-vector products are fastest on one thread."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, help="papersift data dir (vector cache, models)")
    parser.add_argument("--users", type=int, default=150, help="simulated users, a third each type")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--embedder", help="embedding backend (default: the configured one)")
    parser.add_argument(
        "--vectors-from", type=Path, help="reuse another papersift data dir's stored embeddings"
    )
    parser.add_argument("--split", choices=tuple(SPLITS), default="test")
    parser.add_argument("--window-days", type=int, default=7)
    parser.add_argument("--grid", action="store_true", help="the choices' grid (validation only)")
    args = parser.parse_args()
    if args.grid and args.split != "validation":
        parser.error("--grid makes choices: run it with --split validation")

    started = time.perf_counter()
    settings = load_settings(data_dir=args.data_dir, embedder_backend=args.embedder)
    corpus = load_corpus()
    users, pools = simulate_users(corpus, args.split, args.users, args.seed, args.window_days)
    needed = {i for u in users for i in (*u.library, *u.candidates)}
    needed.update(i for pool in pools.values() for i in pool)
    cache = VectorCache(
        settings.data_dir / "bench" / "recommend",
        settings.embedder_backend,
        settings.embedder_model,
        settings.models_dir,
    )
    vectors = cache.get([corpus.papers[i] for i in sorted(needed)], args.vectors_from)
    print(
        f"{len(users)} {args.split} users; vectors of {len(needed):,} papers by {cache.identity} "
        f"({cache.embedded:,} embedded now, {cache.reused:,} from {args.vectors_from}, "
        "the rest cached)",
        flush=True,
    )
    with one_blas_thread():
        draw_negatives(users, pools, DEFAULT_SAMPLED_NEGATIVES, args.seed)
        for user in users:
            simulate_dislikes(user, pools[user.cutoff], vectors, corpus.papers)
        voters = community_votes(
            users, corpus.papers, {i for u in users for i in u.candidates}, args.seed
        )
        systems = {
            "per-user model": model_system(vectors, args.seed),
            "per-user model + dislikes": model_system(vectors, args.seed, dislikes=True),
            f"nearest neighbours ({NN_REDUCE})": neighbours_system(vectors),
            "popularity (simulated votes)": popularity_system(voters, args.seed),
        }
        results = {name: evaluate(users, system) for name, system in systems.items()}
        model, *baselines = (systems[n] for n in systems if n != "per-user model + dislikes")
        names = [n for n in systems if n not in ("per-user model", "per-user model + dislikes")]
        margins = {
            name: paired_bootstrap(users, model, baseline, args.seed)
            for name, baseline in zip(names, baselines, strict=True)
        }
        explanations = explanation_stats(users, vectors, args.seed)
        median_ms = training_ms(users, vectors, args.seed)
        output: dict[str, Any] = {
            "split": args.split,
            "embedder": cache.identity,
            "users": len(users),
            "seed": args.seed,
            "window_days": args.window_days,
            "sampled_negatives": DEFAULT_SAMPLED_NEGATIVES,
            "C": DEFAULT_C,
            "cutoffs": sorted({u.cutoff.isoformat() for u in users}),
            "mean_candidates": statistics.fmean(len(u.candidates) for u in users),
            "mean_held_out": {
                t: statistics.fmean(len(u.held_out) for u in users if u.interest.kind == t)
                for t in USER_TYPES
            },
            "mean_library": {
                t: statistics.fmean(len(u.library) for u in users if u.interest.kind == t)
                for t in USER_TYPES
            },
            "mean_dislikes": statistics.fmean(len(u.dislikes) for u in users),
            "interests": Counter(u.interest.name for u in users),
            "results": results,
            "model_minus_baseline_mean_and_95ci": margins,
            "explanations": explanations,
            "median_training_ms": round(median_ms, 1),
        }
        if args.grid:
            output["grid"] = grid(users, vectors, pools, corpus.papers, args.seed)
    counts = Counter(u.interest.kind for u in users)
    counts["all"] = len(users)
    print()
    print(
        f"Recommendations, {args.split} users: P@10 and nDCG@10 of the held-out papers among "
        f"all ~{output['mean_candidates']:.0f} papers of a {args.window_days}-day window; "
        f"embedder {cache.identity}"
    )
    print(table(results, counts))
    for name, margin in margins.items():
        print(
            f"per-user model minus {name}, all users (mean, 95% bootstrap interval): "
            + ", ".join(f"{m} {d:+.3f} [{lo:+.3f}, {hi:+.3f}]" for m, (d, lo, hi) in margin.items())
        )
    print(
        f"explanations of the model's top 10 (min similarity {DEFAULT_MIN_SIMILARITY}): "
        f"{explanations['mean_papers']:.2f} library papers on average, "
        f"median best cosine {explanations['median_best_cosine']:.2f}; "
        f"median training time {median_ms:.0f} ms per user"
    )
    output["seconds"] = round(time.perf_counter() - started, 1)
    output["peak_rss_mb"] = round(peak_rss_mb(), 1)
    if args.json:
        args.json.write_bytes(orjson.dumps(output, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
