"""End-to-end fixtures: a small corpus ingested into a temporary store, served by uvicorn in a
background thread, and driven by the system's headless Chromium through Playwright.

The browser is Debian's /usr/bin/chromium (Playwright never downloads one); without it the e2e
tests are skipped. Every browser context refuses requests that leave the test server (the site
must work fully offline) and records them, with console errors and uncaught page errors; a test
fails at teardown when any were seen.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from papersift.engine import Engine
from papersift.settings import load_settings
from tests.smtp_server import SMTPTestServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
# The machine may be busy: give pages and assertions time (these are waits, not time limits
# under test).
TIMEOUT_MS = 20_000
sync_api.expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}"))


# the corpus --------------------------------------------------------------------------------------

# (title, abstract, authors, categories); listed five a day on the six latest weekdays, newest
# first, so the newest day holds the first five.
PAPERS: list[tuple[str, str, list[str], list[str]]] = [
    (
        "Kaleidoscopic Attention: Mixing Heads for Long-Context Language Models",
        "We propose kaleidoscopic attention, which mixes attention heads with a learned "
        "permutation and reaches $O(n \\log n)$ cost in the sequence length $n$. On long-context "
        "benchmarks it matches full attention while using a fraction of the memory.",
        ["Ada Lovelace", "Alan Turing", "Grace Hopper"],
        ["cs.CL", "cs.LG"],
    ),
    (
        "Sharp $\\tilde{O}(1/\\sqrt{m})$ Generalisation Bounds for Overparameterised Networks",
        "We prove that gradient descent on a two-layer network with $m$ hidden units "
        "generalises with error $\\tilde{O}(1/\\sqrt{m})$, improving earlier bounds by a "
        "logarithmic factor.",
        ["Emmy Noether", "Sofia Kovalevskaya"],
        ["stat.ML", "cs.LG"],
    ),
    (
        "Retrieval-Augmented Summarisation of Scientific Articles",
        "Summaries of long scientific articles improve when the model retrieves passages from "
        "related work. We release a corpus of 40,000 article and summary pairs. Code and data: "
        "https://github.com/example-lab/rag-summaries.",
        ["Karen Spärck Jones", "Ada Lovelace"],
        ["cs.CL"],
    ),
    (
        "Bayesian Optimisation with Heteroscedastic Noise",
        "We model input-dependent noise with a second Gaussian process and derive an "
        "acquisition function that accounts for it, with regret $R_T = O(\\sqrt{T \\gamma_T})$.",
        ["Thomas Bayes", "Pierre-Simon Laplace"],
        ["stat.ML"],
    ),
    (
        "Curriculum Learning for Low-Resource Machine Translation",
        "Ordering training pairs from easy to hard speeds up convergence and improves BLEU on "
        "twelve low-resource language pairs.",
        ["Noam Chomsky", "Karen Spärck Jones"],
        ["cs.CL", "cs.LG"],
    ),
    (
        "Sparse Mixture-of-Experts Routing without Load Balancing Losses",
        "A routing rule based on optimal transport keeps experts balanced without an auxiliary "
        "loss. Training is stable up to 128 experts.",
        ["Alan Turing", "John von Neumann"],
        ["cs.LG"],
    ),
    (
        "Conformal Prediction under Distribution Shift",
        "We give coverage guarantees of $1 - \\alpha$ for conformal prediction when test inputs "
        "are drawn from a shifted distribution with bounded likelihood ratio.",
        ["Andrey Kolmogorov", "Emmy Noether"],
        ["stat.ML", "cs.LG"],
    ),
    (
        "Tokenisation-Free Language Modelling over Bytes",
        "Byte-level models avoid tokenisers altogether. A hierarchical decoder closes most of the "
        "gap to subword models at equal compute.",
        ["Claude Shannon", "Noam Chomsky"],
        ["cs.CL"],
    ),
    (
        "Graph Neural Networks for Molecular Property Prediction",
        "Message passing over molecular graphs, with equivariant edge features, predicts "
        "quantum-chemical properties within chemical accuracy.",
        ["Marie Curie", "Linus Pauling"],
        ["cs.LG", "stat.ML"],
    ),
    (
        "Calibrated Uncertainty for Neural Machine Translation",
        "Ensembles and temperature scaling yield calibrated token probabilities; we measure "
        "expected calibration error across 30 language pairs.",
        ["Grace Hopper", "Claude Shannon"],
        ["cs.CL", "stat.ML"],
    ),
    (
        "Scaling Laws $L \\propto N^{-\\alpha}$ for Contrastive Pretraining",
        "Loss follows a power law $L(N) = a N^{-b} + c$ in the number of parameters $N$ over "
        "four orders of magnitude.",
        ["John von Neumann", "Ada Lovelace"],
        ["cs.LG"],
    ),
    (
        "Variational Inference with Normalising Flows Revisited",
        "We revisit flow-based posteriors and show that simple affine coupling layers suffice for "
        "most latent variable models used in practice.",
        ["Thomas Bayes", "Andrey Kolmogorov"],
        ["stat.ML"],
    ),
    (
        "Instruction Tuning with Synthetic Dialogues",
        "Dialogues generated by a teacher model, filtered for diversity, are as useful for "
        "instruction tuning as human-written ones.",
        ["Alan Turing", "Karen Spärck Jones"],
        ["cs.CL", "cs.LG"],
    ),
    (
        "Differentially Private Stochastic Gradient Descent at Scale",
        "We train with $(\\varepsilon, \\delta)$-differential privacy at $\\varepsilon = 3$ and "
        "lose under two points of accuracy on ImageNet.",
        ["Cynthia Dwork", "Frank McSherry"],
        ["cs.LG", "stat.ML"],
    ),
    (
        "Dependency Parsing with Pretrained Encoders in Forty Languages",
        "A biaffine parser over a multilingual encoder reaches state-of-the-art labelled "
        "attachment scores on Universal Dependencies.",
        ["Noam Chomsky", "Joakim Nivre"],
        ["cs.CL"],
    ),
    (
        "Kernel Two-Sample Tests with Learned Features",
        "Maximum mean discrepancy with deep kernels detects distribution shift with fewer samples "
        "than fixed kernels.",
        ["Andrey Kolmogorov", "Arthur Gretton"],
        ["stat.ML"],
    ),
    (
        "Efficient Fine-Tuning with Low-Rank Adapters",
        "Adapters of rank $r \\ll d$ recover full fine-tuning quality while training under one "
        "percent of the parameters.",
        ["Grace Hopper", "John von Neumann"],
        ["cs.LG", "cs.CL"],
    ),
    (
        "Causal Discovery from Interventional Data",
        "We identify causal graphs up to their interventional equivalence class and give a "
        "polynomial-time algorithm.",
        ["Judea Pearl", "Emmy Noether"],
        ["stat.ML", "cs.LG"],
    ),
    (
        "Speech Recognition for Code-Switched Conversations",
        "A joint model of language identity and transcription lowers word error rate on "
        "code-switched speech by a fifth.",
        ["Claude Shannon", "Karen Spärck Jones"],
        ["cs.CL"],
    ),
    (
        "Offline Reinforcement Learning with Implicit Value Regularisation",
        "Penalising value estimates outside the data's support stabilises offline RL across "
        "locomotion and manipulation tasks.",
        ["Richard Bellman", "Alan Turing"],
        ["cs.LG"],
    ),
    (
        "Factual Consistency Metrics for Abstractive Summaries",
        "Entailment-based metrics correlate better with human judgements of factuality than "
        "overlap-based ones.",
        ["Karen Spärck Jones", "Grace Hopper"],
        ["cs.CL"],
    ),
    (
        "Gaussian Processes on Graphs and Manifolds",
        "We construct Matérn kernels on graphs via the graph Laplacian $\\Delta$ and study their "
        "posterior contraction.",
        ["Thomas Bayes", "Bernhard Riemann"],
        ["stat.ML"],
    ),
    (
        "Robust Training against Label Noise with Co-Teaching",
        "Two networks teach each other on small-loss samples; the method is robust to 50% "
        "symmetric label noise.",
        ["John von Neumann", "Marie Curie"],
        ["cs.LG"],
    ),
    (
        "Multilingual Named Entity Recognition with Weak Supervision",
        "Gazetteers and projection across parallel text give weak labels that train NER taggers "
        "in languages without annotated data.",
        ["Joakim Nivre", "Noam Chomsky"],
        ["cs.CL"],
    ),
    (
        "Stochastic Variance-Reduced Gradient Methods Revisited",
        "We show a linear rate $O((n + \\kappa) \\log(1/\\epsilon))$ for SVRG without strong "
        "convexity of the individual losses.",
        ["Richard Bellman", "Sofia Kovalevskaya"],
        ["stat.ML", "cs.LG"],
    ),
    (
        "Vision Transformers Need Registers, Too",
        "Adding a few learnable register tokens removes high-norm artefacts in the attention maps "
        "of large vision transformers.",
        ["Alan Turing", "Grace Hopper"],
        ["cs.LG"],
    ),
    (
        "Question Answering over Tables and Text",
        "A hybrid reader that reasons jointly over table cells and passages answers multi-hop "
        "questions more accurately.",
        ["Karen Spärck Jones", "Claude Shannon"],
        ["cs.CL"],
    ),
    (
        "Sequential Monte Carlo for Probabilistic Programs",
        "An SMC sampler with adaptive resampling runs inference in probabilistic programs with "
        "stochastic control flow.",
        ["Pierre-Simon Laplace", "Thomas Bayes"],
        ["stat.ML"],
    ),
    (
        "Learning Rate Warmup Explained",
        "Warmup limits the sharpness the optimiser reaches early in training; we derive a "
        "schedule from the curvature $\\lambda_{\\max}$ of the loss.",
        ["Emmy Noether", "John von Neumann"],
        ["cs.LG", "stat.ML"],
    ),
    (
        "Morphological Inflection with Character-Level Transducers",
        "Hard monotonic attention over characters generalises to unseen lemmas in 90 languages.",
        ["Joakim Nivre", "Noam Chomsky"],
        ["cs.CL"],
    ),
]
PER_DAY = 5


def weekdays_up_to(today: date, count: int) -> list[date]:
    """The ``count`` latest weekdays on or before ``today``, newest first."""
    days: list[date] = []
    day = today
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days


@dataclass(frozen=True)
class CorpusPaper:
    id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    listed: date


def build_corpus(today: date) -> list[CorpusPaper]:
    days = weekdays_up_to(today, -(-len(PAPERS) // PER_DAY))
    papers = []
    for number, (title, abstract, authors, categories) in enumerate(PAPERS):
        listed = days[number // PER_DAY]
        paper_id = f"{listed:%y%m}.{20000 + number:05d}"
        papers.append(CorpusPaper(paper_id, title, abstract, authors, categories, listed))
    return papers


# the server --------------------------------------------------------------------------------------


@dataclass
class Site:
    base_url: str
    engine: Engine
    papers: list[CorpusPaper]
    smtp: SMTPTestServer | None = None

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def days(self) -> list[date]:
        """Listing days, newest first."""
        return sorted({p.listed for p in self.papers}, reverse=True)

    def on(self, day: date) -> list[CorpusPaper]:
        return [p for p in self.papers if p.listed == day]

    def paper(self, title_start: str) -> CorpusPaper:
        return next(p for p in self.papers if p.title.startswith(title_start))


@contextmanager
def running_site(root: Path, smtp: SMTPTestServer | None = None) -> Iterator[Site]:
    """The corpus ingested into a new store under ``root``, served on a free local port; with
    ``smtp``, the site's mail goes to that server and its links to this port."""
    import uvicorn

    from papersift.web.app import create_app

    papers = build_corpus(datetime.now(UTC).date())
    corpus = root / "corpus.jsonl"
    corpus.write_bytes(
        b"".join(
            orjson.dumps(
                {
                    "id": p.id,
                    "title": p.title,
                    "abstract": p.abstract,
                    "authors": p.authors,
                    "categories": p.categories,
                    "date": p.listed.isoformat(),
                }
            )
            + b"\n"
            for p in papers
        )
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    mail: dict[str, Any] = {}
    if smtp is not None:
        mail = {
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_tls_verify": False,
            "public_url": f"http://127.0.0.1:{port}",
            "mail_from": "papersift <accounts@papers.example.org>",
        }
    data_dir = root / "data"
    settings = load_settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'papersift.db'}",
        embedder_backend="none",
        # every browser test signs up its own reader, all from 127.0.0.1
        signups_per_hour=1000,
        **mail,
    )
    engine = Engine(settings)
    report = engine.ingest([corpus])
    assert report.indexed == len(papers), report

    config = uvicorn.Config(
        create_app(engine),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    try:
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        yield Site(f"http://127.0.0.1:{port}", engine, papers, smtp)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        engine.close()


@pytest.fixture(scope="session")
def mail_server() -> Iterator[SMTPTestServer]:
    """A real SMTP server on this machine (STARTTLS, a throwaway CA): the site's mail goes there."""
    import trustme

    with SMTPTestServer(trustme.CA()) as server:
        yield server


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, mail_server: SMTPTestServer) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("e2e"), mail_server) as running:
        yield running


