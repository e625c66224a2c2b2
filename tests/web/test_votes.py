"""Upvotes: the API's PUT/DELETE and the page's toggle form, counted once per user, shown
everywhere a paper is."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import Visitor, assert_json_error, cards

PAPER = "2603.10002"


def upvotes_everywhere(visitor: Visitor, paper_id: str = PAPER) -> set[tuple[int, bool]]:
    """(count, voted) as the feed, the paper page and their API twins show it to the visitor."""
    client = visitor.client
    feed = next(p for p in client.get("/api/feed").json()["papers"] if p["id"] == paper_id)
    paper = client.get(f"/api/papers/{paper_id}").json()
    card = next(c for c in cards(client.get("/").text) if c.url == f"/papers/{paper_id}")
    page = client.get(f"/papers/{paper_id}").text
    head = page.split('class="paper-head"')[1].split("</form>")[0]
    head_count = int(head.split('<span class="count">')[1].split("<")[0])
    head_voted = 'aria-pressed="true"' in head
    return {
        (feed["upvotes"], feed["voted"]),
        (paper["upvotes"], paper["voted"]),
        (card.upvotes, card.voted),
        (head_count, head_voted),
    }


def test_upvotes_through_the_api(as_alice: Visitor, as_bob: Visitor, anon: Visitor) -> None:
    assert upvotes_everywhere(anon) == {(0, False)}
    first = as_alice.api("PUT", f"/api/votes/{PAPER}")
    assert first.status_code == 200
    assert first.json() == {"paper_id": PAPER, "voted": True, "upvotes": 1}
    again = as_alice.api("PUT", f"/api/votes/{PAPER}")  # a duplicate counts once
    assert again.json() == {"paper_id": PAPER, "voted": True, "upvotes": 1}
    assert upvotes_everywhere(as_alice) == {(1, True)}
    assert upvotes_everywhere(as_bob) == {(1, False)}
    assert upvotes_everywhere(anon) == {(1, False)}
    assert as_bob.api("PUT", f"/api/votes/{PAPER}").json()["upvotes"] == 2
    assert upvotes_everywhere(anon) == {(2, False)}
    removed = as_alice.api("DELETE", f"/api/votes/{PAPER}")
    assert removed.json() == {"paper_id": PAPER, "voted": False, "upvotes": 1}
    assert as_alice.api("DELETE", f"/api/votes/{PAPER}").json()["upvotes"] == 1  # idempotent
    assert upvotes_everywhere(as_alice) == {(1, False)}
    assert upvotes_everywhere(as_bob) == {(1, True)}


def test_upvote_toggle_form(as_alice: Visitor, anon: Visitor) -> None:
    page = as_alice.client.get("/").text
    form = page.split(f'action="/votes/{PAPER}"')[1].split("</form>")[0]
    assert 'name="voted" value="1"' in form
    response = as_alice.form(f"/votes/{PAPER}", {"voted": "1", "next": "/?date=2026-03-12"})
    assert response.status_code == 303 and response.headers["location"] == "/?date=2026-03-12"
    assert as_alice.form(f"/votes/{PAPER}", {"voted": "1"}).status_code == 303  # duplicate
    assert upvotes_everywhere(as_alice) == {(1, True)}
    assert upvotes_everywhere(anon) == {(1, False)}
    page = as_alice.client.get("/").text
    form = page.split(f'action="/votes/{PAPER}"')[1].split("</form>")[0]
    assert 'name="voted" value="0"' in form  # the button now takes the upvote back
    response = as_alice.form(f"/votes/{PAPER}", {"voted": "0"})
    assert response.headers["location"] == f"/papers/{PAPER}"  # no next: the paper's page
    assert upvotes_everywhere(anon) == {(0, False)}


def test_upvote_form_redirects_only_within_the_site(as_alice: Visitor) -> None:
    for target in ("https://evil.example/", "//evil.example"):
        response = as_alice.form(f"/votes/{PAPER}", {"voted": "1", "next": target})
        assert response.headers["location"] == f"/papers/{PAPER}"


def test_upvotes_of_old_style_ids(as_alice: Visitor) -> None:
    response = as_alice.api("PUT", "/api/votes/hep-th/9901001")
    assert response.json() == {"paper_id": "hep-th/9901001", "voted": True, "upvotes": 1}
    assert as_alice.form("/votes/hep-th/9901001", {"voted": "0"}).status_code == 303
    assert as_alice.client.get("/api/papers/hep-th/9901001").json()["upvotes"] == 0


def test_anonymous_upvotes_need_a_login(anon: Visitor, client: TestClient) -> None:
    assert_json_error(anon.api("PUT", f"/api/votes/{PAPER}"), 401, "not_authenticated")
    assert_json_error(anon.api("DELETE", f"/api/votes/{PAPER}"), 401, "not_authenticated")
    page = anon.form(f"/votes/{PAPER}", {"voted": "1"})
    assert page.status_code == 401 and "Please log in" in page.text
    assert client.get(f"/api/papers/{PAPER}").json()["upvotes"] == 0
    assert "Log in to upvote" in client.get("/").text


def test_upvoting_a_missing_paper_is_404(as_alice: Visitor) -> None:
    assert_json_error(as_alice.api("PUT", "/api/votes/2699.99999"), 404, "paper_not_found")
    assert as_alice.form("/votes/2699.99999", {"voted": "1"}).status_code == 404


def test_upvote_form_rejects_other_values(as_alice: Visitor) -> None:
    for value in ("2", "", "yes"):
        assert as_alice.form(f"/votes/{PAPER}", {"voted": value}).status_code == 422
    assert as_alice.client.get(f"/api/papers/{PAPER}").json()["upvotes"] == 0
