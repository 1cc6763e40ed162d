"""Schemathesis against a live server, longer than the suite's run: every operation as a
project admin, a member, an ASSISTANT_USER and a project API token.

    .venv/bin/python -m bench.fuzz [--examples 100] [--backend sqlite|postgres]

Prints, per caller, the calls made, the HTTP statuses, the error codes seen and any failure
(a 5xx, an answer that is not JSON, an error without a code); exits 1 on a failure.
"""

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

import httpx

from tests.support.backends import REDIS_URL, postgres_database, run_cli
from tests.support.fault_load import make_world
from tests.support.fuzzing import fuzz
from tests.support.live_server import live_server, server_env

ADD_MEMBER = """mutation($p: ID!, $e: String!, $r: [ProjectRole!]!) {
  addMember(projectId: $p, email: $e, roles: $r) { roles } }"""
ROLES = ("PROJECT_ADMIN", "PROJECT_MEMBER", "ASSISTANT_USER")


def create_user(env: dict[str, str], email: str, superuser: bool = False) -> str:
    args = ["create-user", "--email", email, "--name", email.split("@")[0]]
    created = run_cli([*args, "--superuser"] if superuser else args, env)
    if created.returncode != 0:
        raise RuntimeError(created.stderr)
    return created.stdout.strip().splitlines()[-1]


async def fuzz_as_every_caller(database_url: str, cache_url: str, examples: int) -> bool:
    env = server_env(database_url, cache_url, rate_limit_points="0")  # budgets are not fuzzed
    if run_cli(["init-db"], env).returncode != 0:
        raise RuntimeError("init-db failed")
    operator = create_user(env, "operator@example.com", superuser=True)
    tokens = {role: create_user(env, f"{role.lower()}@example.com") for role in ROLES}
    ok = True
    with tempfile.TemporaryDirectory() as logs:
        async with live_server(env, Path(logs)) as server:
            world = await make_world(server.url, operator)
            async with httpx.AsyncClient(base_url=server.url) as http:
                for role in ROLES:
                    variables = {"p": world.project_id, "e": f"{role.lower()}@example.com",
                                 "r": [role]}  # fmt: skip
                    await http.post(
                        "/graphql",
                        json={"query": ADD_MEMBER, "variables": variables},
                        headers={"Authorization": f"Bearer {operator}"},
                    )
            # The API token first: the people fuzz revokeApiToken with generated ids.
            for caller, token in {"API_TOKEN": world.gateway, **tokens}.items():
                report = await asyncio.to_thread(fuzz, server.url, token, examples)
                print(
                    f"{caller:15} {report.calls:6} calls  statuses {dict(report.statuses)}  "
                    f"codes {dict(report.codes)}  failures {len(report.failures)}"
                )
                for failure in report.failures[:10]:
                    print(f"    {failure}")
                ok = ok and not report.failures
    return ok


async def main(examples: int, backend: str) -> bool:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite://{Path(directory) / 'fuzz.db'}"
            return await fuzz_as_every_caller(url, "memory://", examples)
    async with postgres_database() as url:
        return await fuzz_as_every_caller(url, REDIS_URL, examples)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--examples", type=int, default=100, help="Examples per operation.")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(main(min(args.examples, 5000), args.backend)) else 1)
