"""Query text: function words do not dominate plain-word queries (they still count in phrases),
and a query goes to the query parser only when it really uses syntax."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papersift.engine import Engine
from papersift.indexes import keyword
from papersift.indexes.keyword import KeywordIndex, content_words, is_stopword, uses_syntax
from tests.conftest import make_paper, write_jsonl

CORPUS = [
    make_paper(
        "2501.00001",
        title="They may be giants",
        abstract="An essay on tall people in literature.",
        authors=("Kaiming Zhou",),
        listed=date(2025, 1, 1),
    ),
    make_paper(
        "2501.00002",
        title="Formation of giant planets",
        abstract="Gas giants and giant planets form by core accretion in protoplanetary discs.",
        authors=("Kaiming He",),
        listed=date(2025, 1, 2),
    ),
    make_paper(
        "2501.00003",
        title="Pre-training deep bidirectional transformers",
        abstract="BERT: language understanding from unlabelled text (deep models).",
        authors=("Ada Lovelace",),
        listed=date(2025, 1, 3),
    ),
    make_paper(
        "2501.00004",
        title="Planets without giants",
        abstract="Rocky planets in systems with no giant planet.",
        authors=("Grace Hopper",),
        listed=date(2025, 1, 4),
    ),
]


@pytest.fixture
def indexed(engine: Engine, tmp_path: Path) -> Engine:
    engine.ingest([write_jsonl(tmp_path / "corpus.jsonl", CORPUS)])
    return engine


def ids(engine: Engine, query: str) -> list[str]:
    return [hit.paper_id for hit in engine.search_hits(query, k=10)]


def file_index_only(engine: Engine) -> None:
    if not isinstance(engine.keyword_index, KeywordIndex):
        pytest.skip("the file (tantivy) index's fields and query parser")


def test_function_words_do_not_dominate(indexed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    query = "they may be planets"
    assert "2501.00001" not in ids(indexed, query)
    if isinstance(indexed.keyword_index, KeywordIndex):
        # Without the list, the rare title words "they", "may", "be" win: the test means it.
        monkeypatch.setattr(keyword, "STOPWORDS", frozenset())
        assert ids(indexed, query)[0] == "2501.00001"


def test_phrases_and_queries_of_function_words_keep_them(indexed: Engine) -> None:
    assert ids(indexed, '"they may be"') == ["2501.00001"]
    assert ids(indexed, "they may be")[0] == "2501.00001"


def test_a_capitalised_function_word_still_finds_a_name(indexed: Engine) -> None:
    file_index_only(indexed)  # PostgreSQL's 'english' configuration drops "he" from names too
    assert ids(indexed, "Kaiming He")[0] == "2501.00002"
    assert ids(indexed, "Kaiming Zhou")[0] == "2501.00001"


@pytest.mark.parametrize(
    ("punctuated", "plain"),
    [
        ("BERT: pre-training (deep) transformers", "BERT pre-training deep transformers"),
        ('giant "planets', "giant planets"),
        ("giants - planets", "giants planets"),
        ("planets (without) giants:", "planets without giants"),
    ],
)
def test_punctuation_does_not_change_what_a_query_means(
    indexed: Engine, punctuated: str, plain: str
) -> None:
    assert indexed.search_hits(punctuated) == indexed.search_hits(plain)


def test_real_syntax_still_works(indexed: Engine) -> None:
    assert set(ids(indexed, '"giant planets"')) == {"2501.00002", "2501.00004"}
    assert "2501.00004" not in ids(indexed, "giant planets -rocky")
    file_index_only(indexed)
    assert ids(indexed, "title:formation") == ["2501.00002"]
    assert ids(indexed, "abstract:essay") == ["2501.00001"]
    assert set(ids(indexed, "giants NOT rocky")) == {"2501.00001", "2501.00002"}
    assert set(ids(indexed, "essay OR rocky")) == {"2501.00001", "2501.00004"}
    assert ids(indexed, "+essay giants") == ["2501.00001"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("attention is all you need", False),
        ("BERT: pre-training (of) deep bidirectional transformers", False),
        ('a "quoted phrase" here', True),
        ('an "unbalanced quote', False),
        ('three " quotes " here "', False),
        ("title:attention", True),
        ("(authors:vaswani)", True),
        ("mixture: of experts", False),
        ("unknownfield:value", False),
        ("cats AND dogs", True),
        ("cats and dogs", False),
        ("NOT dogs", True),
        ("cats OR dogs", True),
        ("Oregon ORbit", False),
        ("-dogs", True),
        ("cats -dogs", True),
        ("+cats dogs", True),
        ("cats - dogs", False),
        ("state-of-the-art", False),
        ("temperature -5 degrees", False),
        ("C++ templates", False),
    ],
)
def test_uses_syntax(query: str, expected: bool) -> None:
    assert uses_syntax(query) is expected


def test_content_words() -> None:
    assert content_words(["They", "may", "be", "giants"]) == ["giants"]
    assert content_words(["they", "may", "be"]) == ["they", "may", "be"]  # nothing else: keep
    assert content_words(["IT", "security", "in", "the", "US"]) == ["IT", "security", "US"]
    assert content_words(["Kaiming", "He"], keep_capitalised=True) == ["Kaiming", "He"]
    assert content_words(["kaiming", "he"], keep_capitalised=True) == ["kaiming"]
    assert content_words(["type", "I", "interferon"]) == ["type", "I", "interferon"]
    assert not is_stopword("giants") and is_stopword("The") and not is_stopword("THE")


def test_parsed_queries_lose_function_words_outside_phrases_only() -> None:
    strip = keyword._without_stopwords
    assert strip('"x the y" of the') == '"x the y"'
    assert strip('title:"the cat" the dog') == 'title:"the cat" dog'
    assert strip("+bert the") == "+bert"
    assert strip("the AND a") == "the AND a"


@given(st.text(max_size=60))
def test_any_text_is_a_query(text: str) -> None:
    uses_syntax(text)
    keyword._without_stopwords(text)
    content_words(text.split())


def test_a_name_counts_more_where_its_words_follow_one_another(
    engine: Engine, tmp_path: Path
) -> None:
    papers = [
        make_paper("2502.00001", title="Apart", authors=("Jian Li", "Wei Zhang", "Jian Zhou")),
        make_paper("2502.00002", title="Together", authors=("Ada Lovelace", "Jian Zhang")),
    ]
    engine.ingest([write_jsonl(tmp_path / "names.jsonl", papers)])
    file_index_only(engine)
    assert ids(engine, "Jian Zhang") == ["2502.00002", "2502.00001"]
    assert ids(engine, "jian zhang")[0] == "2502.00002"
