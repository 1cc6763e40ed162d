"""Keeping the rollups exact: in the batch's transaction, so a dashboard read after
``recordRequests`` returns sees every record.

Two tiers, each with and without the user: quarter hours (15 minutes, aligned in UTC) and
UTC days (the dashboards read whole days from the second, see
``resolvers/dashboards/tiers.py``). A row's ``bucket_start`` column is its quarter hour or
its day. The sums every row keeps are ``models.rollup.RollupSums``: every SQL list of them
here is built from its fields.

Three ways in: ``add_new_requests`` (PostgreSQL ingestion) hands the batch's columns to one
statement that groups and upserts all four tables; ``add_requests_from`` (SQLite ingestion)
groups the rows just inserted in the database, a statement a table; ``upsert_rollups`` adds
changes grouped in Python (retention's subtractions, on both backends)."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from operator import attrgetter, itemgetter

from msgspec.structs import astuple
from tortoise.backends.base.client import BaseDBAsyncClient

from kernel.raw_sql import rows_source
from models.request import REQUEST_COLUMN_TYPES
from models.rollup import SUM_COLUMNS, USAGE_KEY, USER_USAGE_KEY, RollupSums
from resolvers.data_versions import bump_version

QUARTER_HOUR_MINUTES = 15


@dataclass(frozen=True, order=True)
class RollupKey:
    project_id: int
    bucket_start: datetime
    user_key: int  # 0: no user
    assistant_key: int  # 0: no assistant
    model_id: int
    api_token_key: int  # 0: no token
    status: str

    def as_tuple(self) -> tuple[object, ...]:
        """The per-user tables' key. Not dataclasses.astuple: it deep-copies every field, a
        third of an upsert's time."""
        return _USER_USAGE_KEY_OF(self)

    def without_user(self) -> tuple[object, ...]:
        """The other tables' key."""
        return _USAGE_KEY_OF(self)


_USER_USAGE_KEY_OF, _USAGE_KEY_OF = attrgetter(*USER_USAGE_KEY), attrgetter(*USAGE_KEY)


# What a request adds to each sum: one request, one error if it failed, and for every other
# sum its own column of the same name. As SQL aggregates over ``requests`` rows here, in
# Python in ``change_of``.
_COUNTED = {"requests": "COUNT(*)", "errors": "SUM(CASE WHEN status = 'ERROR' THEN 1 ELSE 0 END)"}
SUMMED_REQUEST_COLUMNS = tuple(column for column in SUM_COLUMNS if column not in _COUNTED)
# The sums of ``requests`` rows, and of rollup rows, as SELECT lists (in SUM_COLUMNS order,
# each named after its sum).
REQUEST_SUMS_SQL = ", ".join(f"{_COUNTED.get(c, f'SUM({c})')} AS {c}" for c in SUM_COLUMNS)
ROLLUP_SUMS_SQL = ", ".join(f"SUM({c}) AS {c}" for c in SUM_COLUMNS)

USAGE_TYPES = ("int", "timestamptz", "int", "int", "int", "varchar")
USER_USAGE_TYPES = ("int", "timestamptz", "int", "int", "int", "int", "varchar")


# Every rollup table, in the order batches write them, with its key columns and their types.
TABLE_KEYS = {
    "user_usage_rollups": (USER_USAGE_KEY, USER_USAGE_TYPES),
    "usage_rollups": (USAGE_KEY, USAGE_TYPES),
    "user_usage_daily_rollups": (USER_USAGE_KEY, USER_USAGE_TYPES),
    "usage_daily_rollups": (USAGE_KEY, USAGE_TYPES),
}
# Each daily table and the quarter-hour table it sums.
DAILY_SOURCES = {
    "user_usage_daily_rollups": "user_usage_rollups",
    "usage_daily_rollups": "usage_rollups",
}


