"""Training queries made from each document, as DSI-QG does with a query generator.

No pretrained query generator can be downloaded here, so each document yields queries of the kinds
its readers type: its title (when titles may be used), its sentences, its key terms and key
phrases (by tf-idf against the corpus), and short spans of its text. Deterministic under ``seed``.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from papersift.text import normalise_for_search

_SENTENCE_END = re.compile(r"(?<!\bal\.)(?<!e\.g\.)(?<!i\.e\.)(?<!Fig\.)(?<=[.!?])\s+(?=[A-Z])")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]+")
_STOPWORD_TEXT = """
    a about above after again against all also among an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having here how however i if in into is it its itself just may
    more most no nor not of off on once only or other our out over own same should so some such
    than that the their them then there these they this those through to too under until up
    upon using very via was we were what when where which while who whom why will with within
    without would yet you your show shows shown propose proposed paper results result study
    approach method methods based new use used"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """How many queries of each kind a document yields."""

    use_titles: bool = True
    sentences: int = 6
    key_terms: int = 6
    key_phrases: int = 3
    spans: int = 2
    span_words: int = 10


@dataclass(frozen=True, slots=True)
class PseudoQuery:
    doc: int
    kind: str
    text: str


def pseudo_queries(
    documents: Sequence[tuple[str, str]], plan: QueryPlan = QueryPlan(), seed: int = 0
) -> list[PseudoQuery]:
    """Queries for each (title, abstract) document, in document order."""
    bodies = [normalise_for_search(abstract) for _, abstract in documents]
    idf = _inverse_document_frequencies(bodies)
    queries: list[PseudoQuery] = []
    for doc, ((title, _), body) in enumerate(zip(documents, bodies, strict=True)):
        generator = random.Random(f"{seed}:{doc}")
        found = list(_queries_of(normalise_for_search(title), body, idf, plan, generator))
        queries.extend(PseudoQuery(doc, kind, text) for kind, text in found if text)
    return queries


def _queries_of(
    title: str, body: str, idf: dict[str, float], plan: QueryPlan, generator: random.Random
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if plan.use_titles and title:
        found.append(("title", title))
    found += [("sentence", s) for s in sentences(body)[: plan.sentences]]
    words = [w.lower() for w in _WORD.findall(body)]
    if plan.key_terms:
        found.append(("key terms", " ".join(_key_terms(words, idf, plan.key_terms))))
    if plan.key_phrases:
        found.append(("key phrases", ", ".join(_key_phrases(words, idf, plan.key_phrases))))
    found += [("span", span) for span in _spans(body, plan, generator)]
    return found


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.split()) >= 4]


def _inverse_document_frequencies(bodies: Sequence[str]) -> dict[str, float]:
    frequencies: Counter[str] = Counter()
    for body in bodies:
        frequencies.update({w.lower() for w in _WORD.findall(body)})
    total = len(bodies)
    return {word: math.log((1 + total) / (1 + count)) + 1 for word, count in frequencies.items()}


def _key_terms(words: list[str], idf: dict[str, float], limit: int) -> list[str]:
    counts = Counter(w for w in words if w not in STOPWORDS and len(w) > 2)
    ranked = sorted(counts, key=lambda w: (-counts[w] * idf.get(w, 1.0), w))
    return ranked[:limit]


def _key_phrases(words: list[str], idf: dict[str, float], limit: int) -> list[str]:
    """Adjacent content-word pairs, scored by the sum of their words' tf-idf."""
    counts = Counter(
        (a, b)
        for a, b in itertools.pairwise(words)
        if a not in STOPWORDS and b not in STOPWORDS and len(a) > 2 and len(b) > 2
    )
    weight = Counter(words)

    def score(pair: tuple[str, str]) -> float:
        return counts[pair] + sum(weight[w] * idf.get(w, 1.0) for w in pair)

    ranked = sorted(counts, key=lambda pair: (-score(pair), pair))
    return [" ".join(pair) for pair in ranked[:limit]]


def _spans(body: str, plan: QueryPlan, generator: random.Random) -> list[str]:
    words = body.split()
    if len(words) <= plan.span_words:
        return [body] if plan.spans and words else []
    starts = range(len(words) - plan.span_words + 1)
    chosen = sorted(generator.sample(starts, min(plan.spans, len(starts))))
    return [" ".join(words[start : start + plan.span_words]) for start in chosen]
