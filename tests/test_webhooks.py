"""Budget alerts that reach a person: each threshold crossing POSTed, signed, from an outbox;
retried until delivered, given up on after 24 hours; sent by one sender at a time."""

import asyncio
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from tortoise import connections

from models import AuditEvent, Project, ProjectRole, WebhookAttempt, WebhookDelivery
from resolvers.alerts.delivery import SenderConfig, deliver_due, refused_destination
from tests.support.backends import Backend
from tests.support.factories import (
    grant,
    make_api_token,
    make_model,
    make_project,
    make_user,
    unique,
)
from tests.support.graphql_client import GraphQLClient
from tests.support.replicas import replica
from tests.support.webhook_receiver import Receiver

SET_WEBHOOK = """
mutation($p: ID!, $url: String) {
  updateProjectSettings(projectId: $p, input: {alertWebhookUrl: $url, monthlyBudget: 1,
    budgetAlertThresholds: [50]}) { alertWebhookSecret }
}"""
RECORD = """
mutation($r: [RequestRecordInput!]!) { recordRequests(records: $r) { accepted } }"""
DELIVERIES = """
query($p: ID!) { project(id: $p) { webhookDeliveries { totalCount edges { node {
  event status payload deliveredAt attempts { statusCode error } } } } } }"""
FAST = SenderConfig(retry_base=timedelta(seconds=30), timeout_seconds=2)


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does: recompute the HMAC over '<t>.<body>' and compare."""
    parts = dict(part.split("=", 1) for part in headers["x-comptroller-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


async def admin_of(project: Project) -> str:
    user, token = await make_user()
    await grant(user, project, ProjectRole.PROJECT_ADMIN)
    return token


async def project_with_webhook(url: str) -> Project:
    return await make_project(alert_webhook_url=url, alert_webhook_secret="whsec_test")


async def pending(project: Project, at: datetime, count: int = 1) -> list[WebhookDelivery]:
    """Deliveries due at ``at`` (an hour ahead: the test server's own sender leaves them)."""
    return [
        await WebhookDelivery.create(
            project_id=project.id, url="x", event="budget.threshold_reached",
            payload={"n": i}, next_attempt_at=at,
        )
        for i in range(count)
    ]  # fmt: skip


def soon() -> datetime:
    return datetime.now(UTC) + timedelta(hours=1)


async def test_a_crossing_reaches_the_receiver_signed(
    api: GraphQLClient, receiver: Receiver
) -> None:
    # given a webhook set by an administrator, its secret shown once
    project = await make_project()
    admin = await admin_of(project)
    data = (await api(SET_WEBHOOK, {"p": str(project.id), "url": receiver.url}, admin)).ok()
    secret = data["updateProjectSettings"]["alertWebhookSecret"]
    model = await make_model()
    _, gateway = await make_api_token(project)
    record = {
        "externalId": unique("r"), "createdAt": (datetime.now(UTC) - timedelta(seconds=5))
        .isoformat(), "status": "SUCCESS", "durationMs": 1, "modelId": str(model.id),
        "inputTokens": 1, "outputTokens": 1, "cost": 0.6,
    }  # fmt: skip

    # when a batch crosses 50% of the budget, and the server's sender runs
    (await api(RECORD, {"r": [record]}, gateway)).ok()
    await receiver.wait_for(1)

    # then
    (hit,) = receiver.received
    assert hit.path == "/hooks/budget"
    assert verify(secret, hit.headers, hit.body)
    assert not verify("whsec_other", hit.headers, hit.body)
    month = datetime.now(UTC).strftime("%Y-%m")
    assert json.loads(hit.body) == {
        "event": "budget.threshold_reached", "project": str(project.id), "month": month,
        "threshold": 50.0, "spent": 0.6, "budget": 1.0,
    }  # fmt: skip
    assert hit.headers["x-comptroller-event"] == "budget.threshold_reached"
    for _ in range(100):  # the sender records the attempt right after the answer
        if await WebhookDelivery.filter(project_id=project.id, status="DELIVERED").exists():
            break
        await asyncio.sleep(0.05)
    listed = (await api(DELIVERIES, {"p": str(project.id)}, admin)).ok()
    (edge,) = listed["project"]["webhookDeliveries"]["edges"]
    assert edge["node"]["status"] == "DELIVERED"
    assert edge["node"]["attempts"] == [{"statusCode": 200, "error": None}]


async def test_a_receiver_down_then_up_gets_the_alert_once_after_a_retry(
    backend: Backend, receiver: Receiver
) -> None:
    # given a due alert and a receiver that is down
    connection = connections.get(backend.name)
    project = await project_with_webhook(receiver.url)
    at = soon()
    (delivery,) = await pending(project, at)
    await receiver.stop()

    # when the sender tries, the receiver comes back, and the sender runs again
    assert await deliver_due(FAST, now=at, connection=connection) == 1
    await receiver.start()
    assert await deliver_due(FAST, now=at + timedelta(seconds=29), connection=connection) == 0
    assert await deliver_due(FAST, now=at + timedelta(seconds=30), connection=connection) == 1
    assert await deliver_due(FAST, now=at + timedelta(hours=2), connection=connection) == 0

    # then
    assert len(receiver.received) == 1
    attempts = await WebhookAttempt.filter(delivery_id=delivery.id).order_by("id")
    assert [a.status_code for a in attempts] == [None, 200]
    assert attempts[0].error is not None
    assert "Connect" in attempts[0].error
    stored = await WebhookDelivery.get(id=delivery.id)
    assert (stored.status, stored.attempts) == ("DELIVERED", 2)


async def test_retries_back_off_exponentially(backend: Backend, receiver: Receiver) -> None:
    connection = connections.get(backend.name)
    project = await project_with_webhook(receiver.url)
    receiver.status = 503
    at = soon()
    (delivery,) = await pending(project, at)
    waits = []
    now = at
    for _ in range(4):
        assert await deliver_due(FAST, now=now, connection=connection) == 1
        stored = await WebhookDelivery.get(id=delivery.id)
        waits.append(stored.next_attempt_at - now)
        now = stored.next_attempt_at
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240)]


