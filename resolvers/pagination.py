"""Keyset pagination for Relay connections: stable while rows arrive, O(page) to read.

A cursor is the sort key of the last row seen, base64url-encoded JSON tagged with the list
it belongs to; anything that does not decode to exactly that shape is ``BAD_USER_INPUT``.
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from kernel.errors import BadUserInput
from kernel.raw_sql import Statement

M = TypeVar("M", bound=Model)
R = TypeVar("R")

KeyValue = int | str | datetime


@dataclass(frozen=True)
class SortKey:
    """A column of the sort order (a Tortoise field path) and its Python type."""

    field: str
    kind: type[int] | type[str] | type[datetime]
    descending: bool = False


@dataclass(frozen=True)
class Ordering:
    name: str  # tags cursors so that one list's cursor is refused by another
    keys: tuple[SortKey, ...]

    def order_by(self) -> list[str]:
        return [("-" if key.descending else "") + key.field for key in self.keys]


@dataclass(frozen=True)
class Page(Generic[R]):
    rows: list[R]
    cursors: list[str]
    has_next_page: bool
    total_count: int


# One encoder for every cursor: json.dumps with separators builds a new one each call, which
# costs more than encoding a cursor (a page encodes fifty).
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def encode_cursor(ordering: Ordering, values: Sequence[KeyValue]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = _COMPACT.encode([ordering.name, *plain]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(ordering: Ordering, cursor: str, argument: str = "after") -> list[KeyValue]:
    problem = "is not a cursor of this list"
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise BadUserInput(argument, problem) from error
    if (
        not isinstance(decoded, list)
        or len(decoded) != len(ordering.keys) + 1
        or decoded[0] != ordering.name
    ):
        raise BadUserInput(argument, problem)
    return [
        _typed(key, value, argument) for key, value in zip(ordering.keys, decoded[1:], strict=True)
    ]


def _typed(key: SortKey, value: Any, argument: str) -> KeyValue:
    if key.kind is datetime and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as error:
            raise BadUserInput(argument, "is not a cursor of this list") from error
        if parsed.tzinfo is not None:
            return parsed
    elif (key.kind is int and isinstance(value, int) and not isinstance(value, bool)) or (
        key.kind is str and isinstance(value, str)
    ):
        return value
    raise BadUserInput(argument, "is not a cursor of this list")


def after_filter(ordering: Ordering, values: Sequence[KeyValue]) -> Q:
    """Rows strictly after ``values`` in the ordering: (a > x) or (a = x and b > y) ..."""
    clauses: list[Q] = []
    for index, key in enumerate(ordering.keys):
        conditions: dict[str, Any] = {
            earlier.field: value
            for earlier, value in zip(ordering.keys[:index], values, strict=False)
        }
        operator = "lt" if key.descending else "gt"
        conditions[f"{key.field}__{operator}"] = values[index]
        clauses.append(Q(**conditions))
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined


async def keyset_page(
    queryset: QuerySet[M],
    ordering: Ordering,
    key_of: Callable[[M], Sequence[KeyValue]],
    first: int,
    after: str | None,
) -> Page[M]:
    """One page of ``queryset`` in ``ordering`` after the cursor, with the total count."""
    position = None if after is None else decode_cursor(ordering, after)
    total = await queryset.count()
    page_query = queryset
    if position is not None:
        page_query = page_query.filter(after_filter(ordering, position))
    rows = await page_query.order_by(*ordering.order_by()).limit(first + 1)
    has_next = len(rows) > first
    rows = rows[:first]
    return Page(
        rows=rows,
        cursors=[encode_cursor(ordering, key_of(row)) for row in rows],
        has_next_page=has_next,
        total_count=total,
    )


@dataclass(frozen=True)
class ListQuery(Generic[R]):
    """A list read with raw SQL: ``SELECT select FROM source WHERE <constrain>``, sorted by
    ``key_columns`` (the SQL of the ordering's keys, one direction for all), ``read``
    turning the page's records into rows (``select`` starts at their second column, after
    the total count) and ``key_of`` giving a row's sort key."""

    connection: BaseDBAsyncClient
    source: str
    select: str
    constrain: Callable[[Statement], None]
    ordering: Ordering
    key_columns: tuple[str, ...]
    read: Callable[[list[Any]], list[R]]
    key_of: Callable[[R], Sequence[KeyValue]]


async def sql_keyset_page(query: ListQuery[R], first: int, after: str | None) -> Page[R]:
    """One page after the cursor and the total count, in one statement (a second one counts
    when the page is empty)."""
    position = None if after is None else decode_cursor(query.ordering, after)
    (descending,) = {key.descending for key in query.ordering.keys}  # a row-value keyset
    sql = Statement(query.connection)
    query.constrain(sql)
    counted = " AND ".join(sql.where)
    sql.where = []
    query.constrain(sql)  # bound again: SQLite's placeholders are positional
    if position is not None:
        marks = ", ".join(sql.bind(value) for value in position)
        keys = ", ".join(query.key_columns)
        sql.where.append(f"({keys}) {'<' if descending else '>'} ({marks})")
    order = ", ".join(f"{c} {'DESC' if descending else 'ASC'}" for c in query.key_columns)
    statement = (
        f"SELECT (SELECT COUNT(*) FROM {query.source} WHERE {counted}) AS total, "
        f"{query.select} FROM {query.source} WHERE {' AND '.join(sql.where)} "
        f"ORDER BY {order} LIMIT {int(first) + 1}"  # written: one generic plan (request_log)
    )
    _, found = await query.connection.execute_query(statement, sql.params)
    if found:
        total = int(found[0][0])
    else:
        sql = Statement(query.connection)
        query.constrain(sql)
        _, counts = await query.connection.execute_query(
            f"SELECT COUNT(*) AS total FROM {query.source} WHERE {' AND '.join(sql.where)}",
            sql.params,
        )
        total = int(counts[0][0])
    rows = query.read(list(found[:first]))
    return Page(
        rows=rows,
        cursors=[encode_cursor(query.ordering, query.key_of(row)) for row in rows],
        has_next_page=len(found) > first,
        total_count=total,
    )
