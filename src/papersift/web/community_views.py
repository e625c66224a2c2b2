"""What the public collections directory, profiles and paper pages show of shared collections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from papersift.store.public_collections import PublicCollection
from papersift.web import models

if TYPE_CHECKING:
    from papersift.web.views import Visitor


def collection_out(found: PublicCollection, voted: bool = False) -> models.PublicCollectionOut:
    return models.PublicCollectionOut(
        id=found.id,
        name=found.name,
        owner_id=found.owner_id,
        owner=found.owner,
        size=found.size,
        upvotes=found.upvotes,
        voted=voted,
        url=f"/collections/{found.id}",
        created_at=found.created_at,
    )


def directory(visitor: Visitor, sort: str, page: int) -> models.DirectoryView:
    found = visitor.engine.community.directory(visitor.user, sort, page)
    return models.DirectoryView(
        sort=found.order,
        page=found.page,
        pages=found.pages,
        total=found.total,
        collections=[collection_out(c, c.id in found.voted) for c in found.collections],
    )


def holding(visitor: Visitor, paper_id: str) -> list[models.PublicCollectionOut]:
    return [collection_out(c) for c in visitor.engine.community.holding(paper_id)]


def profile(visitor: Visitor, user_id: int) -> models.ProfileView:
    from papersift.web.views import summaries

    found = visitor.engine.community.profile(user_id)
    facts = found.facts
    submitted = visitor.engine.papers_by_id([paper_id for paper_id, _ in facts.submissions])
    papers = [submitted[paper_id] for paper_id, _ in facts.submissions if paper_id in submitted]
    return models.ProfileView(
        id=facts.user_id,
        name=facts.name,
        joined=facts.joined.date(),
        collections=[collection_out(c) for c in found.collections],
        submissions=summaries(visitor, papers),
        comments=[
            models.ProfileComment(
                id=comment_id,
                paper_id=paper_id,
                url=f"/papers/{paper_id}#comment-{comment_id}",
                created_at=moment,
            )
            for comment_id, paper_id, moment in facts.comments
        ],
    )
