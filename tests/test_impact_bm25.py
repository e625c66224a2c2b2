"""The snapshot's BM25 is tantivy's: the stored field lengths and single-term scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tantivy

from papersift.indexes.impact.bm25 import FIELD_NORMS, field_stats, fieldnorm_id
from papersift.indexes.keyword import KeywordIndex
from tests.conftest import make_paper


def test_field_lengths_are_stored_as_tantivy_stores_them() -> None:
    # Entries of tantivy's FIELD_NORMS_TABLE (src/fieldnorm/code.rs).
    assert FIELD_NORMS[:41] == list(range(41))
    assert FIELD_NORMS[41:45] == [42, 44, 46, 48]
    assert FIELD_NORMS[88] == 1_048
    assert FIELD_NORMS[-1] == 2_013_265_944
    assert [fieldnorm_id(n) for n in (0, 40, 41, 42, 43, 1_048, 1_049)] == [
        0,
        40,
        40,
        41,
        41,
        88,
        88,
    ]


def test_single_term_scores_equal_tantivys(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "keyword", accelerator="off")
    papers = [
        make_paper(f"2501.{n:05d}", title="graph " * (n % 4 + 1) + "networks",
                   abstract="graph learning " * n + "on molecules")
        for n in range(1, 60)
    ]  # fmt: skip
    index.update(((n + 1, paper) for n, paper in enumerate(papers)), store_id="s")
    index.update([(100, papers[0]), (101, papers[1])], store_id="s")  # deleted copies count
    tantivy_index = index._open(create=False)
    searcher = tantivy_index.searcher()
    stats = field_stats(tantivy_index, "abstract", "graph")
    # N counts the replaced copies until a merge drops them (whether one did varies).
    assert stats is not None and 59 <= stats.documents <= 61
    query = tantivy.Query.term_query(tantivy_index.schema, "abstract", "graph")
    hits = searcher.search(query, 100).hits
    texts = {paper.id: paper.abstract for paper in papers}
    doc_freq = searcher.doc_freq("abstract", "graph")
    for score, address in hits:
        tokens = texts[searcher.doc(address)["id"][0]].split()
        ours = stats.scores(
            np.asarray([doc_freq], dtype=np.float32),
            np.asarray([tokens.count("graph")], dtype=np.float32),
            np.asarray([fieldnorm_id(len(tokens))], dtype=np.uint8),
            1.0,
        )[0]
        assert abs(float(ours) - score) < 1e-5
