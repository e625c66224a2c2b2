"""The website in a real browser: one user's journey, focused checks, and screenshots of every
main page at desktop and phone widths (written to test-output/screenshots/).

Tests are independent (pytest-xdist may spread them over workers): each signs up its own user
and votes only on papers no other test votes on.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from papersift.text import plain_text
from tests.e2e.conftest import DESKTOP, PHONE, Contexts, Site

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

PASSWORD = "correct horse battery staple"


def new_email(name: str) -> str:
    return f"{name.split()[0].lower()}-{uuid.uuid4().hex[:8]}@example.org"


def api_sign_up(context: Any, name: str) -> str:
    """Sign up (and log in) through the JSON API, sharing the context's cookies."""
    token = context.request.get("/api/auth/csrf").json()["csrf_token"]
    email = new_email(name)
    response = context.request.post(
        "/api/auth/signup",
        data={"email": email, "password": PASSWORD, "display_name": name},
        headers={"X-CSRF-Token": token},
    )
    assert response.status == 201, response.text()
    return email


def api_call(context: Any, method: str, path: str, body: Any = None) -> Any:
    token = context.request.get("/api/auth/csrf").json()["csrf_token"]
    response = context.request.fetch(
        path, method=method, data=body, headers={"X-CSRF-Token": token}
    )
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json() if response.status != 204 else None


def card(page: Any, title: str) -> Any:
    return page.locator("article.card").filter(has=page.get_by_role("link", name=title))


def count_of(locator: Any) -> int:
    return int(locator.locator(".count").first.inner_text())


# the journey -------------------------------------------------------------------------------------


def test_user_journey(contexts: Contexts, site: Site) -> None:
    context = contexts.new(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    target = site.paper("Kaleidoscopic Attention")
    email = new_email("ada")

    # sign up, log out, log in
    page.goto("/signup")
    page.get_by_label("Name").fill("Ada Reader")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form.stack").get_by_role("button", name="Sign up").click()
    expect(page.locator(".account .who")).to_have_text("Ada Reader")
    assert page.url.rstrip("/") == site.base_url

    page.get_by_role("button", name="Log out").click()
    expect(page.locator(".account .who")).to_have_count(0)
    page.locator(".account").get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form.stack").get_by_role("button", name="Log in").click()
    expect(page.locator(".account .who")).to_have_text("Ada Reader")

    # search by a title word: one result, the word highlighted
    search = page.get_by_role("searchbox", name="Search papers")
    search.fill("kaleidoscopic")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=kaleidoscopic"))
    expect(page.locator("p.count")).to_contain_text("1 result")
    expect(page.locator("article.card")).to_have_count(1)
    expect(page.locator("article.card .title mark")).to_have_text(re.compile("kaleidoscopic", re.I))

    # the paper page, its maths rendered by KaTeX
    page.locator("article.card .title a").click()
    expect(page).to_have_url(f"{site.base_url}/papers/{target.id}")
    expect(page.locator("h1")).to_have_text(target.title)
    expect(page.locator(".abstract-full .katex").first).to_be_visible()

    # upvote through the API, without a reload; it persists
    head_vote = page.locator(".paper-head form.vote")
    before = count_of(head_vote)
    page.evaluate("window.__sameDocument = true")
    head_vote.get_by_role("button").click()
    expect(head_vote.locator(".count")).to_have_text(str(before + 1))
    expect(head_vote).to_have_class(re.compile(r"\bvoted\b"))
    assert page.evaluate("window.__sameDocument === true"), "the upvote reloaded the page"
    page.reload()
    expect(head_vote.locator(".count")).to_have_text(str(before + 1))
    expect(head_vote.get_by_role("button")).to_have_attribute("aria-pressed", "true")

    # copy the BibTeX
    copy = page.locator("button[data-copy]")
    copy.click()
    expect(copy).to_have_text(re.compile("Copied"))
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.lstrip().startswith("@misc{"), copied
    assert target.id in copied
    expect(copy).to_have_text("Copy BibTeX")

    # save to a new collection with tags, then open it
    save = page.locator("form.save-form")
    save.get_by_label("New collection name").fill("Reading group")
    save.get_by_label("Tags").fill("attention, long context")
    save.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{site.base_url}/papers/{target.id}")
    page.locator(".save").get_by_role("link", name="Reading group").click()
    expect(page.locator("h1")).to_have_text("Reading group")
    expect(page.locator(".page-head .muted").first).to_contain_text("1 paper")
    saved = card(page, target.title)
    expect(saved).to_have_count(1)
    expect(saved.locator(".tag")).to_have_count(2)
    expect(saved).to_contain_text("#attention")

    # export the collection as BibTeX
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export BibTeX").click()
    download = download_info.value
    assert download.suggested_filename == "Reading group.bib"
    exported = Path(download.path()).read_text(encoding="utf-8")
    assert "@misc{" in exported
    assert re.search(r"eprint\s*=\s*\{?" + re.escape(target.id), exported), exported

    # the daily feed shows the upvote
    page.get_by_role("link", name="Daily").click()
    on_feed = card(page, target.title)
    expect(on_feed.locator(".count")).to_have_text(str(before + 1))
    expect(on_feed.locator("form.vote")).to_have_class(re.compile(r"\bvoted\b"))


# focused checks ----------------------------------------------------------------------------------


def test_feed_day_navigation_week_view_and_category_filter(page: Any, site: Site) -> None:
    newest, previous = site.days[0], site.days[1]
    page.goto("/")
    heading = page.locator(".day-nav h1")
    expect(heading).to_have_text(newest.strftime("%A, %d %B %Y"))
    expect(page.locator("article.card")).to_have_count(len(site.on(newest)))
    expect(page.locator(".day-nav .disabled")).to_have_text("→")  # nothing after today's papers

    page.locator(".day-nav a[rel=prev]").click()
    expect(heading).to_have_text(previous.strftime("%A, %d %B %Y"))
    expect(page).to_have_url(re.compile(rf"date={previous.isoformat()}"))
    expect(page.locator("article.card")).to_have_count(len(site.on(previous)))
    expect(card(page, site.on(previous)[-1].title)).to_have_count(1)
    page.locator(".day-nav a[rel=next]").click()
    expect(heading).to_have_text(newest.strftime("%A, %d %B %Y"))

    page.get_by_role("group", name="Period").get_by_role("link", name="Week").click()
    expect(heading).to_contain_text("Week of")
    monday = newest.toordinal() - newest.weekday()
    in_week = [p for p in site.papers if monday <= p.listed.toordinal() <= monday + 6]
    expect(page.locator("p.count")).to_contain_text(f"{len(in_week)} paper")

    page.get_by_role("group", name="Period").get_by_role("link", name="Day").click()
    page.get_by_label("Category").fill("stat.ML")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"category=stat\.ML"))
    expect(page.locator("p.count")).to_contain_text("in stat.ML")
    cards = page.locator("article.card")
    assert cards.count() > 0
    for index in range(cards.count()):
        expect(cards.nth(index).locator(".chip", has_text="stat.ML")).to_have_count(1)
    page.get_by_role("link", name="all categories").click()
    expect(page.locator("p.count")).not_to_contain_text("stat.ML")


