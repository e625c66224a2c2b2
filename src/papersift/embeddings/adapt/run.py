"""One adaptation, start to finish: pairs, hard negatives, training, the model directory, export.

A run lives in a work directory named after everything that decides its result (base model,
documents, ``AdaptConfig``): its mined pairs, its checkpoint, and, once finished, ``result.json``
naming the model it produced. Running the same adaptation again resumes an interrupted run,
continues one that ran out of time when given more, and otherwise returns the finished model.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from papersift.embeddings.adapt.checkpoint import TrainingState, discard_checkpoint
from papersift.embeddings.adapt.config import AdaptConfig
from papersift.embeddings.adapt.negatives import DEPTH, mine_hard_negatives
from papersift.embeddings.adapt.output import adapted_name, weights_digest, write_model
from papersift.embeddings.adapt.pairs import Document, Pair, document_passage, make_pairs
from papersift.embeddings.adapt.training import Controls, Example, planned_steps, train
from papersift.embeddings.models import (
    local_model_dir,
    model_name,
    offline_hub,
    package_versions,
    read_metadata,
)
from papersift.errors import MissingDependencyError, PapersiftError

DATA_FILE = "pairs.json"
RESULT_FILE = "result.json"
EXPORT_MAX_SEQ_LENGTH = 256  # what the onnx-int8 embedder reads, as for the default model


@dataclass(frozen=True, slots=True)
class AdaptResult:
    model_dir: Path
    metadata: dict[str, Any]
    complete: bool  # every planned step done (else the time budget ran out first)


def adapt_model(
    documents: Sequence[Document],
    config: AdaptConfig,
    *,
    work_root: Path,
    output_root: Path,
    controls: Controls | None = None,
    export_cache_dir: Path | None = None,
    progress: bool = False,
) -> AdaptResult:
    """Adapt ``config.base_model`` to ``documents``; the model lands in ``output_root``.

    With ``export_cache_dir`` the model is also exported to onnx-int8 there, where the
    onnx-int8 embedder looks for it. ``AdaptInterrupted`` when stopped on request (resumable).
    """
    controls = controls or Controls()
    chosen = _chosen_documents(documents, config)
    base_dir = local_model_dir(config.base_model)
    work_dir = work_root / f"{model_name(config.base_model)}-{_run_key(chosen, config, base_dir)}"
    work_dir.mkdir(parents=True, exist_ok=True)
    finished = _finished(work_dir, controls)
    if finished is None:
        finished = _train_and_save(
            chosen, config, base_dir, work_dir, output_root, controls, progress
        )
    if export_cache_dir is not None:
        export_adapted(finished.model_dir, export_cache_dir)
    return finished


def export_adapted(model_dir: Path, cache_dir: Path) -> Path:
    """The onnx-int8 export of an adapted model, where the embedder of that name will look."""
    from papersift.embeddings.onnx_backend import BACKEND, export_onnx_int8, is_current

    target = cache_dir / f"{model_name(str(model_dir))}-{BACKEND}"
    if not is_current(target):
        export_onnx_int8(str(model_dir), target, max_seq_length=EXPORT_MAX_SEQ_LENGTH)
    return target


def _chosen_documents(documents: Sequence[Document], config: AdaptConfig) -> list[Document]:
    """The documents with an abstract, at most ``max_docs`` of them drawn at random."""
    usable = [d for d in documents if d.abstract.strip()]
    if config.max_docs is None or len(usable) <= config.max_docs:
        return usable
    generator = random.Random(f"docs:{config.seed}")
    chosen = sorted(generator.sample(range(len(usable)), config.max_docs))
    return [usable[i] for i in chosen]


def _run_key(documents: Sequence[Document], config: AdaptConfig, base_dir: Path) -> str:
    digest = hashlib.blake2b(digest_size=8)
    digest.update(json.dumps(config.record(), sort_keys=True).encode())
    digest.update(_base_fingerprint(base_dir).encode())
    digest.update(_documents_digest(documents).encode())
    return digest.hexdigest()


def _documents_digest(documents: Sequence[Document]) -> str:
    digest = hashlib.blake2b(digest_size=8)
    for document in documents:
        digest.update(f"{document.title}\x00{document.abstract}\x01".encode())
    return digest.hexdigest()


def _base_fingerprint(base_dir: Path) -> str:
    """The base model's configuration and the names and sizes of its weight files."""
    parts = [(base_dir / "config.json").read_text(encoding="utf-8")]
    for path in sorted(base_dir.glob("*.safetensors")) + sorted(base_dir.glob("*.bin")):
        parts.append(f"{path.name}:{path.stat().st_size}")
    return "\n".join(parts)


def _finished(work_dir: Path, controls: Controls) -> AdaptResult | None:
    """The model this run already produced, unless it ran out of time and may now continue."""
    path = work_dir / RESULT_FILE
    if not path.is_file():
        return None
    result = json.loads(path.read_text(encoding="utf-8"))
    model_dir = Path(result["model_dir"])
    if not model_dir.is_dir():
        return None
    more_time = controls.budget_seconds is None or controls.budget_seconds > result["seconds"]
    if not result["complete"] and more_time:
        return None
    return AdaptResult(model_dir, read_metadata(model_dir), bool(result["complete"]))


