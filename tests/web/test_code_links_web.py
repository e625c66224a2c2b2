"""Code links on cards, paper pages, the API and BibTeX; addresses in abstracts as safe links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from papersift.engine import Engine

PAPER_ID = "2603.10999"
ABSTRACT = (
    "We study code search. Code is available at https://github.com/lab/code-search.\n"
    "Weights: https://huggingface.co/lab/model-1b. Attack: "
    '<img src=x onerror=alert(1)> and "><script>alert(2)</script> at https://x.org/"><b>.'
)


@pytest.fixture
def with_code(engine: Engine, tmp_path: Path) -> str:
    record = {
        "id": PAPER_ID,
        "title": "Searching code with graph neural networks",
        "abstract": ABSTRACT,
        "authors": ["Ada Lovelace"],
        "categories": ["cs.LG"],
        "date": "2026-03-12",
    }
    path = tmp_path / "one.jsonl"
    path.write_bytes(orjson.dumps(record) + b"\n")
    engine.ingest([path])
    return PAPER_ID


def test_paper_page_links_the_repository_and_escapes_the_abstract(
    client: TestClient, with_code: str
) -> None:
    page = client.get(f"/papers/{with_code}").text
    assert '<a class="button" href="https://github.com/lab/code-search"' in page
    assert 'href="https://huggingface.co/lab/model-1b"' in page
    assert "<img src=x" not in page and "<script>alert(2)" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    # The address in the abstract is a link; the quote that ends it cannot break out of href.
    assert ">https://x.org/</a>&#34;&gt;&lt;b&gt;" in page
    assert 'href="https://github.com/lab/code-search" rel="nofollow ugc noopener"' in page


def test_api_and_cards_carry_the_code_link(client: TestClient, with_code: str) -> None:
    paper = client.get(f"/api/papers/{with_code}").json()
    assert paper["code_url"] == "https://github.com/lab/code-search"
    assert [link["kind"] for link in paper["links"]] == ["code", "model", "other"]
    results = client.get("/search", params={"q": "searching code graph", "mode": "keyword"}).text
    assert 'class="code-link" href="https://github.com/lab/code-search"' in results


def test_bibtex_notes_the_repository(client: TestClient, with_code: str) -> None:
    entry = client.get(f"/bibtex/{with_code}").text
    assert "note = {Code: \\url{https://github.com/lab/code-search}}" in entry


@pytest.mark.parametrize("path", ["/search", "/api/search"])
def test_search_has_code_filter(client: TestClient, with_code: str, path: str) -> None:
    params = {"q": "graph neural networks", "mode": "keyword"}
    everything = client.get(path, params=params)
    only_code = client.get(path, params={**params, "has_code": "true"})
    assert everything.status_code == only_code.status_code == 200
    if path == "/api/search":
        assert len(everything.json()["results"]) > 1
        assert [r["paper"]["id"] for r in only_code.json()["results"]] == [with_code]
        assert only_code.json()["has_code"] is True
    else:
        assert 'name="has_code" value="true" checked' in only_code.text
        assert only_code.text.count('<article class="card">') == 1
        assert "has_code=true" in only_code.text  # mode tabs keep the filter


def test_feed_has_code_filter(client: TestClient, with_code: str) -> None:
    day = "2026-03-12"
    everything = client.get("/api/feed", params={"date": day}).json()
    only_code = client.get("/api/feed", params={"date": day, "has_code": "true"}).json()
    assert len(everything["papers"]) > 1 and only_code["has_code"] is True
    assert [p["id"] for p in only_code["papers"]] == [with_code] and only_code["total"] == 1
    page = client.get("/", params={"date": day, "has_code": "true"}).text
    assert page.count('<article class="card">') == 1 and "has_code=true" in page


def test_saved_search_with_has_code_alerts_only_on_papers_with_code(
    engine: Engine, new_visitor: Any, alice: Any, tmp_path: Path
) -> None:
    as_alice = new_visitor(alice)
    saved = as_alice.api(
        "POST", "/api/saved-searches", {"query": "lattice decoders", "mode": "keyword",
                                        "has_code": True},
    )  # fmt: skip
    assert saved.status_code == 201, saved.text
    assert saved.json()["filters"]["has_code"] is True
    assert "has_code=true" in saved.json()["search_url"]
    newer = [
        {"id": "2603.20001", "title": "Lattice decoders with code",
         "abstract": "Lattice decoders. Code: https://github.com/x/lattice.",
         "authors": ["A B"], "categories": ["cs.IT"], "date": "2026-03-12"},
        {"id": "2603.20002", "title": "Lattice decoders without code",
         "abstract": "Lattice decoders, in theory only.",
         "authors": ["C D"], "categories": ["cs.IT"], "date": "2026-03-12"},
    ]  # fmt: skip
    path = tmp_path / "new.jsonl"
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in newer))
    engine.ingest([path])
    engine.alerts.run()
    found = as_alice.client.get(f"/api/saved-searches/{saved.json()['id']}").json()
    assert [m["paper"]["id"] for m in found["matches"]] == ["2603.20001"]
