"""Semantic document ids from hierarchical k-means (DSI, section 3.2).

The documents' embeddings are clustered into at most ``branching`` clusters, and every cluster
with more than ``leaf_size`` documents is clustered again, recursively. A document's id is the
path of child positions from the root to it: cluster, sub-cluster, ..., then its position inside
its leaf cluster (``"3-7-42"``). Documents are the leaves of the tree, so the ids form a prefix
code: no id is the prefix of another.

The tree is stored as flat arrays over its *edges* (one per node below the root): an edge points
to a sub-cluster or to a document. Each edge carries a vector to initialise the decoder's docid
token with: the (normalised) centroid of its cluster, or the document's own embedding.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float32]
NO_EDGE = -1
KMEANS_ITERATIONS = 25


@dataclass(frozen=True)
class DocidTree:
    """The docid prefix tree.

    - ``children[node]``: the node's child edges in position order, padded with ``NO_EDGE``.
    - ``edge_parent[e]`` / ``edge_node[e]``: the node an edge leaves / enters (``NO_EDGE`` for an
      edge to a document); ``edge_doc[e]``: the document an edge enters (else ``NO_EDGE``).
    - ``paths[doc]``: the edges from the root to the document, padded with ``NO_EDGE``.
    - ``edge_vectors[e]``: unit vector to initialise the edge's docid token with.
    """

    children: Ints
    edge_parent: Ints
    edge_node: Ints
    edge_doc: Ints
    paths: Ints
    edge_vectors: Floats
    branching: int
    leaf_size: int

    @property
    def documents(self) -> int:
        return int(self.paths.shape[0])

    @property
    def edges(self) -> int:
        return int(self.edge_parent.shape[0])

    @property
    def depth(self) -> int:
        """The length of the longest docid."""
        return int(self.paths.shape[1])

    def path(self, doc: int) -> list[int]:
        return [int(edge) for edge in self.paths[doc] if edge != NO_EDGE]

    def docid(self, doc: int) -> str:
        """The document's id as child positions, e.g. ``"3-7-42"``."""
        positions = self.edge_positions()
        return "-".join(str(positions[edge]) for edge in self.path(doc))

    def edge_positions(self) -> Ints:
        """Each edge's position among its parent's children (its docid token)."""
        positions = np.zeros(self.edges, dtype=np.int32)
        rows, columns = np.nonzero(self.children != NO_EDGE)
        positions[self.children[rows, columns]] = columns
        return positions

    def edge_levels(self) -> Ints:
        """Each edge's level: 0 for the root's children, and so on down."""
        levels = np.zeros(self.edges, dtype=np.int32)
        node_level = np.zeros(self.children.shape[0], dtype=np.int32)
        for edge in range(self.edges):  # breadth-first ids: a parent's level is always known
            levels[edge] = node_level[self.edge_parent[edge]]
            if self.edge_node[edge] != NO_EDGE:
                node_level[self.edge_node[edge]] = levels[edge] + 1
        return levels

    def level_edges(self) -> list[tuple[int, int]]:
        """The [first, last) edge ids of each level (contiguous: ids are breadth first)."""
        levels = self.edge_levels()
        if (np.diff(levels) < 0).any():
            raise ValueError("docid tree edges are not in breadth-first order")
        return [
            (int(np.searchsorted(levels, level)), int(np.searchsorted(levels, level, "right")))
            for level in range(self.depth)
        ]

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:  # a handle, so numpy does not append ".npz"
            self._save_to(handle)

    def _save_to(self, handle: Any) -> None:
        np.savez(
            handle,
            children=self.children,
            edge_parent=self.edge_parent,
            edge_node=self.edge_node,
            edge_doc=self.edge_doc,
            paths=self.paths,
            edge_vectors=self.edge_vectors,
            shape=np.array([self.branching, self.leaf_size], dtype=np.int32),
        )

    @classmethod
    def load(cls, path: Path) -> DocidTree:
        with np.load(path) as stored:
            branching, leaf_size = (int(v) for v in stored["shape"])
            return cls(
                children=stored["children"],
                edge_parent=stored["edge_parent"],
                edge_node=stored["edge_node"],
                edge_doc=stored["edge_doc"],
                paths=stored["paths"],
                edge_vectors=stored["edge_vectors"],
                branching=branching,
                leaf_size=leaf_size,
            )


