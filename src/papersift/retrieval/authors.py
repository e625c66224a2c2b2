"""Author search: a query that names an author finds that author's papers first, in every mode.

A query names an author when it is one to four words that could be a name (letters, with dots,
hyphens and apostrophes; no digits, no query syntax) and an indexed paper has an author whose
folded name ends with the query's last word and holds each of its other words, in order, as a
whole word or an initial: "LeCun", "Y. LeCun" and "Yann LeCun" all name Yann LeCun; "Kaiming He"
names Kaiming He. A single word counts only when typed with a capital (LeCun, not lecun), so
that a topic word which is also someone's surname stays a topic.

The names come from the papers themselves: the keyword index finds the papers whose authors
hold the words (``candidates``), and their author lists say which names match. Names that fold
alike, but for middle initials, are one author (its most used spelling shown); a query matching
several names (``Y. Li``, ``Zhang``) is ambiguous and names them all.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from papersift.indexes.keyword import uses_syntax
from papersift.retrieval.base import Hit
from papersift.text import fold_name

NAME_WORDS = (1, 4)
CANDIDATE_PAPERS = 2000  # the papers whose authors are read to find the names a query matches
MAX_AUTHORS = 8  # names shown for an ambiguous query, the most prolific first
_NAME_QUERY = re.compile(r"[^\W\d_]+(?:[.'\u2019-][^\W\d_]+)*\.?")
_NAME_TOKEN = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Author:
    """An author a query names: the spelling most of their papers use, and those papers'
    ids."""

    name: str
    paper_ids: tuple[str, ...]

    @property
    def papers(self) -> int:
        return len(self.paper_ids)


def name_words(query: str) -> list[str] | None:
    """The folded words of ``query`` when it could be an author's name (see the module's
    doc), else None."""
    text = query.strip()
    if not text or uses_syntax(text) or any(ch.isdigit() for ch in text):
        return None
    parts = text.replace(",", " ").split()
    if not NAME_WORDS[0] <= len(parts) <= NAME_WORDS[1]:
        return None
    if not all(_NAME_QUERY.fullmatch(part) for part in parts):
        return None
    if len(parts) == 1 and (parts[0].islower() or parts[0].isupper()):
        return None  # lecun: a word; LSTM, BERT: acronyms
    words = _NAME_TOKEN.findall(fold_name(text))
    return words or None


def matches(query: Sequence[str], name: Sequence[str]) -> bool:
    """Whether the folded name ``name`` is one ``query`` (folded words) names.

    A query of whole words names the names of those words, perhaps with middle initials
    (Yann LeCun: Yann A. LeCun, not Jian-Wei Zhang for Wei Zhang). A query with initials or of
    one word names any name with the same last word and each other query word, in order, a
    word of the name or its initial (Y. LeCun, J. Zhang; LeCun)."""
    if not query or not name or query[-1] != name[-1]:
        return False
    if len(query) > 1 and all(len(word) > 1 for word in query):
        return [word for word in name if len(word) > 1] == list(query)
    position = 0
    rest = name[:-1]
    for word in query[:-1]:
        while position < len(rest) and not _same_or_initial(word, rest[position]):
            position += 1
        if position == len(rest):
            return False
        position += 1
    return True


def _usual(spellings: Counter[str]) -> str:
    """The spelling most papers use; of equally used ones the shortest, then the first."""
    return min(spellings, key=lambda name: (-spellings[name], len(name), name))


def _person(folded: Sequence[str]) -> str:
    """Whom a folded name means: its words less middle initials (Yann A. LeCun is Yann
    LeCun; Y. LeCun stays Y. LeCun)."""
    whole = [word for word in folded[:-1] if len(word) > 1]
    return " ".join([*whole, folded[-1]]) if whole else " ".join(folded)


def _same_or_initial(word: str, other: str) -> bool:
    if word == other:
        return True
    if len(word) == 1:
        return other.startswith(word)
    return len(other) == 1 and word.startswith(other)


def named_authors(
    query: str,
    candidates: Callable[[Sequence[str], bool], set[str]],
    authors_of: Callable[[Sequence[str]], dict[str, tuple[str, ...]]],
    keep: Callable[[set[str]], set[str]] | None = None,
) -> list[Author]:
    """The authors ``query`` names, the one with most papers first (ties by name), at most
    ``MAX_AUTHORS``; each with their papers (those ``keep`` keeps: a search's filters), newest
    arXiv ids first.

    ``candidates(words, phrase)`` gives the ids of papers with an author holding those words in
    order (``phrase``), or with authors holding all of them, anywhere (the keyword index);
    ``authors_of`` their author lists."""
    words = name_words(query)
    if words is None:
        return []
    # The papers whose author lists are read: those with the very name first (a common
    # surname may have more papers than are read, the whole name rarely), then those that may
    # hold it with middle initials. A name of whole words is its words with at most initials
    # between them, so its papers' authors hold all of them; a query with initials or of one
    # word may stand for any first names, so any author of that surname may be meant.
    whole = candidates(words, True) if len(words) > 1 else set()
    initials = len(words) == 1 or any(len(word) == 1 for word in words)
    wider = candidates(words[-1:] if initials else words, False)
    ids = [*sorted(whole), *sorted(wider - whole)][:CANDIDATE_PAPERS]
    spellings: dict[str, Counter[str]] = {}
    papers_of: dict[str, set[str]] = {}
    for paper_id, names in authors_of(ids).items() if ids else ():
        for name in names:
            folded = _NAME_TOKEN.findall(fold_name(name))
            if matches(words, folded):
                key = _person(folded)
                spellings.setdefault(key, Counter())[" ".join(name.split())] += 1
                papers_of.setdefault(key, set()).add(paper_id)
    ranked = sorted(spellings, key=lambda key: (-len(papers_of[key]), key))[:MAX_AUTHORS]
    kept = keep(set().union(*(papers_of[key] for key in ranked))) if keep and ranked else None
    return [
        Author(
            _usual(spellings[key]),
            tuple(sorted(papers_of[key] if kept is None else papers_of[key] & kept, reverse=True)),
        )
        for key in ranked
    ]


def authors_first(hits: Sequence[Hit], authors: Sequence[Author], k: int) -> list[Hit]:
    """``hits`` (a mode's ranking, best first) with the named authors' papers ahead of every
    other paper: those the ranking holds in its order, then the rest of theirs newest first;
    ``k`` in all. Scores stay in descending order (papers put ahead score above the list's best)."""
    if k <= 0:
        return []
    theirs = dict.fromkeys(pid for author in authors for pid in author.paper_ids)
    if not theirs:
        return list(hits[:k])
    ranked = [hit.paper_id for hit in hits if hit.paper_id in theirs]
    ahead = [*ranked, *(pid for pid in theirs if pid not in set(ranked))]
    rest = [hit for hit in hits if hit.paper_id not in theirs]
    # Above the list's best score, each a little above the next, so that no two tie.
    best = max((hit.score for hit in hits), default=1.0)
    step = 1e-6 * max(1.0, abs(best))
    lead = [Hit(pid, best + step * (len(ahead) - n)) for n, pid in enumerate(ahead)]
    return [*lead, *rest][:k]