async def test_two_senders_never_send_the_same_alert(backend: Backend, receiver: Receiver) -> None:
    # given ten due alerts
    connection = connections.get(backend.name)
    project = await project_with_webhook(receiver.url)
    at = soon()
    deliveries = await pending(project, at, 10)

    # when two senders run at once
    counts = await asyncio.gather(
        *(deliver_due(FAST, now=at, limit=10, connection=connection) for _ in range(2))
    )

    # then each alert was sent once, by one of them
    assert sum(counts) == 10
    sent = Counter(hit.headers["x-comptroller-delivery"] for hit in receiver.received)
    assert sent == Counter({str(d.id): 1 for d in deliveries})
    assert await WebhookAttempt.filter(delivery__project_id=project.id).count() == 10


async def test_two_serving_processes_never_send_the_same_alert(
    backend: Backend, receiver: Receiver, workdir: Path
) -> None:
    # given twenty alerts due now, and two servers polling: the suite's and a fast replica
    project = await project_with_webhook(receiver.url)
    deliveries = await pending(project, datetime.now(UTC), 20)

    # when both send what is due
    async with replica(backend, workdir, {"COMPTROLLER_WEBHOOK_POLL_SECONDS": "0.1"}):
        await receiver.wait_for(20, seconds=30)
        await asyncio.sleep(1)  # time enough for a second sender to repeat one

    # then
    sent = Counter(hit.headers["x-comptroller-delivery"] for hit in receiver.received)
    assert sent == Counter({str(d.id): 1 for d in deliveries})


async def test_after_24_hours_of_failures_it_is_given_up_and_audited(
    backend: Backend, receiver: Receiver
) -> None:
    connection = connections.get(backend.name)
    project = await project_with_webhook(receiver.url)
    receiver.status = 500
    at = soon()
    (delivery,) = await pending(project, at)
    await WebhookDelivery.filter(id=delivery.id).update(created_at=at - timedelta(hours=24))

    assert await deliver_due(FAST, now=at, connection=connection) == 1

    stored = await WebhookDelivery.get(id=delivery.id)
    assert stored.status == "FAILED"
    events = await AuditEvent.filter(project_id=project.id).values_list("action", "details")
    assert events == [
        (
            "webhook.delivery_failed",
            {"event": "budget.threshold_reached", "attempts": 1, "error": "HTTP 500",
             "statusCode": 500},
        )
    ]  # fmt: skip


async def test_redirects_are_not_followed(backend: Backend, receiver: Receiver) -> None:
    connection = connections.get(backend.name)
    project = await project_with_webhook(receiver.url)
    receiver.status = 302
    receiver.extra_headers = {"Location": "http://169.254.169.254/latest"}
    at = soon()
    (delivery,) = await pending(project, at)

    await deliver_due(FAST, now=at, connection=connection)

    (attempt,) = await WebhookAttempt.filter(delivery_id=delivery.id)
    assert (attempt.status_code, attempt.error) == (302, "redirects are not followed")
    assert len(receiver.received) == 1
    assert (await WebhookDelivery.get(id=delivery.id)).status == "PENDING"


@pytest.mark.parametrize(
    ("url", "own_port", "refused"),
    [
        ("http://127.0.0.1:8000/x", 8000, True),  # the service itself
        ("http://localhost:8000/x", 8000, True),
        ("http://127.0.0.1:9000/x", 8000, False),  # another service on this host
        ("http://169.254.169.254/latest/meta-data", None, True),  # cloud metadata
        ("http://0.0.0.0:9000/", None, True),
        ("file:///etc/passwd", None, True),
    ],
)
async def test_where_alerts_may_not_go(url: str, own_port: int | None, refused: bool) -> None:
    assert (await refused_destination(url, own_port) is not None) is refused


async def test_deliveries_are_for_administrators(api: GraphQLClient) -> None:
    project = await make_project()
    member, token = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    response = await api(DELIVERIES, {"p": str(project.id)}, token)
    assert response.codes == ["FORBIDDEN"]
