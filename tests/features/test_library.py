from __future__ import annotations

import pytest

from papersift.engine import Engine
from papersift.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PaperNotFoundError,
    PermissionDeniedError,
)
from papersift.features.library import clean_tags
from papersift.store.users import User
from tests.conftest import make_paper


@pytest.fixture
def people(engine: Engine) -> tuple[User, User]:
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, [make_paper("2503.00001"), make_paper("2503.00002")])
    now = engine.clock()
    return (
        engine.users.create("owner@example.org", "Owner", "x", now=now),
        engine.users.create("other@example.org", "Other", "x", now=now),
    )


def test_owner_builds_a_collection_with_tags(engine: Engine, people: tuple[User, User]) -> None:
    owner, _ = people
    collection = engine.library.create(owner, "  Reading   list ")
    assert collection.name == "Reading list" and not collection.is_public
    engine.library.put(owner, collection.id, "2503.00001", clean_tags("RL, theory, rl"))
    engine.library.put(owner, collection.id, "2503.00002", ())
    engine.library.put(owner, collection.id, "2503.00001", ("updated",))  # re-tag, no duplicate
    view = engine.library.view(owner, collection.id)
    assert {p.id: item.tags for p, item in view.items} == {
        "2503.00001": ("updated",),
        "2503.00002": (),
    }
    assert engine.library.holding(owner, "2503.00001") == {collection.id}
    assert engine.library.remove(owner, collection.id, "2503.00001")
    assert not engine.library.remove(owner, collection.id, "2503.00001")


def test_private_collections_are_private(engine: Engine, people: tuple[User, User]) -> None:
    owner, other = people
    private = engine.library.create(owner, "Secret")
    # Someone else's private collection answers as a missing one (its id tells nothing).
    with pytest.raises(NotFoundError):
        engine.library.view(other, private.id)
    with pytest.raises(NotFoundError):
        engine.library.view(None, private.id)
    with pytest.raises(NotFoundError):
        engine.library.put(other, private.id, "2503.00001", ())
    engine.library.update(owner, private.id, name="Shared", public=True)
    assert engine.library.view(None, private.id).collection.name == "Shared"
    with pytest.raises(PermissionDeniedError):
        engine.library.delete(other, private.id)
    engine.library.delete(owner, private.id)
    with pytest.raises(NotFoundError):
        engine.library.view(owner, private.id)


def test_bad_input(engine: Engine, people: tuple[User, User]) -> None:
    owner, _ = people
    collection = engine.library.create(owner, "A")
    with pytest.raises(ConflictError):
        engine.library.create(owner, "A")
    with pytest.raises(InvalidInputError):
        engine.library.create(owner, "   ")
    with pytest.raises(PaperNotFoundError):
        engine.library.put(owner, collection.id, "2503.99999", ())
    with pytest.raises(InvalidInputError):
        clean_tags(["x" * 41])
    with pytest.raises(InvalidInputError):
        clean_tags([f"t{i}" for i in range(21)])
    with pytest.raises(InvalidInputError):
        clean_tags("<script>")


def test_any_spelling_of_an_arxiv_id_names_the_paper(
    engine: Engine, people: tuple[User, User]
) -> None:
    owner, _ = people
    collection = engine.library.create(owner, "Spellings")
    engine.library.put(owner, collection.id, "arXiv:2503.00001v2", ("a",))
    engine.library.put(owner, collection.id, "https://arxiv.org/abs/2503.00001", ("b",))
    view = engine.library.view(owner, collection.id)
    assert [(p.id, item.tags) for p, item in view.items] == [("2503.00001", ("b",))]
    assert engine.library.holding(owner, "2503.00001v1") == {collection.id}
    assert engine.library.remove(owner, collection.id, " arxiv.org/pdf/2503.00001v3 ")
    assert engine.library.view(owner, collection.id).items == []
    assert not engine.library.remove(owner, collection.id, "2503.00001v1")
    with pytest.raises(PaperNotFoundError):
        engine.library.put(owner, collection.id, "arXiv:2503.99999v1", ())
