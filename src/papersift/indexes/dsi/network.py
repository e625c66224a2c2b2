"""The DSI model: a frozen sentence encoder's query vector in, a docid out, one token per level.

The query embedding (from the deployment's embedder, frozen) is projected into a few memory
slots, and a small Transformer decoder generates the docid's edges one level at a time. Decoding is
prefix-aware as in NCI: the token scores at each step are only over the children of the node the
prefix has reached, and each child has a token embedding of its own (two nodes' "child 3" are
different tokens). The token embeddings start as the clusters' centroids (the documents' own
embeddings at the last level), and with ``query_residual`` the decoder output is added to the
query embedding, so an untrained model already walks the tree by similarity and training learns
corrections on top.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from papersift.indexes.dsi.docids import NO_EDGE, DocidTree


@dataclass(frozen=True, slots=True)
class NetworkShape:
    """Sizes of the model. ``dimension`` is the embedder's: queries come in and docid tokens live
    there; ``width`` is the decoder's own."""

    dimension: int
    width: int = 192
    layers: int = 2
    heads: int = 4
    feedforward: int = 768
    memory_slots: int = 4
    dropout: float = 0.1
    query_residual: bool = True

    def __post_init__(self) -> None:
        if self.width % self.heads:
            raise ValueError(f"{self.heads} heads do not divide the width {self.width}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DSINetwork(nn.Module):
    child_edges: Tensor
    valid: Tensor
    edge_node: Tensor
    edge_doc: Tensor

    def __init__(self, shape: NetworkShape, tree: DocidTree) -> None:
        super().__init__()
        self.shape = shape
        centroids = torch.from_numpy(tree.edge_vectors.copy())
        self.memory = nn.Linear(shape.dimension, shape.memory_slots * shape.width)
        self.start = nn.Parameter(torch.zeros(shape.width))
        self.token_in = nn.Embedding(tree.edges, shape.width)
        self.token_out = nn.Embedding(tree.edges, shape.dimension)
        with torch.no_grad():  # inputs: centroids through a random (Johnson-Lindenstrauss) map
            projection = torch.randn(shape.dimension, shape.width) / math.sqrt(shape.width)
            self.token_in.weight.copy_(centroids @ projection)
            self.token_out.weight.copy_(centroids)
        self.level = nn.Embedding(tree.depth, shape.width)
        nn.init.normal_(self.level.weight, std=0.02)
        layer = nn.TransformerDecoderLayer(
            shape.width,
            shape.heads,
            shape.feedforward,
            shape.dropout,
            batch_first=True,
            norm_first=True,
        )
        self.decoder = nn.TransformerDecoder(layer, shape.layers)
        self.out = nn.Linear(shape.width, shape.dimension)
        if shape.query_residual:
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)
        self.log_scale = nn.Parameter(torch.tensor(math.log(20.0)))
        children = torch.from_numpy(tree.children.astype("int64"))
        self.register_buffer("child_edges", children.clamp(min=0), persistent=False)
        self.register_buffer("valid", children != NO_EDGE, persistent=False)
        self.register_buffer(
            "edge_node", torch.from_numpy(tree.edge_node.astype("int64")), persistent=False
        )
        self.register_buffer(
            "edge_doc", torch.from_numpy(tree.edge_doc.astype("int64")), persistent=False
        )
        self.level_edges = tree.level_edges()

    def hidden(self, queries: Tensor, prefixes: Tensor) -> Tensor:
        """Decoder states (batch, steps, dimension) for ``queries`` (batch, dimension) and the
        edges already generated, ``prefixes`` (batch, steps - 1)."""
        batch, steps = queries.shape[0], prefixes.shape[1] + 1
        tokens = torch.cat(
            [self.start.expand(batch, 1, -1), self.token_in(prefixes.clamp(min=0))], dim=1
        )
        tokens = tokens + self.level.weight[:steps]
        memory = self.memory(queries).view(batch, self.shape.memory_slots, -1)
        causal = nn.Transformer.generate_square_subsequent_mask(steps, dtype=tokens.dtype)
        states: Tensor = self.out(self.decoder(tokens, memory, tgt_mask=causal, tgt_is_causal=True))
        if self.shape.query_residual:
            states = states + queries.unsqueeze(1)
        return states

    def child_scores(self, states: Tensor, nodes: Tensor, level: int) -> Tensor:
        """Scores (batch, children) of the children of ``nodes`` (batch,), all at ``level``,
        given the decoder states (batch, dimension); slots past a node's last child are -inf.

        Children of a level's nodes are one contiguous run of edges (ids are breadth first), so
        one matrix product against that run and a gather is all it takes.
        """
        first, last = self.level_edges[level]
        run = states @ self.token_out.weight[first:last].T * self.log_scale.exp()
        edges = self.child_edges[nodes]
        scores = torch.gather(run, 1, (edges - first).clamp(min=0, max=last - first - 1))
        masked: Tensor = scores.masked_fill(~self.valid[nodes], float("-inf"))
        return masked


def parameter_count(network: nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())
