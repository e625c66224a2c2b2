"""Discussion: comments and replies through forms and the API, editing, deleting, reports,
moderators hiding comments and submissions, the thread's RSS feed, and hostile comments."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree

from papersift.cli import main
from papersift.engine import Engine
from papersift.features.discussion import COMMENTS_PER_WINDOW
from tests.web.conftest import Account, Clock, Visitor, assert_json_error

PAPER = "2603.10001"
HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) "
    '<a href="javascript:alert(4)">x</a> **bold** [fine](https://example.org/ok)'
)


def expect_error(response: Any, status: int, words: str) -> None:
    """The API's error shape with this status, its message saying ``words``."""
    error = assert_json_error(response, status)
    assert words in error["message"], error


def comment(visitor: Visitor, body: str, parent_id: int | None = None) -> dict[str, Any]:
    response = visitor.api(
        "POST", "/api/comments", {"paper_id": PAPER, "body": body, "parent_id": parent_id}
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def thread(visitor: Visitor) -> list[dict[str, Any]]:
    response = visitor.client.get("/api/comments", params={"paper": PAPER})
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


@pytest.fixture
def moderator(make_account: Any, engine: Engine) -> Account:
    account: Account = make_account("Mod Erator", "mod@example.org")
    engine.discussion.set_admin(account.email, True)
    return account


def test_comment_and_reply_with_the_api(as_alice: Visitor, as_bob: Visitor, anon: Visitor) -> None:
    first = comment(as_alice, "Nice *result*.")
    reply = comment(as_bob, "Agreed.", first["id"])
    tree = thread(anon)
    assert [c["id"] for c in tree] == [first["id"]]
    assert (
        tree[0]["author"] == "Alice Example" and tree[0]["html"] == "<p>Nice <em>result</em>.</p>\n"
    )
    assert [r["id"] for r in tree[0]["replies"]] == [reply["id"]]
    assert anon.client.get(f"/api/papers/{PAPER}").json()["comment_count"] == 2
    assert anon.api("POST", "/api/comments", {"paper_id": PAPER, "body": "x"}).status_code == 401


def test_comment_reply_edit_and_delete_with_forms(as_alice: Visitor, as_bob: Visitor) -> None:
    page = f"/papers/{PAPER}"
    posted = as_alice.form("/comments", {"paper_id": PAPER, "body": "First!"}, page=page)
    assert posted.status_code == 303 and "#comment-" in posted.headers["location"]
    comment_id = int(posted.headers["location"].rsplit("-", 1)[1])
    replied = as_bob.form(
        "/comments", {"paper_id": PAPER, "body": "Reply", "parent_id": str(comment_id)}, page=page
    )
    assert replied.status_code == 303
    edited = as_alice.form(f"/comments/{comment_id}/edit", {"body": "First, edited"}, page=page)
    assert edited.status_code == 303
    html = as_alice.client.get(page).text
    assert "First, edited" in html and "(edited)" in html and 'id="discussion"' in html
    deleted = as_alice.form(f"/comments/{comment_id}/delete", {}, page=page)
    assert deleted.status_code == 303
    html = as_bob.client.get(page).text
    assert "Deleted by its author." in html and "First, edited" not in html and "Reply" in html


def test_only_the_author_edits_or_deletes(as_alice: Visitor, as_bob: Visitor) -> None:
    mine = comment(as_alice, "Mine")
    edit = as_bob.api("PATCH", f"/api/comments/{mine['id']}", {"body": "Yours now"})
    expect_error(edit, 403, "only its author")
    assert as_bob.api("DELETE", f"/api/comments/{mine['id']}").status_code == 403
    assert (
        as_alice.api("PATCH", f"/api/comments/{mine['id']}", {"body": "Still"}).json()["body"]
        == "Still"
    )
    assert as_alice.api("DELETE", f"/api/comments/{mine['id']}").status_code == 204
    assert thread(as_bob) == []  # a deleted comment without replies leaves no trace


def test_length_empty_and_rate_limits(as_alice: Visitor, clock: Clock) -> None:
    too_long = as_alice.api("POST", "/api/comments", {"paper_id": PAPER, "body": "x" * 10_001})
    expect_error(too_long, 400, "at most 10,000 characters")
    huge = as_alice.api("POST", "/api/comments", {"paper_id": PAPER, "body": "x" * 100_000})
    assert huge.status_code in (400, 422)
    expect_error(
        as_alice.api("POST", "/api/comments", {"paper_id": PAPER, "body": "  \n "}), 400, "text"
    )
    for n in range(COMMENTS_PER_WINDOW):
        comment(as_alice, f"comment {n}")
    limited = as_alice.api("POST", "/api/comments", {"paper_id": PAPER, "body": "one more"})
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    clock.advance(minutes=11)
    comment(as_alice, "later")


def test_hostile_comments_are_rendered_inert(as_alice: Visitor, anon: Visitor) -> None:
    stored = comment(as_alice, HOSTILE)
    assert stored["body"] == HOSTILE  # kept as written, for its author to edit
    for html in (stored["html"], anon.client.get(f"/papers/{PAPER}").text):
        assert "<script>alert(1)" not in html and "<img" not in html
        assert '<a href="javascript:' not in html  # as text (escaped) it is inert
        assert "<strong>bold</strong>" in html
    assert 'href="https://example.org/ok" rel="nofollow ugc noopener"' in stored["html"]
    feed = anon.client.get("/feeds/comments.rss", params={"paper": PAPER}).content
    (description,) = etree.fromstring(feed).findall(".//item/description")
    html = description.text or ""  # what a feed reader renders as HTML
    assert "&lt;script&gt;alert(1)" in html and "<script" not in html and "<img" not in html
    assert '<a href="javascript:' not in html and "<strong>bold</strong>" in html


def test_reports_reach_the_moderators_who_hide_comments(
    as_alice: Visitor, as_bob: Visitor, anon: Visitor, moderator: Account, new_visitor: Any
) -> None:
    rude = comment(as_bob, "A rude remark about the authors")
    expect_error(as_alice.api("GET", "/api/moderation"), 403, "moderators")
    reported = as_alice.api("POST", f"/api/comments/{rude['id']}/report", {"reason": "rude"})
    assert reported.status_code == 204
    as_mod = new_visitor(moderator)
    queue = as_mod.api("GET", "/api/moderation").json()
    assert [c["id"] for c in queue["reported"]] == [rude["id"]]
    assert queue["reports"] == {str(rude["id"]): 1}
    assert "A rude remark" in as_mod.client.get("/moderation").text
    hide = as_mod.form(f"/comments/{rude['id']}/hide", {"hidden": "1"}, page="/moderation")
    assert hide.status_code == 303
    # Gone from the page, the API, the paper's JSON and the RSS thread.
    assert "A rude remark" not in anon.client.get(f"/papers/{PAPER}").text
    assert thread(anon) == []
    assert anon.client.get(f"/api/papers/{PAPER}").json()["comment_count"] == 0
    assert "A rude remark" not in anon.client.get("/feeds/comments.rss?paper=" + PAPER).text
    assert "A rude remark" not in as_mod.client.get("/moderation").text
    log = as_mod.api("GET", "/api/moderation").json()["log"]
    assert next((e["actor"], e["action"], e["target"]) for e in log) == (
        "Mod Erator", "hide", str(rude["id"])
    )  # fmt: skip
    assert (
        as_alice.api("POST", f"/api/comments/{rude['id']}/hide", {"hidden": False}).status_code
        == 403
    )


def test_hidden_parent_keeps_its_replies_without_its_text(
    as_alice: Visitor, as_bob: Visitor, anon: Visitor, moderator: Account, new_visitor: Any
) -> None:
    rude = comment(as_bob, "Rude parent")
    comment(as_alice, "A calm reply", rude["id"])
    as_mod = new_visitor(moderator)
    assert (
        as_mod.api("POST", f"/api/comments/{rude['id']}/hide", {"hidden": True}).status_code == 204
    )
    tree = thread(anon)
    assert tree[0]["state"] == "hidden" and tree[0]["body"] == "" and tree[0]["author"] is None
    assert tree[0]["replies"][0]["body"] == "A calm reply"
    html = anon.client.get(f"/papers/{PAPER}").text
    assert "Removed by a moderator." in html and "Rude parent" not in html


def test_moderators_hide_submissions(
    as_alice: Visitor, moderator: Account, new_visitor: Any, engine: Engine, clock: Clock
) -> None:
    engine.submissions.submissions.add(PAPER, as_alice.account.id, clock().date(), now=clock())  # type: ignore[union-attr]
    assert PAPER in engine.submissions.submissions.of_papers([PAPER])
    as_mod = new_visitor(moderator)
    hidden = as_mod.form(
        "/moderation/submissions", {"paper_id": PAPER, "hidden": "1"}, page="/moderation"
    )
    assert hidden.status_code == 303
    assert PAPER not in engine.submissions.submissions.of_papers([PAPER])
    shown = as_mod.api("POST", "/api/moderation/submissions", {"paper_id": PAPER, "hidden": False})
    assert shown.status_code == 204
    assert PAPER in engine.submissions.submissions.of_papers([PAPER])
    missing = as_mod.api(
        "POST", "/api/moderation/submissions", {"paper_id": "2603.10002", "hidden": True}
    )
    expect_error(missing, 404, "not submitted")


def test_cli_grants_and_revokes_the_admin_role(engine: Engine, alice: Account) -> None:
    runner = CliRunner()
    settings = engine.settings
    env = {
        "PAPERSIFT_DATA_DIR": str(settings.data_dir),
        "PAPERSIFT_DATABASE_URL": settings.store_url,
    }
    granted = runner.invoke(main, ["admin", "grant", alice.email.upper()], env=env)
    assert granted.exit_code == 0, granted.output
    assert engine.users.by_email(alice.email).is_admin  # type: ignore[union-attr]
    revoked = runner.invoke(main, ["admin", "revoke", alice.email], env=env)
    assert revoked.exit_code == 0 and not engine.users.by_email(alice.email).is_admin  # type: ignore[union-attr]
    missing = runner.invoke(main, ["admin", "grant", "nobody@example.org"], env=env)
    assert (
        missing.exit_code != 0
        and "no account with the address nobody@example.org" in missing.output
    )
    operator = [e for e in engine.discussion.store.log_entries() if e.by_operator]
    assert [e.action for e in operator] == ["revoke", "grant"]


def test_comment_counts_on_cards(as_alice: Visitor, anon: Visitor) -> None:
    comment(as_alice, "One")
    comment(as_alice, "Two")
    feed = anon.client.get("/api/feed").json()
    counts = {p["id"]: p["comment_count"] for p in feed["papers"]}
    assert counts[PAPER] == 2
    assert f'href="/papers/{PAPER}#discussion"' in anon.client.get("/feed").text


def test_comment_on_a_missing_paper_or_a_foreign_parent(as_alice: Visitor) -> None:
    missing = as_alice.api("POST", "/api/comments", {"paper_id": "2603.99999", "body": "hi"})
    assert missing.status_code == 404
    first = comment(as_alice, "On the first paper")
    foreign = as_alice.api(
        "POST", "/api/comments", {"paper_id": "2603.10002", "body": "x", "parent_id": first["id"]}
    )
    expect_error(foreign, 400, "is not a comment on 2603.10002")


def test_report_needs_a_reason(as_alice: Visitor, as_bob: Visitor) -> None:
    theirs = comment(as_bob, "Hm")
    expect_error(
        as_alice.api("POST", f"/api/comments/{theirs['id']}/report", {"reason": " "}),
        400,
        "few words",
    )
    report = as_alice.form(
        f"/comments/{theirs['id']}/report", {"reason": "spam"}, page=f"/papers/{PAPER}"
    )
    assert report.status_code == 303 and "reported=1" in report.headers["location"]
