"""Reading pages and their JSON twins: feed, trending, search, papers, authors, categories."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import html

from papersift.engine import Engine
from papersift.web import views
from tests.web.conftest import (
    BULK_COUNT,
    BULK_DAY,
    TODAY,
    Visitor,
    api_cards,
    cards,
    corpus,
)


def listed_between(first: date, last: date, category: str | None = None) -> set[str]:
    return {
        p.id
        for p in corpus()
        if p.listed
        and first <= p.listed <= last
        and (
            category is None
            or any(c == category or c.startswith(category + ".") for c in p.categories)
        )
    }


def page_and_api(client: TestClient, page: str, api: str) -> tuple[str, dict[str, Any]]:
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    assert shown.headers["content-type"].startswith("text/html")
    data = client.get(api)
    assert data.status_code == 200, data.text
    assert data.headers["content-type"].startswith("application/json")
    return shown.text, data.json()


def nav_links(page: str) -> dict[str, str]:
    document = html.fromstring(page)
    return {a.get("rel"): a.get("href") for a in document.xpath('//div[@class="day-nav"]/a')}


# the daily feed --------------------------------------------------------------------------------

FEED_QUERIES = [
    "",
    "?date=2026-03-11",
    "?date=2026-03-09",
    "?date=2026-03-09&page=2",
    "?date=2026-03-11&category=cs.CL",
    "?date=2026-03-10&category=cs.CL",
    "?category=hep-th",
    "?category=cs",
    "?date=2026-03-11&span=week",
    "?date=2026-03-11&span=week&page=2&sort=date",
    "?date=2026-03-11&span=month&sort=date",
    "?date=2026-03-07",
]


@pytest.mark.parametrize("query", FEED_QUERIES)
def test_feed_page_shows_what_the_api_returns(client: TestClient, query: str) -> None:
    for page_path in ("/", "/feed"):
        page, data = page_and_api(client, page_path + query, "/api/feed" + query)
        assert cards(page) == api_cards(data["papers"])
        total = data["total"]
        assert f"{total} paper{'' if total == 1 else 's'}" in page
        links = nav_links(page)
        for rel, day in (("prev", data["previous"]), ("next", data["next"])):
            if day is None:
                assert rel not in links
            else:
                assert f"date={day}" in links[rel]


def test_feed_opens_on_today_with_its_papers(client: TestClient) -> None:
    data = client.get("/api/feed").json()
    assert data["date"] == data["first"] == data["last"] == TODAY.isoformat()
    assert data["span"] == "day" and data["sort"] == "upvotes" and data["category"] is None
    assert {p["id"] for p in data["papers"]} == listed_between(TODAY, TODAY)
    assert data["previous"] == "2026-03-11"
    assert data["next"] is None  # a paper is listed tomorrow, but tomorrow is not here yet
    paper = next(p for p in data["papers"] if p["id"] == "2603.10001")
    assert paper == {
        "id": "2603.10001",
        "title": "Graph neural networks for protein folding",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG", "q-bio.BM"],
        "date": TODAY.isoformat(),
        "abstract_preview": (
            "We fold proteins with graph neural networks. Networks of residues help."
        ),
        "upvotes": 0,
        "voted": False,
        "submitted_by": None,
        "url": "/papers/2603.10001",
        "arxiv_url": "https://arxiv.org/abs/2603.10001",
        "code_url": None,
        "comment_count": 0,
        "links": [],
        "state": None,
    }


@pytest.mark.parametrize(
    ("query", "first", "previous", "following"),
    [
        ("date=2026-03-11", "2026-03-11", "2026-03-10", "2026-03-12"),
        ("date=2026-03-09", "2026-03-09", "2026-03-06", "2026-03-10"),  # skips the weekend
        ("date=2026-03-07", "2026-03-07", "2026-03-06", "2026-03-09"),  # a Saturday: empty
        ("date=2026-03-11&category=cs.CL", "2026-03-11", "2026-03-09", "2026-03-12"),
        ("date=2026-03-10&category=cs.CL", "2026-03-10", "2026-03-09", "2026-03-11"),
        ("date=2026-03-11&category=math.PR", "2026-03-11", "2026-03-10", "2026-03-12"),
        ("category=hep-th", "2026-03-11", "1999-01-04", None),  # newest hep-th day
        ("date=2026-02-20", "2026-02-20", "1999-01-04", "2026-03-06"),
    ],
)
def test_feed_day_navigation_skips_empty_days(
    client: TestClient, query: str, first: str, previous: str | None, following: str | None
) -> None:
    data = client.get(f"/api/feed?{query}").json()
    assert (data["first"], data["previous"], data["next"]) == (first, previous, following)
    day = date.fromisoformat(first)
    expected = listed_between(day, day, data["category"])
    assert data["total"] == len(expected)
    assert {p["id"] for p in data["papers"]} <= expected and len(data["papers"]) == min(
        50, len(expected)
    )


def test_empty_day_page_says_so_and_links_the_previous_day(client: TestClient) -> None:
    page = client.get("/?date=2026-03-08").text  # a Sunday
    assert "No papers on this day" in page
    assert "See Friday, 06 March" in page
    assert cards(page) == []
    page = client.get("/?date=2026-03-10&category=cs.CL").text
    assert "No papers on this day in cs.CL" in page


def test_feed_week_and_month_spans(client: TestClient) -> None:
    week = client.get("/api/feed?date=2026-03-11&span=week").json()
    assert (week["first"], week["last"]) == ("2026-03-09", "2026-03-15")
    expected = listed_between(date(2026, 3, 9), date(2026, 3, 15))
    assert week["total"] == len(expected) and week["pages"] == 2
    second = client.get("/api/feed?date=2026-03-11&span=week&page=2").json()
    shown = [p["id"] for p in week["papers"] + second["papers"]]
    assert len(shown) == len(set(shown)) and set(shown) == expected
    assert week["previous"] == "2026-03-06"
    month = client.get("/api/feed?date=2026-03-11&span=month").json()
    assert (month["first"], month["last"]) == ("2026-03-01", "2026-03-31")
    assert month["total"] == len(listed_between(date(2026, 3, 1), date(2026, 3, 31)))
    assert month["previous"] == "2026-02-20" and month["next"] is None
    page = client.get("/?date=2026-03-11&span=month").text
    assert "March 2026" in page
    page = client.get("/?date=2026-03-11&span=week").text
    assert "Week of 09 Mar – 15 Mar 2026" in page


def test_feed_category_filter_matches_archives_and_cross_lists(client: TestClient) -> None:
    cl = client.get("/api/feed?date=2026-03-11&category=cs.LG").json()
    assert [p["id"] for p in cl["papers"]] == ["2603.09001"]  # cross-listed from cs.CL
    cs = client.get("/api/feed?date=2026-03-12&category=cs").json()
    assert {p["id"] for p in cs["papers"]} == {"2603.10001", "2603.10002"}
    page = client.get("/?date=2026-03-12&category=cs").text
    assert "in <strong>cs</strong>" in page


def test_feed_pagination(client: TestClient) -> None:
    first = client.get(f"/api/feed?date={BULK_DAY}").json()
    assert first["total"] == BULK_COUNT + 1 and first["pages"] == 2
    assert len(first["papers"]) == 50
    second = client.get(f"/api/feed?date={BULK_DAY}&page=2").json()
    assert len(second["papers"]) == BULK_COUNT + 1 - 50
    assert not {p["id"] for p in first["papers"]} & {p["id"] for p in second["papers"]}
    beyond = client.get(f"/api/feed?date={BULK_DAY}&page=3").json()
    assert beyond["papers"] == [] and beyond["page"] == 3
    page = client.get(f"/?date={BULK_DAY}").text
    assert "Page 1 of 2" in page
    pager = html.fromstring(page).xpath('//nav[@class="pager"]/a[@rel="next"]/@href')
    assert pager and "page=2" in pager[0] and f"date={BULK_DAY}" in pager[0]


def test_feed_sorts_by_upvotes_or_by_date(
    client: TestClient, engine: Engine, as_alice: Visitor, as_bob: Visitor
) -> None:
    for visitor in (as_alice, as_bob):
        assert visitor.api("PUT", "/api/votes/2603.07000").status_code == 200
    assert as_alice.api("PUT", "/api/votes/2603.09002").status_code == 200
    week = "/api/feed?date=2026-03-11&span=week"
    by_votes = client.get(week + "&sort=upvotes").json()["papers"]
    assert [(p["id"], p["upvotes"]) for p in by_votes[:2]] == [("2603.07000", 2), ("2603.09002", 1)]
    by_date = client.get(week + "&sort=date").json()["papers"]
    dates = [p["date"] for p in by_date]
    assert dates == sorted(dates, reverse=True)
    assert by_date[0]["id"] == "2603.11001"
    page = client.get("/?date=2026-03-11&span=week&sort=upvotes").text
    assert [c.url for c in cards(page)[:2]] == ["/papers/2603.07000", "/papers/2603.09002"]


# trending --------------------------------------------------------------------------------------


def test_trending_page_and_api_rank_recent_upvotes_first(
    client: TestClient,
    engine: Engine,
    clock: Any,
    as_alice: Visitor,
    as_bob: Visitor,
    anon: Visitor,
    make_account: Any,
) -> None:
    empty_page, empty = page_and_api(client, "/trending", "/api/trending")
    assert empty["papers"] == [] and "Nothing is trending yet" in empty_page
    now = clock.now
    clock.advance(days=-7)  # three old upvotes for one paper...
    for visitor in (as_alice, as_bob):
        visitor.api("PUT", "/api/votes/2603.05001")
    carol = engine.users.by_id(make_account("Carol").id)
    assert carol is not None
    engine.vote(carol, "2603.05001", True)
    clock.now = now  # ...and two fresh ones for another
    for visitor in (as_alice, as_bob):
        visitor.api("PUT", "/api/votes/2603.09001")
    as_alice.api("PUT", "/api/votes/2603.10002")
    page, data = page_and_api(anon.client, "/trending", "/api/trending")
    ranked = [(item["paper"]["id"], item["paper"]["upvotes"]) for item in data["papers"]]
    assert ranked == [("2603.09001", 2), ("2603.10002", 1), ("2603.05001", 3)]
    assert data["half_life_hours"] == 48.0 and "half-life" in data["formula"]
    scores = [item["score"] for item in data["papers"]]
    assert scores == sorted(scores, reverse=True) and scores[0] == pytest.approx(2.0)
    assert cards(page) == api_cards([item["paper"] for item in data["papers"]])
    limited = client.get("/api/trending?limit=1").json()["papers"]
    assert [item["paper"]["id"] for item in limited] == ["2603.09001"]
    assert len(cards(client.get("/trending?limit=2").text)) == 2


# search ----------------------------------------------------------------------------------------

SEARCH_QUERIES = [
    "q=transformers",
    "q=graph+neural+networks",
    "q=gradient",
    "q=gradient&page=2",
    "q=translation&category=cs.CL",
    "q=translation&since=2026-03-10",
    "q=translation&until=2026-03-10",
    "q=random&author=Erdos",
    "q=%22machine+translation%22",
    "q=title:percolation",
]


@pytest.mark.parametrize("query", SEARCH_QUERIES)
def test_search_page_shows_what_the_api_returns(client: TestClient, query: str) -> None:
    page, data = page_and_api(client, "/search?" + query, "/api/search?" + query)
    assert data["results"], "every query here has results"
    assert cards(page) == api_cards([item["paper"] for item in data["results"]])
    for item in data["results"]:
        assert item["title_html"] in page


def test_search_results_filters_and_pagination(client: TestClient) -> None:
    found = client.get("/api/search?q=translation").json()
    assert {r["paper"]["id"] for r in found["results"]} == {"2603.10002", "2603.07000"}
    assert found["total"] == 2 and found["mode"] == "bm25" and found["modes"] == ["bm25"]
    in_cl = client.get("/api/search?q=neural&category=cs.CL").json()
    assert [r["paper"]["id"] for r in in_cl["results"]] == ["2603.07000"]
    since = client.get("/api/search?q=translation&since=2026-03-10").json()
    assert [r["paper"]["id"] for r in since["results"]] == ["2603.10002"]
    until = client.get("/api/search?q=translation&until=2026-03-10").json()
    assert [r["paper"]["id"] for r in until["results"]] == ["2603.07000"]
    by_author = client.get("/api/search?q=random&author=erdos").json()
    assert [r["paper"]["id"] for r in by_author["results"]] == ["2603.10003"]
    gradient = [client.get(f"/api/search?q=gradient&page={n}").json() for n in (1, 2, 3)]
    assert [g["pages"] for g in gradient] == [3, 3, 3]
    assert [len(g["results"]) for g in gradient] == [20, 20, BULK_COUNT + 1 - 40]
    ids = [r["paper"]["id"] for g in gradient for r in g["results"]]
    assert len(set(ids)) == BULK_COUNT + 1
    page = client.get("/search?q=gradient&page=2").text
    assert "Page 2 of 3" in page


def test_search_counts_matches_up_to_a_limit(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "COUNT_LIMIT", 50)
    found = client.get("/api/search?q=gradient").json()
    assert found["total"] == 50 and found["total_is_limit"] is True
    assert found["pages"] == 3  # pages follow what is retrieved, not the count
    assert "50+ results" in client.get("/search?q=gradient").text
    few = client.get("/api/search?q=translation").json()
    assert few["total"] == 2 and few["total_is_limit"] is False
    assert "2 results" in client.get("/search?q=translation").text


def test_search_highlights_query_terms(client: TestClient) -> None:
    data = client.get("/api/search?q=graph+networks").json()
    top = data["results"][0]
    assert top["paper"]["id"] == "2603.10001"
    assert top["title_html"] == (
        "<mark>Graph</mark> neural <mark>networks</mark> for protein folding"
    )
    assert "<mark>Networks</mark> of residues" in top["snippet_html"]
    page = client.get("/search?q=graph+networks").text
    assert "<mark>Graph</mark> neural <mark>networks</mark>" in page


def test_search_escapes_html_in_queries_and_titles(client: TestClient, engine: Engine) -> None:
    hostile = "<script>alert(1)</script> string"
    page = client.get("/search", params={"q": hostile}).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    data = client.get("/api/search", params={"q": "statistics"}).json()
    snippet = data["results"][0]["snippet_html"]
    assert "&amp;" in snippet and "<mark>statistics</mark>" in snippet


def test_search_without_results_explains_what_to_try(client: TestClient) -> None:
    page, data = page_and_api(
        client, "/search?q=zymurgy&category=cs.CL", "/api/search?q=zymurgy&category=cs.CL"
    )
    assert data["results"] == [] and data["total"] == 0
    assert "No papers match “zymurgy”" in page
    assert "search without filters" in page
    assert cards(page) == []


def test_empty_search_shows_the_form(client: TestClient) -> None:
    page, data = page_and_api(client, "/search", "/api/search")
    assert data["query"] == "" and data["results"] == []
    assert "Search the papers" in page


def test_search_accepts_any_query_string(client: TestClient) -> None:
    for query in ['"unclosed', "title:", "(", "a AND", "[a TO", "~", "^2", "\\", "\x00", "*"]:
        for path in ("/api/search", "/search"):
            response = client.get(path, params={"q": query})
            assert response.status_code == 200, (path, query, response.text)


def test_modes_that_cannot_answer_give_keyword_results_with_a_notice(
    client: TestClient,
) -> None:
    keyword = client.get("/api/search?q=graph&mode=keyword").json()
    for mode in ("dense", "hybrid", "semantic"):
        body = client.get(f"/api/search?q=graph&mode={mode}").json()
        assert body["mode"] == "bm25" and body["modes"] == ["bm25"]
        assert "not switched on" in body["notice"]
        assert body["results"] == keyword["results"] and keyword["notice"] is None
    page = client.get("/search?q=graph&mode=hybrid")
    assert page.status_code == 200 and "not switched on" in page.text
    for path in ("/api/search?q=graph&mode=bogus", "/search?q=graph&mode=bogus"):
        assert 400 <= client.get(path).status_code < 500


# papers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("paper_id", ["2603.10001", "hep-th/9901001", "scifact:42"])
def test_paper_page_shows_what_the_api_returns(client: TestClient, paper_id: str) -> None:
    page, data = page_and_api(client, f"/papers/{paper_id}", f"/api/papers/{paper_id}")
    document = html.fromstring(page)
    assert document.xpath("//h1")[0].text_content() == data["title"]
    assert data["id"] == paper_id and data["url"] == f"/papers/{paper_id}"
    paragraphs = document.xpath('//section[contains(@class, "abstract-full")]/p')
    assert " ".join(p.text_content() for p in paragraphs) == data["abstract"]
    count = document.xpath('//header[@class="paper-head"]//span[@class="count"]')[0]
    assert int(count.text_content()) == data["upvotes"]
    assert document.xpath('//pre[@id="bibtex"]')[0].text_content() == data["bibtex"]
    assert cards(page) == api_cards(data["similar"])
    authors = document.xpath('//p[@class="authors-full"]/a')
    assert [a.text_content() for a in authors] == data["authors"]
    assert (data["arxiv_url"] is not None) == (paper_id != "scifact:42")
    if data["pdf_url"]:
        assert data["pdf_url"] in page


def test_paper_api_details(client: TestClient) -> None:
    data = client.get("/api/papers/2603.10001").json()
    assert data["primary_category"] == "cs.LG"
    assert data["submitted"] == "2026-03-10" and data["listed"] == TODAY.isoformat()
    assert data["pdf_url"] == "https://arxiv.org/pdf/2603.10001"
    assert data["bibtex"].startswith("@") and "2603.10001" in data["bibtex"]
    assert data["in_collections"] == [] and data["similar"]
    assert "2603.10001" not in {p["id"] for p in data["similar"]}
    old = client.get("/api/papers/hep-th/9901001").json()
    assert old["arxiv_url"] == "https://arxiv.org/abs/hep-th/9901001"
    other = client.get("/api/papers/scifact:42").json()
    assert other["arxiv_url"] is None and other["pdf_url"] is None


def test_paper_bibtex_file(client: TestClient) -> None:
    response = client.get("/bibtex/2603.10002")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-bibtex")
    assert response.text == client.get("/api/papers/2603.10002").json()["bibtex"]
    assert "Transformers for low-resource machine translation" in response.text
    assert client.get("/bibtex/hep-th/9901001").status_code == 200
    assert client.get("/bibtex/2699.99999").status_code == 404


def test_missing_paper_is_404_on_page_and_api(client: TestClient) -> None:
    page = client.get("/papers/2699.99999")
    assert page.status_code == 404 and "Not found" in page.text
    api = client.get("/api/papers/2699.99999")
    assert api.status_code == 404 and api.json()["error"]["code"] == "paper_not_found"


# authors and categories ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", ["2603.10001", "2603.09001", "2602.01001"]),
        ("Paul Erdős", ["2603.10003", "2603.08001"]),
        ("paul erdos", ["2603.10003", "2603.08001"]),  # case and accents folded
        ("Nobody Atall", []),
    ],
)
def test_author_page_shows_what_the_api_returns(
    client: TestClient, name: str, expected: list[str]
) -> None:
    page, data = page_and_api(client, f"/authors/{name}", f"/api/authors/{name}")
    assert [p["id"] for p in data["papers"]] == expected  # newest first
    assert data["total"] == len(expected) and data["name"] == name
    assert cards(page) == api_cards(data["papers"])
    if not expected:
        assert "No papers yet" in page


def test_author_pagination(client: TestClient) -> None:
    first = client.get("/api/authors/Bulk Author").json()
    assert first["total"] == BULK_COUNT and first["pages"] == 2 and len(first["papers"]) == 50
    second = client.get("/api/authors/Bulk Author?page=2").json()
    assert len(second["papers"]) == BULK_COUNT - 50
    page = client.get("/authors/Bulk Author?page=2").text
    assert cards(page) == api_cards(second["papers"]) and "Page 2 of 2" in page


@pytest.mark.parametrize("name", ["cs.CL", "cs.LG", "math.PR", "hep-th", "cs", "q-bio.BM"])
def test_category_page_shows_what_the_api_returns(client: TestClient, name: str) -> None:
    page, data = page_and_api(client, f"/categories/{name}", f"/api/categories/{name}")
    matching = {
        p.id for p in corpus() if any(c == name or c.startswith(name + ".") for c in p.categories)
    }
    assert data["total"] == len(matching) and data["name"] == name
    assert cards(page) == api_cards(data["papers"])
    dates = [p["date"] for p in data["papers"]]
    assert dates == sorted(dates, reverse=True)
    assert f"/feeds/daily.rss?category={name}" in page


def test_category_pagination_and_invalid_names(client: TestClient) -> None:
    first = client.get("/api/categories/cs.LG").json()
    second = client.get("/api/categories/cs.LG?page=2").json()
    assert first["pages"] == 2 and len(first["papers"]) == 50
    assert first["total"] == 50 + len(second["papers"])
    for bad in ("CS", "cs..LG", "x" * 41, "cs.LG;drop"):
        assert client.get(f"/api/categories/{bad}").status_code == 400, bad
        assert client.get(f"/categories/{bad}").status_code == 400, bad


# the rest of the site --------------------------------------------------------------------------


def test_pages_carry_security_headers_and_a_csrf_meta_tag(client: TestClient) -> None:
    response = client.get("/")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert '<meta name="csrf-token" content="' in response.text


def test_static_files_are_served(client: TestClient) -> None:
    response = client.get("/static/style.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
    assert client.get("/static/no-such-file.css").status_code == 404


def test_api_docs_are_served(client: TestClient) -> None:
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.text


def test_api_docs_can_run_under_the_content_security_policy(client: TestClient) -> None:
    """The footer links /api/docs: its scripts must be allowed by the CSP it is served with."""
    docs = client.get("/api/docs")
    policy = docs.headers.get("content-security-policy", "")
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    sources = (directives.get("script-src") or directives.get("default-src") or "*").split()
    for src in re.findall(r'<script src="([^"]+)"', docs.text):
        allowed = (
            "*" in sources
            or any(src.startswith(s) for s in sources if s.startswith("http"))
            or (src.startswith("/") and "'self'" in sources)
        )
        assert allowed, f"the CSP ({policy}) blocks the docs' script {src}"
    if re.search(r"<script>", docs.text):
        assert (
            "*" in sources
            or "'unsafe-inline'" in sources
            or any(s.startswith(("'nonce-", "'sha")) for s in sources)
        ), f"the CSP ({policy}) blocks the docs' inline script"
