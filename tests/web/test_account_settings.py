"""Accounts a public site offers, over HTTP, with mail through a real local SMTP server: verified
addresses, forgot and reset password, the account page (password, address, sessions, export,
deletion), the password policy and the session idle timeout."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
import trustme

from papersift.engine import Engine
from papersift.errors import RateLimitedError
from papersift.settings import Settings
from papersift.store.schema import digest_log, user_models
from tests.smtp_server import SMTPTestServer
from tests.web.conftest import (
    NOW,
    PASSWORD,
    TODAY,
    Account,
    Clock,
    Visitor,
    assert_html_error,
    assert_json_error,
    hidden_csrf,
)

SITE = "https://papers.example.org"
NEW_PASSWORD = "a brand new passphrase"
PASSPHRASE_64 = "the slow grey heron waits by the cold river for the morning fish"


@pytest.fixture
def smtp() -> Iterator[SMTPTestServer]:
    with SMTPTestServer(trustme.CA()) as server:
        yield server


@pytest.fixture
def settings(settings: Settings, smtp: SMTPTestServer) -> Settings:
    """The web suite's settings, mail through the local SMTP server, links to the public URL."""
    return settings.model_copy(
        update={
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_tls_verify": False,
            "public_url": SITE,
            "mail_from": "papersift <accounts@papers.example.org>",
        }
    )


def mails(engine: Engine, smtp: SMTPTestServer, to: str) -> list[EmailMessage]:
    """The messages the SMTP server accepted for ``to`` (after the outbox sent what it had)."""
    assert engine.outbox.wait(30), "the outbox did not send its mail in time"
    return [r.message for r in smtp.received if to in r.rcpt_tos]


def resets(engine: Engine, smtp: SMTPTestServer, to: str) -> list[EmailMessage]:
    return [m for m in mails(engine, smtp, to) if m["Subject"] == "Reset your papersift password"]


def link(message: EmailMessage, kind: str) -> str:
    """The path of the ``kind`` link (verify, reset-password) in a message; it must be absolute,
    on the public URL."""
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    found = re.findall(rf"(\S+)/{kind}/([A-Za-z0-9_-]+)", text)
    assert len(found) == 1, text
    base, token = found[0]
    assert base == SITE, text
    return f"/{kind}/{token}"


def sign_up(visitor: Visitor, email: str, name: str = "Newcomer", password: str = PASSWORD) -> Any:
    page = visitor.client.get("/signup")
    return visitor.client.post(
        "/signup",
        data={
            "email": email,
            "password": password,
            "display_name": name,
            "csrf_token": hidden_csrf(page.text),
        },
        follow_redirects=False,
    )


def me(visitor: Visitor) -> dict[str, Any] | None:
    response = visitor.client.get("/api/me")
    return response.json() if response.status_code == 200 else None


# verified addresses -----------------------------------------------------------------------------


def test_sign_up_mails_a_verification_link_that_works_once(
    anon: Visitor, engine: Engine, smtp: SMTPTestServer, new_visitor: Callable[..., Visitor]
) -> None:
    assert sign_up(anon, "new@example.org").status_code == 303
    account = anon.client.get("/api/account").json()["account"]
    assert account["email_verified"] is False and account["email_verified_at"] is None
    (message,) = mails(engine, smtp, "new@example.org")
    assert message["From"] == "papersift <accounts@papers.example.org>"
    path = link(message, "verify")

    # unverified, the account reads, votes and saves
    assert anon.api("PUT", "/api/votes/2603.10001").status_code == 200
    assert anon.api("POST", "/api/collections", {"name": "Later"}).status_code == 201
    assert "not confirmed yet" in anon.client.get("/account").text

    # the link's page asks; opening it changes nothing (mail scanners follow links)
    page = anon.client.get(path)
    assert page.status_code == 200 and "new@example.org" in page.text
    assert anon.client.get("/api/account").json()["account"]["email_verified"] is False
    done = anon.client.post(path, data={"csrf_token": hidden_csrf(page.text)})
    assert done.status_code == 200 and "is confirmed" in done.text
    assert anon.client.get("/api/account").json()["account"]["email_verified"] is True
    # once only: a second use, from any browser, is refused
    again = anon.client.post(path, data={"csrf_token": hidden_csrf(page.text)})
    assert "used already" in assert_html_error(again, 400)
    assert "used already" in assert_html_error(new_visitor().client.get(path), 400)

    # the JSON twins, for a second account
    api_user = new_visitor()
    signed = api_user.api(
        "POST",
        "/api/auth/signup",
        {"email": "api@example.org", "password": PASSWORD, "display_name": "Api"},
    )
    assert signed.status_code == 201, signed.text
    api_path = "/api" + link(mails(engine, smtp, "api@example.org")[0], "verify")
    assert api_user.client.get(api_path).json() == {"purpose": "verify", "email": "api@example.org"}
    verified = new_visitor().api("POST", api_path)  # no login needed: the link is the proof
    assert verified.status_code == 200 and verified.json()["email_verified"] is True
    assert_json_error(new_visitor().api("POST", api_path), 400, "invalid_input")
    assert_json_error(new_visitor().client.get(api_path), 400, "invalid_input")


