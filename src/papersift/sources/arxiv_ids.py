"""arXiv identifiers: recognise them in their many spellings and reduce them to one form.

The canonical form is the id without version: ``2503.11677`` (new style, since April 2007) or
``hep-th/9901001`` (old style, archive/YYMMNNN; a subject class such as ``math.GT/0309136`` is
dropped, giving ``math/0309136``). The version, when the input names one, is returned apart.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from papersift.errors import InvalidIdError

# Every archive that ever issued old-style ids (they stopped in March 2007, so this list is final).
OLD_ARCHIVES = frozenset(
    {
        "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
        "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
        "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin",
        "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "quant-ph",
        "solv-int", "supr-con",
    }
)  # fmt: skip

# A web address of the paper (scheme optional, and a proxy may have merged its two slashes), a
# DOI arXiv registered for it, or a prefix naming the archive.
_URL_PREFIX = r"""
    (?:https?:/{1,2})?(?:
        (?:www\.|export\.|browse\.)?arxiv\.org/(?:abs|pdf|html|format|ps)/
      | (?:ar5iv\.labs\.arxiv\.org|ar5iv\.org)/(?:abs|html)/
      | (?:dx\.)?doi\.org/10\.48550/arxiv\.
    )"""
_PREFIX = re.compile(
    rf"""^(?:
        (?P<url>{_URL_PREFIX})
      | 10\.48550/arxiv\.
      | oai:arxiv\.org:
      | arxiv:\s*
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# What may follow a URL's id: a query string or a fragment (?context=cs, #S2).
_URL_TAIL = re.compile(r"[?#].*\Z", re.DOTALL)
_NEW_STYLE = r"(?P<new_yymm>\d{4})\.(?P<number>\d{4,5})"
# An old-style id may carry a subject class (math.GT/0309136); it is not part of the id.
_OLD_STYLE = (
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[A-Za-z]{2,}(?:-[a-z]{2,})?)?"
    r"/(?P<old_number>(?P<old_yymm>\d{4})\d{3})"
)
# Around an id copied from a reference list or a listing page.
_CATEGORY_TAIL = re.compile(r"\s*\[[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[a-z]+)?)?\]\Z")
_ARXIV_SPACE = re.compile(r"^arxiv\s+(?=\S)", re.IGNORECASE)
_WRAPPING = " \t\r\n<>()[]{}\"'`“”‘’"
_TRAILING = ".,;:!"  # sentence punctuation after an id
_MAX_CHARS = 200  # the longest spelling (an abs URL of an old-style id) is under 60
_ID = re.compile(rf"(?:{_NEW_STYLE}|{_OLD_STYLE})(?:v(?P<version>[1-9]\d{{0,3}}))?(?:\.pdf)?/?")


def normalise_arxiv_id(raw: str) -> tuple[str, int | None]:
    """Return ``(id without version, version or None)`` for any common spelling of an arXiv id.

    Accepts bare ids (``2503.11677``, ``2503.11677v3``, ``hep-th/9901001``,
    ``math.GT/0309136``), ``arXiv:`` and ``oai:arXiv.org:`` prefixes, abs/pdf/html URLs (with
    or without scheme, with a query string or fragment) and arXiv's DOIs (``10.48550/arXiv.``).
    Raises ``InvalidIdError`` for anything else.
    """
    text = raw.strip()
    match = _ID.fullmatch(_without_prefix(text)) if len(text) <= _MAX_CHARS else None
    if match is None or not _plausible(match):
        shown = raw if len(raw) <= 60 else raw[:60] + "..."  # a bad id may be megabytes long
        raise InvalidIdError(f"not an arXiv id: {shown!r}")
    version = match.group("version")
    if match.group("archive"):
        paper_id = f"{match.group('archive')}/{match.group('old_number')}"
    else:
        paper_id = f"{match.group('new_yymm')}.{match.group('number')}"
    return paper_id, int(version) if version else None


def canonical_arxiv_id(raw: str) -> str | None:
    """The canonical id (no version) of any spelling of an arXiv id people copy, else None.

    Besides what ``normalise_arxiv_id`` accepts, allows what surrounds an id copied from a
    reference or a listing: wrapping brackets or quotes, trailing punctuation, a trailing
    category (``arXiv:2504.21650v1 [cs.CL]``) and ``arXiv`` followed by a space. Never raises.
    """
    if not isinstance(raw, str) or len(raw) > _MAX_CHARS:
        return None
    text = _CATEGORY_TAIL.sub("", raw.strip())
    text = _ARXIV_SPACE.sub("arXiv:", text.strip(_WRAPPING + _TRAILING))
    try:
        return normalise_arxiv_id(text)[0]
    except InvalidIdError:
        return None


def is_arxiv_id(s: str) -> bool:
    """Whether ``normalise_arxiv_id`` accepts ``s``."""
    try:
        normalise_arxiv_id(s)
    except InvalidIdError:
        return False
    return True


def _without_prefix(text: str) -> str:
    prefix = _PREFIX.match(text)
    if prefix is None:
        return text
    rest = text[prefix.end() :]
    return _URL_TAIL.sub("", rest) if prefix.group("url") else rest


def _plausible(match: re.Match[str]) -> bool:
    """Check what the pattern cannot: a real month, a known archive, the right number width."""
    archive = match.group("archive")
    yymm = match.group("old_yymm") if archive else match.group("new_yymm")
    month = int(yymm[2:])
    if not 1 <= month <= 12:
        return False
    if archive:
        return archive in OLD_ARCHIVES
    # New-style ids start in 0704; numbers have 4 digits until 1412 and 5 digits from 1501.
    if yymm < "0704":
        return False
    return len(match.group("number")) == (4 if yymm <= "1412" else 5)


def arxiv_abs_url(paper_id: str) -> str:
    """The arXiv abstract page of the paper with the (canonical) arXiv id ``paper_id``."""
    return f"https://arxiv.org/abs/{quote(paper_id, safe='/')}"


def arxiv_pdf_url(paper_id: str) -> str:
    return f"https://arxiv.org/pdf/{quote(paper_id, safe='/')}"
