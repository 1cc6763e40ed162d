"""What the threshold check adds to each ingest transaction, next to storing the batch.

    .venv/bin/python -m bench.threshold_check [--backend sqlite|postgres|both] [--batches 40]

In process, one project with ``--batches`` batches of 1,000 records this month. Each batch
is stored in its own transaction (``store_rows``, the baseline), then ``record_crossings``
is timed in that transaction, in three cases: the project has no budget (the rule: one
settings read), a budget with thresholds still to reach (the month's spend is read from the
rollups), and a budget whose thresholds are all recorded for the month. Prints the medians
and the check's share of the batch.
"""

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from bench.synthetic import database
from comptroller.database import migrate_database, tortoise_config
from models import ProjectSettings, RequestStatus
from resolvers.budgets.thresholds import record_crossings
from resolvers.ingestion.record import RecordInput
from resolvers.ingestion.recording import resolve_rows
from resolvers.ingestion.storage import first_of_each, store_rows
from resolvers.ingestion.validation import parse_records
from tests.support.factories import make_model, make_project

BATCH = 1000
CASES: dict[str, dict[str, Any]] = {
    "no budget": {"monthly_budget_nanos": None},
    "budget, thresholds to reach": {
        "monthly_budget_nanos": 10**18, "budget_alert_thresholds": [50, 80, 100],
    },
    "budget, every threshold recorded": {
        "monthly_budget_nanos": 1, "budget_alert_thresholds": [50, 80, 100],
    },
}  # fmt: skip


async def measure(backend: str, batches: int) -> None:
    async with database(backend) as (url, _):
        await migrate_database(url)
        await Tortoise.init(config=tortoise_config(url))
        try:
            model = await make_model()
            project = await make_project()
            start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            span = max((datetime.now(UTC) - start).total_seconds() - 60, 60)
            store: list[float] = []
            checks: dict[str, list[float]] = {case: [] for case in CASES}
            number = 0
            for batch in range(batches):
                case = list(CASES)[batch % len(CASES)]
                await ProjectSettings.filter(project_id=project.id).update(**CASES[case])
                records = []
                for _ in range(BATCH):
                    number += 1
                    records.append(RecordInput(
                        external_id=f"t{number}", status=RequestStatus.SUCCESS,
                        created_at=start + timedelta(seconds=span * (number % 9973) / 9973),
                        duration_ms=10, model_id=str(model.id), input_tokens=10,
                        output_tokens=5,
                    ))  # fmt: skip
                parsed = parse_records(records)
                rows = first_of_each((await resolve_rows(project.id, None, parsed))[0])
                rows.sort(key=lambda row: row.external_id)
                async with in_transaction() as connection:
                    began = time.perf_counter()
                    stored = await store_rows(connection, project.id, rows)
                    stored_at = time.perf_counter()
                    await record_crossings(connection, project.id, (r.created_at for r in stored))
                    checked_at = time.perf_counter()
                store.append((stored_at - began) * 1000)
                checks[case].append((checked_at - stored_at) * 1000)
        finally:
            await Tortoise.close_connections()
    baseline = statistics.median(store)
    print(f"[{backend}] store_rows of {BATCH:,} records: {baseline:.1f} ms (median of "
          f"{batches}, {number:,} requests this month by the end)")  # fmt: skip
    for case, samples in checks.items():
        ms = statistics.median(samples)
        print(f"[{backend}] record_crossings, {case}: {ms:.2f} ms median "
              f"({100 * ms / baseline:.1f}% of store_rows)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--batches", type=int, default=30)
    args = parser.parse_args()
    if args.backend != "both":
        asyncio.run(measure(args.backend, args.batches))
        return
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, "-m", "bench.threshold_check", "--backend", backend]
        subprocess.run([*command, "--batches", str(args.batches)], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
