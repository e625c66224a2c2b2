"""A tiny deterministic embedder and corpus for DSI tests (no model download, no ONNX)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from papersift.embeddings.base import Vectors

DIMENSION = 48
TOPICS = [
    "galaxy",
    "protein",
    "graph",
    "quantum",
    "language",
    "robot",
    "market",
    "climate",
    "vaccine",
    "circuit",
    "fluid",
    "crystal",
    "neuron",
    "sensor",
    "compiler",
    "theorem",
]


class HashingEmbedder:
    """Bag of words hashed into 48 dimensions, L2-normalised: similar words, similar vectors."""

    identity = "hashing-48:test"
    dimension = DIMENSION

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 32, progress: bool = False
    ) -> Vectors:
        rows = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                row[int.from_bytes(digest[:2], "big") % DIMENSION] += 1.0 if digest[2] % 2 else -1.0
            norm = np.linalg.norm(row)
            if norm:
                row /= norm
        return rows

    def embed_query(self, text: str) -> Vectors:
        return self.embed([text])[0]


def corpus(size: int) -> list[tuple[str, str]]:
    """(title, abstract) pairs, each about two topic words of its own."""
    documents = []
    for number in range(size):
        first, second = TOPICS[number % len(TOPICS)], TOPICS[(number * 7 + 3) % len(TOPICS)]
        words = f"w{number}a w{number}b w{number}c"
        documents.append(
            (
                f"On {first} and {second} number {number}",
                f"We study {first} {words}. The {second} results {words} are reported. "
                f"Our {first} method improves {second} baselines {words} considerably.",
            )
        )
    return documents
