"""The status page and its JSON twin: what the site can do now, in plain words, no server paths."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from papersift.engine import Engine


def test_status_page_shows_what_the_api_returns(client: TestClient, engine: Engine) -> None:
    body = client.get("/api/status").json()
    papers = engine.papers.count()
    assert body["papers"] == papers > 0 and body["keyword_indexed"] == papers
    assert body["modes"] == ["bm25"] and body["default_mode"] == "bm25"
    assert body["semantic"]["enabled"] is False and body["semantic"]["embedded"] == 0
    assert "Semantic search is off" in body["semantic"]["summary"]
    page = client.get("/status")
    assert page.status_code == 200
    assert f"{papers:,}" in page.text and body["semantic"]["summary"] in html.unescape(page.text)
    data_dir = str(engine.settings.data_dir)
    assert data_dir not in page.text and data_dir not in str(body)


def test_an_index_error_never_shows_the_server_path(client: TestClient, engine: Engine) -> None:
    index_dir = engine.settings.index_dir
    engine.keyword_index.clear()  # the keyword index is gone: searches cannot answer
    for path in ("/search?q=graph", "/api/search?q=graph"):
        response = client.get(path)
        assert response.status_code == 503
        assert str(index_dir) not in response.text and "try again in a minute" in response.text
