"""Collections: create, rename, delete, papers with tags, exports, public and private."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from tests.web.conftest import Visitor, api_cards, assert_json_error, cards


def create(visitor: Visitor, name: str, *, public: bool = False) -> dict[str, Any]:
    response = visitor.api("POST", "/api/collections", {"name": name, "public": public})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def put(visitor: Visitor, cid: int, paper_id: str, tags: list[str] | None = None) -> Any:
    return visitor.api("PUT", f"/api/collections/{cid}/papers/{paper_id}", {"tags": tags or []})


@pytest.fixture
def private(as_alice: Visitor) -> int:
    """Alice's private collection of two papers."""
    cid = create(as_alice, "Secret reading")["id"]
    assert put(as_alice, cid, "2603.10001", ["graphs"]).status_code == 200
    assert put(as_alice, cid, "hep-th/9901001").status_code == 200
    return int(cid)


@pytest.fixture
def public(as_alice: Visitor) -> int:
    """Alice's public collection of two papers."""
    cid = create(as_alice, "Shared reading", public=True)["id"]
    assert put(as_alice, cid, "2603.10002", ["mt", "transformers"]).status_code == 200
    assert put(as_alice, cid, "2603.09001").status_code == 200
    return int(cid)


# the API ---------------------------------------------------------------------------------------


