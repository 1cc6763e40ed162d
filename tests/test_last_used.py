"""lastUsedAt: kept to the minute, with at most one write per token a minute across workers."""

import asyncio
from datetime import UTC, datetime, timedelta

from models import ApiToken
from resolvers.authentication import touch
from tests.support.factories import make_api_token, make_project
from tests.support.graphql_client import GraphQLClient

ADMISSION = "query($m: ID!) { admission(modelId: $m) { allowed } }"


async def test_of_workers_that_read_the_same_stale_value_only_one_writes(
    api: GraphQLClient,
) -> None:
    # given a token last used two minutes ago, as ten workers read it at once
    token, _ = await make_api_token(await make_project())
    stale = datetime.now(UTC) - timedelta(minutes=2)
    await ApiToken.filter(id=token.id).update(last_used_at=stale)
    now = datetime.now(UTC)

    # when they all touch it
    wrote = await asyncio.gather(
        *(touch(ApiToken, token.id, stale, now + timedelta(milliseconds=i)) for i in range(10))
    )

    # then
    assert sorted(wrote) == [False] * 9 + [True]


async def test_a_fresh_value_is_not_written_again(api: GraphQLClient) -> None:
    token, _ = await make_api_token(await make_project())
    recent = datetime.now(UTC) - timedelta(seconds=30)
    await ApiToken.filter(id=token.id).update(last_used_at=recent)
    assert await touch(ApiToken, token.id, recent, datetime.now(UTC)) is False
    # the value read was stale, but another worker has just written it
    assert await touch(ApiToken, token.id, recent - timedelta(minutes=5), datetime.now(UTC)) is (
        False
    )


async def test_calls_within_a_minute_keep_the_first_ones_time(api: GraphQLClient) -> None:
    # given
    token, secret = await make_api_token(await make_project())

    # when
    await api(ADMISSION, {"m": "1"}, secret)
    first = (await ApiToken.get(id=token.id)).last_used_at
    for _ in range(5):
        await api(ADMISSION, {"m": "1"}, secret)

    # then
    assert first is not None
    assert (await ApiToken.get(id=token.id)).last_used_at == first
