"""Versions that cached results are keyed by, so that no replica serves a stale one.

- A project's data version (``DataVersion`` row ``project_id``): bumped with every change to
  the project's requests, in the transaction that makes it. Figures are keyed by it.
- The catalog version (the row ``CATALOG``): bumped with every other change (names, members,
  roles, settings, models, users), in its transaction: each is audited, and recording the
  audit event bumps it. Whole cached answers carry names, so they are keyed by both.

Both start at a random number, so that a database made anew (or restored from a backup)
never meets the entries that a shared cache (Redis) still holds for another.
"""

import secrets
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from kernel.raw_sql import bind_marks
from models import DataVersion

CATALOG = 0  # no project has id 0


@dataclass(frozen=True)
class Versions:
    catalog: int
    data: int


async def bump_version(connection: BaseDBAsyncClient, project_id: int) -> None:
    """Call inside the transaction that changes the data, so both commit or neither."""
    await _bump(connection, project_id)


async def bump_catalog_version(connection: BaseDBAsyncClient) -> None:
    """Call inside the transaction that changes the catalog, so both commit or neither."""
    await _bump(connection, CATALOG)


async def _bump(connection: BaseDBAsyncClient, row: int) -> None:
    mark, seed = bind_marks(connection, 2)
    await connection.execute_query(
        f"INSERT INTO project_data_versions (project_id, version) VALUES ({mark}, {seed}) "
        "ON CONFLICT (project_id) DO UPDATE SET version = project_data_versions.version + 1",
        [row, _seed()],
    )


async def current_version(project_id: int) -> int:
    row = await DataVersion.get_or_none(project_id=project_id)
    return 0 if row is None else int(row.version)


async def current_versions(project_id: int) -> Versions:
    """The catalog's and the project's versions, in one query."""
    connection = DataVersion._meta.db  # the ORM's connection, whatever its name
    catalog, project = bind_marks(connection, 2)
    rows = await connection.execute_query_dict(
        "SELECT project_id, version FROM project_data_versions "
        f"WHERE project_id IN ({catalog}, {project})",
        [CATALOG, project_id],
    )
    found = {int(row["project_id"]): int(row["version"]) for row in rows}
    if CATALOG not in found:  # a database that has not changed since it was made
        await bump_catalog_version(connection)
        return await current_versions(project_id)
    return Versions(catalog=found[CATALOG], data=found.get(project_id, 0))


def _seed() -> int:
    # Far below 2**63, so that bumps never overflow a BIGINT.
    return secrets.randbelow(2**52)
