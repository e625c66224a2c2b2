"""Fusion functions as pure functions, and hybrid retrieval composed from fake retrievers."""

from __future__ import annotations

import math
import threading
from collections.abc import Collection, Sequence

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from papersift.filters import Filters
from papersift.retrieval.base import Hit
from papersift.retrieval.fusion import (
    NORMALISERS,
    contenders,
    convex_combination,
    min_max,
    reciprocal_rank_fusion,
    z_score,
)
from papersift.retrieval.hybrid import POOL_WORKERS, Fusion, HybridRetriever

KEYWORD = [Hit("a", 12.0), Hit("b", 9.0), Hit("c", 3.0)]
DENSE = [Hit("c", 0.9), Hit("d", 0.8), Hit("a", 0.5)]


def ids(hits: list[Hit]) -> list[str]:
    return [hit.paper_id for hit in hits]


def test_rrf_by_hand() -> None:
    fused = reciprocal_rank_fusion([KEYWORD, DENSE], k=60)
    scores = {hit.paper_id: hit.score for hit in fused}
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 63)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["b"] == pytest.approx(1 / 62)
    assert ids(fused) == ["a", "c", "b", "d"]  # a, c tie and b, d tie; ties break by id


def test_convex_by_hand() -> None:
    fused = convex_combination([KEYWORD, DENSE], (0.3, 0.7))
    scores = {hit.paper_id: hit.score for hit in fused}
    assert scores["a"] == pytest.approx(0.3 * 1.0 + 0.7 * 0.0)
    assert scores["c"] == pytest.approx(0.3 * 0.0 + 0.7 * 1.0)
    assert scores["d"] == pytest.approx(0.7 * (0.8 - 0.5) / 0.4)
    assert scores["b"] == pytest.approx(0.3 * (9 - 3) / 9)
    assert ids(fused) == ["c", "d", "a", "b"]


def test_weights_of_one_list_reproduce_it() -> None:
    assert ids(convex_combination([KEYWORD, DENSE], (1.0, 0.0)))[:3] == ids(KEYWORD)
    assert ids(reciprocal_rank_fusion([KEYWORD, DENSE], weights=(0.0, 1.0)))[:3] == ids(DENSE)


def test_normalisers() -> None:
    assert min_max([Hit("x", 2.0), Hit("y", 2.0)]) == {"x": 1.0, "y": 1.0}
    assert min_max([]) == {}
    assert z_score([Hit("x", 1.0), Hit("y", 3.0)]) == {"x": -1.0, "y": 1.0}


def test_mismatched_weights_are_refused() -> None:
    with pytest.raises(ValueError):
        convex_combination([KEYWORD], (0.5, 0.5))
    with pytest.raises(ValueError):
        Fusion("borda")


runs = st.lists(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.floats(-100, 100)),
        max_size=8,
        unique_by=lambda t: t[0],
    ).map(lambda pairs: [Hit(p, s) for p, s in sorted(pairs, key=lambda t: -t[1])]),
    min_size=1,
    max_size=3,
)


@given(runs)
def test_fusion_returns_each_candidate_once_sorted(lists: list[list[Hit]]) -> None:
    candidates = {hit.paper_id for run in lists for hit in run}
    for fused in (
        reciprocal_rank_fusion(lists),
        convex_combination(lists, [1.0 / len(lists)] * len(lists)),
    ):
        assert sorted(ids(fused)) == sorted(candidates)
        scores = [hit.score for hit in fused]
        assert scores == sorted(scores, reverse=True)


@given(runs, st.integers(0, 10))
def test_fusion_cut_at_a_limit_is_the_head_of_the_whole(lists: list[list[Hit]], limit: int) -> None:
    weights = [1.0 / len(lists)] * len(lists)
    whole = convex_combination(lists, weights, normalise="max")
    assume(not any(math.isnan(hit.score) for hit in whole))  # a best of 1e-308 overflows: unordered
    assert convex_combination(lists, weights, normalise="max", limit=limit) == whole[:limit]
    assert reciprocal_rank_fusion(lists, limit=limit) == reciprocal_rank_fusion(lists)[:limit]


def test_hybrid_hands_its_first_ranking_over_while_the_others_search() -> None:
    handed = threading.Event()

    class Waiting:
        name = "dense"
        saw_it: bool | None = None

        def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
            self.saw_it = handed.wait(timeout=5)
            return DENSE[:k]

    waiting = Waiting()
    hybrid = HybridRetriever([FakeRetriever("bm25", KEYWORD), waiting], Fusion())
    seen: list[list[Hit]] = []

    def meanwhile(ranking: Sequence[Hit]) -> None:
        seen.append(list(ranking))
        handed.set()

    hybrid.search_with_runs("q", 3, meanwhile=meanwhile)
    assert seen == [KEYWORD] and waiting.saw_it


