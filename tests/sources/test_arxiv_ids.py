from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from papersift.errors import InvalidIdError
from papersift.sources.arxiv_ids import (
    OLD_ARCHIVES,
    canonical_arxiv_id,
    is_arxiv_id,
    normalise_arxiv_id,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2503.11677", ("2503.11677", None)),
        ("2503.11677v3", ("2503.11677", 3)),
        ("arXiv:2503.11677v2", ("2503.11677", 2)),
        ("ARXIV:2503.11677", ("2503.11677", None)),
        ("0704.0001", ("0704.0001", None)),
        ("1412.9999v12", ("1412.9999", 12)),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("math.GT/0309136", ("math/0309136", None)),
        ("https://arxiv.org/abs/2503.11677v2", ("2503.11677", 2)),
        ("http://arxiv.org/pdf/2503.11677v1.pdf", ("2503.11677", 1)),
        ("https://export.arxiv.org/abs/hep-th/9901001", ("hep-th/9901001", None)),
        ("oai:arXiv.org:2503.11677", ("2503.11677", None)),
        ("oai:arXiv.org:cond-mat/0101001", ("cond-mat/0101001", None)),
        ("  2503.11677 \n", ("2503.11677", None)),
    ],
)
def test_accepts_every_common_spelling(raw: str, expected: tuple[str, int | None]) -> None:
    assert normalise_arxiv_id(raw) == expected
    assert is_arxiv_id(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "", "seed-fde0b046e9", "4983", "2503.1167", "2503.116777", "1501.0001", "0703.0001",
        "2513.11677", "2503.11677v0", "2503.11677v", "foo/9901001", "hep-th/990100",
        "hep-th/9913001", "https://example.org/abs/2503.11677", "arXiv:", "2503.11677 extra",
    ],
)  # fmt: skip
def test_rejects_garbage(raw: str) -> None:
    with pytest.raises(InvalidIdError, match="not an arXiv id"):
        normalise_arxiv_id(raw)
    assert not is_arxiv_id(raw)


NEW_IDS = st.builds(
    lambda yy, mm, n: (
        f"{yy:02d}{mm:02d}." + (f"{n % 10_000:04d}" if (yy, mm) <= (14, 12) else f"{n:05d}")
    ),
    st.integers(8, 99),
    st.integers(1, 12),
    st.integers(0, 99_999),
)
OLD_IDS = st.builds(
    lambda archive, yy, mm, n: f"{archive}/{yy:02d}{mm:02d}{n:03d}",
    st.sampled_from(sorted(OLD_ARCHIVES)),
    st.sampled_from([91, 95, 99, 0, 3, 7]),
    st.integers(1, 12),
    st.integers(0, 999),
)
PREFIXES = st.sampled_from(["", "arXiv:", "oai:arXiv.org:", "https://arxiv.org/abs/"])


@settings(max_examples=200)
@given(st.one_of(NEW_IDS, OLD_IDS), st.one_of(st.none(), st.integers(1, 60)), PREFIXES)
def test_round_trips_valid_ids(paper_id: str, version: int | None, prefix: str) -> None:
    raw = prefix + paper_id + (f"v{version}" if version else "")
    assert normalise_arxiv_id(raw) == (paper_id, version)


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_garbage_raises_only_invalid_id_error(raw: str) -> None:
    assume(not is_arxiv_id(raw))
    with pytest.raises(InvalidIdError):
        normalise_arxiv_id(raw)


