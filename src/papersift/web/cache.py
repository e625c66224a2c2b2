"""Rendered pages for anonymous visitors, reused while the data they show is unchanged.

A morning's readers mostly open the same feed, papers and searches. Rendering a page costs
milliseconds; serving a cached one costs one small query (the store's data version). The key
holds everything the page depends on: path and query, the data version (papers, upvotes,
submissions, indexes: shared by all workers through the database), today's date and, for pages
that change with time, a coarse clock. A visitor's CSRF token is put in per response.
Logged-in visitors (their upvotes, their collections) always get a freshly built page.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

CSRF_PLACEHOLDER = "__papersift_csrf_placeholder__"


class PageCache:
    """A thread-safe LRU of page bodies by key (``max_entries`` 0 turns caching off)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def get(self, key: tuple[str, ...]) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: tuple[str, ...], body: bytes) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._entries[key] = body
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
