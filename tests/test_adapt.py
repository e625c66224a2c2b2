"""Adapting the sentence encoder to a corpus: deterministic under a seed, resumable after an
interruption, and better at retrieval after a few steps. A tiny randomly initialised BERT (made
here, with its own word-level vocabulary) stands in for the real model, so these run in seconds.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from papersift.embeddings.adapt import (
    AdaptConfig,
    AdaptInterrupted,
    Controls,
    Document,
    adapt_model,
)
from papersift.embeddings.adapt.pairs import SENTENCE_REST, TITLE_ABSTRACT, make_pairs
from papersift.embeddings.models import read_metadata

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TOPICS = 8
COMMON = [f"common{letter}" for letter in "abcdefghijklmnopqrst"]


def topic_words(topic: int) -> list[str]:
    letters = "abcdefghij"
    return [f"topic{letters[topic]}{letters[i]}" for i in range(10)]


def make_corpus(docs_per_topic: int = 2, seed: int = 0) -> list[tuple[int, Document]]:
    """(topic, document) pairs: each sentence mixes words of its topic with common words."""
    generator = random.Random(seed)
    corpus = []
    for topic in range(TOPICS):
        for _ in range(docs_per_topic):
            title = " ".join(generator.sample(topic_words(topic), 3))
            abstract = " ".join(sentence(topic, generator) for _ in range(5))
            corpus.append((topic, Document(title.capitalize(), abstract)))
    return corpus


def sentence(topic: int, generator: random.Random) -> str:
    words = generator.sample(topic_words(topic), 2) + generator.sample(COMMON, 5)
    generator.shuffle(words)
    return " ".join(words).capitalize() + "."


def make_tiny_model(directory: Path) -> Path:
    """A 2-layer BERT with random weights (fixed seed) and a word-level vocabulary."""
    directory.mkdir(parents=True, exist_ok=True)
    words = COMMON + [w for topic in range(TOPICS) for w in topic_words(topic)]
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", *words]
    tokenizer = word_tokenizer(vocabulary)
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(vocabulary),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    transformers.BertModel(config).save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    return directory


def word_tokenizer(vocabulary: list[str]) -> Any:
    """A BERT-style tokenizer (lower-casing, [CLS] ... [SEP]) over whole words."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    ids = {word: number for number, word in enumerate(vocabulary)}
    backend = Tokenizer(models.WordPiece(ids, unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])],
    )
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-bert")


def run(
    model: Path, root: Path, documents: list[Document], **settings: Any
) -> tuple[Path, dict[str, Any]]:
    controls = settings.pop("controls", None)
    config = AdaptConfig(str(model), batch_size=4, learning_rate=1e-3, **settings)
    result = adapt_model(
        documents, config, work_root=root / "work", output_root=root / "out", controls=controls
    )
    return result.model_dir, result.metadata


def weights(model_dir: Path) -> dict[str, Any]:
    return dict(transformers.BertModel.from_pretrained(str(model_dir)).state_dict())


def same_weights(a: Path, b: Path) -> bool:
    first, second = weights(a), weights(b)
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def documents() -> list[Document]:
    return [document for _, document in make_corpus()]


def test_pairs_cover_every_document_sentence_first() -> None:
    corpus = documents()
    pairs = make_pairs(corpus, pairs_per_doc=2, use_titles=True, seed=0)
    assert len(pairs) == 2 * len(corpus)
    first_round = pairs[: len(corpus)]
    assert {p.doc for p in first_round} == set(range(len(corpus)))
    assert {p.kind for p in first_round} == {SENTENCE_REST}
    sentence_pair = first_round[0]
    assert sentence_pair.query not in sentence_pair.passage  # the rest, not the whole abstract
    assert make_pairs(corpus, pairs_per_doc=2, use_titles=True, seed=0) == pairs


def test_without_titles_no_pair_holds_a_title() -> None:
    corpus = documents()
    pairs = make_pairs(corpus, pairs_per_doc=4, use_titles=False, seed=0)
    assert TITLE_ABSTRACT not in {p.kind for p in pairs}
    for pair in pairs:
        title = corpus[pair.doc].title.lower()
        assert title not in pair.passage.lower() and title not in pair.query.lower()


