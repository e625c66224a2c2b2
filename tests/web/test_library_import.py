"""Importing BibTeX, RIS and CSL-JSON into a collection, and exporting RIS and CSL-JSON: the
rules through the engine, then the form, the API and the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from lxml import html

from papersift.cli import main
from papersift.engine import Engine
from papersift.errors import InvalidInputError
from papersift.features.library_import import BY_ARXIV_ID, BY_DOI, BY_TITLE, FETCHED
from papersift.features.reference_formats import read_references
from papersift.model import Paper
from papersift.store.users import User
from tests.conftest import make_paper, write_jsonl
from tests.oai_server import ScriptedServer
from tests.web.conftest import ARXIV_DOWN, Account, Visitor, assert_json_error

LATEX_TITLES = [  # (as a BibTeX file writes it, as the store holds it)
    (
        r"{T}ransformers for {S}chr\"{o}dinger bridges {LATEXNUM}",
        "Transformers for Schrödinger bridges {NUM}",
    ),
    (r"On the Erd\H{o}s--R\'enyi model, part {LATEXNUM}", "On the Erdős–Rényi model, part {NUM}"),
    (r"{\em Na\"{\i}ve} {B}ayes at scale {LATEXNUM}", "Naïve Bayes at scale {NUM}"),
    (r"Ca\c{c}ador \& {G}ro{\ss}e graphs {LATEXNUM}", "Caçador & Große graphs {NUM}"),
]
# Ten malformed entries, each a different way a hand-edited file goes wrong; the entry after
# each stays readable. The duplicate key repeats a good entry's key.
MALFORMED = {
    "bad01": "@article{bad01 title={Missing comma after the key}}",
    "bad02": "@article{bad02, title={{Unclosed brace}, year={2020}",
    "bad03": "@article{bad03, title={Double comma}, year=2020,, }",
    "bad04": '@article{bad04, title = "Unterminated quote}',
    "bad05": "@article{bad05, title={A field}, title={given twice}}",
    "bad06": "@article{bad06, title {Missing equals sign}}",
    "bad07": "@article{bad07, title={x}, year={2020}, note={{unbalanced}",
    "bad08": "@article{bad08, title={x}, {year}={2020}}",
    "bad09": "@book{bad09, title={A field with no value}, publisher}",
    "eprint000": "@article{eprint000, title={The same key as the first entry}}",
}


def stored_papers() -> list[Paper]:
    """190 papers besides the web corpus: 160 arXiv papers (50 with a DOI too), 30 from another
    source with a DOI, to be named by the 200-entry file."""
    papers = [
        make_paper(
            f"2604.2{n:04d}",
            title=f"Stochastic study {n} of sparse retrieval",
            doi=f"10.1234/journal.{n}" if n >= 120 else None,
            categories=("cs.IR",),
        )
        for n in range(160)
    ]
    for n in range(40):  # titles the import file spells in LaTeX
        _latex, plain = LATEX_TITLES[n % len(LATEX_TITLES)]
        papers[40 + n] = make_paper(
            f"2604.2{40 + n:04d}", title=plain.replace("{NUM}", f"{n}"), categories=("cs.LG",)
        )
    papers += [
        make_paper(
            f"journal:{n}",
            title=f"A journal paper {n} on databases",
            doi=f"10.5555/DB.{n}",
            source="journal",
            categories=(),
        )
        for n in range(30)
    ]
    return papers


def two_hundred_entries() -> tuple[str, dict[str, tuple[str, str]], set[str]]:
    """The 200-entry file, {key: (paper id, how it must match)} of the entries whose paper is
    stored, and the keys of entries naming no stored paper."""
    parts: list[str] = []
    expected: dict[str, tuple[str, str]] = {}
    absent: set[str] = set()
    spellings = ["{id}", "{id}v2", "arXiv:{id}", "https://arxiv.org/abs/{id}v1"]
    for n in range(40):  # eprint, in its spellings, with an unrelated title
        key = f"eprint{n:03d}"
        paper_id = f"2604.2{n:04d}"
        eprint = spellings[n % 4].format(id=paper_id)
        prefix = "  archivePrefix = {arXiv},\n" if n % 2 else ""
        parts.append(
            f"@misc{{{key},\n  title = {{Preprint title as cited {n}}},\n"
            f"{prefix}  eprint = {{{eprint}}}\n}}"
        )
        expected[key] = (paper_id, BY_ARXIV_ID)
    for n in range(40):  # LaTeX-escaped titles, nothing else
        key = f"latex{n:03d}"
        latex, _ = LATEX_TITLES[n % len(LATEX_TITLES)]
        parts.append(f"@article{{{key},\n  title = {{{latex.replace('{LATEXNUM}', str(n))}}}\n}}")
        expected[key] = (f"2604.2{40 + n:04d}", BY_TITLE)
    places = [
        "url = {{https://arxiv.org/abs/{id}}}",
        "url = {{http://arxiv.org/pdf/{id}v3.pdf}}",
        "note = {{arXiv:{id} [cs.IR]}}",
        "journal = {{arXiv preprint arXiv:{id}}}",
        "howpublished = {{\\url{{https://arxiv.org/abs/{id}}}}}",
    ]
    for n in range(80, 120):  # arXiv ids in url, note, journal, howpublished
        key = f"url{n:03d}"
        paper_id = f"2604.2{n:04d}"
        where = places[n % len(places)].format(id=paper_id)
        parts.append(f"@article{{{key},\n  title = {{Cited differently {n}}},\n  {where}\n}}")
        expected[key] = (paper_id, BY_ARXIV_ID)
    for n in range(120, 150):  # DOIs of arXiv papers, in several spellings
        key = f"doi{n:03d}"
        doi = [f"10.1234/journal.{n}", f"https://doi.org/10.1234/JOURNAL.{n}"][n % 2]
        parts.append(f"@article{{{key},\n  title = {{Published as {n}}},\n  doi = {{{doi}}}\n}}")
        expected[key] = (f"2604.2{n:04d}", BY_DOI)
    for n in range(15):  # DOIs of non-arXiv papers
        key = f"journal{n:03d}"
        parts.append(f"@article{{{key},\n  title = {{Anything}},\n  doi = {{10.5555/db.{n}}}\n}}")
        expected[key] = (f"journal:{n}", BY_DOI)
    for n in range(15, 30):  # titles only, case and punctuation changed
        key = f"title{n:03d}"
        parts.append(
            f"@inproceedings{{{key},\n  title = {{A Journal Paper {n}: on Databases.}}\n}}"
        )
        expected[key] = (f"journal:{n}", BY_TITLE)
    for n in range(10):  # nothing in the store
        key = f"absent{n:03d}"
        field = f"doi = {{10.9999/nowhere.{n}}}" if n % 2 else f"title = {{Unheard-of work {n}}}"
        parts.append(f"@article{{{key},\n  {field}\n}}")
        absent.add(key)
    for bad in MALFORMED.values():
        parts.insert(len(parts) // 2 if bad.startswith("@article{bad0") else len(parts), bad)
    return "\n\n".join(parts) + "\n", expected, absent


@pytest.fixture
def big_store(engine: Engine, tmp_path: Path) -> Engine:
    report = engine.ingest([write_jsonl(tmp_path / "more.jsonl", stored_papers())])
    assert report.malformed == 0
    return engine


def user_of(engine: Engine, account: Account) -> User:
    user = engine.users.by_id(account.id)
    assert user is not None
    return user


def test_200_entry_bibtex_file_matches_every_stored_paper_and_names_each_malformed_entry(
    big_store: Engine, alice: Account
) -> None:
    text, expected, absent = two_hundred_entries()
    assert text.count("\n@") + 1 == 200
    user = user_of(big_store, alice)
    collection = big_store.library.create(user, "Zotero library")
    report = big_store.library_import.run(user, collection.id, text.encode(), filename="my.bib")
    assert report.format == "bibtex" and report.entries == 200
    got = {entry.key: (entry.paper_id, entry.matched_by) for entry in report.matched}
    assert got == expected  # every entry whose paper is stored, matched the expected way
    assert report.fetched == []
    assert {entry.key for entry in report.unmatched} == absent
    reasons = {entry.key: entry.reason for entry in report.unmatched}
    assert reasons["absent000"] == "no paper in the store has this title"
    assert reasons["absent001"] == "no paper in the store has this DOI"
    assert {entry.key for entry in report.malformed} == set(MALFORMED)
    assert all("line" in entry.reason for entry in report.malformed)
    duplicate = next(e for e in report.malformed if e.key == "eprint000")
    assert "same key" in duplicate.reason
    held = {paper.id for paper, _ in big_store.library.view(user, collection.id).items}
    assert held == {paper_id for paper_id, _ in expected.values()}
    assert report.added == len(held) == 180


def test_importing_twice_changes_nothing(big_store: Engine, alice: Account) -> None:
    text, expected, _ = two_hundred_entries()
    user = user_of(big_store, alice)
    collection = big_store.library.create(user, "Twice")
    big_store.library.put(user, collection.id, "2604.20003", ("kept",))
    first = big_store.library_import.run(user, collection.id, text)
    before = big_store.library.view(user, collection.id).items
    second = big_store.library_import.run(user, collection.id, text)
    after = big_store.library.view(user, collection.id).items
    assert after == before  # same papers, tags, order and dates
    assert first.added == 179 and first.already == 1
    assert second.added == 0 and second.already == len(expected)
    assert [e.key for e in second.matched] == [e.key for e in first.matched]
    assert {paper.id: item.tags for paper, item in after}["2604.20003"] == ("kept",)


def test_ris_import(big_store: Engine, alice: Account) -> None:
    ris = """TY  - JOUR
