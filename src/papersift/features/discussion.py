"""Discussion on papers: threaded comments in Markdown, edited and deleted by their authors,
reported by readers, hidden by moderators (who are granted the role from the command line), with
every moderator's action in a log.

The rules live here, so that the pages, the JSON API and the CLI apply the same ones: who may
do what, how long a comment may be, how many a reader may write in a while.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from markupsafe import Markup

from papersift.errors import (
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from papersift.features.accounts import normalise_email
from papersift.features.markdown import render_markdown
from papersift.model import Paper
from papersift.store.comments import CommentStore, LogEntry, StoredComment
from papersift.store.submissions import SubmissionStore
from papersift.store.users import User, UserStore

MAX_COMMENT_CHARS = 10_000
MAX_REPORT_CHARS = 500
MAX_DEPTH = 6  # deeper replies are shown at this depth (threads stay readable on a phone)
RATE_WINDOW = timedelta(minutes=10)
COMMENTS_PER_WINDOW = 10


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment as readers see it: ``html`` is the rendered Markdown (empty once deleted or
    hidden: such a comment is shown only as a place holder for the replies below it)."""

    id: int
    paper_id: str
    author: str | None
    author_id: int | None
    parent_id: int | None
    body: str
    html: Markup
    created_at: datetime
    edited_at: datetime | None
    state: str  # "visible", "deleted" or "hidden"
    depth: int = 0
    replies: list[Comment] = field(default_factory=list)

    @property
    def visible(self) -> bool:
        return self.state == "visible"