def _train_and_save(
    documents: list[Document],
    config: AdaptConfig,
    base_dir: Path,
    work_dir: Path,
    output_root: Path,
    controls: Controls,
    progress: bool,
) -> AdaptResult:
    pairs, negatives = _training_data(documents, config, work_dir, progress)
    if not pairs:
        raise PapersiftError(
            "nothing to adapt on: no paper has an abstract of two sentences or more"
        )
    examples = _examples(documents, pairs, negatives, config)
    network, tokenizer = _load_base(base_dir)
    state, complete = train(
        network, tokenizer, examples, config, work_dir, controls, progress=progress
    )
    digest = weights_digest(network)
    model_dir = output_root / adapted_name(config.base_model, digest)
    metadata = _describe(documents, pairs, config, base_dir, state, complete, digest, examples)
    write_model(model_dir, network, tokenizer, base_dir, metadata)
    result = {"model_dir": str(model_dir), "complete": complete, "seconds": state.seconds}
    _write_json(work_dir / RESULT_FILE, result)
    if complete:
        discard_checkpoint(work_dir)
    return AdaptResult(model_dir, metadata, complete)


def _training_data(
    documents: list[Document], config: AdaptConfig, work_dir: Path, progress: bool
) -> tuple[list[Pair], list[int] | None]:
    """The pairs and their hard negatives, mined once per run and kept in the work directory."""
    path = work_dir / DATA_FILE
    if path.is_file():
        saved = json.loads(path.read_text(encoding="utf-8"))
        return [Pair(*fields) for fields in saved["pairs"]], saved["negatives"]
    pairs = make_pairs(
        documents,
        pairs_per_doc=config.pairs_per_doc,
        use_titles=config.use_titles,
        seed=config.seed,
    )
    negatives = None
    if config.hard_negatives:
        negatives = mine_hard_negatives(
            documents, pairs, use_titles=config.use_titles, seed=config.seed, progress=progress
        )
    fields = [[p.doc, p.kind, p.query, p.passage] for p in pairs]
    _write_json(path, {"pairs": fields, "negatives": negatives})
    return pairs, negatives


def _examples(
    documents: list[Document],
    pairs: list[Pair],
    negatives: list[int] | None,
    config: AdaptConfig,
) -> list[Example]:
    examples = []
    for number, pair in enumerate(pairs):
        negative_doc = negatives[number] if negatives is not None else -1
        negative = (
            document_passage(documents[negative_doc], use_titles=config.use_titles)
            if negatives is not None
            else None
        )
        examples.append(Example(pair.query, pair.passage, negative, pair.doc, negative_doc))
    return examples


def _load_base(base_dir: Path) -> tuple[Any, Any]:
    try:
        from transformers import AutoModel, AutoTokenizer
    except ImportError as error:
        raise MissingDependencyError("transformers", extra="export") from error
    with offline_hub():
        tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
        network = AutoModel.from_pretrained(str(base_dir))
    return network, tokenizer


def _describe(
    documents: list[Document],
    pairs: list[Pair],
    config: AdaptConfig,
    base_dir: Path,
    state: TrainingState,
    complete: bool,
    digest: str,
    examples: list[Example],
) -> dict[str, Any]:
    steps_per_epoch = max(1, -(-len(examples) // config.batch_size))
    return {
        "kind": "adapted sentence encoder",
        "base_model": config.base_model,
        "base_path": str(base_dir),
        "weights_digest": digest,
        "data": {
            "documents": len(documents),
            "documents_digest": _documents_digest(documents),
            "pairs": len(pairs),
            "pair_kinds": dict(Counter(pair.kind for pair in pairs)),
            "titles_used": config.use_titles,
            "hard_negatives": (
                f"one per pair, drawn from the top {DEPTH} BM25 matches (papersift's keyword "
                "index) other than the pair's document"
                if config.hard_negatives
                else "none (in-batch negatives only)"
            ),
        },
        "loss": {"name": config.loss, "scale": config.scale, "in_batch_negatives": True},
        "settings": config.record(),
        "steps": state.step,
        "steps_planned": planned_steps(len(examples), config),
        "complete": complete,
        "training_seconds": round(state.seconds, 1),
        "losses_per_epoch": _mean_per(state.losses, steps_per_epoch),
        "loss_curve": _mean_per(state.losses, max(1, -(-len(state.losses) // 10))),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": package_versions("torch", "transformers", "papersift"),
        "threads": _torch_threads(),
    }


def _mean_per(losses: list[float], size: int) -> list[float]:
    return [
        round(sum(chunk) / len(chunk), 4)
        for chunk in (losses[start : start + size] for start in range(0, len(losses), size))
    ]


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def _write_json(path: Path, value: Any) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(value, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)
