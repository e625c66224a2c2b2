"""Repository links against the hand-labelled sample abstracts (bench/code_links.py)."""

from __future__ import annotations

import pytest

from bench.code_links import LABELS, read_labels, score, select
from bench.common import SAMPLE
from papersift.model import Paper
from papersift.sources.jsonl import read_jsonl

pytestmark = pytest.mark.skipif(
    not SAMPLE.exists(), reason=f"needs the shared arXiv sample at {SAMPLE}"
)


@pytest.fixture(scope="module")
def abstracts() -> dict[str, str]:
    return {r.id: r.abstract for r in read_jsonl(SAMPLE) if isinstance(r, Paper)}


def test_labelled_abstracts_are_the_ones_the_selection_draws(abstracts: dict[str, str]) -> None:
    assert list(read_labels(LABELS)) == select(abstracts)


def test_repository_links_meet_the_precision_and_recall_bars(abstracts: dict[str, str]) -> None:
    figures = score(read_labels(LABELS), abstracts)
    assert figures["repository_links"] >= 150
    assert figures["precision"] >= 0.98, figures["mistakes"]
    assert figures["recall"] >= 0.95, figures["mistakes"]