class Discussion:
    def __init__(
        self,
        store: CommentStore,
        submissions: SubmissionStore,
        users: UserStore,
        *,
        find_paper: Callable[[str], Paper],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.submissions = submissions
        self.users = users
        self.find_paper = find_paper
        self.clock = clock

    # reading -----------------------------------------------------------------------------------

    def thread(self, paper_id: str) -> list[Comment]:
        """The paper's comments as a tree, oldest first at each level. Deleted and hidden
        comments appear only as place holders, and only when visible replies hang from them."""
        paper = self.find_paper(paper_id)
        stored = self.store.of_paper(paper.id)
        children: dict[int | None, list[StoredComment]] = {}
        known = {comment.id for comment in stored}
        for comment in stored:
            parent = comment.parent_id if comment.parent_id in known else None
            children.setdefault(parent, []).append(comment)
        return self._level(children, None, 0)

    def visible_comments(self, paper_id: str) -> list[Comment]:
        """The paper's visible comments, newest first, flat (the thread's RSS feed)."""
        flat: list[Comment] = []
        stack = self.thread(paper_id)
        while stack:
            comment = stack.pop()
            stack.extend(comment.replies)
            if comment.visible:
                flat.append(comment)
        return sorted(flat, key=lambda c: c.id, reverse=True)

    def news(
        self, user_id: int, since: datetime, collection_papers: set[str]
    ) -> list[tuple[str, str]]:
        """(paper id, reason) for visible comments written since ``since`` by others: replies
        to the user's comments, and comments on papers in the user's collections."""
        fresh = [c for c in self.store.since(since) if c.user_id != user_id]
        parents = {c.parent_id for c in fresh if c.parent_id is not None}
        mine = {p for p in parents if (found := self.store.get(p)) and found.user_id == user_id}
        news: list[tuple[str, str]] = []
        for comment in fresh:
            if comment.parent_id in mine:
                news.append((comment.paper_id, f"{comment.author} replied to your comment"))
            elif comment.paper_id in collection_papers:
                news.append((comment.paper_id, f"{comment.author} commented on it"))
        return news

    def counts(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """Visible comments per paper, for cards."""
        return self.store.counts(list(paper_ids)) if paper_ids else {}

    def get(self, comment_id: int) -> Comment:
        found = self.store.get(comment_id)
        if found is None or found.hidden_at is not None or found.deleted_at is not None:
            raise NotFoundError(f"no comment {comment_id}")
        return _public(found, 0)

    # writing -----------------------------------------------------------------------------------

    def post(self, user: User, paper_id: str, body: str, parent_id: int | None = None) -> int:
        """Add a comment (a reply when ``parent_id`` is given); returns its id."""
        paper = self.find_paper(paper_id)
        text = _checked_body(body)
        if parent_id is not None:
            parent = self.store.get(parent_id)
            if parent is None or parent.paper_id != paper.id or parent.hidden_at is not None:
                raise InvalidInputError(f"comment {parent_id} is not a comment on {paper.id}")
        now = self.clock()
        if self.store.written_since(user.id, now - RATE_WINDOW) >= COMMENTS_PER_WINDOW:
            minutes = int(RATE_WINDOW.total_seconds() // 60)
            raise RateLimitedError(
                f"at most {COMMENTS_PER_WINDOW} comments in {minutes} minutes; try again soon",
                retry_after=int(RATE_WINDOW.total_seconds()),
            )
        return self.store.add(paper.id, user.id, text, parent_id, now=now)

    def edit(self, user: User, comment_id: int, body: str) -> None:
        comment = self._own(user, comment_id)
        self.store.edit(comment.id, _checked_body(body), now=self.clock())

    def delete(self, user: User, comment_id: int) -> None:
        comment = self._own(user, comment_id)
        self.store.delete(comment.id, now=self.clock())

    def report(self, user: User, comment_id: int, reason: str) -> None:
        comment = self.get(comment_id)
        reason = " ".join(reason.split())
        if not reason:
            raise InvalidInputError("say in a few words what is wrong with the comment")
        if len(reason) > MAX_REPORT_CHARS:
            raise InvalidInputError(f"a report is at most {MAX_REPORT_CHARS} characters")
        self.store.report(comment.id, user.id, reason, now=self.clock())

    # moderation --------------------------------------------------------------------------------

    def hide_comment(self, moderator: User, comment_id: int, hidden: bool) -> None:
        _require_admin(moderator)
        if self.store.get(comment_id) is None:
            raise NotFoundError(f"no comment {comment_id}")
        now = self.clock()
        self.store.set_hidden(comment_id, hidden, now=now)
        action = "hide" if hidden else "show"
        self.store.log(moderator.id, action, "comment", str(comment_id), now=now)

    def hide_submission(self, moderator: User, paper_id: str, hidden: bool) -> None:
        _require_admin(moderator)
        paper = self.find_paper(paper_id)
        now = self.clock()
        if not self.submissions.set_hidden(paper.id, hidden, now=now):
            raise NotFoundError(f"{paper.id} was not submitted to the community feed")
        action = "hide" if hidden else "show"
        self.store.log(moderator.id, action, "submission", paper.id, now=now)

    def set_admin(self, email: str, admin: bool, *, by: User | None = None) -> None:
        """Grant or revoke the admin role (``by`` None: the operator, at the command line)."""
        if by is not None:
            _require_admin(by)
        address = normalise_email(email)
        user = self.users.by_email(address)
        if user is None:
            raise NotFoundError(f"no account with the address {address}")
        self.users.set_admin(user.id, admin)
        action = "grant" if admin else "revoke"
        self.store.log(by.id if by else None, action, "admin", str(user.id), now=self.clock())

    def queue(self, moderator: User) -> list[StoredComment]:
        """Reported comments still shown, most reported first."""
        _require_admin(moderator)
        return self.store.reported()

    def log(self, moderator: User) -> list[LogEntry]:
        _require_admin(moderator)
        return self.store.log_entries()

    # internals ---------------------------------------------------------------------------------

    def _own(self, user: User, comment_id: int) -> StoredComment:
        found = self.store.get(comment_id)
        if found is None or found.hidden_at is not None or found.deleted_at is not None:
            raise NotFoundError(f"no comment {comment_id}")
        if found.user_id != user.id:
            raise PermissionDeniedError("only its author can change a comment")
        return found

    def _level(
        self, children: dict[int | None, list[StoredComment]], parent: int | None, depth: int
    ) -> list[Comment]:
        level: list[Comment] = []
        for stored in children.get(parent, []):
            replies = self._level(children, stored.id, depth + 1)
            comment = _public(stored, min(depth, MAX_DEPTH))
            if comment.visible or replies:
                comment.replies.extend(replies)
                level.append(comment)
        return level


def _public(stored: StoredComment, depth: int) -> Comment:
    state = (
        "hidden" if stored.hidden_at else "deleted" if stored.deleted_at else "visible"
    )  # fmt: skip
    shown = state == "visible"
    return Comment(
        id=stored.id,
        paper_id=stored.paper_id,
        author=stored.author if shown else None,
        author_id=stored.user_id if shown else None,
        parent_id=stored.parent_id,
        body=stored.body if shown else "",
        html=render_markdown(stored.body) if shown else Markup(""),
        created_at=stored.created_at,
        edited_at=stored.edited_at if shown else None,
        state=state,
        depth=depth,
    )


def _checked_body(body: str) -> str:
    text = body.replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        raise InvalidInputError("a comment needs some text")
    if len(text) > MAX_COMMENT_CHARS:
        raise InvalidInputError(
            f"a comment is at most {MAX_COMMENT_CHARS:,} characters (this one has {len(text):,})"
        )
    return text


def _require_admin(user: User) -> None:
    if not user.is_admin:
        raise PermissionDeniedError("only moderators (admins) can do this")
