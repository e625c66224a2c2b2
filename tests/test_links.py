"""Code and project links in abstracts: the spellings authors use, and never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papersift.links import KINDS, find_links, repository_root


def repositories(text: str) -> list[str | None]:
    return [link.repository for link in find_links(text) if link.kind == "code"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Code is available at https://github.com/a/b.", ["https://github.com/a/b"]),
        ("Code:\nhttps://github.com/a/b-c_d.git.", ["https://github.com/a/b-c_d"]),
        ("at https://github.\ncom/Euphoria16/DocMark.", ["https://github.com/Euphoria16/DocMark"]),
        ("see https://github. com/foo/bar, thanks", ["https://github.com/foo/bar"]),
        (
            "on github.com/owner/repo and gitlab.com/g/sub/proj",
            ["https://github.com/owner/repo", "https://gitlab.com/g/sub/proj"],
        ),
        ("\\url{https://github.com/x/y}.", ["https://github.com/x/y"]),
        (
            "\\href{https://github.com/R/From_A}{https://github.com/R/From\\_A}.",
            ["https://github.com/R/From_A"],
        ),
        ("(https://github.com/A/B), prospective", ["https://github.com/A/B"]),
        ("https://github.com/Mind/EduDial/tree/main.", ["https://github.com/Mind/EduDial"]),
        (
            "https://github.com/lixinustc/KVQE-\nChallengeCVPR.",
            ["https://github.com/lixinustc/KVQE-ChallengeCVPR"],
        ),
        ("https://bitbucket.org/team/tool/src/master", ["https://bitbucket.org/team/tool"]),
        (
            "https://gitlab.example.edu/lab/group/tool/-/tree/main",
            ["https://gitlab.example.edu/lab/group/tool"],
        ),
    ],
)
def test_repository_links_in_the_spellings_authors_use(text: str, expected: list[str]) -> None:
    assert repositories(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Code will be available on GitHub soon.",
        "available at https://github.com/.",
        "at https://github.com/anonymized-link.",
        "https://github.com/topics/retrieval",
        "https://huggingface.co/OrgOnly",
        "We use digital twins and GitHub issues as data.",
    ],
)
def test_no_repository_where_there_is_none(text: str) -> None:
    assert repositories(text) == []


def test_kinds_of_links() -> None:
    links = find_links(
        "Models at https://huggingface.co/org/model-7b, data at hf.co/datasets/org/set and "
        "a demo at https://huggingface.co/spaces/org/demo}{demo}. Project page: "
        "https://team.github.io/paper/. More at https://example.org/x."
    )
    assert [link.kind for link in links] == ["model", "dataset", "space", "project", "other"]
    assert links[0].label == "org/model-7b"
    assert links[3].url == "https://team.github.io/paper/"


def test_a_repository_mentioned_twice_is_one_link() -> None:
    text = "https://github.com/A/b and https://github.com/a/b/tree/dev"
    links = find_links(text, "github.com/A/b")
    assert len(links) == 1 and links[0].label == "A/b"


def test_repository_root_is_none_for_an_owner_page() -> None:
    assert repository_root("https://github.com/owner") is None


_PIECES = [
    "https://", "github.", "com/", "gitlab.", "hf.co/", "\\url{", "\\href{", "}{", "}", "\\_",
    "\n", " ", ".", "-", "/", "a", "b", "datasets/", "tree/", ".git", ")", "(", "www.",
]  # fmt: skip


@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_any_text_gives_well_formed_links(text: str) -> None:
    for link in find_links(text):
        assert link.kind in KINDS
        assert link.url.startswith(("https://", "http://"))
        assert " " not in link.url and "\n" not in link.url
