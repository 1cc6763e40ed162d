"""The shared result cache: in-process by default, Redis when several replicas serve.

A cache is an accelerator, never a source of truth: when Redis fails, reads miss and writes
are dropped with a warning, and the caller computes from the database.
"""

import logging
from typing import Any
from urllib.parse import urlsplit

from aiocache import Cache, SimpleMemoryCache

from kernel.metrics import CACHE_LOOKUPS
from kernel.outages import OutageLog

logger = logging.getLogger(__name__)

# Keys move with the data versions and with every new range a client asks for, so without a
# bound an in-process cache keeps every answer it ever gave for a TTL: ~5 KB each, so
# 5,000 entries hold a worker's cache to tens of megabytes.
DEFAULT_MAX_ENTRIES = 5_000

# Redis answers in well under a millisecond; a call that takes longer than this is treated
# as a miss so that a struggling Redis slows no request down by much.
REDIS_TIMEOUT_SECONDS = 0.25


class ResultCache:
    """Namespaced get/set over aiocache that degrades to misses when the backend fails."""

    def __init__(self, url: str, namespace: str, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.backend_name = urlsplit(url).scheme
        # In front of Redis, for values that never change under their key (``get_settled``).
        self._local: BoundedMemoryCache | None = None
        if self.backend_name == "memory":
            # The in-process backend needs no timeout; skipping asyncio.wait_for saves ~30 us.
            self._cache = BoundedMemoryCache(max_entries, namespace=namespace, timeout=None)
        else:
            # Redis bounds itself (maxmemory with an LRU policy: see the README).
            self._cache = Cache.from_url(url)
            self._cache.namespace = namespace
            self._cache.timeout = REDIS_TIMEOUT_SECONDS
            self._local = BoundedMemoryCache(max_entries, namespace=namespace, timeout=None)
        # During a Redis outage every request fails to read and write: one line per outage.
        self._outage = OutageLog(logger, f"cache ({self.backend_name})")

    async def get(self, key: str) -> Any:
        try:
            value = await self._cache.get(key)
        except Exception as error:  # noqa: BLE001 - any backend failure is a miss
            self._outage.failed(error, "reading from the database instead")
            CACHE_LOOKUPS.labels("error").inc()
            return None
        if self._outage.failing:
            self._outage.recovered()
        CACHE_LOOKUPS.labels("miss" if value is None else "hit").inc()
        return value

    async def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        try:
            await self._cache.set(key, value, ttl=ttl_seconds)
        except Exception as error:  # noqa: BLE001 - a write the cache drops costs only time
            self._outage.failed(error, "results not cached")
            return
        if self._outage.failing:
            self._outage.recovered()

    async def get_settled(self, key: str) -> Any:
        """``get`` for a key that names everything its value depends on (the versions it was
        computed at), so a value once stored under it never changes: such a value is kept in
        process too, and a repeated read skips the round trip to Redis."""
        if self._local is None:
            return await self.get(key)
        value = await self._local.get(key)
        if value is None:
            value = await self.get(key)
            if value is not None:
                await self._local.set(key, value)
        return value

    async def set_settled(self, key: str, value: Any, ttl_seconds: int) -> None:
        if self._local is not None:
            await self._local.set(key, value, ttl=ttl_seconds)
        await self.set(key, value, ttl_seconds)

    async def answers(self) -> bool:
        key = "readiness-probe"
        try:
            await self._cache.set(key, 1, ttl=5)
            return bool(await self._cache.get(key) == 1)
        except Exception:  # noqa: BLE001 - readiness reports, it does not raise
            return False

    async def close(self) -> None:
        await self._cache.close()


class BoundedMemoryCache(SimpleMemoryCache):  # type: ignore[misc]  # aiocache is untyped
    """aiocache's in-process cache, forgetting its oldest entries beyond ``max_entries``."""

    def __init__(self, max_entries: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_entries = max_entries

    async def _set(self, key: str, value: Any, ttl: Any = None, **kwargs: Any) -> Any:
        stored = await super()._set(key, value, ttl=ttl, **kwargs)
        # Dicts keep insertion order: the first keys are the oldest.
        while len(self._cache) > self._max_entries:
            await self._delete(next(iter(self._cache)))
        return stored
