"""Project.budget at scale, next to a raw SQL scan of the month's requests (the baseline).

    .venv/bin/python -m bench.budgets [--backend sqlite|postgres|both] [--size 1000000]
        [--share 1.0] [--runs 10] [--timezone Pacific/Auckland]

Loads ``--size`` synthetic requests over the last 30 days (``--share`` of them in the project
measured) with the bulk loader of ``bench.synthetic`` (rollups built), sets the project's
zone and a budget, then times, in-process through ``schema.execute``: ``budget`` for the
previous month (the one the 30 days mostly cover) and for the current month, uncached and
cached, next to ``SELECT SUM(cost_nanos), COUNT(*)`` over the same month's rows. Prints the
medians and the ratio budget / raw scan (target <= 0.05x), and checks that both sums agree.
"""

import argparse
import asyncio
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from tortoise import Tortoise, connections

from bench.synthetic import (
    Clock,
    NoCache,
    database,
    generate_rows,
    load_postgres,
    load_sqlite,
    make_world,
)
from bench.timing import median_ms
from comptroller.database import migrate_database, tortoise_config
from comptroller.settings import REPOSITORY_ROOT
from kernel.authorization import Policy
from kernel.cache import ResultCache
from models import Project, ProjectRole, ProjectSettings
from resolvers.budgets.months import BudgetMonth, month_of
from schema import build_schema
from schema.context import build_context
from tests.support.factories import grant, make_user

BUDGET = """query($id: ID!, $month: String) { project(id: $id) { budget(month: $month) {
  month periodStart spent budget percentUsed forecast thresholdsReached } } }"""
TARGET = 0.05


async def measure(backend: str, size: int, share: float, runs: int, zone: str) -> None:
    label = f"{backend} {size:,}"
    clock = Clock(label)
    rng = random.Random(size)
    async with database(backend) as (url, sqlite_path):
        await migrate_database(url)
        await Tortoise.init(config=tortoise_config(url))
        try:
            world = await make_world(rng)
            member, token = await make_user()
            project = await Project.get(id=world.project_id)
            await grant(member, project, ProjectRole.PROJECT_MEMBER)
            await ProjectSettings.filter(project_id=project.id).update(
                timezone=zone, monthly_budget_nanos=50_000 * 10**9
            )
        finally:
            await Tortoise.close_connections()
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        rows = generate_rows(rng, world, size, end, share, as_text=sqlite_path is not None)
        with clock.phase("load in total", size):
            if sqlite_path is not None:
                load_sqlite(sqlite_path, rows, size, clock)
            else:
                await load_postgres(url, rows, size, clock)
        await Tortoise.init(config=tortoise_config(url))
        try:
            current = month_of(end - timedelta(seconds=1), zone)
            previous = _previous(current)
            for month in (previous, current):
                await _compare(label, world.project_id, token, month, runs)
        finally:
            await Tortoise.close_connections()


def _previous(month: BudgetMonth) -> BudgetMonth:
    if month.month == 1:
        return BudgetMonth(month.year - 1, 12, month.zone_name)
    return BudgetMonth(month.year, month.month - 1, month.zone_name)


async def _compare(label: str, project_id: int, token: str, month: BudgetMonth, runs: int) -> None:
    schema = build_schema()
    policy = Policy(REPOSITORY_ROOT / "policy.polar")
    cold = NoCache("memory://", "bench-cold")
    warm = ResultCache("memory://", "bench-warm")
    variables = {"id": str(project_id), "month": month.label}
    answers: list[float] = []

    async def run(cache: ResultCache) -> None:
        context = await build_context(token=token, policy=policy, cache=cache, request_id="b")
        result = await schema.execute(BUDGET, variables, context_value=context)
        assert result.errors is None, result.errors
        assert result.data is not None
        answers.append(result.data["project"]["budget"]["spent"])

    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    marks = ("$1", "$2", "$3") if postgres else ("?", "?", "?")
    sums: list[int] = []

    async def raw_scan() -> None:
        _, rows = await connection.execute_query(
            "SELECT SUM(cost_nanos), COUNT(*) FROM requests WHERE "
            f"project_id = {marks[0]} AND created_at >= {marks[1]} AND created_at < {marks[2]}",
            [project_id, month.start, month.end],
        )
        sums.append(int(rows[0][0] or 0))
        requests.append(int(rows[0][1]))

    requests: list[int] = []
    uncached = await median_ms(runs, lambda: run(cold))
    cached = await median_ms(runs * 5, lambda: run(warm))
    baseline = await median_ms(runs, raw_scan)
    assert answers[-1] == sums[-1] / 10**9, (answers[-1], sums[-1])
    ratio = uncached / baseline
    print(
        f"[{label}] budget({month.label}, {month.zone_name}; {requests[-1]:,} requests): "
        f"{uncached:.2f} ms uncached, {cached:.2f} ms cached (in-process, median of {runs}); "
        f"raw SQL scan {baseline:.1f} ms; ratio {ratio:.3f}x "
        f"(target <= {TARGET}x: {'met' if ratio <= TARGET else 'MISSED'}); "
        f"spent ${answers[-1]:,.2f} = raw sum",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--size", type=int, default=1_000_000, help="requests in all")
    parser.add_argument("--share", type=float, default=1.0, help="of them in the project")
    parser.add_argument("--runs", type=int, default=10, help="runs per median")
    parser.add_argument("--timezone", default="Pacific/Auckland", help="the project's zone")
    args = parser.parse_args()
    if args.backend != "both":
        asyncio.run(measure(args.backend, args.size, args.share, args.runs, args.timezone))
        return
    # Tortoise compiles statements once per process and connection name: one process each.
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, "-m", "bench.budgets", "--backend", backend]
        command += ["--size", str(args.size), "--share", str(args.share), "--runs", str(args.runs)]
        command += ["--timezone", args.timezone]
        subprocess.run(command, check=True)  # noqa: S603


if __name__ == "__main__":
    main()