ID  - byurl
TI  - Whatever the title
AU  - Lovelace, Ada
UR  - http://arxiv.org/abs/2604.20100v2
ER  -

TY  - PREPRINT
ID  - bynote
TI  - Something
N1  - arXiv:2604.20101 [cs]
ER  -

TY  - JOUR
ID  - bydoi
TI  - Else
DO  - 10.1234/JOURNAL.150
ER  -

TY  - CONF
ID  - bytitle
T1  - A journal paper 7 -- on databases
ER  -

TI  - A record without its TY line
ID  - noty
ER  -

TY  - JOUR
ID  - noend
TI  - A record that never ends
TY  - JOUR
ID  - nothing
TI  - Unheard of
ER  -
"""
    user = user_of(big_store, alice)
    collection = big_store.library.create(user, "From EndNote")
    report = big_store.library_import.run(user, collection.id, ris.encode(), filename="x.ris")
    assert report.format == "ris" and report.entries == 7
    assert {(e.key, e.paper_id, e.matched_by) for e in report.matched} == {
        ("byurl", "2604.20100", BY_ARXIV_ID),
        ("bynote", "2604.20101", BY_ARXIV_ID),
        ("bydoi", "2604.20150", BY_DOI),
        ("bytitle", "journal:7", BY_TITLE),
    }
    assert {(e.key, e.reason) for e in report.malformed} == {
        ("noty", "the record does not start with a TY line"),
        ("noend", "the record has no ER line (end of record)"),
    }
    assert [e.key for e in report.unmatched] == ["nothing"]


def test_csl_json_import(big_store: Engine, alice: Account) -> None:
    items: list[Any] = [
        {
            "id": "zotero1",
            "type": "article",
            "title": "x",
            "URL": "http://arxiv.org/abs/2604.20005",
        },
        {"id": "zotero2", "type": "article", "title": "y", "number": "arXiv:2604.20006"},
        {"id": "zotero3", "type": "article", "title": "z", "DOI": "10.48550/arXiv.2604.20007"},
        {"id": "zotero4", "type": "article-journal", "DOI": "10.5555/db.3"},
        {"id": 5, "type": "article", "title": "Stochastic Study 8 of Sparse Retrieval"},
        {"id": "bad-title", "title": ["not", "text"]},
        "not an object",
        {"type": "article", "title": "No key and no match"},
    ]
    user = user_of(big_store, alice)
    collection = big_store.library.create(user, "From Zotero")
    data = orjson.dumps(items)
    report = big_store.library_import.run(user, collection.id, data, filename="lib.json")
    assert report.format == "csl-json" and report.entries == 8
    assert {(e.key, e.paper_id, e.matched_by) for e in report.matched} == {
        ("zotero1", "2604.20005", BY_ARXIV_ID),
        ("zotero2", "2604.20006", BY_ARXIV_ID),
        ("zotero3", "2604.20007", BY_ARXIV_ID),
        ("zotero4", "journal:3", BY_DOI),
        ("5", "2604.20008", BY_TITLE),
    }
    assert {e.key for e in report.malformed} == {"bad-title", "item 7"}
    assert [e.key for e in report.unmatched] == ["item 8"]


def test_arxiv_papers_not_in_the_store_are_fetched(
    engine: Engine, alice: Account, arxiv: ScriptedServer
) -> None:
    bib = """@misc{fresh, title={Cited title}, eprint={2603.12345}, archivePrefix={arXiv}}
