"""Results a reader can steer: sorting by relevance, date or upvotes, a category picker of the
categories that exist, and author cards for a query that names an author, on the search page
and in /api/search alike."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from lxml import html

from papersift.engine import Engine
from tests.conftest import make_paper, write_jsonl
from tests.web.conftest import NOW, cards


def ids(data: dict) -> list[str]:  # type: ignore[type-arg]
    return [item["paper"]["id"] for item in data["results"]]


def test_results_sort_by_date_newest_first(client: TestClient, engine: Engine) -> None:
    relevance = client.get("/api/search?q=translation").json()
    by_date = client.get("/api/search?q=translation&sort=date").json()
    assert relevance["sort"] == "relevance" and by_date["sort"] == "date"
    assert set(ids(by_date)) == set(ids(relevance))
    days = [engine.paper(pid).display_date for pid in ids(by_date)]
    assert days == sorted(days, reverse=True) and ids(by_date) == ["2603.10002", "2603.07000"]
    assert by_date["sorts"] == ["relevance", "date", "upvotes"]


def test_results_sort_by_upvotes_then_relevance(client: TestClient, engine: Engine) -> None:
    voters = [
        engine.users.create(f"v{n}@example.org", f"Voter {n}", "x", now=NOW) for n in range(2)
    ]
    for voter in voters:
        engine.votes.set_vote(voter.id, "2603.06030", True, now=NOW)
    engine.votes.set_vote(voters[0].id, "2603.06007", True, now=NOW)
    relevance = ids(client.get("/api/search?q=gradient").json())
    by_votes = client.get("/api/search?q=gradient&sort=upvotes").json()
    assert ids(by_votes)[:2] == ["2603.06030", "2603.06007"]
    rest = [pid for pid in relevance if pid not in ("2603.06030", "2603.06007")]
    assert ids(by_votes)[2:] == rest[:18]  # the others keep their relevance order
    second = client.get("/api/search?q=gradient&sort=upvotes&page=2").json()
    assert not set(ids(second)) & set(ids(by_votes))  # pages order the same papers


def test_an_unknown_sort_is_refused(client: TestClient) -> None:
    assert client.get("/api/search?q=gradient&sort=citations").status_code == 422
    assert client.get("/search?q=gradient&sort=citations").status_code in (400, 422)


def test_the_page_keeps_the_sort_and_offers_the_choices(client: TestClient) -> None:
    page = html.fromstring(client.get("/search?q=gradient&sort=date").text)
    chosen = page.xpath('//select[@name="sort"]/option[@selected]')
    assert [option.get("value") for option in chosen] == ["date"]
    assert [o.get("value") for o in page.xpath('//select[@name="sort"]/option')] == [
        "relevance",
        "date",
        "upvotes",
    ]
    pager = [a.get("href") for a in page.xpath('//a[contains(@href, "page=2")]')]
    assert pager and all("sort=date" in href for href in pager)


def test_the_category_picker_offers_the_categories_that_exist(client: TestClient) -> None:
    data = client.get("/api/search?q=").json()
    counts = {c["name"]: c["papers"] for c in data["categories"]}
    assert counts["cs.LG"] > counts["cs.CL"] > 0 and counts["hep-th"] == 2
    assert "q-bio.BM" in counts and "" not in counts
    papers = [c["papers"] for c in data["categories"]]
    assert papers == sorted(papers, reverse=True)
    page = html.fromstring(client.get("/search?q=neural&category=cs.CL").text)
    options = page.xpath('//select[@name="category"]/option')
    assert options[0].get("value") == "" and "cs.LG" in [o.get("value") for o in options]
    selected = page.xpath('//select[@name="category"]/option[@selected]')
    assert [o.get("value") for o in selected] == ["cs.CL"]
    assert client.get("/api/search?q=neural").json()["categories"] == data["categories"]


def test_a_query_naming_an_author_shows_their_card_and_papers_first(client: TestClient) -> None:
    data = client.get("/api/search?q=Grace%20Hopper").json()
    assert data["authors"] == [
        {"name": "Grace Hopper", "papers": 3, "url": "/authors/Grace%20Hopper"}
    ]
    assert set(ids(data)[:3]) == {"2603.10002", "2603.09001", "2603.07000"}
    page = client.get("/search?q=Grace%20Hopper").text
    links = html.fromstring(page).xpath('//a[@class="author-card"]')
    assert [a.get("href") for a in links] == ["/authors/Grace%20Hopper"]
    assert client.get("/authors/Grace%20Hopper").status_code == 200
    assert [c.url for c in cards(page)][:3] == [f"/papers/{pid}" for pid in ids(data)[:3]]


def test_an_ambiguous_name_shows_every_author_it_names(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    more = [
        make_paper("2603.05001", title="Computable numbers", authors=("Bob Turing",)),
        make_paper("2603.05002", title="Morphogenesis", authors=("Bob Turing", "Ada Lovelace")),
    ]
    engine.ingest([write_jsonl(tmp_path / "more.jsonl", more)])
    data = client.get("/api/search?q=Turing").json()
    assert [(a["name"], a["papers"]) for a in data["authors"]] == [
        ("Alan Turing", 2),
        ("Bob Turing", 2),
    ]
    page = html.fromstring(client.get("/search?q=Turing").text)
    assert [a.get("href") for a in page.xpath('//a[@class="author-card"]')] == [
        "/authors/Alan%20Turing",
        "/authors/Bob%20Turing",
    ]
    assert set(ids(data)[:4]) == {"2603.10001", "2603.11001", "2603.05001", "2603.05002"}
    for topic in ["graph neural networks", "turing", "TURING"]:
        assert client.get(f"/api/search?q={topic}").json()["authors"] == []
