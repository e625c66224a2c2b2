"""The reading workflow: read later, mark read, mark a page seen, hide seen papers in lists, and
papers opened count as read; forms and their JSON twins."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Visitor, assert_json_error

TODAY_PAPERS = {"2603.10001", "2603.10002", "2603.10003"}


def feed_ids(visitor: Visitor) -> set[str]:
    return {p["id"] for p in visitor.client.get("/api/feed").json()["papers"]}


def test_read_later_saves_to_the_reading_list(as_alice: Visitor) -> None:
    saved = as_alice.api("PUT", "/api/reading-list/arXiv:2603.10002v1").json()
    assert saved["paper_id"] == "2603.10002"
    again = as_alice.api("PUT", "/api/reading-list/2603.10003").json()
    assert again["collection_id"] == saved["collection_id"]
    collection = as_alice.client.get(f"/api/collections/{saved['collection_id']}").json()
    assert collection["name"] == "Reading list"
    assert [i["paper"]["id"] for i in collection["items"]] != []
    form = as_alice.form("/reading-list", {"paper_id": "2603.10001", "next": "/"}, page="/")
    assert form.status_code == 303 and form.headers["location"] == "/"
    collection = as_alice.client.get(f"/api/collections/{saved['collection_id']}").json()
    assert {i["paper"]["id"] for i in collection["items"]} == TODAY_PAPERS
    assert_json_error(as_alice.api("PUT", "/api/reading-list/2603.99999"), 404)


def test_hide_seen_hides_read_and_seen_papers_from_the_feed(
    as_alice: Visitor, anon: Visitor
) -> None:
    assert feed_ids(as_alice) >= TODAY_PAPERS
    assert as_alice.api("PUT", "/api/read/2603.10001").json() == {
        "paper_id": "2603.10001", "state": "read"
    }  # fmt: skip
    assert as_alice.api("POST", "/api/seen", {"paper_ids": ["2603.10002"]}).json() == {"marked": 1}
    states = {p["id"]: p["state"] for p in as_alice.client.get("/api/feed").json()["papers"]}
    assert states["2603.10001"] == "read" and states["2603.10002"] == "seen"
    assert states["2603.10003"] is None
    assert feed_ids(as_alice) >= TODAY_PAPERS  # shown until the reader hides them
    settings = as_alice.api("PUT", "/api/settings/reading", {"hide_seen": True}).json()
    assert settings == {"hide_seen": True}
    assert as_alice.client.get("/api/settings/reading").json() == {"hide_seen": True}
    shown = feed_ids(as_alice)
    assert "2603.10001" not in shown and "2603.10002" not in shown and "2603.10003" in shown
    assert as_alice.client.get("/api/feed").json()["hidden_seen"] == 2
    assert feed_ids(anon) >= TODAY_PAPERS  # other readers are not affected
    # forgetting a read paper shows it again
    assert as_alice.api("DELETE", "/api/read/2603.10001").json()["state"] is None
    assert "2603.10001" in feed_ids(as_alice)


def test_the_forms_mark_read_mark_a_page_seen_and_toggle_hiding(as_alice: Visitor) -> None:
    page = as_alice.client.get("/").text
    assert "Mark all on this page as seen" in page and "Hide seen papers" in page
    assert 'aria-keyshortcuts="s"' in page and 'data-api="PUT /api/read/2603.10001"' in page
    marked = as_alice.form("/read", {"paper_id": "2603.10003", "next": "/"}, page="/")
    assert marked.status_code == 303
    everything: dict[str, Any] = {"paper_id": sorted(TODAY_PAPERS), "next": "/"}
    seen = as_alice.client.post(
        "/seen", data={**everything, "csrf_token": as_alice.form_token("/")}, follow_redirects=False
    )
    assert seen.status_code == 303
    hide = as_alice.form("/settings/hide-seen", {"hide": "1", "next": "/"}, page="/")
    assert hide.status_code == 303
    page = as_alice.client.get("/").text
    assert "Show seen papers" in page and "3 seen papers hidden" in page
    assert not TODAY_PAPERS & feed_ids(as_alice)


def test_opening_a_paper_marks_it_read_and_search_hides_it(as_alice: Visitor) -> None:
    as_alice.api("PUT", "/api/settings/reading", {"hide_seen": True})
    before = as_alice.client.get("/api/search", params={"q": "protein folding"}).json()
    assert "2603.10001" in [r["paper"]["id"] for r in before["results"]]
    assert as_alice.client.get("/papers/2603.10001").status_code == 200
    after = as_alice.client.get("/api/search", params={"q": "protein folding"}).json()
    assert "2603.10001" not in [r["paper"]["id"] for r in after["results"]]


def test_reading_needs_an_account(anon: Visitor) -> None:
    assert anon.api("PUT", "/api/read/2603.10001").status_code == 401
    assert anon.api("PUT", "/api/settings/reading", {"hide_seen": True}).status_code == 401
    assert "Read later" not in anon.client.get("/").text
