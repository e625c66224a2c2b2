"""Errors: one JSON shape under /api, pages otherwise; bad input is a 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Visitor, assert_html_error, assert_json_error

# Every GET address (path parameters as {}) with the query parameters it takes.
FEED = ["date", "span", "category", "sort", "page", "has_code"]
SEARCH = ["q", "mode", "category", "since", "until", "author", "has_code", "sort", "page"]
GET_ADDRESSES: dict[str, list[str]] = {
    "/": FEED,
    "/feed": FEED,
    "/api/feed": FEED,
    "/trending": ["limit"],
    "/api/trending": ["limit"],
    "/search": SEARCH,
    "/api/search": SEARCH,
    "/papers/{}": [],
    "/api/papers/{}": [],
    "/bibtex/{}": [],
    "/authors/{}": ["page"],
    "/api/authors/{}": ["page"],
    "/categories/{}": ["page"],
    "/api/categories/{}": ["page"],
    "/signup": ["next"],
    "/login": ["next"],
    "/submit": [],
    "/collections": [],
    "/api/collections": [],
    "/collections/{}": [],
    "/api/collections/{}": [],
    "/collections/{}/export.bib": [],
    "/collections/{}/export.json": [],
    "/api/auth/csrf": [],
    "/api/me": [],
    "/feeds/daily.rss": ["category"],
    "/feeds/trending.atom": [],
    "/feeds/search.rss": ["q", "mode", "category", "since"],
    "/feeds/collections/{}.rss": [],
    "/for-you": ["limit", "hidden"],
    "/api/for-you": ["limit"],
    "/saved-searches": [],
    "/api/saved-searches": [],
    "/saved-searches/{}": [],
    "/api/saved-searches/{}": [],
    "/settings/digest": [],
    "/api/settings/digest": [],
    "/unsubscribe/{}": [],
    "/feeds/for-you/{}.rss": [],
    "/feeds/saved-searches/{}.atom": [],
}
# (Dates at the ends of the calendar have tests of their own below.)
HOSTILE = [
    "", " ", "\x00", "%", "../../etc/passwd", "<script>alert(1)</script>", "x" * 600, "9" * 25,
    "-1", "2026-02-30", "\u202e", '"', "a/b",
]  # fmt: skip


def filled(address: str, value: str = "1") -> str:
    return address.replace("{}", value)


# unknown parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize("address", GET_ADDRESSES)
def test_unknown_query_parameters_are_400(address: str, as_alice: Visitor) -> None:
    as_alice.api("POST", "/api/collections", {"name": "One"})  # collection 1 exists
    response = as_alice.client.get(
        filled(address),
        params={"bogus": "1", "q": "x"} if "q" in GET_ADDRESSES[address] else {"bogus": "1"},
    )
    if address.startswith("/api/"):
        error = assert_json_error(response, 400, "invalid_input")
        assert "unknown parameter(s): bogus" in error["message"]
        for name in GET_ADDRESSES[address]:
            assert name in error["message"]  # it says what the address accepts
    else:  # pages and feeds ignore it: shared links carry utm_source, fbclid and the like
        plain = as_alice.client.get(
            filled(address), params={"q": "x"} if "q" in GET_ADDRESSES[address] else {}
        )
        assert response.status_code == plain.status_code, response.text[:300]
        assert "unknown parameter" not in response.text


def test_unknown_parameters_are_400_on_state_changing_calls_too(as_alice: Visitor) -> None:
    response = as_alice.api("POST", "/api/collections?bogus=1", {"name": "X"})
    assert_json_error(response, 400, "invalid_input")
    assert as_alice.client.get("/api/collections").json()["collections"] == []
    page = as_alice.form("/collections?utm_source=x", {"name": "X"})
    assert page.status_code == 303  # a form ignores it, like a page


def test_a_parameter_repeated_is_not_unknown(client: TestClient) -> None:
    response = client.get("/api/feed?date=2026-03-11&date=2026-03-12")
    assert response.status_code == 200


# invalid values --------------------------------------------------------------------------------


def addresses_and_params() -> Iterator[tuple[str, str | None]]:
    for address, params in GET_ADDRESSES.items():
        if "{}" in address:
            yield address, None
        for name in params:
            yield address, name


@pytest.mark.parametrize(("address", "param"), list(addresses_and_params()))
def test_hostile_values_never_cause_a_server_error(
    address: str, param: str | None, client: TestClient
) -> None:
    for value in HOSTILE:
        if param is None:
            url, params = filled(address, quote(value, safe="")), {}
        else:
            url, params = filled(address), {param: value}
            if param != "q" and "q" in GET_ADDRESSES[address]:
                params["q"] = "graph"
        response = client.get(url, params=params, follow_redirects=False)
        assert response.status_code < 500, (url, params, response.text[:300])
        if response.status_code >= 400 and url.startswith("/api/"):
            assert_json_error(response, response.status_code)


@pytest.mark.parametrize("url", ["/papers/2603.10001%00", "/api/papers/%00", "/bibtex/%00"])
def test_a_nul_character_in_the_path_is_a_bad_request(client: TestClient, url: str) -> None:
    # No stored value can hold one, and PostgreSQL refuses it in any text it is sent.
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.text


def test_feed_at_the_ends_of_the_calendar_is_not_a_server_error(
    clients: Callable[..., TestClient],
) -> None:
    client = clients(raise_errors=False)  # to list every failure
    failures = []
    for address in ("/", "/api/feed"):
        for span in ("day", "week", "month"):
            for day in ("0001-01-01", "0001-01-03", "9999-12-25", "9999-12-31"):
                response = client.get(address, params={"date": day, "span": span})
                if response.status_code >= 500:
                    failures.append(f"{address}?date={day}&span={span}")
    assert not failures, f"server errors: {failures}"


def test_search_dates_at_the_ends_of_the_calendar_are_not_a_server_error(
    clients: Callable[..., TestClient],
) -> None:
    client = clients(raise_errors=False)  # to list every failure
    failures = []
    for address in ("/search", "/api/search", "/feeds/search.rss"):
        for param in ("since", "until") if not address.startswith("/feeds/") else ("since",):
            for day in ("0001-01-01", "1600-01-01", "2300-01-01", "9999-12-31"):
                response = client.get(address, params={"q": "graph", param: day})
                if response.status_code >= 500:
                    failures.append(f"{address}?q=graph&{param}={day}")
    assert not failures, f"server errors: {failures}"


def test_invalid_values_are_explained_per_field(client: TestClient) -> None:
    error = assert_json_error(client.get("/api/feed?date=2026-13-01&page=0"), 422, "invalid_input")
    assert set(error["fields"]) == {"query.date", "query.page"}
    page = client.get("/?date=yesterday")
    assert_html_error(page, 422)
    assert "query.date" in page.text


def test_invalid_ids_are_client_errors(client: TestClient, as_alice: Visitor) -> None:
    assert_json_error(client.get("/api/papers/not-a-paper"), 404, "paper_not_found")
    assert_json_error(client.get("/api/papers/"), 404)
    assert_json_error(client.get("/api/collections/abc"), 422, "invalid_input")
    assert_json_error(client.get("/api/collections/99999999999999999999"), 422)
    assert_json_error(as_alice.api("PUT", "/api/votes/" + "9" * 300), 404)
    assert_json_error(as_alice.api("DELETE", "/api/collections/1.5"), 422)
    assert_html_error(client.get("/collections/abc"), 422)
    assert_html_error(client.get("/papers/nope"), 404)


# oversized input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/api/search?q={}", "/search?q={}", "/feeds/search.rss?q={}", "/api/search?q=x&author={}"],
)
def test_overlong_query_parameters_are_refused(client: TestClient, url: str) -> None:
    response = client.get(url.format("x" * 501))
    assert response.status_code == 422
    if url.startswith("/api/"):
        assert_json_error(response, 422, "invalid_input")
    assert client.get(url.format("x" * 200)).status_code == 200


def test_huge_form_fields_are_refused(anon: Visitor, as_alice: Visitor) -> None:
    big = "x" * 300_000
    cases = [
        (anon, "/signup", {"email": "a@example.org", "password": "p" * 8, "display_name": big}),
        (anon, "/login", {"email": big, "password": "whatever"}),
        (anon, "/login", {"email": "a@example.org", "password": big}),
        (as_alice, "/collections", {"name": big}),
        (as_alice, "/collections/add", {"paper_id": "2603.10001", "new_name": "n", "tags": big}),
        (as_alice, "/submit", {"reference": big}),
    ]
    for visitor, path, data in cases:
        response = visitor.form(path, data)
        assert response.status_code == 422, (path, response.status_code)
    assert as_alice.client.get("/api/collections").json()["collections"] == []


def test_huge_json_fields_are_refused(anon: Visitor, as_alice: Visitor) -> None:
    cases = [
        (
            anon,
            "POST",
            "/api/auth/signup",
            {"email": "a@example.org", "password": "p" * 1025, "display_name": "A"},
        ),
        (anon, "POST", "/api/auth/login", {"email": "e" * 321, "password": "x"}),
        (as_alice, "POST", "/api/collections", {"name": "n" * 201}),
        (as_alice, "POST", "/api/submissions", {"reference": "2" * 301}),
    ]
    for visitor, method, path, body in cases:
        error = assert_json_error(visitor.api(method, path, body), 422, "invalid_input")
        assert error["fields"], error


def test_malformed_json_bodies_are_refused(as_alice: Visitor) -> None:
    headers = {"X-CSRF-Token": as_alice.csrf(), "content-type": "application/json"}
    for content in (b"{", b"[]", b'{"name": 5}', b"null", b'"\\ud800"', b'{"name": "\\ud800"}'):
        response = as_alice.client.post("/api/collections", content=content, headers=headers)
        assert 400 <= response.status_code < 500, (content, response.text)
        assert_json_error(response, response.status_code)


def test_bodies_over_a_megabyte_are_refused(as_alice: Visitor, anon: Visitor) -> None:
    headers = {"X-CSRF-Token": as_alice.csrf(), "content-type": "application/json"}
    body = b'{"name": "' + b"x" * 1_000_001 + b'"}'
    response = as_alice.client.post("/api/collections", content=body, headers=headers)
    assert_json_error(response, 413, "too_large")
    page = anon.client.post(
        "/login",
        content=b"email=" + b"x" * 1_000_001,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_html_error(page, 413)
    assert as_alice.client.get("/api/collections").json()["collections"] == []


def test_bodies_over_a_megabyte_are_refused_without_a_content_length(as_alice: Visitor) -> None:
    """A chunked body has no Content-Length header: the limit must hold all the same."""

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "Chunked", "padding": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}'

    headers = {"X-CSRF-Token": as_alice.csrf(), "content-type": "application/json"}
    response = as_alice.client.post("/api/collections", content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    assert_json_error(response, 413, "too_large")
    assert as_alice.client.get("/api/collections").json()["collections"] == []


# unknown addresses and methods -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/nothing", "/api", "/api/", "/api/feeds/x", "/api/auth"])
def test_unknown_api_addresses_are_json_404s(client: TestClient, path: str) -> None:
    error = assert_json_error(client.get(path), 404, "not_found")
    assert "nothing lives at" in error["message"]


@pytest.mark.parametrize("path", ["/nothing", "/papers", "/feeds", "/feeds/", "/static/"])
def test_unknown_pages_are_html_404s(client: TestClient, path: str) -> None:
    page = assert_html_error(client.get(path), 404)
    assert "Not found" in page


def test_wrong_methods_are_405(client: TestClient) -> None:
    assert_json_error(client.delete("/api/feed"), 405)
    assert_json_error(client.post("/api/papers/2603.10001"), 405)
    assert_html_error(client.put("/papers/2603.10001"), 405)
    assert_html_error(client.delete("/"), 405)


# the OpenAPI schema ----------------------------------------------------------------------------


def api_routes(app: Any) -> set[tuple[str, str]]:
    from tests.web.test_routes import all_routes

    return {
        (method, path)
        for method, path in all_routes(app)
        if path.startswith("/api/") and path not in ("/api/openapi.json", "/api/docs")
    }


def test_openapi_lists_the_api(client: TestClient, app: Any) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "papersift"
    listed = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }
    expected = {(m, p.replace(":path}", "}")) for m, p in api_routes(app)}
    assert {entry for entry in listed if entry[1].startswith("/api/")} == expected
    assert not {p for _, p in listed if not p.startswith(("/api/", "/feeds/"))}  # no pages
    error = schema["components"]["schemas"]["ErrorOut"]
    assert error["properties"]["error"]["$ref"].endswith("/ErrorDetail")
    search = schema["paths"]["/api/search"]["get"]
    assert {p["name"] for p in search["parameters"]} == set(SEARCH)
