"""The shared result cache: in-process by default, Redis when several replicas serve.

A cache is an accelerator, never a source of truth: when Redis fails, reads miss and writes
are dropped with a warning, and the caller computes from the database.
"""

import logging
from typing import Any
from urllib.parse import urlsplit

from aiocache import Cache

logger = logging.getLogger(__name__)

# Redis answers in well under a millisecond; a call that takes longer than this is treated
# as a miss so that a struggling Redis slows no request down by much.
REDIS_TIMEOUT_SECONDS = 0.25


class ResultCache:
    """Namespaced get/set over aiocache that degrades to misses when the backend fails."""

    def __init__(self, url: str, namespace: str) -> None:
        self.backend_name = urlsplit(url).scheme
        # The in-process backend needs no timeout; skipping asyncio.wait_for saves ~30 us a call.
        timeout = None if self.backend_name == "memory" else REDIS_TIMEOUT_SECONDS
        self._cache = Cache.from_url(url)
        self._cache.namespace = namespace
        self._cache.timeout = timeout

    async def get(self, key: str) -> Any:
        try:
            return await self._cache.get(key)
        except Exception:
            logger.warning("cache get failed; reading from the database", exc_info=True)
            return None

    async def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        try:
            await self._cache.set(key, value, ttl=ttl_seconds)
        except Exception:
            logger.warning("cache set failed; result not cached", exc_info=True)

    async def answers(self) -> bool:
        key = "readiness-probe"
        try:
            await self._cache.set(key, 1, ttl=5)
            return bool(await self._cache.get(key) == 1)
        except Exception:  # noqa: BLE001 - readiness reports, it does not raise
            return False

    async def close(self) -> None:
        await self._cache.close()
