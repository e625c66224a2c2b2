"""All settings in one declared table, read from the environment (``PAPERSIFT_*``) and validated.

Every field's ``description`` is its documentation; a test checks that README.md lists them all.
"""

from __future__ import annotations

import os
from email.policy import default as email_policy
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from papersift.errors import SettingsError

# Named choices, each checked against the registry that implements it (tests/test_choices.py):
# settings stay cheap to import, and a new backend cannot be forgotten here.
IndexBackendName = Literal["auto", "files", "database"]  # indexes.backends.INDEX_BACKENDS
KeywordAcceleratorName = Literal["auto", "on", "off"]  # indexes.impact.accelerator.MODES
# embeddings.registry: AUTO, NONE and BACKENDS
EmbedderBackendName = Literal["auto", "none", "torch", "onnx-int8", "static"]
FusionName = Literal["convex", "rrf"]  # retrieval.hybrid.FUSION_METHODS
NormalisationName = Literal["minmax", "zscore", "max"]  # retrieval.fusion.SCALES
MissingScoresName = Literal["floor", "both"]  # retrieval.hybrid.MISSING_SCORES

# faiss's default links per node; pgvector's is 16. The build-time candidates must be at least
# twice the links (pgvector refuses less), so a setting below twice this is refused up front.
_LARGEST_DEFAULT_HNSW_M = 32


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "papersift"


