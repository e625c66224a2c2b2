"""Checks and normalisation shared by both vector indexes (files and database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt


def check_batch(
    ids: Sequence[str],
    vectors: npt.NDArray[np.floating[Any]],
    dates: Sequence[date | None],
    categories: Sequence[Sequence[str]],
) -> None:
    if vectors.ndim != 2 or not (len(ids) == len(vectors) == len(dates) == len(categories)):
        raise ValueError(
            f"need one vector, date and category list per id: {len(ids)} ids, "
            f"vectors of shape {vectors.shape}, {len(dates)} dates, {len(categories)} categories"
        )
    if len(set(ids)) != len(ids):
        raise ValueError("paper ids in one batch must be unique")


def unit_rows(rows: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float32]:
    """The rows scaled to unit length (zero rows stay zero)."""
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.where(norms == 0, 1, norms), dtype=np.float32)
