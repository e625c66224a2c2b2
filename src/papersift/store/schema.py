"""Table definitions used by queries. The Alembic migrations create the same schema.

Papers and their bookkeeping; the website's users, sessions, votes, collections and
submissions; and the tables later features (subscriptions, digests) extend.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

papers = Table(
    "papers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False),
    Column("authors", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("primary_category", String(32), index=True),
    Column("submitted", Date),
    Column("updated", Date),
    Column("listed", Date, index=True),
    Column("doi", String(255)),
    Column("journal_ref", Text),
    Column("comments", Text),
    Column("license", String(255)),
    Column("source", String(64), nullable=False),
    Column("versions", JSON, nullable=False),
    Column("content_hash", String(32), nullable=False),
    # The first code repository the abstract or comments link to (papersift.links).
    Column("code_url", String(512)),
    Column("rev", BigInteger, nullable=False, index=True),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
)

# Named monotonic counters; "paper_rev" orders paper changes so indexes can catch up incrementally.
counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

store_info = Table(
    "store_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

harvest_state = Table(
    "harvest_state",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("resumption_token", Text),
    Column("pages", Integer, nullable=False),
    Column("records", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # running | done
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("display_name", String(120), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("is_admin", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # When the owner of ``email`` opened the verification link sent to it; NULL: unverified (no
    # mail but verification and password reset links goes to the address).
    Column("email_verified_at", DateTime(timezone=True)),
)

votes = Table(
    "votes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id"), primary_key=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("is_public", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "name", name="uq_collections_user_name"),
)

collection_items = Table(
    "collection_items",
    metadata,
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("paper_id", String(64), ForeignKey("papers.id"), primary_key=True),
    Column("tags", JSON, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("frequency", String(16), nullable=False),  # daily | weekly | off
    Column("sections", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

saved_searches = Table(
    "saved_searches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("query", Text, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("filters", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("name", String(200)),
    # Papers up to this revision have been checked against the search (alerts).
    Column("checked_rev", BigInteger, nullable=False, server_default="0"),
)

follows = Table(
    "follows",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), primary_key=True),  # author | category
    Column("value", String(255), primary_key=True),
)

digest_log = Table(
    "digest_log",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("digest_date", Date, primary_key=True),
    Column("status", String(16), nullable=False),  # composing | sent | empty
    Column("message_id", String(255)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One vector per (embedder identity, paper); ``text_hash`` says which text it was computed from,
# so only new or changed papers are embedded again.
paper_embeddings = Table(
    "paper_embeddings",
    metadata,
    Column("model", String(200), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("text_hash", String(32), nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A login session: the cookie holds a random token, the database only its SHA-256.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),  # the absolute lifetime
    Column("last_seen_at", DateTime(timezone=True)),  # for the idle timeout (NULL: created_at)
    Column("user_agent", String(200)),  # shown in the account's list of sessions
)

# Single-use links mailed to an address (verify it, reset the password): the link holds a random
# token, the database only its SHA-256; using a link deletes its row.
account_tokens = Table(
    "account_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("purpose", String(16), nullable=False),  # verify | reset
    Column("email", String(320), nullable=False),  # the address the link was sent to
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# Failed logins by key ("email:..." and "ip:..."), counted over a window to rate-limit logins.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(400), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_login_failures_key_at", "key", "at"),
)

# A paper a user brought to the community feed of ``feed_date``.
submissions = Table(
    "submissions",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("feed_date", Date, nullable=False, index=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("hidden_at", DateTime(timezone=True)),  # hidden by a moderator
)

# Rendered pages for anonymous visitors, keyed by a digest of what they depend on; ``version`` is
# the store's data version they were rendered from (older versions are deleted as stale).
page_cache = Table(
    "page_cache",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("version", String(200), nullable=False, index=True),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

# "Not interested" marks: explicit negatives for recommendations.
dismissals = Table(
    "dismissals",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id"), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# New papers that matched a saved search (its RSS feed and the digest read them).
alert_matches = Table(
    "alert_matches",
    metadata,
    Column(
        "saved_search_id",
        Integer,
        ForeignKey("saved_searches.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("paper_id", String(64), ForeignKey("papers.id"), primary_key=True),
    Column("found_at", DateTime(timezone=True), nullable=False, index=True),
)

# A user's trained recommendation model, reused while ``signals_key`` (a digest of the user's
# positives and negatives) is unchanged.
user_models = Table(
    "user_models",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("signals_key", String(64), nullable=False),
    Column("model", LargeBinary, nullable=False),
    Column("trained_at", DateTime(timezone=True), nullable=False),
)

# Discussion: comments on papers, threaded by ``parent_id``. A comment its author deletes keeps
# its place in the thread as "deleted" (``deleted_at``, body emptied) while replies hang from it;
# one a moderator hides (``hidden_at``) disappears from pages, feeds and digests.
comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String(64), ForeignKey("papers.id"), nullable=False, index=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("parent_id", Integer, ForeignKey("comments.id", ondelete="SET NULL"), index=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("edited_at", DateTime(timezone=True)),
    Column("deleted_at", DateTime(timezone=True)),
    Column("hidden_at", DateTime(timezone=True)),
)  # fmt: skip

# Readers' reports of comments, one per reader and comment, for the moderators' queue.
comment_reports = Table(
    "comment_reports",
    metadata,
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("reason", String(500), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# What moderators did: granting and revoking the admin role, hiding and showing comments and
# submissions. A deleted account's entries stay, without its id (``actor_id`` NULL: "a deleted
# account"); ``actor_id`` is NULL too for the command line (``papersift admin``).
moderation_log = Table(
    "moderation_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("actor_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("by_operator", Boolean, nullable=False),
    Column("action", String(32), nullable=False),
    Column("target_kind", String(32), nullable=False),
    Column("target", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

# Readers' upvotes of public collections (the directory ranks by them).
collection_votes = Table(
    "collection_votes",
    metadata,
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# What each reader has seen (shown in a digest, or marked) or read (opened, or marked), so that
# lists can hide it and digests never send a paper twice.
paper_states = Table(
    "paper_states",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id"), primary_key=True),
    Column("state", String(8), nullable=False),  # seen | read
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A reader's list settings: whether lists hide the papers they have seen or read.
reader_settings = Table(
    "reader_settings",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("hide_seen", Boolean, nullable=False),
)

# A reader's private note on a paper (Markdown), shown on its page and searched in their library.
paper_notes = Table(
    "paper_notes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id"), primary_key=True),
    Column("body", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