def change_of(
    project_id: int,
    created_at: datetime,
    user_id: int | None,
    assistant_id: int | None,
    model_id: int,
    api_token_id: int | None,
    status: str,
    summed: Mapping[str, int],
) -> tuple[RollupKey, RollupSums]:
    """What one request adds to the rollups (``created_at`` in any zone; ``summed`` holds at
    least its SUMMED_REQUEST_COLUMNS)."""
    key = RollupKey(
        project_id=project_id,
        bucket_start=quarter_hour_of(created_at.astimezone(UTC)),
        user_key=user_id or 0,
        assistant_key=assistant_id or 0,
        model_id=model_id,
        api_token_key=api_token_id or 0,
        status=status,
    )
    sums = RollupSums(
        requests=1,
        errors=int(status == "ERROR"),
        **{column: summed[column] for column in SUMMED_REQUEST_COLUMNS},
    )
    return key, sums


def quarter_hour_of(instant: datetime) -> datetime:
    """The start of the quarter hour holding ``instant`` (which must be UTC)."""
    return instant.replace(
        minute=instant.minute - instant.minute % QUARTER_HOUR_MINUTES, second=0, microsecond=0
    )


def next_quarter_hour(quarter_hour: datetime) -> datetime:
    return quarter_hour + timedelta(minutes=QUARTER_HOUR_MINUTES)


def day_of(instant: datetime) -> datetime:
    """Midnight UTC of the day holding ``instant`` (which must be UTC)."""
    return instant.replace(hour=0, minute=0, second=0, microsecond=0)


async def upsert_rollups(
    connection: BaseDBAsyncClient, changes: Iterable[tuple[RollupKey, RollupSums]]
) -> None:
    """Add ``changes`` (negative sums subtract) to the four rollup tables.

    Keys are written in sorted order so that concurrent batches lock rows in the same order
    and cannot deadlock; the tables always in the same order for the same reason.
    """
    tiers: dict[str, dict[tuple[object, ...], RollupSums]] = {
        table: defaultdict(RollupSums) for table in TABLE_KEYS
    }
    per_user, per_usage = tiers["user_usage_rollups"], tiers["usage_rollups"]
    for key, sums in changes:
        per_user[key.as_tuple()].add(sums)
        per_usage[key.without_user()].add(sums)
    # The daily rows from the quarter-hour ones: far fewer keys than the batch has records.
    daily_user, daily_usage = tiers["user_usage_daily_rollups"], tiers["usage_daily_rollups"]
    for quarters, days in ((per_user, daily_user), (per_usage, daily_usage)):
        for (project_id, quarter_hour, *rest), sums in quarters.items():
            assert isinstance(quarter_hour, datetime)
            days[(project_id, day_of(quarter_hour), *rest)].add(sums)
    for table, rows in tiers.items():
        keys, types = TABLE_KEYS[table]
        await _upsert(connection, table, keys, types, rows)


# The request columns a batch is rolled up from, each bound as one array of its SQL type:
# those its keys come from, then those summed.
ROLLED_UP_COLUMNS = {
    column: REQUEST_COLUMN_TYPES[column]
    for column in ("created_at", "user_id", "assistant_id", "model_id", "api_token_id", "status",
                   *SUMMED_REQUEST_COLUMNS)
}  # fmt: skip


async def add_new_requests(
    connection: BaseDBAsyncClient, project_id: int, columns: Mapping[str, Sequence[object]]
) -> None:
    """PostgreSQL: add a batch of new requests (``columns`` holds ROLLED_UP_COLUMNS, one
    sequence each) to the four rollup tables in one statement.

    The database groups the rows (where Python took as long as the upserts) and a round trip
    serves four tables. Each table's rows are upserted in key order, the tables in
    TABLE_KEYS order, as ``upsert_rollups`` does: batches and purges lock alike.
    """
    if columns["created_at"]:
        arrays = [list(columns[name]) for name in ROLLED_UP_COLUMNS]
        await connection.execute_query(_add_new_requests_sql(), [project_id, *arrays])


