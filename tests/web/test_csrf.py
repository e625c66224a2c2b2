"""CSRF: every state-changing form and API call needs this visitor's current token.

Each call is tried without a token, with a wrong one, with one from before the visitor logged in,
with another visitor's, and without the CSRF cookie: all are refused with 403 and change nothing.
With the right token (from GET /api/auth/csrf, the page's hidden field or its meta tag) each is
accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from papersift.engine import Engine
from papersift.store import schema
from tests.web.conftest import PASSWORD, Account, Visitor, assert_json_error, meta_csrf


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # {cid}: the id of Alice's collection
    body: dict[str, Any]
    ok: int  # the status with the right token
    form: bool  # a form post (token in the csrf_token field) or an API call (X-CSRF-Token)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


NEWCOMER = {"email": "new@example.org", "password": PASSWORD, "display_name": "Newcomer"}
ALICE = {"email": "alice@example.org", "password": PASSWORD}

CALLS = [
    Call("POST", "/signup", NEWCOMER, 303, form=True),
    Call("POST", "/login", ALICE, 303, form=True),
    Call("POST", "/logout", {}, 303, form=True),
    Call("POST", "/votes/2603.10002", {"voted": "1"}, 303, form=True),
    Call("POST", "/submit", {"reference": "2603.09002"}, 303, form=True),
    Call("POST", "/collections", {"name": "Fresh"}, 303, form=True),
    Call(
        "POST",
        "/collections/add",
        {"paper_id": "2603.10002", "collection_id": "{cid}"},
        303,
        form=True,
    ),
    Call("POST", "/collections/{cid}/edit", {"name": "Renamed"}, 303, form=True),
    Call("POST", "/collections/{cid}/delete", {}, 303, form=True),
    Call("POST", "/collections/{cid}/remove", {"paper_id": "2603.10001"}, 303, form=True),
    Call("POST", "/api/auth/signup", NEWCOMER, 201, form=False),
    Call("POST", "/api/auth/login", ALICE, 200, form=False),
    Call("POST", "/api/auth/logout", {}, 204, form=False),
    Call("PUT", "/api/votes/2603.10002", {}, 200, form=False),
    Call("DELETE", "/api/votes/2603.10001", {}, 200, form=False),
    Call("POST", "/api/submissions", {"reference": "2603.09002"}, 201, form=False),
    Call("POST", "/api/collections", {"name": "Fresh"}, 201, form=False),
    Call("PATCH", "/api/collections/{cid}", {"name": "Renamed", "public": True}, 200, form=False),
    Call("DELETE", "/api/collections/{cid}", {}, 204, form=False),
    Call("PUT", "/api/collections/{cid}/papers/2603.10002", {"tags": ["x"]}, 200, form=False),
    Call("DELETE", "/api/collections/{cid}/papers/2603.10001", {}, 200, form=False),
]


@pytest.fixture
def alice_collection(engine: Engine, alice: Account) -> int:
    """Alice's collection holding 2603.10001, which she also upvoted."""
    user = engine.users.by_id(alice.id)
    assert user is not None
    created = engine.library.create(user, "Reading list")
    engine.library.put(user, created.id, "2603.10001", ("graphs",))
    engine.vote(user, "2603.10001", True)
    return created.id


