"""Community submissions: a logged-in user brings an arXiv paper to today's feed.

A paper not yet in the store is fetched from the arXiv API. Papers whose arXiv date (first
version) is more than ``window`` old are refused, as is a paper someone already submitted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from papersift.errors import InvalidIdError, PaperNotFoundError, SubmissionRefusedError
from papersift.model import Paper
from papersift.sources.arxiv_api import ArxivClient
from papersift.sources.arxiv_ids import normalise_arxiv_id
from papersift.store.papers import PaperStore
from papersift.store.submissions import AlreadySubmitted, Submission, SubmissionStore
from papersift.store.users import User

MAX_REFERENCE = 300


@dataclass(frozen=True, slots=True)
class Submitted:
    paper: Paper
    fetched: bool  # True when the paper came from the arXiv API (it was not in the store)


class Submissions:
    def __init__(
        self,
        papers: PaperStore,
        submissions: SubmissionStore,
        arxiv: Callable[[], ArxivClient],
        *,
        window: timedelta,
        clock: Callable[[], datetime],
        on_new_paper: Callable[[Paper], None],
    ) -> None:
        self.papers = papers
        self.submissions = submissions
        self.arxiv = arxiv
        self.window = window
        self.clock = clock
        self.on_new_paper = on_new_paper

    def submit(self, user: User, reference: str) -> Submitted:
        """Submit the paper named by ``reference`` (an arXiv id or abs/pdf URL)."""
        if len(reference) > MAX_REFERENCE:
            raise InvalidIdError("that is too long to be an arXiv id or URL")
        paper_id, _version = normalise_arxiv_id(reference)
        paper = self.papers.get(paper_id)
        fetched = paper is None
        if paper is None:
            client = self.arxiv()
            try:
                paper = client.fetch(paper_id)
            finally:
                client.close()
            if paper is None:
                raise PaperNotFoundError(f"arXiv has no paper {paper_id}")
        now = self.clock()
        self._check_age(paper, now)
        if fetched:
            self.on_new_paper(paper)
        try:
            self.submissions.add(paper.id, user.id, now.date(), now=now)
        except AlreadySubmitted:
            raise SubmissionRefusedError(f"{paper.id} has already been submitted") from None
        return Submitted(paper, fetched)

    def of_papers(self, paper_ids: Sequence[str]) -> dict[str, Submission]:
        """Who submitted which of ``paper_ids`` (papers nobody submitted are left out)."""
        return self.submissions.of_papers(paper_ids)

    def _check_age(self, paper: Paper, now: datetime) -> None:
        arxiv_date = paper.submitted or paper.display_date
        if arxiv_date is None:
            return
        age = now.date() - arxiv_date
        if age > self.window:
            raise SubmissionRefusedError(
                f"{paper.id} appeared on arXiv on {arxiv_date.isoformat()}, {age.days} days ago; "
                f"papers can be submitted up to {self.window.days} days after their arXiv date"
            )
