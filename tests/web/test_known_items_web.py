"""Paper pages, BibTeX, the paper API and search answer every spelling of an arXiv id."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from papersift.engine import Engine
from papersift.web.pages import _canonical_paper_url
from papersift.web.views import Visitor

SPELLINGS = [
    ("2603.10001v2", "2603.10001"),
    ("arXiv:2603.10001", "2603.10001"),
    ("arXiv:2603.10001v1", "2603.10001"),
    ("https://arxiv.org/abs/2603.10001v2", "2603.10001"),
    ("http://arxiv.org/pdf/2603.10001v1.pdf", "2603.10001"),
    ("https://arxiv.org/html/2603.10001v3", "2603.10001"),
    ("arxiv.org/abs/2603.10001", "2603.10001"),
    (" 2603.10001 ", "2603.10001"),
    ("hep-th/9901001v2", "hep-th/9901001"),
    ("arXiv:hep-th/9901001", "hep-th/9901001"),
    ("https://arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001"),
]


def path_of(spelling: str) -> str:
    return quote(spelling, safe="/:")


@pytest.mark.parametrize(("spelling", "canonical"), SPELLINGS)
def test_paper_page_redirects_other_spellings_to_the_canonical_page(
    client: TestClient, spelling: str, canonical: str
) -> None:
    response = client.get(f"/papers/{path_of(spelling)}", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == f"/papers/{canonical}"
    shown = client.get(f"/papers/{path_of(spelling)}")
    assert shown.status_code == 200 and shown.url.path == f"/papers/{canonical}"


def test_the_redirect_keeps_the_query_string(client: TestClient, engine: Engine) -> None:
    # Pages ignore parameters they do not take (shared links carry utm_source and the like):
    # the redirect keeps them, and the helper is checked directly too.
    scope = {"type": "http", "scheme": "http", "server": ("testserver", 80), "headers": []}
    request = Request({**scope, "path": "/papers/2603.10001v2", "query_string": b"a=1"})
    visitor = Visitor(engine, None)
    assert _canonical_paper_url(request, visitor, "2603.10001v2") == "/papers/2603.10001?a=1"
    assert _canonical_paper_url(request, visitor, "2603.10001") is None
    moved = client.get("/papers/2603.10001v2?utm_source=x", follow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["location"] == "/papers/2603.10001?utm_source=x"


def test_a_proxy_merging_the_slashes_of_a_url_still_redirects(client: TestClient) -> None:
    response = client.get("/papers/https:/arxiv.org/abs/2603.10001v2", follow_redirects=False)
    assert response.headers["location"] == "/papers/2603.10001"


@pytest.mark.parametrize("paper_id", ["2603.10001", "hep-th/9901001", "scifact:42"])
def test_canonical_and_other_stored_ids_are_served_without_redirect(
    client: TestClient, paper_id: str
) -> None:
    response = client.get(f"/papers/{paper_id}", follow_redirects=False)
    assert response.status_code == 200


def test_unknown_papers_and_junk_are_404(client: TestClient) -> None:
    assert client.get("/papers/2601.99999v2").status_code == 404  # redirected, then not found
    assert client.get("/papers/arXiv:not-an-id").status_code == 404
    assert client.get("/api/papers/2601.99999v2").status_code == 404
    assert client.get("/bibtex/arXiv:2601.99999").status_code == 404


@pytest.mark.parametrize(("spelling", "canonical"), SPELLINGS)
def test_paper_api_and_bibtex_accept_every_spelling(
    client: TestClient, spelling: str, canonical: str
) -> None:
    data = client.get(f"/api/papers/{path_of(spelling)}")
    assert data.status_code == 200, data.text
    assert data.json()["id"] == canonical
    bib = client.get(f"/bibtex/{path_of(spelling)}")
    assert bib.status_code == 200 and bib.text == data.json()["bibtex"]


@pytest.mark.parametrize(
    "query", ["arXiv:2603.10003", "2603.10003v1", "https://arxiv.org/abs/2603.10003v2"]
)
def test_search_puts_the_named_paper_first(client: TestClient, query: str) -> None:
    data = client.get("/api/search", params={"q": query, "mode": "keyword"}).json()
    assert data["results"][0]["paper"]["id"] == "2603.10003"
    page = client.get("/search", params={"q": query, "mode": "keyword"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/papers/2603.10003"
    assert client.get("/search", params={"q": f"  {query} "}).url.path == "/papers/2603.10003"


def test_an_old_style_id_searched_on_the_page_opens_its_paper(client: TestClient) -> None:
    query = "https://arxiv.org/abs/hep-th/9901001v1"
    page = client.get("/search", params={"q": query}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/papers/hep-th/9901001"


@pytest.mark.parametrize("query", ["arXiv:2612.99999", "2603.10003 2603.10004", "graph"])
def test_the_search_page_lists_results_for_a_query_that_names_no_stored_paper(
    client: TestClient, query: str
) -> None:
    page = client.get("/search", params={"q": query}, follow_redirects=False)
    assert page.status_code == 200
    notice = client.get("/api/search", params={"q": query, "mode": "keyword"}).json()["notice"]
    if query.startswith("arXiv:"):  # an arXiv id no stored paper has: the page says so
        words = "arXiv:2612.99999 is not in this library; the results match its words."
        assert notice == words and words in page.text
    else:
        assert notice is None
