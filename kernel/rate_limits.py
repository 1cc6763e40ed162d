"""Point budgets per caller and window, GitHub's way: each call spends points from the
caller's budget for the current window; when the window ends the budget is whole again.

Counters live where the cache lives: in the process for ``memory://``, in Redis for
``redis://`` (so every worker and replica spends from one budget), through the ``limits``
library's fixed-window counters. A rate limiter must never take the service down with it: if
Redis fails, calls are allowed (fail open) and the outage is logged once.
"""

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage

from kernel.errors import RateLimited
from kernel.metrics import RATE_LIMIT_REFUSALS
from kernel.outages import OutageLog

logger = logging.getLogger(__name__)

# As the result cache's: a Redis that takes longer than this is treated as failing.
REDIS_TIMEOUT_SECONDS = 0.25


@dataclass(frozen=True)
class Budget:
    """``points`` per ``window_seconds`` for each caller; 0 points means no limit."""

    name: str  # "graphql", "ingestion": also the X-RateLimit-Resource header
    points: int
    window_seconds: int

    @property
    def enabled(self) -> bool:
        return self.points > 0


@dataclass(frozen=True)
class Spending:
    """What one call spent and what is left, for the response's headers."""

    budget: Budget
    cost: int
    used: int
    reset_at: float  # epoch seconds

    @property
    def remaining(self) -> int:
        return max(0, self.budget.points - self.used)

    @property
    def allowed(self) -> bool:
        return self.used <= self.budget.points

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.budget.points),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(min(self.used, self.budget.points)),
            "x-ratelimit-reset": str(math.ceil(self.reset_at)),
            "x-ratelimit-resource": self.budget.name,
        }

    def refusal(self, request_id: str) -> RateLimited:
        retry_after = max(1, math.ceil(self.reset_at - time.time()))
        reset_at = datetime.fromtimestamp(self.reset_at, UTC).isoformat()
        return RateLimited(
            f"Rate limit exceeded: {self.budget.points} points per {self.budget.window_seconds} s "
            f"for {self.budget.name}, and this call costs {self.cost}; "
            f"the budget resets at {reset_at}.",
            budget=self.budget.name,
            limit=self.budget.points,
            remaining=self.remaining,
            cost=self.cost,
            resetAt=reset_at,
            retryAfter=retry_after,
            requestId=request_id,
        )


class RateLimiter:
    """The budgets of every caller: ``graphql`` for operations, ``ingestion`` for records."""

    def __init__(self, cache_url: str, namespace: str, graphql: Budget, ingestion: Budget) -> None:
        self.graphql = graphql
        self.ingestion = ingestion
        self.backend_name = urlsplit(cache_url).scheme
        self._storage: Storage
        if self.backend_name == "redis":
            self._storage = RedisStorage(
                "async+" + cache_url,
                implementation="redispy",
                key_prefix=f"{namespace}:rate",
                wrap_exceptions=True,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
        else:
            self._storage = MemoryStorage()
        self._outage = OutageLog(logger, f"rate-limit counters ({self.backend_name})")

    async def close(self) -> None:
        """Close the Redis connections of the counters (limits offers no close of its own: its
        bridge holds the redis-py client)."""
        client = getattr(getattr(self._storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()

    async def spend(self, budget: Budget, caller: str, cost: int) -> Spending | None:
        """Spend ``cost`` points of ``caller``'s budget; None when not counted (no limit, or
        the counters' store is failing: fail open)."""
        if not budget.enabled:
            return None
        item = RateLimitItemPerSecond(budget.points, budget.window_seconds)
        key = item.key_for(budget.name, caller)
        try:
            used = await self._storage.incr(key, item.get_expiry(), amount=cost)
            reset_at = await self._storage.get_expiry(key)
        except Exception as error:  # noqa: BLE001 - any store failure lets the call through
            self._outage.failed(error, "calls are not rate limited until it answers")
            return None
        if self._outage.failing:
            self._outage.recovered()
        spending = Spending(budget, cost, int(used), float(reset_at))
        if not spending.allowed:
            RATE_LIMIT_REFUSALS.labels(budget.name).inc()
        return spending


async def spend_records(limiter: RateLimiter, token_id: int, records: int) -> Spending | None:
    """Charge a batch of ``records`` to the API token's ingestion budget, whichever route
    it came by (the caller refuses it when ``not spending.allowed``)."""
    return await limiter.spend(limiter.ingestion, f"api-token:{token_id}", max(1, records))
