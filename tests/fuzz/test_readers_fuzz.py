"""No input escapes a reader with anything but papersift's own errors, and what the readers
produce can always be stored and indexed: a few hundred seeded inputs per generator.

The same generators run by the hundred thousand in ``bench/fuzz_readers.py`` (by hand). Here
Hypothesis is derandomized, so CI sees the same inputs every run, and a failure is shrunk to a
small input and printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.fuzz.harness import Harness
from tests.fuzz.strategies import SUBFORMATS

EXAMPLES = 120  # per generator: 1 to 4 seconds each


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    fuzz = Harness(tmp_path_factory.mktemp("fuzz"), batch=100)
    yield fuzz
    fuzz.close()  # writes what is still pending: its failures fail the last test's teardown
    assert not [str(f) for c in fuzz.counts.values() for f in c.failures]


@pytest.mark.parametrize("name", list(SUBFORMATS))
def test_no_input_escapes_the_readers(harness: Harness, name: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(SUBFORMATS[name]())
    def feed(file: tuple[str, bytes]) -> None:
        failures = harness.feed(name, *file)
        assert not failures, [str(f) for f in failures]

    feed()
    counts = harness.counts[name]
    assert counts.inputs >= EXAMPLES
    # the generators reach the fields: most inputs give papers, and poison gives Malformed
    assert counts.papers > EXAMPLES // 10 and counts.malformed > EXAMPLES // 10


def test_what_the_readers_produced_was_stored_and_indexed(harness: Harness) -> None:
    """Runs after the generators' tests (in file order): writes what they left pending."""
    harness.flush()
    produced = {name: c for name, c in harness.counts.items() if name in SUBFORMATS}
    if not produced:
        pytest.skip("run with the generators' tests")
    failures = [str(f) for c in harness.counts.values() for f in c.failures]
    assert not failures
    assert all(c.stored == c.papers for c in produced.values()), produced
    index = harness.counts["(index)"]
    assert index.index_failures == 0 and index.indexed > 0


def test_a_failure_is_recorded_with_its_input(tmp_path: Path) -> None:
    """The harness itself: an exception that is not papersift's own is caught and kept."""
    fuzz = Harness(tmp_path, store=False, failures_dir=tmp_path / "failures")
    import papersift.sources.abs as abs_reader

    original = abs_reader.parse_abs

    def broken(text: str) -> object:
        raise KeyError("boom")

    abs_reader.parse_abs = broken  # type: ignore[assignment]
    try:
        failures = fuzz.feed("abs", "x.abs", b"\\\\\narXiv:2501.00001\n\\\\\n")
    finally:
        abs_reader.parse_abs = original
    assert [f.stage for f in failures] == ["reader", "detect"]
    assert "KeyError: 'boom'" in failures[0].error and failures[0].saved is not None
    assert failures[0].saved.read_bytes().startswith(b"\\\\")
