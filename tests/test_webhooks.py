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

from kernel import webhook_destinations as destinations
from kernel.webhook_destinations import checked_destination
from models import (
    AuditEvent,
    Project,
    ProjectRole,
    ProjectSettings,
    WebhookAttempt,
    WebhookDelivery,
)
from resolvers.alerts.delivery import SenderConfig, deliver_due
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
LOCAL = frozenset({"127.0.0.1"})  # the receiver's host, allowed as the test servers allow it
FAST = SenderConfig(retry_base=timedelta(seconds=30), timeout_seconds=2, allowed_hosts=LOCAL)


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
    ("url", "own_port", "allowed", "refused"),
    [
        ("http://127.0.0.1:8000/x", 8000, LOCAL, True),  # the service itself, even if allowed
        ("http://localhost:8000/x", 8000, LOCAL, True),
        ("http://127.0.0.1:9000/x", 8000, LOCAL, False),  # an allowed host on this machine
        ("http://127.0.0.1:6379/x", None, frozenset(), True),  # Redis, not allowed
        ("http://localhost:5432/x", None, frozenset(), True),  # PostgreSQL, by name
        ("http://10.1.2.3/x", None, frozenset(), True),
        ("http://172.16.0.9/x", None, frozenset(), True),
        ("http://192.168.1.1/x", None, frozenset(), True),
        ("http://100.64.0.1/x", None, frozenset(), True),  # carrier-grade NAT
        ("http://[::1]:9000/x", None, frozenset(), True),
        ("http://[::ffff:10.0.0.1]/x", None, frozenset(), True),
        ("http://[fd00::1]/x", None, frozenset(), True),
        ("http://240.0.0.1/x", None, frozenset(), True),  # reserved
        ("http://169.254.169.254/latest/meta-data", None, frozenset(), True),  # cloud metadata
        ("http://0.0.0.0:9000/", None, frozenset(), True),
        ("file:///etc/passwd", None, frozenset(), True),
        ("http://8.8.8.8/x", None, frozenset(), False),
    ],
)
async def test_where_alerts_may_not_go(
    url: str, own_port: int | None, allowed: frozenset[str], refused: bool
) -> None:
    destination = await checked_destination(url, own_port, allowed)
    assert isinstance(destination, str) is refused


async def test_an_internal_address_is_refused_as_an_attempt_error(
    backend: Backend, receiver: Receiver
) -> None:
    # given a webhook on a private address, which the operator did not allow
    connection = connections.get(backend.name)
    project = await project_with_webhook("http://10.20.30.40:6379/probe")
    at = soon()
    (delivery,) = await pending(project, at)

    # when
    await deliver_due(FAST, now=at, connection=connection)

    # then nothing is sent, and the attempt says why
    (attempt,) = await WebhookAttempt.filter(delivery_id=delivery.id)
    assert attempt.status_code is None
    assert attempt.error == "10.20.30.40 is an internal address, which alerts are never sent to"
    assert receiver.received == []


async def test_the_post_goes_to_the_address_checked(
    backend: Backend, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a name that resolves to the receiver once, then elsewhere (DNS rebinding)
    answers = ["127.0.0.1", "169.254.169.254"]

    async def resolve(host: str, port: int) -> list[tuple[object, ...]]:
        assert host == "hooks.example"
        return [(None, None, None, "", (answers.pop(0), port))]

    monkeypatch.setattr(destinations, "_resolve", resolve)
    connection = connections.get(backend.name)
    project = await project_with_webhook(f"http://hooks.example:{receiver.port}/hooks/budget")
    config = SenderConfig(timeout_seconds=2, allowed_hosts=frozenset({"hooks.example"}))
    at = soon()
    (delivery,) = await pending(project, at)

    # when
    await deliver_due(config, now=at, connection=connection)

    # then the name was resolved once, and the POST named it to the address checked
    assert answers == ["169.254.169.254"]
    (hit,) = receiver.received
    assert hit.headers["host"] == f"hooks.example:{receiver.port}"
    assert (await WebhookDelivery.get(id=delivery.id)).status == "DELIVERED"


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/x", "http://[::1]:6379/x", "http://169.254.169.254/", "ftp://a.b/"]
)
async def test_settings_refuse_an_internal_address(api: GraphQLClient, url: str) -> None:
    project = await make_project()
    admin = await admin_of(project)
    response = await api(SET_WEBHOOK, {"p": str(project.id), "url": url}, admin)
    assert response.codes == ["BAD_USER_INPUT"]
    settings = await ProjectSettings.get_or_none(project_id=project.id)
    assert settings is None or settings.alert_webhook_url is None


async def test_deliveries_are_for_administrators(api: GraphQLClient) -> None:
    project = await make_project()
    member, token = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    response = await api(DELIVERIES, {"p": str(project.id)}, token)
    assert response.codes == ["FORBIDDEN"]


async def test_https_names_the_host_in_sni_and_host_while_connecting_to_the_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def resolve(host: str, port: int) -> list[tuple[object, ...]]:
        return [(None, None, None, "", ("93.184.215.14", port))]

    monkeypatch.setattr(destinations, "_resolve", resolve)
    destination = await checked_destination("https://hooks.example/a?b=1", None, frozenset())
    assert not isinstance(destination, str)
    assert str(destination.url) == "https://93.184.215.14/a?b=1"
    assert destination.headers == {"Host": "hooks.example"}
    # httpcore verifies the certificate against the SNI name, not the address
    assert destination.extensions == {"sni_hostname": "hooks.example"}
