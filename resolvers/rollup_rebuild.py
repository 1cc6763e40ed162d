"""Rebuilding rollups in bulk, each table from a finer one (``BULK_SOURCES``): for loads that
write ``requests`` directly (the demo, the benchmarks) instead of through
``recordRequests``."""

from tortoise.backends.base.client import BaseDBAsyncClient

from models.rollup import SUM_COLUMNS
from resolvers.data_versions import bump_version
from resolvers.rollups import (
    BULK_SOURCES,
    REQUEST_SUMS_SQL,
    ROLLUP_SUMS_SQL,
    TABLES,
    keys_from_requests,
    start_sql,
)


def bulk_rollups_sql(table: str, postgres: bool, where: str = "") -> str:
    """``INSERT`` into ``table`` (empty of what it adds) of its BULK_SOURCES rows summed per its
    key; ``where`` narrows the rows read: the cheapest way to build a table in bulk."""
    source = BULK_SOURCES[table]
    if source is None:
        return requests_rolled_up_sql(table, postgres, where)
    return regrouped_rollups_sql(table, source, postgres, where)


def regrouped_rollups_sql(table: str, source: str, postgres: bool, where: str = "") -> str:
    """``INSERT`` into ``table`` of the rollup table ``source`` (of the same grain or a finer
    one, with the same keys or more) summed per ``table``'s key; ``where`` narrows the rows
    read."""
    layout = TABLES[table]
    coarser = layout.grain is not TABLES[source].grain
    expressions = ", ".join(
        start_sql(layout.grain, postgres, "bucket_start") if coarser and k == "bucket_start"
        else k
        for k in layout.keys
    )  # fmt: skip
    return (
        f"INSERT INTO {table} ({', '.join(layout.keys)}, {', '.join(SUM_COLUMNS)}) "
        f"SELECT {expressions}, {ROLLUP_SUMS_SQL} FROM {source}"
        f"{f' WHERE {where}' if where else ''} GROUP BY {expressions}"
    )


def requests_rolled_up_sql(table: str, postgres: bool, where: str = "") -> str:
    """``INSERT`` into ``table`` (empty of what it adds) of the ``requests`` rows summed per
    its key; ``where`` narrows the requests read."""
    columns, expressions = keys_from_requests(postgres, table)
    return (
        f"INSERT INTO {table} ({columns}, {', '.join(SUM_COLUMNS)}) "
        f"SELECT {expressions}, {REQUEST_SUMS_SQL} FROM requests"
        f"{f' WHERE {where}' if where else ''} GROUP BY {expressions}"
    )


async def rebuild_rollups(connection: BaseDBAsyncClient, project_id: int) -> None:
    """Recompute a project's rollups from its raw requests: for bulk loads (the demo, the
    benchmarks) that write ``requests`` directly instead of through ``recordRequests``."""
    postgres = connection.capabilities.dialect == "postgres"
    mark = "$1" if postgres else "?"
    await bump_version(connection, project_id)
    for table in TABLES:
        await connection.execute_query(
            f"DELETE FROM {table} WHERE project_id = {mark}", [project_id]
        )
    # Each table from its bulk source: a fraction of the raw rows to read for most.
    for table in BULK_SOURCES:
        await connection.execute_query(
            bulk_rollups_sql(table, postgres, f"project_id = {mark}"), [project_id]
        )
