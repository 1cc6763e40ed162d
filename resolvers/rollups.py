"""Keeping the rollups exact: in the batch's transaction, so a dashboard read after
``recordRequests`` returns sees every record.

Three grains (``Grain``): quarter hours (15 minutes, aligned in UTC), UTC hours and UTC days.
Every table (``TABLES``) has one grain and keeps some of the dimensions: every dimension with
and without the user by quarter hour and by day, every one but the user by hour, the user
alone by hour and by day (the dashboards read each part of a range from the coarsest grain
and narrowest table that fit, see ``resolvers/dashboards/tiers.py``). A row's
``bucket_start`` column is its quarter hour, hour or day. The sums every row keeps are
``models.rollup.RollupSums``: every SQL list of them here is built from its fields.

Three ways in: ``add_new_requests`` (PostgreSQL ingestion) hands the batch's columns to one
statement that groups and upserts every table; ``add_requests_from`` (SQLite ingestion)
groups the rows just inserted in the database, a statement a table; ``upsert_rollups`` adds
changes grouped in Python (retention's subtractions, on both backends). Bulk loads rebuild
the tables each from a finer one (``BULK_SOURCES``, ``resolvers/rollup_rebuild.py``)."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from operator import attrgetter, itemgetter

from msgspec.structs import astuple
from tortoise.backends.base.client import BaseDBAsyncClient

from kernel.raw_sql import rows_source
from models.request import REQUEST_COLUMN_TYPES
from models.rollup import SUM_COLUMNS, USAGE_KEY, USER_KEY, USER_USAGE_KEY, RollupSums

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


class Grain(StrEnum):
    QUARTER = "quarter"
    HOUR = "hour"
    DAY = "day"


# The SQL type of each key column.
_KEY_TYPES = {
    "project_id": "int", "bucket_start": "timestamptz", "user_key": "int",
    "assistant_key": "int", "model_id": "int", "api_token_key": "int", "status": "varchar",
}  # fmt: skip


@dataclass(frozen=True)
class RollupTable:
    grain: Grain
    keys: tuple[str, ...]  # its unique key: the project, the bucket, the dimensions kept

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(_KEY_TYPES[key] for key in self.keys)

    @property
    def with_user(self) -> bool:
        return "user_key" in self.keys


# Every rollup table, in the order batches write them (concurrent writers lock rows in one
# order and cannot deadlock), with its grain and key.
TABLES = {
    "user_usage_rollups": RollupTable(Grain.QUARTER, USER_USAGE_KEY),
    "usage_rollups": RollupTable(Grain.QUARTER, USAGE_KEY),
    "user_usage_daily_rollups": RollupTable(Grain.DAY, USER_USAGE_KEY),
    "usage_daily_rollups": RollupTable(Grain.DAY, USAGE_KEY),
    "user_hourly_rollups": RollupTable(Grain.HOUR, USER_KEY),
    "user_daily_rollups": RollupTable(Grain.DAY, USER_KEY),
    "usage_hourly_rollups": RollupTable(Grain.HOUR, USAGE_KEY),
}
# Each table and the one a bulk load sums it from (None: the requests), in an order where a
# source comes before what is summed from it; each source holds the table's keys, at its
# grain or a finer one, and fewer rows than the tables before it that would do.
BULK_SOURCES: dict[str, str | None] = {
    "user_usage_rollups": None,
    "usage_rollups": "user_usage_rollups",
    "user_usage_daily_rollups": "user_usage_rollups",
    "usage_daily_rollups": "usage_rollups",
    "user_hourly_rollups": "user_usage_rollups",
    "user_daily_rollups": "user_usage_daily_rollups",
    "usage_hourly_rollups": "usage_rollups",
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


def hour_of(instant: datetime) -> datetime:
    """The start of the UTC hour holding ``instant`` (which must be UTC)."""
    return instant.replace(minute=0, second=0, microsecond=0)


def day_of(instant: datetime) -> datetime:
    """Midnight UTC of the day holding ``instant`` (which must be UTC)."""
    return instant.replace(hour=0, minute=0, second=0, microsecond=0)


# The start of the bucket of each grain holding a UTC instant.
START_OF: dict[Grain, Callable[[datetime], datetime]] = {
    Grain.QUARTER: quarter_hour_of,
    Grain.HOUR: hour_of,
    Grain.DAY: day_of,
}


async def upsert_rollups(
    connection: BaseDBAsyncClient, changes: Iterable[tuple[RollupKey, RollupSums]]
) -> None:
    """Add ``changes`` (negative sums subtract) to every rollup table.

    Keys are written in sorted order so that concurrent batches lock rows in the same order
    and cannot deadlock; the tables always in the same order for the same reason.
    """
    quarters: dict[tuple[object, ...], RollupSums] = defaultdict(RollupSums)
    for key, sums in changes:
        quarters[key.as_tuple()].add(sums)
    # Every table's rows from the per-user quarter hours, which hold every key column: far
    # fewer keys than the batch has records.
    bucket = USER_USAGE_KEY.index("bucket_start")
    for table, layout in TABLES.items():
        positions = [USER_USAGE_KEY.index(column) for column in layout.keys]
        start_of = START_OF[layout.grain]
        rows: dict[tuple[object, ...], RollupSums] = defaultdict(RollupSums)
        for quarter_key, sums in quarters.items():
            quarter_hour = quarter_key[bucket]
            assert isinstance(quarter_hour, datetime)
            rows[tuple(
                start_of(quarter_hour) if position == bucket else quarter_key[position]
                for position in positions
            )].add(sums)  # fmt: skip
        await _upsert(connection, table, layout.keys, layout.types, rows)


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
    sequence each) to every rollup table in one statement.

    The database groups the rows (where Python took as long as the upserts) and a round trip
    serves every table. Each table's rows are upserted in key order, the tables in TABLES
    order, as ``upsert_rollups`` does: batches and purges lock alike.
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
        for number, table in enumerate(TABLES)
    ]
    # Reading each step's count in turn runs the steps in that order (PostgreSQL would
    # otherwise pick one): the table order that keeps batches and purges from deadlocking.
    counts = ", ".join(f"(SELECT COUNT(*) FROM step{number})" for number in range(len(TABLES)))
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


def hour_sql(postgres: bool, column: str) -> str:
    """SQL for the UTC hour of a stored UTC timestamp, stored as the ORM stores it."""
    if postgres:
        return f"date_bin('60 minutes', {column}, {EPOCH})"
    # SQLite keeps UTC instants as text, 'YYYY-MM-DD HH:MM:SS[.ffffff]+00:00'.
    return f"substr({column}, 1, 13) || ':00:00+00:00'"


def day_sql(postgres: bool, column: str = "bucket_start") -> str:
    """SQL for midnight UTC of a stored UTC timestamp's day, stored as the ORM stores it."""
    if postgres:
        return f"date_bin('1 day', {column}, {EPOCH})"
    # SQLite keeps UTC instants as text, 'YYYY-MM-DD HH:MM:SS[.ffffff]+00:00'.
    return f"substr({column}, 1, 10) || ' 00:00:00+00:00'"


