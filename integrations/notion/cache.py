"""A small time-to-live cache for what changes rarely and is read on every request.

Users and projects are needed to understand almost every message ("Bob", "Marketing")
but change a few times a term; asking Notion each time would spend most of the 3
requests/s budget on them. Entries expire after `seconds` (config: notion.cache_seconds)
and the store drops them itself when its own writes change them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class TTLCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[float, Any]] = {}

    async def get(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        """The cached value, or `load()`'s (kept for `seconds`; a failed load keeps nothing)."""
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry[0] > now:
            return entry[1]  # type: ignore[no-any-return]
        value = await load()
        if self.seconds > 0:
            self._entries[key] = (time.monotonic() + self.seconds, value)
        return value

    def invalidate(self, *keys: str) -> None:
        """Forget `keys`, or everything when none are given."""
        if not keys:
            self._entries.clear()
        for key in keys:
            self._entries.pop(key, None)
