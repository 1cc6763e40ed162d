"""The little raw SQL the ORM cannot say well: multi-row VALUES with each backend's
placeholders (``?`` for SQLite, ``$n`` for asyncpg)."""

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient

K = TypeVar("K")


def values_clause(connection: BaseDBAsyncClient, rows: int, width: int) -> str:
    """``(?, ?), (?, ?)`` or ``($1, $2), ($3, $4)`` for ``rows`` rows of ``width`` values."""
    if connection.capabilities.dialect == "postgres":
        return ", ".join(
            "(" + ", ".join(f"${row * width + column + 1}" for column in range(width)) + ")"
            for row in range(rows)
        )
    one = "(" + ", ".join("?" * width) + ")"
    return ", ".join([one] * rows)


def bind_marks(connection: BaseDBAsyncClient, count: int) -> list[str]:
    """``count`` placeholders for one statement: ``?`` each, or ``$1 .. $count``."""
    if connection.capabilities.dialect == "postgres":
        return [f"${index + 1}" for index in range(count)]
    return ["?"] * count


def rows_source(
    connection: BaseDBAsyncClient, rows: Sequence[Sequence[Any]], types: Sequence[str]
) -> tuple[str, list[Any]]:
    """The rows of an ``INSERT ... <source>`` and its parameters.

    SQLite: ``VALUES (?, ...), ...`` with every value a parameter. PostgreSQL: ``SELECT * FROM
    unnest($1::int[], ...)`` with one array per column: binding 18 arrays instead of 18,000
    values halves the cost of a 1,000-row insert. ``types`` are the columns' SQL types.
    """
    if connection.capabilities.dialect != "postgres":
        flat = [value for row in rows for value in row]
        return f"VALUES {values_clause(connection, len(rows), len(types))}", flat
    arrays = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in types]
    marks = ", ".join(f"${index + 1}::{kind}[]" for index, kind in enumerate(types))
    return f"SELECT * FROM unnest({marks})", arrays


class Statement:
    """A WHERE being built: clauses, and their bound parameters in the backend's style."""

    def __init__(self, connection: BaseDBAsyncClient) -> None:
        self.postgres = connection.capabilities.dialect == "postgres"
        self.params: list[Any] = []
        self.where: list[str] = []

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}" if self.postgres else "?"

    def constrain(self, columns: Mapping[K, str], constraints: Mapping[K, Sequence[Any]]) -> None:
        """``column IN (...)`` for each constrained key; an empty set matches nothing."""
        for key, values in constraints.items():
            if not values:
                self.where.append("1 = 0")
            else:
                marks = ", ".join(self.bind(value) for value in values)
                self.where.append(f"{columns[key]} IN ({marks})")
