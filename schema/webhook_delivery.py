"""Budget alerts sent (or being sent) to a project's webhook, with every attempt."""

from datetime import datetime
from enum import Enum
from typing import cast

import strawberry

from models import WebhookAttempt as WebhookAttemptRow
from models import WebhookDelivery as WebhookDeliveryRow
from schema.instants import as_utc, as_utc_or_none
from schema.scalars import JSON


@strawberry.enum(name="WebhookDeliveryStatus")
class WebhookDeliveryStatus(Enum):
    PENDING = "PENDING"  # not yet delivered; retried with exponential backoff
    DELIVERED = "DELIVERED"  # a 2xx answer
    FAILED = "FAILED"  # given up on after 24 hours of retries


@strawberry.type(name="WebhookAttempt")
class WebhookAttempt:
    at: datetime
    status_code: int | None = strawberry.field(description="null: no HTTP answer (see error).")
    error: str | None
    duration_ms: int

    @classmethod
    def from_model(cls, row: WebhookAttemptRow) -> "WebhookAttempt":
        return cls(
            at=as_utc(row.at),
            status_code=row.status_code,
            error=row.error,
            duration_ms=row.duration_ms,
        )


@strawberry.type(
    name="WebhookDelivery",
    description="One alert POSTed to the project's alertWebhookUrl, signed in the "
    "X-Comptroller-Signature header (t=<unix>,v1=<hex HMAC-SHA256 of '<t>.<body>'>).",
)
class WebhookDelivery:
    id: strawberry.ID
    event: str
    payload: JSON
    status: WebhookDeliveryStatus
    created_at: datetime
    next_attempt_at: datetime | None = strawberry.field(description="null once settled.")
    delivered_at: datetime | None
    attempts: list[WebhookAttempt] = strawberry.field(description="Oldest first.")

    @classmethod
    def from_model(
        cls, row: WebhookDeliveryRow, attempts: list[WebhookAttemptRow]
    ) -> "WebhookDelivery":
        status = WebhookDeliveryStatus(row.status)
        return cls(
            id=strawberry.ID(str(row.id)),
            event=row.event,
            payload=cast("JSON", row.payload),
            status=status,
            created_at=as_utc(row.created_at),
            next_attempt_at=as_utc(row.next_attempt_at)
            if status is WebhookDeliveryStatus.PENDING
            else None,
            delivered_at=as_utc_or_none(row.delivered_at),
            attempts=[WebhookAttempt.from_model(a) for a in attempts],
        )