def start_sql(grain: Grain, postgres: bool, column: str) -> str:
    """SQL for the start of the bucket of ``grain`` holding a stored UTC timestamp."""
    if grain is Grain.QUARTER:
        return quarter_hour_sql(postgres, column)
    return (hour_sql if grain is Grain.HOUR else day_sql)(postgres, column)


def keys_from_requests(postgres: bool, table: str) -> tuple[str, str]:
    """``table``'s key columns, and the SQL that computes them from a ``requests`` row."""
    layout = TABLES[table]
    expressions = {
        "project_id": "project_id",
        "bucket_start": start_sql(layout.grain, postgres, "created_at"),
        "user_key": "COALESCE(user_id, 0)",
        "assistant_key": "COALESCE(assistant_id, 0)",
        "model_id": "model_id",
        "api_token_key": "COALESCE(api_token_id, 0)",
        "status": "status",
    }
    return ", ".join(layout.keys), ", ".join(expressions[key] for key in layout.keys)


async def add_requests_from(connection: BaseDBAsyncClient, project_id: int, first_id: int) -> None:
    """SQLite: add the project's requests with ids from ``first_id`` on (those the caller's
    transaction just inserted: SQLite has one writer at a time) to every rollup table,
    grouped by the database, one statement per table."""
    # The unary + keeps SQLite off the (project_id, ...) indexes, which made it scan all of the
    # project's rows for every batch (5.5x slower at 1M rows); the rowid range reads just the
    # batch's.
    source = "requests WHERE +project_id = ? AND id >= ?"
    for table in TABLES:
        await connection.execute_query(
            _add_requests_sql(False, table, source), [project_id, first_id]
        )


def _add_requests_sql(postgres: bool, table: str, source: str) -> str:
    """The upsert that adds the requests of ``source`` (``FROM`` onward: a table or CTE of
    ``requests``' columns, and its ``WHERE``; SQLite's upsert parser needs one) to ``table``,
    grouped by its key and in key order."""
    columns, expressions = keys_from_requests(postgres, table)
    return (
        f"INSERT INTO {table} ({columns}, {', '.join(SUM_COLUMNS)}) "
        f"SELECT {expressions}, {REQUEST_SUMS_SQL} FROM {source} GROUP BY {expressions} "
        f"ORDER BY {expressions} ON CONFLICT ({columns}) DO UPDATE SET {_adding(table)}"
    )
