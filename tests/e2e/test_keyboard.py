"""Keyboard triage in a real browser: j, j, s, o on the feed saves the second paper to the
reading list and opens it; ? lists the keys; with seen papers hidden the feed no longer lists it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, Contexts, Site
from tests.e2e.test_browser import api_call, api_sign_up

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect


def test_keyboard_triage_on_the_feed(contexts: Contexts, site: Site) -> None:
    context = contexts.new(DESKTOP)
    page: Any = context.new_page()
    api_sign_up(context, "Keys Reader")
    page.goto("/?sort=date")
    cards = page.locator("article.card")
    expect(cards.first).to_be_visible()
    second_title = cards.nth(1).locator(".title a").inner_text()
    second_url = cards.nth(1).locator(".title a").get_attribute("href")

    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("save to your reading list")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("j")
    expect(cards.first).to_be_focused()
    page.keyboard.press("j")
    expect(cards.nth(1)).to_be_focused()
    page.keyboard.press("s")
    expect(cards.nth(1).get_by_role("status")).to_have_text(
        re.compile("Saved to your reading list")
    )
    expect(cards.nth(1)).to_be_focused()
    page.keyboard.press("o")
    expect(page).to_have_url(f"{site.base_url}{second_url}")
    expect(page.locator("h1")).to_have_text(second_title)

    reading_list = next(
        c for c in api_call(context, "GET", "/api/collections")["collections"]
        if c["name"] == "Reading list"
    )  # fmt: skip
    saved = api_call(context, "GET", f"/api/collections/{reading_list['id']}")
    assert [item["paper"]["title"] for item in saved["items"]] == [second_title]

    # opened, so read: with seen papers hidden the feed leaves it out
    page.goto("/?sort=date")
    page.get_by_role("button", name="Hide seen papers").click()
    expect(page.get_by_role("button", name="Show seen papers")).to_be_visible()
    expect(page.locator("article.card .title a", has_text=second_title)).to_have_count(0)
    expect(page.locator(".seen-controls")).to_contain_text("1 seen paper hidden")


def test_keys_leave_typing_alone(contexts: Contexts) -> None:
    context = contexts.new(DESKTOP)
    page: Any = context.new_page()
    page.goto("/search")
    box = page.get_by_role("searchbox").first
    box.click()
    box.type("jjk?")
    expect(box).to_have_value("jjk?")
    expect(page.get_by_role("dialog")).to_have_count(0)
