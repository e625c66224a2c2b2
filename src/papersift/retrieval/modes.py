"""Search modes by name: the names the code uses, the names people see, and their aliases."""

from __future__ import annotations

KEYWORD = "bm25"
DENSE = "dense"
HYBRID = "hybrid"
DSI = "dsi"
HYBRID_DSI = "hybrid-dsi"
DEFAULT = "auto"  # hybrid once semantic search can answer, keyword before that

ALL = (KEYWORD, DENSE, HYBRID, DSI, HYBRID_DSI)
SEMANTIC_MODES = (DENSE, HYBRID, DSI, HYBRID_DSI)  # need vectors (and DSI a trained model)
LABELS = {
    KEYWORD: "Keyword",
    DENSE: "Semantic",
    HYBRID: "Hybrid",
    DSI: "Generative (DSI)",
    HYBRID_DSI: "Hybrid + DSI",
}
# The names the website shows, lower-cased, besides the names the code uses.
ALIASES = {"keyword": KEYWORD, "semantic": DENSE, **{mode: mode for mode in ALL}}
NAMES_HELP = "keyword (bm25), semantic (dense), hybrid, dsi, hybrid-dsi, or auto"


def canonical_mode(name: str) -> str:
    """The mode ``name`` means (``DEFAULT`` for auto); ValueError naming the choices if none."""
    key = name.strip().lower()
    if key == DEFAULT:
        return DEFAULT
    try:
        return ALIASES[key]
    except KeyError:
        raise ValueError(f"unknown search mode {name!r}; choose one of: {NAMES_HELP}") from None


def label(mode: str) -> str:
    return LABELS.get(mode, mode)