def test_two_runs_with_one_seed_give_identical_weights(tiny_model: Path, tmp_path: Path) -> None:
    first, meta = run(tiny_model, tmp_path / "a", documents(), max_steps=4)
    second, _ = run(tiny_model, tmp_path / "b", documents(), max_steps=4)
    other_seed, _ = run(tiny_model, tmp_path / "c", documents(), max_steps=4, seed=1)
    assert first.name == second.name  # named by a digest of the weights
    assert same_weights(first, second)
    assert not same_weights(first, other_seed)
    assert not same_weights(first, tiny_model)
    assert meta["steps"] == 4 and meta["complete"]


def test_an_interrupted_run_resumes_to_the_same_weights(tiny_model: Path, tmp_path: Path) -> None:
    straight, _ = run(tiny_model, tmp_path / "straight", documents(), max_steps=4)
    interrupted = tmp_path / "interrupted"
    stop_at_2 = Controls(stop_requested=lambda step: step == 2)
    with pytest.raises(AdaptInterrupted):
        run(tiny_model, interrupted, documents(), max_steps=4, controls=stop_at_2)
    assert not (interrupted / "out").exists()  # nothing finished yet
    resumed, meta = run(tiny_model, interrupted, documents(), max_steps=4)
    assert meta["steps"] == 4 and len(meta["loss_curve"]) == 4
    assert same_weights(straight, resumed)


def test_a_spent_time_budget_saves_the_model_and_more_time_continues(
    tiny_model: Path, tmp_path: Path
) -> None:
    no_time = Controls(budget_seconds=1e-9)  # one step, then the budget is spent
    partial, meta = run(tiny_model, tmp_path, documents(), controls=no_time)
    assert not meta["complete"] and meta["steps"] == 1 < meta["steps_planned"]
    finished, meta = run(tiny_model, tmp_path, documents())
    assert meta["complete"] and meta["steps"] == meta["steps_planned"]
    assert partial != finished and partial.is_dir()


def test_the_model_directory_describes_itself(tiny_model: Path, tmp_path: Path) -> None:
    model_dir, _ = run(tiny_model, tmp_path, documents(), max_steps=2)
    meta = read_metadata(model_dir)
    assert meta["base_model"] == str(tiny_model)
    assert meta["data"]["documents"] == len(documents())
    assert meta["loss"]["name"] == "multiple-negatives-ranking"
    assert meta["steps"] == 2 and meta["training_seconds"] >= 0
    assert len(meta["losses_per_epoch"]) == 1
    assert (model_dir / "tokenizer.json").is_file() and (model_dir / "config.json").is_file()


def test_retrieval_of_unseen_sentences_improves_after_a_few_steps(
    tiny_model: Path, tmp_path: Path
) -> None:
    corpus = make_corpus(docs_per_topic=1)
    generator = random.Random(99)  # queries the training never saw
    queries = [(topic, sentence(topic, generator)) for topic in range(TOPICS) for _ in range(3)]
    before = topic_precision(tiny_model, corpus, queries)
    adapted, _ = run(tiny_model, tmp_path, [d for _, d in corpus], epochs=10, pairs_per_doc=6)
    after = topic_precision(adapted, corpus, queries)
    assert after > before + 0.2, (before, after)


def topic_precision(
    model_dir: Path, corpus: list[tuple[int, Document]], queries: list[tuple[int, str]]
) -> float:
    """Share of queries whose nearest document is of their topic."""
    from papersift.embeddings.adapt.training import encode

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(model_dir))
    network = transformers.AutoModel.from_pretrained(str(model_dir)).eval()
    with torch.no_grad():
        docs = encode(
            torch, network, tokenizer, [f"{d.title} {d.abstract}" for _, d in corpus], 128
        )
        asked = encode(torch, network, tokenizer, [text for _, text in queries], 64)
    nearest = (asked @ docs.T).argmax(dim=1).tolist()
    hits: list[bool] = [
        corpus[doc][0] == topic for (topic, _), doc in zip(queries, nearest, strict=True)
    ]
    return sum(hits) / len(hits)


def test_metadata_is_json(tiny_model: Path, tmp_path: Path) -> None:
    model_dir, _ = run(tiny_model, tmp_path, documents(), max_steps=1)
    json.loads((model_dir / "papersift-model.json").read_text(encoding="utf-8"))