def test_resending_the_verification_link_is_rate_limited(
    anon: Visitor, engine: Engine, smtp: SMTPTestServer, clock: Clock
) -> None:
    assert sign_up(anon, "slow@example.org").status_code == 303
    refused = anon.form("/account/verification", {}, page="/account")  # a minute apart
    assert refused.status_code == 429 and "a moment ago" in refused.text
    clock.advance(seconds=61)
    response = anon.form("/account/verification", {}, page="/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account?done=verification"
    assert (
        "A new confirmation link is on its way"
        in anon.client.get(response.headers["location"]).text
    )
    clock.advance(seconds=61)
    assert anon.api("POST", "/api/account/verification").status_code == 202
    clock.advance(seconds=61)
    over = anon.api("POST", "/api/account/verification")  # three requests an hour per address
    assert_json_error(over, 429, "rate_limited")
    assert 0 < int(over.headers["Retry-After"]) <= 3600
    assert len(mails(engine, smtp, "slow@example.org")) == 3  # sign-up's and two re-sends
    clock.advance(hours=1)
    accepted = anon.api("POST", "/api/account/verification")
    assert accepted.status_code == 202, accepted.text
    links = [link(m, "verify") for m in mails(engine, smtp, "slow@example.org")]
    assert len(set(links)) == 4  # each its own link; any of them confirms the address
    page = anon.client.get(links[1])
    anon.client.post(links[1], data={"csrf_token": hidden_csrf(page.text)})
    assert_json_error(anon.api("POST", "/api/account/verification"), 409, "conflict")


def test_links_to_one_account_are_limited_to_five_an_hour(
    engine: Engine, smtp: SMTPTestServer, clock: Clock, alice: Account
) -> None:
    user = engine.users.by_id(alice.id)
    assert user is not None
    for _ in range(4):  # the sign-up's link, then four more a minute apart
        clock.advance(seconds=61)
        engine.account_settings.resend_verification(user)
    clock.advance(seconds=61)
    with pytest.raises(RateLimitedError, match="ask again in") as refused:
        engine.account_settings.resend_verification(user)
    assert 0 < refused.value.retry_after <= 3600
    assert len(mails(engine, smtp, alice.email)) == 5


# forgot and reset a password --------------------------------------------------------------------


def _without_tokens(page: str) -> str:
    return re.sub(r"[0-9a-f]{64}", "TOKEN", page)


def test_a_reset_link_works_once_expires_and_logs_out_every_session(
    engine: Engine,
    smtp: SMTPTestServer,
    clock: Clock,
    alice: Account,
    new_visitor: Callable[..., Visitor],
) -> None:
    laptop, phone, stranger = new_visitor(alice), new_visitor(alice), new_visitor()

    # the same answer whether the address has an account or not
    page = stranger.client.get("/forgot-password")
    assert page.status_code == 200
    answers = [
        stranger.form("/forgot-password", {"email": address}, page="/forgot-password")
        for address in ("alice@example.org", "nobody@example.org", "not an address")
    ]
    assert {a.status_code for a in answers} == {200}
    assert len({_without_tokens(a.text) for a in answers}) == 1
    assert "60 minutes" in answers[0].text
    api_answers = [
        stranger.api("POST", "/api/forgot-password", {"email": address})
        for address in ("ALICE@example.org", "nobody@example.org")
    ]
    assert [a.status_code for a in api_answers] == [202, 202]
    assert api_answers[0].json() == api_answers[1].json()
    assert not mails(engine, smtp, "nobody@example.org")
    first = resets(engine, smtp, "alice@example.org")
    assert len(first) == 1  # the second request came within a minute of the first: not sent

    # it expires after PAPERSIFT_RESET_LINK_MINUTES
    expired = link(first[0], "reset-password")
    clock.advance(minutes=61)
    assert "expired" in assert_html_error(stranger.client.get(expired), 400)
    refused = stranger.form(expired, {"password": NEW_PASSWORD}, page="/forgot-password")
    assert refused.status_code == 400
    assert me(laptop) is not None and me(phone) is not None

    # a fresh link: the policy applies; a good password is set once, and everyone is logged out
    stranger.form("/forgot-password", {"email": "alice@example.org"}, page="/forgot-password")
    path = link(resets(engine, smtp, "alice@example.org")[-1], "reset-password")
    form = laptop.client.get(path)
    assert form.status_code == 200 and "alice@example.org" in form.text
    weak = laptop.client.post(
        path, data={"password": "password", "csrf_token": hidden_csrf(form.text)}
    )
    assert weak.status_code == 400 and "common and breached" in weak.text
    done = laptop.client.post(
        path, data={"password": NEW_PASSWORD, "csrf_token": hidden_csrf(form.text)}
    )
    assert done.status_code == 200 and "every session was logged out" in done.text
    assert me(laptop) is None and me(phone) is None  # the second browser's session ended too
    again = laptop.form(path, {"password": "yet another passphrase"}, page="/forgot-password")
    assert "used already" in assert_html_error(again, 400)
    login = {"email": alice.email, "password": alice.password}
    assert_json_error(stranger.api("POST", "/api/auth/login", login), 401)
    login["password"] = NEW_PASSWORD
    assert stranger.api("POST", "/api/auth/login", login).status_code == 200

    # the JSON twins
    clock.advance(minutes=2)
    stranger.api("POST", "/api/forgot-password", {"email": "alice@example.org"})
    api_path = "/api" + link(resets(engine, smtp, "alice@example.org")[-1], "reset-password")
    assert phone.client.get(api_path).json() == {"purpose": "reset", "email": "alice@example.org"}
    assert_json_error(phone.api("POST", api_path, {"password": "12345678"}), 400)
    reset = phone.api("POST", api_path, {"password": PASSPHRASE_64})
    assert reset.status_code == 200 and reset.json()["email"] == "alice@example.org"
    assert me(stranger) is None
    assert_json_error(phone.api("POST", api_path, {"password": PASSPHRASE_64}), 400)


def test_the_owner_of_an_address_reclaims_it_through_the_reset_flow(
    engine: Engine, smtp: SMTPTestServer, new_visitor: Callable[..., Visitor]
) -> None:
    squatter = new_visitor()
    assert sign_up(squatter, "owner@example.org", "Squatter").status_code == 303
    squatter.form(
        "/settings/digest", {"frequency": "daily", "sections": "trending"}, page="/settings/digest"
    )
    user = engine.users.by_email("owner@example.org")
    assert user is not None and not user.verified
    assert list(engine.digests.subscribers()) == []  # no digest to an unverified address

    owner = new_visitor()
    owner.form("/forgot-password", {"email": "owner@example.org"}, page="/forgot-password")
    path = link(mails(engine, smtp, "owner@example.org")[-1], "reset-password")
    form = owner.client.get(path)
    owner.client.post(path, data={"password": NEW_PASSWORD, "csrf_token": hidden_csrf(form.text)})
    assert me(squatter) is None  # the squatter is logged out and cannot log in again
    login = {"email": "owner@example.org", "password": PASSWORD}
    assert_json_error(squatter.api("POST", "/api/auth/login", login), 401)
    owner.log_in(Account("owner@example.org", "Squatter", NEW_PASSWORD))
    account = owner.client.get("/api/account").json()["account"]
    assert account["email_verified"] is True
    assert owner.client.get("/api/settings/digest").json()["frequency"] == "off"


# the account page -------------------------------------------------------------------------------


def test_account_page_shows_what_the_api_returns(
    new_visitor: Callable[..., Visitor], alice: Account, clock: Clock
) -> None:
    laptop = new_visitor(alice)
    clock.advance(minutes=5)
    phone = new_visitor(alice)
    view = phone.client.get("/api/account").json()
    assert view["account"]["email"] == alice.email
    assert [s["current"] for s in view["sessions"]] == [True, False]
    assert [s["user_agent"] for s in view["sessions"]] == ["testclient", "testclient"]
    assert view["session_idle_hours"] == 168 and view["export_url"] == "/api/account/export"
    page = phone.client.get("/account")
    assert page.status_code == 200
    assert alice.email in page.text and "This browser" in page.text
    assert page.text.count("logged in ") == len(view["sessions"]) == 2
    assert laptop.client.get("/account").status_code == 200
    assert new_visitor().client.get("/account", follow_redirects=False).status_code == 303
    assert_json_error(new_visitor().client.get("/api/account"), 401)


def test_change_password_asks_the_current_one_and_ends_other_sessions(
    new_visitor: Callable[..., Visitor], alice: Account
) -> None:
    here, elsewhere = new_visitor(alice), new_visitor(alice)
    wrong = here.form(
        "/account/password",
        {"current_password": "not it", "new_password": NEW_PASSWORD},
        page="/account",
    )
    assert wrong.status_code == 401 and "not right" in wrong.text
    weak = here.form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "12345678"},
        page="/account",
    )
    assert weak.status_code == 400 and "common and breached" in weak.text
    assert me(elsewhere) is not None
    done = here.form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        page="/account",
    )
    assert done.status_code == 303 and done.headers["location"] == "/account?done=password"
    assert "every other session was logged out" in here.client.get("/account?done=password").text
    assert me(here) is not None and me(elsewhere) is None

    third = new_visitor(Account(alice.email, alice.display_name, NEW_PASSWORD))
    changed = here.api(
        "PUT",
        "/api/account/password",
        {"current_password": NEW_PASSWORD, "new_password": PASSPHRASE_64},
    )
    assert changed.status_code == 200 and changed.json() == {"sessions_ended": 1}
    assert me(here) is not None and me(third) is None
    assert_json_error(
        here.api(
            "PUT",
            "/api/account/password",
            {"current_password": NEW_PASSWORD, "new_password": "x" * 20},
        ),
        401,
    )


