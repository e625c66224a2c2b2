"""The DSI network, constrained decoding and training: valid ids only, exact beam scores, a tiny
corpus learned, and checkpoint resume reproducing the uninterrupted run bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("faiss")

from papersift.indexes.dsi import training  # noqa: E402
from papersift.indexes.dsi.decoding import beam_search  # noqa: E402
from papersift.indexes.dsi.docids import DocidTree, build_docids  # noqa: E402
from papersift.indexes.dsi.network import DSINetwork, NetworkShape  # noqa: E402
from papersift.indexes.dsi.training import Examples, TrainingPlan, fit  # noqa: E402
from tests.dsi.helpers import HashingEmbedder, corpus  # noqa: E402

SMALL = NetworkShape(
    48, width=32, layers=1, heads=4, feedforward=64, dropout=0.1, query_residual=False
)


def _setup(size: int, seed: int = 0) -> tuple[np.ndarray, DocidTree, DSINetwork]:
    vectors = HashingEmbedder().embed([f"{t} {a}" for t, a in corpus(size)])
    tree = build_docids(vectors, branching=3, leaf_size=5, seed=seed)
    torch.manual_seed(seed)
    return vectors, tree, DSINetwork(SMALL, tree).eval()


def _path_log_probability(network: DSINetwork, tree: DocidTree, query, doc: int) -> float:  # type: ignore[no-untyped-def]
    path = tree.path(doc)
    prefix = torch.tensor([path[:-1]], dtype=torch.long)
    with torch.no_grad():
        states = network.hidden(query.unsqueeze(0), prefix)[0]
        nodes = torch.tensor([int(tree.edge_parent[e]) for e in path])
        log_probs = torch.stack(
            [
                torch.log_softmax(network.child_scores(states[[s]], nodes[[s]], s)[0], dim=-1)
                for s in range(len(path))
            ]
        )
    positions = tree.edge_positions()
    return float(sum(log_probs[step, positions[edge]] for step, edge in enumerate(path)))


def test_constrained_decoding_only_emits_real_documents_with_their_exact_scores() -> None:
    vectors, tree, network = _setup(60)
    for row in (0, 17, 42):
        query = torch.from_numpy(vectors[row])
        found = beam_search(network, tree, query, beam=8, k=8)
        docs = [doc for doc, _ in found]
        assert len(docs) == len(set(docs)) == 8
        assert all(0 <= doc < tree.documents for doc in docs)
        scores = [score for _, score in found]
        assert scores == sorted(scores, reverse=True)
        for doc, score in found:
            assert score == pytest.approx(
                _path_log_probability(network, tree, query, doc), abs=1e-4
            )


def test_a_wide_enough_beam_is_exhaustive_and_ranks_every_document_exactly() -> None:
    vectors, tree, network = _setup(30, seed=1)
    query = torch.from_numpy(vectors[5])
    found = beam_search(network, tree, query, beam=tree.edges, k=tree.documents)
    assert sorted(doc for doc, _ in found) == list(range(tree.documents))
    exact = sorted(
        range(tree.documents), key=lambda d: -_path_log_probability(network, tree, query, d)
    )
    assert [doc for doc, _ in found][:5] == exact[:5]


def _hits_at_1(network: DSINetwork, tree: DocidTree, vectors: np.ndarray) -> float:
    return float(
        np.mean(
            [
                beam_search(network, tree, torch.from_numpy(vectors[d]), beam=5, k=1)[0][0] == d
                for d in range(len(vectors))
            ]
        )
    )


@pytest.mark.slow
def test_training_a_few_steps_makes_a_tiny_corpus_retrievable(tmp_path: Path) -> None:
    vectors, tree, network = _setup(40)
    before = _hits_at_1(network, tree, vectors)
    plan = TrainingPlan(epochs=60, batch_size=16, learning_rate=3e-3, warmup_steps=10)
    report = fit(network, tree, Examples(vectors, np.arange(40)), plan, tmp_path / "c.pt")
    after = _hits_at_1(network, tree, vectors)
    assert before < 0.3
    assert after >= 0.95
    assert report.epoch_losses[-1] < report.epoch_losses[0] / 10


class _Interrupt:
    """Wraps training._step to raise KeyboardInterrupt before step number ``at``."""

    def __init__(self, at: int) -> None:
        self.at, self.calls, self.real = at, 0, training._step

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return self.real(*args, **kwargs)


@pytest.mark.slow
def test_resuming_from_a_checkpoint_reproduces_the_uninterrupted_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vectors, tree, straight = _setup(40)
    examples = Examples(vectors, np.arange(40))
    plan = TrainingPlan(epochs=3, batch_size=8, checkpoint_every=4, seed=5)
    fit(straight, tree, examples, plan, tmp_path / "straight.pt")

    _, _, interrupted = _setup(40)
    monkeypatch.setattr(training, "_step", _Interrupt(at=8))
    with pytest.raises(KeyboardInterrupt):
        fit(interrupted, tree, examples, plan, tmp_path / "resumed.pt")
    monkeypatch.undo()
    torch.manual_seed(99)  # a different initialisation: the checkpoint must win
    resumed = DSINetwork(SMALL, tree)
    report = fit(resumed, tree, examples, plan, tmp_path / "resumed.pt")

    assert report.resumed_at_step == 7
    assert report.steps_done == 15
    for name, tensor in straight.state_dict().items():
        assert torch.equal(tensor, resumed.state_dict()[name]), name


def test_an_uneven_tree_trains_and_decodes() -> None:
    """Leaves at different depths: short ids finish early while long ones continue."""
    vectors, _, _ = _setup(45)
    vectors = np.concatenate([vectors, np.tile(vectors[:1], (12, 1))])  # one crowded cluster
    tree = build_docids(vectors, branching=2, leaf_size=4)
    assert len({len(tree.path(d)) for d in range(tree.documents)}) > 1
    network = DSINetwork(SMALL, tree).eval()
    found = beam_search(network, tree, torch.from_numpy(vectors[0]), beam=6, k=6)
    assert len({doc for doc, _ in found}) == 6
