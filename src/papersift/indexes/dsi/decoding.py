"""Beam search constrained to valid docids.

The docid tree is the prefix tree: at each step only the children of the node a beam has reached
are scored, so every finished beam is a real document. Beams that reach a document leave the beam
with their score (the sum of the log-probabilities of their tokens); the search stops when no
beam is left or none can beat the ``k``-th finished one (scores only fall as beams grow).
"""

from __future__ import annotations

import torch
from torch import Tensor

from papersift.indexes.dsi.docids import DocidTree
from papersift.indexes.dsi.network import DSINetwork


@torch.no_grad()
def beam_search(
    network: DSINetwork, tree: DocidTree, query: Tensor, *, beam: int, k: int
) -> list[tuple[int, float]]:
    """The best documents for ``query`` (dimension,), as (document, log-probability), best first."""
    prefixes = torch.zeros((1, 0), dtype=torch.long)
    nodes = torch.zeros(1, dtype=torch.long)
    scores = torch.zeros(1)
    finished: list[tuple[int, float]] = []
    edge_node, edge_doc = network.edge_node, network.edge_doc
    for level in range(tree.depth):
        states = network.hidden(query.expand(len(nodes), -1), prefixes)[:, -1]
        log_probs = torch.log_softmax(network.child_scores(states, nodes, level), dim=-1)
        totals = (scores.unsqueeze(1) + log_probs).flatten()
        valid = int(torch.isfinite(totals).sum())
        best = torch.topk(totals, min(beam, valid))
        rows = best.indices // log_probs.shape[1]
        edges = network.child_edges[nodes[rows], best.indices % log_probs.shape[1]]
        docs = edge_doc[edges]
        done = docs >= 0
        finished += zip(docs[done].tolist(), best.values[done].tolist(), strict=True)
        going = ~done
        if not going.any():
            break
        prefixes = torch.cat([prefixes[rows[going]], edges[going].unsqueeze(1)], dim=1)
        nodes, scores = edge_node[edges[going]], best.values[going]
        finished.sort(key=lambda item: -item[1])
        if len(finished) >= k and float(scores.max()) <= finished[k - 1][1]:
            break
    finished.sort(key=lambda item: (-item[1], item[0]))
    return finished[:k]