class FakeRetriever:
    def __init__(self, name: str, hits: list[Hit]) -> None:
        self.name = name
        self.hits = hits
        self.calls: list[tuple[str, int, Filters | None]] = []

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        self.calls.append((query, k, filters))
        return self.hits[:k]


def test_hybrid_asks_each_retriever_for_depth_candidates_and_fuses() -> None:
    keyword, dense = FakeRetriever("bm25", KEYWORD), FakeRetriever("dense", DENSE)
    hybrid = HybridRetriever([keyword, dense], Fusion("convex", (0.3, 0.7), depth=300))
    filters = Filters(categories=("cs.CL",))
    assert ids(hybrid.search("q", 2, filters)) == ["c", "d"]
    assert keyword.calls == [("q", 300, filters)] and dense.calls == [("q", 300, filters)]
    rrf = HybridRetriever([keyword, dense], Fusion("rrf", (1.0, 1.0)))
    assert ids(rrf.search("q", 4)) == ["a", "c", "b", "d"]


class MeetingRetriever(FakeRetriever):
    """Answers only once every retriever of the search is running at the same time."""

    def __init__(self, name: str, hits: list[Hit], meeting: threading.Barrier) -> None:
        super().__init__(name, hits)
        self.meeting = meeting

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        self.meeting.wait(timeout=10)  # BrokenBarrierError when called one after the other
        return super().search(query, k, filters)


def test_hybrid_runs_its_retrievers_at_the_same_time() -> None:
    meeting = threading.Barrier(3)
    retrievers = [MeetingRetriever(name, KEYWORD, meeting) for name in ("a", "b", "c")]
    hybrid = HybridRetriever(retrievers, Fusion("rrf", (1.0, 1.0, 1.0)))
    assert ids(hybrid.search("q", 2)) == ids(KEYWORD)[:2]


class ThreadRecorder(FakeRetriever):
    """Notes the thread each search runs on."""

    def __init__(self, name: str, hits: list[Hit]) -> None:
        super().__init__(name, hits)
        self.threads: list[threading.Thread] = []

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        self.threads.append(threading.current_thread())
        return super().search(query, k, filters)


def test_hybrid_searches_reuse_their_thread_pool() -> None:
    second = ThreadRecorder("dense", DENSE)
    hybrid = HybridRetriever([FakeRetriever("bm25", KEYWORD), second], Fusion())
    for _ in range(20):
        hybrid.search("q", 2)
    # the workers are kept: a few at most, not one started for each search
    assert len(set(second.threads)) <= POOL_WORKERS
    assert threading.current_thread() not in second.threads


def test_nested_hybrids_never_wait_on_each_other() -> None:
    """Every worker of an outer search runs a hybrid search of its own: with a pool shared by
    the two levels, the inner searches would wait for workers the outer ones hold."""
    inner = [
        HybridRetriever(
            [FakeRetriever("bm25", KEYWORD), FakeRetriever("dense", DENSE)], Fusion("rrf")
        )
        for _ in range(POOL_WORKERS + 1)
    ]
    outer = HybridRetriever(inner, Fusion("rrf", (1.0,) * len(inner)))
    results: list[list[Hit]] = []
    searching = threading.Thread(target=lambda: results.append(outer.search("q", 3)))
    searching.start()
    searching.join(timeout=10)
    assert not searching.is_alive(), "the nested hybrid search deadlocked"
    assert len(results[0]) == 3


def test_search_with_runs_gives_each_retrievers_own_ranking() -> None:
    keyword, dense = FakeRetriever("bm25", KEYWORD), FakeRetriever("dense", DENSE)
    hybrid = HybridRetriever([keyword, dense], Fusion("convex", (0.3, 0.7), depth=300))
    fused, runs = hybrid.search_with_runs("q", 2)
    assert fused == hybrid.search("q", 2)
    assert runs == [KEYWORD, DENSE]


def test_a_failing_retriever_fails_the_hybrid_search() -> None:
    class Failing(FakeRetriever):
        def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
            raise RuntimeError("index gone")

    hybrid = HybridRetriever([FakeRetriever("bm25", KEYWORD), Failing("dense", [])], Fusion())
    with pytest.raises(RuntimeError, match="index gone"):
        hybrid.search("q", 2)


