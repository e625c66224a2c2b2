"""Accounts over HTTP: sign up, log in, log out (forms and API), cookies, rate limiting."""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient

from papersift.engine import Engine
from tests.web.conftest import (
    PASSWORD,
    Account,
    Clock,
    Visitor,
    assert_json_error,
    hidden_csrf,
)


def set_cookies(response: object) -> dict[str, dict[str, str | bool]]:
    """The Set-Cookie headers of a response: name -> flags (lower-case names)."""
    found: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            flags: dict[str, str | bool] = {"value": morsel.value}
            flags.update({key: value for key, value in morsel.items() if value})
            found[name] = flags
    return found


# sign up -------------------------------------------------------------------------------------


def test_sign_up_with_the_form_logs_in(anon: Visitor, engine: Engine) -> None:
    form = anon.client.get("/signup?next=/trending")
    assert form.status_code == 200 and 'name="display_name"' in form.text
    response = anon.client.post(
        "/signup",
        data={
            "email": "New.Person@Example.org",
            "password": PASSWORD,
            "display_name": "  New   Person ",
            "next": "/trending",
            "csrf_token": hidden_csrf(form.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/trending"
    assert "papersift_session" in set_cookies(response)
    me = anon.client.get("/api/me").json()
    assert me["email"] == "new.person@example.org" and me["display_name"] == "New Person"
    assert "New Person" in anon.client.get("/").text
    assert engine.users.by_email("new.person@example.org") is not None


def test_sign_up_with_the_api_logs_in(anon: Visitor) -> None:
    response = anon.api(
        "POST",
        "/api/auth/signup",
        {
            "email": "api@example.org",
            "password": PASSWORD,
            "display_name": "Api User",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "api@example.org" and body["display_name"] == "Api User"
    assert set(body) == {"id", "email", "display_name"}
    assert anon.client.get("/api/me").json() == body


@pytest.mark.parametrize(
    ("email", "password", "name", "problem"),
    [
        ("not-an-email", PASSWORD, "X", "valid email"),
        ("short@example.org", "short", "X", "at least 8 characters"),
        ("blank@example.org", PASSWORD, "   ", "display name"),
    ],
)
def test_sign_up_refuses_invalid_input(
    anon: Visitor, email: str, password: str, name: str, problem: str
) -> None:
    response = anon.api(
        "POST", "/api/auth/signup", {"email": email, "password": password, "display_name": name}
    )
    assert problem in assert_json_error(response, 400, "invalid_input")["message"]
    page = anon.form(
        "/signup", {"email": email, "password": password, "display_name": name}, page="/signup"
    )
    assert page.status_code == 400 and problem in page.text
    assert 'role="alert"' in page.text
    assert anon.client.get("/api/me").status_code == 401


def test_sign_up_with_a_taken_email_is_a_conflict(anon: Visitor, alice: Account) -> None:
    body = {"email": "ALICE@example.org", "password": PASSWORD, "display_name": "Impostor"}
    assert_json_error(anon.api("POST", "/api/auth/signup", body), 409, "conflict")
    page = anon.form("/signup", body, page="/signup")
    assert page.status_code == 409 and "log in instead" in page.text
    assert 'value="Impostor"' in page.text  # the form keeps what was typed


# log in and out --------------------------------------------------------------------------------


def test_log_in_and_out_with_the_forms(anon: Visitor, alice: Account) -> None:
    page = anon.client.get("/login?next=/collections")
    assert page.status_code == 200 and 'name="next" value="/collections"' in page.text
    response = anon.client.post(
        "/login",
        data={
            "email": alice.email,
            "password": alice.password,
            "next": "/collections",
            "csrf_token": hidden_csrf(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/collections"
    assert anon.client.get("/api/me").json()["display_name"] == "Alice Example"
    assert "Log out" in anon.client.get("/").text
    response = anon.form("/logout", {})
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = set_cookies(response)["papersift_session"]
    assert cookie["value"] == "" and cookie.get("max-age") == "0"
    assert anon.client.get("/api/me").status_code == 401
    assert "Log in" in anon.client.get("/").text


def test_log_in_and_out_with_the_api(anon: Visitor, alice: Account, engine: Engine) -> None:
    response = anon.api(
        "POST", "/api/auth/login", {"email": " Alice@Example.org ", "password": alice.password}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": alice.id,
        "email": alice.email,
        "display_name": alice.display_name,
    }
    token = anon.client.cookies["papersift_session"]
    assert anon.client.get("/api/me").json()["id"] == alice.id
    response = anon.api("POST", "/api/auth/logout")
    assert response.status_code == 204 and response.content == b""
    assert anon.client.get("/api/me").status_code == 401
    assert engine.accounts.session_user(token) is None  # the session ended on the server too


def test_logging_out_ends_only_that_session(
    new_visitor: Callable[..., Visitor], alice: Account
) -> None:
    laptop, phone = new_visitor(alice), new_visitor(alice)
    assert laptop.api("POST", "/api/auth/logout").status_code == 204
    assert laptop.client.get("/api/me").status_code == 401
    assert phone.client.get("/api/me").status_code == 200


def test_a_stolen_session_cookie_is_useless_after_logout(as_alice: Visitor, app: object) -> None:
    token = as_alice.client.cookies["papersift_session"]
    as_alice.api("POST", "/api/auth/logout")
    thief = TestClient(app)  # type: ignore[arg-type]
    thief.cookies.set("papersift_session", token)
    assert thief.get("/api/me").status_code == 401


def test_sessions_expire(as_alice: Visitor, clock: Clock, engine: Engine) -> None:
    assert as_alice.client.get("/api/me").status_code == 200
    clock.advance(days=engine.settings.session_days, seconds=1)
    assert_json_error(as_alice.client.get("/api/me"), 401, "not_authenticated")


def test_garbage_session_cookies_are_anonymous(client: TestClient) -> None:
    for value in ("nonsense", "x" * 500, ""):
        client.cookies.set("papersift_session", value)
        assert client.get("/api/me").status_code == 401
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil", "x"])
def test_log_in_never_redirects_off_site(anon: Visitor, alice: Account, target: str) -> None:
    response = anon.form(
        "/login", {"email": alice.email, "password": alice.password, "next": target}, page="/login"
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    page = anon.client.get("/login", params={"next": target}).text
    assert 'name="next" value="/"' in page


def test_pages_needing_a_login_send_anonymous_visitors_to_it(client: TestClient) -> None:
    for path in ("/collections", "/submit"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"
    for path in ("/api/collections", "/api/me"):
        assert_json_error(client.get(path), 401, "not_authenticated")


# wrong credentials and rate limiting ----------------------------------------------------------


def test_wrong_password_and_unknown_email_look_the_same(anon: Visitor, alice: Account) -> None:
    wrong = anon.api("POST", "/api/auth/login", {"email": alice.email, "password": "wrong pass"})
    unknown = anon.api(
        "POST", "/api/auth/login", {"email": "nobody@example.org", "password": "wrong pass"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["message"] == "incorrect email address or password"
    pages = [
        anon.form("/login", {"email": email, "password": "wrong pass"}, page="/login")
        for email in (alice.email, "nobody@example.org")
    ]
    assert [p.status_code for p in pages] == [401, 401]
    alerts = [p.text.split('role="alert">')[1].split("<")[0] for p in pages]
    assert alerts[0] == alerts[1] == "Incorrect email address or password."


def test_repeated_failures_are_rate_limited(
    anon: Visitor, alice: Account, engine: Engine, clock: Clock
) -> None:
    limit = engine.settings.login_max_failures
    for _ in range(limit):
        failed = anon.api(
            "POST", "/api/auth/login", {"email": alice.email, "password": "wrong pass"}
        )
        assert failed.status_code == 401
    # now even the right password is refused, for the API and the form alike
    limited = anon.api(
        "POST", "/api/auth/login", {"email": alice.email, "password": alice.password}
    )
    error = assert_json_error(limited, 429, "rate_limited")
    retry_after = int(limited.headers["retry-after"])
    assert 0 < retry_after <= 15 * 60
    assert "try again" in error["message"]
    page = anon.form("/login", {"email": alice.email, "password": alice.password}, page="/login")
    assert page.status_code == 429 and int(page.headers["retry-after"]) > 0
    assert "too many failed logins" in page.text.lower()
    assert anon.client.get("/api/me").status_code == 401
    # an unknown address is limited the same way (no hint whether it has an account)
    for _ in range(limit):
        anon.api("POST", "/api/auth/login", {"email": "ghost@example.org", "password": "x" * 8})
    ghost = anon.api("POST", "/api/auth/login", {"email": "ghost@example.org", "password": "x" * 8})
    assert ghost.status_code == 429 and "retry-after" in ghost.headers
    # after the window, the right password works again
    clock.advance(seconds=retry_after + 1)
    again = anon.api("POST", "/api/auth/login", {"email": alice.email, "password": alice.password})
    assert again.status_code == 200, again.text


# cookies -------------------------------------------------------------------------------------


def test_cookies_are_httponly_lax_and_not_secure_over_http(anon: Visitor, alice: Account) -> None:
    first = anon.client.get("/")
    csrf_cookie = set_cookies(first)["papersift_csrf"]
    assert csrf_cookie["httponly"] is True and str(csrf_cookie["samesite"]).lower() == "lax"
    assert not csrf_cookie.get("secure") and csrf_cookie["path"] == "/"
    response = anon.api(
        "POST", "/api/auth/login", {"email": alice.email, "password": alice.password}
    )
    session = set_cookies(response)["papersift_session"]
    assert session["httponly"] is True and str(session["samesite"]).lower() == "lax"
    assert not session.get("secure") and session["path"] == "/"
    assert int(str(session["max-age"])) == 30 * 24 * 3600


def test_cookies_are_secure_over_https(new_visitor: Callable[..., Visitor], alice: Account) -> None:
    visitor = new_visitor(base_url="https://testserver")  # __Host- cookies: see test_open_internet
    first = visitor.client.get("/")
    assert set_cookies(first)["__Host-papersift_csrf"]["secure"] is True
    response = visitor.api(
        "POST", "/api/auth/login", {"email": alice.email, "password": alice.password}
    )
    assert response.status_code == 200
    session = set_cookies(response)["__Host-papersift_session"]
    assert session["secure"] is True and session["httponly"] is True
    assert str(session["samesite"]).lower() == "lax"
    page = visitor.client.get("/login")
    form = visitor.client.post(
        "/login",
        data={
            "email": alice.email,
            "password": alice.password,
            "csrf_token": hidden_csrf(page.text),
        },
        follow_redirects=False,
    )
    assert form.status_code == 303
    assert set_cookies(form)["__Host-papersift_session"]["secure"] is True


def test_one_client_failing_on_many_addresses_is_rate_limited(
    anon: Visitor, alice: Account, engine: Engine
) -> None:
    per_client = engine.settings.login_max_failures * 4
    for number in range(per_client):
        body = {"email": f"guess{number}@example.org", "password": "wrong pass"}
        assert anon.api("POST", "/api/auth/login", body).status_code == 401
    limited = anon.api("POST", "/api/auth/login", {"email": alice.email, "password": PASSWORD})
    assert_json_error(limited, 429, "rate_limited")
    assert int(limited.headers["retry-after"]) > 0


def test_a_refused_sign_up_creates_no_account(anon: Visitor, engine: Engine) -> None:
    """Signing up while this client is rate-limited (for failed logins) must not leave an
    account behind with an error shown: either sign-up works, or nothing is created."""
    for number in range(engine.settings.login_max_failures * 4):
        anon.api("POST", "/api/auth/login", {"email": f"g{number}@example.org", "password": "x"})
    for via_form, email in ((False, "api.new@example.org"), (True, "form.new@example.org")):
        body = {"email": email, "password": PASSWORD, "display_name": "Newcomer"}
        if via_form:
            response = anon.form("/signup", body, page="/signup")
            succeeded = response.status_code == 303
        else:
            response = anon.api("POST", "/api/auth/signup", body)
            succeeded = response.status_code == 201
        created = engine.users.by_email(email) is not None
        assert succeeded == created, (email, response.status_code, created)
