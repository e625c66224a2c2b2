"""Text embedders for semantic search: one interface, three backends (see ``BACKENDS``).

The heavy libraries (torch, onnxruntime, model2vec) are imported only when a backend is loaded.
"""

from papersift.embeddings.base import Embedder, document_text
from papersift.embeddings.registry import BACKENDS, load_embedder

__all__ = ["BACKENDS", "Embedder", "document_text", "load_embedder"]
