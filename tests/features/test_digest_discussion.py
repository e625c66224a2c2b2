"""The digest's optional sections: discussion (replies to my comments and comments on papers in
my collections, never hidden or deleted ones, never my own) and my collections' streams."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from papersift.engine import Engine
from papersift.settings import Settings
from papersift.store.users import User
from tests.conftest import make_paper

DAY = date(2026, 3, 12)
NOW = datetime(2026, 3, 12, 7, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW - timedelta(days=1)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def site(tmp_path: Path, clock: Clock) -> Iterator[Engine]:
    settings = Settings(data_dir=tmp_path / "data", embedder_backend="none")
    engine = Engine(settings, clock=clock)
    papers = [
        make_paper("2503.00001", title="Diffusion models", listed=DAY),
        make_paper("2503.00002", title="Graph transformers", listed=DAY),
        make_paper("2503.00003", title="Percolation", listed=DAY),
    ]
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, papers)
    yield engine
    engine.close()


def user(engine: Engine, name: str) -> User:
    return engine.users.create(f"{name}@example.org", name, "x", now=NOW, verified=True)


def discussion_items(engine: Engine, reader: User) -> list[tuple[str, tuple[str, ...]]]:
    subscription = engine.interest_store.subscription(reader.id)
    assert subscription is not None
    digest = engine.digests.compose(reader, subscription, engine.digests.prepare(DAY))
    (section,) = [s for s in digest.sections if s.key == "discussion"]
    return [(item.paper.id, item.reasons) for item in section.items]


def test_replies_and_comments_on_collected_papers_reach_the_digest(
    site: Engine, clock: Clock
) -> None:
    reader, other, rude = user(site, "reader"), user(site, "other"), user(site, "rude")
    site.interest_store.subscribe(reader.id, "daily", ["discussion"], now=NOW)
    mine = site.discussion.post(reader, "2503.00001", "My question")
    collection = site.library.create(reader, "Reading")
    site.library.put(reader, collection.id, "2503.00002", ())
    clock.now = NOW - timedelta(hours=1)
    site.discussion.post(other, "2503.00001", "An answer", mine)
    site.discussion.post(other, "2503.00002", "On your collected paper")
    site.discussion.post(other, "2503.00003", "Elsewhere")  # neither a reply nor collected
    site.discussion.post(reader, "2503.00002", "My own comment")  # never news to me
    hidden = site.discussion.post(rude, "2503.00001", "Rude", mine)
    moderator = user(site, "mod")
    site.discussion.set_admin(moderator.email, True)
    moderator = site.users.by_email(moderator.email)  # type: ignore[assignment]
    site.discussion.hide_comment(moderator, hidden, True)
    assert discussion_items(site, reader) == [
        ("2503.00001", ("other replied to your comment",)),
        ("2503.00002", ("other commented on it",)),
    ]


def test_the_section_is_optional(site: Engine) -> None:
    reader = user(site, "reader")
    site.interest_store.subscribe(reader.id, "daily", ["trending"], now=NOW)
    subscription = site.interest_store.subscription(reader.id)
    assert subscription is not None
    digest = site.digests.compose(reader, subscription, site.digests.prepare(DAY))
    assert [s.key for s in digest.sections] == ["trending"]


def test_the_collection_streams_section(site: Engine) -> None:
    related = [
        make_paper("2503.00011", title="Denoising diffusion samplers", listed=DAY,
                   abstract="Faster samplers for denoising diffusion image generators."),
        make_paper("2503.00012", title="Guided diffusion for images", listed=DAY,
                   abstract="Classifier guidance steers denoising diffusion image generators."),
    ]  # fmt: skip
    with site.db.begin() as connection:
        site.papers.upsert(connection, related)
    site.index(semantic=False)  # the stream falls back to keyword similarity without vectors
    reader = user(site, "reader")
    site.interest_store.subscribe(reader.id, "daily", ["collection_streams"], now=NOW)
    collection = site.library.create(reader, "Generative models")
    site.library.put(reader, collection.id, "2503.00011", ())
    subscription = site.interest_store.subscription(reader.id)
    assert subscription is not None
    digest = site.digests.compose(reader, subscription, site.digests.prepare(DAY))
    (section,) = digest.sections
    assert section.title == "Like your collections"
    ids = [item.paper.id for item in section.items]
    assert ids == ["2503.00012"]  # like its paper, never the paper itself
    assert all("Generative models" in " ".join(item.reasons) for item in section.items)
