"""recordRequests: project API tokens only, whole-batch validation (all or none), idempotent
on externalId per project, exact integer costs, and rollups that always equal the raw rows."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from kernel.errors import BadUserInput
from models import (
    AiModel,
    ApiToken,
    Project,
    ProjectRole,
    Request,
    UsageRollup,
    User,
    UserUsageRollup,
)
from resolvers.ingestion import validation
from tests.support.backends import Backend
from tests.support.factories import (
    PRINCIPALS,
    grant,
    make_api_token,
    make_assistant,
    make_model,
    make_project,
    make_user,
    make_world,
)
from tests.support.gateway_client import ROUTES, Gateway
from tests.support.graphql_client import GraphQLClient, Response, bad_argument
from tests.support.records import HOUR, at, record, stored_external_ids
from tests.support.rollup_tables import assert_every_tier_equals_the_requests, recomputed_rollups
from tests.support.snapshots import snapshot

REQUEST = """
query($p: ID!, $id: ID!) {
  project(id: $p) {
    request(id: $id) {
      id externalId createdAt status durationMs inputTokens outputTokens cost
      input output errorMessage
      assistant { id } model { id } apiToken { id } user { id }
    }
  }
}"""

NANOS_PER_USD = 10**9


@pytest.fixture(params=ROUTES)
def gateway(request: pytest.FixtureRequest, api: GraphQLClient) -> Gateway:
    """Every recording test runs through both routes: GraphQL and plain JSON."""
    return Gateway(api, request.param)


async def record_requests(gateway: Gateway, secret: str, records: list[dict[str, Any]]) -> Response:
    return await gateway.record(secret, records)


async def recorded(gateway: Gateway, secret: str, records: list[dict[str, Any]]) -> dict[str, int]:
    """The payload of a call that must succeed."""
    response = await record_requests(gateway, secret, records)
    payload: dict[str, int] = response.ok()["recordRequests"]
    return payload


async def column(queryset: Any, name: str) -> list[Any]:
    """One column of a queryset's rows."""
    values: list[Any] = await queryset.values_list(name, flat=True)
    return values


async def stored_cost_nanos(project: Project) -> int:
    return sum(await column(Request.filter(project_id=project.id), "cost_nanos"))


async def gateway_project(**settings: Any) -> tuple[Project, AiModel, ApiToken, str]:
    project = await make_project(**settings)
    model = await make_model()
    token, secret = await make_api_token(project)
    return project, model, token, secret


# -- idempotency ------------------------------------------------------------------------------


async def test_recording_the_same_batch_twice_stores_each_record_once(
    gateway: Gateway,
) -> None:
    # given
    project, model, _, secret = await gateway_project()
    batch = [record(f"r-{i}", model, createdAt=at(i)) for i in range(5)]

    # when
    first = await recorded(gateway, secret, batch)
    second = await recorded(gateway, secret, batch)

    # then
    assert first == {"accepted": 5, "duplicates": 0}
    assert second == {"accepted": 0, "duplicates": 5}
    assert await stored_external_ids(project) == ["r-0", "r-1", "r-2", "r-3", "r-4"]
    assert sum(await column(UsageRollup.filter(project_id=project.id), "requests")) == 5
    await assert_every_tier_equals_the_requests(project.id)


async def test_a_repeated_external_id_within_a_batch_is_a_duplicate_of_the_first(
    gateway: Gateway,
) -> None:
    # given
    project, model, _, secret = await gateway_project()
    batch = [
        record("a", model, durationMs=1),
        record("b", model),
        record("a", model, durationMs=2),
        record("a", model, durationMs=3),
    ]

    # when
    payload = await recorded(gateway, secret, batch)

    # then
    assert payload == {"accepted": 2, "duplicates": 2}
    assert await stored_external_ids(project) == ["a", "b"]
    assert (await Request.get(project_id=project.id, external_id="a")).duration_ms == 1
    await assert_every_tier_equals_the_requests(project.id)


async def test_the_same_external_id_in_another_project_is_another_record(
    gateway: Gateway,
) -> None:
    # given
    first_project, model, _, first_secret = await gateway_project()
    second_project = await make_project()
    _, second_secret = await make_api_token(second_project)

    # when
    first = await recorded(gateway, first_secret, [record("shared", model)])
    second = await recorded(gateway, second_secret, [record("shared", model)])

    # then
    assert first == second == {"accepted": 1, "duplicates": 0}
    assert await stored_external_ids(first_project) == ["shared"]
    assert await stored_external_ids(second_project) == ["shared"]