def test_create_list_rename_and_delete_with_the_api(as_alice: Visitor) -> None:
    created = create(as_alice, "  Graph   papers ")
    assert created["name"] == "Graph papers" and created["public"] is False
    assert created["size"] == 0 and created["url"] == f"/collections/{created['id']}"
    listed = as_alice.client.get("/api/collections").json()["collections"]
    assert listed == [created]
    assert_json_error(as_alice.api("POST", "/api/collections", {"name": "Graph papers"}), 409)
    patched = as_alice.api(
        "PATCH", f"/api/collections/{created['id']}", {"name": "Graphs", "public": True}
    )
    assert patched.status_code == 200
    assert patched.json() == {**created, "name": "Graphs", "public": True}
    second = create(as_alice, "Other")
    clash = as_alice.api("PATCH", f"/api/collections/{second['id']}", {"name": "Graphs"})
    assert_json_error(clash, 409, "conflict")
    deleted = as_alice.api("DELETE", f"/api/collections/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert_json_error(as_alice.client.get(f"/api/collections/{created['id']}"), 404, "not_found")
    assert [c["id"] for c in as_alice.client.get("/api/collections").json()["collections"]] == [
        second["id"]
    ]


def test_papers_and_tags_with_the_api(as_alice: Visitor) -> None:
    cid = create(as_alice, "Tagged")["id"]
    detail = put(as_alice, cid, "2603.10001", ["Graphs", " ML ", "graphs", ""]).json()
    assert detail["size"] == 1 and detail["mine"] is True and detail["owner"] == "Alice Example"
    [item] = detail["items"]
    assert item["paper"]["id"] == "2603.10001" and item["tags"] == ["graphs", "ml"]
    retagged = put(as_alice, cid, "2603.10001", ["proteins"]).json()  # again: new tags
    assert [i["tags"] for i in retagged["items"]] == [["proteins"]]
    assert put(as_alice, cid, "hep-th/9901001", []).json()["size"] == 2
    assert as_alice.client.get("/api/papers/2603.10001").json()["in_collections"] == [cid]
    removed = as_alice.api("DELETE", f"/api/collections/{cid}/papers/2603.10001")
    assert removed.status_code == 200
    assert [i["paper"]["id"] for i in removed.json()["items"]] == ["hep-th/9901001"]
    assert as_alice.client.get("/api/papers/2603.10001").json()["in_collections"] == []
    assert_json_error(put(as_alice, cid, "2699.99999"), 404, "paper_not_found")
    assert_json_error(put(as_alice, cid, "2603.10002", ["<script>"]), 400, "invalid_input")
    too_many = put(as_alice, cid, "2603.10002", [f"t{n}" for n in range(21)])
    assert too_many.status_code == 422
    assert_json_error(as_alice.api("POST", "/api/collections", {"name": "x" * 201}), 422)
    assert_json_error(as_alice.api("POST", "/api/collections", {"name": "   "}), 400)


def test_collection_page_shows_what_the_api_returns(
    as_alice: Visitor, public: int, anon: Visitor
) -> None:
    for visitor, mine in ((as_alice, True), (anon, False)):
        page = visitor.client.get(f"/collections/{public}")
        assert page.status_code == 200
        data = visitor.client.get(f"/api/collections/{public}").json()
        assert data["mine"] is mine and data["owner"] == "Alice Example"
        assert cards(page.text) == api_cards([item["paper"] for item in data["items"]])
        assert "#mt" in page.text and "#transformers" in page.text
        assert ("Edit collection" in page.text) is mine
        assert (f"/collections/{public}/remove" in page.text) is mine
        assert f"/feeds/collections/{public}.rss" in page.text
    listing = as_alice.client.get("/collections").text
    names = [c["name"] for c in as_alice.client.get("/api/collections").json()["collections"]]
    assert names == ["Shared reading"] and "Shared reading" in listing


# the forms -------------------------------------------------------------------------------------


def test_create_edit_save_remove_and_delete_with_the_forms(as_alice: Visitor) -> None:
    page = as_alice.client.get("/collections")
    assert "No collections yet" in page.text
    response = as_alice.form(
        "/collections", {"name": "Form made", "public": "1"}, page="/collections"
    )
    assert response.status_code == 303
    cid = int(response.headers["location"].rsplit("/", 1)[1])
    detail = as_alice.client.get(f"/api/collections/{cid}").json()
    assert detail["name"] == "Form made" and detail["public"] is True
    duplicate = as_alice.form("/collections", {"name": "Form made"}, page="/collections")
    assert duplicate.status_code == 409 and "already have a collection" in duplicate.text
    empty = as_alice.form("/collections", {"name": "  "}, page="/collections")
    assert empty.status_code == 400 and "1 to 200 characters" in empty.text
    # save from the paper page: into this collection, then into a new one
    saved = as_alice.form(
        "/collections/add",
        {"paper_id": "2603.10001", "collection_id": str(cid), "tags": "Graphs, proteins"},
        page="/papers/2603.10001",
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/papers/2603.10001"
    paper_page = as_alice.client.get("/papers/2603.10001").text
    assert f'<a href="/collections/{cid}">Form made</a>' in paper_page
    made = as_alice.form(
        "/collections/add",
        {"paper_id": "2603.10002", "new_name": "Made on the fly"},
        page="/papers/2603.10002",
    )
    assert made.status_code == 303
    names = {
        c["name"]: c["size"] for c in as_alice.client.get("/api/collections").json()["collections"]
    }
    assert names == {"Form made": 1, "Made on the fly": 1}
    neither = as_alice.form("/collections/add", {"paper_id": "2603.10002"}, page="/collections")
    assert neither.status_code == 400 and "choose a collection" in neither.text.lower()
    missing_paper = as_alice.form(
        "/collections/add", {"paper_id": "2699.99999", "collection_id": str(cid)}
    )
    assert missing_paper.status_code == 404
    items = as_alice.client.get(f"/api/collections/{cid}").json()["items"]
    assert [(i["paper"]["id"], i["tags"]) for i in items] == [
        ("2603.10001", ["graphs", "proteins"])
    ]
    # rename (unchecking public), remove the paper, delete
    edited = as_alice.form(
        f"/collections/{cid}/edit", {"name": "Renamed"}, page=f"/collections/{cid}"
    )
    assert edited.status_code == 303 and edited.headers["location"] == f"/collections/{cid}"
    detail = as_alice.client.get(f"/api/collections/{cid}").json()
    assert detail["name"] == "Renamed" and detail["public"] is False
    removed = as_alice.form(f"/collections/{cid}/remove", {"paper_id": "2603.10001"})
    assert removed.status_code == 303
    assert as_alice.client.get(f"/api/collections/{cid}").json()["items"] == []
    assert "This collection is empty" in as_alice.client.get(f"/collections/{cid}").text
    deleted = as_alice.form(f"/collections/{cid}/delete", {})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/collections"
    assert as_alice.client.get(f"/collections/{cid}").status_code == 404


# exports ---------------------------------------------------------------------------------------


def test_export_bibtex_and_json(as_alice: Visitor, private: int) -> None:
    bib = as_alice.client.get(f"/collections/{private}/export.bib")
    assert bib.status_code == 200
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    assert bib.headers["content-disposition"] == "attachment; filename*=UTF-8''Secret%20reading.bib"
    assert bib.text.count("@") == 2
    for paper_id in ("2603.10001", "hep-th/9901001"):
        assert as_alice.client.get(f"/api/papers/{paper_id}").json()["bibtex"].strip() in bib.text
    exported = as_alice.client.get(f"/collections/{private}/export.json")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/json")
    assert exported.headers["content-disposition"].endswith("Secret%20reading.json")
    data = orjson.loads(exported.content)
    assert data["collection"] == {
        "id": private,
        "name": "Secret reading",
        "public": False,
        "owner": "Alice Example",
    }
    assert {p["id"]: p["tags"] for p in data["papers"]} == {
        "2603.10001": ["graphs"],
        "hep-th/9901001": [],
    }
    assert all(p["title"] and p["added_at"] for p in data["papers"])


def test_export_of_an_empty_collection_and_an_unusual_name(as_alice: Visitor) -> None:
    cid = create(as_alice, 'Ünïcode "quotes"; and/slashes')["id"]
    bib = as_alice.client.get(f"/collections/{cid}/export.bib")
    assert bib.status_code == 200 and bib.text.strip() == ""
    disposition = bib.headers["content-disposition"]
    assert '"' not in disposition.split("''", 1)[1] and ";" not in disposition.split("''", 1)[1]
    assert (
        orjson.loads(as_alice.client.get(f"/collections/{cid}/export.json").content)["papers"] == []
    )


# privacy and ownership -------------------------------------------------------------------------

READ_PATHS = [
    "/collections/{cid}",
    "/api/collections/{cid}",
    "/collections/{cid}/export.bib",
    "/collections/{cid}/export.json",
    "/feeds/collections/{cid}.rss",
    "/feeds/collections/{cid}.atom",
]


@pytest.mark.parametrize("path", READ_PATHS)
def test_private_collections_are_the_owners_alone(
    path: str, private: int, as_alice: Visitor, as_bob: Visitor, anon: Visitor
) -> None:
    url = path.format(cid=private)
    if not url.startswith("/feeds/"):  # feeds are anonymous: public collections only
        assert as_alice.client.get(url).status_code == 200
    for visitor in (as_bob, anon):
        response = visitor.client.get(url)
        # answered like a missing collection: private ones cannot be enumerated
        assert response.status_code == 404, response.text
        absent = visitor.client.get(path.format(cid=9999))
        assert absent.status_code == 404
        if url.startswith("/api/"):
            error = assert_json_error(response, 404, "not_found")
            assert error == {**absent.json()["error"], "message": f"no collection {private}"}
        else:
            assert f"no collection {private}" in response.text.lower()
            assert "Reading" not in response.text
            assert "private" not in response.text.lower()


@pytest.mark.parametrize("path", READ_PATHS)
def test_public_collections_are_for_everyone(
    path: str, public: int, as_bob: Visitor, anon: Visitor
) -> None:
    for visitor in (as_bob, anon):
        response = visitor.client.get(path.format(cid=public))
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", READ_PATHS)
def test_missing_collections_are_404(path: str, as_alice: Visitor, anon: Visitor) -> None:
    for cid in ("9999", "0", "-1"):
        for visitor in (as_alice, anon):
            assert visitor.client.get(path.format(cid=cid)).status_code == 404


@pytest.mark.parametrize("path", READ_PATHS)
def test_collection_ids_that_are_not_numbers_are_refused(path: str, client: TestClient) -> None:
    for cid in ("abc", "1.5", "99999999999999999999"):
        response = client.get(path.format(cid=cid))
        assert 400 <= response.status_code < 500, (cid, response.status_code)


def owner_only_calls(cid: int) -> list[tuple[str, str, dict[str, Any], bool]]:
    return [
        ("PATCH", f"/api/collections/{cid}", {"name": "Hijacked", "public": True}, False),
        ("DELETE", f"/api/collections/{cid}", {}, False),
        ("PUT", f"/api/collections/{cid}/papers/2603.10003", {"tags": ["x"]}, False),
        ("DELETE", f"/api/collections/{cid}/papers/2603.10002", {}, False),
        ("POST", f"/collections/{cid}/edit", {"name": "Hijacked", "public": "1"}, True),
        ("POST", f"/collections/{cid}/delete", {}, True),
        ("POST", f"/collections/{cid}/remove", {"paper_id": "2603.10002"}, True),
        ("POST", "/collections/add", {"paper_id": "2603.10003", "collection_id": str(cid)}, True),
    ]


def send(visitor: Visitor, method: str, path: str, body: dict[str, Any], form: bool) -> Any:
    if form:
        return visitor.form(path, body)
    return visitor.api(method, path, body or None)


def test_only_the_owner_changes_a_collection(
    public: int, as_alice: Visitor, as_bob: Visitor, anon: Visitor
) -> None:
    before = as_alice.client.get(f"/api/collections/{public}").json()
    for method, path, body, form in owner_only_calls(public):
        response = send(as_bob, method, path, body, form)
        assert response.status_code == 403, (method, path, response.text)
        if not form:
            assert "only the owner" in assert_json_error(response, 403, "forbidden")["message"]
        anonymous = send(anon, method, path, body, form)
        assert anonymous.status_code == 401, (method, path, anonymous.text)
    assert as_alice.client.get(f"/api/collections/{public}").json() == before


def test_changing_a_missing_collection_is_404(as_alice: Visitor) -> None:
    for method, path, body, form in owner_only_calls(9999):
        response = send(as_alice, method, path, body, form)
        assert response.status_code == 404, (method, path, response.text)
    for method, path, body, form in owner_only_calls(99999999999999999999):
        response = send(as_alice, method, path, body, form)
        assert 400 <= response.status_code < 500, (method, path, response.text)


def test_collections_need_a_login(anon: Visitor) -> None:
    assert_json_error(anon.client.get("/api/collections"), 401)
    assert_json_error(anon.api("POST", "/api/collections", {"name": "Nope"}), 401)
    assert anon.form("/collections", {"name": "Nope"}).status_code == 401


def test_collection_feed_lists_its_papers(public: int, anon: Visitor) -> None:
    rss = etree.fromstring(anon.client.get(f"/feeds/collections/{public}.rss").content)
    links = rss.xpath("//item/link/text()")
    assert sorted(links) == [
        "http://127.0.0.1:8000/papers/2603.09001",
        "http://127.0.0.1:8000/papers/2603.10002",
    ]
    assert rss.xpath("//channel/title/text()") == ["papersift: Shared reading (Alice Example)"]


def test_patch_changes_only_the_fields_it_names(as_alice: Visitor, public: int) -> None:
    path = f"/api/collections/{public}"
    renamed = as_alice.api("PATCH", path, {"name": "Renamed only"})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["public"]) == ("Renamed only", True)
    hidden = as_alice.api("PATCH", path, {"public": False}).json()
    assert (hidden["name"], hidden["public"]) == ("Renamed only", False)
    unchanged = as_alice.api("PATCH", path, {}).json()
    assert (unchanged["name"], unchanged["public"]) == ("Renamed only", False)
    assert_json_error(as_alice.api("PATCH", path, {"name": "  "}), 400, "invalid_input")
    assert_json_error(as_alice.api("PATCH", path, {"public": "sometimes"}), 422)
    assert_json_error(as_alice.api("PATCH", "/api/collections/9999", {"public": True}), 404)
