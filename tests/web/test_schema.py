"""The OpenAPI document is the contract: schemathesis calls every operation of the served
schema with generated input (a bounded, seeded number of examples), anonymously and logged in,
and fails on any server error or any answer the schema does not describe (status, media type,
body)."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from tests.web.conftest import Visitor

EXAMPLES = 20  # per operation and visitor: the suite stays fast; the seed keeps it repeatable
# Any server error, and any answer the schema does not describe: its status, its media type,
# its headers, its body; and a 405 must say what is allowed.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def identity(visitor: Visitor) -> tuple[dict[str, str], dict[str, str]]:
    """The headers and cookies a visitor sends: its cookies and CSRF token."""
    token = visitor.csrf()
    return {"X-CSRF-Token": token}, dict(visitor.client.cookies.items())


def test_every_answer_matches_the_schema(app: FastAPI, anon: Visitor, as_alice: Visitor) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    visitors = [identity(anon), identity(as_alice)]
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            for headers, cookies in visitors:
                response = case.call(headers=headers, cookies=cookies)
                case.validate_response(response, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as error:  # every failure, then report them all
            failures.append(f"{operation.label}: {str(error)[:800]}")
    assert not failures, "\n\n".join(failures)


def test_method_not_allowed_says_what_is(client: Any) -> None:
    response = client.delete("/api/feed")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_schema_documents_feeds_and_errors(client: Any) -> None:
    document = client.get("/api/openapi.json").json()
    daily = document["paths"]["/feeds/daily.{kind}"]["get"]["responses"]
    assert set(daily["200"]["content"]) == {"application/rss+xml", "application/atom+xml"}
    search = document["paths"]["/api/search"]["get"]["responses"]
    assert {"400", "404", "422", "429"} <= set(search)


def test_the_api_takes_what_its_schema_says_and_nothing_looser(
    client: Any, as_alice: Visitor
) -> None:
    for query in ("date=0", "date=20260312", "category=Not!Valid"):
        response = client.get(f"/api/feed?{query}")
        assert response.status_code == 422, (query, response.text)
    assert client.get("/api/search?q=x&since=0").status_code == 422
    assert client.get("/api/feed?date=2026-03-12&category=cs.CL").status_code == 200
    for public in (0.0, 1, "yes"):
        made = as_alice.api("POST", "/api/collections", {"name": "Strict", "public": public})
        assert made.status_code == 422, (public, made.text)
    document = client.get("/api/openapi.json").json()
    parameters = document["paths"]["/api/feed"]["get"]["parameters"]
    category = next(p for p in parameters if p["name"] == "category")
    assert "pattern" in str(category["schema"])
