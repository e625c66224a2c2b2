from __future__ import annotations

import hashlib
import itertools

import numpy as np
import numpy.typing as npt
import pytest

from papersift.features.recommend import (
    KIND_CENTROID,
    KIND_LOGISTIC,
    MIN_NEGATIVES,
    UserModel,
    explain,
    explain_many,
    fit_logistic,
    nearest_neighbour_scores,
    normalise_rows,
    popularity_scores,
    sample_negatives,
    signals_key,
    train_user_model,
)

DIM = 16
Matrix = npt.NDArray[np.float32]


def _cluster(centre: Matrix, count: int, rng: np.random.Generator, spread: float = 0.35) -> Matrix:
    return (centre + spread * rng.standard_normal((count, DIM))).astype(np.float32)


def _centres(rng: np.random.Generator) -> tuple[Matrix, Matrix]:
    liked, other = normalise_rows(rng.standard_normal((2, DIM)))
    return liked, other


def _auc(positive_scores: Matrix, negative_scores: Matrix) -> float:
    wins = (positive_scores[:, None] > negative_scores[None, :]).mean()
    return float(wins)


def test_learns_a_preference_for_one_of_two_clusters() -> None:
    rng = np.random.default_rng(1)
    liked, other = _centres(rng)
    # The library is 15 papers of the liked cluster; negatives are recent papers of both
    # (mostly the other cluster, a few unlabelled liked ones among them, as in production).
    library = _cluster(liked, 15, rng)
    negatives = np.vstack([_cluster(other, 190, rng), _cluster(liked, 10, rng)])
    model = train_user_model(library, negatives)
    assert model.kind == KIND_LOGISTIC
    assert (model.positives, model.negatives) == (15, 200)
    fresh_liked, fresh_other = _cluster(liked, 100, rng), _cluster(other, 100, rng)
    assert _auc(model.score(fresh_liked), model.score(fresh_other)) > 0.95
    top = np.argsort(-model.score(np.vstack([fresh_liked, fresh_other])))[:20]
    assert (top < 100).all()


def test_scores_are_float32_and_ignore_vector_norms() -> None:
    rng = np.random.default_rng(2)
    liked, other = _centres(rng)
    model = train_user_model(_cluster(liked, 10, rng), _cluster(other, 50, rng))
    candidates = _cluster(liked, 5, rng)
    scores = model.score(candidates)
    assert scores.dtype == np.float32
    assert scores.shape == (5,)
    np.testing.assert_allclose(model.score(candidates * 7.5), scores, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="columns"):
        model.score(np.ones((2, DIM + 1), dtype=np.float32))


def test_matches_scikit_learns_logistic_regression() -> None:
    linear_model = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(3)
    liked, other = _centres(rng)
    positives = normalise_rows(_cluster(liked, 12, rng, spread=0.8))
    negatives = normalise_rows(
        np.vstack([_cluster(other, 80, rng, spread=0.8), _cluster(liked, 8, rng, 0.8)])
    )
    weights, bias = fit_logistic(positives, negatives, c=3.0)
    reference = linear_model.LogisticRegression(
        C=3.0, class_weight="balanced", tol=1e-10, max_iter=10_000
    ).fit(
        np.vstack([positives, negatives]),
        np.r_[np.ones(len(positives)), np.zeros(len(negatives))],
    )
    np.testing.assert_allclose(weights, reference.coef_[0], atol=2e-4)
    assert bias == pytest.approx(float(reference.intercept_[0]), abs=2e-4)


def test_one_positive_and_no_negatives_falls_back_to_its_direction() -> None:
    rng = np.random.default_rng(4)
    positive = rng.standard_normal(DIM).astype(np.float32)
    model = train_user_model(positive[None, :], np.empty((0, DIM), dtype=np.float32))
    assert model.kind == KIND_CENTROID
    np.testing.assert_allclose(model.weights, normalise_rows(positive)[0], atol=1e-6)
    candidates = np.vstack([-positive, positive * 3, rng.standard_normal(DIM)])
    assert int(np.argmax(model.score(candidates))) == 1
    assert model.score(positive[None, :])[0] == pytest.approx(1.0, abs=1e-6)


def test_few_negatives_fall_back_to_the_positives_mean_direction() -> None:
    rng = np.random.default_rng(5)
    positives = rng.standard_normal((3, DIM)).astype(np.float32)
    negatives = rng.standard_normal((MIN_NEGATIVES - 1, DIM)).astype(np.float32)
    model = train_user_model(positives, negatives)
    assert model.kind == KIND_CENTROID
    assert model.negatives == MIN_NEGATIVES - 1
    expected = normalise_rows(normalise_rows(positives).mean(axis=0))[0]
    np.testing.assert_allclose(model.weights, expected, atol=1e-6)


