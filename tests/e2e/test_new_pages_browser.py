"""Screenshots of the pages added for discussion, sharing and the reading workflow, at desktop
and phone widths: none may be wider than the screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, Contexts, Site
from tests.e2e.test_browser import api_call, api_sign_up

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_new_pages_fit_the_screen(
    contexts: Contexts, site: Site, screenshots: Path, device: str
) -> None:
    context = contexts.new(DESKTOP if device == "desktop" else PHONE)
    page = context.new_page()
    email = api_sign_up(context, "Layout Reader")
    site.engine.discussion.set_admin(email, True)
    paper = site.paper("Kaleidoscopic Attention")
    collection = api_call(
        context, "POST", "/api/collections", {"name": "Attention", "public": True}
    )
    for title in ("Kaleidoscopic Attention", "Vision Transformers"):
        api_call(
            context, "PUT", f"/api/collections/{collection['id']}/papers/{site.paper(title).id}", {}
        )
    comment = api_call(
        context, "POST", "/api/comments", {"paper_id": paper.id, "body": "Why O(n log n)?"}
    )
    api_call(
        context, "POST", f"/api/comments/{comment['id']}/report", {"reason": "testing the queue"}
    )
    api_call(
        context, "PUT", f"/api/notes/{paper.id}", {"body": "Compare with **linear attention**."}
    )
    me = api_call(context, "GET", "/api/me")
    wide: list[str] = []
    for name, path in [
        ("public-collections", "/public-collections"),
        ("profile", f"/users/{me['id']}"),
        ("moderation", "/moderation"),
        ("stream", f"/collections/{collection['id']}/stream"),
        ("library-search", "/library/search?q=attention"),
        ("paper-note", f"/papers/{paper.id}"),
    ]:
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        page.wait_for_load_state("load")
        extra = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if extra > 0:
            wide.append(f"{name} ({extra}px)")
        page.screenshot(path=str(screenshots / f"{name}-{device}.png"), full_page=True)
    assert not wide, f"pages wider than the {device} screen: {wide}"
