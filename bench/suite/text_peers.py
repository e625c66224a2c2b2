"""In-process text peers: bm25s (BM25 on scipy sparse matrices) and arxiv-sanity-lite's TF-IDF
similar papers.

arxiv-sanity-lite (``compute.py``) turns papers into TF-IDF features with scikit-learn: word
unigrams and bigrams, English stopwords, its token pattern, sublinear tf, l2 norm, ``min_df`` 5.
Its defaults are 10,000 features and ``max_df`` 0.5 over title + abstract + author names; this
peer uses 20,000 features and ``max_df`` 0.1 over title + abstract, the settings every figure
in README was measured with (the difference was noticed after the run). The vocabulary is
fitted on the first ``TFIDF_FIT_PAPERS`` papers (counting every bigram of 1M abstracts takes
more memory than the machine is meant to use), then every paper is transformed, in chunks.
Similar papers are scored by brute force over the whole corpus per request: the dot product of
the seed's row with every row (cosine, since rows are unit length), top 10.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.common import peak_rss_mb, percentiles, timed

TFIDF_FIT_PAPERS = 100_000
TFIDF_CHUNK = 50_000
BM25S_CHUNK = 50_000


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class Bm25s:
    """bm25s with its own tokenizer (lowercase, English stopwords, no stemmer), Lucene's BM25
    variant, k1 1.5, b 0.75 (its defaults)."""

    def __init__(self, texts: Iterable[str]) -> None:
        import bm25s

        started = time.perf_counter()
        self._tokenizer = bm25s.tokenization.Tokenizer(stopwords="en", stemmer=None)
        # One int32 array per paper: lists of Python ints would take ~4 GB at 1M papers.
        ids: list[npt.NDArray[np.int32]] = []
        for chunk in _chunks(texts, BM25S_CHUNK):
            tokenized = self._tokenizer.tokenize(chunk, return_as="ids", show_progress=False)
            ids.extend(np.asarray(paper, dtype=np.int32) for paper in tokenized)
        self._retriever = bm25s.BM25()
        self._retriever.index(
            bm25s.tokenization.Tokenized(ids=ids, vocab=self._tokenizer.get_vocab_dict()),
            show_progress=False,
        )
        del ids
        self.build_s = time.perf_counter() - started

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        tokens = self._tokenizer.tokenize([query], update_vocab=False, return_as="ids",
                                          show_progress=False)  # fmt: skip
        if not tokens[0]:
            return []
        documents, scores = self._retriever.retrieve(
            [tokens[0]], k=k, show_progress=False, n_threads=1
        )
        return [(int(d), float(s)) for d, s in zip(documents[0], scores[0], strict=True)]


class Tfidf:
    def __init__(self, texts: Iterable[str], fit_on: int = TFIDF_FIT_PAPERS) -> None:
        import scipy.sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        started = time.perf_counter()
        self.vectorizer = TfidfVectorizer(
            input="content", encoding="utf-8", decode_error="replace", strip_accents="unicode",
            lowercase=True, analyzer="word", stop_words="english",
            token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", ngram_range=(1, 2),
            max_features=20_000, norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True,
            max_df=0.1, min_df=5, dtype=np.float32,
        )  # fmt: skip
        chunks = _chunks(texts, TFIDF_CHUNK)
        first: list[str] = []
        for chunk in chunks:
            first.extend(chunk)
            if len(first) >= fit_on:
                break
        matrices = [self.vectorizer.fit_transform(first)]
        del first
        matrices.extend(self.vectorizer.transform(chunk) for chunk in chunks)
        self.matrix: Any = scipy.sparse.vstack(matrices, format="csr")
        self.build_s = time.perf_counter() - started

    def similar(self, position: int, k: int = 10) -> npt.NDArray[np.int64]:
        scores = (self.matrix @ self.matrix[position].T).toarray().ravel()
        scores[position] = -np.inf
        best = np.argpartition(scores, -k)[-k:]
        return np.asarray(best[np.argsort(-scores[best])], dtype=np.int64)

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        vector = self.vectorizer.transform([query])
        scores = (self.matrix @ vector.T).toarray().ravel()
        best = np.argpartition(scores, -k)[-k:]
        ranked = best[np.argsort(-scores[best])]
        return [(int(d), float(scores[d])) for d in ranked]


def bm25s_latency(texts: Iterable[str], queries: list[str]) -> dict[str, Any]:
    peer = Bm25s(texts)
    timed(peer.search, queries)  # warm-up pass
    return {
        "build_s": peer.build_s,
        "search": percentiles(timed(peer.search, queries)),
        "peak_rss_mb": peak_rss_mb(),
    }


def tfidf_latency(texts: Iterable[str], seeds: list[int]) -> dict[str, Any]:
    peer = Tfidf(texts)
    timed(peer.similar, seeds[:20])
    return {
        "build_s": peer.build_s,
        "similar": percentiles(timed(peer.similar, seeds)),
        "features": int(peer.matrix.shape[1]),
        "peak_rss_mb": peak_rss_mb(),
    }
