from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from papersift.errors import InvalidIdError
from papersift.sources.arxiv_ids import OLD_ARCHIVES, is_arxiv_id, normalise_arxiv_id


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
