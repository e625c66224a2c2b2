"""Unsupervised adaptation of the sentence encoder to a deployment's own papers.

``adapt_model`` fine-tunes the encoder with contrastive pairs made from the papers themselves
(``pairs``), BM25-mined hard negatives (``negatives``) and in-batch negatives (``training``), and
saves a self-describing model directory (``output``) that ``PAPERSIFT_EMBEDDER_MODEL`` can name.
Needs the ``export`` extra (torch, transformers).
"""

from papersift.embeddings.adapt.config import DECOUPLED_SOFTMAX, MULTIPLE_NEGATIVES, AdaptConfig
from papersift.embeddings.adapt.pairs import Document
from papersift.embeddings.adapt.run import AdaptResult, adapt_model, export_adapted
from papersift.embeddings.adapt.training import AdaptInterrupted, Controls

__all__ = [
    "DECOUPLED_SOFTMAX",
    "MULTIPLE_NEGATIVES",
    "AdaptConfig",
    "AdaptInterrupted",
    "AdaptResult",
    "Controls",
    "Document",
    "adapt_model",
    "export_adapted",
]
