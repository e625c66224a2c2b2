"""What an adaptation run is: the settings that decide its result (and so its identity)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MULTIPLE_NEGATIVES = "multiple-negatives-ranking"
DECOUPLED_SOFTMAX = "decoupled-softmax"
LOSSES = (MULTIPLE_NEGATIVES, DECOUPLED_SOFTMAX)


@dataclass(frozen=True, slots=True)
class AdaptConfig:
    """Everything that changes the adapted weights. Time budgets and checkpoint intervals are not
    here: they decide when a run stops, not what its steps compute.

    The defaults: multiple-negatives ranking loss (softmax over the batch's passages and hard
    negatives, scale 20, as sentence-transformers trains MiniLM), learning rate 2e-5 with 10%
    warm-up and linear decay, one epoch of one pair a document: small enough a step that the
    encoder keeps what it knew (no collapse onto the corpus' vocabulary).
    """

    base_model: str
    seed: int = 0
    max_docs: int | None = None
    pairs_per_doc: int = 1
    use_titles: bool = True
    hard_negatives: bool = True
    loss: str = MULTIPLE_NEGATIVES
    scale: float = 20.0
    batch_size: int = 32
    learning_rate: float = 2e-5
    weight_decay: float = 0.01
    warmup_share: float = 0.1
    epochs: int = 1
    max_steps: int | None = None
    query_max_length: int = 64
    passage_max_length: int = 128

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of: {', '.join(LOSSES)}")
        if self.batch_size < 2:
            raise ValueError("the batch size must be at least 2 (in-batch negatives)")

    def record(self) -> dict[str, Any]:
        return asdict(self)
