"""Stored paper embeddings: written in batches as they are computed, so a run can resume."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.store.schema import paper_embeddings

_CHUNK = 500


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class EmbeddingStore:
    """Vectors keyed by (embedder identity, paper id), each with the hash of its source text."""

    def __init__(self, db: Engine) -> None:
        self.db = db

    def hashes(self, model: str, paper_ids: Sequence[str]) -> dict[str, str]:
        """The stored text hash of each given paper that has a vector for ``model``."""
        found: dict[str, str] = {}
        table = paper_embeddings
        with self.db.connect() as connection:
            for start in range(0, len(paper_ids), _CHUNK):
                chunk = paper_ids[start : start + _CHUNK]
                rows = connection.execute(
                    sa.select(table.c.paper_id, table.c.text_hash).where(
                        table.c.model == model, table.c.paper_id.in_(chunk)
                    )
                )
                found.update((row.paper_id, row.text_hash) for row in rows)
        return found

    def save(
        self,
        model: str,
        paper_ids: Sequence[str],
        hashes: Sequence[str],
        vectors: npt.NDArray[np.float32],
    ) -> None:
        """Insert or replace vectors, in one transaction."""
        now = datetime.now(UTC)
        rows = [
            {
                "model": model,
                "paper_id": paper_id,
                "text_hash": digest,
                "vector": np.asarray(vector, dtype=np.float32).tobytes(),
                "created_at": now,
            }
            for paper_id, digest, vector in zip(paper_ids, hashes, vectors, strict=True)
        ]
        table = paper_embeddings
        with self.db.begin() as connection:
            connection.execute(
                table.delete().where(table.c.model == model, table.c.paper_id.in_(paper_ids))
            )
            connection.execute(table.insert(), rows)

    def vectors(
        self, model: str, paper_ids: Sequence[str], dimension: int
    ) -> dict[str, npt.NDArray[np.float32]]:
        found: dict[str, npt.NDArray[np.float32]] = {}
        table = paper_embeddings
        with self.db.connect() as connection:
            for start in range(0, len(paper_ids), _CHUNK):
                chunk = paper_ids[start : start + _CHUNK]
                rows = connection.execute(
                    sa.select(table.c.paper_id, table.c.vector).where(
                        table.c.model == model, table.c.paper_id.in_(chunk)
                    )
                )
                for row in rows:
                    found[row.paper_id] = _decode(row.vector, dimension)
        return found

    def count(self, model: str) -> int:
        table = paper_embeddings
        with self.db.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(table).where(table.c.model == model)
                ).scalar_one()
            )

    def iter_all(
        self, model: str, dimension: int, *, chunk_size: int = 10_000
    ) -> Iterator[tuple[list[str], npt.NDArray[np.float32]]]:
        """Every stored vector of ``model`` in paper-id order, as (ids, matrix) chunks."""
        table = paper_embeddings
        last_id = ""
        while True:
            with self.db.connect() as connection:
                rows = connection.execute(
                    sa.select(table.c.paper_id, table.c.vector)
                    .where(table.c.model == model, table.c.paper_id > last_id)
                    .order_by(table.c.paper_id)
                    .limit(chunk_size)
                ).all()
            if not rows:
                return
            ids = [row.paper_id for row in rows]
            matrix = np.frombuffer(b"".join(row.vector for row in rows), dtype=np.float32)
            yield ids, matrix.reshape(len(rows), dimension)
            last_id = ids[-1]


def _decode(blob: bytes, dimension: int) -> npt.NDArray[np.float32]:
    vector = np.frombuffer(blob, dtype=np.float32)
    if vector.shape != (dimension,):
        raise ValueError(f"stored vector has {vector.size} values, expected {dimension}")
    return vector
