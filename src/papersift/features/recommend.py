"""Recommendations: a per-user linear model over paper embeddings, its explanations, baselines.

Pure functions over numpy matrices; the engine fetches the vectors and stores the trained model.

* ``train_user_model`` fits a class-balanced, L2-regularised logistic regression separating the
  user's positives (library papers, upvotes) from negatives (explicit dislikes plus recent papers
  sampled with ``sample_negatives``), on L2-normalised embeddings. With fewer than
  ``MIN_NEGATIVES`` negatives it falls back to the direction of the positives' mean. The model
  is one weight vector and a bias: ``UserModel.score`` is a dot product, ``to_bytes`` a few KB.
* ``signals_key`` digests the user's signals: store it with the model's bytes and retrain only
  when the key changes.
* ``explain`` names the one to three library papers most similar (cosine) to a recommendation.
* ``nearest_neighbour_scores`` and ``popularity_scores`` are the baselines of the offline
  evaluation (``python -m bench.recommend_eval``), which also chose the constants below on its
  validation users only (earlier cut-off dates than the users it reports).
"""

from __future__ import annotations

import hashlib
import math
import random
import struct
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
Scores = npt.NDArray[np.float32]
Reduce = Literal["max", "mean", "top3"]

# Bumped whenever training changes, so models stored under an older key are retrained.
MODEL_VERSION = 2
# Chosen on the validation users of bench.recommend_eval (all-MiniLM-L6-v2, onnx-int8; nDCG@10
# over 150 users): C in {0.3, 1, 3, 10, 30, 100} x sampled negatives in {100, 300, 1000}; C=1
# with 1,000 negatives was best (0.419; C=3: 0.413, C=10: 0.401; 300 negatives: 0.409). A linear
# SVM did no better (best 0.419 at C=0.1) and logistic scores are log-odds, so logistic it is.
# TF-IDF features beside the embeddings (weight 0.5, C=1) gained 0.011 and 0.006 nDCG@10 for
# the 1- and 2-category users (more for keyword-defined topics, where it is circular): not worth
# keeping per-paper sparse vectors and vocabulary-sized models.
DEFAULT_C = 1.0
# Below this many negatives a discriminative model is not trusted: mean-of-positives direction.
MIN_NEGATIVES = 5
# Positives or negatives beyond this many are subsampled for training (cost ~ rows x d).
MAX_TRAINING_ROWS = 5000
# Recent papers sampled as negatives per user (besides explicit dislikes).
DEFAULT_SAMPLED_NEGATIVES = 1000
# An explanation lists the most similar library paper, then up to two more at least this similar.
# For the model's top 10 on the validation users, the 2nd and 3rd most similar library papers
# had median cosines 0.58 and 0.56 (hits) and 0.55 and 0.52 (misses); 0.5 names three papers for
# 63% of those recommendations and only one for 28%. The scale is the embedder's.
DEFAULT_MIN_SIMILARITY = 0.5
KIND_LOGISTIC = "logistic"
KIND_CENTROID = "centroid"
_KINDS = (KIND_LOGISTIC, KIND_CENTROID)
_MAX_NEWTON_STEPS = 100
_RIDGE = 1e-9  # keeps the Newton system solvable when every example is far from the boundary
_MAGIC = b"PSUM"
_HEADER = struct.Struct("<4sHBxIIId")  # magic, version, kind, pad, dim, n_pos, n_neg, bias


def normalise_rows(matrix: npt.ArrayLike) -> Matrix:
    """``matrix`` as float32 rows of unit length (zero rows stay zero); a vector becomes 1 row."""
    rows = np.atleast_2d(np.asarray(matrix, dtype=np.float32))
    if rows.ndim != 2:
        raise ValueError(f"expected a vector or a matrix, got {rows.ndim} dimensions")
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.where(norms > 0, norms, 1.0)).astype(np.float32, copy=False)


