"""A training run's state on disk, written whole or not at all, so a run can resume exactly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHECKPOINT_FILE = "checkpoint.pt"


@dataclass
class TrainingState:
    """Where training stands: steps done, the loss of each, the seconds spent training."""

    step: int = 0
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0


def save_checkpoint(
    directory: Path, state: TrainingState, network: Any, optimizer: Any, torch: Any
) -> None:
    """Write weights, optimiser moments, random state and progress; replace the old one at once."""
    path = directory / CHECKPOINT_FILE
    partial = path.with_suffix(".partial")
    torch.save(
        {
            "step": state.step,
            "losses": state.losses,
            "seconds": state.seconds,
            "network": network.state_dict(),
            "optimizer": optimizer.state_dict(),
            "rng": torch.get_rng_state(),
        },
        partial,
    )
    os.replace(partial, path)


def load_checkpoint(directory: Path, network: Any, optimizer: Any, torch: Any) -> TrainingState:
    """Restore a saved run into ``network`` and ``optimizer``; a fresh state when there is none."""
    path = directory / CHECKPOINT_FILE
    if not path.is_file():
        return TrainingState()
    saved = torch.load(path, weights_only=False)
    network.load_state_dict(saved["network"])
    optimizer.load_state_dict(saved["optimizer"])
    torch.set_rng_state(saved["rng"])
    return TrainingState(saved["step"], list(saved["losses"]), float(saved["seconds"]))


def discard_checkpoint(directory: Path) -> None:
    (directory / CHECKPOINT_FILE).unlink(missing_ok=True)
