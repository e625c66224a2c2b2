"""The fast transformer embedder: the model in ONNX, fused and int8-quantised, run by onnxruntime.

The export (torch and transformers, once) traces the model with eager attention so onnxruntime's
transformer optimiser fuses each layer's attention into one MultiHeadAttention node, then
quantises the embedding tables and every weight matrix to int8, the matrices per output channel
(activations are quantised on the fly; onnxruntime multiplies them with the CPU's VNNI
instructions where it has them; the attention itself stays float32). Texts are batched with
others of exactly their token length, so no batch is ever padded: the attention needs no mask, and
onnxruntime then takes its flash-attention path. Mean pooling is a plain mean over the tokens.

Batches run on one worker thread per core, each a single-threaded onnxruntime run, rather than
one batch at a time spread over the cores: no per-operator hand-offs between threads, and a core
that another process takes away delays one batch instead of every operator.

On SciFact (``python -m bench.embedders --quality``) the vectors have a mean cosine of 0.995 to
the float32 model's and dense retrieval scores nDCG@10 0.649 (float32: 0.645). One thread spends
26 ms of CPU on an abstract, torch float32 85-90 ms, the previous unfused, padded export 33 ms.
The cached export runs with onnxruntime and tokenizers alone (the ``semantic`` extra); exporting
needs the ``export`` extra (torch, transformers, onnx).
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from papersift.embeddings.base import Vectors
from papersift.embeddings.models import (
    build_atomically,
    local_model_dir,
    metadata_matches,
    model_name,
    offline_hub,
    package_versions,
    read_metadata,
    uses_mean_pooling,
    write_metadata,
)
from papersift.errors import MissingDependencyError, SettingsError

if TYPE_CHECKING:
    from tokenizers import Encoding, Tokenizer

BACKEND = "onnx-int8"
MODEL_FILE = "model.onnx"
# Bumped whenever the exported graph changes, so caches of an older export are rebuilt:
# 1 (no field): traced attention with a padding mask, every MatMul quantised (attention's too);
# 2: fused unmasked MultiHeadAttention (unpadded batches), only weight MatMuls quantised.
EXPORT_FORMAT = 2
_OPSET = 17
_SUPPORTED_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Model types whose graphs onnxruntime's "bert" optimiser fuses (others are exported unfused).
_FUSED_MODEL_TYPES = frozenset({"bert"})
# onnxruntime's own optimiser would fuse each residual Add + LayerNormalization back into a
# SkipLayerNormalization, whose CPU kernel measured 5x slower than the pair (scalar loops).
_DISABLED_OPTIMIZERS = ("SkipLayerNormFusion",)
# Tokens in one run at most: small runs keep a layer's activations in the core's cache (measured
# CPU per SciFact abstract: 26.8 ms at 512 tokens a run, 27.8 at 1,024, 32 at 4,096) and share out
# evenly between the workers.
TOKENS_PER_BATCH = 512
# Loggers of the libraries the export drives, kept to errors while it runs.
_EXPORT_LOGGERS = ("onnxruntime", "onnx", "torch", "transformers", "huggingface_hub")

logger = logging.getLogger(__name__)


class OnnxInt8Embedder:
    """Mean-pooled, normalised sentence embeddings from an int8 ONNX export of ``model``."""

    def __init__(
        self,
        model: str,
        *,
        cache_dir: Path,
        max_seq_length: int = 256,
        workers: int | None = None,
    ) -> None:
        """Load ``model`` from ``cache_dir``, exporting it there first if it is not cached yet.

        The export (about 30 s of CPU for MiniLM) lands in ``cache_dir/<name>-onnx-int8/``; a
        cached export in an older format is replaced. ``workers`` (default: the CPUs this process
        may use) is how many batches run at once.
        """
        onnxruntime, tokenizer_class = _import_runtime()
        directory = cache_dir / f"{model_name(model)}-{BACKEND}"
        if not is_current(directory):
            export_onnx_int8(model, directory, max_seq_length=max_seq_length)
        metadata = read_metadata(directory)
        self.identity = f"{model_name(model)}:{BACKEND}"
        self.dimension = int(metadata["dimension"])
        self.directory = directory
        self._input_names: list[str] = list(metadata["input_names"])
        self._workers = max(1, workers or _usable_cpus())
        self._session = _open_session(onnxruntime, directory / MODEL_FILE)
        self._output_name: str = self._session.get_outputs()[0].name
        self._tokenizer = _load_tokenizer(tokenizer_class, directory, max_seq_length)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 32, progress: bool = False
    ) -> Vectors:
        """A (len(texts), dimension) float32 array of unit vectors, in input order.

        Each batch holds up to ``batch_size`` texts of one token length, longest first.
        """
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        encodings = self._tokenizer.encode_batch_fast(list(texts))
        lengths = [len(encoding.ids) for encoding in encodings]
        batches = equal_length_batches(lengths, batch_size, max_tokens=TOKENS_PER_BATCH)

        def embed_batch(batch: list[int]) -> None:
            vectors[batch] = self._embed_encodings([encodings[i] for i in batch])

        with tqdm(total=len(batches), desc="embedding", unit="batch", disable=not progress) as bar:
            if len(batches) == 1 or self._workers == 1:
                for batch in batches:
                    embed_batch(batch)
                    bar.update()
            else:
                for _ in self._executor().map(embed_batch, batches):
                    bar.update()
        return vectors

    def embed_query(self, text: str) -> Vectors:
        """One (dimension,) unit vector for a search query."""
        vector: Vectors = self._embed_encodings([self._tokenizer.encode(text)])[0]
        return vector

    def _embed_encodings(self, encodings: list[Encoding]) -> Vectors:
        """Unit vectors of encodings that all have the same length (so nothing is padded)."""
        ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        feeds: dict[str, npt.NDArray[np.int64]] = {"input_ids": ids}
        if "token_type_ids" in self._input_names:
            types = [encoding.type_ids for encoding in encodings]
            feeds["token_type_ids"] = np.array(types, dtype=np.int64)
        if "attention_mask" in self._input_names:  # an unfused export still takes the mask
            feeds["attention_mask"] = np.ones_like(ids)
        hidden = self._session.run([self._output_name], feeds)[0]
        return _normalise(hidden.mean(axis=1, dtype=np.float32))

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="onnx-embed")
            return self._pool


def equal_length_batches(
    lengths: Sequence[int], batch_size: int, *, max_tokens: int = TOKENS_PER_BATCH
) -> list[list[int]]:
    """Indices of ``lengths`` in batches of equal lengths, longest first.

    A batch holds up to ``batch_size`` indices and, unless that leaves it empty, up to
    ``max_tokens`` tokens. Within a length, indices keep their input order.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for length, same in groupby(order, key=lambda i: lengths[i]):
        indices = list(same)
        size = max(1, min(batch_size, max_tokens // max(length, 1)))
        batches.extend(indices[start : start + size] for start in range(0, len(indices), size))
    return batches


def is_current(directory: Path) -> bool:
    """Whether ``directory`` holds a finished export in this version's format."""
    return metadata_matches(directory, backend=BACKEND, export_format=EXPORT_FORMAT)


def export_onnx_int8(model: str, target: Path, *, max_seq_length: int) -> None:
    """Export ``model`` to ONNX, fuse it, quantise its weights to int8, save it at ``target``.

    ``target`` also gets the tokenizer files and ``papersift-model.json``; it appears all at once
    or not at all, replacing an export in an older format (see ``build_atomically``).
    """
    _import_exporter()  # before looking for the model: say at once what to install
    source = local_model_dir(model)
    if not uses_mean_pooling(source):
        raise SettingsError(f"the {BACKEND} backend supports mean-pooling models only: {model!r}")

    def build(staging: Path) -> None:
        _export_into(staging, source, model=model, max_seq_length=max_seq_length)

    logger.info("exporting the embedding model %s to int8 ONNX once, about 30 s", model)
    build_atomically(target, build, is_current=is_current)


def _export_into(staging: Path, source: Path, *, model: str, max_seq_length: int) -> None:
    torch, auto_model, auto_tokenizer = _import_exporter()
    with offline_hub(), _quiet_export():
        tokenizer = auto_tokenizer.from_pretrained(str(source))
        # Eager attention traces to the pattern onnxruntime's optimiser recognises and fuses.
        network = auto_model.from_pretrained(str(source), attn_implementation="eager").eval()
        input_names = [name for name in tokenizer.model_input_names if name in _SUPPORTED_INPUTS]
        if "attention_mask" not in input_names:
            raise SettingsError(f"the {BACKEND} backend needs an attention-mask input: {model!r}")
        float_model = staging / "model-fp32.onnx"
        dimension = _export_float32(torch, network, input_names, float_model)
        fused = _fuse(float_model, network.config)
        _quantise(float_model, staging / MODEL_FILE)
        float_model.unlink()
        tokenizer.save_pretrained(str(staging))
    write_metadata(
        staging,
        source_model=model,
        source_path=str(source),
        backend=BACKEND,
        export_format=EXPORT_FORMAT,
        dimension=dimension,
        max_seq_length=max_seq_length,
        pooling="mean",
        normalised=True,
        fused_attention=fused,
        input_names=_graph_inputs(staging / MODEL_FILE),
        opset=_OPSET,
        versions=package_versions("onnx", "onnxruntime", "torch", "transformers", "papersift"),
    )


def _export_float32(torch: Any, network: Any, input_names: list[str], path: Path) -> int:
    """Trace ``network`` to an ONNX graph with dynamic batch and sequence axes; its dimension."""

    class LastHiddenState(torch.nn.Module):  # type: ignore[misc]
        # transformers 5 reordered BertModel.forward's parameters: pass them by name.
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, *inputs: Any) -> Any:
            return self.network(**dict(zip(input_names, inputs, strict=True))).last_hidden_state

    wrapper = LastHiddenState().eval()
    example = tuple(torch.ones(2, 16, dtype=torch.long) for _ in input_names)
    dynamic_axes = {name: {0: "batch", 1: "sequence"} for name in [*input_names, "hidden"]}
    with torch.no_grad():
        # The TorchScript exporter is deprecated (its warnings are silenced by _quiet_export);
        # its output is correct for this graph, and the dynamo exporter needs onnxscript.
        dimension = int(wrapper(*example).shape[-1])
        torch.onnx.export(
            wrapper,
            example,
            str(path),
            input_names=input_names,
            output_names=["hidden"],
            dynamic_axes=dynamic_axes,
            opset_version=_OPSET,
            dynamo=False,
        )
    return dimension


def _fuse(path: Path, config: Any) -> bool:
    """Rewrite the float32 graph at ``path`` with fused transformer layers and unmasked attention.

    Fuses embeddings + LayerNorm, each layer's attention into one MultiHeadAttention node, and
    bias + GELU; then drops the attention's padding mask (batches are never padded) and the graph
    inputs nothing reads any more. False, leaving ``path`` as it was, for a model type the
    optimiser does not know or a graph whose attention it could not fuse.
    """
    if getattr(config, "model_type", None) not in _FUSED_MODEL_TYPES:
        return False
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("bert")
    options.use_multi_head_attention = True  # its CPU kernel has the flash-attention path
    options.enable_skip_layer_norm = False  # see _DISABLED_OPTIMIZERS
    optimized = optimize_model(
        str(path),
        model_type="bert",
        num_heads=int(config.num_attention_heads),
        hidden_size=int(config.hidden_size),
        optimization_options=options,
        opt_level=0,  # fusions only: onnxruntime optimises the rest when it loads the model
    )
    graph = optimized.model.graph
    attention = [node for node in graph.node if node.op_type == "MultiHeadAttention"]
    # Inputs: query, key, value, packed bias, key padding mask.
    if len(attention) != int(config.num_hidden_layers) or any(
        len(node.input) != 5 for node in attention
    ):
        return False
    for node in attention:
        del node.input[4]
    optimized.prune_graph()
    read = {name for node in graph.node for name in node.input}
    for graph_input in list(graph.input):
        if graph_input.name not in read:
            graph.input.remove(graph_input)
    optimized.save_model_to_file(str(path))
    return True


def _quantise(float_model: Path, int8_model: Path) -> None:
    """Quantise the weight matrices per output channel; activations stay dynamic (per batch)."""
    try:
        from onnx import TensorProto
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as error:
        raise MissingDependencyError(error.name or "onnx", extra="export") from error
    quantize_dynamic(
        str(float_model),
        str(int8_model),
        per_channel=True,
        weight_type=QuantType.QInt8,
        # Not MultiHeadAttention (there is no quantised version); the embedding tables, yes.
        op_types_to_quantize=["MatMul", "EmbedLayerNormalization", "Gather"],
        extra_options={
            # Quantising activation x activation products (unfused attention) costs accuracy.
            "MatMulConstBOnly": True,
            # Shape inference cannot type the outputs of the fused (com.microsoft) operators.
            "DefaultTensorType": TensorProto.FLOAT,
        },
    )


def _graph_inputs(path: Path) -> list[str]:
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    initialisers = {initialiser.name for initialiser in graph.initializer}
    return [value.name for value in graph.input if value.name not in initialisers]


@contextmanager
def _quiet_export() -> Iterator[None]:
    """Silence the warnings, log lines and progress bars of the libraries the export drives.

    Their errors still surface, as log records at ERROR and as exceptions.
    """
    import transformers.utils.logging

    transformers_logging: Any = transformers.utils.logging  # its switches are untyped
    loggers = [logging.getLogger(name) for name in _EXPORT_LOGGERS]
    levels = [each.level for each in loggers]
    root = logging.getLogger()
    # onnxruntime's optimiser logs through loggers named after its modules ("fusion_base", ...)
    # and its quantiser through the root logger, so their records are caught at the root's
    # handlers. With no handler there, a root record would also install one on stderr for good
    # (logging.basicConfig): the guard prevents that.
    guard = logging.NullHandler()
    drop = _DropThirdPartyRecords()
    handlers = [guard, *root.handlers]
    bars = transformers_logging.is_progress_bar_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root.addHandler(guard)
        for handler in handlers:
            handler.addFilter(drop)
        for each in loggers:
            each.setLevel(logging.ERROR)
        transformers_logging.disable_progress_bar()
        try:
            yield
        finally:
            if bars:
                transformers_logging.enable_progress_bar()
            for each, level in zip(loggers, levels, strict=True):
                each.setLevel(level)
            for handler in handlers:
                handler.removeFilter(drop)
            root.removeHandler(guard)


class _DropThirdPartyRecords(logging.Filter):
    """Drops records below ERROR logged from the source files of the export's libraries."""

    _PACKAGES = tuple(f"{os.sep}{name}{os.sep}" for name in _EXPORT_LOGGERS)

    def filter(self, record: logging.LogRecord) -> bool:
        third_party = any(package in record.pathname for package in self._PACKAGES)
        return record.levelno >= logging.ERROR or not third_party


def _open_session(onnxruntime: Any, path: Path) -> Any:
    options = onnxruntime.SessionOptions()
    # One thread per run: batches run side by side on the embedder's workers, and a short query
    # is done before threads could share it out.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(
        str(path),
        options,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=list(_DISABLED_OPTIMIZERS),
    )


def _load_tokenizer(
    tokenizer_class: type[Tokenizer], directory: Path, max_length: int
) -> Tokenizer:
    tokenizer = tokenizer_class.from_file(str(directory / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    return tokenizer


def _usable_cpus() -> int:
    affinity: Callable[[int], set[int]] | None = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return len(affinity(0)) or 1
    return os.cpu_count() or 1


def _normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.clip(norms, 1e-12, None), dtype=np.float32)


def _import_runtime() -> tuple[Any, type[Tokenizer]]:
    try:
        import onnxruntime
    except ImportError as error:
        raise MissingDependencyError("onnxruntime", extra="semantic") from error
    try:
        from tokenizers import Tokenizer
    except ImportError as error:
        raise MissingDependencyError("tokenizers", extra="semantic") from error
    return onnxruntime, Tokenizer


def _import_exporter() -> tuple[Any, Any, Any]:
    try:
        import onnx  # noqa: F401  (torch.onnx.export writes through it)
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as error:
        package = (error.name or "torch").split(".")[0]
        raise MissingDependencyError(package, extra="export") from error
    return torch, AutoModel, AutoTokenizer