# both scores of every candidate ------------------------------------------------------------------


def test_known_scores_join_the_list_they_are_missing_from() -> None:
    # d is missing from the keyword list, b from the dense one; their own scores are known.
    fused = convex_combination(
        [KEYWORD, DENSE], (0.5, 0.5), known=[{"d": 0.0}, {"b": 0.1}], normalise="minmax"
    )
    scores = {hit.paper_id: hit.score for hit in fused}
    # keyword list with d: 12, 9, 3, 0 -> a 1, b 0.75, c 0.25, d 0
    # dense list with b: 0.9, 0.8, 0.5, 0.1 -> c 1, d 0.875, a 0.5, b 0
    assert scores["a"] == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)
    assert scores["b"] == pytest.approx(0.5 * 0.75 + 0.5 * 0.0)
    assert scores["c"] == pytest.approx(0.5 * 0.25 + 0.5 * 1.0)
    assert scores["d"] == pytest.approx(0.5 * 0.0 + 0.5 * 0.875)
    # Without them, b and d score each list's minimum (0 after min-max) instead.
    floor = {hit.paper_id: hit.score for hit in convex_combination([KEYWORD, DENSE], (0.5, 0.5))}
    assert floor["d"] == pytest.approx(0.5 * 0.0 + 0.5 * 0.75)


def test_a_candidate_without_a_known_score_still_gets_the_floor() -> None:
    fused = convex_combination([KEYWORD, DENSE], (0.5, 0.5), known=[{}, {}])
    assert fused == convex_combination([KEYWORD, DENSE], (0.5, 0.5))
    with pytest.raises(ValueError):
        convex_combination([KEYWORD, DENSE], (0.5, 0.5), known=[{}])


def test_max_normalisation_divides_by_the_best() -> None:
    assert NORMALISERS["max"]([Hit("x", 4.0), Hit("y", 1.0)]) == {"x": 1.0, "y": 0.25}
    with pytest.raises(ValueError):
        Fusion("convex", missing="guess")


class ScoringFake(FakeRetriever):
    def __init__(self, name: str, hits: list[Hit], every: dict[str, float]) -> None:
        super().__init__(name, hits)
        self.every = every
        self.asked: list[list[str]] = []

    def scores_of(self, query: str, paper_ids: Collection[str]) -> dict[str, float]:
        self.asked.append(sorted(paper_ids))
        return {pid: self.every[pid] for pid in paper_ids if pid in self.every}


def test_hybrid_asks_each_retriever_for_the_candidates_only_the_others_found() -> None:
    keyword = ScoringFake("bm25", KEYWORD, {"a": 12.0, "b": 9.0, "c": 3.0, "d": 0.0})
    dense = ScoringFake("dense", DENSE, {"a": 0.5, "b": 0.1, "c": 0.9, "d": 0.8})
    both = HybridRetriever([keyword, dense], Fusion("convex", (0.5, 0.5), missing="both"))
    fused = both.search("q", 4)
    assert keyword.asked == [["d"]] and dense.asked == [["b"]]
    expected = convex_combination([KEYWORD, DENSE], (0.5, 0.5), known=[{"d": 0.0}, {"b": 0.1}])
    assert fused == expected
    floor = HybridRetriever([keyword, dense], Fusion("convex", (0.5, 0.5), missing="floor"))
    keyword.asked.clear()
    assert floor.search("q", 4) == convex_combination([KEYWORD, DENSE], (0.5, 0.5))
    assert keyword.asked == []


def test_a_retriever_that_cannot_score_leaves_its_missing_candidates_the_floor() -> None:
    keyword = ScoringFake("bm25", KEYWORD, {"d": 0.0})
    both = HybridRetriever(
        [keyword, FakeRetriever("dense", DENSE)], Fusion("convex", (0.5, 0.5), missing="both")
    )
    assert both.search("q", 4) == convex_combination(
        [KEYWORD, DENSE], (0.5, 0.5), known=[{"d": 0.0}, {}]
    )


@st.composite
def exact_runs(draw: st.DrawFn) -> tuple[list[list[Hit]], list[dict[str, float]], int]:
    """Two lists as exact retrievers give them (a paper missing from a list scores no more than
    its minimum, no less than the retriever's least: 0), and each paper's score in both."""
    papers = draw(st.lists(st.sampled_from("abcdefghijklmnop"), min_size=2, unique=True))
    runs, every = [], []
    for _ in range(2):
        scores = {pid: draw(st.floats(0.0, 10.0)) for pid in papers}
        depth = draw(st.integers(1, len(papers)))
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        runs.append([Hit(pid, score) for pid, score in ranked[:depth]])
        every.append(scores)
    return runs, every, draw(st.integers(1, len(papers)))