def test_one_positive_against_enough_negatives_ranks_its_near_duplicate_first() -> None:
    rng = np.random.default_rng(6)
    positive = normalise_rows(rng.standard_normal(DIM))
    negatives = rng.standard_normal((MIN_NEGATIVES, DIM)).astype(np.float32)
    model = train_user_model(positive, negatives)
    assert model.kind == KIND_LOGISTIC
    near_duplicate = positive + 0.05 * rng.standard_normal((1, DIM)).astype(np.float32)
    candidates = np.vstack([rng.standard_normal((50, DIM)).astype(np.float32), near_duplicate])
    assert int(np.argmax(model.score(candidates))) == 50


def test_separable_data_and_duplicates_still_train() -> None:
    positives = np.tile(np.eye(DIM, dtype=np.float32)[0], (4, 1))
    negatives = np.tile(np.eye(DIM, dtype=np.float32)[1], (30, 1))
    model = train_user_model(positives, negatives, c=1e6)
    assert np.isfinite(model.weights).all()
    scores = model.score(np.eye(DIM, dtype=np.float32)[:2])
    assert scores[0] > 0 > scores[1]


def test_invalid_training_input_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one positive"):
        train_user_model(np.empty((0, DIM), dtype=np.float32), np.ones((10, DIM)))
    with pytest.raises(ValueError, match="at least one positive"):
        train_user_model(np.zeros((2, DIM), dtype=np.float32), np.ones((10, DIM)))
    with pytest.raises(ValueError, match="columns"):
        train_user_model(np.ones((2, DIM)), np.ones((10, DIM + 1)))


def test_training_is_deterministic_under_a_seed() -> None:
    rng = np.random.default_rng(7)
    liked, other = _centres(rng)
    positives, negatives = _cluster(liked, 8, rng), _cluster(other, 120, rng)
    first = train_user_model(positives, negatives, seed=11).to_bytes()
    assert train_user_model(positives, negatives, seed=11).to_bytes() == first


def test_many_negatives_are_subsampled_with_the_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("papersift.features.recommend.MAX_TRAINING_ROWS", 40)
    rng = np.random.default_rng(8)
    liked, other = _centres(rng)
    positives, negatives = _cluster(liked, 8, rng), _cluster(other, 200, rng)
    model = train_user_model(positives, negatives, seed=1)
    assert model.to_bytes() == train_user_model(positives, negatives, seed=1).to_bytes()
    assert model.to_bytes() != train_user_model(positives, negatives, seed=2).to_bytes()


def test_serialisation_round_trip() -> None:
    rng = np.random.default_rng(9)
    liked, other = _centres(rng)
    model = train_user_model(_cluster(liked, 6, rng), _cluster(other, 40, rng))
    data = model.to_bytes()
    again = UserModel.from_bytes(data)
    assert (again.kind, again.positives, again.negatives) == (KIND_LOGISTIC, 6, 40)
    assert again.bias == model.bias
    np.testing.assert_array_equal(again.weights, model.weights)
    candidates = rng.standard_normal((10, DIM))
    np.testing.assert_array_equal(again.score(candidates), model.score(candidates))
    assert again.to_bytes() == data


def test_serialised_bytes_are_stable() -> None:
    model = UserModel(np.array([1.0, -0.5, 0.25], dtype=np.float32), 0.5, KIND_LOGISTIC, 2, 7)
    data = model.to_bytes()
    assert data[:4] == b"PSUM"
    assert len(data) == 28 + 3 * 4  # header (magic, version, kind, sizes, bias), weights
    assert hashlib.sha256(data).hexdigest() == (
        hashlib.sha256(
            b"PSUM\x02\x00\x00\x00\x03\x00\x00\x00\x02\x00\x00\x00\x07\x00\x00\x00"
            + np.float64(0.5).tobytes()
            + np.array([1.0, -0.5, 0.25], dtype="<f4").tobytes()
        ).hexdigest()
    )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda data: data[:10],
        lambda data: b"XXXX" + data[4:],
        lambda data: data[:4] + b"\x63\x00" + data[6:],
        lambda data: data[:-1],
        lambda data: data[:6] + b"\x09" + data[7:],
    ],
)
def test_damaged_bytes_are_refused(mangle: object) -> None:
    model = UserModel(np.ones(4, dtype=np.float32), 0.0, KIND_CENTROID, 1, 0)
    with pytest.raises(ValueError):
        UserModel.from_bytes(mangle(model.to_bytes()))  # type: ignore[operator]


