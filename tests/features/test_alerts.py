from __future__ import annotations

from datetime import UTC, date, datetime

from papersift.engine import Engine
from papersift.features.alerts import alert_query, filters_to_json
from papersift.filters import Filters
from tests.conftest import make_paper

NOW = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)


def _add(engine: Engine, *papers: object) -> None:
    with engine.db.begin() as connection:
        engine.papers.upsert(connection, list(papers))  # type: ignore[arg-type]
    engine.index(semantic=False)


def test_saved_searches_match_only_new_papers_once(engine: Engine) -> None:
    _add(engine, make_paper("2503.00001", title="Graph neural networks for molecules"))
    user = engine.users.create("a@example.org", "A", "x", now=NOW)
    search = engine.interest_store.save_search(
        user.id, name="GNNs", query="graph neural networks", mode="bm25",
        filters=filters_to_json(Filters()), checked_rev=engine.papers.max_rev(), now=NOW,
    )  # fmt: skip
    assert engine.alerts.run().new_matches == 0  # the old paper does not alert
    _add(
        engine,
        make_paper("2503.00002", title="Neural networks on graph data", listed=date(2026, 3, 12)),
        make_paper("2503.00003", title="Graph colouring", listed=date(2026, 3, 12)),
        make_paper("2503.00004", title="Convolutional networks", listed=date(2026, 3, 12)),
    )
    report = engine.alerts.run()
    assert (report.searches, report.papers_checked, report.new_matches) == (1, 3, 1)
    assert [paper_id for paper_id, _ in engine.interest_store.matches(search.id)] == ["2503.00002"]
    assert engine.alerts.run().new_matches == 0  # nothing new: nothing checked again


def test_filters_of_a_saved_search_apply(engine: Engine) -> None:
    user = engine.users.create("a@example.org", "A", "x", now=NOW)
    engine.interest_store.save_search(
        user.id, name="cs only", query="transformers", mode="bm25",
        filters=filters_to_json(Filters(categories=("cs.CL",))), checked_rev=0, now=NOW,
    )  # fmt: skip
    _add(
        engine,
        make_paper("2503.00010", title="Transformers", categories=("cs.CL",)),
        make_paper("2503.00011", title="Transformers", categories=("physics.optics",)),
    )
    engine.alerts.run()
    (search,) = engine.interest_store.searches_of(user.id)
    assert [p for p, _ in engine.interest_store.matches(search.id)] == ["2503.00010"]


def test_plain_keyword_alerts_need_every_word() -> None:
    from papersift.store.interests import SavedSearch

    def saved(query: str, mode: str = "bm25") -> SavedSearch:
        return SavedSearch(1, 1, query, query, mode, {}, 0, NOW)

    assert alert_query(saved("graph neural networks")) == "+graph +neural +networks"
    assert alert_query(saved('"exact phrase" -noise')) == '"exact phrase" -noise'
    assert alert_query(saved("graph neural networks", "hybrid")) == "graph neural networks"