def build_docids(
    vectors: npt.NDArray[Any], *, branching: int, leaf_size: int, seed: int = 0
) -> DocidTree:
    """The docid tree of the documents whose unit embeddings are the rows of ``vectors``."""
    if branching < 2:
        raise ValueError(f"branching must be at least 2, not {branching}")
    if leaf_size < 1:
        raise ValueError(f"leaf size must be at least 1, not {leaf_size}")
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] == 0:
        raise ValueError("build_docids needs a non-empty (documents, dimension) array")
    builder = _TreeBuilder(vectors)
    pending: deque[tuple[int, Ints]] = deque([(0, np.arange(len(vectors), dtype=np.int32))])
    while pending:  # breadth first, so edge ids run level by level
        node, members = pending.popleft()
        if len(members) <= leaf_size:
            for doc in members:
                builder.add_edge(node, vectors[doc], doc=int(doc))
            continue
        for group in _split(vectors, members, branching, seed + node):
            child = builder.add_edge(node, _unit(vectors[group].mean(axis=0)))
            pending.append((child, group))
    return builder.tree(branching, leaf_size)


def _split(vectors: Floats, members: Ints, branching: int, seed: int) -> list[Ints]:
    """Members grouped by k-means, empty clusters dropped; a split that keeps everything together
    (identical vectors) falls back to equal consecutive chunks so the recursion always ends."""
    import faiss

    points = np.ascontiguousarray(vectors[members])
    clusters = min(branching, len(members))
    kmeans = faiss.Kmeans(
        points.shape[1],
        clusters,
        niter=KMEANS_ITERATIONS,
        seed=seed,
        spherical=True,
        min_points_per_centroid=1,
        max_points_per_centroid=1 << 20,
    )
    kmeans.train(points)
    _, labels = kmeans.index.search(points, 1)
    groups = [members[labels[:, 0] == c] for c in range(clusters)]
    groups = [group for group in groups if len(group)]
    if len(groups) < 2:
        groups = [chunk for chunk in np.array_split(members, clusters) if len(chunk)]
    return groups


def _unit(vector: Floats) -> Floats:
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm else vector).astype(np.float32)


class _TreeBuilder:
    def __init__(self, vectors: Floats) -> None:
        self.vectors = vectors
        self.nodes = 1  # the root
        self.children: list[list[int]] = [[]]
        self.parent: list[int] = []
        self.node: list[int] = []
        self.doc: list[int] = []
        self.edge_vectors: list[Floats] = []
        self.paths: dict[int, list[int]] = {0: []}  # node -> edges from the root
        self.doc_paths: dict[int, list[int]] = {}

    def add_edge(self, parent: int, vector: Floats, *, doc: int | None = None) -> int:
        """Add an edge below ``parent`` to a new node (returned) or to document ``doc``."""
        edge = len(self.parent)
        self.parent.append(parent)
        self.edge_vectors.append(vector)
        self.children[parent].append(edge)
        path = [*self.paths[parent], edge]
        if doc is not None:
            self.node.append(NO_EDGE)
            self.doc.append(doc)
            self.doc_paths[doc] = path
            return NO_EDGE
        node = self.nodes
        self.nodes += 1
        self.children.append([])
        self.node.append(node)
        self.doc.append(NO_EDGE)
        self.paths[node] = path
        return node

    def tree(self, branching: int, leaf_size: int) -> DocidTree:
        return DocidTree(
            children=_padded(self.children),
            edge_parent=np.array(self.parent, dtype=np.int32),
            edge_node=np.array(self.node, dtype=np.int32),
            edge_doc=np.array(self.doc, dtype=np.int32),
            paths=_padded([self.doc_paths[doc] for doc in range(len(self.vectors))]),
            edge_vectors=np.stack(self.edge_vectors).astype(np.float32),
            branching=branching,
            leaf_size=leaf_size,
        )


def _padded(rows: list[list[int]]) -> Ints:
    width = max(len(row) for row in rows)
    table = np.full((len(rows), width), NO_EDGE, dtype=np.int32)
    for index, row in enumerate(rows):
        table[index, : len(row)] = row
    return table