@misc{unknown, title={No such preprint}, eprint={2603.99999}}
@misc{stored, url={https://arxiv.org/abs/2603.10001}}
@misc{kernels, note={arXiv:2603.12346 [stat.ML]}}
"""
    user = user_of(engine, alice)
    collection = engine.library.create(user, "Fetching")
    report = engine.library_import.run(user, collection.id, bib)
    assert [(e.key, e.paper_id, e.matched_by) for e in report.fetched] == [
        ("fresh", "2603.12345", FETCHED),
        ("kernels", "2603.12346", FETCHED),
    ]
    assert [(e.key, e.paper_id) for e in report.matched] == [("stored", "2603.10001")]
    assert [(e.key, e.reason) for e in report.unmatched] == [
        ("unknown", "not in the store, and arXiv has no paper 2603.99999")
    ]
    fetched = engine.papers.get("2603.12345")
    assert fetched is not None and fetched.title == "A fresh paper on sparse autoencoders"
    assert "2603.12345" in {h.paper_id for h in engine.keyword_index.search("autoencoders", 5)}
    # one request for every missing paper, never one for a stored paper
    assert [r.get("id_list") for r in arxiv.requests] == ["2603.12345,2603.99999,2603.12346"]
    arxiv.requests.clear()
    again = engine.library_import.run(user, collection.id, bib)
    assert [(e.key, e.matched_by, e.added) for e in again.matched] == [
        ("fresh", BY_ARXIV_ID, False),
        ("stored", BY_ARXIV_ID, False),
        ("kernels", BY_ARXIV_ID, False),
    ]
    assert [r.get("id_list") for r in arxiv.requests] == ["2603.99999"]


def test_an_unreachable_arxiv_leaves_its_entries_unmatched_with_the_reason(
    engine: Engine, alice: Account, arxiv: ScriptedServer
) -> None:
    bib = f"@misc{{fresh, eprint={{2603.12345}}}}\n@misc{{down, note={{arXiv:{ARXIV_DOWN}}}}}\n"
    user = user_of(engine, alice)
    collection = engine.library.create(user, "Down")
    report = engine.library_import.run(user, collection.id, bib)
    assert report.fetched == [] and report.matched == []
    for entry in report.unmatched:
        assert entry.reason.startswith("not in the store, and not fetched: ")
        assert "HTTP 503" in entry.reason
    assert engine.papers.get("2603.12345") is None


def test_fetches_per_import_are_bounded(
    engine: Engine, alice: Account, arxiv: ScriptedServer
) -> None:
    engine.library_import.max_fetches = 1
    bib = "@misc{a, eprint={2603.12345}}\n@misc{b, eprint={2603.12346}}\n"
    user = user_of(engine, alice)
    collection = engine.library.create(user, "Bounded")
    first = engine.library_import.run(user, collection.id, bib)
    assert [e.key for e in first.fetched] == ["a"]
    assert "import the file again" in first.unmatched[0].reason
    second = engine.library_import.run(user, collection.id, bib)
    assert [e.key for e in second.fetched] == ["b"] and second.unmatched == []


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.bib", b"\xff\xfe\x00garbage", "not UTF-8"),
        ("x", b"just some words, no entries", "not BibTeX, RIS or CSL-JSON"),
        ("x", b'[{"id": "x", "title": "unterminated}]', "not valid JSON"),
        ("x.json", b'"a string"', "a list of items"),
        ("x.bib", b"% a comment only\n", "holds no BibTeX entries"),
        ("x.ris", b"nothing\n", "not start with a TY line"),
        ("x.bib", b"x" * 5_000_001, "larger than 5 MB"),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(name: str, data: bytes, message: str) -> None:
    try:
        found = read_references(data, filename=name)
    except InvalidInputError as error:
        assert message in str(error)
        return
    assert found.references == [] and message in found.malformed[0].reason


# exports and the web -------------------------------------------------------------------


def api_import(visitor: Visitor, cid: int, name: str, data: bytes, **form: str) -> Any:
    return visitor.client.post(
        f"/api/collections/{cid}/import",
        files={"file": (name, data, "application/octet-stream")},
        data=form,
        headers={"X-CSRF-Token": visitor.csrf()},
    )


def create(visitor: Visitor, name: str) -> int:
    response = visitor.api("POST", "/api/collections", {"name": name})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.mark.parametrize(("suffix", "media"), [("ris", "research-info"), ("csl.json", "csl+json")])
def test_export_then_import_gives_the_same_collection(
    as_alice: Visitor, suffix: str, media: str
) -> None:
    source = create(as_alice, "Original")
    ids = ["2603.10001", "2603.10002", "hep-th/9901001", "scifact:42", "2603.06007"]
    for paper_id in ids:
        put = as_alice.api("PUT", f"/api/collections/{source}/papers/{paper_id}", {"tags": []})
        assert put.status_code == 200
    exported = as_alice.client.get(f"/collections/{source}/export.{suffix}")
    assert exported.status_code == 200 and media in exported.headers["content-type"]
    assert exported.headers["content-disposition"].endswith(f"Original.{suffix}")
    target = create(as_alice, "Copy")
    response = api_import(as_alice, target, f"Original.{suffix}", exported.content)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["entries"] == 5 and report["added"] == 5
    assert report["unmatched"] == [] and report["malformed"] == []
    copy = as_alice.client.get(f"/api/collections/{target}").json()
    assert sorted(item["paper"]["id"] for item in copy["items"]) == sorted(ids)
    assert report["collection"]["size"] == 5


def test_exports_are_readable_by_the_importers_parsers(as_alice: Visitor) -> None:
    source = create(as_alice, "Check")
    as_alice.api("PUT", f"/api/collections/{source}/papers/2603.10003", {"tags": []})
    ris = as_alice.client.get(f"/collections/{source}/export.ris").text
    assert ris.startswith("TY  - PREPRINT\n") and "AU  - Paul Erdős" in ris
    assert "UR  - https://arxiv.org/abs/2603.10003" in ris and ris.rstrip().endswith("ER  -")
    items = as_alice.client.get(f"/collections/{source}/export.csl.json").json()
    assert items[0]["title"] == "Random walks on random graphs"
    assert items[0]["author"] == [{"family": "Erdős", "given": "Paul"}]
    assert items[0]["URL"] == "https://arxiv.org/abs/2603.10003"


def test_import_with_the_form_shows_the_report(as_alice: Visitor) -> None:
    cid = create(as_alice, "Form import")
    page = as_alice.client.get(f"/collections/{cid}")
    form = html.fromstring(page.text).xpath(f'//form[@action="/collections/{cid}/import"]')
    assert form and form[0].get("enctype") == "multipart/form-data"
    token = form[0].xpath('.//input[@name="csrf_token"]')[0].get("value")
    bib = b"@misc{one, eprint={2603.10002}}\n@misc{two, title={Nothing like it}}\n@misc{bad title}"
    response = as_alice.client.post(
        f"/collections/{cid}/import",
        files={"file": ("refs.bib", bib, "text/x-bibtex")},
        data={"csrf_token": token},
    )
    assert response.status_code == 200
    report = html.fromstring(response.text).xpath('//section[contains(@class, "import-report")]')
    assert report, response.text
    text = report[0].text_content()
    assert "3 entries read (bibtex): 1 matched, 0 fetched from arXiv, 1 unmatched, 1 malformed" in (
        " ".join(text.split())
    )
    assert "two: no paper in the store has this title" in text
    assert "bad" in text
    assert "Transformers for low-resource machine translation" in response.text  # the listing
    refused = as_alice.client.post(
        f"/collections/{cid}/import",
        files={"file": ("refs.bib", b"not a reference file at all", "text/plain")},
        data={"csrf_token": token},
    )
    assert refused.status_code == 400
    assert "Nothing was imported: the file holds no BibTeX entries" in refused.text
    no_token = as_alice.client.post(
        f"/collections/{cid}/import", files={"file": ("refs.bib", bib, "text/x-bibtex")}
    )
    assert no_token.status_code == 403


def test_api_import_refuses_what_it_cannot_read(
    as_alice: Visitor, as_bob: Visitor, anon: Visitor
) -> None:
    cid = create(as_alice, "API import")
    assert_json_error(api_import(as_alice, cid, "x.json", b"{not json"), 400)
    assert_json_error(api_import(as_alice, cid, "x.bib", b"@misc{a}", format="pdf"), 422)
    empty = api_import(as_alice, cid, "x.bib", b"")
    assert_json_error(empty, 400)
    big = b"@misc{a, title={" + b"x" * 1_100_000 + b"}}"
    assert_json_error(api_import(as_alice, cid, "big.bib", big), 413)
    assert_json_error(api_import(as_bob, cid, "x.bib", b"@misc{a, eprint={2603.10001}}"), 404)
    assert_json_error(api_import(anon, cid, "x.bib", b"@misc{a, eprint={2603.10001}}"), 401)
    missing = as_alice.client.post(
        f"/api/collections/{cid}/import", headers={"X-CSRF-Token": as_alice.csrf()}
    )
    assert_json_error(missing, 422)
    ok = api_import(as_alice, cid, "x.txt", b"TY  - JOUR\nUR  - arxiv.org/abs/2603.10001\nER  - \n")
    assert ok.status_code == 200 and ok.json()["format"] == "ris"
    assert ok.json()["matched"] == [
        {
            "key": "record 1 (line 1)",
            "paper_id": "2603.10001",
            "matched_by": "arxiv_id",
            "added": True,
            "url": "/papers/2603.10001",
        }
    ]


def test_import_from_the_command_line(
    engine: Engine, alice: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERSIFT_DATABASE_URL", raising=False)
    monkeypatch.setenv("PAPERSIFT_DATABASE_URL", engine.settings.store_url)
    monkeypatch.setenv("PAPERSIFT_EMBEDDER_BACKEND", "none")
    path = tmp_path / "library.bib"
    path.write_text("@misc{one, eprint={2603.10001}}\n@misc{bad title}\n")
    data_dir = str(engine.settings.data_dir)
    args = ["--data-dir", data_dir, "import", str(path), "--collection", "Imported"]
    result = CliRunner().invoke(main, [*args, "--email", "Alice@Example.org"])
    assert result.exit_code == 0, result.output
    assert "2 entries (bibtex) into 'Imported': 1 matched" in result.output
    assert "  malformed bad: cannot be read" in result.output
    again = CliRunner().invoke(main, [*args, "--email", "alice@example.org", "--json"])
    assert again.exit_code == 0, again.output
    body = orjson.loads(again.output)
    assert body["added"] == 0 and body["already"] == 1 and body["matched"][0]["key"] == "one"
    user = user_of(engine, alice)
    named = [c for c in engine.library.of_user(user) if c.name == "Imported"]
    assert len(named) == 1 and named[0].size == 1
    nobody = CliRunner().invoke(main, [*args, "--email", "nobody@example.org"])
    assert nobody.exit_code == 1 and "no account with the address" in nobody.output
