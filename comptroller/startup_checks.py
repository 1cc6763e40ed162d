"""What ``serve`` checks before it answers: a database whose schema matches this code.

A server on a never-migrated (or older) database would say it is ready and then fail every
request. So ``serve`` refuses to start on one, naming the cure (``comptroller init-db``, or
``serve --migrate``), and ``/readyz`` stays false while the schema is behind. A database that
cannot be reached at start is not refused: the server starts, reports not ready, and
recovers by itself when the database comes (and checks the schema then).
"""

import logging
from dataclasses import dataclass

from comptroller.database import database_answers, pending_migrations
from kernel.outages import is_database_outage

logger = logging.getLogger("comptroller.startup")


@dataclass(frozen=True)
class SchemaState:
    reachable: bool
    pending: tuple[str, ...] = ()

    @property
    def current(self) -> bool:
        return self.reachable and not self.pending


class SchemaBehind(RuntimeError):
    def __init__(self, pending: tuple[str, ...]) -> None:
        super().__init__(behind_message(pending))


def behind_message(pending: tuple[str, ...]) -> str:
    return (
        f"The database schema is behind this version of Comptroller ({len(pending)} "
        f"migration(s) not applied: {', '.join(pending)}). Run `comptroller init-db` first, "
        "or start with `comptroller serve --migrate`."
    )


async def schema_state(database_url: str) -> SchemaState:
    """The schema as seen through the default connection, which must be initialised."""
    if not await database_answers():
        return SchemaState(reachable=False)
    try:
        pending = await pending_migrations(database_url)
    except Exception as error:
        if is_database_outage(error):
            return SchemaState(reachable=False)
        raise
    return SchemaState(reachable=True, pending=tuple(pending))


async def refuse_an_old_schema(database_url: str) -> SchemaState:
    """Raise ``SchemaBehind`` when migrations are missing; tolerate an unreachable database."""
    state = await schema_state(database_url)
    if not state.reachable:
        logger.warning(
            "database unreachable at start-up: serving, /readyz false until it answers "
            "and its schema is checked"
        )
    elif state.pending:
        raise SchemaBehind(state.pending)
    return state
