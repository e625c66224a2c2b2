"""Fetching single papers from the arXiv API (``/api/query?id_list=...``, an Atom feed)."""

from __future__ import annotations

from collections.abc import Sequence

import requests

from papersift.errors import HarvestError, UpstreamRecordError
from papersift.model import Paper
from papersift.sources import Malformed
from papersift.sources._http import plain_reason
from papersift.sources.atom import parse_atom

_TIMEOUT_SECONDS = 20.0
_MAX_BYTES = 5_000_000
MAX_IDS = 100  # ids a fetch_many request names


class ArxivClient:
    """A client for the arXiv API endpoint (a setting, so tests can point it at a local server)."""

    def __init__(self, endpoint: str, *, session: requests.Session | None = None) -> None:
        self.endpoint = endpoint
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", "papersift (+https://github.com/papersift)")

    def fetch(self, paper_id: str) -> Paper | None:
        """The paper with this arXiv id (no version), or None when arXiv does not know it.

        Raises ``HarvestError`` when the API cannot be reached or answers with an error status or
        a document that is not an Atom feed, saying why in plain words, and
        ``UpstreamRecordError`` (a ``HarvestError``) when arXiv's record of the paper cannot be
        read (a date out of range, a bad id), with the reason.
        """
        records = self._query([paper_id], f"arXiv API answer for {paper_id}")
        papers = [r for r in records if isinstance(r, Paper) and r.id == paper_id]
        if papers:
            return papers[0]
        problems = [r for r in records if isinstance(r, Malformed)]
        if problems and "not found" not in problems[0].reason.lower():
            raise UpstreamRecordError(
                f"arXiv's answer for {paper_id} cannot be read: {problems[0].reason}"
            )
        return None

    def fetch_many(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        """The papers with these arXiv ids (no version) that arXiv knows and whose records can
        be read, in one request (arXiv asks for a few seconds between requests; at most
        ``MAX_IDS`` ids). Raises ``HarvestError`` as ``fetch`` does for the whole answer."""
        wanted = list(dict.fromkeys(paper_ids))
        if len(wanted) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} ids a request")
        if not wanted:
            return {}
        records = self._query(wanted, f"arXiv API answer for {len(wanted)} ids")
        return {r.id: r for r in records if isinstance(r, Paper) and r.id in wanted}

    def _query(self, paper_ids: list[str], label: str) -> list[Paper | Malformed]:
        shown = repr(paper_ids[0]) if len(paper_ids) == 1 else f"{len(paper_ids)} ids"
        try:
            response = self.session.get(
                self.endpoint,
                params={"id_list": ",".join(paper_ids), "max_results": str(len(paper_ids))},
                timeout=_TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            raise HarvestError(
                f"cannot reach the arXiv API at {self.endpoint}: {plain_reason(exc)}"
            ) from exc
        if response.status_code != 200:
            raise HarvestError(f"the arXiv API answered HTTP {response.status_code} for {shown}")
        if len(response.content) > _MAX_BYTES:
            raise HarvestError("the arXiv API answer is too large")
        return list(parse_atom(response.content, label))

    def close(self) -> None:
        self.session.close()
