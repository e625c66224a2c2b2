"""Training pairs made from the corpus itself: what a reader might type, and the paper it finds.

Each document yields pairs of these kinds (none needs a label):

* ``title-abstract``: the title as the query, the abstract as the passage (titles allowed only);
* ``sentence-rest``: one sentence of the abstract as the query, the rest of the paper as the
  passage (the inverse cloze task: it teaches claims and statements to find their context);
* ``pseudo-query``: the key terms, key phrases and short spans the DSI code generates
  (``papersift.indexes.dsi.pseudo_queries``), against the whole paper.

Every document gives at most ``pairs_per_doc`` pairs, a sentence first, then the other kinds in an
order drawn per document, so small budgets still see every document and every kind. Pairs are
ordered in rounds (every document's first pair, then every document's second...), shuffled within
a round, so a batch rarely holds two pairs of one document. Deterministic under ``seed``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from papersift.indexes.dsi.pseudo_queries import QueryPlan, pseudo_queries, sentences
from papersift.text import normalise_for_search

TITLE_ABSTRACT = "title-abstract"
SENTENCE_REST = "sentence-rest"
PSEUDO_QUERY = "pseudo-query"
# The DSI generator's kinds used here: titles and sentences are made by this module instead.
_PSEUDO_PLAN = QueryPlan(use_titles=False, sentences=0, key_terms=6, key_phrases=3, spans=2)


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    abstract: str


@dataclass(frozen=True, slots=True)
class Pair:
    doc: int  # index of the document the pair was made from
    kind: str
    query: str
    passage: str


def document_passage(document: Document, *, use_titles: bool) -> str:
    """The text a document is matched as: title and abstract, as papersift embeds it."""
    text = f"{document.title} {document.abstract}" if use_titles else document.abstract
    return normalise_for_search(text)


def make_pairs(
    documents: Sequence[Document], *, pairs_per_doc: int, use_titles: bool, seed: int
) -> list[Pair]:
    """Up to ``pairs_per_doc`` pairs of each document, in shuffled rounds (see the module doc)."""
    pseudo = pseudo_queries([("", d.abstract) for d in documents], _PSEUDO_PLAN, seed=seed)
    pseudo_by_doc: dict[int, list[str]] = {}
    for query in pseudo:
        pseudo_by_doc.setdefault(query.doc, []).append(query.text)
    per_doc = [
        _pairs_of(doc, document, pseudo_by_doc.get(doc, []), pairs_per_doc, use_titles, seed)
        for doc, document in enumerate(documents)
    ]
    return _in_rounds(per_doc, random.Random(f"rounds:{seed}"))


def _pairs_of(
    doc: int,
    document: Document,
    pseudo: list[str],
    limit: int,
    use_titles: bool,
    seed: int,
) -> list[Pair]:
    generator = random.Random(f"pairs:{seed}:{doc}")
    by_kind = {
        SENTENCE_REST: _sentence_pairs(doc, document, use_titles, generator),
        TITLE_ABSTRACT: _title_pairs(doc, document) if use_titles else [],
        PSEUDO_QUERY: _pseudo_pairs(doc, document, pseudo, use_titles, generator),
    }
    others = [TITLE_ABSTRACT, PSEUDO_QUERY]
    generator.shuffle(others)
    kinds = [SENTENCE_REST, *others]
    chosen: list[Pair] = []
    for depth in range(max(len(pairs) for pairs in by_kind.values())):
        for kind in kinds:
            if depth < len(by_kind[kind]) and len(chosen) < limit:
                chosen.append(by_kind[kind][depth])
    return chosen


def _sentence_pairs(
    doc: int, document: Document, use_titles: bool, generator: random.Random
) -> list[Pair]:
    """Each sentence against the title and the other sentences, in random order."""
    found = sentences(normalise_for_search(document.abstract))
    if len(found) < 2:
        return []
    title = normalise_for_search(document.title) if use_titles else ""
    pairs = []
    for position, sentence in enumerate(found):
        rest = " ".join(found[:position] + found[position + 1 :])
        passage = f"{title} {rest}".strip()
        pairs.append(Pair(doc, SENTENCE_REST, sentence, passage))
    generator.shuffle(pairs)
    return pairs


def _title_pairs(doc: int, document: Document) -> list[Pair]:
    title, abstract = normalise_for_search(document.title), normalise_for_search(document.abstract)
    return [Pair(doc, TITLE_ABSTRACT, title, abstract)] if title and abstract else []


def _pseudo_pairs(
    doc: int, document: Document, pseudo: list[str], use_titles: bool, generator: random.Random
) -> list[Pair]:
    passage = document_passage(document, use_titles=use_titles)
    pairs = [Pair(doc, PSEUDO_QUERY, query, passage) for query in pseudo if query]
    generator.shuffle(pairs)
    return pairs


def _in_rounds(per_doc: list[list[Pair]], generator: random.Random) -> list[Pair]:
    ordered: list[Pair] = []
    for depth in range(max((len(pairs) for pairs in per_doc), default=0)):
        round_ = [pairs[depth] for pairs in per_doc if depth < len(pairs)]
        generator.shuffle(round_)
        ordered.extend(round_)
    return ordered