def test_signals_key_ignores_order_and_duplicates_but_not_sides() -> None:
    key = signals_key(["b", "a", "a"], ["x"])
    assert key == signals_key(["a", "b"], ["x", "x"])
    assert key != signals_key(["a", "b", "x"], [])
    assert key != signals_key(["a"], ["b", "x"])
    assert key != signals_key(["a", "b"], ["x"], salt="all-MiniLM-L6-v2:static")
    assert len(key) == 32 and int(key, 16) >= 0


def test_explain_names_the_closest_library_papers() -> None:
    library = np.eye(4, dtype=np.float32)
    ids = ["p0", "p1", "p2", "p3"]
    candidate = np.array([0.1, 0.8, 0.6, 0.0], dtype=np.float32)
    found = explain(candidate, library, ids, top=3, min_similarity=0.0)
    assert [paper_id for paper_id, _ in found] == ["p1", "p2", "p0"]
    assert found[0][1] == pytest.approx(0.8 / np.linalg.norm(candidate), abs=1e-6)
    assert all(a[1] >= b[1] for a, b in itertools.pairwise(found))


def test_explain_keeps_the_best_and_drops_weak_support() -> None:
    library = np.eye(4, dtype=np.float32)
    ids = ["p0", "p1", "p2", "p3"]
    candidate = np.array([0.1, 0.8, 0.6, 0.0], dtype=np.float32)
    assert [i for i, _ in explain(candidate, library, ids, min_similarity=0.5)] == ["p1", "p2"]
    # However weak, the most similar paper is always named: every recommendation is explained.
    assert [i for i, _ in explain(candidate, library, ids, min_similarity=0.99)] == ["p1"]
    assert [i for i, _ in explain(candidate, library, ids, top=1, min_similarity=0.0)] == ["p1"]
    assert explain(candidate, np.empty((0, 4), dtype=np.float32), []) == []


def test_explain_many_agrees_with_explain() -> None:
    rng = np.random.default_rng(10)
    library = rng.standard_normal((12, DIM)).astype(np.float32)
    ids = [f"lib{i}" for i in range(12)]
    candidates = rng.standard_normal((5, DIM)).astype(np.float32)
    together = explain_many(candidates, library, ids, min_similarity=0.2)
    alone = [explain(c, library, ids, min_similarity=0.2) for c in candidates]
    assert [[i for i, _ in e] for e in together] == [[i for i, _ in e] for e in alone]
    for many, one in zip(together, alone, strict=True):
        np.testing.assert_allclose([s for _, s in many], [s for _, s in one], atol=1e-6)
    assert all(1 <= len(e) <= 3 for e in together)
    with pytest.raises(ValueError, match="ids"):
        explain_many(candidates, library, ids[:-1])


def test_sample_negatives_is_deterministic_and_excludes() -> None:
    pool = [f"2601.{i:05d}" for i in range(100)]
    library = set(pool[:10])
    sample = sample_negatives(pool, library, 20, seed=3)
    assert len(sample) == 20 == len(set(sample))
    assert not library & set(sample)
    assert sample == sample_negatives(reversed(pool), library, 20, seed=3)
    assert sample == sorted(sample)
    assert sample != sample_negatives(pool, library, 20, seed=4)
    assert sample_negatives(pool, library, 20, seed="abc") == sample_negatives(
        pool, library, 20, seed="abc"
    )
    assert sample_negatives(pool, library, 500, seed=3) == sorted(set(pool) - library)
    assert sample_negatives(pool, library, 0, seed=3) == []


def test_nearest_neighbour_reductions() -> None:
    library = np.eye(3, dtype=np.float32)
    candidates = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]], dtype=np.float32)
    np.testing.assert_allclose(
        nearest_neighbour_scores(candidates, library), [1.0, 1 / np.sqrt(3)], atol=1e-6
    )
    np.testing.assert_allclose(
        nearest_neighbour_scores(candidates, library, reduce="mean"),
        [1 / 3, 1 / np.sqrt(3)],
        atol=1e-6,
    )
    np.testing.assert_allclose(
        nearest_neighbour_scores(candidates, library[:2], reduce="top3"),
        [0.5, 1 / np.sqrt(3)],
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="non-empty"):
        nearest_neighbour_scores(candidates, np.empty((0, 3), dtype=np.float32))


def test_popularity_ranks_by_votes_then_tie_break_then_order() -> None:
    ids = ["a", "b", "c", "d", "e"]
    scores = popularity_scores(ids, {"b": 3, "c": 1, "d": 1}, tie_break={"d": 0.9, "a": 0.1})
    ranking = [ids[j] for j in np.argsort(-scores, kind="stable")]
    assert ranking == ["b", "d", "c", "a", "e"]
    assert scores.dtype == np.float32
    assert sorted(scores.tolist()) == [1.0, 2.0, 3.0, 4.0, 5.0]