async def test_concurrent_batches_with_overlapping_ids_store_each_record_once(
    gateway: Gateway,
) -> None:
    # given: two gateways replaying overlapping windows at the same moment
    project, model, _, secret = await gateway_project()
    first = [record(f"r-{i:04d}", model, createdAt=at(i % 60)) for i in range(0, 300)]
    second = [record(f"r-{i:04d}", model, createdAt=at(i % 60)) for i in range(150, 450)]

    # when
    responses = await asyncio.gather(
        record_requests(gateway, secret, first), record_requests(gateway, secret, second)
    )

    # then
    payloads = [response.ok()["recordRequests"] for response in responses]
    assert sum(p["accepted"] for p in payloads) == 450
    assert sum(p["duplicates"] for p in payloads) == 150
    assert all(p["accepted"] + p["duplicates"] == 300 for p in payloads)
    assert await stored_external_ids(project) == [f"r-{i:04d}" for i in range(450)]
    await assert_every_tier_equals_the_requests(project.id)


async def server_waits_for_a_lock(backend: Backend) -> None:
    connection = connections.get(backend.name)
    for _ in range(200):
        waiting = await connection.execute_query_dict(
            "SELECT COUNT(*) AS n FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting[0]["n"]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the server never waited for the concurrent batch")


async def test_batches_naming_the_same_ids_in_another_order_do_not_deadlock(
    gateway: Gateway, backend: Backend
) -> None:
    if backend.name != "postgres":
        pytest.skip("SQLite runs one write transaction at a time: no lock order to get wrong")
    # given: a concurrent writer that has stored "a" and not committed yet
    project, model, _, secret = await gateway_project()
    row = {
        "project_id": project.id, "created_at": HOUR, "status": "SUCCESS", "duration_ms": 1,
        "model_id": model.id, "input_tokens": 1, "output_tokens": 1, "cost_nanos": 1,
    }  # fmt: skip
    async with in_transaction(backend.name) as concurrent:
        await Request.create(external_id="a", using_db=concurrent, **row)

        # when: a batch names "b" then "a", and the concurrent writer then stores "b"
        call = asyncio.create_task(
            record_requests(gateway, secret, [record("b", model), record("a", model)])
        )
        await server_waits_for_a_lock(backend)
        await Request.create(external_id="b", using_db=concurrent, **row)
    response = await call

    # then: the batch finds both stored by the other writer
    assert response.ok()["recordRequests"] == {"accepted": 0, "duplicates": 2}
    assert await stored_external_ids(project) == ["a", "b"]


# -- all or nothing ---------------------------------------------------------------------------


def far_future() -> str:
    return (datetime.now(UTC) + timedelta(minutes=6)).isoformat()


