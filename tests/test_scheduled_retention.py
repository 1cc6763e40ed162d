"""comptroller serve purges on its own, on an interval, one process at a time."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tortoise import connections

from kernel.exclusive import exclusive
from models import Request
from tests.support.backends import Backend
from tests.support.factories import make_model, make_project, make_request
from tests.support.replicas import replica


async def test_serve_purges_expired_requests_by_itself(backend: Backend, workdir: Path) -> None:
    # given a project keeping 2 days, with a request 3 days old and one from today
    project = await make_project(retention_days=2)
    model = await make_model()
    now = datetime.now(UTC)
    old = await make_request(project, model, created_at=now - timedelta(days=3))
    recent = await make_request(project, model, created_at=now - timedelta(hours=1))

    # when a server purging every second runs for a while
    async with replica(backend, workdir, {"COMPTROLLER_RETENTION_INTERVAL_SECONDS": "1"}):
        for _ in range(100):  # polling the database: no event to wait on across processes
            if not await Request.exists(id=old):
                break
            await asyncio.sleep(0.2)

    # then
    remaining = await Request.filter(project_id=project.id).values_list("id", flat=True)
    assert [int(str(i)) for i in remaining] == [recent]


async def test_only_one_holder_of_a_lock_at_a_time(backend: Backend) -> None:
    connection = connections.get(backend.name)
    async with exclusive("test-lock", connection) as first:
        async with exclusive("test-lock", connection) as second:
            assert (first, second) == (True, False)
        async with exclusive("another-lock", connection) as other:
            assert other is True
    async with exclusive("test-lock", connection) as again:
        assert again is True
