"""Reading a project's webhook deliveries and their attempts (administrators)."""

from datetime import datetime

from models import WebhookAttempt, WebhookDelivery
from resolvers.pagination import Ordering, Page, SortKey, keyset_page

NEWEST_FIRST = Ordering(
    name="webhook_deliveries",
    keys=(SortKey("created_at", datetime, True), SortKey("id", int, True)),
)
STATUSES = ("PENDING", "DELIVERED", "FAILED")


async def deliveries_page(
    project_id: int, first: int, after: str | None, status: str | None
) -> Page[WebhookDelivery]:
    queryset = WebhookDelivery.filter(project_id=project_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    return await keyset_page(queryset, NEWEST_FIRST, lambda d: (d.created_at, d.id), first, after)


async def attempts_of(delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    """Every attempt of each delivery, oldest first, in one query."""
    found: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    for attempt in await WebhookAttempt.filter(delivery_id__in=delivery_ids).order_by("id"):
        found[attempt.delivery_id].append(attempt)
    return found
