"""An account's life in a real browser, with its mail through a real local SMTP server: sign up,
verify the address by the emailed link, log out, forgot password, reset it by the emailed link,
log in, change the password, delete the account."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Contexts, Site

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

FIRST = "a quiet walk along the canal"
SECOND = "lanterns over the harbour at dusk"
THIRD = "seven owls debating the weather"


def emailed_link(site: Site, to: str, kind: str, seen: int = 0) -> tuple[str, int]:
    """The newest ``kind`` link (verify, reset-password) mailed to ``to``, once more than
    ``seen`` such messages arrived; and how many have."""
    assert site.smtp is not None
    pattern = re.compile(rf"(\S+)/{kind}/([A-Za-z0-9_-]+)")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = []
        for received in list(site.smtp.received):
            if to in received.rcpt_tos:
                body = received.message.get_body(("plain",))
                match = pattern.search(body.get_content() if body is not None else "")
                if match:
                    found.append(match)
        if len(found) > seen:
            base, token = found[-1].groups()
            assert base == site.base_url, f"the link is not on PAPERSIFT_PUBLIC_URL: {base}"
            return f"{base}/{kind}/{token}", len(found)
        time.sleep(0.1)
    raise AssertionError(f"no new {kind} link reached {to}")


def log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("form.stack").get_by_role("button", name="Log in").click()


def test_sign_up_verify_reset_change_and_delete(contexts: Contexts, site: Site) -> None:
    # the refusals this journey provokes on purpose (a used link, a wrong password, a weak one)
    contexts.watch.allowed_console += ["status of 400", "status of 401"]
    page = contexts.new().new_page()
    email = f"grace-{uuid.uuid4().hex[:8]}@example.org"

    # sign up: logged in at once, the address not confirmed yet
    page.goto("/signup")
    page.get_by_label("Name").fill("Grace Reader")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(FIRST)
    page.locator("form.stack").get_by_role("button", name="Sign up").click()
    expect(page.locator(".account .who")).to_have_text("Grace Reader")
    page.locator(".account .who").click()
    expect(page.locator("h1")).to_have_text("Your account")
    expect(page.locator(".unverified")).to_have_text("(not confirmed yet)")

    # verify by the emailed link
    verify, _ = emailed_link(site, email, "verify")
    page.goto(verify)
    page.get_by_role("button", name=re.compile("^Confirm")).click()
    expect(page.locator("h1")).to_have_text("Address confirmed")
    page.locator(".account .who").click()
    expect(page.locator(".unverified")).to_have_count(0)
    user = site.engine.users.by_email(email)
    assert user is not None and user.verified

    # log out, then forgot password
    page.locator(".account").get_by_role("button", name="Log out").click()
    expect(page.locator(".account .who")).to_have_count(0)
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator(".notice")).to_contain_text("on its way")

    # reset by the emailed link; the link works once
    reset, _ = emailed_link(site, email, "reset-password")
    page.goto(reset)
    page.get_by_label("New password").fill(SECOND)
    page.get_by_role("button", name="Set the password").click()
    expect(page.locator("h1")).to_have_text("Password changed")
    assert page.goto(reset).status == 400

    # log in with the new password
    log_in(page, email, FIRST)
    expect(page.locator(".alert")).to_contain_text("ncorrect")
    log_in(page, email, SECOND)
    expect(page.locator(".account .who")).to_have_text("Grace Reader")

    # change the password: a common one is refused with the reason, then a good one
    page.locator(".account .who").click()
    form = page.locator("form[action='/account/password']")
    form.get_by_label("Current password").fill(SECOND)
    form.get_by_label("New password").fill("password")
    form.get_by_role("button", name="Change password").click()
    expect(page.locator(".alert")).to_contain_text("common and breached")
    form = page.locator("form[action='/account/password']")
    form.get_by_label("Current password").fill(SECOND)
    form.get_by_label("New password").fill(THIRD)
    form.get_by_role("button", name="Change password").click()
    expect(page.locator(".notice")).to_contain_text("Your password is changed")

    # delete the account
    delete = page.locator("form[action='/account/delete']")
    delete.get_by_label("Password").fill(THIRD)
    delete.get_by_role("button", name="Delete my account").click()
    expect(page.locator("h1")).to_have_text("Account deleted")
    expect(page.locator(".account .who")).to_have_count(0)
    assert site.engine.users.by_email(email) is None
    log_in(page, email, THIRD)
    expect(page.locator(".alert")).to_contain_text("ncorrect")