# canonical_arxiv_id: every spelling people copy, never an exception ----------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2504.21650v1", "2504.21650"),
        ("arXiv:2504.21650", "2504.21650"),
        ("arXiv: 2504.21650v2", "2504.21650"),
        ("arXiv 2504.21650", "2504.21650"),
        ("https://arxiv.org/abs/2504.21650v2", "2504.21650"),
        ("https://arxiv.org/pdf/2504.21650", "2504.21650"),
        ("https://arxiv.org/pdf/2504.21650v3.pdf", "2504.21650"),
        ("https://arxiv.org/html/2504.21650v2", "2504.21650"),
        ("https://arxiv.org/html/2504.21650v2/#S3", "2504.21650"),
        ("https://arxiv.org/abs/2504.21650?context=cs.CL", "2504.21650"),
        ("https://www.arxiv.org/abs/2504.21650", "2504.21650"),
        ("arxiv.org/abs/2504.21650", "2504.21650"),
        ("https:/arxiv.org/abs/2504.21650", "2504.21650"),  # slashes merged by a proxy
        ("https://ar5iv.labs.arxiv.org/html/2504.21650", "2504.21650"),
        ("https://doi.org/10.48550/arXiv.2504.21650", "2504.21650"),
        ("10.48550/arXiv.2504.21650", "2504.21650"),
        ("arXiv:2504.21650v1 [cs.CL]", "2504.21650"),
        ("(arXiv:2504.21650).", "2504.21650"),
        ("<https://arxiv.org/abs/2504.21650>", "2504.21650"),
        ("\t 2504.21650 \n", "2504.21650"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("arXiv:hep-th/9901001", "hep-th/9901001"),
        ("https://arxiv.org/abs/math.GT/0309136v1", "math/0309136"),
        ("https://arxiv.org/pdf/cond-mat/0101001v3.pdf", "cond-mat/0101001"),
    ],
)
def test_canonical_id_of_copied_spellings(raw: str, expected: str) -> None:
    assert canonical_arxiv_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "", "  ", "attention is all you need", "2504.21650 extra", "2504.2165", "arXiv:",
        "https://arxiv.org/abs/", "https://example.org/abs/2504.21650", "seed-fde0b046e9",
        "scifact:42", "10.1000/arXiv.2504.21650", "2504.21650?x", "x" * 10_000,
    ],
)  # fmt: skip
def test_canonical_id_of_anything_else_is_none(raw: str) -> None:
    assert canonical_arxiv_id(raw) is None


VERSIONS = st.one_of(st.just(""), st.integers(1, 99).map(lambda v: f"v{v}"))
SPELLINGS = st.sampled_from(
    [
        "{id}{v}", "arXiv:{id}{v}", "arxiv:{id}{v}", "ARXIV:{id}{v}", "arXiv: {id}{v}",
        "arXiv {id}{v}", "oai:arXiv.org:{id}", "https://arxiv.org/abs/{id}{v}",
        "http://arxiv.org/abs/{id}{v}", "https://www.arxiv.org/abs/{id}{v}",
        "https://export.arxiv.org/abs/{id}{v}", "arxiv.org/abs/{id}{v}",
        "https://arxiv.org/pdf/{id}{v}", "https://arxiv.org/pdf/{id}{v}.pdf",
        "https://arxiv.org/html/{id}{v}", "https://arxiv.org/html/{id}{v}/",
        "https://arxiv.org/abs/{id}{v}?context=cs", "https://arxiv.org/html/{id}{v}#S2",
        "https://doi.org/10.48550/arXiv.{id}", "arXiv:{id}{v} [cs.CL]", "({id}{v})",
    ]
)  # fmt: skip
SPACE = st.text(" \t\n\r", max_size=3)


@settings(max_examples=400)
@given(st.one_of(NEW_IDS, OLD_IDS), VERSIONS, SPELLINGS, SPACE, SPACE)
def test_every_spelling_round_trips_to_the_canonical_id(
    paper_id: str, version: str, spelling: str, before: str, after: str
) -> None:
    raw = before + spelling.format(id=paper_id, v=version) + after
    assert canonical_arxiv_id(raw) == paper_id
    assert canonical_arxiv_id(paper_id) == paper_id


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=80), st.binary(max_size=40).map(lambda b: b.decode("latin-1"))))
def test_junk_gives_none_never_an_exception(raw: str) -> None:
    found = canonical_arxiv_id(raw)
    assert found is None or canonical_arxiv_id(found) == found


@settings(max_examples=300)
@given(st.one_of(NEW_IDS, OLD_IDS), st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True))
def test_an_id_with_a_word_beside_it_is_not_an_id(paper_id: str, word: str) -> None:
    assert canonical_arxiv_id(f"{paper_id} {word}") is None
    assert canonical_arxiv_id(f"{word} {paper_id}") is None or word.lower() == "arxiv"