def test_change_email_is_confirmed_at_the_new_address_and_the_old_one_is_told(
    engine: Engine,
    smtp: SMTPTestServer,
    new_visitor: Callable[..., Visitor],
    alice: Account,
    bob: Account,
) -> None:
    user = engine.users.by_id(alice.id)
    assert user is not None
    engine.users.mark_verified(user.id, user.email, now=NOW)
    here = new_visitor(alice)
    taken = here.form("/account/email", {"email": bob.email, "password": PASSWORD}, page="/account")
    assert taken.status_code == 409
    done = here.form(
        "/account/email", {"email": "Alice@New.example.org", "password": PASSWORD}, page="/account"
    )
    assert done.status_code == 303 and done.headers["location"] == "/account?done=email"
    assert here.client.get("/api/me").json()["email"] == alice.email  # not yet
    (told,) = [m for m in mails(engine, smtp, alice.email) if "being changed" in m["Subject"]]
    assert (
        "alice@new.example.org" in told.get_content() and "/forgot-password" in told.get_content()
    )
    path = link(mails(engine, smtp, "alice@new.example.org")[0], "verify")
    page = here.client.get(path)
    assert "alice@new.example.org" in page.text
    here.client.post(path, data={"csrf_token": hidden_csrf(page.text)})
    account = here.client.get("/api/account").json()["account"]
    assert account["email"] == "alice@new.example.org" and account["email_verified"] is True

    changed = here.api(
        "PUT", "/api/account/email", {"email": "third@example.org", "password": PASSWORD}
    )
    assert changed.status_code == 202, changed.text
    assert mails(engine, smtp, "third@example.org")
    assert mails(engine, smtp, "alice@new.example.org")[-1]["Subject"].endswith("being changed")
    assert_json_error(
        here.api("PUT", "/api/account/email", {"email": "fourth@example.org", "password": "wrong"}),
        401,
    )


