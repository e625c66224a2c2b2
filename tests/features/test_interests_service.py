"""The Interests service holds the rules of follows, saved searches, the digest and private
links, so any front (pages, API, CLI) gets the same checks by calling the engine."""

from __future__ import annotations

import pytest

from papersift.engine import Engine
from papersift.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from papersift.features import interests as interests_module
from papersift.filters import Filters
from papersift.store.users import User

PASSWORD = "correct horse battery"


def _user(engine: Engine, name: str) -> User:
    return engine.accounts.sign_up(f"{name}@example.org", PASSWORD, name.title())


def test_follows_are_checked_and_limited(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    ada = _user(engine, "ada")
    value, follows = engine.interests.set_follow(ada, "author", "  Grace   Hopper ", True)
    assert value == "Grace Hopper" and follows == [("author", "Grace Hopper")]
    with pytest.raises(InvalidInputError, match="control characters"):
        engine.interests.set_follow(ada, "author", "Grace\x00Hopper", True)
    with pytest.raises(InvalidInputError, match="not an arXiv category"):
        engine.interests.set_follow(ada, "category", "CS/AI", True)
    monkeypatch.setattr(interests_module, "MAX_FOLLOWS", 1)
    with pytest.raises(ConflictError, match="you follow 1"):
        engine.interests.set_follow(ada, "category", "cs.CL", True)
    _, follows = engine.interests.set_follow(ada, "author", "Grace Hopper", False)
    assert follows == [] and not engine.interests.is_following(ada.id, "author", "Grace Hopper")


def test_a_saved_search_is_its_owners_alone(engine: Engine) -> None:
    ada, bob = _user(engine, "ada"), _user(engine, "bob")
    saved = engine.interests.save_search(
        ada, query=" attention ", name=None, mode="bm25", filters=Filters(categories=("cs.CL",))
    )
    assert (saved.query, saved.name) == ("attention", "attention")
    with pytest.raises(ConflictError, match="saved this search already"):
        engine.interests.save_search(
            ada, query="attention", name="again", mode="bm25", filters=Filters(("cs.CL",))
        )
    with pytest.raises(PermissionDeniedError):
        engine.interests.delete_search(bob, saved.id)
    token = engine.interests.saved_search_token(saved)
    assert engine.interests.search_of_feed_token(token) == saved
    other = token.replace(f"{saved.id}.", f"{saved.id + 1}.", 1)  # another search's address
    with pytest.raises(InvalidInputError, match="feed link is invalid"):
        engine.interests.search_of_feed_token(other)
    engine.interests.delete_search(ada, saved.id)
    with pytest.raises(NotFoundError):
        engine.interests.search_of_feed_token(token)


def test_the_unsubscribe_link_turns_the_digest_off_and_keeps_the_sections(engine: Engine) -> None:
    ada = _user(engine, "ada")
    engine.interests.set_digest(ada, "daily", ["trending"])
    with pytest.raises(InvalidInputError, match="at least one section"):
        engine.interests.set_digest(ada, "weekly", [])
    token = engine.interests.unsubscribe_token(ada.id)
    assert engine.interests.user_of_unsubscribe_token(token) == (ada, "daily")
    engine.interests.unsubscribe(token)
    choice = engine.interests.digest_choice(ada.id)
    assert (choice.frequency, choice.sections) == ("off", ("trending",))
    with pytest.raises(InvalidInputError):  # a feed token is no unsubscribe token
        engine.interests.unsubscribe(engine.interests.for_you_token(ada.id))