def test_daily_rss_feed_lists_the_newest_papers(page: Any, site: Site) -> None:
    page.goto("/")
    response = page.request.get("/feeds/daily.rss")
    assert response.ok
    assert "xml" in response.headers["content-type"]
    channel = ET.fromstring(response.body()).find("channel")
    assert channel is not None
    items = channel.findall("item")
    newest = site.on(site.days[0])
    links = {item.findtext("link") for item in items}
    assert links == {f"{site.base_url}/papers/{p.id}" for p in newest}
    titles = {item.findtext("title") for item in items}
    # (titles with maths are left out: see test_rss_titles_are_readable_plain_text)
    assert titles >= {p.title for p in newest if "$" not in p.title}
    # the page advertises it
    expect(page.locator('link[rel=alternate][type="application/rss+xml"]')).to_have_count(1)


def rss_channel(page: Any, path: str) -> ET.Element:
    response = page.request.get(path)
    assert response.ok
    channel = ET.fromstring(response.body()).find("channel")
    assert channel is not None
    return channel


def test_rss_titles_are_readable_plain_text(page: Any, site: Site) -> None:
    channel = rss_channel(page, "/feeds/daily.rss")
    titles = {item.findtext("title") for item in channel.findall("item")}
    assert titles == {plain_text(p.title) for p in site.on(site.days[0])}
    assert any("√" in title for title in titles)  # the maths is readable, not LaTeX


def test_rss_channel_links_to_the_page(page: Any, site: Site) -> None:
    channel = rss_channel(page, "/feeds/daily.rss")
    assert channel.findtext("link") == f"{site.base_url}/feed"


def test_maths_renders_with_katex(page: Any, site: Site) -> None:
    with_maths = site.paper("Sharp $")
    page.goto("/")
    title = card(page, re.compile("Generalisation Bounds")).locator(".title")
    expect(title.locator(".katex").first).to_be_attached()
    assert "$" not in title.inner_text()
    page.goto(f"/papers/{with_maths.id}")
    expect(page.locator("h1 .katex").first).to_be_visible()
    expect(page.locator(".abstract-full .katex").first).to_be_visible()
    assert "$" not in page.locator(".abstract-full").inner_text()