class Settings(BaseSettings):
    """papersift's settings. Environment variables are the field names upper-cased, prefixed."""

    model_config = SettingsConfigDict(env_prefix="PAPERSIFT_", extra="forbid", frozen=True)

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Directory holding the SQLite store and the index files.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the store; default: SQLite file papersift.db in data_dir. "
            "postgresql://... needs the postgres extra (psycopg)."
        ),
    )
    database_pool_size: int = Field(
        default=10,
        ge=1,
        le=1000,
        description=(
            "Database connections each process keeps open, and at most as many again during "
            "bursts. On PostgreSQL, keep 2 x this x the processes of every machine below the "
            "server's max_connections."
        ),
    )
    index_backend: IndexBackendName = Field(
        default="auto",
        description=(
            "Where the search indexes live: files (tantivy BM25 and faiss in data_dir), "
            "database (PostgreSQL full-text search and pgvector; every worker and machine "
            "shares them) or auto (database for a PostgreSQL store, else files)."
        ),
    )
    oai_endpoint: str = Field(
        default="https://oaipmh.arxiv.org/oai",
        description="OAI-PMH endpoint that `papersift harvest` reads from.",
    )
    harvest_delay: float = Field(
        default=3.0,
        ge=0.0,
        le=600.0,
        description="Seconds between OAI-PMH requests (arXiv asks for 3).",
    )
    harvest_max_retries: int = Field(
        default=5,
        ge=0,
        le=50,
        description="Retries of a failing OAI-PMH request before the harvest stops.",
    )
    ingest_batch_size: int = Field(
        default=5000,
        ge=1,
        le=1_000_000,
        description="Papers written per transaction while ingesting (non-strict runs).",
    )
    index_memory_mb: int = Field(
        default=256,
        ge=16,
        le=16384,
        description="Memory budget of the keyword index writer, in MB.",
    )
    keyword_accelerator: KeywordAcceleratorName = Field(
        default="auto",
        description=(
            "Plain-word keyword queries answered from an impact-ordered PISA snapshot of the "
            "keyword index (same ranking, faster on large indexes): auto (when pyterrier-pisa "
            "is installed and the index holds 20,000 papers or more), on (at any size) or off."
        ),
    )

    embedder_backend: EmbedderBackendName = Field(
        default="auto",
        description=(
            "Embedding backend for semantic search: auto (onnx-int8 when the semantic extra is "
            "installed, else none), onnx-int8, torch, static or none."
        ),
    )
    embedder_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Sentence-transformers model name or local path used for embeddings.",
    )
    model_cache_dir: Path | None = Field(
        default=None,
        description="Where exported/distilled models are cached; default: models/ in data_dir.",
    )
    embed_batch_size: int = Field(
        default=32, ge=1, le=4096, description="Texts per embedding batch."
    )
    embed_in_background: bool = Field(
        default=True,
        description=(
            "papersift serve embeds new papers in the background (one worker per deployment, "
            "newest papers first); turn off when papersift index runs from cron instead."
        ),
    )
    embed_publish_papers: int = Field(
        default=2_000,
        ge=1,
        le=1_000_000,
        description="While embedding, make new vectors searchable after this many papers ...",
    )
    embed_publish_seconds: float = Field(
        default=60.0,
        gt=0,
        le=86_400,
        description="... or after this many seconds, whichever comes first.",
    )
    vector_exact_below: int = Field(
        default=20_000,
        ge=0,
        description="Corpora smaller than this are searched exactly instead of with HNSW.",
    )
    vector_hnsw_m: int | None = Field(
        default=None,
        ge=4,
        le=128,
        description="Links per paper in the HNSW graph; default: the backend's own (faiss 32, "
        "pgvector 16). More links find more of the true neighbours in a larger, slower-to-build "
        "graph. Applies from the next full build (papersift index --rebuild).",
    )
    vector_hnsw_ef_construction: int | None = Field(
        default=None,
        ge=8,
        le=2000,
        description="Candidates weighed per paper while building the HNSW graph, at least twice "
        "the links; default: the backend's own (faiss 80, pgvector 64, or twice the links when "
        "that is more). Applies from the next full build.",
    )
    vector_ef_search: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Candidates an HNSW search weighs before it keeps the best k; default: the "
        "backend's own (faiss 96, pgvector 200). More find more of the true neighbours, more "
        "slowly. Applies to the next search, no rebuild.",
    )
    hybrid_fusion: FusionName = Field(
        default="convex",
        description="How hybrid search fuses keyword and semantic lists: convex or rrf.",
    )
    # Defaults chosen on the SciFact train queries (python -m bench.tune_hybrid --depths
    # 100,300,1000; bench/results/tune_hybrid.txt): convex fusion of scores divided by each
    # list's best, keyword weight 0.4, a candidate missing from one list given that list's
    # minimum: train nDCG@10 0.7341 at depth 100. Scoring every candidate by both retrievers
    # gave 0.7333 there, and cost a search about 2 ms (z-score, equal weights, the former
    # default: 0.7325; RRF 0.7114).
    hybrid_normalisation: NormalisationName = Field(
        default="max",
        description="Score normalisation of convex hybrid fusion: minmax, zscore or max.",
    )
    hybrid_missing_scores: MissingScoresName = Field(
        default="floor",
        description=(
            "What a candidate missing from one list of hybrid search scores there: floor (that "
            "list's minimum) or both (its own score by that list's retriever)."
        ),
    )
    hybrid_keyword_weight: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="Weight of the keyword list in hybrid fusion (semantic gets the rest).",
    )
    # 100 asks the vector index for a third of the work of 300. With today's fusion 300 gains
    # little on the SciFact train queries (nDCG@10 0.7355 against 0.7341, tune_hybrid.txt).
    hybrid_depth: int = Field(
        default=100,
        ge=10,
        le=1000,
        description=(
            "Candidates hybrid search takes from each retriever before fusing them (k, when "
            "larger): fewer answer faster."
        ),
    )
    similar_lexical_weight: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="Weight of the lexical (more-like-this) list in similar papers.",
    )

    dsi_branching: int = Field(
        default=10,
        ge=2,
        le=1000,
        description="DSI semantic docids: clusters per level of the hierarchical k-means.",
    )
    dsi_leaf_size: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="DSI semantic docids: most papers in a cluster that is not split further.",
    )
    dsi_beam: int = Field(
        default=100,
        ge=1,
        le=2000,
        description="Beam width of DSI's constrained decoding (also the most results it returns).",
    )
    dsi_epochs: int = Field(
        default=10, ge=1, le=10_000, description="Training epochs of papersift dsi train."
    )
    # Chosen on the SciFact train queries (python -m bench.dsi_eval): 0.1 scored best there, but
    # only 0.0014 nDCG@10 above hybrid without DSI, so DSI stays out of the default hybrid.
    dsi_hybrid_weight: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description=(
            "Weight of the DSI list in hybrid-dsi search (keyword and semantic share the rest "
            "as in hybrid)."
        ),
    )

    arxiv_api_endpoint: str = Field(
        default="https://export.arxiv.org/api/query",
        description="arXiv API endpoint used to fetch community submissions not yet in the store.",
    )
    trending_half_life_hours: float = Field(
        default=48.0,
        gt=0.0,
        le=24 * 365,
        description="Half-life of an upvote's weight in the trending ranking, in hours.",
    )
    submission_window_days: int = Field(
        default=14,
        ge=0,
        le=36500,
        description="Days after its arXiv date during which a paper can be submitted.",
    )
    secret_key: str | None = Field(
        default=None,
        min_length=32,
        description=(
            "Secret that signs CSRF tokens; default: a random one generated once and kept in the "
            "store, so every serve worker shares it."
        ),
    )
    session_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="How long a login session lasts at most (its absolute lifetime), in days.",
    )
    session_idle_hours: int = Field(
        default=168,
        ge=1,
        le=8760,
        description="A login session unused for this many hours ends (the idle timeout).",
    )
    reset_link_minutes: int = Field(
        default=60,
        ge=5,
        le=10080,
        description="How long a password reset link works, in minutes (each works once).",
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        le=1000,
        description=(
            "Login tries allowed per email address from one client address in 15 minutes "
            "(four times as many per client address over all addresses); after twice as many "
            "failures from all clients, the address's password is checked at most once per "
            "growing delay (1 s, doubling, up to 5 minutes) instead of being locked."
        ),
    )
    signups_per_hour: int = Field(
        default=5,
        ge=1,
        le=100_000,
        description="Sign-ups allowed per client address an hour (three per email address).",
    )
    password_hash_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description=(
            "Password hashes (argon2id, 64 MiB each) computed at once per worker process; a "
            "burst beyond four times as many waiting is refused with 429."
        ),
    )

    page_cache_entries: int = Field(
        default=2000,
        ge=0,
        le=1_000_000,
        description=(
            "Rendered pages each serve worker keeps for anonymous visitors (0 turns the cache "
            "off); entries are dropped as soon as the data they show changes."
        ),
    )
    request_max_header_bytes: int = Field(
        default=16_384,
        ge=1024,
        le=1_048_576,
        description=(
            "Bytes of request headers (without the request line) serve accepts; larger heads, "
            "or more than 100 headers, get 431. Request targets over 8,192 bytes get 414."
        ),
    )
    request_header_timeout: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description=(
            "Seconds a client has to send a request's line and headers, from the connection or "
            "the request's first byte; a slower or silent one gets 408 and is disconnected."
        ),
    )
    request_body_timeout: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description=(
            "Seconds a request body may pause between two pieces before serve answers 408 "
            "and disconnects."
        ),
    )

    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description=(
            "The site's public base URL (http or https), used for links in emails; one-click "
            "unsubscribe headers are only added when it is https."
        ),
    )
    smtp_host: str = Field(
        default="localhost", min_length=1, description="SMTP server that sends the emails."
    )
    smtp_port: int = Field(
        default=587, ge=1, le=65535, description="Port of the SMTP server (587: submission)."
    )
    smtp_username: str | None = Field(
        default=None,
        description="User name for SMTP AUTH; unset: send without logging in.",
    )
    smtp_password: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="Password for SMTP AUTH (needed when smtp_username is set).",
    )
    smtp_starttls: bool = Field(
        default=True,
        description="Upgrade the SMTP connection with STARTTLS before logging in and sending.",
    )
    smtp_tls_verify: bool = Field(
        default=True,
        description=(
            "Verify the SMTP server's TLS certificate and host name (turn off only for a "
            "development server with a self-signed certificate)."
        ),
    )
    smtp_timeout: float = Field(
        default=30.0,
        gt=0.0,
        le=600.0,
        description=(
            "Seconds to wait for the SMTP server before the attempt fails (a temporary failure)."
        ),
    )
    mail_from: str = Field(
        default="papersift <papersift@localhost>",
        description="Sender of the emails (From header and envelope sender), name <address>.",
    )

    daily_sets: str = Field(
        default="cs",
        description=(
            "OAI sets `papersift daily` harvests, comma-separated (e.g. cs,stat or "
            "physics:hep-th); empty: no harvest."
        ),
    )
    recommendation_window_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description=(
            "Recommendations rank the papers of this many days, ending at the newest listing day."
        ),
    )

    @field_validator("oai_endpoint", "arxiv_api_endpoint")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        if parts.query or parts.fragment or any(c.isspace() for c in value):
            raise ValueError("must be a base URL, without spaces, query or fragment")
        return value.rstrip("/")

    @field_validator("smtp_host")
    @classmethod
    def _host_name(cls, value: str) -> str:
        if any(c.isspace() for c in value) or "/" in value:
            raise ValueError("must be a host name or address")
        return value

    @field_validator("smtp_password")
    @classmethod
    def _password_with_username(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if info.data.get("smtp_username") and value is None:
            raise ValueError("must be set when PAPERSIFT_SMTP_USERNAME is set")
        return value

    @field_validator("vector_hnsw_ef_construction")
    @classmethod
    def _candidates_for_links(cls, value: int | None, info: ValidationInfo) -> int | None:
        links = info.data.get("vector_hnsw_m") or _LARGEST_DEFAULT_HNSW_M
        if value is not None and value < 2 * links:
            raise ValueError(
                f"must be at least twice PAPERSIFT_VECTOR_HNSW_M ({links}"
                f"{'' if info.data.get('vector_hnsw_m') else ', the largest default'})"
            )
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_address(cls, value: str) -> str:
        header = email_policy.header_factory("From", value)
        addresses = header.addresses
        if header.defects or len(addresses) != 1 or not addresses[0].domain:
            raise ValueError("must be one email address, optionally with a name: name <a@b.c>")
        return value

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'papersift.db'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        return self.model_cache_dir or self.data_dir / "models"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment plus explicit overrides; invalid values raise SettingsError."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"PAPERSIFT_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None