# the browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@dataclass
class Watch:
    """What a browser context did that the site must never do."""

    host: str
    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    # Console errors a test expects, e.g. Chromium's "Failed to load resource: ... 404" on a
    # page that answers 404 on purpose.
    allowed_console: list[str] = field(default_factory=list)

    def route(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == self.host:
            route.continue_()
        else:
            self.foreign_requests.append(url)
            route.abort()

    def console(self, message: Any) -> None:
        if message.type == "error" and not any(a in message.text for a in self.allowed_console):
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def attach(self, context: Any) -> None:
        context.route("**/*", self.route)
        context.on("console", self.console)
        context.on("weberror", lambda error: self.page_errors.append(str(error.error)))

    def problems(self) -> list[str]:
        return (
            [f"request left {self.host}: {url}" for url in self.foreign_requests]
            + [f"console error: {text}" for text in self.console_errors]
            + [f"uncaught page error: {text}" for text in self.page_errors]
        )


class Contexts:
    """Opens watched browser contexts for one test and closes them after it."""

    def __init__(self, browser: Any, site: Site) -> None:
        self.browser = browser
        self.site = site
        self.watch = Watch(urlsplit(site.base_url).netloc)
        self.opened: list[Any] = []

    def new(self, device: dict[str, Any] = DESKTOP, **options: Any) -> Any:
        context = self.browser.new_context(
            base_url=self.site.base_url,
            color_scheme="light",
            locale="en-GB",
            timezone_id="UTC",
            service_workers="block",
            **device,
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.watch.attach(context)
        self.opened.append(context)
        return context

    def close(self) -> None:
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(browser: Any, site: Site) -> Iterator[Contexts]:
    opened = Contexts(browser, site)
    yield opened
    opened.close()
    problems = opened.watch.problems()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(contexts: Contexts) -> Any:
    """A desktop page in a fresh, watched context (no cookies)."""
    return contexts.new().new_page()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
