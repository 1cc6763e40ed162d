"""PostgreSQL and Redis outages under load, with figures: what clients saw, how fast the
server recovered, whether any acknowledged record was lost or stored twice.

    .venv/bin/python -m bench.faults [--outages 4] [--outage-seconds 2] [--workers 2]

A PostgreSQL cluster and a Redis server of its own on free loopback ports (never the
machine's), two gateways and two dashboard readers running throughout; PostgreSQL is stopped
(alternately a fast shutdown and a crash) and started again ``--outages`` times, then Redis
is killed and restarted once.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from tests.support.backends import run_cli
from tests.support.fault_load import Observed, gateway, make_world, reader, stored_counts
from tests.support.live_server import live_server, server_env
from tests.support.throwaway_services import throwaway_postgres, throwaway_redis

HEALTHY_SECONDS = 2.0


async def main(outages: int, outage_seconds: float, workers: int) -> bool:
    async with throwaway_postgres() as cluster, throwaway_redis() as redis:
        env = server_env(cluster.url, redis.url)
        if run_cli(["init-db"], env).returncode != 0:
            raise RuntimeError("init-db failed")
        created = run_cli(["create-user", "--email", "ops@example.com", "--name", "Ops",
                           "--superuser"], env)  # fmt: skip
        token = created.stdout.strip().splitlines()[-1]
        with tempfile.TemporaryDirectory() as logs:
            async with live_server(env, Path(logs), "--workers", str(workers)) as server:
                world = await make_world(server.url, token)
                observed = Observed()
                total = (outages + 2) * HEALTHY_SECONDS + (outages + 1) * outage_seconds + 5
                deadline = time.monotonic() + total
                traffic = [
                    asyncio.create_task(client(server.url, world, observed, deadline))
                    for client in (gateway, gateway, reader, reader)
                ]
                recoveries: list[float] = []
                await asyncio.sleep(HEALTHY_SECONDS)
                for index in range(outages):
                    await asyncio.to_thread(cluster.stop, ("fast", "immediate")[index % 2])
                    await asyncio.sleep(outage_seconds)
                    await asyncio.to_thread(cluster.start)
                    back = time.monotonic()
                    await asyncio.sleep(HEALTHY_SECONDS)
                    first = observed.first_success_after(back)
                    recoveries.append(float("inf") if first is None else first - back)
                redis.stop()
                served_before = len(observed.successes)
                await asyncio.sleep(outage_seconds)
                served_without_redis = len(observed.successes) - served_before
                await asyncio.to_thread(redis.start)
                await asyncio.gather(*traffic)
                alive = server.process.poll() is None
                log = server.log()
        stored = await stored_counts(cluster.url, world.project_id)
    lost = observed.acknowledged - set(stored)
    twice = [k for k, n in stored.items() if n > 1]
    latencies = [x for values in observed.latencies.values() for x in values]
    every_answer = latencies  # failures included
    print(f"{outages} PostgreSQL outages of {outage_seconds} s, then Redis down {outage_seconds} s")
    print(f"answers: {sum(observed.statuses.values())}  statuses {dict(observed.statuses)}")
    print(f"error codes: {dict(observed.codes)}  malformed (not JSON / no code): "
          f"{len(observed.malformed)}  connection errors: {observed.transport_errors}")  # fmt: skip
    print(f"recovery after each outage ended: {[round(r, 3) for r in recoveries]} s "
          f"(max {max(recoveries):.3f} s)")  # fmt: skip
    print(f"median answer time, failures included: {statistics.median(every_answer) * 1000:.1f} ms")
    print(f"answers served while Redis was down: {served_without_redis}")
    print(f"acknowledged records: {len(observed.acknowledged)}  stored: {len(stored)}  "
          f"lost: {len(lost)}  stored twice: {len(twice)}")  # fmt: skip
    print(f"server restarted: {'no' if alive else 'YES'}  tracebacks in its log: "
          f"{log.count('Traceback')}  outage lines: {log.count(' unavailable (')}")  # fmt: skip
    return not lost and not twice and not observed.malformed and alive


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--outages", type=int, default=4)
    parser.add_argument("--outage-seconds", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    ok = asyncio.run(main(min(args.outages, 20), min(args.outage_seconds, 30), args.workers))
    raise SystemExit(0 if ok else 1)
