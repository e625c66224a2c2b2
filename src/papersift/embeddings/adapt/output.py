"""The adapted model's directory: a sentence-transformers model that describes how it was made.

It holds the weights and tokenizer (``save_pretrained``), the base model's sentence-transformers
files (pooling and the like, when it has them) and ``papersift-model.json``: base model, data,
loss, settings, steps, time and losses. Its name ends with a digest of the weights, so two
different adaptations never share a name, and neither do their cached exports or their
embeddings (papersift keys both by the model's name).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from papersift.embeddings.models import build_atomically, model_name, write_metadata

_SENTENCE_TRANSFORMERS_FILES = (
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling",
)


def weights_digest(network: Any) -> str:
    """A digest of every parameter and buffer, in name order."""
    digest = hashlib.blake2b(digest_size=6)
    for name, tensor in sorted(network.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def adapted_name(base_model: str, digest: str) -> str:
    return f"{model_name(base_model)}-adapted-{digest}"


def write_model(
    target: Path, network: Any, tokenizer: Any, base_dir: Path, metadata: dict[str, Any]
) -> None:
    """Save the model at ``target``, all at once (see ``build_atomically``)."""

    def build(staging: Path) -> None:
        network.save_pretrained(str(staging))
        tokenizer.save_pretrained(str(staging))
        for name in _SENTENCE_TRANSFORMERS_FILES:
            source = base_dir / name
            if source.is_dir():
                shutil.copytree(source, staging / name)
            elif source.is_file():
                shutil.copy2(source, staging / name)
        write_metadata(staging, **metadata)

    build_atomically(target, build)
