"""DSI through the engine and the CLI: train, search --mode dsi and hybrid-dsi, resume, filters,
papers added after training, and the errors a user meets before training."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("torch")
pytest.importorskip("faiss")

from papersift import cli
from papersift.engine import Engine
from papersift.errors import SettingsError
from papersift.filters import Filters
from papersift.indexes.dsi.model_dir import DSIModel
from papersift.settings import Settings
from tests.conftest import make_paper, write_jsonl
from tests.dsi.helpers import HashingEmbedder, corpus

# Most of these train a model (tens of seconds to minutes on two busy cores).
pytestmark = pytest.mark.slow

SIZE = 40


def _papers(size: int = SIZE, offset: int = 0) -> list:  # type: ignore[type-arg]
    return [
        make_paper(
            f"2601.{offset + n:05d}",
            title=title,
            abstract=abstract,
            categories=("cs.LG",) if n % 2 else ("math.CO",),
            listed=date(2026, 1, 1 + n % 28),
        )
        for n, (title, abstract) in enumerate(corpus(offset + size)[offset:])
    ]


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        embedder_backend="torch",
        dsi_branching=3,
        dsi_leaf_size=6,
        dsi_epochs=40,
    )


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(_settings(tmp_path))
    engine._embedder = HashingEmbedder()
    engine.ingest([write_jsonl(tmp_path / "papers.jsonl", _papers())])
    engine.index()
    yield engine
    engine.close()


def test_before_training_dsi_is_not_offered_and_says_how_to_train(engine: Engine) -> None:
    assert "dsi" not in engine.modes and "hybrid-dsi" not in engine.modes
    choice = engine.choose_mode("dsi")
    assert choice.mode == "bm25" and choice.notice and "papersift dsi train" in choice.notice
    keyword = engine.search("graph theorem", mode="keyword")
    assert engine.search("graph theorem", mode="dsi") == keyword  # never an error


def test_trained_dsi_finds_papers_by_their_title(engine: Engine) -> None:
    report = engine.train_dsi()
    assert report.documents == SIZE and report.epochs == 40
    assert {"dsi", "hybrid-dsi"} <= set(engine.modes)
    titles = {paper.id: paper.title for paper in _papers()}
    top = [engine.search(title, k=1, mode="dsi")[0].paper.id for title in titles.values()]
    assert sum(found == pid for found, pid in zip(top, titles, strict=True)) >= 0.8 * SIZE
    fused = engine.search(titles["2601.00007"], k=5, mode="hybrid-dsi")
    assert fused[0].paper.id == "2601.00007"


def test_training_again_with_nothing_new_resumes_instead_of_starting_over(engine: Engine) -> None:
    first = engine.train_dsi(epochs=5)
    again = engine.train_dsi(epochs=5)
    assert again.resumed_at_step == first.resumed_at_step or again.resumed_at_step
    longer = engine.train_dsi(epochs=7)
    assert longer.epochs == 7 and longer.resumed_at_step


def test_the_model_directory_describes_itself(engine: Engine) -> None:
    engine.train_dsi(epochs=3)
    meta = json.loads((engine.dsi_dir / "model.json").read_text())
    assert meta["embedder"] == HashingEmbedder.identity
    assert meta["documents"] == SIZE
    assert meta["docids"] == {
        "branching": 3,
        "leaf_size": 6,
        "tokens": meta["docids"]["tokens"],
        "max_length": meta["docids"]["max_length"],
    }
    assert meta["training"]["epochs_done"] == 3
    assert set(meta["queries"]["counts"]) >= {"document", "title", "sentence", "key terms"}
    assert DSIModel(engine.dsi_dir).paper_ids == sorted(p.id for p in _papers())


def test_filters_apply_to_the_decoded_papers(engine: Engine) -> None:
    engine.train_dsi(epochs=10)
    found = engine.search("graph quantum", k=10, mode="dsi", filters=Filters(categories=("cs.LG",)))
    assert found and all("cs.LG" in r.paper.categories for r in found)


def test_papers_added_after_training_need_retraining_but_hybrid_dsi_finds_them(
    engine: Engine, tmp_path: Path
) -> None:
    engine.train_dsi()
    newcomer = _papers(1, offset=SIZE)[0]
    engine.ingest([write_jsonl(tmp_path / "new.jsonl", [newcomer])])
    engine.index()
    dsi = engine.retriever("dsi")  # the model alone, without the known-item step of search

    def decoded() -> set[str]:
        return {hit.paper_id for hit in dsi.search(newcomer.title, 10)}

    assert newcomer.id not in decoded()
    fused = engine.retriever("hybrid-dsi").search(newcomer.title, 3)
    assert newcomer.id in {hit.paper_id for hit in fused}
    engine.train_dsi()
    assert newcomer.id in decoded()


def test_max_docs_keeps_the_newest_papers(engine: Engine) -> None:
    report = engine.train_dsi(epochs=2, max_docs=10)
    assert report.documents == 10
    kept = set(DSIModel(engine.dsi_dir).paper_ids)
    newest = sorted(_papers(), key=lambda p: (p.display_date, p.id), reverse=True)[:10]
    assert kept == {p.id for p in newest}


def test_a_model_from_another_embedder_is_refused(engine: Engine) -> None:
    engine.train_dsi(epochs=2)

    class Other(HashingEmbedder):
        identity = "other:test"

    engine._embedder = Other()
    with pytest.raises(SettingsError, match="trained with hashing-48:test"):
        engine.search("graph", mode="dsi")


@pytest.fixture
def hashing_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every engine the code under test creates embeds with the hashing embedder."""
    monkeypatch.setattr(
        "papersift.embeddings.load_embedder", lambda *args, **kwargs: HashingEmbedder()
    )
    monkeypatch.setenv("PAPERSIFT_EMBEDDER_BACKEND", "torch")


