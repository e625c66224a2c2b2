"""Fixtures of the web tests: a small corpus, a fixed clock, a fake arXiv API, logged-in clients.

The corpus is ingested once per session into a template data directory; each test gets a copy
and its own engine, so tests may change the store freely. Building a FastAPI app's routes costs
a good part of a second (FastAPI validates every route's parameters on the first request), so
one app, created by ``create_app`` over an ``EngineSwitch``, serves every test: the switch
stands for the current test's engine, and the app's per-engine state (page cache) is renewed
per test. Password hashing uses cheap argon2 parameters here (the production parameters cost a
noticeable fraction of a second per hash on a busy machine).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import html
from sqlalchemy.engine import make_url

from papersift.engine import Engine
from papersift.features import accounts as accounts_module
from papersift.features import limits as limits_module
from papersift.model import Paper
from papersift.settings import Settings
from papersift.web.app import create_app
from tests import postgres
from tests.conftest import TEST_BACKEND, make_paper, store_url, write_jsonl
from tests.oai_server import Reply, ScriptedServer, serve

NOW = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)  # a Thursday
TODAY = NOW.date()
PASSWORD = "correct horse battery"
BULK_DAY = date(2026, 3, 9)  # a Monday with more papers than one feed page holds
BULK_COUNT = 55
CHEAP_HASHING = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
CheapHasher = partial(PasswordHasher, **CHEAP_HASHING)


def corpus() -> list[Paper]:
    """Papers on a few days: today, yesterday, a day with only math, a busy Monday, a Friday,
    last month, tomorrow (listed ahead of the clock), an old-style id and a non-arXiv paper."""
    papers = [
        make_paper(
            "2603.10001",
            title="Graph neural networks for protein folding",
            abstract="We fold proteins with graph neural networks. Networks of residues help.",
            authors=("Ada Lovelace", "Alan Turing"),
            categories=("cs.LG", "q-bio.BM"),
            listed=TODAY,
            submitted=date(2026, 3, 10),
        ),
        make_paper(
            "2603.10002",
            title="Transformers for low-resource machine translation",
            abstract="Machine translation for languages with little data, using transformers.",
            authors=("Grace Hopper",),
            categories=("cs.CL",),
            listed=TODAY,
        ),
        make_paper(
            "2603.10003",
            title="Random walks on random graphs",
            abstract="Mixing times of random walks on sparse random graphs.",
            authors=("Paul Erdős",),
            categories=("math.PR",),
            listed=TODAY,
        ),
        make_paper(
            "2603.09001",
            title="Attention is still all you need",
            abstract="A transformer study revisiting attention in language models.",
            authors=("Grace Hopper", "Ada Lovelace"),
            categories=("cs.CL", "cs.LG"),
            listed=date(2026, 3, 11),
        ),
        make_paper(
            "2603.09002",
            title="The string theory landscape",
            abstract="Vacua of string theory & their statistics.",
            authors=("Edward Witten",),
            categories=("hep-th",),
            listed=date(2026, 3, 11),
        ),
        make_paper(
            "2603.08001",
            title="Percolation thresholds",
            abstract="Sharp thresholds for percolation on lattices.",
            authors=("Paul Erdős",),
            categories=("math.PR",),
            listed=date(2026, 3, 10),
        ),
        make_paper(
            "2603.07000",
            title="Neural machine translation revisited",
            abstract="Translation with neural sequence models, revisited.",
            authors=("Grace Hopper",),
            categories=("cs.CL",),
            listed=BULK_DAY,
        ),
        make_paper(
            "2603.05001",
            title="An older language model paper",
            abstract="Language models from last week.",
            authors=("Claude Shannon",),
            categories=("cs.CL",),
            listed=date(2026, 3, 6),
        ),
        make_paper(
            "2602.01001",
            title="Diffusion models last month",
            abstract="Denoising diffusion models for images.",
            authors=("Ada Lovelace",),
            categories=("cs.LG",),
            listed=date(2026, 2, 20),
        ),
        make_paper(
            "2603.11001",
            title="Tomorrow's paper on gradient boosting",
            abstract="Listed after the clock's today.",
            authors=("Alan Turing",),
            categories=("cs.LG",),
            listed=TODAY + timedelta(days=1),
        ),
        make_paper(
            "hep-th/9901001",
            title="An old-style identifier on branes",
            abstract="Branes in old-style ids.",
            authors=("Edward Witten",),
            categories=("hep-th",),
            listed=date(1999, 1, 4),
        ),
        make_paper(
            "scifact:42",
            title="A claim about vitamin D",
            abstract="Vitamin D and bones.",
            authors=("Some Scientist",),
            categories=(),
            listed=None,
            source="scifact",
        ),
    ]
    papers += [
        make_paper(
            f"2603.0{6000 + number}",
            title=f"Bulk study {number} of stochastic gradient descent",
            abstract=f"Gradient descent study number {number}.",
            authors=("Bulk Author",),
            categories=("cs.LG",),
            listed=BULK_DAY,
        )
        for number in range(BULK_COUNT)
    ]
    return papers


class Clock:
    """A settable clock for the engine (dates of the feed, votes, sessions, submissions)."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


