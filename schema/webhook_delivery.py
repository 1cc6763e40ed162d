"""Budget alerts sent (or being sent) to a project's webhook, with every attempt."""

from datetime import datetime
from enum import Enum
from typing import cast

import strawberry

from models import WebhookAttempt as WebhookAttemptRow
from models import WebhookDelivery as WebhookDeliveryRow
from schema.instants import as_utc, as_utc_or_none
from schema.scalars import JSON


@strawberry.enum(
    name="WebhookDeliveryStatus", description="Where a budget alert's delivery stands."
)
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value(
        "PENDING", description="Not yet delivered; retried with exponential backoff."
    )
    DELIVERED = strawberry.enum_value("DELIVERED", description="The receiver answered 2xx.")
    FAILED = strawberry.enum_value(
        "FAILED", description="Given up on after 24 hours of retries (audited)."
    )


@strawberry.type(name="WebhookAttempt", description="One POST of an alert to the webhook.")
class WebhookAttempt:
    at: datetime = strawberry.field(description="When the POST was sent.")
    status_code: int | None = strawberry.field(description="null: no HTTP answer (see error).")
    error: str | None = strawberry.field(
        description="Why the attempt failed (no answer, a non-2xx status); null on success."
    )
    duration_ms: int = strawberry.field(description="How long the POST took, milliseconds.")

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
    id: strawberry.ID = strawberry.field(description="The delivery's id.")
    event: str = strawberry.field(description="What is announced, e.g. budget.threshold_reached.")
    payload: JSON = strawberry.field(
        description="The JSON body POSTed: project, month, threshold, spent and budget (USD)."
    )
    status: WebhookDeliveryStatus = strawberry.field(description="Where delivery stands.")
    created_at: datetime = strawberry.field(
        description="When the alert was written, in the crossing's transaction."
    )
    next_attempt_at: datetime | None = strawberry.field(description="null once settled.")
    delivered_at: datetime | None = strawberry.field(
        description="When a 2xx answer came; null until then."
    )
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
