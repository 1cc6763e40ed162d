"""Counting the SQL statements that code sends to the database (Saleor's ``count_queries``).

``counted_orm(backend)`` opens Tortoise on the backend's real database in a context of its
own (the session's stays as it is) and hooks each driver connection beneath it, so that
every statement is seen whichever way it is sent: the ORM, raw SQL, transactions,
savepoints, COPY.

- SQLite: sqlite3's trace callback on each connection reports every statement it runs,
  ``BEGIN`` and ``COMMIT`` included.
- PostgreSQL: the pool makes its connections of ``CountingConnection``, an asyncpg
  ``Connection`` that logs each statement before running it, through every method Tortoise
  and our raw SQL call (``execute``, ``executemany``, ``fetch*``, ``copy_records_to_table``;
  transactions and savepoints go through ``execute``). asyncpg's query loggers would miss
  COPY. The pool's own reset of a connection it takes back (``Connection.reset``, one round
  trip after each statement outside a transaction) is left out: it is housekeeping, the
  same for every statement.

The context's one connection is named after the backend, like the session's: Tortoise keeps
the models' connection name on the model classes, which both contexts share.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.context import TortoiseContext

from comptroller.database import tortoise_config
from tests.support.backends import Backend


class StatementLog:
    """The statements sent while ``counting()`` is open, in order, as SQL text."""

    def __init__(self) -> None:
        self._open: list[list[str]] = []

    def sent(self, sql: str) -> None:
        # sqlite3 calls this on aiosqlite's thread, before the awaited statement returns.
        for statements in self._open:
            statements.append(sql)

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        """The statements sent from here to the end of the ``with`` block."""
        statements: list[str] = []
        self._open.append(statements)
        try:
            yield statements
        finally:
            self._open.remove(statements)


class CountingConnection(asyncpg.Connection):  # type: ignore[misc] # asyncpg ships no types
    """asyncpg's connection, telling ``statement_log`` of every statement it sends."""

    statement_log: StatementLog | None = None
    _in_reset = False

    def _sending(self, sql: str) -> None:
        if self.statement_log is not None and not self._in_reset:
            self.statement_log.sent(sql)

    async def reset(self, *args: Any, **kwargs: Any) -> None:
        self._in_reset = True
        try:
            await super().reset(*args, **kwargs)
        finally:
            self._in_reset = False

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._sending(query)
        return await super().execute(query, *args, **kwargs)

    async def executemany(self, command: str, *args: Any, **kwargs: Any) -> Any:
        self._sending(command)
        return await super().executemany(command, *args, **kwargs)

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._sending(query)
        return await super().fetch(query, *args, **kwargs)

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._sending(query)
        return await super().fetchrow(query, *args, **kwargs)

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._sending(query)
        return await super().fetchval(query, *args, **kwargs)

    async def fetchmany(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._sending(query)
        return await super().fetchmany(query, *args, **kwargs)

    async def copy_records_to_table(self, table_name: str, **kwargs: Any) -> Any:
        self._sending(f"COPY {table_name} FROM STDIN")
        return await super().copy_records_to_table(table_name, **kwargs)


def _counted_connection(url: str, log: StatementLog) -> str | dict[str, Any]:
    if not url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return url  # SQLite: hooked once connected

    async def tell(connection: CountingConnection) -> None:
        connection.statement_log = log

    config = expand_db_url(url)
    config["credentials"] |= {"connection_class": CountingConnection, "init": tell}
    return config


@asynccontextmanager
async def counted_orm(backend: Backend) -> AsyncIterator[StatementLog]:
    """Tortoise on ``backend``'s database, current in this task, every statement logged."""
    log = StatementLog()
    config = tortoise_config(backend.database_url, connection=backend.name)
    connections = config["connections"]
    connections[backend.name] = _counted_connection(connections[backend.name], log)
    async with TortoiseContext() as context:
        await context.init(config=config)
        for client in context.connections.all():
            if isinstance(client, SqliteClient):
                await client.create_connection(with_db=True)
                assert client._connection is not None
                await client._connection.set_trace_callback(log.sent)
        yield log
