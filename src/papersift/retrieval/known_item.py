"""Known-item search: a query that names one paper finds that paper first, in every mode.

A query names a paper by its id: an arXiv id in any spelling people copy (``2504.21650v1``,
``arXiv:2504.21650``, ``https://arxiv.org/abs/2504.21650v2``, see ``canonical_arxiv_id``) or a
stored paper's id as it is (``seed-fde0b046e9``). The engine looks the id up in the store and,
when the paper is there and passes the search's filters, puts it first, followed by the mode's
own results without it.

A query also names a paper by its title: exactly, or with case, punctuation and a word or two
changed (``title_distance``). The titles of the top of the keyword ranking, and of the mode's
own ranking unless it is fused from the keyword one (hybrid), are compared with the query, and
the closest title within reach goes first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from papersift.filters import Filters
from papersift.indexes.keyword import uses_syntax
from papersift.model import Paper
from papersift.retrieval.base import Hit
from papersift.sources.arxiv_ids import canonical_arxiv_id
from papersift.text import fold_name, normalise_for_search

MAX_ID_CHARS = 64  # the store's id column; a longer query names no paper
_WORD = re.compile(r"\w+")


def named_id(query: str) -> str | None:
    """The paper id ``query`` may name: the canonical arXiv id of an arXiv id or URL, else the
    query itself when it is one token that could be a stored id (None for anything else)."""
    canonical = canonical_arxiv_id(query)
    if canonical is not None:
        return canonical
    text = query.strip()
    if not text or len(text) > MAX_ID_CHARS or not text.isprintable() or " " in text:
        return None  # a NUL or other control character: no stored id holds one
    return text


def put_first(hits: Sequence[Hit], paper_id: str, k: int) -> list[Hit]:
    """``paper_id`` first, then ``hits`` without it, ``k`` in all. Its score is the best of the
    list (or 1.0 for an empty list), so scores stay in descending order."""
    rest = [hit for hit in hits if hit.paper_id != paper_id]
    best = max((hit.score for hit in hits), default=1.0)
    return [Hit(paper_id, best), *rest][:k]


def passes(paper: Paper, filters: Filters | None) -> bool:
    """Whether ``paper`` passes ``filters`` as the indexes apply them (any of the categories,
    the date within [since, until], an author whose folded name holds the words in order)."""
    if filters is None or filters.empty:
        return True
    allowed = filters.allowed_ids()
    if allowed is not None and paper.id not in allowed:
        return False
    if filters.categories and not set(filters.categories) & set(paper.categories):
        return False
    day = paper.display_date
    if (filters.since or filters.until) and day is None:
        return False
    if filters.since and day is not None and day < filters.since:
        return False
    if filters.until and day is not None and day > filters.until:
        return False
    if filters.author:
        wanted = _WORD.findall(fold_name(filters.author))
        names = _WORD.findall(fold_name(" ; ".join(paper.authors)))
        if wanted and not _holds_in_order(names, wanted):
            return False
    return True


def known_item(
    query: str, fetch: Callable[[str], Paper | None], filters: Filters | None = None
) -> str | None:
    """The id of the stored paper ``query`` names and that passes ``filters``, else None."""
    paper_id = named_id(query)
    if paper_id is None:
        return None
    paper = fetch(paper_id)
    if paper is None or not passes(paper, filters):
        return None
    return paper.id


def _holds_in_order(words: list[str], phrase: list[str]) -> bool:
    size = len(phrase)
    return any(words[i : i + size] == phrase for i in range(len(words) - size + 1))


# titles ----------------------------------------------------------------------------------------

TITLE_CANDIDATES = 10  # the top of each ranking whose titles are compared with the query
_TITLE_TOKEN = re.compile(r"[^\W_]+")


def title_words(text: str) -> list[str]:
    """A title's (or query's) words for comparison: LaTeX, accents, case and punctuation gone."""
    return _TITLE_TOKEN.findall(fold_name(normalise_for_search(text)))


def allowed_edits(words: int) -> int:
    """Word edits (a word dropped, added or changed) a query may differ from a title of
    ``words`` words by and still name it: none under 4 words, one under 8, else two."""
    return 0 if words < 4 else 1 if words < 8 else 2


def title_distance(query: list[str], title: list[str]) -> int | None:
    """The word edit distance between ``query`` and ``title``, or None when it exceeds what
    ``allowed_edits`` allows for the title (0 too when only spaces differ: world-model)."""
    limit = allowed_edits(len(title))
    if abs(len(query) - len(title)) > limit:
        return None
    if "".join(query) == "".join(title):
        return 0
    previous = list(range(len(title) + 1))
    for i, word in enumerate(query, 1):
        current = [i]
        for j, other in enumerate(title, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other))
            )
        if min(current) > limit:
            return None
        previous = current
    return previous[-1] if previous[-1] <= limit else None


class SearchTitles:
    """The words of the titles one search compares with its query (``title_words``), each
    title read once: those of the keyword ranking's top can be read while a hybrid search's
    semantic half still runs (``read_ahead``), the rest once the fused ranking is known."""

    def __init__(self, titles_of: Callable[[Sequence[str]], dict[str, str]]) -> None:
        self.titles_of = titles_of
        self.words: dict[str, list[str]] = {}
        self.asked: set[str] = set()

    def read_ahead(self, hits: Sequence[Hit]) -> None:
        self([hit.paper_id for hit in hits[:TITLE_CANDIDATES]])

    def __call__(self, paper_ids: Sequence[str]) -> dict[str, list[str]]:
        unread = [pid for pid in paper_ids if pid not in self.asked]
        if unread:
            titles = self.titles_of(unread)  # titles only: whole papers cost milliseconds more
            self.words.update((pid, title_words(title)) for pid, title in titles.items())
            self.asked.update(unread)
        return {pid: self.words[pid] for pid in paper_ids if pid in self.words}


def may_name_a_title(query: str) -> bool:
    """Whether ``query`` could be a title ``known_first`` compares: two words or more, no
    query syntax."""
    return not uses_syntax(query) and len(title_words(query)) >= 2


def _closest(words: list[str], candidates: Sequence[tuple[str, list[str]]]) -> str | None:
    """The id of the candidate (id, title words) whose title ``words`` are (see
    ``title_distance``), the closest one first and then the first in ``candidates``; None when
    no title is close enough."""
    best: tuple[int, str] | None = None
    for paper_id, title in candidates:
        distance = title_distance(words, title)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, paper_id)
    return best[1] if best else None


def known_first(
    query: str,
    hits: Sequence[Hit],
    k: int,
    filters: Filters | None,
    *,
    fetch_many: Callable[[Sequence[str]], dict[str, Paper]],
    title_words_of: Callable[[Sequence[str]], dict[str, list[str]]],
    keyword_top: Callable[[int], Sequence[Hit]] | None = None,
    fused_from_keyword: bool = False,
) -> list[Hit]:
    """``hits`` (a mode's ranking of ``query``, at most ``k``) with the paper the query names
    first: the stored paper whose id it is (any spelling), else the paper whose title it is
    (see ``title_distance``; ``title_words_of`` gives the words of stored papers' titles, see
    ``SearchTitles``) among the top ``TITLE_CANDIDATES`` of ``hits`` and, when given, of the
    keyword ranking, ``keyword_top(n)`` (modes that rank by meaning may miss a title's exact
    words). A ranking ``fused_from_keyword`` (hybrid) has its titles compared only when the
    keyword ranking is empty: a title's own words find it there (on the 74,728 papers of the
    arXiv sample, 1,000 title queries found their paper first either way). Papers that fail
    ``filters`` are never put first (the rankings are filtered already)."""
    if k <= 0:
        return []
    named = known_item(query, lambda paper_id: fetch_many([paper_id]).get(paper_id), filters)
    if named is None and may_name_a_title(query):
        order = [hit.paper_id for hit in keyword_top(TITLE_CANDIDATES)] if keyword_top else []
        if not (order and fused_from_keyword):
            order = list(dict.fromkeys([hit.paper_id for hit in hits[:TITLE_CANDIDATES]] + order))
        titles = title_words_of(order)
        candidates = [(pid, titles[pid]) for pid in order if pid in titles]
        named = _closest(title_words(query), candidates)
    return put_first(hits, named, k) if named is not None else list(hits[:k])
