"""Semantic docids: a valid prefix code over every document, whatever the vectors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.indexes.dsi.docids import NO_EDGE, DocidTree, build_docids

pytest.importorskip("faiss")


def _unit_rows(count: int, dimension: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def assert_valid_prefix_code(tree: DocidTree) -> None:
    ids = [tuple(tree.docid(doc).split("-")) for doc in range(tree.documents)]
    assert len(set(ids)) == len(ids), "two documents share a docid"
    as_set = set(ids)
    for docid in ids:
        for cut in range(1, len(docid)):
            assert docid[:cut] not in as_set, f"{docid[:cut]} is a prefix of {docid}"
    for doc in range(tree.documents):  # the path ends at the document, through real edges
        path = tree.path(doc)
        assert tree.edge_doc[path[-1]] == doc
        assert all(tree.edge_node[edge] != NO_EDGE for edge in path[:-1])
        for parent_edge, edge in itertools.pairwise(path):
            assert tree.edge_parent[edge] == tree.edge_node[parent_edge]


@settings(max_examples=25, deadline=None)
@given(
    count=st.integers(1, 300),
    branching=st.integers(2, 6),
    leaf_size=st.integers(1, 12),
    seed=st.integers(0, 1000),
)
def test_docids_are_a_prefix_code(count: int, branching: int, leaf_size: int, seed: int) -> None:
    tree = build_docids(
        _unit_rows(count, 8, seed), branching=branching, leaf_size=leaf_size, seed=seed
    )
    assert_valid_prefix_code(tree)
    assert tree.documents == count
    internal = tree.edge_node[tree.children[:, 0]] != NO_EDGE
    widths = (tree.children != NO_EDGE).sum(axis=1)
    assert (widths[internal] <= branching).all()
    assert (widths[~internal] <= leaf_size).all()


def test_identical_vectors_still_split_into_small_leaves() -> None:
    same = np.tile(_unit_rows(1, 8, 0), (50, 1))
    tree = build_docids(same, branching=3, leaf_size=4)
    assert_valid_prefix_code(tree)
    assert ((tree.children != NO_EDGE).sum(axis=1) <= 4).any()


def test_similar_documents_share_a_prefix() -> None:
    centres = _unit_rows(2, 16, 1)
    noise = np.random.default_rng(2).normal(scale=0.05, size=(40, 16)).astype(np.float32)
    rows = np.concatenate([centres[0] + noise[:20], centres[1] + noise[20:]])
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    tree = build_docids(rows, branching=2, leaf_size=20)
    first = {tree.docid(doc).split("-")[0] for doc in range(20)}
    second = {tree.docid(doc).split("-")[0] for doc in range(20, 40)}
    assert len(first) == 1 and len(second) == 1 and first != second


def test_tree_survives_a_save_and_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tree = build_docids(_unit_rows(120, 8, 3), branching=4, leaf_size=10, seed=3)
    tree.save(tmp_path / "docids.npz")
    loaded = DocidTree.load(tmp_path / "docids.npz")
    assert [loaded.docid(d) for d in range(120)] == [tree.docid(d) for d in range(120)]
    assert np.array_equal(loaded.edge_vectors, tree.edge_vectors)


def test_the_same_seed_gives_the_same_ids() -> None:
    rows = _unit_rows(200, 8, 4)
    one = build_docids(rows, branching=5, leaf_size=10, seed=7)
    two = build_docids(rows, branching=5, leaf_size=10, seed=7)
    assert [one.docid(d) for d in range(200)] == [two.docid(d) for d in range(200)]


@pytest.mark.parametrize(("branching", "leaf_size"), [(1, 10), (4, 0)])
def test_bad_shapes_are_refused(branching: int, leaf_size: int) -> None:
    with pytest.raises(ValueError, match="must be at least"):
        build_docids(_unit_rows(5, 4, 0), branching=branching, leaf_size=leaf_size)
