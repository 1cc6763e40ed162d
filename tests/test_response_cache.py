"""Whole dashboard answers come from the cache, yet never outlive what they show: a rename,
a role taken away, a revoked token or new records all show on the very next query."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from graphql import parse

from comptroller.settings import REPOSITORY_ROOT
from kernel.cache import ResultCache
from kernel.code_version import PACKAGES, code_fingerprint
from models import DataVersion, PersonalAccessToken, ProjectRole
from resolvers.data_versions import CATALOG
from schema.response_cache import cacheable_project
from tests.support.factories import (
    grant,
    make_api_token,
    make_assistant,
    make_model,
    make_project,
    make_user,
    unique,
)
from tests.support.graphql_client import GraphQLClient
from tests.support.records import RECORD_REQUESTS, record

DASHBOARD = """query($p: ID!, $r: TimeRange!) { project(id: $p) { name viewerRoles
  usage(range: $r) { totalRequests byAssistant { id name totalRequests } }
  userActivity(range: $r) { activeUsers } } }"""
USAGE = """query($p: ID!, $r: TimeRange!) { project(id: $p) { viewerRoles viewerPermissions
  usage(range: $r) { totalRequests } } }"""
RENAME = """mutation($id: ID!, $name: String!) { updateAssistant(id: $id, input: {name: $name}) {
  name } }"""
SET_ROLES = """mutation($p: ID!, $u: ID!, $roles: [ProjectRole!]!) {
  setMemberRoles(projectId: $p, userId: $u, roles: $roles) { roles } }"""
REMOVE = """mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) }"""


async def test_a_cached_dashboard_shows_every_change_on_the_next_query(
    api: GraphQLClient,
) -> None:
    project = await make_project()
    model = await make_model()
    assistant = await make_assistant(project, model=model)
    _, gateway = await make_api_token(project)
    admin, admin_token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    analyst, analyst_token = await make_user()
    await grant(analyst, project, ProjectRole.PROJECT_ADMIN)
    now = datetime.now(UTC)
    variables = {
        "p": str(project.id),
        "r": {"from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()},
    }

    async def send(count: int) -> None:
        created_at = (now - timedelta(hours=1)).isoformat()
        batch = [
            record(
                unique("rc"),
                model,
                createdAt=created_at,
                assistantId=str(assistant.id),
                userId=str(admin.id),
            )
            for _ in range(count)
        ]
        (await api(RECORD_REQUESTS, {"records": batch}, gateway)).ok()

    async def dashboard(token: str) -> dict[str, Any]:
        project: dict[str, Any] = (await api(DASHBOARD, variables, token)).ok()["project"]
        return project

    await send(2)
    first = await dashboard(analyst_token)
    assert first == await dashboard(analyst_token)  # the second one from the cache
    assert first["usage"]["totalRequests"] == 2

    # New records: the data version moves.
    await send(3)
    assert (await dashboard(analyst_token))["usage"]["totalRequests"] == 5

    # A rename: the catalog version moves.
    name = unique("renamed")
    (await api(RENAME, {"id": str(assistant.id), "name": name}, admin_token)).ok()
    (by_assistant,) = (await dashboard(analyst_token))["usage"]["byAssistant"]
    assert by_assistant["name"] == name

    # Fewer roles: the same document, decided afresh.
    roles = {"p": str(project.id), "u": str(analyst.id), "roles": ["PROJECT_MEMBER"]}
    (await api(SET_ROLES, roles, admin_token)).ok()
    demoted = await api(DASHBOARD, variables, analyst_token)
    assert demoted.codes == ["FORBIDDEN"]
    assert demoted.data == {"project": None}  # userActivity is not nullable

    # No roles: the project is not there any more.
    (await api(REMOVE, {"p": str(project.id), "u": str(analyst.id)}, admin_token)).ok()
    removed = await api(DASHBOARD, variables, analyst_token)
    assert removed.codes == ["NOT_FOUND"]

    # A revoked token: refused, though the admin's answer is in the cache.
    assert (await dashboard(admin_token))["usage"]["totalRequests"] == 5
    await PersonalAccessToken.filter(user_id=admin.id).update(revoked_at=datetime.now(UTC))
    revoked = await api(DASHBOARD, variables, admin_token)
    assert revoked.codes == ["UNAUTHENTICATED"]


async def test_viewers_with_other_roles_get_their_own_answers(api: GraphQLClient) -> None:
    project = await make_project()
    admin, admin_token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    member, member_token = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    now = datetime.now(UTC)
    variables = {
        "p": str(project.id),
        "r": {"from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()},
    }
    for _ in range(2):  # the second time from the cache
        admin_view = (await api(USAGE, variables, admin_token)).ok()["project"]
        assert admin_view["viewerRoles"] == ["PROJECT_ADMIN"]
        member_view = (await api(USAGE, variables, member_token)).ok()["project"]
        assert member_view["viewerRoles"] == ["PROJECT_MEMBER"]
        assert (await api(DASHBOARD, variables, admin_token)).ok()
        assert (await api(DASHBOARD, variables, member_token)).codes == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("document", "argument"),
    [
        ("query($p: ID!) { project(id: $p) { name } }", ("variable", "p")),
        (
            '{ project(id: "7") { id usage(range: {from: "a", to: "b"}) { totalCost } } }',
            ("literal", "7"),
        ),
        (
            "query($p: ID!) { project(id: $p) { ...F } } fragment F on Project { name }",
            ("variable", "p"),
        ),
        # Viewer-specific roots, several projects, fields that change without a version
        # (lastUsedAt), hidden in a fragment too, and mutations: never cached.
        ("{ viewer { email } }", None),
        ('{ viewer { email } project(id: "1") { name } }', None),
        ('{ a: project(id: "1") { name } b: project(id: "2") { name } }', None),
        ('{ project(id: "1") { apiTokens { lastUsedAt } } }', None),
        ('{ project(id: "1") { ...F } } fragment F on Project { requests { totalCount } }', None),
        ('mutation { removeMember(projectId: "1", userId: "2") }', None),
    ],
)
def test_only_dashboard_documents_qualify(document: str, argument: tuple[str, str] | None) -> None:
    assert cacheable_project(parse(document), None) == argument


async def test_only_committed_governance_changes_move_the_catalog_version(
    api: GraphQLClient,
) -> None:
    project = await make_project()
    assistant = await make_assistant(project)
    admin, admin_token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    reader, reader_token = await make_user()
    await grant(reader, project, ProjectRole.ASSISTANT_USER)
    rename = {"id": str(assistant.id), "name": unique("renamed")}

    async def catalog() -> int:
        row = await DataVersion.get(project_id=CATALOG)
        return int(row.version)

    (await api(RENAME, rename, admin_token)).ok()  # the catalog row exists from here on
    before = await catalog()
    # Refused, anonymous or empty: nothing changed, so nothing is invalidated.
    assert (await api(RENAME, rename, reader_token)).codes == ["FORBIDDEN"]
    assert (await api(RENAME, rename)).codes == ["UNAUTHENTICATED"]
    assert (await api("mutation { __typename }")).ok()
    assert await catalog() == before
    (await api(RENAME, rename, admin_token)).ok()
    assert await catalog() == before + 1


async def test_the_in_process_cache_forgets_its_oldest_entries_beyond_its_bound() -> None:
    cache = ResultCache("memory://", unique("bounded"), max_entries=100)
    for index in range(250):
        await cache.set(f"key{index}", index, ttl_seconds=60)
    assert [await cache.get(f"key{i}") for i in (0, 149, 150, 249)] == [None, None, 150, 249]
    await cache.close()


def test_the_code_fingerprint_follows_the_code_and_the_rules(tmp_path: Path) -> None:
    rules = tmp_path / "policy.polar"
    rules.write_text((REPOSITORY_ROOT / "policy.polar").read_text())
    first = code_fingerprint(rules)
    assert first == code_fingerprint(rules) == code_fingerprint(REPOSITORY_ROOT / "policy.polar")
    changed = tmp_path / "changed.polar"
    changed.write_text(rules.read_text() + "\n# one more rule\n")
    assert code_fingerprint(changed) != first


def test_the_code_fingerprint_covers_every_package_of_the_application() -> None:
    # kernel/ was once left out: a change there kept serving what the old code had cached.
    packages = {path.parent.name for path in REPOSITORY_ROOT.glob("*/__init__.py")}
    assert set(PACKAGES) == packages - {"tests", "bench"}