@dataclass(frozen=True, slots=True, eq=False)
class UserModel:
    """A linear scorer over unit-normalised embeddings: ``score = normalise(x) . weights + bias``.

    Scores rank candidates for one user; they are logits for ``kind == "logistic"`` and cosines
    to the positives' mean direction for ``kind == "centroid"``, so do not compare them across
    users or kinds.
    """

    weights: Matrix
    bias: float
    kind: str
    positives: int
    negatives: int

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown model kind {self.kind!r}")
        if self.weights.ndim != 1 or self.weights.dtype != np.float32:
            raise ValueError("weights must be a float32 vector")

    @property
    def dimension(self) -> int:
        return int(self.weights.shape[0])

    def score(self, candidates: npt.ArrayLike) -> Scores:
        """One float32 score per row of ``candidates`` (n, dimension); higher is better."""
        rows = normalise_rows(candidates)
        if rows.shape[1] != self.dimension:
            raise ValueError(f"candidates have {rows.shape[1]} columns, model {self.dimension}")
        return (rows @ self.weights + np.float32(self.bias)).astype(np.float32, copy=False)

    def to_bytes(self) -> bytes:
        """A stable little-endian encoding: header, then the float32 weights."""
        header = _HEADER.pack(
            _MAGIC,
            MODEL_VERSION,
            _KINDS.index(self.kind),
            self.dimension,
            self.positives,
            self.negatives,
            self.bias,
        )
        return header + self.weights.astype("<f4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> UserModel:
        """Inverse of ``to_bytes``; ValueError on anything else (or another model version)."""
        if len(data) < _HEADER.size:
            raise ValueError("not a papersift user model: too short")
        magic, version, kind, dimension, positives, negatives, bias = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError("not a papersift user model: bad magic")
        if version != MODEL_VERSION:
            raise ValueError(f"user model version {version}, expected {MODEL_VERSION}")
        if kind >= len(_KINDS) or len(data) != _HEADER.size + 4 * dimension:
            raise ValueError("corrupt papersift user model")
        weights = np.frombuffer(data, dtype="<f4", offset=_HEADER.size).astype(np.float32)
        return cls(weights, float(bias), _KINDS[kind], positives, negatives)


def train_user_model(
    positives: npt.ArrayLike,
    negatives: npt.ArrayLike,
    *,
    seed: int = 0,
    c: float = DEFAULT_C,
) -> UserModel:
    """Fit the user's model on positive and negative embeddings (rows; any norm, same width).

    Logistic regression (``fit_logistic``), classes weighted to balance, so a library of 5
    against 300 sampled papers still counts. Fewer than ``MIN_NEGATIVES`` negatives: the
    positives' mean direction. Each side is capped at ``MAX_TRAINING_ROWS`` rows, sampled with
    ``seed``, which bounds the cost of a retrain; otherwise training is deterministic.
    """
    good = normalise_rows(positives)
    if good.shape[0] == 0 or not np.any(good):
        raise ValueError("a user model needs at least one positive embedding")
    bad = np.asarray(negatives, dtype=np.float32)
    bad = np.empty((0, good.shape[1]), dtype=np.float32) if bad.size == 0 else normalise_rows(bad)
    if bad.shape[1] != good.shape[1]:
        raise ValueError(f"positives have {good.shape[1]} columns, negatives {bad.shape[1]}")
    if bad.shape[0] < MIN_NEGATIVES:
        return _centroid_model(good, bad.shape[0])
    generator = np.random.default_rng(seed)
    good, bad = (_at_most(side, MAX_TRAINING_ROWS, generator) for side in (good, bad))
    weights, bias = fit_logistic(good, bad, c=c)
    return UserModel(weights, bias, KIND_LOGISTIC, len(good), len(bad))


def fit_logistic(
    positives: Matrix, negatives: Matrix, *, c: float = DEFAULT_C, tolerance: float = 1e-6
) -> tuple[Matrix, float]:
    """Class-balanced L2-regularised logistic regression, by truncated Newton with line search.

    Minimises ``sum_i s_i * log(1 + exp(-y_i (x_i . w + b))) + |w|^2 / (2 c)`` with each class's
    weights ``s_i`` summing to half the examples (scikit-learn's ``class_weight="balanced"``; the
    intercept is not penalised), the same objective as scikit-learn's LogisticRegression. The
    objective is strictly convex in ``w``, so the solution is unique and deterministic.
    """
    features = np.hstack(
        [
            np.vstack([positives, negatives]).astype(np.float64),
            np.ones((len(positives) + len(negatives), 1)),
        ]
    )
    total = len(positives) + len(negatives)
    targets = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
    sample = np.concatenate(
        [
            np.full(len(positives), total / (2 * len(positives))),
            np.full(len(negatives), total / (2 * len(negatives))),
        ]
    )
    penalty = np.full(features.shape[1], 1.0 / c)
    penalty[-1] = 0.0
    signs = 2 * targets - 1

    def objective(theta: npt.NDArray[np.float64]) -> float:
        margins = signs * (features @ theta)
        return float(sample @ np.logaddexp(0.0, -margins) + 0.5 * (penalty * theta) @ theta)

    theta = np.zeros(features.shape[1])
    value = objective(theta)
    for _ in range(_MAX_NEWTON_STEPS):
        probabilities = _sigmoid(features @ theta)
        gradient = features.T @ (sample * (probabilities - targets)) + penalty * theta
        if np.max(np.abs(gradient)) <= tolerance * total:
            break
        curvature = sample * probabilities * (1 - probabilities)

        def hessian_times(
            vector: npt.NDArray[np.float64], curvature: npt.NDArray[np.float64] = curvature
        ) -> npt.NDArray[np.float64]:
            return features.T @ (curvature * (features @ vector)) + (penalty + _RIDGE) * vector

        norm = float(np.linalg.norm(gradient))
        step = _conjugate_gradient(hessian_times, gradient, min(0.5, math.sqrt(norm)) * norm)
        size = 1.0
        while size > 1e-10:
            candidate = theta - size * step
            candidate_value = objective(candidate)
            if candidate_value <= value - 1e-4 * size * float(gradient @ step):
                break
            size /= 2
        else:
            break  # no decrease along the Newton direction: at the optimum up to rounding
        theta, value = candidate, candidate_value
    return theta[:-1].astype(np.float32), float(theta[-1])


def _conjugate_gradient(
    apply: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]],
    rhs: npt.NDArray[np.float64],
    tolerance: float,
) -> npt.NDArray[np.float64]:
    """Approximately solve ``apply(x) = rhs`` for a symmetric positive definite ``apply``.

    Only matrix-vector products: forming and factorising the Hessian calls multithreaded BLAS
    and LAPACK, which on a busy two-core server took 100x longer than these products.
    """
    solution = np.zeros_like(rhs)
    residual = rhs.copy()
    direction = residual.copy()
    squared = float(residual @ residual)
    for _ in range(len(rhs)):
        if math.sqrt(squared) <= tolerance:
            break
        product = apply(direction)
        alpha = squared / float(direction @ product)
        solution += alpha * direction
        residual -= alpha * product
        new_squared = float(residual @ residual)
        direction = residual + (new_squared / squared) * direction
        squared = new_squared
    return solution