BAD_RECORDS: list[tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]]]] = [
    ("unknown model", "modelId", lambda ids: {"modelId": "999999999"}),
    ("malformed model id", "modelId", lambda ids: {"modelId": "gpt-4"}),
    ("model id beyond INTEGER", "modelId", lambda ids: {"modelId": "99999999999"}),
    ("user id beyond INTEGER", "userId", lambda ids: {"userId": "99999999999"}),
    ("assistant of another project", "assistantId",
     lambda ids: {"assistantId": ids["foreign_assistant"]}),
    ("user who is not a member", "userId", lambda ids: {"userId": ids["outsider"]}),
    ("api token of another project", "apiTokenId",
     lambda ids: {"apiTokenId": ids["foreign_token"]}),
    ("negative input tokens", "inputTokens", lambda ids: {"inputTokens": -1}),
    ("negative output tokens", "outputTokens", lambda ids: {"outputTokens": -1}),
    ("negative duration", "durationMs", lambda ids: {"durationMs": -1}),
    ("createdAt in the future", "createdAt", lambda ids: {"createdAt": far_future()}),
    ("createdAt without offset", "createdAt", lambda ids: {"createdAt": "2025-01-01T10:00:00"}),
    ("empty externalId", "externalId", lambda ids: {"externalId": ""}),
    ("externalId too long", "externalId", lambda ids: {"externalId": "x" * 201}),
    ("input too long", "input", lambda ids: {"input": "x" * 100_001}),
    ("output too long", "output", lambda ids: {"output": "x" * 100_001}),
    ("negative cost", "cost", lambda ids: {"cost": -0.000001}),
    ("NUL in externalId", "externalId", lambda ids: {"externalId": "a\x00b"}),
    ("NUL in errorMessage", "errorMessage", lambda ids: {"errorMessage": "\x00"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "change"), [pytest.param(f, c, id=name) for name, f, c in BAD_RECORDS]
)
async def test_a_batch_with_one_bad_record_stores_nothing_and_names_it(
    gateway: Gateway, field: str, change: Callable[[dict[str, str]], dict[str, Any]]
) -> None:
    # given: a project with data already, and a batch whose last record is bad
    project, model, _, secret = await gateway_project()
    member, _ = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    assistant = await make_assistant(project)
    other_project = await make_project()
    outsider, _ = await make_user()
    await grant(outsider, other_project, ProjectRole.PROJECT_ADMIN)
    ids = {
        "foreign_assistant": str((await make_assistant(other_project)).id),
        "foreign_token": str((await make_api_token(other_project))[0].id),
        "outsider": str(outsider.id),
    }
    await recorded(gateway, secret, [record("existing", model)])
    before = await snapshot(project)
    rollups_before = await recomputed_rollups(project.id)
    good = {"assistantId": str(assistant.id), "userId": str(member.id)}
    batch = [record(f"r-{i}", model, createdAt=at(i), **good) for i in range(4)]
    batch.append(record("r-4", model, **good) | change(ids))

    # when
    response = await record_requests(gateway, secret, batch)

    # then
    assert bad_argument(response) == f"records[4].{field}"
    assert await stored_external_ids(project) == ["existing"]
    assert await snapshot(project) == before
    assert await recomputed_rollups(project.id) == rollups_before
    await assert_every_tier_equals_the_requests(project.id)


async def test_a_rejected_batch_stores_nothing_even_with_a_duplicate_in_it(
    gateway: Gateway,
) -> None:
    # given
    project, model, _, secret = await gateway_project()
    await recorded(gateway, secret, [record("existing", model)])

    # when
    response = await record_requests(
        gateway,
        secret,
        [record("existing", model), record("new", model), record("bad", model, inputTokens=-5)],
    )

    # then
    assert bad_argument(response) == "records[2].inputTokens"
    assert await stored_external_ids(project) == ["existing"]


def soon() -> str:
    return (datetime.now(UTC) + timedelta(minutes=4)).isoformat()


LIMITS: dict[str, Callable[[], dict[str, Any]]] = {
    "externalId of 200 characters": lambda: {"externalId": "x" * 200},
    "input and output of 100,000 characters":
        lambda: {"input": "i" * 100_000, "output": "o" * 100_000},
    "createdAt 4 minutes ahead": lambda: {"createdAt": soon()},
    "zero tokens, duration and cost":
        lambda: {"inputTokens": 0, "outputTokens": 0, "durationMs": 0, "cost": 0.0},
}  # fmt: skip


@pytest.mark.parametrize("limit", LIMITS)
async def test_records_at_the_limits_are_accepted(gateway: Gateway, limit: str) -> None:
    # given
    project, model, _, secret = await gateway_project()
    change = LIMITS[limit]()

    # when
    payload = await recorded(gateway, secret, [record("edge", model) | change])

    # then
    assert payload == {"accepted": 1, "duplicates": 0}
    row = await Request.get(project_id=project.id)
    assert row.external_id == change.get("externalId", "edge")
    assert (row.input, row.output) == (change.get("input"), change.get("output"))
    assert (row.input_tokens, row.duration_ms) == (
        change.get("inputTokens", 100),
        change.get("durationMs", 250),
    )


async def test_a_created_at_with_an_offset_is_stored_as_that_instant(gateway: Gateway) -> None:
    # given
    project, model, _, secret = await gateway_project()
    instant = HOUR + timedelta(minutes=7, seconds=30, microseconds=123456)
    written = instant.astimezone(timezone(timedelta(hours=5, minutes=45)))

    # when
    await recorded(gateway, secret, [record("offset", model, createdAt=written.isoformat())])

    # then
    row = await Request.get(project_id=project.id)
    assert row.created_at == instant
    assert row.created_at.utcoffset() == timedelta(0)
    await assert_every_tier_equals_the_requests(project.id)


async def test_more_than_a_thousand_records_are_refused(gateway: Gateway) -> None:
    # given
    project, model, _, secret = await gateway_project()
    batch = [record(f"r-{i}", model) for i in range(1001)]

    # when
    response = await record_requests(gateway, secret, batch)

    # then
    assert bad_argument(response) == "records"
    assert await stored_external_ids(project) == []


# -- costs ------------------------------------------------------------------------------------


def cost_nanos(usd: float) -> int:
    def refuse(argument: str, problem: str) -> BadUserInput:
        raise AssertionError(f"{usd} refused: {argument} {problem}")

    return validation.cost_nanos(usd, refuse)


def test_a_million_micro_dollar_costs_sum_to_exactly_one_dollar() -> None:
    # given: the float a client sends for $0.000001 is not exactly 10^-6
    micro = 0.000001
    assert Decimal(micro) != Decimal("0.000001")
    assert sum([micro] * 10**6) != 1.0

    # then: the stored integers add up exactly
    assert cost_nanos(0.000001) == 1000
    assert sum([cost_nanos(0.000001)] * 10**6) == NANOS_PER_USD


@pytest.mark.parametrize(
    ("usd", "nanos"),
    [
        (0.0, 0),
        (0.000000001, 1),
        (0.1, 100_000_000),
        (0.3, 300_000_000),
        (0.0075, 7_500_000),
        (1.1, 1_100_000_000),
        (123.456789012, 123_456_789_012),
        (1_000_000.0, 1_000_000 * NANOS_PER_USD),
    ],
)
def test_a_given_cost_is_stored_as_the_decimal_the_client_wrote(usd: float, nanos: int) -> None:
    assert cost_nanos(usd) == nanos


async def test_two_thousand_micro_dollar_requests_cost_exactly_two_thousandths(
    gateway: Gateway,
) -> None:
    # given
    project, model, _, secret = await gateway_project()
    batches = [
        [record(f"r-{b}-{i}", model, createdAt=at(i % 60), cost=0.000001) for i in range(1000)]
        for b in range(2)
    ]

    # when
    payloads = [await recorded(gateway, secret, batch) for batch in batches]

    # then
    assert payloads == [{"accepted": 1000, "duplicates": 0}] * 2
    assert set(await column(Request.filter(project_id=project.id), "cost_nanos")) == {1000}
    assert await stored_cost_nanos(project) == 2_000_000
    for rollup in (UsageRollup, UserUsageRollup):
        costs = await column(rollup.filter(project_id=project.id), "cost_nanos")
        assert sum(costs) == 2_000_000
    await assert_every_tier_equals_the_requests(project.id)


async def request_cost(api: GraphQLClient, project: Project, row: Request, token: str) -> float:
    data = (await api(REQUEST, {"p": str(project.id), "id": str(row.id)}, token)).ok()
    cost: float = data["project"]["request"]["cost"]
    return cost


async def test_a_cost_left_out_comes_from_the_model_prices_at_recording_time(
    gateway: Gateway,
) -> None:
    # given: $2.50 per million input tokens, $10 per million output tokens
    project, model, _, secret = await gateway_project()
    member, member_token = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    await recorded(gateway, secret, [record("before", model, inputTokens=1000, outputTokens=500)])

    # when: the price changes afterwards
    model.input_price_per_million_nanos = 5 * NANOS_PER_USD
    model.output_price_per_million_nanos = 20 * NANOS_PER_USD
    await model.save()
    await recorded(gateway, secret, [record("after", model, inputTokens=1000, outputTokens=500)])

    # then: the first request keeps the old prices and cost
    before = await Request.get(project_id=project.id, external_id="before")
    assert before.cost_nanos == 7_500_000
    assert before.input_price_per_million_nanos == 2_500_000_000
    assert before.output_price_per_million_nanos == 10_000_000_000
    assert await request_cost(gateway.api, project, before, member_token) == 0.0075
    after = await Request.get(project_id=project.id, external_id="after")
    assert after.cost_nanos == 15_000_000
    assert after.input_price_per_million_nanos == 5_000_000_000
    assert after.output_price_per_million_nanos == 20_000_000_000
    assert await request_cost(gateway.api, project, after, member_token) == 0.015
    await assert_every_tier_equals_the_requests(project.id)


async def test_a_computed_cost_rounds_to_the_nearest_nano_dollar(gateway: Gateway) -> None:
    # given: 1.5 and 0.4 nano-USD per token
    project, _, _, secret = await gateway_project()
    model = await make_model(input_usd=0.0015, output_usd=0.0004)

    # when
    await recorded(
        gateway,
        secret,
        [
            record("half", model, inputTokens=1, outputTokens=0),  # 1.5 -> 2
            record("below-half", model, inputTokens=0, outputTokens=1),  # 0.4 -> 0
            record("sum-first", model, inputTokens=1, outputTokens=1),  # 1.9 -> 2
            # 1,500,001.5 + 1.2 -> 1,500,003
            record("many", model, inputTokens=1_000_001, outputTokens=3),
        ],
    )

    # then
    costs = dict(
        await Request.filter(project_id=project.id).values_list("external_id", "cost_nanos")
    )
    assert costs == {"half": 2, "below-half": 0, "sum-first": 2, "many": 1_500_003}


async def test_a_given_cost_wins_over_the_model_prices(gateway: Gateway) -> None:
    # given
    project, model, _, secret = await gateway_project()

    # when
    await recorded(
        gateway, secret, [record("given", model, cost=0.5, inputTokens=1000, outputTokens=500)]
    )

    # then
    row = await Request.get(project_id=project.id)
    assert row.cost_nanos == 500_000_000
    assert row.input_price_per_million_nanos == 2_500_000_000
    assert row.output_price_per_million_nanos == 10_000_000_000


# -- content, token, rollups ------------------------------------------------------------------


@pytest.mark.parametrize("store", [True, False])
async def test_content_is_kept_only_when_the_project_stores_it(
    gateway: Gateway, store: bool
) -> None:
    # given
    project, model, _, secret = await gateway_project(store_request_content=store)
    member, member_token = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    content = {"input": "What is 2+2?", "output": "4", "errorMessage": "upstream said hi"}

    # when
    await recorded(gateway, secret, [record("r", model, status="ERROR", **content)])

    # then
    row = await Request.get(project_id=project.id)
    assert (row.input, row.output, row.error_message) == (
        ("What is 2+2?", "4", "upstream said hi") if store else (None, None, "upstream said hi")
    )
    ids = {"p": str(project.id), "id": str(row.id)}
    shown = (await gateway.api(REQUEST, ids, member_token)).ok()
    request = shown["project"]["request"]
    assert (request["input"], request["output"], request["errorMessage"]) == (
        row.input,
        row.output,
        row.error_message,
    )


async def test_the_api_token_defaults_to_the_one_recording(gateway: Gateway) -> None:
    # given
    project, model, recording_token, secret = await gateway_project()
    client_token, _ = await make_api_token(project)

    # when
    await recorded(
        gateway,
        secret,
        [record("default", model), record("named", model, apiTokenId=str(client_token.id))],
    )

    # then
    tokens = dict(
        await Request.filter(project_id=project.id).values_list("external_id", "api_token_id")
    )
    assert tokens == {"default": recording_token.id, "named": client_token.id}
    await assert_every_tier_equals_the_requests(project.id)


async def test_rollups_equal_the_raw_sums_after_several_batches(gateway: Gateway) -> None:
    # given: every dimension, with and without values, over several buckets
    project, model, _, secret = await gateway_project()
    other_model = await make_model(input_usd=0.15, output_usd=0.6)
    other_token, _ = await make_api_token(project)
    assistants = [
        None,
        str((await make_assistant(project)).id),
        str((await make_assistant(project)).id),
    ]
    users: list[str | None] = [None]
    for _ in range(2):
        user, _ = await make_user()
        await grant(user, project, ProjectRole.ASSISTANT_USER)
        users.append(str(user.id))
    tokens = [None, str(other_token.id)]

    def varied(i: int) -> dict[str, Any]:
        return record(
            f"r-{i}",
            (model, other_model)[i % 2],
            createdAt=(HOUR + timedelta(minutes=i * 7, seconds=i)).isoformat(),
            status=("SUCCESS", "SUCCESS", "ERROR")[i % 3],
            durationMs=100 + i,
            inputTokens=10 * i,
            outputTokens=3 * i,
            assistantId=assistants[i % 3],
            userId=users[i % 3 if i % 4 else 0],
            apiTokenId=tokens[i % 2 if i % 5 else 1],
            **({"cost": i / 1000} if i % 4 == 0 else {}),
        )

    # when: overlapping batches, in a different order each
    results = [
        await recorded(gateway, secret, [varied(i) for i in range(0, 40)]),
        await recorded(gateway, secret, [varied(i) for i in reversed(range(30, 70))]),
        await recorded(gateway, secret, [varied(i) for i in range(60, 90, 2)]),
    ]

    # then
    assert results == [
        {"accepted": 40, "duplicates": 0},
        {"accepted": 30, "duplicates": 10},
        {"accepted": 10, "duplicates": 5},
    ]
    assert len(await stored_external_ids(project)) == 80
    await assert_every_tier_equals_the_requests(project.id)
    rollup_cost = sum(await column(UsageRollup.filter(project_id=project.id), "cost_nanos"))
    assert rollup_cost == await stored_cost_nanos(project)


# -- who may record ---------------------------------------------------------------------------

UNAUTHENTICATED = ("anonymous", "unknown_token", "revoked_token", "expired_token")


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_only_a_project_api_token_may_record(gateway: Gateway, principal: str) -> None:
    # given
    world = await make_world()
    member = world.users["project_member"]
    batch = [
        record(
            "r-1",
            world.model,
            assistantId=str(world.active_assistant.id),
            userId=str(member.id),
        )
    ]
    before = await snapshot(world.project)
    ids_before = await stored_external_ids(world.project)
    rollups_before = await recomputed_rollups(world.project.id)

    # when
    response = await record_requests(gateway, world.tokens[principal] or "", batch)

    # then
    if principal == "api_token":
        assert response.ok()["recordRequests"] == {"accepted": 1, "duplicates": 0}
        assert await stored_external_ids(world.project) == sorted([*ids_before, "r-1"])
        await assert_every_tier_equals_the_requests(world.project.id)
        return
    expected = "UNAUTHENTICATED" if principal in UNAUTHENTICATED else "FORBIDDEN"
    assert response.codes == [expected], response.raw
    assert await snapshot(world.project) == before
    assert await stored_external_ids(world.project) == ids_before
    assert await stored_external_ids(world.other_project) == []
    assert await recomputed_rollups(world.project.id) == rollups_before
    await assert_every_tier_equals_the_requests(world.project.id)


@pytest.mark.parametrize("kind", ["revoked", "expired"])
async def test_a_revoked_or_expired_api_token_may_not_record(gateway: Gateway, kind: str) -> None:
    # given
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(
        project,
        revoked=kind == "revoked",
        expires_at=datetime.now(UTC) - timedelta(minutes=1) if kind == "expired" else None,
    )

    # when
    response = await record_requests(gateway, secret, [record("r", model)])

    # then
    assert response.codes == ["UNAUTHENTICATED"], response.raw
    assert await stored_external_ids(project) == []


async def test_an_api_token_records_into_its_own_project_only(gateway: Gateway) -> None:
    # given: two projects, each with a gateway token
    home, model, _, secret = await gateway_project()
    elsewhere = await make_project()
    foreign_assistant = await make_assistant(elsewhere)
    await make_api_token(elsewhere)
    before = (await snapshot(home), await snapshot(elsewhere))

    # when: the home token names the other project's assistant
    refused = await record_requests(
        gateway, secret, [record("r-1", model, assistantId=str(foreign_assistant.id))]
    )

    # then: nothing changed anywhere
    assert bad_argument(refused) == "records[0].assistantId"
    assert (await snapshot(home), await snapshot(elsewhere)) == before

    # when: a valid record follows
    accepted = await recorded(gateway, secret, [record("r-2", model)])

    # then: it lands in the token's own project
    assert accepted == {"accepted": 1, "duplicates": 0}
    assert await stored_external_ids(home) == ["r-2"]
    assert await stored_external_ids(elsewhere) == []
    assert await UsageRollup.filter(project_id=elsewhere.id).count() == 0


async def test_a_superuser_who_is_no_member_is_not_a_valid_user_of_a_record(
    gateway: Gateway,
) -> None:
    # given
    project, model, _, secret = await gateway_project()
    superuser: User
    superuser, _ = await make_user(superuser=True)

    # when
    batch = [record("r", model, userId=str(superuser.id))]
    response = await record_requests(gateway, secret, batch)

    # then
    assert bad_argument(response) == "records[0].userId"
    assert await stored_external_ids(project) == []