def test_log_out_everywhere(new_visitor: Callable[..., Visitor], alice: Account) -> None:
    here, elsewhere = new_visitor(alice), new_visitor(alice)
    response = here.form("/account/log-out-everywhere", {}, page="/account")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert me(here) is None and me(elsewhere) is None
    here.log_in(alice)
    elsewhere.log_in(alice)
    assert here.api("DELETE", "/api/account/sessions").status_code == 204
    assert me(here) is None and me(elsewhere) is None


def test_export_my_data_is_what_the_api_returns(
    engine: Engine, new_visitor: Callable[..., Visitor], alice: Account
) -> None:
    here = new_visitor(alice)
    here.api("PUT", "/api/votes/2603.10002")
    here.api("PUT", "/api/dismissals/2603.10003")
    here.api("PUT", "/api/follows/author/Grace Hopper")
    cid = here.api("POST", "/api/collections", {"name": "Mine", "public": True}).json()["id"]
    here.api("PUT", f"/api/collections/{cid}/papers/2603.10001", {"tags": ["gnn"]})
    here.api("POST", "/api/saved-searches", {"query": "translation"})
    here.api("PUT", "/api/settings/digest", {"frequency": "weekly", "sections": ["trending"]})
    response = here.client.get("/api/account/export")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    data = response.json()
    assert data["account"] == here.client.get("/api/account").json()["account"]
    assert [p["id"] for p in data["upvoted"]] == ["2603.10002"]
    assert data["not_interested"] == [{"paper_id": "2603.10003", "dismissed": True}]
    assert [f["value"] for f in data["follows"]] == ["Grace Hopper"]
    assert data["collections"] == [here.client.get(f"/api/collections/{cid}").json()]
    assert data["saved_searches"] == here.client.get("/api/saved-searches").json()
    assert data["digest"] == here.client.get("/api/settings/digest").json()
    assert [s["current"] for s in data["sessions"]] == [True]
    assert 'href="/api/account/export"' in here.client.get("/account").text