# the fake arXiv API --------------------------------------------------------------------------

ATOM_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
    "  <title>ArXiv Query</title>\n"
    "  <id>http://arxiv.org/api/test</id>\n"
    "  <updated>2026-03-12T00:00:00-04:00</updated>\n"
)


def atom_entry(paper_id: str, title: str, published: str, category: str = "cs.LG") -> str:
    return f"""  <entry>
    <id>http://arxiv.org/abs/{paper_id}v1</id>
    <updated>{published}</updated>
    <published>{published}</published>
    <title>{title}</title>
    <summary>  An abstract fetched from the arXiv API about {title.lower()}.
</summary>
    <author><name>Fetched Author</name></author>
    <link href="http://arxiv.org/abs/{paper_id}v1" rel="alternate" type="text/html"/>
    <arxiv:primary_category term="{category}" scheme="http://arxiv.org/schemas/atom"/>
    <category term="{category}" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
"""


ARXIV_ENTRIES = {
    "2603.12345": atom_entry(
        "2603.12345", "A fresh paper on sparse autoencoders", "2026-03-10T17:00:00Z"
    ),
    "2603.12346": atom_entry(
        "2603.12346", "Another fresh paper on kernels", "2026-03-11T09:30:00Z", "stat.ML"
    ),
    "2501.00042": atom_entry("2501.00042", "An old paper from last year", "2025-01-15T10:00:00Z"),
}
ARXIV_DOWN = "2603.50000"


def arxiv_reply(query: dict[str, str]) -> Reply:
    """The arXiv API: one entry per known id of the comma-separated id_list, none for an
    unknown one; 2603.50000 is the id for which it is down."""
    ids = query.get("id_list", "").split(",")
    if ARXIV_DOWN in ids:
        return Reply(503, b"Service Unavailable", {"Content-Type": "text/plain"})
    entries = "".join(ARXIV_ENTRIES.get(paper_id, "") for paper_id in ids)
    body = (ATOM_HEAD + entries + "</feed>\n").encode()
    return Reply(200, body, {"Content-Type": "application/atom+xml; charset=utf-8"})


@pytest.fixture(scope="session")
def arxiv_server() -> Iterator[ScriptedServer]:
    with serve(arxiv_reply) as server:
        yield server


@pytest.fixture
def arxiv(arxiv_server: ScriptedServer) -> ScriptedServer:
    """The fake arXiv API, its request log emptied."""
    arxiv_server.requests.clear()
    return arxiv_server


# store, engine, app -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts_module, "PasswordHasher", CheapHasher)
    monkeypatch.setattr(limits_module, "HASH_PARAMETERS", CHEAP_HASHING)


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory: pytest.TempPathFactory, postgres_root: Path) -> tuple[Path, str]:
    """A data directory and store holding the corpus, keyword-indexed (copied by each test)."""
    root = tmp_path_factory.mktemp("web-corpus")
    (root / "data").mkdir()  # on PostgreSQL nothing else would create it: indexes are tables
    template = Settings(
        data_dir=root / "data",
        database_url=store_url(root / "data", postgres_root),
        embedder_backend="none",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts_module, "PasswordHasher", CheapHasher)
        patch.setattr(limits_module, "HASH_PARAMETERS", CHEAP_HASHING)
        engine = Engine(template, clock=Clock())
        try:
            report = engine.ingest([write_jsonl(root / "corpus.jsonl", corpus())])
            assert report.malformed == 0 and report.indexed == len(corpus())
        finally:
            engine.close()
    return root / "data", template.store_url


@pytest.fixture
def store_database(tmp_path: Path, corpus_store: tuple[Path, str], postgres_root: Path) -> str:
    """A copy of the corpus store: the SQLite file comes with the data directory's copy."""
    if TEST_BACKEND == "postgresql":
        template = make_url(corpus_store[1]).database
        return postgres.fresh_database(postgres_root, template=template)
    return store_url(tmp_path / "data", postgres_root)


