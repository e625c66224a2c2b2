"""Code and project links found in a paper's abstract and arXiv comments.

Authors announce their code in the abstract ("Code is available at https://github.com/…") in
many spellings: LaTeX (``\\url{…}``, ``\\href{url}{text}``, ``\\_``), URLs broken across the
abstract's line wrapping (``https://github.`` + newline + ``com/…``), spaces after a dot
(``https://github. com/…``), bare domains (``github.com/owner/repo``) and trailing punctuation
that belongs to the sentence. ``find_links`` undoes all of that and names each link's kind:

- ``code``: a repository on GitHub, GitLab (gitlab.com or a self-hosted ``gitlab.*``) or Bitbucket;
- ``model``, ``dataset``, ``space``: a Hugging Face model, data set or demo;
- ``project``: a project page (``*.github.io``, ``*.gitlab.io``);
- ``other``: any other web address.

bench/code_links.py measures it against hand-labelled sample abstracts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

KINDS = ("code", "model", "dataset", "space", "project", "other")
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")
HUGGING_FACE_HOSTS = ("huggingface.co", "hf.co")
# First path segments of github.com that are GitHub's own pages, not an owner's repositories.
_GITHUB_PAGES = frozenset(
    {
        "about", "apps", "collections", "enterprise", "explore", "features", "login",
        "marketplace", "notifications", "orgs", "pricing", "settings", "site", "sponsors",
        "topics", "trending",
    }
)  # fmt: skip
_HUGGING_FACE_PAGES = frozenset(
    {"blog", "collections", "datasets", "docs", "join", "login", "papers", "pricing", "spaces"}
)

# \href{url}{text} keeps the url; \url{url} and \texttt{url} keep their argument.
_HREF = re.compile(r"\\href\s*\{([^{}]*)\}\s*\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")
_URL_COMMAND = re.compile(r"\\(?:url|path|texttt|nolinkurl)\s*\{([^{}]*)\}")
_LATEX_ESCAPE = re.compile(r"\\([_#%&~$])")
# A URL the abstract's line wrapping broke: "https://github." newline "com/…" (the host is
# unfinished) or "https://4d-" newline "visual-pretraining.github.io" (a hyphen ends the line).
_BROKEN_HOST = re.compile(r"(https?://[\w.-]*\.)\s*\n\s*(?=[a-z]{2,}[/.])")
_BROKEN_HYPHEN = re.compile(r"(https?://\S*[\w]-)\n(?=[\w])")
# "https://github. com/…": a space after a dot inside a host name.
_SPACED_DOT = re.compile(
    r"(https?://[\w-]+(?:\.[\w-]+)*)\.\s+(com|org|io|net|ai|edu|co|ch|de|fr|uk|cn)(?=[/\s.,;:)]|$)"
)
_SCHEME = re.compile(r"(?i)\bhttps?://")
# A bare repository or Hugging Face address, without a scheme.
_BARE = re.compile(
    r"(?<![\w./@-])((?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|huggingface\.co|hf\.co)"
    r"/[\w.~%/#?=&+-]+)",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s<>\"'{}|\\^`\[\]]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*)]}>$~"


@dataclass(frozen=True, slots=True)
class Link:
    """One link: its normalised ``url`` and ``kind`` (one of ``KINDS``)."""

    url: str
    kind: str

    @property
    def repository(self) -> str | None:
        """The repository's root address (``https://github.com/owner/repo``) for code links."""
        return repository_root(self.url) if self.kind == "code" else None

    @property
    def label(self) -> str:
        """Short text for a link: ``owner/repo`` for code and Hugging Face, the host otherwise."""
        parts = urlsplit(self.url)
        path = [p for p in parts.path.split("/") if p]
        if self.kind == "code":
            root = repository_root(self.url) or self.url
            return "/".join(urlsplit(root).path.strip("/").split("/"))
        if self.kind in ("model", "dataset", "space"):
            return "/".join(path[-2:]) if len(path) >= 2 else parts.netloc
        return parts.netloc + ("/" + "/".join(path) if path and self.kind == "project" else "")


def find_links(*texts: str | None) -> tuple[Link, ...]:
    """Every distinct link in ``texts``, in order of appearance."""
    found: dict[str, Link] = {}
    for text in texts:
        for url in _urls(text or ""):
            link = Link(url, _kind(url))
            found.setdefault(_identity(link), link)
    return tuple(found.values())