@given(exact_runs())
def test_scoring_only_the_contenders_keeps_the_best_k(
    case: tuple[list[list[Hit]], list[dict[str, float]], int],
) -> None:
    runs, every, k = case
    union = {hit.paper_id for run in runs for hit in run}
    weights = (0.4, 0.6)

    def known(among: set[str]) -> list[dict[str, float]]:
        return [
            {pid: scores[pid] for pid in among - {hit.paper_id for hit in run}}
            for run, scores in zip(runs, every, strict=True)
        ]

    if any(not run or run[0].score <= 0 for run in runs):
        assert contenders(runs, weights, [0.0, 0.0], k) is None or all(runs)
        return
    chosen = contenders(runs, weights, [0.0, 0.0], k)
    assert chosen is not None and chosen <= union
    full = convex_combination(runs, weights, normalise="max", known=known(union))[:k]
    pruned = convex_combination(runs, weights, normalise="max", known=known(chosen))[:k]
    assert [hit.score for hit in pruned] == pytest.approx([hit.score for hit in full])
    assert {h.paper_id for h in pruned if h.score > full[-1].score + 1e-9} == {
        h.paper_id for h in full if h.score > full[-1].score + 1e-9
    }


def test_hybrid_asks_only_for_the_candidates_that_may_reach_the_best_k() -> None:
    keyword_hits = [Hit("a", 10.0), Hit("b", 9.0)] + [Hit(f"k{n}", 1.0) for n in range(5)]
    dense_hits = [Hit("a", 0.9), Hit("b", 0.85)] + [Hit(f"d{n}", 0.2) for n in range(5)]
    every_keyword = {hit.paper_id: hit.score for hit in keyword_hits} | {
        f"d{n}": 0.5 for n in range(5)
    }
    every_dense = {hit.paper_id: hit.score for hit in dense_hits} | {f"k{n}": 0.1 for n in range(5)}
    keyword = ScoringFake("bm25", keyword_hits, every_keyword)
    dense = ScoringFake("dense", dense_hits, every_dense)
    keyword.least_score = dense.least_score = 0.0  # type: ignore[attr-defined]
    fusion = Fusion("convex", (0.4, 0.6), normalise="max", missing="both")
    hybrid = HybridRetriever([keyword, dense], fusion)
    best = hybrid.search("q", 2)
    assert [hit.paper_id for hit in best] == ["a", "b"]
    assert keyword.asked == [] and dense.asked == []  # nothing else can reach the best 2
    keyword.asked.clear()
    hybrid.search("q", 7)
    assert keyword.asked and dense.asked  # now the others may


@given(exact_runs())
def test_hybrid_with_bounds_gives_the_best_k_of_scoring_every_candidate(
    case: tuple[list[list[Hit]], list[dict[str, float]], int],
) -> None:
    runs, every, k = case
    if any(run[0].score <= 0 for run in runs):
        return  # no bound: every candidate is asked for (the other tests)
    keyword = ScoringFake("bm25", runs[0], every[0])
    dense = ScoringFake("dense", runs[1], every[1])
    keyword.least_score = dense.least_score = 0.0  # type: ignore[attr-defined]
    dense.scores_cheaply = True  # type: ignore[attr-defined]
    weights = (0.4, 0.6)
    fusion = Fusion("convex", weights, normalise="max", missing="both", depth=len(every[0]))
    found = HybridRetriever([keyword, dense], fusion).search("q", k)
    union = {hit.paper_id for run in runs for hit in run}
    known = [
        {pid: scores[pid] for pid in union - {hit.paper_id for hit in run}}
        for run, scores in zip(runs, every, strict=True)
    ]
    full = convex_combination(runs, weights, normalise="max", known=known)[:k]
    assert [hit.score for hit in found] == pytest.approx([hit.score for hit in full])


def test_max_scale_of_log_probabilities_is_min_max() -> None:
    """DSI's scores are all negative: scaled to [0, 1] like the other lists, not left unbounded
    below (a paper DSI did not decode would sink below every paper it did)."""
    from papersift.retrieval.fusion import max_scale

    scale = max_scale([-0.5, -2.0, -9.0])
    assert [scale(s) for s in (-0.5, -2.0, -9.0)] == [1.0, 7.0 / 8.5, 0.0]
    positive = max_scale([4.0, 2.0])
    assert positive(2.0) == 0.5 and positive(0.0) == 0.0