# deletion ---------------------------------------------------------------------------------------


def rows_naming(engine: Engine, user_id: int, words: tuple[str, ...]) -> list[str]:
    """Every row of every table of the store that names the user: a column referring to users
    holding their id, or any text, JSON or bytes holding their address or name."""
    found = []
    reflected = sa.MetaData()
    reflected.reflect(engine.db)
    assert "users" in reflected.tables and "account_tokens" in reflected.tables
    with engine.db.connect() as connection:
        for table in reflected.sorted_tables:
            by_user = {
                c.name
                for c in table.columns
                if c.name == "user_id"
                or any(fk.column.table.name == "users" for fk in c.foreign_keys)
            }
            for row in connection.execute(sa.select(table)):
                for name, value in row._mapping.items():
                    if table.name == "users" and name == "id" and value == user_id:
                        found.append(f"users.id = {user_id}")
                    if name in by_user and value == user_id:
                        found.append(f"{table.name}.{name} = {user_id}")
                    text = (
                        value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    )
                    for word in words:
                        if word.lower() in text.lower():
                            found.append(f"{table.name}.{name} holds {word!r}")
    return found


def test_deleting_an_account_leaves_no_row_naming_the_user(
    engine: Engine,
    smtp: SMTPTestServer,
    new_visitor: Callable[..., Visitor],
    bob: Account,
    clock: Clock,
) -> None:
    name, email = "Zebulon Quaxley", "zebulon.quaxley@example.org"
    here = new_visitor()
    assert sign_up(here, email, name).status_code == 303
    user = engine.users.by_email(email)
    assert user is not None
    # everything an account can leave behind
    here.api("PUT", "/api/votes/2603.10001")
    here.api("PUT", "/api/dismissals/2603.10003")
    here.api("PUT", "/api/follows/author/Ada Lovelace")
    here.api("PUT", "/api/follows/category/cs.CL")
    for public in (True, False):
        made = here.api("POST", "/api/collections", {"name": f"List {public}", "public": public})
        here.api("PUT", f"/api/collections/{made.json()['id']}/papers/2603.10002", {"tags": ["t"]})
    search = here.api("POST", "/api/saved-searches", {"query": "translation"}).json()
    engine.alerts.run()
    here.api("PUT", "/api/settings/digest", {"frequency": "daily", "sections": ["trending"]})
    assert here.api("POST", "/api/submissions", {"reference": "2603.12345"}).status_code == 201
    with engine.db.begin() as connection:
        connection.execute(
            digest_log.insert().values(
                user_id=user.id, digest_date=TODAY, status="sent", updated_at=NOW
            )
        )
        connection.execute(
            user_models.insert().values(
                user_id=user.id, signals_key="k", model=b"m", trained_at=NOW
            )
        )
    new_visitor().form("/forgot-password", {"email": email}, page="/forgot-password")
    failed = {"email": email, "password": "not the password"}
    assert_json_error(new_visitor().api("POST", "/api/auth/login", failed), 401)
    new_visitor().client.get("/")  # cached anonymous pages show the submitter's name
    second = new_visitor(Account(email, name))
    bob_visitor = new_visitor(bob)
    bob_visitor.api("PUT", "/api/votes/2603.10001")
    # the discussion and shared collections (comments, a reply to one, reports, upvotes)
    mine = here.api("POST", "/api/comments", {"paper_id": "2603.10001", "body": "Mine"}).json()
    bobs = bob_visitor.api(
        "POST",
        "/api/comments",
        {"paper_id": "2603.10001", "body": "Reply", "parent_id": mine["id"]},
    ).json()
    here.api("POST", f"/api/comments/{bobs['id']}/report", {"reason": "rude"})
    shared = bob_visitor.api("POST", "/api/collections", {"name": "Bob's", "public": True}).json()
    bob_visitor.api("PUT", f"/api/collections/{shared['id']}/papers/2603.10002", {"tags": []})
    voted = here.api("POST", f"/api/collections/{shared['id']}/votes", {"voted": True})
    assert voted.status_code == 200, voted.text
    assert mails(engine, smtp, email)
    assert search["id"] and rows_naming(engine, user.id, (email, name))

    wrong = here.form("/account/delete", {"password": "not it"}, page="/account")
    assert wrong.status_code == 401 and engine.users.by_id(user.id) is not None
    done = here.form("/account/delete", {"password": PASSWORD}, page="/account")
    assert done.status_code == 200 and "deleted" in done.text and name not in done.text
    assert me(here) is None and me(second) is None
    assert rows_naming(engine, user.id, (email, name)) == []
    assert engine.votes.counts(["2603.10001"]) == {"2603.10001": 1}  # Bob's vote stays
    replies = engine.discussion.thread("2603.10001")  # Bob's reply stays, now at the top
    assert [(c.body, c.parent_id) for c in replies] == [("Reply", None)]
    assert me(bob_visitor) is not None
    assert name not in new_visitor().client.get("/").text

    # the JSON twin
    assert_json_error(bob_visitor.api("DELETE", "/api/account", {"password": "wrong"}), 401)
    assert bob_visitor.api("DELETE", "/api/account", {"password": PASSWORD}).status_code == 204
    assert me(bob_visitor) is None and engine.users.by_id(bob.id) is None


