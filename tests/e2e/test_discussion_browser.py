"""Discussion and code links in a real browser: commenting, replying and editing through the
page's forms, hostile comments staying inert, the Code button, and the "Has code" filter;
screenshots of the paper page with its discussion at desktop and phone widths."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, Contexts, Site
from tests.e2e.test_browser import api_sign_up

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

REPOSITORY = "https://github.com/example-lab/rag-summaries"
HOSTILE = (
    "Nice **work**. <script>window.__owned = 1</script> <img src=x onerror=window.__owned=2> "
    "[click me](javascript:window.__owned=3)"
)


def test_commenting_and_the_has_code_filter(contexts: Contexts, site: Site) -> None:
    contexts.watch.allowed_console.append("status of 400")  # the refused comment's page
    context = contexts.new(DESKTOP)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    api_sign_up(context, "Karen Reader")
    paper = site.paper("Retrieval-Augmented Summarisation")

    # the Code button and the linked address in the abstract
    page.goto(f"/papers/{paper.id}")
    expect(page.locator(".actions").get_by_role("link", name="Code")).to_have_attribute(
        "href", REPOSITORY
    )
    expect(page.locator(".abstract-full a.abstract-link")).to_have_attribute("href", REPOSITORY)

    # comment (hostile Markdown), reply, edit
    discussion = page.locator("#discussion")
    discussion.get_by_label("Add a comment").fill(HOSTILE)
    discussion.get_by_role("button", name="Comment").click()
    comment = page.locator("article.comment").first
    expect(comment.locator(".comment-body strong")).to_have_text("work")
    expect(comment.locator(".comment-body")).to_contain_text("<script>")  # shown as text
    expect(comment.locator(".comment-body img")).to_have_count(0)
    expect(comment.locator('.comment-body a[href^="javascript"]')).to_have_count(0)
    assert page.evaluate("window.__owned === undefined"), "a comment ran script"

    comment.locator("summary", has_text="Reply").click()
    comment.get_by_label(re.compile("Reply to Karen Reader")).fill("Answering myself.")
    comment.get_by_role("button", name="Reply").click()
    expect(page.locator("article.comment .replies article.comment")).to_contain_text(
        "Answering myself."
    )
    first = page.locator("article.comment").first
    first.locator("summary", has_text="Edit").first.click()
    first.get_by_label("Edit your comment").first.fill("Nice work, edited.")
    first.get_by_role("button", name="Save").first.click()
    expect(page.locator("article.comment").first.locator(".comment-body").first).to_have_text(
        "Nice work, edited."
    )
    expect(page.locator("#discussion h2")).to_contain_text("(2)")

    # a 100 KB comment is refused with a clear message, nothing stored
    page.evaluate(
        "document.querySelector('#new-comment').removeAttribute('maxlength');"
        "document.querySelector('#new-comment').value = 'x'.repeat(100000);"
    )
    with page.expect_navigation():
        page.locator("#discussion").get_by_role("button", name="Comment").click()
    expect(page.locator("body")).to_contain_text(
        re.compile("a comment is at most 10,000 characters", re.IGNORECASE)
    )
    page.goto(f"/papers/{paper.id}")
    expect(page.locator("#discussion h2")).to_contain_text("(2)")

    # cards count the comments; the search's Has code box keeps only papers with code
    page.goto("/search?q=summaries+scientific+articles+models&mode=keyword")
    results = page.locator("article.card")
    expect(results.first).to_be_visible()
    everything = results.count()
    page.get_by_label("Has code").check()
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"has_code=true"))
    expect(page.locator("article.card")).to_have_count(1)
    only = page.locator("article.card")
    expect(only.locator("a.code-link")).to_have_attribute("href", REPOSITORY)
    expect(only.locator("a.comment-count")).to_contain_text("2")
    assert everything >= 1
    assert dialogs == [], f"a page opened dialogs: {dialogs}"


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_paper_page_with_discussion_screenshot(
    contexts: Contexts, site: Site, screenshots: Path, device: str
) -> None:
    context = contexts.new(DESKTOP if device == "desktop" else PHONE)
    page = context.new_page()
    api_sign_up(context, "Screenshot Reader")
    paper = site.paper("Retrieval-Augmented Summarisation")
    token = context.request.get("/api/auth/csrf").json()["csrf_token"]

    def post(body: str, parent: Any = None) -> int:
        response = context.request.post(
            "/api/comments",
            data={"paper_id": paper.id, "body": body, "parent_id": parent},
            headers={"X-CSRF-Token": token},
        )
        assert response.status == 201, response.text()
        return int(response.json()["id"])

    first = post("Does the corpus include **non-English** articles? See `table 2`.")
    reply = post("Only English, per the data card.", first)
    post("Thanks! A follow-up: " + "long words " * 40, reply)
    page.goto(f"/papers/{paper.id}#discussion")
    wide = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    page.screenshot(path=str(screenshots / f"paper-discussion-{device}.png"), full_page=True)
    assert wide <= 0, f"the paper page is {wide}px wider than the {device} viewport"