@cache
def _add_new_requests_sql() -> str:
    arrays = ", ".join(
        f"${index + 2}::{kind}[]" for index, kind in enumerate(ROLLED_UP_COLUMNS.values())
    )
    # The batch as rows of ``requests``' columns, for the same statements SQLite runs.
    batch = (
        f"SELECT $1::int AS project_id, * FROM unnest({arrays}) "
        f"AS rows({', '.join(ROLLED_UP_COLUMNS)})"
    )
    steps = [f"batch AS MATERIALIZED ({batch})"] + [
        f"step{number} AS ({_add_requests_sql(True, table, 'batch')} RETURNING 1)"
        for number, table in enumerate(TABLE_KEYS)
    ]
    # Reading each step's count in turn runs the steps in that order (PostgreSQL would
    # otherwise pick one): the table order that keeps batches and purges from deadlocking.
    counts = ", ".join(f"(SELECT COUNT(*) FROM step{number})" for number in range(len(TABLE_KEYS)))
    return f"WITH {', '.join(steps)} SELECT {counts}"


async def _upsert(
    connection: BaseDBAsyncClient,
    table: str,
    keys: tuple[str, ...],
    types: tuple[str, ...],
    rows: dict[tuple[object, ...], RollupSums],
) -> None:
    if not rows:
        return
    columns = (*keys, *SUM_COLUMNS)
    # Keys hold comparable parts (ints, UTC datetimes, str): sorted as they are, in a sixth of
    # the time of sorting their str() forms; any total order keeps concurrent batches apart.
    ordered = sorted(rows.items(), key=itemgetter(0))
    source, values = rows_source(
        connection,
        [(*key, *astuple(sums)) for key, sums in ordered],
        (*types, *("bigint",) * len(SUM_COLUMNS)),
    )
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) {source} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {_adding(table)}"
    )
    await connection.execute_query(sql, values)


def _adding(table: str) -> str:
    """The ``DO UPDATE SET`` of an upsert into ``table`` that adds the new row's sums."""
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in SUM_COLUMNS)


# The origin of date_bin's buckets: any UTC midnight.
EPOCH = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"


def quarter_hour_sql(postgres: bool, column: str = "created_at") -> str:
    """SQL for the quarter hour of a stored UTC timestamp, stored as the ORM stores it."""
    if postgres:
        return f"date_bin('{QUARTER_HOUR_MINUTES} minutes', {column}, {EPOCH})"
    # SQLite keeps UTC instants as text, 'YYYY-MM-DD HH:MM:SS[.ffffff]+00:00'.
    return (
        f"substr({column}, 1, 14) || printf('%02d', (CAST(substr({column}, 15, 2) AS INTEGER)"
        f" / {QUARTER_HOUR_MINUTES}) * {QUARTER_HOUR_MINUTES}) || ':00+00:00'"
    )


def day_sql(postgres: bool, column: str = "bucket_start") -> str:
    """SQL for midnight UTC of a stored UTC timestamp's day, stored as the ORM stores it."""
    if postgres:
        return f"date_bin('1 day', {column}, {EPOCH})"
    # SQLite keeps UTC instants as text, 'YYYY-MM-DD HH:MM:SS[.ffffff]+00:00'.
    return f"substr({column}, 1, 10) || ' 00:00:00+00:00'"


def daily_from_quarters_sql(daily: str, postgres: bool, where: str = "") -> str:
    """``INSERT`` into ``daily`` of its quarter-hour table summed per day (``where`` narrows
    the quarter-hour rows read): the cheapest way to build the daily tier in bulk."""
    return regrouped_rollups_sql(daily, DAILY_SOURCES[daily], postgres, where)


def regrouped_rollups_sql(table: str, source: str, postgres: bool, where: str = "") -> str:
    """``INSERT`` into ``table`` of the rollup table ``source`` (of the same tier or its
    quarter hours, with the same keys or more) summed per ``table``'s key; ``where`` narrows
    the rows read."""
    keys, _ = TABLE_KEYS[table]
    day = table in DAILY_SOURCES and source not in DAILY_SOURCES
    expressions = ", ".join(day_sql(postgres) if day and k == "bucket_start" else k for k in keys)
    return (
        f"INSERT INTO {table} ({', '.join(keys)}, {', '.join(SUM_COLUMNS)}) "
        f"SELECT {expressions}, {ROLLUP_SUMS_SQL} FROM {source}"
        f"{f' WHERE {where}' if where else ''} GROUP BY {expressions}"
    )


