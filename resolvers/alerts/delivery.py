"""Sending the outbox: claim what is due, POST it signed, keep every attempt.

- A round claims due deliveries one at a time, each by pushing its next attempt a lease
  into the future in one statement (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite
  writes one at a time): a delivery is sent by one sender at a time, across workers and
  replicas, and a sender that dies mid-send only delays it by the lease (at least once).
- Each POST carries ``X-Comptroller-Signature: t=<unix seconds>,v1=<hex>``, the HMAC-SHA256
  of ``"<t>.<body>"`` under the project's current secret, and ``X-Comptroller-Delivery``
  (the same on every retry: receivers drop repeats by it).
- A 2xx answer delivers it. Anything else (another status, a timeout, a refused connection)
  is retried after ``base x 2^(attempts-1)`` seconds, at most an hour apart, until 24 hours
  have passed since it was written; then it is FAILED and audited
  (``webhook.delivery_failed``).
- Redirects are not followed, the timeout is short, and where it may go is checked at every
  attempt, the POST going to the address checked (``kernel.webhook_destinations``).
"""

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from kernel.raw_sql import bind_marks
from kernel.webhook_destinations import checked_destination
from models import ProjectSettings, WebhookAttempt, WebhookDelivery
from resolvers.governance.audit import record_event

GIVE_UP_AFTER = timedelta(hours=24)
MAX_DELAY = timedelta(hours=1)
LEASE = timedelta(minutes=2)  # longer than any attempt takes
ERROR_MAX_LENGTH = 500
FAILED_EVENT = "webhook.delivery_failed"


@dataclass(frozen=True)
class SenderConfig:
    retry_base: timedelta = timedelta(seconds=30)
    timeout_seconds: float = 5.0
    own_port: int | None = None  # the service's port: never sent to
    # Hosts that may be internal addresses (COMPTROLLER_WEBHOOK_ALLOWED_HOSTS).
    allowed_hosts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value; receivers recompute it to verify."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def retry_delay(attempts: int, base: timedelta) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    delay: timedelta = base * 2 ** min(attempts - 1, 30)
    return min(delay, MAX_DELAY)


async def deliver_due(
    config: SenderConfig,
    *,
    now: datetime | None = None,
    limit: int = 20,
    connection: BaseDBAsyncClient | None = None,
    transport: Callable[[], httpx.AsyncClient] | None = None,
) -> int:
    """One round: send what is due; how many were attempted."""
    client = connection or connections.get("default")
    now = now or datetime.now(UTC)
    make_client = transport or (
        lambda: httpx.AsyncClient(follow_redirects=False, timeout=config.timeout_seconds)
    )
    claimed = await _claim(client, now, 1)
    if not claimed:  # the rule: a round finds nothing due, and opens no HTTP client
        return 0
    attempted = 0
    async with make_client() as http:
        # One claim per send: each lease covers one POST, however slow the others were.
        while claimed:
            await _attempt(client, http, config, claimed[0], now)
            attempted += 1
            claimed = await _claim(client, now, 1) if attempted < limit else []
    return attempted


async def _claim(client: BaseDBAsyncClient, now: datetime, limit: int) -> list[int]:
    # In the order they appear: SQLite's placeholders are positional.
    lease, due, first = bind_marks(client, 3)
    lock = " FOR UPDATE SKIP LOCKED" if client.capabilities.dialect == "postgres" else ""
    rows = await client.execute_query_dict(
        f"UPDATE webhook_deliveries SET next_attempt_at = {lease} WHERE id IN ("
        f"SELECT id FROM webhook_deliveries WHERE status = 'PENDING' AND next_attempt_at <= "
        f"{due} ORDER BY next_attempt_at, id LIMIT {first}{lock}) RETURNING id",
        [now + LEASE, now, limit],
    )
    return sorted(int(row["id"]) for row in rows)


async def _attempt(
    client: BaseDBAsyncClient,
    http: httpx.AsyncClient,
    config: SenderConfig,
    delivery_id: int,
    now: datetime,
) -> None:
    delivery = await WebhookDelivery.get(id=delivery_id, using_db=client)
    settings = await ProjectSettings.get_or_none(project_id=delivery.project_id, using_db=client)
    started = time.monotonic()
    if settings is None or not settings.alert_webhook_url or not settings.alert_webhook_secret:
        outcome = Outcome(None, "the project no longer has an alert webhook")
    else:
        outcome = await _post(http, config, settings, delivery)
    duration_ms = round((time.monotonic() - started) * 1000)
    async with in_transaction(client.connection_name) as transaction:
        await WebhookAttempt.create(
            delivery_id=delivery.id,
            at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=duration_ms,
            using_db=transaction,
        )
        attempts = delivery.attempts + 1
        changes: dict[str, Any] = {"attempts": attempts}
        if outcome.delivered:
            changes |= {"status": "DELIVERED", "delivered_at": now}
        elif now - delivery.created_at >= GIVE_UP_AFTER:
            changes["status"] = "FAILED"
            await record_event(
                actor_id=None,
                project_id=delivery.project_id,
                action=FAILED_EVENT,
                target=f"webhook_delivery:{delivery.id}",
                details={
                    "event": delivery.event,
                    "attempts": attempts,
                    "error": outcome.error,
                    "statusCode": outcome.status_code,
                },
                connection=transaction,
            )
        else:
            changes["next_attempt_at"] = now + retry_delay(attempts, config.retry_base)
        await WebhookDelivery.filter(id=delivery.id).using_db(transaction).update(**changes)


async def _post(
    http: httpx.AsyncClient,
    config: SenderConfig,
    settings: ProjectSettings,
    delivery: WebhookDelivery,
) -> Outcome:
    url = settings.alert_webhook_url
    secret = settings.alert_webhook_secret
    assert url is not None
    assert secret is not None
    destination = await checked_destination(url, config.own_port, config.allowed_hosts)
    if isinstance(destination, str):
        return Outcome(None, destination)
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "comptroller-webhooks/1",
        "X-Comptroller-Event": delivery.event,
        "X-Comptroller-Delivery": str(delivery.id),
        "X-Comptroller-Signature": sign(secret, int(time.time()), body),
        **destination.headers,
    }
    try:
        request = http.build_request(
            "POST",
            destination.url,
            content=body,
            headers=headers,
            extensions=destination.extensions,
        )
        reply = await http.send(request)
    except httpx.HTTPError as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH])
    if 300 <= reply.status_code < 400:
        return Outcome(reply.status_code, "redirects are not followed")
    return Outcome(reply.status_code, None if reply.is_success else f"HTTP {reply.status_code}")
