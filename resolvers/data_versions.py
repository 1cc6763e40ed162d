"""Per-project data versions: bumped with every change to a project's requests, read
before any cached figure is used (see ``DataVersion``)."""

from tortoise.backends.base.client import BaseDBAsyncClient

from models import DataVersion
from resolvers.sql import bind_marks


async def bump_version(connection: BaseDBAsyncClient, project_id: int) -> None:
    """Call inside the transaction that changes the data, so both commit or neither."""
    (mark,) = bind_marks(connection, 1)
    await connection.execute_query(
        f"INSERT INTO project_data_versions (project_id, version) VALUES ({mark}, 1) "
        "ON CONFLICT (project_id) DO UPDATE SET version = project_data_versions.version + 1",
        [project_id],
    )


async def current_version(project_id: int) -> int:
    row = await DataVersion.get_or_none(project_id=project_id)
    return 0 if row is None else int(row.version)
