"""Threshold crossings, decided in the ingest transaction: once per project, month and
threshold, however many batches cross a threshold together.

Each batch of a project bumps its data version row before this runs (``store_rows``), which
holds that row locked until commit: batches of one project therefore pass here one after the
other, each reading the spend every earlier batch committed. The unique key of
``budget_threshold_crossings`` still decides: only the insert that lands writes the audit
event and the alert.

The check costs one settings read per batch when the project has no budget with thresholds,
and one more read when every threshold of the month is already recorded.
"""

from collections.abc import Iterable
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from kernel.raw_sql import bind_marks
from models import ProjectSettings
from resolvers.alerts.outbox import enqueue_alert
from resolvers.arguments import NANOS_PER_USD
from resolvers.budgets.months import BudgetMonth, month_of, months_between
from resolvers.budgets.spend import spent_nanos
from resolvers.budgets.status import reached
from resolvers.governance.audit import record_event

THRESHOLD_EVENT = "budget.threshold_reached"
_THRESHOLDS = ProjectSettings._meta.fields_map["budget_alert_thresholds"]


async def record_crossings(
    connection: BaseDBAsyncClient, project_id: int, created_at: Iterable[datetime]
) -> int:
    """Record the thresholds the batch's months have newly reached; how many. ``created_at``
    holds the instants of the requests the batch stored (read only if there is a budget)."""
    # Raw SQL: this runs in every ingest transaction, and the ORM's query building cost
    # more than the database's answer.
    (mark,) = bind_marks(connection, 1)
    _, rows = await connection.execute_query(
        "SELECT timezone, monthly_budget_nanos, budget_alert_thresholds, alert_webhook_url "
        f"FROM project_settings WHERE project_id = {mark} AND monthly_budget_nanos IS NOT NULL",
        [project_id],
    )
    if not rows:
        return 0
    zone, budget, raw_thresholds, webhook_url = tuple(rows[0])
    thresholds = tuple(float(t) for t in _THRESHOLDS.to_python_value(raw_thresholds) or ())
    instants = list(created_at) if thresholds else []
    if not instants:
        return 0
    recorded = 0
    for month in _months_holding(instants, str(zone)):
        recorded += await _record_month(
            connection, project_id, month, thresholds, int(budget), webhook_url
        )
    return recorded


async def _record_month(
    connection: BaseDBAsyncClient,
    project_id: int,
    month: BudgetMonth,
    thresholds: tuple[float, ...],
    budget: int,
    webhook_url: str | None,
) -> int:
    project, label = bind_marks(connection, 2)
    _, rows = await connection.execute_query(
        "SELECT threshold FROM budget_threshold_crossings "
        f"WHERE project_id = {project} AND month = {label}",
        [project_id, month.label],
    )
    known = {float(row[0]) for row in rows}
    pending = tuple(t for t in thresholds if t not in known)
    if not pending:
        return 0
    spent = await spent_nanos(connection, project_id, month.start, month.end)
    recorded = 0
    for threshold in reached(pending, spent, budget):
        if not await _insert_crossing(connection, project_id, month, threshold, spent, budget):
            continue
        recorded += 1
        details = {
            "month": month.label,
            "threshold": threshold,
            "spent": spent / NANOS_PER_USD,
            "budget": budget / NANOS_PER_USD,
        }
        await record_event(
            actor_id=None,
            project_id=project_id,
            action=THRESHOLD_EVENT,
            target=f"project:{project_id}",
            details=details,
            connection=connection,
        )
        if webhook_url is not None:
            await enqueue_alert(
                connection,
                project_id=project_id,
                url=webhook_url,
                event=THRESHOLD_EVENT,
                payload={"event": THRESHOLD_EVENT, "project": str(project_id), **details},
            )
    return recorded


async def _insert_crossing(
    connection: BaseDBAsyncClient,
    project_id: int,
    month: BudgetMonth,
    threshold: float,
    spent: int,
    budget: int,
) -> bool:
    """Whether this transaction is the one that recorded the crossing."""
    marks = ", ".join(bind_marks(connection, 6))
    rows = await connection.execute_query_dict(
        "INSERT INTO budget_threshold_crossings "
        f"(project_id, month, threshold, spent_nanos, budget_nanos, at) VALUES ({marks}) "
        "ON CONFLICT (project_id, month, threshold) DO NOTHING RETURNING id",
        [project_id, month.label, threshold, spent, budget, datetime.now(UTC)],
    )
    return bool(rows)


def _months_holding(instants: list[datetime], zone: str) -> list[BudgetMonth]:
    """The months holding the batch's requests: those from the first to the last, unless
    the batch spans more than a few (a backfill), when only the months that hold one."""
    months = months_between(min(instants), max(instants), zone)
    if len(months) <= 3:
        return months
    return sorted({month_of(instant, zone) for instant in instants}, key=lambda m: m.label)
