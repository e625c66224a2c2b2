"""Private notes on papers, and searching one's own library (papers, notes, tags)."""

from __future__ import annotations

from tests.web.conftest import Visitor, assert_json_error


def save(visitor: Visitor, paper_id: str, tags: list[str]) -> None:
    made = visitor.api("POST", "/api/collections", {"name": f"List {paper_id}"})
    assert made.status_code == 201, made.text
    added = visitor.api(
        "PUT", f"/api/collections/{made.json()['id']}/papers/{paper_id}", {"tags": tags}
    )
    assert added.status_code in (200, 201, 204), added.text


def test_a_private_note_rendered_safely(as_alice: Visitor, as_bob: Visitor) -> None:
    body = "Read **section 3**. <script>alert(1)</script>"
    written = as_alice.api("PUT", "/api/notes/2603.10001", {"body": body}).json()
    assert written["body"] == body and "<strong>section 3</strong>" in written["html"]
    assert "<script>" not in written["html"]
    page = as_alice.client.get("/papers/2603.10001").text
    assert "<strong>section 3</strong>" in page and "<script>alert(1)" not in page
    assert as_bob.api("GET", "/api/notes/2603.10001").json()["body"] is None  # private
    assert "section 3" not in as_bob.client.get("/papers/2603.10001").text
    form = as_alice.form(
        "/notes", {"paper_id": "2603.10001", "body": "Changed."}, page="/papers/2603.10001"
    )
    assert form.status_code == 303 and form.headers["location"].endswith("#note")
    assert as_alice.api("GET", "/api/notes/2603.10001").json()["body"] == "Changed."
    assert as_alice.api("DELETE", "/api/notes/2603.10001").json()["body"] is None
    too_long = as_alice.api("PUT", "/api/notes/2603.10001", {"body": "x" * 20_001})
    assert_json_error(too_long, 400)


def test_library_search_finds_papers_by_text_note_and_tag(as_alice: Visitor) -> None:
    save(as_alice, "2603.10001", ["structural biology"])
    save(as_alice, "2603.10002", ["to-read"])
    save(as_alice, "2603.10003", [])
    as_alice.api("PUT", "/api/notes/2603.10003", {"body": "Useful for the mixing chapter."})

    def found(query: str) -> dict[str, list[str]]:
        response = as_alice.client.get("/api/library/search", params={"q": query})
        assert response.status_code == 200, response.text
        return {r["paper"]["id"]: r["matched"] for r in response.json()["results"]}

    assert found("protein folding") == {"2603.10001": ["text"]}
    assert found("translation") == {"2603.10002": ["text"]}  # 2603.07000 is not saved
    assert found("chapter") == {"2603.10003": ["note"]}
    assert found("biology") == {"2603.10001": ["tag #structural biology"]}
    assert found("") == {}
    page = as_alice.client.get("/library/search", params={"q": "chapter"}).text
    assert "Matched in: note" in page and "Random walks" in page


def test_library_search_needs_an_account(anon: Visitor) -> None:
    assert anon.client.get("/api/library/search", params={"q": "x"}).status_code == 401
