"""Telling a dependency's outage from a bug, and reporting an outage once, not per request.

While PostgreSQL is down, restarting or not yet migrated, every request fails the same way:
that is an outage (the client is told ``SERVICE_UNAVAILABLE`` and to retry), not a bug (an
``INTERNAL_SERVER_ERROR`` with a traceback in the log). And a log with one traceback per
request during a Redis or PostgreSQL outage buries everything else: ``OutageLog`` writes
one line when an outage starts and one when it ends.
"""

import logging
import sqlite3
import time

import asyncpg
from tortoise.exceptions import DBConnectionError

# What asyncpg, Tortoise and the socket layer raise while the server cannot be reached, is
# shutting down or starting (57P0x), has dropped the connection (08xxx), or refuses more
# connections (53300); a timeout reaching it too.
_UNREACHABLE = (
    OSError,  # ConnectionRefusedError, ConnectionResetError, socket.gaierror, ...
    TimeoutError,
    DBConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
# A database without our tables (never migrated, or restored without them) cannot serve
# either; /readyz says so and ``comptroller init-db`` is the cure.
_SCHEMA_MISSING = (asyncpg.UndefinedTableError,)
_SQLITE_TRANSIENT = ("database is locked", "no such table", "unable to open database")


def is_database_outage(error: BaseException) -> bool:
    """Whether ``error`` (or what it wraps) says the database cannot answer now."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _UNREACHABLE + _SCHEMA_MISSING):
            return True
        if isinstance(current, asyncpg.InterfaceError) and "connection is closed" in str(current):
            return True
        # Releasing a connection whose server went away mid-statement: its protocol is left
        # mid-operation (seen when PostgreSQL shuts down under load).
        if isinstance(current, asyncpg.InternalClientError) and "in progress" in str(current):
            return True
        if isinstance(current, sqlite3.OperationalError) and any(
            text in str(current) for text in _SQLITE_TRANSIENT
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


class OutageLog:
    """One warning when a dependency starts failing, one line when it answers again.

    Failures closer together than ``quiet_seconds`` belong to the same outage and are only
    counted; the count is reported when the dependency recovers (``recovered()``) or when a
    new outage begins after a quiet spell.
    """

    def __init__(self, logger: logging.Logger, dependency: str, quiet_seconds: float = 30.0):
        self._logger = logger
        self._dependency = dependency
        self._quiet_seconds = quiet_seconds
        self._failing_since: float | None = None
        self._last_failure = 0.0
        self._failures = 0

    @property
    def failing(self) -> bool:
        return self._failing_since is not None

    def failed(self, error: BaseException, consequence: str) -> None:
        now = time.monotonic()
        if self._failing_since is not None and now - self._last_failure < self._quiet_seconds:
            self._failures += 1
            self._last_failure = now
            return
        if self._failing_since is not None:
            self._report_end("outage over (no failure for a while)")
        self._failing_since = now
        self._last_failure = now
        self._failures = 1
        self._logger.warning(
            "%s unavailable (%s: %s); %s. Further failures are counted, not logged.",
            self._dependency,
            type(error).__name__,
            str(error).splitlines()[0][:200] if str(error) else "-",
            consequence,
        )

    def recovered(self) -> None:
        if self._failing_since is not None:
            self._report_end("answers again")

    def _report_end(self, how: str) -> None:
        assert self._failing_since is not None
        self._logger.warning(
            "%s %s after %.1f s and %d failed calls",
            self._dependency,
            how,
            time.monotonic() - self._failing_since,
            self._failures,
        )
        self._failing_since = None
        self._failures = 0


# What a client is told to wait before retrying: PostgreSQL restarts in about a second, and
# the connection pool reconnects on the next request once it answers.
RETRY_AFTER_SECONDS = 1

# The process's record of database outages, shared by every route that meets one.
DATABASE_OUTAGES = OutageLog(logging.getLogger("comptroller.database"), "database")