def test_search_highlights_leave_maths_intact(page: Any, site: Site) -> None:
    page.goto("/search?q=log")
    found = card(page, site.paper("Kaleidoscopic Attention").title)
    expect(found.locator(".abstract .katex").first).to_be_attached()
    assert "$" not in found.locator(".abstract").inner_text()


def test_upvote_when_logged_out_leads_to_login(contexts: Contexts, site: Site) -> None:
    contexts.watch.allowed_console.append("status of 401")
    page = contexts.new().new_page()
    paper = site.paper("Morphological Inflection")
    page.goto(f"/papers/{paper.id}")
    page.locator(".paper-head .vote-button").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("h1")).to_have_text("Log in")


def test_not_found_pages(contexts: Contexts) -> None:
    contexts.watch.allowed_console.append("status of 404")
    page = contexts.new().new_page()
    response = page.goto("/papers/2401.99999")
    assert response is not None and response.status == 404
    expect(page.locator(".error-page .status")).to_have_text("404")
    response = page.goto("/no/such/page")
    assert response is not None and response.status == 404
    expect(page.locator(".error-page h1")).to_have_text("Not found")


def test_search_without_results_explains(page: Any) -> None:
    page.goto("/search?q=xylophonist")
    expect(page.locator(".empty h2")).to_contain_text("No papers match")
    expect(page.locator("article.card")).to_have_count(0)


def test_the_has_code_checkbox_sits_beside_its_label(page: Any) -> None:
    """Once the filters' width rule stretched the checkbox over 10rem, leaving the box far from
    the words "Has code"."""
    page.goto("/search?q=language+models")
    box = page.locator("input[name=has_code]").bounding_box()
    label = page.locator("label.check", has_text="Has code").bounding_box()
    assert box["width"] < 30
    assert box["x"] - label["x"] < 10  # the box starts its label


def test_requests_leaving_the_server_are_caught(contexts: Contexts) -> None:
    """The offline guard is not vacuous: a request to another host is blocked and recorded."""
    page = contexts.new().new_page()
    with pytest.raises(sync_api.Error):
        page.goto("http://example.org/beacon")
    assert contexts.watch.foreign_requests == ["http://example.org/beacon"]
    contexts.watch.foreign_requests.clear()


# screenshots -------------------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_screenshots(contexts: Contexts, site: Site, screenshots: Path, device: str) -> None:
    contexts.watch.allowed_console.append("status of 404")
    context = contexts.new(DESKTOP if device == "desktop" else PHONE)
    page = context.new_page()
    paper = site.paper("Kaleidoscopic Attention")
    overflowing: list[str] = []
    broken_maths: list[str] = []

    def shoot(name: str, path: str, status: int = 200) -> None:
        response = page.goto(path)
        assert response is not None and response.status == status, (path, response)
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready")
        wide = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if wide > 0:
            overflowing.append(f"{name} ({wide}px too wide)")
        if page.locator(".katex-error").count():
            broken_maths.append(name)
        page.screenshot(path=str(screenshots / f"{name}-{device}.png"), full_page=True)

    shoot("login", "/login")
    shoot("signup", "/signup")
    api_sign_up(context, "Grace Reader")
    for title in ("Vision Transformers", "Learning Rate Warmup", "Question Answering"):
        api_call(context, "PUT", f"/api/votes/{site.paper(title).id}")
    collection = api_call(context, "POST", "/api/collections", {"name": "Optimisation reading"})
    for title, tags in [
        ("Learning Rate Warmup", ["optimisation", "theory"]),
        ("Stochastic Variance-Reduced", ["optimisation"]),
        ("Sharp $", []),
    ]:
        path = f"/api/collections/{collection['id']}/papers/{site.paper(title).id}"
        api_call(context, "PUT", path, {"tags": tags})

    shoot("feed", "/")
    shoot("trending", "/trending")
    shoot("search", "/search?q=language+models")
    shoot("search-empty", "/search?q=xylophonist")
    shoot("paper", f"/papers/{paper.id}")
    shoot("collection", f"/collections/{collection['id']}")
    shoot("collections", "/collections")
    shoot("submit", "/submit")
    shoot("author", "/authors/Ada%20Lovelace")
    shoot("error-404", "/no/such/page", status=404)
    assert not overflowing, f"pages wider than the {device} viewport: {overflowing}"
    assert not broken_maths, f"KaTeX could not render maths on: {broken_maths}"
