"""The contrastive training loop: batches of (query, passage, hard negative), one loss, on CPU.

Each step embeds the batch's queries and its passages plus hard negatives with the encoder being
trained (mean pooling, unit vectors, as papersift embeds), scores every query against every
passage, and pushes each query towards its own passage and away from the others. A passage of the
query's own document that is not its positive (its hard negative can be another pair's passage)
is masked out, so a document is never its own negative.

Stops when the steps are done, when the time budget is spent, or when asked to (Ctrl-C, SIGTERM,
``stop_requested``); a checkpoint is written every ``checkpoint_seconds``, and on every stop, so
running again resumes exactly: the same weights as a run that was never interrupted.
"""

from __future__ import annotations

import math
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from papersift.embeddings.adapt.checkpoint import TrainingState, load_checkpoint, save_checkpoint
from papersift.embeddings.adapt.config import DECOUPLED_SOFTMAX, AdaptConfig


class AdaptInterrupted(Exception):
    """Training stopped on request; its checkpoint is saved and running again resumes it."""


@dataclass(frozen=True, slots=True)
class Example:
    query: str
    passage: str
    negative: str | None
    doc: int
    negative_doc: int


@dataclass(frozen=True, slots=True)
class Controls:
    """When a run stops and saves, apart from running out of steps."""

    budget_seconds: float | None = None
    checkpoint_seconds: float = 300.0
    stop_requested: Callable[[int], bool] | None = None  # asked after every step


def planned_steps(examples: int, config: AdaptConfig) -> int:
    steps = config.epochs * math.ceil(examples / config.batch_size)
    return min(steps, config.max_steps) if config.max_steps is not None else steps


def train(
    network: Any,
    tokenizer: Any,
    examples: Sequence[Example],
    config: AdaptConfig,
    work_dir: Path,
    controls: Controls,
    *,
    progress: bool = False,
) -> tuple[TrainingState, bool]:
    """Train ``network`` in place; (its state, whether every planned step is done)."""
    torch = _torch()
    torch.manual_seed(config.seed)
    network.train()
    optimizer = torch.optim.AdamW(
        network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    state = load_checkpoint(work_dir, network, optimizer, torch)
    total = planned_steps(len(examples), config)
    schedule = _batches(len(examples), config)
    last_save = time.monotonic()
    bar = tqdm(total=total, initial=state.step, desc="adapting", unit="step", disable=not progress)
    with bar, _stop_signals() as signalled:
        while state.step < total and not _budget_spent(state, controls):
            started = time.monotonic()
            batch = [examples[i] for i in schedule[state.step]]
            _set_learning_rate(optimizer, state.step, total, config)
            loss = _step(torch, network, tokenizer, optimizer, batch, config)
            state.step += 1
            state.losses.append(loss)
            state.seconds += time.monotonic() - started
            bar.update()
            bar.set_postfix(loss=f"{loss:.3f}")
            stop = signalled.is_set() or bool(
                controls.stop_requested and controls.stop_requested(state.step)
            )
            if stop or time.monotonic() - last_save >= controls.checkpoint_seconds:
                save_checkpoint(work_dir, state, network, optimizer, torch)
                last_save = time.monotonic()
            if stop:
                raise AdaptInterrupted(f"stopped after step {state.step} of {total}")
    save_checkpoint(work_dir, state, network, optimizer, torch)
    return state, state.step >= total


def _budget_spent(state: TrainingState, controls: Controls) -> bool:
    return controls.budget_seconds is not None and state.seconds >= controls.budget_seconds


def _batches(count: int, config: AdaptConfig) -> list[list[int]]:
    """The example indexes of every step: the pairs in order, each epoch's batches reshuffled."""
    batches = [
        list(range(start, min(start + config.batch_size, count)))
        for start in range(0, count, config.batch_size)
    ]
    schedule: list[list[int]] = []
    for epoch in range(config.epochs):
        order = list(batches)
        if epoch:
            random.Random(f"epoch:{config.seed}:{epoch}").shuffle(order)
        schedule.extend(order)
    return schedule[: planned_steps(count, config)]


def _set_learning_rate(optimizer: Any, step: int, total: int, config: AdaptConfig) -> None:
    """Linear warm-up over ``warmup_share`` of the steps, then linear decay to zero."""
    warmup = max(1, round(total * config.warmup_share))
    if step < warmup:
        factor = (step + 1) / warmup
    else:
        factor = max(0.0, (total - step) / max(1, total - warmup))
    for group in optimizer.param_groups:
        group["lr"] = config.learning_rate * factor


def _step(
    torch: Any,
    network: Any,
    tokenizer: Any,
    optimizer: Any,
    batch: list[Example],
    config: AdaptConfig,
) -> float:
    queries = encode(torch, network, tokenizer, [e.query for e in batch], config.query_max_length)
    negatives = [e for e in batch if e.negative is not None]
    passages = [e.passage for e in batch] + [e.negative or "" for e in negatives]
    targets = encode(torch, network, tokenizer, passages, config.passage_max_length)
    scores = config.scale * queries @ targets.T
    rows = torch.tensor([e.doc for e in batch])
    columns = torch.tensor([e.doc for e in batch] + [e.negative_doc for e in negatives])
    own = torch.arange(len(batch))
    same_document = rows[:, None] == columns[None, :]
    same_document[own, own] = False
    scores = scores.masked_fill(same_document, float("-inf"))
    loss = _loss(torch, scores, own, config)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
    optimizer.step()
    return float(loss.detach())


def _loss(torch: Any, scores: Any, own: Any, config: AdaptConfig) -> Any:
    if config.loss == DECOUPLED_SOFTMAX:
        # DEXML: the positive's score against the negatives alone (it leaves the denominator).
        positive = scores[own, own]
        others = scores.clone()
        others[own, own] = float("-inf")
        return (torch.logsumexp(others, dim=1) - positive).mean()
    return torch.nn.functional.cross_entropy(scores, own)


def encode(torch: Any, network: Any, tokenizer: Any, texts: list[str], max_length: int) -> Any:
    """Mean-pooled unit vectors of ``texts``, as papersift's embedders compute them."""
    batch = tokenizer(
        texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
    )
    hidden = network(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


@contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """An event set by Ctrl-C or SIGTERM, so the loop stops between steps with a checkpoint."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers can only be set from the main thread
        return
    previous = {each: signal.getsignal(each) for each in (signal.SIGINT, signal.SIGTERM)}
    for each in previous:
        signal.signal(each, lambda *_: stop.set())
    try:
        yield stop
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)


def _torch() -> Any:
    from papersift.errors import MissingDependencyError

    try:
        import torch
    except ImportError as error:
        raise MissingDependencyError("torch", extra="export") from error
    return torch
