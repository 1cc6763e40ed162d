"""Admission through the shared cache.

A key holds the project, both versions of ``resolvers.data_versions`` (the catalog's moves
with every settings, assistant or model change; the project's with every batch recorded) and
the question. So a settings change, or a batch that brings the month's spend to the budget,
shows on the next call on every worker and replica, and a repeated call costs the token
check (whose statement reads the versions too) and one cache read, in process once the
answer is known to the worker (a key never changes its value). An answer is kept no later
than the end of the budget month it was decided in.
"""

from datetime import UTC, datetime

from kernel.cache import ResultCache
from resolvers.admission.decision import Admission, decide_admission
from resolvers.data_versions import current_versions

# Keys move with the versions; the TTL only frees memory.
TTL_SECONDS = 600


async def admission(
    cache: ResultCache,
    project_id: int,
    model_id: int,
    assistant_id: int | None,
    versions: tuple[int, int] | None = None,
) -> Admission:
    """``versions`` (catalog, data): as read with the caller's token, when they were."""
    now = datetime.now(UTC)
    if versions is None:
        read = await current_versions(project_id)
        versions = (read.catalog, read.data)
    catalog, data = versions
    key = f"admission:{project_id}:{catalog}:{data}:{model_id}:{assistant_id or 0}"
    cached = await cache.get_settled(key)
    if cached is not None:
        answer = Admission.decoded(cached)
        if now < answer.valid_until:
            return answer
    answer = await decide_admission(project_id, model_id, assistant_id, now)
    await cache.set_settled(key, answer.encoded(), TTL_SECONDS)
    return answer
