"""Following papers: "For you" with its reasons, "not interested", follows, saved searches with
their matches and private feeds, digest settings and the one-click unsubscribe link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from lxml import etree, html

from papersift.engine import Engine
from papersift.features.interests import MAX_SAVED_SEARCHES
from papersift.features.tokens import make_token
from papersift.store import schema
from tests.conftest import make_paper
from tests.web.conftest import (
    TODAY,
    Account,
    Visitor,
    api_cards,
    assert_html_error,
    assert_json_error,
    cards,
    corpus,
    hidden_csrf,
)

ATOM = {"a": "http://www.w3.org/2005/Atom"}
BASE = "http://127.0.0.1:8000"  # PAPERSIFT_PUBLIC_URL: feed links never follow the Host header
# Papers about language (topic A); every other paper of the corpus is topic B.
LANGUAGE = {"2603.10002", "2603.09001", "2603.07000", "2603.05001"}


def fake_vectors(engine: Engine) -> None:
    """Embeddings for the recommender: two clear topics, a little noise."""
    rng = np.random.default_rng(7)
    vectors = {}
    for paper in corpus():
        base = np.eye(8, dtype=np.float32)[0 if paper.id in LANGUAGE else 1]
        vector = base + 0.1 * rng.standard_normal(8).astype(np.float32)
        vectors[paper.id] = (vector / np.linalg.norm(vector)).astype(np.float32)
    engine.recommender.sources = replace(
        engine.recommender.sources,
        vectors=lambda ids: {i: vectors[i] for i in ids if i in vectors},
        embedder_identity=lambda: "test-vectors",
    )


def user_of(engine: Engine, account: Account) -> Any:
    user = engine.users.by_id(account.id)
    assert user is not None
    return user


def reasons_on_page(page: str) -> list[list[tuple[str, str | None]]]:
    """Per card, its reasons as (text, link)."""
    document = html.fromstring(page)
    found = []
    for article in document.xpath('//article[@class="card"]'):
        found.append(
            [
                (item.text_content(), (item.xpath("./a/@href") or [None])[0])
                for item in article.xpath('.//ul[@class="reasons"]/li')
            ]
        )
    return found


def rss_ids(client: TestClient, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/rss+xml")
    assert response.headers["cache-control"] == "private, no-store"
    root = etree.fromstring(response.content)
    return [link.removeprefix(BASE + "/papers/") for link in root.xpath("//item/link/text()")]


def atom_ids(client: TestClient, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(response.content)
    links = root.xpath("//a:entry/a:link/@href", namespaces=ATOM)
    return [link.removeprefix(BASE + "/papers/") for link in links]


# For you ---------------------------------------------------------------------------------------


def test_for_you_page_shows_what_the_api_returns(
    engine: Engine, as_alice: Visitor, anon: Visitor
) -> None:
    fake_vectors(engine)
    for paper_id in ("2603.09001", "2603.07000"):  # her library: two language papers
        assert as_alice.api("PUT", f"/api/votes/{paper_id}").status_code == 200
    assert as_alice.api("PUT", "/api/follows/author/Grace Hopper").status_code == 200
    data = as_alice.client.get("/api/for-you?limit=4").json()
    assert data["cold_start"] is False and data["library_size"] == 2
    assert data["window_days"] == engine.settings.recommendation_window_days
    items = data["items"]
    assert len(items) == 4
    assert {item["paper"]["id"] for item in items[:2]} == {"2603.10002", "2603.05001"}
    assert not {item["paper"]["id"] for item in items} & {"2603.09001", "2603.07000"}
    titles = {
        "2603.09001": "Attention is still all you need",
        "2603.07000": "Neural machine translation revisited",
    }
    for item in items[:2]:
        assert 1 <= len(item["because"]) <= 2
        for link, reason in zip(item["because"], item["reasons"], strict=False):
            assert link["id"] in titles and link["url"] == f"/papers/{link['id']}"
            assert reason == {
                "kind": "like_paper",
                "text": f"Like “{titles[link['id']]}” in your library",
                "url": f"/papers/{link['id']}",
            }
    hopper = next(item for item in items if item["paper"]["id"] == "2603.10002")
    assert {
        "kind": "followed_author",
        "text": "By Grace Hopper, whom you follow",
        "url": "/authors/Grace%20Hopper",
    } in hopper["reasons"]
    assert data["follows"] == [
        {"kind": "author", "value": "Grace Hopper", "url": "/authors/Grace%20Hopper"}
    ]

    page = as_alice.client.get("/for-you?limit=4").text
    assert cards(page) == api_cards([item["paper"] for item in items])
    assert reasons_on_page(page) == [
        [(r["text"], r["url"]) for r in item["reasons"]] for item in items
    ]
    assert "Teach papersift what you like" not in page
    assert f"{BASE}{data['feed_rss']}" in page  # the private feed address, to copy
    assert 'aria-current="page">For you</a>' in page
    assert page.count("Not interested") == 4
    # the feed readers' view of the same recommendations, without a login
    feed = data["feed_rss"]
    assert feed.startswith("/feeds/for-you/") and feed.endswith(".rss")
    ids = [item["paper"]["id"] for item in as_alice.client.get("/api/for-you").json()["items"]]
    assert len(ids) == 20 and rss_ids(anon.client, feed)[:20] == ids
    assert atom_ids(anon.client, data["feed_atom"])[:20] == ids


def test_for_you_cold_start_explains_and_uses_follows_then_trending(
    as_alice: Visitor, as_bob: Visitor
) -> None:
    page = as_alice.client.get("/for-you").text
    assert "Teach papersift what you like" in page and "Nothing to recommend yet" in page
    empty = as_alice.client.get("/api/for-you").json()
    assert empty["cold_start"] is True and empty["items"] == [] and empty["library_size"] == 0
    as_bob.api("PUT", "/api/votes/2603.10002")  # trending
    as_alice.api("PUT", "/api/follows/author/Paul Erdős")
    data = as_alice.client.get("/api/for-you").json()
    assert data["cold_start"] is True
    ids = [item["paper"]["id"] for item in data["items"]]
    assert set(ids[:2]) == {"2603.10003", "2603.08001"} and ids[2] == "2603.10002"
    erdos = {
        "kind": "followed_author",
        "text": "By Paul Erdős, whom you follow",
        "url": f"/authors/{quote('Paul Erdős')}",
    }
    assert [item["reasons"] for item in data["items"]] == [
        [erdos],
        [erdos],
        [{"kind": "trending", "text": "Trending", "url": "/trending"}],
    ]
    assert all(item["because"] == [] for item in data["items"])
    page = as_alice.client.get("/for-you").text
    assert "Teach papersift what you like" in page
    assert cards(page) == api_cards([item["paper"] for item in data["items"]])
    assert reasons_on_page(page)[2] == [("Trending", "/trending")]


def test_not_interested_with_the_form_and_the_api(as_alice: Visitor, as_bob: Visitor) -> None:
    as_bob.api("PUT", "/api/votes/2603.10002")
    as_bob.api("PUT", "/api/votes/2603.10001")

    def recommended() -> list[str]:
        items = as_alice.client.get("/api/for-you").json()["items"]
        return [item["paper"]["id"] for item in items]

    assert set(recommended()) == {"2603.10002", "2603.10001"}
    page = as_alice.client.get("/for-you").text
    form = page.split('action="/dismissals/2603.10002"')[1].split("</form>")[0]
    assert 'name="dismissed" value="1"' in form
    response = as_alice.form(
        "/dismissals/2603.10002",
        {"dismissed": "1", "next": "/for-you?hidden=2603.10002"},
        page="/for-you",
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/for-you?hidden=2603.10002"
    assert recommended() == ["2603.10001"]
    page = as_alice.client.get("/for-you?hidden=2603.10002").text
    assert "“Transformers for low-resource machine translation” will not be recommended" in page
    assert "/papers/2603.10002" not in [card.url for card in cards(page)]
    undo = as_alice.form("/dismissals/2603.10002", {"dismissed": "0", "next": "/for-you"})
    assert undo.headers["location"] == "/for-you"
    assert set(recommended()) == {"2603.10002", "2603.10001"}
    assert "will not be recommended" not in as_alice.client.get("/for-you?hidden=2603.10002").text
    # the API
    put = as_alice.api("PUT", "/api/dismissals/2603.10001")
    assert put.status_code == 200 and put.json() == {"paper_id": "2603.10001", "dismissed": True}
    assert as_alice.api("PUT", "/api/dismissals/2603.10001").status_code == 200  # idempotent
    assert recommended() == ["2603.10002"]
    assert set(recommended()) == {"2603.10002"}
    gone = as_alice.api("DELETE", "/api/dismissals/2603.10001")
    assert gone.json() == {"paper_id": "2603.10001", "dismissed": False}
    assert set(recommended()) == {"2603.10002", "2603.10001"}
    # old-style ids, unknown papers, redirects only within the site
    assert as_alice.api("PUT", "/api/dismissals/hep-th/9901001").json()["dismissed"] is True
    assert_json_error(as_alice.api("PUT", "/api/dismissals/2699.99999"), 404, "paper_not_found")
    evil = as_alice.form("/dismissals/2603.10001", {"dismissed": "1", "next": "//evil.example"})
    assert evil.headers["location"] == "/for-you"


def test_anonymous_visitors_are_sent_to_log_in(anon: Visitor, engine: Engine) -> None:
    for path in ("/for-you", "/saved-searches", "/saved-searches/1", "/settings/digest"):
        response = anon.client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={path}"
    for path in ("/api/for-you", "/api/saved-searches", "/api/saved-searches/1"):
        assert_json_error(anon.client.get(path), 401, "not_authenticated")
    assert_json_error(anon.client.get("/api/settings/digest"), 401)
    calls = [
        ("PUT", "/api/dismissals/2603.10001", None),
        ("DELETE", "/api/dismissals/2603.10001", None),
        ("PUT", "/api/follows/author/Ada Lovelace", None),
        ("DELETE", "/api/follows/category/cs.LG", None),
        ("POST", "/api/saved-searches", {"query": "graph"}),
        ("DELETE", "/api/saved-searches/1", None),
        ("PUT", "/api/settings/digest", {"frequency": "daily"}),
    ]
    for method, path, body in calls:
        assert_json_error(anon.api(method, path, body), 401, "not_authenticated")
    forms = [
        ("/dismissals/2603.10001", {"dismissed": "1"}),
        ("/follows/author/Ada Lovelace", {"following": "1"}),
        ("/saved-searches", {"q": "graph"}),
        ("/saved-searches/1/delete", {}),
        ("/settings/digest", {"frequency": "daily"}),
    ]
    for path, data in forms:
        assert_html_error(anon.form(path, data), 401)
    assert interest_rows(engine) == {name: [] for name in interest_rows(engine)}


# follows ---------------------------------------------------------------------------------------


def follow_button(page: str) -> str:
    document = html.fromstring(page)
    head = document.xpath('//div[@class="head-row"]')[0]
    return " ".join(head.xpath(".//button/text() | .//a/text()")).strip()


def test_follow_and_unfollow_authors_and_categories_with_the_forms(
    as_alice: Visitor, anon: Visitor
) -> None:
    for kind, value, path in (
        ("author", "Ada Lovelace", "/authors/Ada Lovelace"),
        ("category", "cs.LG", "/categories/cs.LG"),
    ):
        api = f"/api/{path.lstrip('/')}"
        assert anon.client.get(api).json()["following"] is None
        assert follow_button(anon.client.get(path).text) == "Follow"
        assert 'href="/login?next=' in anon.client.get(path).text.split('class="head-row"')[1]
        assert as_alice.client.get(api).json()["following"] is False
        page = as_alice.client.get(path).text
        assert follow_button(page) == "Follow"
        action = f"/follows/{kind}/{quote(value)}"
        assert f'action="{action}"' in page
        response = as_alice.form(action, {"following": "1", "next": path}, page=path)
        assert response.status_code == 303 and response.headers["location"] == quote(path)
        assert as_alice.client.get(api).json()["following"] is True
        assert follow_button(as_alice.client.get(path).text) == "Unfollow"
        # anonymous visitors get the cached page, which shows nobody's follows
        assert follow_button(anon.client.get(path).text) == "Follow"
        assert anon.client.get(api).json()["following"] is None
        follows = as_alice.client.get("/api/for-you").json()["follows"]
        assert {"kind": kind, "value": value, "url": quote(path)} in follows
        response = as_alice.form(action, {"following": "0"}, page=path)
        assert response.headers["location"] == quote(path)  # by default: its page
        assert as_alice.client.get(api).json()["following"] is False
    # unfollow from the For you page
    as_alice.api("PUT", "/api/follows/category/math.PR")
    page = as_alice.client.get("/for-you").text
    assert 'action="/follows/category/math.PR"' in page
    as_alice.form("/follows/category/math.PR", {"following": "0", "next": "/for-you"})
    assert as_alice.client.get("/api/for-you").json()["follows"] == []


def test_follows_with_the_api(as_alice: Visitor, as_bob: Visitor) -> None:
    put = as_alice.api("PUT", "/api/follows/author/  Ada   Lovelace ")
    assert put.status_code == 200
    assert put.json() == {
        "kind": "author",
        "value": "Ada Lovelace",  # spaces tidied, as on the author page
        "following": True,
        "follows": [{"kind": "author", "value": "Ada Lovelace", "url": "/authors/Ada%20Lovelace"}],
    }
    assert as_alice.api("PUT", "/api/follows/author/Ada Lovelace").json()["following"] is True
    both = as_alice.api("PUT", "/api/follows/category/cs").json()  # an archive is a category too
    assert [f["value"] for f in both["follows"]] == ["Ada Lovelace", "cs"]
    assert as_bob.client.get("/api/authors/Ada Lovelace").json()["following"] is False
    deleted = as_alice.api("DELETE", "/api/follows/author/Ada Lovelace")
    assert deleted.json()["following"] is False
    assert [f["value"] for f in deleted.json()["follows"]] == ["cs"]
    assert as_alice.api("DELETE", "/api/follows/author/Ada Lovelace").status_code == 200
    assert_json_error(as_alice.api("PUT", "/api/follows/category/CS..x"), 400, "invalid_input")
    assert_json_error(as_alice.api("PUT", "/api/follows/author/" + "x" * 201), 400)
    assert_json_error(as_alice.api("PUT", "/api/follows/author/%20"), 400)
    assert_json_error(as_alice.api("PUT", "/api/follows/paper/2603.10001"), 422)
    assert_html_error(as_alice.form("/follows/category/x;y", {"following": "1"}), 400)


# saved searches --------------------------------------------------------------------------------


def add_papers(engine: Engine, *papers: Any) -> None:
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, list(papers))
    engine.index(semantic=False)


def test_save_search_with_the_form(
    engine: Engine, as_alice: Visitor, anon: Visitor, alice: Account
) -> None:
    address = "/search?q=graph&mode=bm25&category=cs.LG&since=2026-03-01&author=Ada"
    assert "Save this search" not in anon.client.get(address).text
    page = as_alice.client.get(address).text
    form = page.split('action="/saved-searches"')[1].split("</form>")[0]
    for field in ('name="q" value="graph"', 'name="category" value="cs.LG"',
                  'name="since" value="2026-03-01"', 'name="author" value="Ada"',
                  'name="name" value="graph"'):  # fmt: skip
        assert field in form, field
    assert 'name="until"' not in form
    data = {"q": "graph", "mode": "bm25", "category": "cs.LG", "since": "2026-03-01",
            "author": "Ada", "name": "Graphs by Ada"}  # fmt: skip
    response = as_alice.form("/saved-searches", data, page=address)
    assert response.status_code == 303
    saved = as_alice.client.get("/api/saved-searches").json()["searches"]
    assert len(saved) == 1 and response.headers["location"] == f"/saved-searches/{saved[0]['id']}"
    assert saved[0]["name"] == "Graphs by Ada" and saved[0]["query"] == "graph"
    assert saved[0]["filters"] == {
        "categories": ["cs.LG"], "since": "2026-03-01", "until": None, "author": "Ada",
        "has_code": False,
    }  # fmt: skip
    assert saved[0]["search_url"] == (
        "/search?q=graph&mode=bm25&category=cs.LG&since=2026-03-01&author=Ada"
    )
    stored = engine.interest_store.searches_of(alice.id)
    assert stored[0].checked_rev == engine.papers.max_rev()  # only future papers alert
    # the list page and the search's page
    listing = as_alice.client.get("/saved-searches").text
    assert "Graphs by Ada" in listing and "No new papers match yet" in listing
    assert saved[0]["search_url"].replace("&", "&amp;") in listing
    one = as_alice.client.get(saved[0]["url"]).text
    assert "<h1>Graphs by Ada</h1>" in one and f"{BASE}{saved[0]['feed_rss']}" in one
    # the same search again, an empty query, a bad filter: the form says what is wrong
    again = as_alice.form("/saved-searches", data)
    assert again.status_code == 409 and "You saved this search already" in again.text
    empty = as_alice.form("/saved-searches", {"q": "   "})
    assert empty.status_code == 400 and "needs a query" in empty.text
    bad = as_alice.form("/saved-searches", {"q": "x", "since": "2026-03-02", "until": "2026-03-01"})
    assert bad.status_code == 400 and "after until" in bad.text
    # the name defaults to the query; delete with the form
    as_alice.form("/saved-searches", {"q": "  random   walks "})
    names = [s["name"] for s in as_alice.client.get("/api/saved-searches").json()["searches"]]
    assert names == ["Graphs by Ada", "random walks"]
    listing = as_alice.client.get("/saved-searches").text
    token = hidden_csrf(listing)
    response = as_alice.client.post(
        f"/saved-searches/{saved[0]['id']}/delete",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/saved-searches"
    names = [s["name"] for s in as_alice.client.get("/api/saved-searches").json()["searches"]]
    assert names == ["random walks"]


def test_saved_searches_with_the_api(engine: Engine, as_alice: Visitor, alice: Account) -> None:
    created = as_alice.api(
        "POST", "/api/saved-searches", {"query": "transformers", "category": "cs.CL"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "transformers" and body["mode"] == "bm25"  # the default mode
    assert body["filters"]["categories"] == ["cs.CL"] and body["matches"] == []
    one = as_alice.client.get(f"/api/saved-searches/{body['id']}")
    assert one.json() == body
    listed = as_alice.client.get("/api/saved-searches").json()
    assert listed == {"searches": [body], "limit": MAX_SAVED_SEARCHES}
    # refused: duplicates, empty or oversized queries, bad filters, unavailable modes
    assert_json_error(
        as_alice.api("POST", "/api/saved-searches", {"query": "transformers", "category": "cs.CL"}),
        409,
        "conflict",
    )
    assert_json_error(as_alice.api("POST", "/api/saved-searches", {"query": ""}), 422)
    assert_json_error(as_alice.api("POST", "/api/saved-searches", {"query": " "}), 400)
    assert_json_error(as_alice.api("POST", "/api/saved-searches", {"query": "x" * 501}), 422)
    assert_json_error(
        as_alice.api("POST", "/api/saved-searches", {"query": "x", "name": "n" * 201}), 422
    )
    assert_json_error(
        as_alice.api("POST", "/api/saved-searches", {"query": "x", "category": "CS"}), 400
    )
    assert_json_error(
        as_alice.api("POST", "/api/saved-searches", {"query": "x", "since": "1066-10-14"}), 400
    )
    assert_json_error(
        as_alice.api("POST", "/api/saved-searches", {"query": "x", "mode": "bogus"}), 422
    )
    # at most MAX_SAVED_SEARCHES each
    user = user_of(engine, alice)
    for number in range(MAX_SAVED_SEARCHES - 1):
        engine.interest_store.save_search(
            user.id, name=f"s{number}", query=f"q{number}", mode="bm25",
            filters={}, checked_rev=0, now=engine.clock(),
        )  # fmt: skip
    more = as_alice.api("POST", "/api/saved-searches", {"query": "one more"})
    error = assert_json_error(more, 409, "conflict")
    assert "delete one first" in error["message"]
    deleted = as_alice.api("DELETE", f"/api/saved-searches/{body['id']}")
    assert deleted.status_code == 204
    assert as_alice.api("POST", "/api/saved-searches", {"query": "one more"}).status_code == 201
    assert_json_error(as_alice.client.get(f"/api/saved-searches/{body['id']}"), 404, "not_found")
    assert_json_error(as_alice.api("DELETE", f"/api/saved-searches/{body['id']}"), 404)
    assert_json_error(as_alice.client.get("/api/saved-searches/abc"), 422)


def test_saved_search_matches_show_on_page_api_and_feed(
    engine: Engine, as_alice: Visitor, anon: Visitor
) -> None:
    saved = as_alice.api(
        "POST", "/api/saved-searches", {"query": "graph neural", "category": "cs.LG"}
    ).json()
    engine.alerts.run()
    assert as_alice.client.get(saved["url"].replace("/", "/api/", 1)).json()["matches"] == []
    add_papers(
        engine,
        make_paper("2603.12001", title="Graph neural networks for molecules",
                   abstract="Molecules as graphs for neural networks.", categories=("cs.LG",),
                   listed=TODAY),
        make_paper("2603.12002", title="Graph neural networks in number theory",
                   abstract="Neural graph methods.", categories=("math.NT",), listed=TODAY),
        make_paper("2603.12003", title="Unrelated kernels", abstract="Kernels.",
                   categories=("cs.LG",), listed=TODAY),
    )  # fmt: skip
    engine.alerts.run()
    data = as_alice.client.get(f"/api/saved-searches/{saved['id']}").json()
    assert [m["paper"]["id"] for m in data["matches"]] == ["2603.12001"]  # not the old 2603.10001
    assert data["matches"][0]["found_at"] == "2026-03-12T12:00:00Z"
    page = as_alice.client.get(data["url"]).text
    assert cards(page) == api_cards([m["paper"] for m in data["matches"]])
    listing = as_alice.client.get("/saved-searches").text
    assert 'href="/papers/2603.12001">Graph neural networks for molecules</a>' in listing
    listed = as_alice.client.get("/api/saved-searches").json()["searches"][0]["matches"]
    assert listed == data["matches"]
    assert rss_ids(anon.client, data["feed_rss"]) == ["2603.12001"]
    assert atom_ids(anon.client, data["feed_atom"]) == ["2603.12001"]


def test_someone_elses_saved_search_is_403_and_a_missing_one_404(
    as_alice: Visitor, as_bob: Visitor
) -> None:
    saved = as_alice.api("POST", "/api/saved-searches", {"query": "graph"}).json()
    mine = f"/saved-searches/{saved['id']}"
    assert_json_error(as_bob.client.get(f"/api{mine}"), 403, "forbidden")
    assert_html_error(as_bob.client.get(mine), 403)
    assert_json_error(as_bob.api("DELETE", f"/api{mine}"), 403)
    assert_html_error(as_bob.form(f"{mine}/delete", {}), 403)
    assert as_bob.client.get("/api/saved-searches").json()["searches"] == []
    assert as_alice.client.get(f"/api{mine}").status_code == 200  # still there
    assert_json_error(as_alice.client.get("/api/saved-searches/999"), 404, "not_found")
    assert_html_error(as_alice.client.get("/saved-searches/999"), 404)
    assert_html_error(as_alice.form("/saved-searches/999/delete", {}), 404)


# private feeds ---------------------------------------------------------------------------------


def test_feed_tokens_are_checked(
    engine: Engine, as_alice: Visitor, as_bob: Visitor, anon: Visitor, alice: Account, bob: Account
) -> None:
    as_bob.api("PUT", "/api/votes/2603.10002")
    mine = as_alice.client.get("/api/for-you").json()["feed_rss"]
    assert rss_ids(anon.client, mine) == ["2603.10002"]
    token = mine.removeprefix("/feeds/for-you/").removesuffix(".rss")
    assert token == make_token(engine.secret_key(), "for-you-feed", alice.id)
    signature = token.rsplit(".", 1)[1]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    forged = [
        f"v1.{alice.id}.{flipped}",  # a changed signature
        f"v1.{bob.id}.{signature}",  # Alice's signature on Bob's id
        make_token(engine.secret_key(), "unsubscribe", alice.id),  # another purpose
        make_token(b"another secret", "for-you-feed", alice.id),
        "nonsense",
    ]
    for bad in forged:
        response = anon.client.get(f"/feeds/for-you/{bad}.rss")
        assert_html_error(response, 400)
        assert "feed link is invalid" in response.text
    assert anon.client.get(f"/feeds/for-you/{token}.json").status_code == 422
    # saved searches: the token names the search and its owner
    alices = as_alice.api("POST", "/api/saved-searches", {"query": "graph"}).json()
    bobs = as_bob.api("POST", "/api/saved-searches", {"query": "kernels"}).json()
    feed = alices["feed_rss"]
    assert rss_ids(anon.client, feed) == []
    moved = feed.replace(f"/{alices['id']}.", f"/{bobs['id']}.")  # Alice's token, Bob's search
    assert_html_error(anon.client.get(moved), 400)
    search_id = alices["id"]
    forged = [
        f"{search_id}.{make_token(engine.secret_key(), f'saved-search:{search_id}', bob.id)}"[:-1]
        + "x",
        f"{search_id}.{make_token(engine.secret_key(), 'for-you-feed', alice.id)}",
        f"0{search_id}.{make_token(engine.secret_key(), f'saved-search:{search_id}', alice.id)}",
        f"{'9' * 20}.{make_token(engine.secret_key(), 'for-you-feed', alice.id)}",
        token,
    ]
    for bad in forged:
        assert_html_error(anon.client.get(f"/feeds/saved-searches/{bad}.atom"), 400)
    # a deleted search's feed is gone, even when its id is used again by someone else
    as_alice.api("DELETE", f"/api/saved-searches/{search_id}")
    assert_html_error(anon.client.get(feed), 404)
    engine.interest_store.save_search(
        bob.id, name="reuse", query="reuse", mode="bm25", filters={}, checked_rev=0,
        now=engine.clock(),
    )  # fmt: skip
    assert_html_error(anon.client.get(feed), 404)


# digest settings and unsubscribing -------------------------------------------------------------


def test_digest_settings_page_and_api(as_alice: Visitor, engine: Engine, alice: Account) -> None:
    data = as_alice.client.get("/api/settings/digest").json()
    assert data == {
        "email": "alice@example.org",
        "frequency": "off",
        "sections": ["trending", "for_you", "saved_searches", "followed_authors"],
        "available_sections": [
            {"key": "trending", "title": "Trending"},
            {"key": "for_you", "title": "For you"},
            {"key": "saved_searches", "title": "Your saved searches"},
            {"key": "followed_authors", "title": "Authors you follow"},
            {"key": "collection_streams", "title": "Like your collections"},
            {"key": "discussion", "title": "Discussion"},
        ],
    }
    page = as_alice.client.get("/settings/digest").text
    assert 'value="off" checked' in page and page.count("checked>") == 1 + 4
    response = as_alice.form(
        "/settings/digest",
        {"frequency": "daily", "sections": ["saved_searches", "trending"]},
        page="/settings/digest",
    )
    assert response.status_code == 303 and response.headers["location"] == "/settings/digest"
    data = as_alice.client.get("/api/settings/digest").json()
    assert data["frequency"] == "daily" and data["sections"] == ["trending", "saved_searches"]
    subscription = engine.interest_store.subscription(alice.id)
    assert subscription is not None and subscription.frequency == "daily"
    page = as_alice.client.get("/settings/digest").text
    assert 'value="daily" checked' in page and 'value="for_you" >' in page
    put = as_alice.api(
        "PUT", "/api/settings/digest", {"frequency": "weekly", "sections": ["for_you"]}
    )
    assert put.status_code == 200
    assert put.json()["frequency"] == "weekly" and put.json()["sections"] == ["for_you"]
    everything = as_alice.api("PUT", "/api/settings/digest", {"frequency": "daily"}).json()
    optional = {"collection_streams", "discussion"}  # left out unless chosen
    assert everything["sections"] == [
        s["key"] for s in data["available_sections"] if s["key"] not in optional
    ]
    # refused
    assert_json_error(as_alice.api("PUT", "/api/settings/digest", {"frequency": "hourly"}), 422)
    assert_json_error(
        as_alice.api("PUT", "/api/settings/digest", {"frequency": "daily", "sections": ["x"]}),
        422,
    )
    error = assert_json_error(
        as_alice.api("PUT", "/api/settings/digest", {"frequency": "daily", "sections": []}), 400
    )
    assert "at least one section" in error["message"]
    off = as_alice.api("PUT", "/api/settings/digest", {"frequency": "off", "sections": []})
    assert off.json()["frequency"] == "off" and off.json()["sections"] == []
    bad = as_alice.form("/settings/digest", {"frequency": "hourly"})
    assert bad.status_code == 400 and "Frequency must be one of" in bad.text
    bad = as_alice.form("/settings/digest", {"frequency": "daily", "sections": "nope"})
    assert bad.status_code == 400 and "Unknown digest section" in bad.text


def test_unsubscribe_end_to_end(
    engine: Engine, as_alice: Visitor, alice: Account, clients: Callable[..., TestClient]
) -> None:
    as_alice.api("PUT", "/api/settings/digest", {"frequency": "daily", "sections": ["trending"]})
    token = engine.interests.unsubscribe_token(alice.id)
    assert token == make_token(engine.secret_key(), "unsubscribe", alice.id)
    mail_client = clients()  # no cookies, no login, no CSRF token: as a mail client
    page = mail_client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    assert "stop the daily digest emails?" in page.text
    assert f'action="/unsubscribe/{token}" method="post"' in page.text
    assert 'href="/settings/digest"' in page.text
    for _ in range(2):  # link scanners open it again and again: nothing changes
        mail_client.get(f"/unsubscribe/{token}")
    subscription = engine.interest_store.subscription(alice.id)
    assert subscription is not None and subscription.frequency == "daily"
    # RFC 8058 one-click, from a client that never saw the site
    mail_client = clients()
    done = mail_client.post(
        f"/unsubscribe/{token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200, done.text
    assert "You are unsubscribed" in done.text and 'href="/settings/digest"' in done.text
    subscription = engine.interest_store.subscription(alice.id)
    assert subscription is not None
    assert (subscription.frequency, subscription.sections) == ("off", ("trending",))
    assert as_alice.client.get("/api/settings/digest").json()["frequency"] == "off"
    assert "you are not subscribed" in mail_client.get(f"/unsubscribe/{token}").text
    assert mail_client.post(f"/unsubscribe/{token}").status_code == 200  # again: still fine
    # a user who never subscribed can unsubscribe too (nothing to send, nothing breaks)
    other = engine.accounts.sign_up("carol@example.org", "correct horse battery", "Carol")
    carol = engine.interests.unsubscribe_token(other.id)
    assert mail_client.post(f"/unsubscribe/{carol}").status_code == 200
    carols = engine.interest_store.subscription(other.id)
    assert carols is not None and carols.frequency == "off"
    # invalid, forged and other-purpose tokens
    signature = token.rsplit(".", 1)[1]
    for bad in (
        "nonsense",
        f"v1.{other.id}.{signature}",
        make_token(engine.secret_key(), "for-you-feed", alice.id),
    ):
        assert_html_error(mail_client.get(f"/unsubscribe/{bad}"), 400)
        assert_html_error(mail_client.post(f"/unsubscribe/{bad}"), 400)
    nobody = make_token(engine.secret_key(), "unsubscribe", 999)
    assert_html_error(mail_client.post(f"/unsubscribe/{nobody}"), 404)


# hostile input ---------------------------------------------------------------------------------

HOSTILE = [
    "", " ", "\x00", "%", "../../etc/passwd", "<script>alert(1)</script>", "x" * 600, "9" * 25,
    "-1", "\u202e", '"', "a/b", "v1.1.AAAA",
]  # fmt: skip


def test_hostile_values_from_a_logged_in_reader_are_client_errors(as_alice: Visitor) -> None:
    as_alice.api("POST", "/api/saved-searches", {"query": "graph"})
    for value in HOSTILE:
        quoted = quote(value, safe="")
        gets = [
            ("/for-you", {"limit": value}),
            ("/for-you", {"hidden": value}),
            ("/api/for-you", {"limit": value}),
            (f"/saved-searches/{quoted}", {}),
            (f"/api/saved-searches/{quoted}", {}),
            (f"/unsubscribe/{quoted}", {}),
            (f"/feeds/for-you/{quoted}.rss", {}),
            (f"/feeds/saved-searches/{quoted}.rss", {}),
        ]
        for path, params in gets:
            response = as_alice.client.get(path, params=params)
            assert response.status_code < 500, (path, params, response.text[:300])
        changes = [
            ("PUT", f"/api/dismissals/{quoted}", None),
            ("PUT", f"/api/follows/author/{quoted}", None),
            ("PUT", f"/api/follows/category/{quoted}", None),
            ("POST", "/api/saved-searches", {"query": value, "name": value}),
            ("POST", "/api/saved-searches", {"query": "x", "author": value, "category": value}),
            ("DELETE", f"/api/saved-searches/{quoted}", None),
        ]
        for method, path, body in changes:
            response = as_alice.api(method, path, body)
            assert response.status_code < 500, (method, path, body, response.text[:300])
        response = as_alice.client.post(f"/unsubscribe/{quoted}")
        assert response.status_code < 500, (value, response.text[:300])
    follows = as_alice.client.get("/api/for-you").json()["follows"]
    assert all("\x00" not in follow["value"] for follow in follows)
    assert {"kind": "author", "value": "<script>alert(1)</script>"} in [
        {"kind": f["kind"], "value": f["value"]} for f in follows
    ]
    page = as_alice.client.get("/for-you").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    saved = as_alice.client.get("/api/saved-searches").json()["searches"]
    assert all("\x00" not in search["query"] + search["name"] for search in saved)


# CSRF ------------------------------------------------------------------------------------------


def interest_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    tables = (schema.follows, schema.dismissals, schema.saved_searches, schema.subscriptions)
    with engine.db.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(sa.select(table))), key=repr)
            for table in tables
        }


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # {sid}: Alice's saved search
    body: dict[str, Any]
    ok: int
    form: bool


CALLS = [
    Call("POST", "/dismissals/2603.10002", {"dismissed": "1"}, 303, form=True),
    Call("POST", "/follows/author/Ada Lovelace", {"following": "1"}, 303, form=True),
    Call("POST", "/saved-searches", {"q": "kernels"}, 303, form=True),
    Call("POST", "/saved-searches/{sid}/delete", {}, 303, form=True),
    Call("POST", "/settings/digest", {"frequency": "daily", "sections": "trending"}, 303, True),
    Call("PUT", "/api/dismissals/2603.10002", {}, 200, form=False),
    Call("DELETE", "/api/dismissals/2603.10001", {}, 200, form=False),
    Call("PUT", "/api/follows/category/cs.LG", {}, 200, form=False),
    Call("DELETE", "/api/follows/author/Grace Hopper", {}, 200, form=False),
    Call("POST", "/api/saved-searches", {"query": "kernels"}, 201, form=False),
    Call("DELETE", "/api/saved-searches/{sid}", {}, 204, form=False),
    Call("PUT", "/api/settings/digest", {"frequency": "weekly"}, 200, form=False),
]


@pytest.fixture
def alice_interests(engine: Engine, alice: Account) -> int:
    """Alice's saved search (its id), a not-interested mark and a follow."""
    engine.interest_store.dismiss(alice.id, "2603.10001", now=engine.clock())
    engine.interest_store.follow(alice.id, "author", "Grace Hopper")
    saved = engine.interest_store.save_search(
        alice.id, name="graph", query="graph", mode="bm25", filters={}, checked_rev=0,
        now=engine.clock(),
    )  # fmt: skip
    return saved.id


