"""Each named choice is written once, by the code that implements it; the settings' and the
web's ``Literal`` types must list exactly the registry's names."""

from __future__ import annotations

from typing import get_args

from papersift import search_request, settings
from papersift.embeddings import registry
from papersift.indexes.backends import INDEX_BACKENDS
from papersift.retrieval import modes
from papersift.retrieval.fusion import SCALES
from papersift.retrieval.hybrid import FUSION_METHODS, MISSING_SCORES
from papersift.web import deps


def test_setting_types_list_the_registries_names() -> None:
    assert get_args(settings.IndexBackendName) == INDEX_BACKENDS
    assert get_args(settings.EmbedderBackendName) == (
        registry.AUTO,
        registry.NONE,
        *registry.BACKENDS,
    )
    assert get_args(settings.FusionName) == FUSION_METHODS
    assert get_args(settings.NormalisationName) == tuple(SCALES)
    assert get_args(settings.MissingScoresName) == MISSING_SCORES


def test_the_web_accepts_exactly_the_search_modes_and_sorts() -> None:
    assert set(get_args(deps.SearchMode)) == {modes.DEFAULT, *modes.ALIASES}
    assert get_args(deps.SearchSort) == search_request.SEARCH_SORTS


def test_every_registered_embedder_backend_resolves_to_itself() -> None:
    for backend in (registry.NONE, *registry.BACKENDS):
        assert registry.resolve_backend(backend) == backend
