"""Versions that cached results are keyed by, so that no replica serves a stale one.

- A project's data version (``DataVersion`` row ``project_id``): bumped with every change to
  the project's requests, in the transaction that makes it.
- The catalog version (the row ``CATALOG``): bumped after every other write (names, members,
  roles, settings, models, users). Whole cached responses carry names, so they are keyed by
  both. It starts at a random number, so that a database made anew never meets the entries a
  shared cache (Redis) still holds for an older one.
"""

import secrets
from dataclasses import dataclass

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from models import DataVersion
from resolvers.sql import bind_marks

CATALOG = 0  # no project has id 0


@dataclass(frozen=True)
class Versions:
    catalog: int
    data: int


async def bump_version(connection: BaseDBAsyncClient, project_id: int) -> None:
    """Call inside the transaction that changes the data, so both commit or neither."""
    (mark,) = bind_marks(connection, 1)
    await connection.execute_query(
        f"INSERT INTO project_data_versions (project_id, version) VALUES ({mark}, 1) "
        "ON CONFLICT (project_id) DO UPDATE SET version = project_data_versions.version + 1",
        [project_id],
    )


async def bump_catalog_version() -> None:
    """Call after the write has committed: a reader that saw the old version then only
    keeps its result under a key nobody asks for again."""
    connection = connections.get("default")
    project, seed = bind_marks(connection, 2)
    await connection.execute_query(
        f"INSERT INTO project_data_versions (project_id, version) VALUES ({project}, {seed}) "
        "ON CONFLICT (project_id) DO UPDATE SET version = project_data_versions.version + 1",
        [CATALOG, _seed()],
    )


async def current_version(project_id: int) -> int:
    row = await DataVersion.get_or_none(project_id=project_id)
    return 0 if row is None else int(row.version)


async def current_versions(project_id: int) -> Versions:
    """The catalog's and the project's versions, in one query."""
    connection = connections.get("default")
    catalog, project = bind_marks(connection, 2)
    rows = await connection.execute_query_dict(
        "SELECT project_id, version FROM project_data_versions "
        f"WHERE project_id IN ({catalog}, {project})",
        [CATALOG, project_id],
    )
    found = {int(row["project_id"]): int(row["version"]) for row in rows}
    if CATALOG not in found:
        await bump_catalog_version()
        return await current_versions(project_id)
    return Versions(catalog=found[CATALOG], data=found.get(project_id, 0))


def _seed() -> int:
    # Far below 2**63, so that bumps never overflow a BIGINT.
    return secrets.randbelow(2**52)
