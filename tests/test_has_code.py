"""The "has code" filter agrees with the extracted links in every mode, in search, similar
papers and the CLI; papers stored before the column existed get theirs from the migration."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner

from papersift.cli import main
from papersift.engine import Engine
from papersift.filters import Filters
from papersift.links import first_repository
from papersift.settings import Settings
from papersift.store.database import alembic_config
from tests.conftest import make_paper, write_jsonl
from tests.dsi.helpers import HashingEmbedder

ABSTRACTS = [
    "Graph networks. Code is available at https://github.com/lab/graphs.",
    "Graph networks without any code.",
    "Graph networks, weights at https://huggingface.co/lab/graph-model only.",
    "Graph networks. Code: https://github.\ncom/other/graph-kit.",
    "Graph networks with a project page at https://lab.github.io/graphs/.",
    "Graph networks; see gitlab.com/group/graph-tool for code.",
]
CORPUS = [
    make_paper(f"2601.{n:05d}", title=f"Graph networks study {n}", abstract=abstract)
    for n, abstract in enumerate(ABSTRACTS * 4, start=1)
]
WITH_CODE = {p.id for p in CORPUS if first_repository(p.abstract)}


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = Engine(
        Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'p.db'}")
    )
    engine._embedder = HashingEmbedder()  # type: ignore[assignment]
    engine.ingest([write_jsonl(tmp_path / "c.jsonl", CORPUS)])
    engine.index_vectors()
    return engine


def test_the_corpus_has_both_kinds() -> None:
    assert len(WITH_CODE) == 12 and len(CORPUS) - len(WITH_CODE) == 12


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_search_with_has_code_returns_exactly_the_papers_with_code(
    engine: Engine, mode: str
) -> None:
    assert engine.choose_mode(mode).mode == mode
    found = {r.paper.id for r in engine.search("graph networks", k=50, mode=mode,
                                                filters=Filters(has_code=True))}  # fmt: skip
    assert found == WITH_CODE
    everything = {r.paper.id for r in engine.search("graph networks", k=50, mode=mode)}
    assert everything == {p.id for p in CORPUS}


def test_has_code_combines_with_other_filters(engine: Engine) -> None:
    filters = Filters(has_code=True, author="Ada Lovelace")
    found = {r.paper.id for r in engine.search("graph", k=50, mode="hybrid", filters=filters)}
    assert found == WITH_CODE


def test_similar_papers_with_code(engine: Engine) -> None:
    similar = engine.similar(["2601.00002"], k=50, filters=Filters(has_code=True))
    assert {r.paper.id for r in similar} == WITH_CODE


def test_an_unresolved_has_code_filter_is_an_error_not_ignored(engine: Engine) -> None:
    with pytest.raises(ValueError, match="resolve_filters"):
        engine.keyword_index.search("graph", 10, Filters(has_code=True))


def test_a_known_item_without_code_is_not_put_first(engine: Engine) -> None:
    results = engine.search("2601.00002", k=5, mode="bm25", filters=Filters(has_code=True))
    assert "2601.00002" not in {r.paper.id for r in results}


def test_cli_search_has_code(engine: Engine, tmp_path: Path) -> None:
    engine.close()
    result = CliRunner().invoke(
        main,
        ["--data-dir", str(tmp_path / "data"), "search", "graph networks", "--mode", "keyword",
         "--has-code", "-k", "50", "--json"],
        env={"PAPERSIFT_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.count('"id"') == len(WITH_CODE)


def test_the_migration_fills_code_urls_of_papers_stored_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = Engine(Settings(data_dir=tmp_path / "data", database_url=url))
    engine.ingest([write_jsonl(tmp_path / "c.jsonl", CORPUS[:6])], update_index=False)
    engine.close()
    database = sa.create_engine(url)
    with database.begin() as connection:  # back to the schema before migration 0010
        config = alembic_config(connection)
        command.downgrade(config, "0009")
    assert "code_url" not in {c["name"] for c in sa.inspect(database).get_columns("papers")}
    database.dispose()
    reopened = Engine(Settings(data_dir=tmp_path / "data", database_url=url))
    assert reopened.papers.ids_with_code() == WITH_CODE & {p.id for p in CORPUS[:6]}
    reopened.close()