# the password policy and sessions ---------------------------------------------------------------


@pytest.mark.parametrize("password", ["password", "12345678", "Password", "        "])
def test_common_and_trivial_passwords_are_refused_with_a_clear_message(
    anon: Visitor, password: str
) -> None:
    body = {"email": "new@example.org", "password": password, "display_name": "New"}
    error = assert_json_error(anon.api("POST", "/api/auth/signup", body), 400, "invalid_input")
    assert error["message"].startswith("this password is"), error
    form = sign_up(anon, "new@example.org", password=password)
    assert form.status_code == 400 and "This password is" in form.text


def test_a_64_character_passphrase_is_accepted(anon: Visitor) -> None:
    assert len(PASSPHRASE_64) == 64
    body = {"email": "long@example.org", "password": PASSPHRASE_64, "display_name": "Long"}
    assert anon.api("POST", "/api/auth/signup", body).status_code == 201
    anon.api("POST", "/api/auth/logout")
    login = anon.api(
        "POST", "/api/auth/login", {"email": "long@example.org", "password": PASSPHRASE_64}
    )
    assert login.status_code == 200


def test_sessions_end_when_idle_and_at_their_absolute_lifetime(
    new_visitor: Callable[..., Visitor], alice: Account, clock: Clock
) -> None:
    idle, active = new_visitor(alice), new_visitor(alice)
    for _ in range(6):  # used once a day: the idle timeout (7 days) never runs out
        clock.advance(days=1)
        assert me(active) is not None
    clock.advance(days=1, seconds=1)
    assert me(idle) is None  # 7 days and a second unused
    assert me(active) is not None
    for _ in range(22):
        clock.advance(days=1)
        assert me(active) is not None
    clock.advance(days=1)
    assert me(active) is None  # 30 days after logging in, however active