@pytest.fixture
def settings(
    settings: Settings, corpus_store: tuple[Path, str], arxiv_server: ScriptedServer
) -> Settings:
    """The suite's settings over a copy of the corpus, arXiv pointed at the fake API."""
    shutil.copytree(corpus_store[0], settings.data_dir)
    return settings.model_copy(
        update={"arxiv_api_endpoint": arxiv_server.url, "login_max_failures": 3}
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(settings: Settings, clock: Clock) -> Iterator[Engine]:
    instance = Engine(settings, clock=clock)
    yield instance
    instance.close()


class EngineSwitch:
    """Stands for the engine of the test that is running (attribute access is forwarded)."""

    def __init__(self) -> None:
        self.current: Engine | None = None

    def __getattr__(self, name: str) -> Any:
        if self.current is None:
            raise RuntimeError("no test engine is active")
        return getattr(self.current, name)


@pytest.fixture(scope="session")
def shared_app() -> tuple[EngineSwitch, list[FastAPI]]:
    return EngineSwitch(), []


@pytest.fixture
def app(engine: Engine, shared_app: tuple[EngineSwitch, list[FastAPI]]) -> Iterator[FastAPI]:
    """The site over this test's engine (one app for the session, see the module docstring)."""
    switch, made = shared_app
    switch.current = engine
    if not made:
        made.append(create_app(switch))  # type: ignore[arg-type]
    site = made[0]
    yield site
    switch.current = None


@pytest.fixture
def clients(app: FastAPI) -> Iterator[Callable[..., TestClient]]:
    """Makes TestClients; each keeps one event loop for all its requests (faster)."""
    with ExitStack() as stack:

        def make(base_url: str = "http://testserver", *, raise_errors: bool = True) -> TestClient:
            client = TestClient(app, base_url=base_url, raise_server_exceptions=raise_errors)
            return stack.enter_context(client)

        yield make


@pytest.fixture
def client(clients: Callable[..., TestClient]) -> TestClient:
    return clients()


# accounts ------------------------------------------------------------------------------------


@dataclass
class Account:
    email: str
    display_name: str
    password: str = PASSWORD
    id: int = 0


@dataclass
class Visitor:
    """A browser: a TestClient with its cookies, plus helpers for CSRF tokens and logging in."""

    client: TestClient
    account: Account | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def csrf(self) -> str:
        response = self.client.get("/api/auth/csrf")
        assert response.status_code == 200, response.text
        token: str = response.json()["csrf_token"]
        return token

    def form_token(self, path: str = "/") -> str:
        """The csrf_token hidden field of a page's form (as a browser would submit it)."""
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        return hidden_csrf(page.text)

    def api(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        headers = {"X-CSRF-Token": self.csrf(), **kwargs.pop("headers", {})}
        return self.client.request(method, path, json=json, headers=headers, **kwargs)

    def form(self, path: str, data: dict[str, str], *, page: str = "/") -> Any:
        return self.client.post(
            path, data={**data, "csrf_token": self.form_token(page)}, follow_redirects=False
        )

    def log_in(self, account: Account) -> None:
        response = self.api(
            "POST", "/api/auth/login", {"email": account.email, "password": account.password}
        )
        assert response.status_code == 200, response.text
        self.account = account


def hidden_csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def meta_csrf(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page)
    assert found, "no csrf-token meta tag on the page"
    return found.group(1)


@pytest.fixture
def make_account(engine: Engine) -> Callable[..., Account]:
    def make(name: str = "Ada", email: str | None = None, password: str = PASSWORD) -> Account:
        address = email or f"{name.lower().replace(' ', '.')}@example.org"
        user = engine.accounts.sign_up(address, password, name)
        return Account(address, name, password, user.id)

    return make


@pytest.fixture
def new_visitor(clients: Callable[..., TestClient]) -> Callable[..., Visitor]:
    def make(account: Account | None = None, *, base_url: str = "http://testserver") -> Visitor:
        visitor = Visitor(clients(base_url))
        if account is not None:
            visitor.log_in(account)
        return visitor

    return make


@pytest.fixture
def alice(make_account: Callable[..., Account]) -> Account:
    return make_account("Alice Example", "alice@example.org")


@pytest.fixture
def bob(make_account: Callable[..., Account]) -> Account:
    return make_account("Bob Example", "bob@example.org")


@pytest.fixture
def anon(new_visitor: Callable[..., Visitor]) -> Visitor:
    return new_visitor()


@pytest.fixture
def as_alice(new_visitor: Callable[..., Visitor], alice: Account) -> Visitor:
    return new_visitor(alice)


@pytest.fixture
def as_bob(new_visitor: Callable[..., Visitor], bob: Account) -> Visitor:
    return new_visitor(bob)


# reading pages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    url: str
    title: str
    upvotes: int
    voted: bool
    submitted_by: str | None


def cards(page: str) -> list[Card]:
    """The paper cards of an HTML page, in order (what a reader sees of each paper)."""
    document = html.fromstring(page)
    found = []
    for article in document.xpath('//article[@class="card"]'):
        link = article.xpath('.//h3[@class="title"]/a')[0]
        submitted = article.xpath('.//span[@class="submitted"]')
        found.append(
            Card(
                url=link.get("href"),
                title=link.text_content(),
                upvotes=int(article.xpath('.//span[@class="count"]')[0].text_content()),
                voted=bool(article.xpath('.//form[contains(@class, "voted")]')),
                submitted_by=submitted[0].text_content().removeprefix("submitted by ")
                if submitted
                else None,
            )
        )
    return found


def api_cards(papers: list[dict[str, Any]]) -> list[Card]:
    """The same information from the API's paper summaries."""
    return [Card(p["url"], p["title"], p["upvotes"], p["voted"], p["submitted_by"]) for p in papers]


def assert_json_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the API's one error shape with this status (and code)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"status", "code", "message", "fields"}
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def assert_html_error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert f'<p class="status">{status}</p>' in response.text
    text: str = response.text
    return text
