"""Public collections to browse and upvote, the ones holding a paper, and readers' profiles."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Account, Visitor, assert_json_error

PAPER = "2603.10001"


def collection(visitor: Visitor, name: str, *, public: bool, papers: list[str]) -> int:
    made = visitor.api("POST", "/api/collections", {"name": name, "public": public})
    assert made.status_code == 201, made.text
    collection_id: int = made.json()["id"]
    for paper_id in papers:
        added = visitor.api("PUT", f"/api/collections/{collection_id}/papers/{paper_id}", {})
        assert added.status_code in (200, 201, 204), added.text
    return collection_id


def directory(visitor: Visitor, **params: Any) -> dict[str, Any]:
    response = visitor.client.get("/api/public-collections", params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_directory_lists_public_collections_with_papers(
    as_alice: Visitor, as_bob: Visitor, anon: Visitor
) -> None:
    older = collection(as_alice, "Graphs", public=True, papers=[PAPER])
    collection(as_alice, "Secret", public=False, papers=[PAPER])
    collection(as_alice, "Empty", public=True, papers=[])
    newer = collection(as_bob, "Translation", public=True, papers=["2603.10002", PAPER])
    listed = directory(anon)
    assert [c["id"] for c in listed["collections"]] == [newer, older]
    assert listed["collections"][0]["owner"] == "Bob Example"
    assert listed["collections"][0]["size"] == 2
    page = anon.client.get("/public-collections").text
    assert "Translation" in page and "Graphs" in page and "Secret" not in page
    assert 'href="/public-collections"' in page  # the header links to it


def test_upvotes_order_the_directory(as_alice: Visitor, as_bob: Visitor, anon: Visitor) -> None:
    first = collection(as_alice, "First", public=True, papers=[PAPER])
    second = collection(as_alice, "Second", public=True, papers=[PAPER])
    voted = as_bob.api("POST", f"/api/collections/{first}/votes", {"voted": True})
    assert voted.json() == {"collection_id": first, "voted": True, "upvotes": 1}
    assert [c["id"] for c in directory(anon, sort="upvoted")["collections"]] == [first, second]
    assert [c["id"] for c in directory(anon, sort="recent")["collections"]] == [second, first]
    assert directory(as_bob, sort="upvoted")["collections"][0]["voted"] is True
    form = as_bob.form(f"/collections/{first}/votes", {"voted": "0"}, page="/public-collections")
    assert form.status_code == 303
    assert directory(anon, sort="upvoted")["collections"][0]["upvotes"] == 0
    assert anon.client.get("/api/public-collections", params={"sort": "bogus"}).status_code == 422


def test_private_and_missing_collections_refuse_votes_alike(
    as_alice: Visitor, as_bob: Visitor
) -> None:
    private = collection(as_alice, "Private", public=False, papers=[PAPER])
    for target in (private, 999_999):
        assert_json_error(
            as_bob.api("POST", f"/api/collections/{target}/votes", {"voted": True}), 404
        )


def test_paper_page_lists_public_collections_holding_it(as_alice: Visitor, anon: Visitor) -> None:
    shared = collection(as_alice, "Shared reading", public=True, papers=[PAPER])
    collection(as_alice, "Hidden reading", public=False, papers=[PAPER])
    paper = anon.client.get(f"/api/papers/{PAPER}").json()
    assert [c["id"] for c in paper["in_public_collections"]] == [shared]
    page = anon.client.get(f"/papers/{PAPER}").text
    assert "Shared reading" in page and "Hidden reading" not in page


def test_profile_shows_only_what_was_made_public(
    as_alice: Visitor, alice: Account, anon: Visitor
) -> None:
    collection(as_alice, "Public one", public=True, papers=[PAPER])
    collection(as_alice, "Private one", public=False, papers=[PAPER])
    written = as_alice.api("POST", "/api/comments", {"paper_id": PAPER, "body": "Hello"})
    assert written.status_code == 201
    profile = anon.client.get(f"/api/users/{alice.id}").json()
    assert profile["name"] == "Alice Example"
    assert [c["name"] for c in profile["collections"]] == ["Public one"]
    assert [c["paper_id"] for c in profile["comments"]] == [PAPER]
    assert "email" not in profile and alice.email not in str(profile)
    page = anon.client.get(f"/users/{alice.id}").text
    assert "Public one" in page and "Private one" not in page and alice.email not in page
    assert_json_error(anon.client.get("/api/users/999999"), 404)
