"""A site on the open internet: forgiving links, link previews, feed links from the public
URL, security headers, __Host- cookies over https, and no ``Host`` header in any link."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from lxml import etree

from tests.web.conftest import Account, Visitor

PUBLIC = "http://127.0.0.1:8000"  # PAPERSIFT_PUBLIC_URL in the tests


def meta(page: str, key: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', page)
    return found.group(1) if found else None


def canonical(page: str) -> str | None:
    found = re.search(r'<link rel="canonical" href="([^"]*)">', page)
    return found.group(1) if found else None


def test_shared_links_with_tracking_parameters_work(client: TestClient) -> None:
    response = client.get("/papers/2603.10003?utm_source=x&fbclid=y")
    assert response.status_code == 200, response.text[:300]
    assert canonical(response.text) == f"{PUBLIC}/papers/2603.10003"
    for path in ("/?utm_source=x", "/search?q=graphs&fbclid=y", "/authors/Ada%20Lovelace?gclid=z"):
        assert client.get(path).status_code == 200, path
    # the JSON API stays strict
    assert client.get("/api/papers/2603.10003?utm_source=x").status_code == 400


def test_pages_carry_link_previews_and_a_canonical_link(client: TestClient) -> None:
    paper = client.get("/papers/2603.10003").text
    assert meta(paper, "og:title") == "Random walks on random graphs"
    assert meta(paper, "og:type") == "article"
    assert meta(paper, "og:url") == f"{PUBLIC}/papers/2603.10003"
    assert meta(paper, "twitter:card") == "summary"
    assert (meta(paper, "og:description") or "").startswith("Mixing times")
    author = client.get("/authors/Ada%20Lovelace?page=1").text
    assert canonical(author) == f"{PUBLIC}/authors/Ada%20Lovelace"
    assert meta(author, "og:title") and meta(author, "twitter:title")
    category = client.get("/categories/math.PR").text
    assert canonical(category) == f"{PUBLIC}/categories/math.PR"
    search = client.get("/search?q=random+graphs&mode=bm25&utm_source=x").text
    assert canonical(search) == f"{PUBLIC}/search?q=random%20graphs"
    assert meta(search, "og:title") == "Search: random graphs"


def test_titles_are_plain_text_and_the_week_title_matches_its_heading(client: TestClient) -> None:
    week = client.get("/?date=2026-03-12&span=week").text
    title = re.search(r"<title>(.*?) · papersift</title>", week, re.DOTALL)
    heading = re.search(r"<h1>\s*(.*?)\s*</h1>", week, re.DOTALL)
    assert title and heading and title.group(1).strip() == " ".join(heading.group(1).split())
    assert title.group(1).startswith("Week of")


def test_feed_links_come_from_the_public_url_not_the_host_header(client: TestClient) -> None:
    response = client.get("/feeds/daily.rss", headers={"Host": "evil.example"})
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    links = root.xpath("//link/text()") + root.xpath("//guid/text()")
    assert links and all(link.startswith(PUBLIC) for link in links)
    assert b"evil.example" not in response.content


def test_security_headers(client: TestClient, as_alice: Visitor) -> None:
    page = client.get("/")
    assert "camera=()" in page.headers["permissions-policy"]
    assert "strict-transport-security" not in page.headers  # not over http
    assert "no-store" not in page.headers.get("cache-control", "")  # anonymous pages cache
    assert client.get("/api/feed").headers["cache-control"] == "no-store"
    personal = as_alice.client.get("/collections")
    assert personal.headers["cache-control"] == "no-store"
    assert as_alice.client.get("/").headers["cache-control"] == "no-store"


def test_https_gets_hsts_and_host_prefixed_cookies(
    new_visitor: Callable[..., Visitor], alice: Account
) -> None:
    visitor = new_visitor(base_url="https://testserver")
    first = visitor.client.get("/")
    assert first.headers["strict-transport-security"].startswith("max-age=31536000")
    cookies = first.headers.get_list("set-cookie")
    assert cookies and all(c.startswith("__Host-papersift_") for c in cookies)
    assert all("Secure" in c and "Path=/" in c and "Domain" not in c for c in cookies)
    response = visitor.api(
        "POST", "/api/auth/login", {"email": alice.email, "password": alice.password}
    )
    assert response.status_code == 200, response.text  # the prefixed CSRF cookie is read
    session = [c for c in response.headers.get_list("set-cookie") if "session" in c]
    assert session and session[0].startswith("__Host-papersift_session=")
    assert visitor.client.get("/api/me").status_code == 200  # the prefixed session is read
    # an unprefixed cookie over https (planted by a subdomain or over http) is ignored
    token = visitor.client.cookies.get("__Host-papersift_session")
    planted = new_visitor(base_url="https://testserver")
    planted.client.cookies.set("papersift_session", token or "")
    assert planted.client.get("/api/me").status_code == 401
    logout = visitor.api("POST", "/api/auth/logout")
    gone = [c for c in logout.headers.get_list("set-cookie") if "session" in c]
    assert gone and gone[0].startswith("__Host-papersift_session=") and "Secure" in gone[0]


def test_feeds_are_cached_and_answer_304_to_a_reader_that_has_them(client: TestClient) -> None:
    first = client.get("/feeds/daily.rss?utm_source=x")
    etag = first.headers["etag"]
    again = client.get("/feeds/daily.rss")  # the same feed: unknown parameters do not count
    assert again.headers["etag"] == etag and again.content == first.content
    assert again.headers["content-type"].startswith("application/rss+xml")
    unchanged = client.get("/feeds/daily.rss", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    atom = client.get("/feeds/daily.atom")
    assert atom.headers["etag"] != etag and atom.headers["content-type"].startswith(
        "application/atom+xml"
    )