def code_links(links: Iterable[Link]) -> tuple[Link, ...]:
    return tuple(link for link in links if link.kind == "code")


def repository_root(url: str) -> str | None:
    """``https://host/owner/repo`` for a repository address (GitLab: the whole project path)."""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = [p for p in parts.path.split("/") if p]
    if host == "gitlab.com" or host.startswith("gitlab."):
        path = path[: path.index("-")] if "-" in path else path
        path = path[:-2] if len(path) > 2 and path[-2] in ("tree", "blob") else path
    else:
        path = path[:2]
    if len(path) < 2:
        return None
    path[-1] = path[-1].removesuffix(".git")
    return f"https://{host}/" + "/".join(path)


# Every address found holds one of these (any case): a text without them has none, and most
# abstracts are such texts, so finding their links costs one pass instead of eight regexes.
_MARKERS = ("http", *CODE_HOSTS, *HUGGING_FACE_HOSTS)


def _urls(text: str) -> Iterable[str]:
    lowered = text.lower()
    if not any(marker in lowered for marker in _MARKERS):
        return
    text = _unlatex(text)
    text = _BROKEN_HOST.sub(r"\1", text)
    text = _BROKEN_HYPHEN.sub(r"\1", text)
    text = _SPACED_DOT.sub(r"\1.\2", text)
    text = _BARE.sub(r"https://\1", text)
    for match in _URL.finditer(text):
        url = _trim(match.group(0))
        if _plausible(url):
            yield _normalise(url)


def _unlatex(text: str) -> str:
    text = _HREF.sub(lambda m: f" {m.group(1)} ", text)
    text = _URL_COMMAND.sub(lambda m: f" {m.group(1)} ", text)
    return _LATEX_ESCAPE.sub(r"\1", text)


def _trim(url: str) -> str:
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _plausible(url: str) -> bool:
    host = urlsplit(url).netloc
    return "." in host and not host.endswith(".") and len(host) <= 253


def _normalise(url: str) -> str:
    parts = urlsplit(url)
    scheme = "https" if parts.netloc.lower().removeprefix("www.") in _KNOWN_HTTPS else parts.scheme
    host = parts.netloc.lower()
    path = parts.path.rstrip("/") if host.removeprefix("www.") in _KNOWN_HTTPS else parts.path
    rebuilt = f"{scheme.lower()}://{host}{path}"
    if parts.query:
        rebuilt += f"?{parts.query}"
    if parts.fragment:
        rebuilt += f"#{parts.fragment}"
    return rebuilt


_KNOWN_HTTPS = frozenset(CODE_HOSTS + HUGGING_FACE_HOSTS)


def _kind(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = [p for p in parts.path.split("/") if p]
    if host in CODE_HOSTS or host.startswith("gitlab."):
        owner_pages = _GITHUB_PAGES if host == "github.com" else frozenset()
        if len(path) >= 2 and path[0].lower() not in owner_pages:
            return "code"
        return "other"
    if host in HUGGING_FACE_HOSTS:
        return _hugging_face_kind(path)
    if host.endswith((".github.io", ".gitlab.io")):
        return "project"
    return "other"


def _hugging_face_kind(path: list[str]) -> str:
    if len(path) >= 3 and path[0] in ("datasets", "spaces"):
        return "dataset" if path[0] == "datasets" else "space"
    if len(path) >= 2 and path[0] not in _HUGGING_FACE_PAGES:
        return "model"
    return "other"


def _identity(link: Link) -> str:
    root = link.repository
    return (root or link.url).lower()


def url_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, url)`` of each web address written out in ``text`` as displayed (no LaTeX
    undone, no line breaks joined), for turning them into links; the address is normalised."""
    spans: list[tuple[int, int, str]] = []
    for match in _URL.finditer(text):
        url = _trim(match.group(0))
        if _plausible(url):
            spans.append((match.start(), match.start() + len(url), url))
    return spans


def first_repository(*texts: str | None) -> str | None:
    """The root address of the first code repository ``texts`` link to (stored per paper)."""
    return next((link.repository for link in find_links(*texts) if link.repository), None)
