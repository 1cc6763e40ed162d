"""The little raw SQL the ORM cannot say well: multi-row VALUES with each backend's
placeholders (``?`` for SQLite, ``$n`` for asyncpg)."""

from tortoise.backends.base.client import BaseDBAsyncClient


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
