"""The engine is the fronts' one boundary: the CLI and the web layer call engine methods and the
feature services it exposes, never a store, an index or a retriever directly."""

from __future__ import annotations

import ast
import dataclasses
import enum
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.engine import Engine
from papersift.settings import Settings

PACKAGE = Path(__file__).parents[1] / "src" / "papersift"
FRONTS = [*sorted(PACKAGE.glob("cli*.py")), *sorted((PACKAGE / "web").glob("*.py"))]
BELOW = ("papersift.store.", "papersift.indexes.", "papersift.retrieval.")


def _is_below(value: object) -> bool:
    """A store, an index, a retriever or the database itself: what only the engine may call."""
    module = type(value).__module__
    return module.startswith(BELOW) or module.startswith("sqlalchemy.")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    data_dir = tmp_path_factory.mktemp("boundary")
    engine = Engine(Settings(data_dir=data_dir, embedder_backend="none"))
    yield engine
    engine.close()


def _public_attributes(owner: object) -> Iterator[tuple[str, object]]:
    for name in dir(type(owner)) + list(vars(owner)):
        if name.startswith("__"):
            continue
        try:
            yield name, getattr(owner, name)
        except Exception:
            continue


@pytest.fixture(scope="module")
def forbidden(engine: Engine) -> tuple[set[str], dict[str, set[str]]]:
    """Engine attributes that are stores or indexes, and each service's own stores."""
    below = {name for name, value in _public_attributes(engine) if _is_below(value)}
    services = {
        name: {inner for inner, part in _public_attributes(value) if _is_below(part)}
        for name, value in _public_attributes(engine)
        if type(value).__module__.startswith("papersift.features.")
    }
    return below, services


def _reaches_engine(node: ast.expr) -> bool:
    """``engine``, ``who.engine``, ``visitor.engine`` or ``engine_of(request)``."""
    if isinstance(node, ast.Name):
        return node.id == "engine"
    if isinstance(node, ast.Attribute):
        return node.attr == "engine"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id == "engine_of"
    return False


def _violations(path: Path, below: set[str], services: dict[str, set[str]]) -> Iterator[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr in below and _reaches_engine(node.value):
            yield f"{path.name}:{node.lineno}: engine.{node.attr}"
        parent = node.value
        if (
            isinstance(parent, ast.Attribute)
            and node.attr in services.get(parent.attr, ())
            and _reaches_engine(parent.value)
        ):
            yield f"{path.name}:{node.lineno}: engine.{parent.attr}.{node.attr}"
        if (
            isinstance(node.value, ast.Name)
            and node.attr.startswith("_")
            and node.value.id == "engine"
        ):
            yield f"{path.name}:{node.lineno}: engine.{node.attr} (private)"


def _imported_classes(path: Path) -> Iterator[tuple[str, str, object]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(BELOW):
            module = importlib.import_module(node.module or "")
            for alias in node.names:
                yield node.module or "", alias.name, getattr(module, alias.name)


def test_fronts_do_not_reach_through_the_engine(
    forbidden: tuple[set[str], dict[str, set[str]]],
) -> None:
    below, services = forbidden
    assert {"papers", "users", "votes", "keyword_index", "db"} <= below  # the check sees
    found = [v for path in FRONTS for v in _violations(path, below, services)]
    assert found == [], "fronts must call the engine, not its stores:\n" + "\n".join(found)


def test_fronts_import_only_data_types_from_below() -> None:
    """Records (dataclasses, enums), exceptions and functions may be imported; a store or index
    class may not (a front holding one would call it)."""
    wrong = [
        f"{path.name}: {module}.{name}"
        for path in FRONTS
        for module, name, value in _imported_classes(path)
        if isinstance(value, type)
        and not dataclasses.is_dataclass(value)
        and not issubclass(value, (enum.Enum, BaseException))
    ]
    assert wrong == []


def test_the_check_finds_a_front_reaching_through(
    tmp_path: Path, forbidden: tuple[set[str], dict[str, set[str]]]
) -> None:
    below, services = forbidden
    sample = tmp_path / "front.py"
    sample.write_text(
        "def page(who, request):\n"
        "    who.engine.papers.get('x')\n"
        "    engine_of(request).keyword_index.count('q')\n"
        "    who.engine.library.collections.get(1)\n"
    )
    assert len(list(_violations(sample, below, services))) == 3
