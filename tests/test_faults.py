"""Faults under load (issue 13), on a PostgreSQL cluster and a Redis of the test's own:
requests during an outage get JSON errors with codes (never plain text), every acknowledged
record is stored exactly once, and the server recovers by itself, without a restart."""

import asyncio
import time
from pathlib import Path

import httpx

from tests.support.backends import run_cli
from tests.support.fault_load import (
    Observed,
    World,
    gateway,
    make_world,
    reader,
    stored_counts,
)
from tests.support.live_server import live_server, server_env
from tests.support.throwaway_services import throwaway_postgres, throwaway_redis

HEALTHY_SECONDS = 1.5
OUTAGE_SECONDS = 1.5
# The contract's promise is a quarter of a second; the bound here leaves room for two cores
# shared with the rest of the suite, and the measured figure is printed.
RECOVERY_BOUND_SECONDS = 1.0


def superuser_token(env: dict[str, str]) -> str:
    created = run_cli(["create-user", "--email", "ops@example.com", "--name", "Ops",
                       "--superuser"], env)  # fmt: skip
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1]


def assert_contract_shapes(observed: Observed, allowed: set[str], log: str) -> None:
    assert observed.malformed == []
    assert set(observed.codes) <= allowed, (observed.codes, log[-6000:])
    assert all(status < 500 or status == 503 for status in observed.statuses), observed.statuses


async def test_a_postgres_outage_answers_json_and_loses_nothing(tmp_path: Path) -> None:
    async with throwaway_postgres() as cluster:
        env = server_env(cluster.url, "memory://")
        assert run_cli(["init-db"], env).returncode == 0
        token = superuser_token(env)
        async with live_server(env, tmp_path) as server:
            world: World = await make_world(server.url, token)
            observed = Observed()
            deadline = time.monotonic() + 3 * HEALTHY_SECONDS + 2 * OUTAGE_SECONDS
            traffic = [
                asyncio.create_task(client(server.url, world, observed, deadline))
                for client in (gateway, gateway, reader, reader)
            ]
            recoveries = []
            await asyncio.sleep(HEALTHY_SECONDS)
            for mode in ("fast", "immediate"):  # a clean shutdown, then a crash
                await asyncio.to_thread(cluster.stop, mode)
                await asyncio.sleep(OUTAGE_SECONDS)
                await asyncio.to_thread(cluster.start)
                back = time.monotonic()
                await asyncio.sleep(HEALTHY_SECONDS)
                first = observed.first_success_after(back)
                assert first is not None, observed.statuses
                recoveries.append(first - back)
            await asyncio.gather(*traffic)
            assert server.process.poll() is None  # never restarted
            async with httpx.AsyncClient(base_url=server.url) as http:
                assert (await http.get("/readyz")).status_code == 200
            log = server.log()
        stored = await stored_counts(cluster.url, world.project_id)

    print(f"recovery after the fault ended: {[round(r, 3) for r in recoveries]} s")  # noqa: T201
    assert_contract_shapes(observed, {"SERVICE_UNAVAILABLE"}, log)
    assert observed.codes["SERVICE_UNAVAILABLE"] > 0  # the outage was seen
    assert max(recoveries) < RECOVERY_BOUND_SECONDS
    # every acknowledged record is there, once; nothing at all is stored twice
    assert observed.acknowledged
    assert observed.acknowledged <= set(stored)
    assert set(stored.values()) == {1}
    assert "Traceback" not in log
    assert log.count("database unavailable (") <= 4  # one line per outage, not per request


async def test_a_redis_outage_costs_no_answer(tmp_path: Path) -> None:
    async with throwaway_postgres() as cluster, throwaway_redis() as redis:
        env = server_env(cluster.url, redis.url)
        assert run_cli(["init-db"], env).returncode == 0
        token = superuser_token(env)
        async with live_server(env, tmp_path, "--workers", "2") as server:
            world = await make_world(server.url, token)
            observed = Observed()
            deadline = time.monotonic() + 2 * HEALTHY_SECONDS + OUTAGE_SECONDS
            traffic = [
                asyncio.create_task(client(server.url, world, observed, deadline))
                for client in (gateway, reader, reader)
            ]
            await asyncio.sleep(HEALTHY_SECONDS)
            redis.stop()
            stopped = len(observed.successes)
            await asyncio.sleep(OUTAGE_SECONDS)
            during = len(observed.successes) - stopped
            await asyncio.to_thread(redis.start)
            await asyncio.gather(*traffic)
            log = server.log()
        stored = await stored_counts(cluster.url, world.project_id)

    assert during > 0  # served from the database while Redis was down
    assert_contract_shapes(observed, set(), log)
    assert sum(observed.statuses.values()) == observed.statuses[200]
    assert observed.acknowledged <= set(stored)
    assert set(stored.values()) == {1}
    assert "Traceback" not in log
    assert log.count("cache (redis) unavailable") <= 2  # one line per worker
    assert log.count("rate-limit counters (redis) unavailable") <= 2
