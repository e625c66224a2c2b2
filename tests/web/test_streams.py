"""A collection as its own recommendation stream: page, JSON twin and private RSS."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Visitor, assert_json_error


def collection_with(visitor: Visitor, name: str, papers: list[str]) -> int:
    made = visitor.api("POST", "/api/collections", {"name": name})
    assert made.status_code == 201, made.text
    for paper_id in papers:
        visitor.api("PUT", f"/api/collections/{made.json()['id']}/papers/{paper_id}", {})
    collection_id: int = made.json()["id"]
    return collection_id


def test_a_collection_stream_recommends_papers_like_its_own(as_alice: Visitor) -> None:
    translation = collection_with(as_alice, "Translation", ["2603.10002"])
    stream: dict[str, Any] = as_alice.client.get(f"/api/collections/{translation}/stream").json()
    assert stream["name"] == "Translation" and stream["size"] == 1
    ids = [item["paper"]["id"] for item in stream["items"]]
    assert ids and "2603.10002" not in ids  # never its own papers
    assert "2603.09001" in ids  # "Attention is still all you need": transformers, too
    reasons = {r["text"] for item in stream["items"] for r in item["reasons"]}
    assert any("Translation" in reason for reason in reasons), reasons
    page = as_alice.client.get(f"/collections/{translation}/stream").text
    assert "Like “Translation”" in page and "Attention is still all you need" in page
    assert "Papers like these" in as_alice.client.get(f"/collections/{translation}").text
    feed = as_alice.client.get(stream["feed_rss"])
    assert feed.status_code == 200 and "Attention is still all you need" in feed.text
    assert feed.headers["cache-control"].startswith("private")


def test_streams_are_private_and_feed_links_checked(as_alice: Visitor, as_bob: Visitor) -> None:
    mine = collection_with(as_alice, "Mine", ["2603.10001"])
    assert_json_error(as_bob.client.get(f"/api/collections/{mine}/stream"), 404)
    assert as_bob.client.get("/feeds/streams/not-a-token.rss").status_code in (400, 404)


def test_a_deleted_collections_stream_feed_is_gone(as_alice: Visitor) -> None:
    gone = collection_with(as_alice, "Soon gone", ["2603.10002"])
    feed = as_alice.client.get(f"/api/collections/{gone}/stream").json()["feed_rss"]
    assert as_alice.client.get(feed).status_code == 200
    assert as_alice.api("DELETE", f"/api/collections/{gone}").status_code == 204
    assert as_alice.client.get(feed).status_code == 404
