"""In-process latency of governance queries with warm caches, next to raw SQL doing the
same reads through the same connection (the baseline), on SQLite and PostgreSQL.

    .venv/bin/python -m bench.governance_latency [--backend sqlite|postgres|both] [--runs 100]

Prints the median of each over ``--runs`` runs, and the ratio query / raw SQL.
"""

import argparse
import asyncio
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from tortoise import Tortoise, connections

from bench.timing import median_ms
from comptroller.database import migrate_database, tortoise_config
from comptroller.settings import REPOSITORY_ROOT
from kernel.authorization import Policy
from kernel.cache import ResultCache
from kernel.tokens import hash_secret
from models import ProjectRole
from schema import build_schema
from schema.context import build_context
from tests.support.factories import grant, make_project, make_user

POSTGRES_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
VIEWER = "{ viewer { id } }"
MEMBERS = """query($id: ID!) { project(id: $id) { members(first: 50) {
  totalCount edges { cursor node { user { id email name } roles createdAt } } } } }"""


async def measure(name: str, url: str, runs: int) -> None:
    await migrate_database(url)
    await Tortoise.init(config=tortoise_config(url))
    project = await make_project()
    admin, token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    for _ in range(49):
        user, _ = await make_user()
        await grant(user, project, ProjectRole.PROJECT_MEMBER)
    schema = build_schema()
    policy = Policy(REPOSITORY_ROOT / "policy.polar")
    cache = ResultCache("memory://", "bench")

    async def run(document: str, variables: dict[str, Any] | None = None) -> None:
        context = await build_context(token=token, policy=policy, cache=cache, request_id="b")
        result = await schema.execute(document, variables, context_value=context)
        assert result.errors is None, result.errors

    connection = connections.get("default")
    mark = "?" if name == "sqlite" else "$1"
    digest = hash_secret(token)

    async def raw_viewer() -> None:
        await connection.execute_query(
            "SELECT t.id, t.revoked_at, t.expires_at, u.id, u.email, u.name, u.is_superuser "
            "FROM personal_access_tokens t JOIN users u ON u.id = t.user_id "
            f"WHERE t.secret_hash = {mark}",
            [digest],
        )

    async def raw_members() -> None:
        await raw_viewer()
        await connection.execute_query(
            f"SELECT project_id, roles FROM memberships WHERE user_id = {mark}", [admin.id]
        )
        await connection.execute_query(
            f"SELECT COUNT(*) FROM memberships WHERE project_id = {mark}", [project.id]
        )
        await connection.execute_query(
            "SELECT m.user_id, m.roles, m.created_at, u.email, u.name FROM memberships m "
            f"JOIN users u ON u.id = m.user_id WHERE m.project_id = {mark} "
            "ORDER BY u.email, m.user_id LIMIT 51",
            [project.id],
        )

    variables = {"id": str(project.id)}
    viewer_ms = await median_ms(runs, lambda: run(VIEWER), warmups=10)
    members_ms = await median_ms(runs, lambda: run(MEMBERS, variables), warmups=10)
    raw_viewer_ms = await median_ms(runs, raw_viewer, warmups=10)
    raw_members_ms = await median_ms(runs, raw_members, warmups=10)
    print(
        f"[{name}] viewer {{ id }}: {viewer_ms:.2f} ms median of {runs} "
        f"(raw SQL {raw_viewer_ms:.2f} ms, ratio {viewer_ms / raw_viewer_ms:.1f}x)"
    )
    print(
        f"[{name}] project {{ members(first: 50) }}: {members_ms:.2f} ms median of {runs} "
        f"(raw SQL {raw_members_ms:.2f} ms, ratio {members_ms / raw_members_ms:.1f}x)"
    )
    await Tortoise.close_connections()


async def run_backend(backend: str, runs: int) -> None:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            await measure("sqlite", f"sqlite://{Path(folder) / 'bench.db'}", runs)
        return
    database = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        await measure("postgres", POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{database}", runs)
    finally:
        await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    if args.backend != "both":
        asyncio.run(run_backend(args.backend, args.runs))
        return
    # Tortoise compiles statements once per process and connection name: one process each.
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, "-m", "bench.governance_latency", "--backend", backend]
        subprocess.run([*command, "--runs", str(args.runs)], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
