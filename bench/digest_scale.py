"""Digest composition at scale: N simulated subscribers over the arXiv sample, timed.

Creates ``--users`` readers (once; re-runs reuse them) in a data directory holding the sample:
each upvotes and saves a few papers of one or two categories from the weeks before the digest
day, follows a category and an author, keeps a saved search, and subscribes daily to every
section. Then runs the saved-search alerts and composes, renders and "sends" (to an in-memory
sink, not SMTP) every digest of the newest listing day, and prints users/s. The digest log is
cleared for that day first, so every run composes all digests again.

python -m bench.digest_scale --data-dir DIR [--users 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa

from bench.common import peak_rss_mb
from papersift.engine import Engine
from papersift.features.alerts import filters_to_json
from papersift.filters import Filters
from papersift.settings import load_settings
from papersift.store.schema import digest_log
from papersift.store.users import User

SECTIONS = ["trending", "for_you", "saved_searches", "followed_authors"]
QUERIES = [
    "graph neural networks", "diffusion models", "black holes", "quantum error correction",
    "language models", "reinforcement learning", "dark matter", "topological insulators",
]  # fmt: skip


def simulate_readers(engine: Engine, count: int, rng: random.Random) -> list[User]:
    existing = [
        u for u in (engine.users.by_email(f"reader{n}@bench.invalid") for n in range(count))
    ]
    if all(existing):
        return [u for u in existing if u is not None]
    day = engine.listings.latest_day(on_or_before=engine.clock().date(), category=None)
    assert day is not None, "the store has no listed papers"
    recent, _ = engine.listings.page(
        first=day - timedelta(days=28), last=day - timedelta(days=1), category=None,
        order="date", limit=50_000, offset=0,
    )  # fmt: skip
    by_category: dict[str, list[str]] = {}
    for item in recent:
        for category in item.paper.categories[:1]:
            by_category.setdefault(category, []).append(item.paper.id)
    popular = [c for c, ids in sorted(by_category.items(), key=lambda kv: -len(kv[1]))[:40]]
    papers = {item.paper.id: item.paper for item in recent}
    readers = []
    now = engine.clock()
    for n in range(count):
        user = existing[n] or engine.users.create(f"reader{n}@bench.invalid", f"Reader {n}", "x",
                                                  now=now)  # fmt: skip
        interests = rng.sample(popular, rng.choice((1, 2)))
        pool = [p for c in interests for p in by_category[c]]
        library = rng.sample(pool, min(len(pool), rng.randint(5, 20)))
        for paper_id in library[: len(library) // 2]:
            engine.votes.set_vote(user.id, paper_id, True, now=now)
        collection = engine.library.create(user, "Reading list")
        for paper_id in library[len(library) // 2 :]:
            engine.library.collections.put_item(collection.id, paper_id, (), now=now)
        engine.interest_store.follow(user.id, "category", interests[0])
        authors = papers[library[0]].authors
        if authors:
            engine.interest_store.follow(user.id, "author", authors[0])
        engine.interest_store.save_search(
            user.id, name="alert", query=rng.choice(QUERIES), mode="bm25",
            filters=filters_to_json(Filters()), checked_rev=0, now=now,
        )  # fmt: skip
        engine.interest_store.subscribe(user.id, "daily", SECTIONS, now=now)
        readers.append(user)
    return readers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    engine = Engine(load_settings(data_dir=args.data_dir))
    started = time.perf_counter()
    readers = simulate_readers(engine, args.users, random.Random(args.seed))
    print(f"{len(readers)} readers ready in {time.perf_counter() - started:.1f} s "
          f"(semantic search: {engine.semantic_backend or 'off'})")  # fmt: skip
    started = time.perf_counter()
    alerts = engine.alerts.run()
    print(f"alerts: {alerts.searches} saved searches, {alerts.new_matches} new matches, "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    day = engine.listings.latest_day(on_or_before=engine.clock().date(), category=None)
    assert day is not None
    with engine.db.begin() as connection:
        connection.execute(sa.delete(digest_log).where(digest_log.c.digest_date == day))
    sink: list[EmailMessage] = []
    started = time.perf_counter()
    report = engine.digests.run(day, sink.append)
    seconds = time.perf_counter() - started
    sizes = [len(bytes(m)) for m in sink]
    print(f"digest {day}: {report.sent} sent, {report.empty} empty, {report.failed} failed")
    mean_kb = sum(sizes) / max(1, len(sizes)) / 1024
    print(
        f"composed and rendered {len(readers)} digests in {seconds:.1f} s: "
        f"{len(readers) / seconds:.1f} users/s; mean email {mean_kb:.1f} KB; "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )
    passed = seconds < 60 * len(readers) / 1000
    print(f"target: 1,000 users in under 60 s -> {'PASS' if passed else 'FAIL'}")


if __name__ == "__main__":
    main()