@pytest.mark.usefixtures("hashing_everywhere")
def test_cli_dsi_train_and_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "DSI_BRANCHING": "3",
        "DSI_LEAF_SIZE": "6",
    }.items():
        monkeypatch.setenv(f"PAPERSIFT_{name}", value)
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    source = write_jsonl(tmp_path / "papers.jsonl", _papers())
    assert runner.invoke(cli.main, [*data, "ingest", str(source)]).exit_code == 0
    assert runner.invoke(cli.main, [*data, "index"]).exit_code == 0
    trained = runner.invoke(cli.main, [*data, "dsi", "train", "--epochs", "30"])
    assert trained.exit_code == 0, trained.output
    assert "DSI over 40 papers" in trained.output
    title = _papers()[3].title
    found = runner.invoke(cli.main, [*data, "search", title, "--mode", "dsi", "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.output.splitlines()[0])["id"] == "2601.00003"
    stats = runner.invoke(cli.main, [*data, "stats"])
    assert "DSI model:      40 papers" in stats.output


@pytest.mark.usefixtures("hashing_everywhere")
def test_cli_dsi_train_without_a_vector_index_says_what_to_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, ["--data-dir", str(tmp_path), "dsi", "train"])
    assert result.exit_code != 0
    assert "run papersift index first" in result.output


@pytest.mark.usefixtures("hashing_everywhere")
def test_eval_mode_dsi_trains_on_the_train_split_and_reports_it(tmp_path: Path) -> None:
    from papersift.evaluation import evaluate_collection

    root = tmp_path / "tiny"
    root.mkdir()
    documents = corpus(30)
    lines = [
        json.dumps({"_id": f"d{n}", "title": title, "text": text})
        for n, (title, text) in enumerate(documents)
    ]
    (root / "corpus.jsonl").write_text("\n".join(lines))
    for split, numbers in (("", range(0, 30, 3)), ("_train", range(1, 30, 3))):
        queries = [json.dumps({"_id": f"q{n}", "text": documents[n][0]}) for n in numbers]
        (root / f"queries{split}.jsonl").write_text("\n".join(queries))
        (root / f"qrels{split}.tsv").write_text("".join(f"q{n}\td{n}\t1\n" for n in numbers))
    settings = _settings(tmp_path).model_copy(update={"dsi_epochs": 30})
    result = evaluate_collection(root, mode="dsi", settings=settings, cache=False)
    assert result.details["dsi_train_queries"] == 10
    assert result.details["dsi_epochs"] == 30
    assert result.metrics["hits@10"] >= 0.8
    on_train = evaluate_collection(root, mode="dsi", split="train", settings=settings, cache=False)
    assert on_train.details["dsi_train_queries"] == 0  # never trained on what it is judged on


def test_the_website_offers_dsi_once_trained(engine: Engine) -> None:
    from fastapi.testclient import TestClient

    from papersift.web.app import create_app

    with TestClient(create_app(engine)) as client:
        before = client.get("/api/search", params={"q": "graph", "mode": "dsi"})
        assert before.status_code == 200 and before.json()["mode"] == "bm25"
        assert "papersift dsi train" in before.json()["notice"]
        assert "Generative (DSI)" not in client.get("/search", params={"q": "graph"}).text
        engine.train_dsi(epochs=30)
        title = _papers()[5].title
        found = client.get("/api/search", params={"q": title, "mode": "dsi"})
        assert found.status_code == 200, found.text
        assert found.json()["results"][0]["paper"]["id"] == "2601.00005"
        page = client.get("/search", params={"q": title, "mode": "hybrid-dsi"})
        assert page.status_code == 200 and "Generative (DSI)" in page.text
