"""Rendered pages for anonymous visitors, reused while the data they show is unchanged.

A morning's readers mostly open the same feed, papers and searches. Rendering a page costs
milliseconds; serving a cached one costs two small queries. The key holds everything the page
depends on: path and query, the store's data version (papers, upvotes, submissions, indexes: read
from the database, so every worker agrees), today's date and, for pages that change with time, a
coarse clock. Pages live in the database (shared by all workers) with a small in-process copy of
the most recent ones in front. The web layer decides what is cached (``web.pages.cached``):
logged-in visitors (their upvotes, their collections) always get a freshly built page.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from papersift.store.page_cache import PageCacheStore

LOCAL_ENTRIES = 256  # in-process copies per worker, in front of the shared cache


class PageCache:
    """Pages by key: a thread-safe in-process LRU in front of the shared database cache.

    ``max_entries`` bounds the shared cache; 0 turns caching off.
    """

    def __init__(
        self,
        shared: PageCacheStore,
        *,
        max_entries: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.shared = shared
        self.max_entries = max_entries
        self.clock = clock
        self._local: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    @staticmethod
    def key(parts: tuple[str, ...]) -> str:
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._local.get(key)
            if body is not None:
                self._local.move_to_end(key)
                return body
        body = self.shared.get(key)
        if body is not None:
            self._remember(key, body)
        return body

    def put(self, key: str, version: str, body: bytes) -> None:
        if not self.enabled:
            return
        self._remember(key, body)
        self.shared.put(key, version, body, now=self.clock(), max_entries=self.max_entries)

    def _remember(self, key: str, body: bytes) -> None:
        with self._lock:
            self._local[key] = body
            self._local.move_to_end(key)
            while len(self._local) > min(LOCAL_ENTRIES, self.max_entries):
                self._local.popitem(last=False)
