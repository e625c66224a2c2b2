"""Fixtures shared by the whole suite: temporary engines, paper factories, the shared data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from papersift.engine import Engine
from papersift.model import Paper
from papersift.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (CI provides ../shared/data)")
    return SHARED_DATA


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'data' / 'papersift.db'}",
        harvest_delay=0.0,
        embedder_backend="none",
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    instance = Engine(settings)
    yield instance
    instance.close()


def make_paper(paper_id: str = "2501.00001", **fields: Any) -> Paper:
    defaults: dict[str, Any] = {
        "title": f"Paper {paper_id}",
        "abstract": "An abstract.",
        "authors": ("Ada Lovelace",),
        "categories": ("cs.CL",),
        "listed": date(2026, 1, 5),
    }
    defaults.update(fields)
    return Paper(id=paper_id, **defaults)


def write_jsonl(path: Path, papers: list[Paper] | list[dict[str, Any]]) -> Path:
    lines = [orjson.dumps(p.to_dict() if isinstance(p, Paper) else p) for p in papers]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path
