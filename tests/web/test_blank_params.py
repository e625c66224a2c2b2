"""Pages treat a blank query parameter as an absent one; the JSON API stays strict."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_search_form_with_blank_fields_searches(client: TestClient) -> None:
    response = client.get(
        "/search?q=graph&mode=bm25&category=&author=&since=&until=&page=", follow_redirects=False
    )
    assert response.status_code == 200, response.text
    assert "protein folding" in response.text and "Cannot accept" not in response.text


def test_the_feed_form_with_a_blank_category_shows_the_feed(client: TestClient) -> None:
    assert client.get("/?category=&date=&span=day").status_code == 200


def test_the_api_still_refuses_a_blank_date(client: TestClient) -> None:
    assert client.get("/api/search?q=graph&since=").status_code == 422