def send(visitor: Visitor, call: Call, sid: int, token: str | None) -> Any:
    path = call.path.format(sid=sid)
    if call.form:
        data = call.body if token is None else {**call.body, "csrf_token": token}
        return visitor.client.post(path, data=data, follow_redirects=False)
    headers = {} if token is None else {"X-CSRF-Token": token}
    return visitor.client.request(
        call.method, path, json=call.body or None, headers=headers, follow_redirects=False
    )


@pytest.mark.parametrize("call", CALLS, ids=lambda call: f"{call.method} {call.path}")
def test_state_changes_need_the_csrf_token(
    call: Call,
    engine: Engine,
    new_visitor: Callable[..., Visitor],
    alice: Account,
    bob: Account,
    alice_interests: int,
) -> None:
    visitor = new_visitor(alice)
    stranger = new_visitor(bob).csrf()
    before = interest_rows(engine)
    for token in (None, "", "0" * 64, stranger):
        response = send(visitor, call, alice_interests, token)
        assert response.status_code == 403, (token, response.text)
        assert "security token" in response.text
        assert interest_rows(engine) == before
    token = visitor.form_token("/for-you") if call.form else visitor.csrf()
    response = send(visitor, call, alice_interests, token)
    assert response.status_code == call.ok, response.text
    assert interest_rows(engine) != before
