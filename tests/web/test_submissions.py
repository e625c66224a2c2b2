"""Community submissions, against a fake arXiv API on a local port (see conftest)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.oai_server import ScriptedServer
from tests.web.conftest import ARXIV_DOWN, TODAY, Visitor, assert_json_error, cards


def submit(visitor: Visitor, reference: str) -> object:
    return visitor.api("POST", "/api/submissions", {"reference": reference})


def test_a_new_paper_is_fetched_and_added_to_todays_feed(
    as_alice: Visitor, anon: Visitor, arxiv: ScriptedServer
) -> None:
    assert "2603.12345" not in anon.client.get("/").text  # the anonymous page is now cached
    response = submit(as_alice, "https://arxiv.org/abs/2603.12345v1")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["fetched_from_arxiv"] is True and body["feed_date"] == TODAY.isoformat()
    paper = body["paper"]
    assert paper["id"] == "2603.12345" and paper["submitted_by"] == "Alice Example"
    assert paper["title"] == "A fresh paper on sparse autoencoders"
    assert paper["authors"] == ["Fetched Author"] and paper["categories"] == ["cs.LG"]
    assert [q["id_list"] for q in arxiv.requests] == ["2603.12345"]
    # today's feed shows it, with its submitter, to everyone
    feed = anon.client.get("/api/feed").json()
    entry = next(p for p in feed["papers"] if p["id"] == "2603.12345")
    assert entry["submitted_by"] == "Alice Example"
    card = next(c for c in cards(anon.client.get("/").text) if c.url == "/papers/2603.12345")
    assert card.submitted_by == "Alice Example"
    detail = anon.client.get("/api/papers/2603.12345").json()
    assert detail["submitted_by"] == "Alice Example" and detail["submitted"] == "2026-03-10"
    assert "submitted by Alice Example" in anon.client.get("/papers/2603.12345").text
    # and search finds it
    found = anon.client.get("/api/search?q=autoencoders").json()["results"]
    assert [r["paper"]["id"] for r in found] == ["2603.12345"]
    # in the feed of its category too; yesterday's feed does not have it
    assert any(
        p["id"] == "2603.12345"
        for p in anon.client.get("/api/feed?category=cs.LG").json()["papers"]
    )
    yesterday = anon.client.get("/api/feed?date=2026-03-11").json()["papers"]
    assert "2603.12345" not in {p["id"] for p in yesterday}


def test_a_paper_already_in_the_store_is_not_fetched(
    as_alice: Visitor, anon: Visitor, arxiv: ScriptedServer
) -> None:
    response = submit(as_alice, "arXiv:2603.09001v2")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["fetched_from_arxiv"] is False
    assert body["paper"]["id"] == "2603.09001" and body["paper"]["submitted_by"] == "Alice Example"
    assert arxiv.requests == []
    today = {p["id"]: p for p in anon.client.get("/api/feed").json()["papers"]}
    assert today["2603.09001"]["submitted_by"] == "Alice Example"
    listed = {p["id"]: p for p in anon.client.get("/api/feed?date=2026-03-11").json()["papers"]}
    assert listed["2603.09001"]["submitted_by"] is None  # it was listed, not submitted, then


def test_a_paper_older_than_the_window_is_refused_with_the_reason(
    as_alice: Visitor, anon: Visitor, arxiv: ScriptedServer
) -> None:
    fetched = submit(as_alice, "2501.00042")
    message = assert_json_error(fetched, 422, "submission_refused")["message"]
    assert "2025-01-15" in message and "14 days" in message
    stored = submit(as_alice, "2602.01001")  # in the store, listed 20 days ago
    message = assert_json_error(stored, 422, "submission_refused")["message"]
    assert "2026-02-20" in message and "20 days ago" in message
    today = {p["id"] for p in anon.client.get("/api/feed").json()["papers"]}
    assert "2501.00042" not in today and "2602.01001" not in today
    assert_json_error(anon.client.get("/api/papers/2501.00042"), 404)  # not stored either


@pytest.mark.parametrize(
    "reference", ["not an id", "2603.1234567", "https://example.org/abs/2603.12345", ""]
)
def test_an_invalid_reference_is_400(
    as_alice: Visitor, arxiv: ScriptedServer, reference: str
) -> None:
    assert_json_error(submit(as_alice, reference), 400, "invalid_id")
    assert arxiv.requests == []


def test_a_paper_arxiv_does_not_know_is_404(as_alice: Visitor, arxiv: ScriptedServer) -> None:
    error = assert_json_error(submit(as_alice, "2603.99999"), 404, "paper_not_found")
    assert "2603.99999" in error["message"]
    assert [q["id_list"] for q in arxiv.requests] == ["2603.99999"]


def test_a_second_submission_is_refused(as_alice: Visitor, as_bob: Visitor, anon: Visitor) -> None:
    assert submit(as_alice, "2603.12345").status_code == 201
    again = submit(as_bob, "2603.12345v1")
    assert (
        "already been submitted" in assert_json_error(again, 422, "submission_refused")["message"]
    )
    assert submit(as_alice, "2603.12345").status_code == 422
    entry = next(
        p for p in anon.client.get("/api/feed").json()["papers"] if p["id"] == "2603.12345"
    )
    assert entry["submitted_by"] == "Alice Example"


def test_arxiv_being_down_is_a_502(as_alice: Visitor) -> None:
    error = assert_json_error(submit(as_alice, ARXIV_DOWN), 502, "upstream_error")
    assert "503" in error["message"]


def test_submissions_need_a_login(anon: Visitor, client: TestClient) -> None:
    assert_json_error(submit(anon, "2603.12345"), 401, "not_authenticated")
    assert anon.form("/submit", {"reference": "2603.12345"}).status_code == 401
    response = client.get("/submit", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/submit"


def test_the_submit_form(as_alice: Visitor, anon: Visitor) -> None:
    page = as_alice.client.get("/submit")
    assert page.status_code == 200 and "14 days" in page.text and 'name="reference"' in page.text
    done = as_alice.form("/submit", {"reference": "2603.12346"}, page="/submit")
    assert done.status_code == 303 and done.headers["location"] == "/papers/2603.12346"
    shown = anon.client.get("/papers/2603.12346").text
    assert "submitted by Alice Example" in shown and "Another fresh paper on kernels" in shown
    card = next(c for c in cards(anon.client.get("/").text) if c.url == "/papers/2603.12346")
    assert card.submitted_by == "Alice Example"
    for reference, status, text in [
        ("garbage", 400, "not an arXiv id"),
        ("2603.99999", 404, "arXiv has no paper 2603.99999"),
        ("2501.00042", 422, "14 days after their arXiv date"),
        ("2603.12346", 422, "already been submitted"),
        (ARXIV_DOWN, 502, "503"),
    ]:
        response = as_alice.form("/submit", {"reference": reference}, page="/submit")
        assert response.status_code == status, (reference, response.text)
        assert text.lower() in response.text.lower() and 'role="alert"' in response.text
        assert f'value="{reference}"' in response.text  # the form keeps what was typed
