"""RSS 2.0 and Atom feeds: daily (per category too), trending, search, collections."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from tests.web.conftest import Visitor, assert_html_error

ATOM = {"a": "http://www.w3.org/2005/Atom"}
BASE = "http://127.0.0.1:8000"  # PAPERSIFT_PUBLIC_URL: feed links never follow the Host header


def rss(client: TestClient, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/rss+xml")
    root = etree.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root


def atom(client: TestClient, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    return root


def rss_ids(root: Any) -> list[str]:
    return [link.removeprefix(BASE + "/papers/") for link in root.xpath("//item/link/text()")]


def atom_ids(root: Any) -> list[str]:
    return [
        href.removeprefix(BASE + "/papers/")
        for href in root.xpath("//a:entry/a:link/@href", namespaces=ATOM)
    ]


def test_daily_feeds_list_the_newest_days_papers(client: TestClient) -> None:
    today = ["2603.10003", "2603.10002", "2603.10001"]  # newest first, then by id
    root = rss(client, "/feeds/daily.rss")
    assert rss_ids(root) == today
    assert root.xpath("//channel/title/text()") == ["papersift: new papers"]
    assert root.xpath("//channel/description/text()") == ["Papers listed on 2026-03-12"]
    item = root.xpath("//item")[0]
    assert item.findtext("title") == "Random walks on random graphs"
    assert item.findtext("guid") == f"{BASE}/papers/2603.10003"
    assert item.findtext("description") == "Mixing times of random walks on sparse random graphs."
    assert [c.text for c in item.findall("category")] == ["math.PR"]
    assert item.findtext("pubDate").startswith("Thu, 12 Mar 2026")
    feed = atom(client, "/feeds/daily.atom")
    assert atom_ids(feed) == today
    entry = feed.xpath("//a:entry", namespaces=ATOM)[2]
    assert entry.findtext("a:title", namespaces=ATOM) == "Graph neural networks for protein folding"
    assert entry.findtext("a:id", namespaces=ATOM) == f"{BASE}/papers/2603.10001"
    authors = entry.xpath("a:author/a:name/text()", namespaces=ATOM)
    assert authors == ["Ada Lovelace", "Alan Turing"]
    self_link = feed.xpath("/a:feed/a:link[@rel='self']/@href", namespaces=ATOM)
    assert self_link == [f"{BASE}/feeds/daily.atom"]


def test_rss_channel_link_is_the_page_not_the_feed(client: TestClient) -> None:
    root = rss(client, "/feeds/daily.rss")
    assert root.xpath("//channel/link/text()") == [f"{BASE}/feed"]


@pytest.mark.parametrize(
    ("category", "expected", "day"),
    [
        ("hep-th", ["2603.09002"], "2026-03-11"),  # its newest day
        ("math.PR", ["2603.10003"], "2026-03-12"),
        ("cs", ["2603.10002", "2603.10001"], "2026-03-12"),
        ("q-bio.BM", ["2603.10001"], "2026-03-12"),
    ],
)
def test_daily_feeds_by_category(
    client: TestClient, category: str, expected: list[str], day: str
) -> None:
    root = rss(client, f"/feeds/daily.rss?category={category}")
    assert rss_ids(root) == expected
    assert root.xpath("//channel/title/text()") == [f"papersift: new papers in {category}"]
    assert root.xpath("//channel/description/text()") == [f"Papers listed on {day} in {category}"]
    assert atom_ids(atom(client, f"/feeds/daily.atom?category={category}")) == expected


def test_daily_feed_refuses_bad_categories(client: TestClient) -> None:
    assert_html_error(client.get("/feeds/daily.rss?category=Not!Valid"), 400)
    assert client.get("/feeds/daily.rss?category=" + "a" * 41).status_code == 422


def test_trending_feeds(client: TestClient, as_alice: Visitor, as_bob: Visitor) -> None:
    assert rss_ids(rss(client, "/feeds/trending.rss")) == []
    for visitor in (as_alice, as_bob):
        visitor.api("PUT", "/api/votes/2603.08001")
    as_alice.api("PUT", "/api/votes/2603.10002")
    expected = ["2603.08001", "2603.10002"]
    root = rss(client, "/feeds/trending.rss")
    assert rss_ids(root) == expected
    assert root.xpath("//channel/title/text()") == ["papersift: trending papers"]
    ranked = [item["paper"]["id"] for item in client.get("/api/trending").json()["papers"]]
    assert ranked == expected
    assert atom_ids(atom(client, "/feeds/trending.atom")) == expected


def test_search_feeds_list_matches_newest_first(client: TestClient) -> None:
    root = rss(client, "/feeds/search.rss?q=translation")
    assert rss_ids(root) == ["2603.10002", "2603.07000"]
    assert root.xpath("//channel/title/text()") == ["papersift: translation"]
    assert atom_ids(atom(client, "/feeds/search.atom?q=translation")) == [
        "2603.10002",
        "2603.07000",
    ]
    filtered = rss(client, "/feeds/search.rss?q=translation&since=2026-03-10")
    assert rss_ids(filtered) == ["2603.10002"]
    by_category = rss(client, "/feeds/search.rss?q=neural&category=cs.CL")
    assert rss_ids(by_category) == ["2603.07000"]
    assert rss_ids(rss(client, "/feeds/search.rss?q=zymurgy")) == []
    assert rss(client, "/feeds/search.rss?q=translation&mode=bm25") is not None


def test_search_feeds_refuse_bad_input(client: TestClient) -> None:
    assert client.get("/feeds/search.rss").status_code == 422  # q is required
    assert client.get("/feeds/search.rss?q=").status_code == 422
    assert client.get("/feeds/search.rss?q=" + "x" * 501).status_code == 422
    assert client.get("/feeds/search.rss?q=x&mode=bogus").status_code == 422
    assert client.get("/feeds/search.rss?q=x&mode=dense").status_code == 200  # keyword for now
    assert 400 <= client.get("/feeds/search.rss?q=x&mode=bogus").status_code < 500


def test_feeds_survive_control_characters(
    client: TestClient, as_alice: Visitor, engine: Any
) -> None:
    for query in ("\x00", "graph\x01neural", "\x1b[31m"):
        response = client.get("/feeds/search.rss", params={"q": query})
        assert response.status_code == 200, (query, response.text)
        etree.fromstring(response.content)
    created = as_alice.api("POST", "/api/collections", {"name": "Bell\x07 ring", "public": True})
    assert created.status_code in (201, 400), created.text
    if created.status_code == 201:
        cid = created.json()["id"]
        response = client.get(f"/feeds/collections/{cid}.atom")
        assert response.status_code == 200, response.text
        etree.fromstring(response.content)


def test_collection_atom_feed(client: TestClient, as_alice: Visitor) -> None:
    cid = as_alice.api("POST", "/api/collections", {"name": "Atom list", "public": True}).json()[
        "id"
    ]
    as_alice.api("PUT", f"/api/collections/{cid}/papers/hep-th/9901001", {"tags": []})
    root = atom(client, f"/feeds/collections/{cid}.atom")
    assert atom_ids(root) == ["hep-th/9901001"]
    assert root.findtext("a:title", namespaces=ATOM) == "papersift: Atom list (Alice Example)"


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/daily.json",
        "/feeds/daily",
        "/feeds/trending.xml",
        "/feeds/search.txt?q=x",
        "/feeds/collections/1.html",
        "/feeds/nothing.rss",
    ],
)
def test_unknown_feed_formats_are_client_errors(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert 400 <= response.status_code < 500, response.text


def test_feeds_ignore_unknown_parameters(client: TestClient) -> None:
    for path in (
        "/feeds/daily.rss?utm_source=x",
        "/feeds/trending.atom?fbclid=y",
        "/feeds/search.rss?q=x&page=2",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
