"""What the discussion pages and API show, built from the engine's ``Discussion``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from papersift.features.discussion import Comment
from papersift.store.comments import LogEntry
from papersift.web import models

if TYPE_CHECKING:
    from papersift.web.views import Visitor


def comment_out(comment: Comment) -> models.CommentOut:
    return models.CommentOut(
        id=comment.id,
        paper_id=comment.paper_id,
        author=comment.author,
        author_id=comment.author_id,
        parent_id=comment.parent_id,
        body=comment.body,
        html=str(comment.html),
        created_at=comment.created_at,
        edited_at=comment.edited_at,
        state=comment.state,  # type: ignore[arg-type]
        depth=comment.depth,
        replies=[comment_out(reply) for reply in comment.replies],
    )


def thread(visitor: Visitor, paper_id: str) -> list[models.CommentOut]:
    return [comment_out(c) for c in visitor.engine.discussion.thread(paper_id)]


def moderation(visitor: Visitor) -> models.ModerationView:
    assert visitor.user is not None
    discussion = visitor.engine.discussion
    queue = discussion.queue(visitor.user)
    return models.ModerationView(
        reported=[comment_out(discussion.get(stored.id)) for stored in queue],
        reports={stored.id: stored.reports for stored in queue},
        log=[_entry(entry) for entry in discussion.log(visitor.user)],
    )


def _entry(entry: LogEntry) -> models.ModerationEntryOut:
    return models.ModerationEntryOut(
        actor=entry.actor,
        by_operator=entry.by_operator,
        action=entry.action,
        target_kind=entry.target_kind,
        target=entry.target,
        created_at=entry.created_at,
    )
