"""pyproject.toml declares what the code imports: every third-party import is a dependency or an
extra's, and what the core imports when a module loads is a core dependency, so that
``pip install papersift`` (no extras) can ingest and search. Optional packages are imported where
they are used, and a missing one names its extra."""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import sys
import tomllib
from collections.abc import Iterator, Mapping
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from papersift.errors import MissingDependencyError

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = REPO_ROOT / "src" / "papersift"
# Modules loaded only when their extra's feature runs (DSI training and decoding need torch).
OPTIONAL_MODULES = {
    "indexes/dsi/network.py": "dsi",
    "indexes/dsi/training.py": "dsi",
    "indexes/dsi/decoding.py": "dsi",
}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return _normalise(match.group())


def _declared() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    core = {_requirement_name(r) for r in project["dependencies"]}
    extras = {
        extra: {_requirement_name(r) for r in requirements}
        for extra, requirements in project["optional-dependencies"].items()
    }
    return core, extras


def _imports(tree: ast.Module, *, module_level_only: bool) -> Iterator[tuple[str, int]]:
    """Top-level names of absolute imports (with their line); ``module_level_only`` skips those
    inside functions, ``if TYPE_CHECKING:`` blocks and ``try:`` blocks (optional on purpose)."""
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def _third_party(name: str) -> bool:
    # _typeshed exists for type checkers only (imported under TYPE_CHECKING).
    return name not in sys.stdlib_module_names and name not in ("papersift", "_typeshed")


@functools.cache
def _installed_distributions() -> Mapping[str, list[str]]:
    return packages_distributions()  # scans every installed package: once


def _distributions(name: str) -> set[str]:
    found = _installed_distributions().get(name)
    assert found, f"{name} is imported but not installed here, so its distribution is unknown"
    return {_normalise(distribution) for distribution in found}


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if "/migrations/" in f"/{relative}":
            continue  # Alembic's scripts import alembic and sqlalchemy, core dependencies
        yield relative, ast.parse(path.read_text(encoding="utf-8"))


def test_every_imported_package_is_declared() -> None:
    core, extras = _declared()
    declared = core.union(*extras.values())
    missing = [
        f"{module}:{line} imports {name} ({', '.join(sorted(_distributions(name)))})"
        for module, tree in _sources()
        for name, line in _imports(tree, module_level_only=False)
        if _third_party(name) and not _distributions(name) & declared
    ]
    assert not missing, "undeclared in pyproject.toml:\n" + "\n".join(missing)


def test_what_modules_import_when_loaded_is_a_core_dependency() -> None:
    core, extras = _declared()
    wrong = []
    for module, tree in _sources():
        allowed = core | extras.get(OPTIONAL_MODULES.get(module, ""), set())
        for name, line in _imports(tree, module_level_only=True):
            if _third_party(name) and not _distributions(name) & allowed:
                wrong.append(f"{module}:{line} imports {name} when loaded")
    assert not wrong, "import these where they are used, naming their extra:\n" + "\n".join(wrong)


def test_the_metrics_library_is_the_eval_extra() -> None:
    core, extras = _declared()
    assert "ir-measures" not in core and "ir-measures" in extras["eval"]


def test_semantic_search_with_an_exported_model_needs_no_torch() -> None:
    core, extras = _declared()
    assert "torch" not in core | extras["semantic"]
    assert {"onnxruntime", "tokenizers", "faiss-cpu"} <= extras["semantic"]
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    for requirements in project["optional-dependencies"].values():
        assert all(r == "torch==2.13.0" for r in requirements if _requirement_name(r) == "torch")


def _without(monkeypatch: pytest.MonkeyPatch, *blocked: str) -> None:
    """Make ``blocked`` packages look uninstalled: imports fail, find_spec finds nothing."""
    find_spec = importlib.util.find_spec
    for name in list(sys.modules):
        if name.split(".")[0] in blocked:
            monkeypatch.delitem(sys.modules, name)
    for name in blocked:
        monkeypatch.setitem(sys.modules, name, None)  # type: ignore[arg-type]

    def hidden(name: str, *args: object) -> object:
        return None if name.split(".")[0] in blocked else find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", hidden)


def test_eval_without_ir_measures_names_the_eval_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from papersift.evaluation import evaluate_collection

    _without(monkeypatch, "ir_measures")
    with pytest.raises(MissingDependencyError, match=re.escape("pip install 'papersift[eval]'")):
        evaluate_collection(tmp_path)


def test_dsi_without_torch_names_the_dsi_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from papersift.engine import Engine
    from papersift.errors import SettingsError
    from papersift.settings import Settings

    _without(monkeypatch, "torch")
    engine = Engine(Settings(data_dir=tmp_path, embedder_backend="static"))
    monkeypatch.setattr(engine, "embedder", lambda: None)  # semantic search is set up
    try:
        assert engine.dense is not None and engine.dsi is None
        with pytest.raises(SettingsError, match=re.escape("pip install 'papersift[dsi]'")):
            engine.retriever("dsi")
        choice = engine.choose_mode("dsi")  # a search asked for in DSI gets keyword results
        assert choice.mode == "bm25" and "pip install 'papersift[dsi]'" in (choice.notice or "")
    finally:
        engine.close()


def test_semantic_search_without_its_extra_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from papersift.engine import Engine
    from papersift.settings import Settings

    _without(monkeypatch, "onnxruntime")
    engine = Engine(Settings(data_dir=tmp_path, embedder_backend="auto"))
    try:
        choice = engine.choose_mode("semantic")
        assert choice.mode == "bm25"
        assert "pip install 'papersift[semantic]'" in (choice.notice or "")
    finally:
        engine.close()