NEW_CALLS = [
    ("POST", "/account/verification", True),
    ("POST", "/account/password", True),
    ("POST", "/account/email", True),
    ("POST", "/account/log-out-everywhere", True),
    ("POST", "/account/delete", True),
    ("POST", "/forgot-password", True),
    ("POST", "/verify/{verify}", True),
    ("POST", "/reset-password/{reset}", True),
    ("POST", "/api/account/verification", False),
    ("PUT", "/api/account/password", False),
    ("PUT", "/api/account/email", False),
    ("DELETE", "/api/account/sessions", False),
    ("DELETE", "/api/account", False),
    ("POST", "/api/forgot-password", False),
    ("POST", "/api/verify/{verify}", False),
    ("POST", "/api/reset-password/{reset}", False),
]
BODY = {
    "password": PASSWORD,
    "current_password": PASSWORD,
    "new_password": NEW_PASSWORD,
    "email": "elsewhere@example.org",
}


@pytest.mark.parametrize(("method", "path", "form"), NEW_CALLS, ids=[c[1] for c in NEW_CALLS])
def test_every_new_call_needs_the_csrf_token(
    engine: Engine,
    smtp: SMTPTestServer,
    new_visitor: Callable[..., Visitor],
    alice: Account,
    method: str,
    path: str,
    form: bool,
) -> None:
    visitor = new_visitor(alice)
    links = {
        "verify": link(mails(engine, smtp, alice.email)[0], "verify").rsplit("/", 1)[1],
        "reset": "",
    }
    engine.account_settings.request_reset(alice.email)
    links["reset"] = link(mails(engine, smtp, alice.email)[-1], "reset-password").rsplit("/", 1)[1]
    target = path.format(**links)

    def state() -> list[Any]:
        with engine.db.connect() as connection:
            return [
                sorted(map(tuple, connection.execute(sa.text(f"SELECT * FROM {table}"))), key=repr)
                for table in ("users", "sessions", "account_tokens")
            ]

    before, sent = state(), len(smtp.received)
    for token in (None, "0" * 64, new_visitor().csrf()):
        if form:
            data = BODY if token is None else {**BODY, "csrf_token": token}
            response = visitor.client.post(target, data=data, follow_redirects=False)
            assert response.status_code == 403 and "security token" in response.text
        else:
            headers = {} if token is None else {"X-CSRF-Token": token}
            response = visitor.client.request(method, target, json=BODY, headers=headers)
            assert_json_error(response, 403, "forbidden")
    engine.outbox.wait(30)
    assert state() == before and len(smtp.received) == sent


def test_forgot_password_requests_count_towards_the_email_limits_alike(
    new_visitor: Callable[..., Visitor], alice: Account
) -> None:
    for address in (alice.email, "nobody@example.org"):  # an account or none: the same answers
        visitor = new_visitor()
        statuses = [
            visitor.form("/forgot-password", {"email": address}, page="/forgot-password")
            for _ in range(4)
        ]
        assert [s.status_code for s in statuses] == [200, 200, 200, 429]
        assert "try again later" in statuses[-1].text and statuses[-1].headers["Retry-After"]
