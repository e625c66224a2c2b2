"""Fitting the DSI network on both of its tasks at once: indexing (a document's embedding → its
docid) and retrieval (a query's embedding → the docid of the document it was made from or judged
relevant to). Each example is one (query vector, document) pair; the loss is the cross-entropy
of each docid token among the children of the node its prefix reached (teacher forcing).

Deterministic under the plan's seed: epoch ``e`` visits the examples in the order of a generator
seeded with (seed, e), and the checkpoint holds the model, the optimiser and torch's random state,
so training interrupted after any checkpoint and resumed ends with the same weights as training
straight through.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor
from torch.nn import functional
from tqdm import tqdm

from papersift.indexes.dsi.docids import NO_EDGE, DocidTree
from papersift.indexes.dsi.network import DSINetwork

IGNORE = -100


@dataclass(frozen=True, slots=True)
class TrainingPlan:
    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 100
    seed: int = 0
    checkpoint_every: int = 200

    def __post_init__(self) -> None:
        if self.epochs < 0 or self.batch_size < 1 or self.checkpoint_every < 1:
            raise ValueError("epochs must be >= 0, batch size and checkpoint interval >= 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Examples:
    """Training pairs: ``vectors[i]`` (a query or document embedding) should decode to document
    ``docs[i]``."""

    vectors: npt.NDArray[np.float32]
    docs: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.docs.shape[0])


@dataclass
class FitReport:
    epochs_done: int = 0
    steps_done: int = 0
    seconds: float = 0.0
    epoch_losses: list[float] = field(default_factory=list)
    resumed_at_step: int | None = None


def fit(
    network: DSINetwork,
    tree: DocidTree,
    examples: Examples,
    plan: TrainingPlan,
    checkpoint: Path,
    *,
    progress: bool = False,
) -> FitReport:
    """Train ``network`` to ``plan.epochs`` epochs, resuming from ``checkpoint`` when it exists.

    A checkpoint is written every ``plan.checkpoint_every`` steps, at the end of each epoch and
    when interrupted (KeyboardInterrupt is re-raised after saving).
    """
    optimizer = torch.optim.AdamW(
        network.parameters(), lr=plan.learning_rate, weight_decay=plan.weight_decay
    )
    report = FitReport()
    epoch, step = 0, 0
    if checkpoint.exists():
        epoch, step = _restore(checkpoint, network, optimizer, report)
        report.resumed_at_step = report.steps_done
    targets = _Targets(tree)
    per_epoch = math.ceil(len(examples) / plan.batch_size)
    network.train()
    with tqdm(
        total=plan.epochs * per_epoch,
        initial=min(report.steps_done, plan.epochs * per_epoch),
        desc="training DSI",
        unit=" steps",
        disable=not progress,
    ) as bar:
        try:
            while epoch < plan.epochs:
                order = np.random.default_rng([plan.seed, epoch]).permutation(len(examples))
                started, losses = time.perf_counter(), []
                while step < per_epoch:
                    batch = order[step * plan.batch_size : (step + 1) * plan.batch_size]
                    losses.append(_step(network, optimizer, targets, examples, batch, plan, report))
                    step += 1
                    report.steps_done += 1
                    report.seconds += time.perf_counter() - started
                    started = time.perf_counter()
                    bar.update()
                    bar.set_postfix(epoch=epoch + 1, loss=f"{losses[-1]:.3f}")
                    if report.steps_done % plan.checkpoint_every == 0:
                        _save(checkpoint, network, optimizer, report, epoch, step)
                epoch, step = epoch + 1, 0
                report.epochs_done = epoch
                if losses:
                    report.epoch_losses.append(float(np.mean(losses)))
                _save(checkpoint, network, optimizer, report, epoch, step)
        except KeyboardInterrupt:
            _save(checkpoint, network, optimizer, report, epoch, step)
            raise
    network.eval()
    return report


def _step(
    network: DSINetwork,
    optimizer: torch.optim.Optimizer,
    targets: _Targets,
    examples: Examples,
    batch: npt.NDArray[np.int64],
    plan: TrainingPlan,
    report: FitReport,
) -> float:
    docs = torch.from_numpy(examples.docs[batch])
    queries = torch.from_numpy(examples.vectors[batch].astype(np.float32))
    states = network.hidden(queries, targets.inputs[docs])
    nodes = targets.nodes[docs]
    scores = torch.cat(
        [
            network.child_scores(states[:, level], nodes[:, level], level).unsqueeze(1)
            for level in range(states.shape[1])
        ],
        dim=1,
    )
    loss = functional.cross_entropy(
        scores.reshape(-1, scores.shape[-1]),
        targets.positions[docs].reshape(-1),
        ignore_index=IGNORE,
    )
    warmup = min(1.0, (report.steps_done + 1) / max(plan.warmup_steps, 1))
    for group in optimizer.param_groups:
        group["lr"] = plan.learning_rate * warmup
    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]
    torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
    optimizer.step()
    return float(loss.detach())


class _Targets:
    """Teacher-forcing tensors per document: the decoder's input edges, the node each step
    chooses among, and the position of the right child (``IGNORE`` past the docid's end, where
    the node is any node of that level, so that scoring stays within the level)."""

    def __init__(self, tree: DocidTree) -> None:
        paths = torch.from_numpy(tree.paths.astype(np.int64))
        real = paths != NO_EDGE
        edges = paths.clamp(min=0)
        parents = torch.from_numpy(tree.edge_parent.astype(np.int64))[edges]
        positions = torch.from_numpy(tree.edge_positions().astype(np.int64))[edges]
        self.inputs: Tensor = paths[:, :-1]
        first_edges = [first for first, _ in tree.level_edges()]
        some_node = torch.tensor([int(tree.edge_parent[first]) for first in first_edges])
        self.nodes: Tensor = torch.where(real, parents, some_node)
        self.positions: Tensor = torch.where(real, positions, IGNORE)


def _save(
    path: Path,
    network: DSINetwork,
    optimizer: torch.optim.Optimizer,
    report: FitReport,
    epoch: int,
    step: int,
) -> None:
    state = {
        "network": network.state_dict(),
        "optimizer": optimizer.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "epoch": epoch,
        "step": step,
        "steps_done": report.steps_done,
        "seconds": report.seconds,
        "epoch_losses": report.epoch_losses,
    }
    partial = path.with_suffix(".partial")
    torch.save(state, partial)
    os.replace(partial, path)


def _restore(
    path: Path, network: DSINetwork, optimizer: torch.optim.Optimizer, report: FitReport
) -> tuple[int, int]:
    state = torch.load(path, weights_only=False)
    network.load_state_dict(state["network"])
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["torch_rng"])
    report.steps_done = int(state["steps_done"])
    report.seconds = float(state["seconds"])
    report.epoch_losses = list(state["epoch_losses"])
    report.epochs_done = int(state["epoch"])
    return int(state["epoch"]), int(state["step"])
