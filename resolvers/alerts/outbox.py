"""Writing alerts to the outbox, in the transaction of the change they report."""

from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models import WebhookDelivery


async def enqueue_alert(
    connection: BaseDBAsyncClient, *, project_id: int, url: str, event: str, payload: dict[str, Any]
) -> WebhookDelivery:
    """Call inside the change's transaction: the alert is sent if and only if it commits."""
    return await WebhookDelivery.create(
        project_id=project_id,
        url=url,
        event=event,
        payload=payload,
        next_attempt_at=datetime.now(UTC),
        using_db=connection,
    )