def requests_rolled_up_sql(table: str, postgres: bool, where: str = "") -> str:
    """``INSERT`` into ``table`` (empty of what it adds) of the ``requests`` rows summed per
    its key; ``where`` narrows the requests read."""
    columns, expressions = _keys_from_requests(postgres, table)
    return (
        f"INSERT INTO {table} ({columns}, {', '.join(SUM_COLUMNS)}) "
        f"SELECT {expressions}, {REQUEST_SUMS_SQL} FROM requests"
        f"{f' WHERE {where}' if where else ''} GROUP BY {expressions}"
    )


def _keys_from_requests(postgres: bool, table: str) -> tuple[str, str]:
    """``table``'s key columns, and the SQL that computes them from a ``requests`` row."""
    keys, _ = TABLE_KEYS[table]
    start = (
        day_sql(postgres, "created_at") if table in DAILY_SOURCES else quarter_hour_sql(postgres)
    )
    expressions = {
        "project_id": "project_id",
        "bucket_start": start,
        "user_key": "COALESCE(user_id, 0)",
        "assistant_key": "COALESCE(assistant_id, 0)",
        "model_id": "model_id",
        "api_token_key": "COALESCE(api_token_id, 0)",
        "status": "status",
    }
    return ", ".join(keys), ", ".join(expressions[key] for key in keys)


async def add_requests_from(connection: BaseDBAsyncClient, project_id: int, first_id: int) -> None:
    """SQLite: add the project's requests with ids from ``first_id`` on (those the caller's
    transaction just inserted: SQLite has one writer at a time) to the four rollup tables,
    grouped by the database, one statement per table."""
    # The unary + keeps SQLite off the (project_id, ...) indexes, which made it scan all of the
    # project's rows for every batch (5.5x slower at 1M rows); the rowid range reads just the
    # batch's.
    source = "requests WHERE +project_id = ? AND id >= ?"
    for table in TABLE_KEYS:
        await connection.execute_query(
            _add_requests_sql(False, table, source), [project_id, first_id]
        )


def _add_requests_sql(postgres: bool, table: str, source: str) -> str:
    """The upsert that adds the requests of ``source`` (``FROM`` onward: a table or CTE of
    ``requests``' columns, and its ``WHERE``; SQLite's upsert parser needs one) to ``table``,
    grouped by its key and in key order."""
    columns, expressions = _keys_from_requests(postgres, table)
    return (
        f"INSERT INTO {table} ({columns}, {', '.join(SUM_COLUMNS)}) "
        f"SELECT {expressions}, {REQUEST_SUMS_SQL} FROM {source} GROUP BY {expressions} "
        f"ORDER BY {expressions} ON CONFLICT ({columns}) DO UPDATE SET {_adding(table)}"
    )


async def rebuild_rollups(connection: BaseDBAsyncClient, project_id: int) -> None:
    """Recompute a project's rollups from its raw requests: for bulk loads (the demo, the
    benchmarks) that write ``requests`` directly instead of through ``recordRequests``."""
    postgres = connection.capabilities.dialect == "postgres"
    mark = "$1" if postgres else "?"
    await bump_version(connection, project_id)
    for table in TABLE_KEYS:
        await connection.execute_query(
            f"DELETE FROM {table} WHERE project_id = {mark}", [project_id]
        )
    for table in TABLE_KEYS:
        if table not in DAILY_SOURCES:
            await connection.execute_query(
                requests_rolled_up_sql(table, postgres, f"project_id = {mark}"), [project_id]
            )
    # The days from the quarter hours just written: a fraction of the raw rows to read.
    for daily in DAILY_SOURCES:
        await connection.execute_query(
            daily_from_quarters_sql(daily, postgres, f"project_id = {mark}"), [project_id]
        )
