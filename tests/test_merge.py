from datetime import UTC, date, datetime

from papersift.model import Version
from papersift.store.merge import merge_papers
from tests.conftest import make_paper


def test_newer_version_replaces_fields_and_keeps_history() -> None:
    v1 = make_paper(
        version=1,
        title="Old title",
        versions=(Version(1, datetime(2026, 1, 1, tzinfo=UTC)),),
        submitted=date(2026, 1, 1),
    )
    v2 = make_paper(
        version=2,
        title="New title",
        versions=(Version(2, datetime(2026, 2, 1, tzinfo=UTC)),),
        submitted=None,
        listed=None,
    )
    merged = merge_papers(v1, v2)
    assert merged.title == "New title"
    assert merged.version == 2
    assert [v.number for v in merged.versions] == [1, 2]
    assert merged.submitted == date(2026, 1, 1)  # filled from the older record
    assert merged.listed == date(2026, 1, 5)


def test_older_version_never_overwrites_newer() -> None:
    v3 = make_paper(version=3, title="Latest")
    v1 = make_paper(version=1, title="First", doi="10.1/x")
    merged = merge_papers(v3, v1)
    assert merged.title == "Latest"
    assert merged.version == 3
    assert merged.doi == "10.1/x"  # a field only the older record knew is still kept


def test_first_listing_date_is_kept() -> None:
    early = make_paper(listed=date(2026, 1, 2))
    late = make_paper(listed=date(2026, 3, 4))
    assert merge_papers(late, early).listed == date(2026, 1, 2)
    assert merge_papers(early, late).listed == date(2026, 1, 2)


def test_merging_identical_records_changes_nothing() -> None:
    paper = make_paper(versions=(Version(1, None),))
    assert merge_papers(paper, paper) == paper