def _sigmoid(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.exp(-np.logaddexp(0.0, -values))


def _at_most(rows: Matrix, count: int, generator: np.random.Generator) -> Matrix:
    if len(rows) <= count:
        return rows
    return rows[np.sort(generator.choice(len(rows), size=count, replace=False))]


def _centroid_model(positives: Matrix, negatives: int) -> UserModel:
    direction = normalise_rows(positives.mean(axis=0))[0]
    return UserModel(direction, 0.0, KIND_CENTROID, len(positives), negatives)


def signals_key(positive_ids: Iterable[str], negative_ids: Iterable[str], *, salt: str = "") -> str:
    """A digest of a user's signals (order and duplicates ignored) and ``MODEL_VERSION``.

    ``salt`` is whatever else the model depends on, such as the embedder identity. Sampled
    negatives are not signals: seed their sample with this key so a retrain is reproducible.
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"papersift-user-model:{MODEL_VERSION}:{salt}".encode())
    for label, ids in ((b"+", positive_ids), (b"-", negative_ids)):
        for paper_id in sorted(set(ids)):
            digest.update(b"\n" + label + paper_id.encode("utf-8"))
    return digest.hexdigest()


def explain(
    candidate: npt.ArrayLike,
    library: npt.ArrayLike,
    library_ids: Sequence[str],
    *,
    top: int = 3,
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
) -> list[tuple[str, float]]:
    """The library papers that most support recommending ``candidate``, most similar first.

    The most similar library paper always (unless the library is empty), then up to ``top - 1``
    more whose cosine similarity is at least ``min_similarity``. Ties keep library order.
    """
    return explain_many(
        normalise_rows(candidate), library, library_ids, top=top, min_similarity=min_similarity
    )[0]


def explain_many(
    candidates: npt.ArrayLike,
    library: npt.ArrayLike,
    library_ids: Sequence[str],
    *,
    top: int = 3,
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
) -> list[list[tuple[str, float]]]:
    """``explain`` for each row of ``candidates`` (n, d), with one matrix product."""
    rows = normalise_rows(candidates)
    shelf = np.asarray(library, dtype=np.float32)
    if shelf.size == 0:
        return [[] for _ in range(rows.shape[0])]
    shelf = normalise_rows(shelf)
    if shelf.shape[0] != len(library_ids):
        raise ValueError(f"{shelf.shape[0]} library vectors but {len(library_ids)} ids")
    if top < 1:
        raise ValueError("top must be at least 1")
    similarities = rows @ shelf.T
    explanations = []
    for row in similarities:
        order = np.argsort(-row, kind="stable")[:top]
        chosen = [order[0]] + [j for j in order[1:] if row[j] >= min_similarity]
        explanations.append([(library_ids[j], float(row[j])) for j in chosen])
    return explanations


def sample_negatives(
    candidate_ids: Iterable[str], exclude: Collection[str], count: int, seed: int | str
) -> list[str]:
    """Up to ``count`` distinct ids from ``candidate_ids`` not in ``exclude``, sorted.

    The same set of candidates (in any order) and seed give the same sample. A string seed
    (such as ``signals_key``'s digest) is hashed deterministically, not with ``hash()``.
    """
    pool = sorted(set(candidate_ids).difference(exclude))
    if count >= len(pool):
        return pool
    return sorted(random.Random(seed).sample(pool, max(0, count)))


def nearest_neighbour_scores(
    candidates: npt.ArrayLike, library: npt.ArrayLike, *, reduce: Reduce = "max"
) -> Scores:
    """Baseline: each candidate's cosine similarity to the library, reduced over its papers.

    ``max`` (the nearest library paper), ``mean`` (equivalent in ranking to the cosine with the
    library's mean vector, up to its norm) or ``top3`` (the mean of the three nearest).
    """
    rows = normalise_rows(candidates)
    shelf = normalise_rows(library)
    if shelf.shape[0] == 0 or not np.any(shelf):
        raise ValueError("nearest-neighbour scores need a non-empty library")
    similarities = rows @ shelf.T
    if reduce == "max":
        result = similarities.max(axis=1)
    elif reduce == "mean":
        result = similarities.mean(axis=1)
    elif reduce == "top3":
        k = min(3, similarities.shape[1])
        result = -np.partition(-similarities, k - 1, axis=1)[:, :k].mean(axis=1)
    else:
        raise ValueError(f"unknown reduction {reduce!r}")
    return np.asarray(result, dtype=np.float32)


def popularity_scores(
    candidate_ids: Sequence[str],
    votes: Mapping[str, float],
    *,
    tie_break: Mapping[str, float] | None = None,
) -> Scores:
    """Baseline: candidates ranked by votes (0 if none), then by ``tie_break`` (0 if none).

    Scores are ranks turned around (the best of n candidates scores n, the worst 1), so that
    ties of any size are broken exactly; equal on both keys, the earlier candidate wins.
    """
    extra = tie_break or {}
    primary = np.array([votes.get(i, 0.0) for i in candidate_ids], dtype=np.float64)
    secondary = np.array([extra.get(i, 0.0) for i in candidate_ids], dtype=np.float64)
    position = np.arange(len(candidate_ids))
    order = np.lexsort((position, -secondary, -primary))  # best first
    scores = np.empty(len(candidate_ids), dtype=np.float32)
    scores[order] = np.arange(len(candidate_ids), 0, -1, dtype=np.float32)
    return scores