def fingerprint(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a state-changing call could touch."""
    tables = (
        schema.users,
        schema.sessions,
        schema.votes,
        schema.collections,
        schema.collection_items,
        schema.submissions,
    )
    with engine.db.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(sa.select(table))), key=repr)
            for table in tables
        }


def send(visitor: Visitor, call: Call, cid: int, token: str | None) -> Any:
    path = call.path.format(cid=cid)
    body = {
        key: value.format(cid=cid) if isinstance(value, str) else value
        for key, value in call.body.items()
    }
    if call.form:
        data = body if token is None else {**body, "csrf_token": token}
        return visitor.client.post(path, data=data, follow_redirects=False)
    headers = {} if token is None else {"X-CSRF-Token": token}
    return visitor.client.request(
        call.method, path, json=body or None, headers=headers, follow_redirects=False
    )


def assert_refused(response: Any, call: Call) -> None:
    if call.form:
        assert response.status_code == 403, response.text
        assert "security token" in response.text
    else:
        error = assert_json_error(response, 403, "forbidden")
        assert "security token" in error["message"]


@pytest.mark.parametrize("call", CALLS, ids=lambda call: call.name)
def test_without_the_right_token_nothing_changes(
    call: Call,
    engine: Engine,
    new_visitor: Callable[..., Visitor],
    alice: Account,
    bob: Account,
    alice_collection: int,
) -> None:
    stranger = new_visitor(bob)
    visitor = new_visitor()
    token_before_login = visitor.csrf()
    visitor.log_in(alice)
    before = fingerprint(engine)
    tokens = {
        "none": None,
        "empty": "",
        "wrong": "0" * 64,
        "before login": token_before_login,
        "another visitor's": stranger.csrf(),
    }
    for case, token in tokens.items():
        response = send(visitor, call, alice_collection, token)
        assert_refused(response, call)
        assert fingerprint(engine) == before, f"{call.name} with {case} token changed the store"
    # the right token without the cookie it is bound to
    token = visitor.csrf()
    nonce = visitor.client.cookies["papersift_csrf"]
    visitor.client.cookies.delete("papersift_csrf")
    assert_refused(send(visitor, call, alice_collection, token), call)
    visitor.client.cookies.set("papersift_csrf", nonce, domain="testserver.local")
    assert fingerprint(engine) == before
    assert visitor.client.get("/api/me").json()["id"] == alice.id


@pytest.mark.parametrize("call", CALLS, ids=lambda call: call.name)
def test_with_the_right_token_the_call_is_accepted(
    call: Call,
    engine: Engine,
    new_visitor: Callable[..., Visitor],
    alice: Account,
    alice_collection: int,
) -> None:
    anonymous_call = call.path in ("/signup", "/login", "/api/auth/signup", "/api/auth/login")
    visitor = new_visitor(None if anonymous_call else alice)
    before = fingerprint(engine)
    if call.form:  # the token a browser sends: the hidden field of the page's form
        token = visitor.form_token("/signup" if anonymous_call else "/collections")
    else:  # what a script in the page reads: the meta tag, or GET /api/auth/csrf
        token = meta_csrf(visitor.client.get("/").text) if call.method == "PUT" else visitor.csrf()
    response = send(visitor, call, alice_collection, token)
    assert response.status_code == call.ok, response.text
    assert fingerprint(engine) != before


def test_the_token_changes_at_login_and_logout(anon: Visitor, alice: Account) -> None:
    anonymous = anon.csrf()
    assert anon.csrf() == anonymous  # stable while nothing changes
    anon.log_in(alice)
    logged_in = anon.csrf()
    assert logged_in != anonymous
    assert meta_csrf(anon.client.get("/collections").text) == logged_in
    anon.api("POST", "/api/auth/logout")
    assert anon.csrf() == anonymous  # bound to the visitor's nonce and (now no) session


def test_a_form_token_in_a_multipart_body_is_accepted(as_alice: Visitor) -> None:
    token = as_alice.form_token("/collections")
    response = as_alice.client.post(
        "/collections",
        files={"name": (None, "Multipart"), "csrf_token": (None, token)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    names = [c["name"] for c in as_alice.client.get("/api/collections").json()["collections"]]
    assert names == ["Multipart"]


def test_the_api_token_may_come_in_the_header_for_forms_too(as_alice: Visitor) -> None:
    response = as_alice.client.post(
        "/collections",
        data={"name": "Header"},
        headers={"X-CSRF-Token": as_alice.csrf()},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_cached_pages_carry_each_visitors_own_token(new_visitor: Callable[..., Visitor]) -> None:
    first, second = new_visitor(), new_visitor()
    tokens = [meta_csrf(v.client.get("/").text) for v in (first, second, first)]
    assert tokens[0] == tokens[2] != tokens[1]  # the same page, served from the cache
    for visitor, token in ((first, tokens[0]), (second, tokens[1])):
        response = visitor.client.post(
            "/login", data={"email": "x@example.org", "password": "wrong pass", "csrf_token": token}
        )
        assert response.status_code == 401  # past the CSRF check: only the password is wrong
    swapped = second.client.post(
        "/login", data={"email": "x@example.org", "password": "x", "csrf_token": tokens[0]}
    )
    assert swapped.status_code == 403
