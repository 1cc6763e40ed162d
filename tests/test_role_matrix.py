"""Every operation of the governance API against every kind of caller, over HTTP.

One row per (operation, caller): the outcome is data, or exactly one error with the
expected code. A denied mutation must leave the database as it was.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from models import ProjectSettings
from tests.support.factories import PRINCIPALS, World, make_world, unique
from tests.support.graphql_client import GraphQLClient
from tests.support.records import RECORD_REQUESTS, record
from tests.support.snapshots import snapshot

OK = "ok"
UNAUTHENTICATED = ("anonymous", "unknown_token", "revoked_token", "expired_token")
USERS = (
    "non_member",
    "assistant_user",
    "project_member",
    "project_admin",
    "other_project_admin",
    "superuser",
)


def outcomes(
    *,
    ok: tuple[str, ...],
    forbidden: tuple[str, ...] = (),
    not_found: tuple[str, ...] = (),
    api_token: str = "FORBIDDEN",
) -> dict[str, str]:
    """The expected outcome for every caller; API tokens may use no console operation."""
    table = dict.fromkeys(UNAUTHENTICATED, "UNAUTHENTICATED")
    table["api_token"] = api_token
    table |= dict.fromkeys(ok, OK) | dict.fromkeys(forbidden, "FORBIDDEN")
    table |= dict.fromkeys(not_found, "NOT_FOUND")
    assert set(table) == set(PRINCIPALS), set(PRINCIPALS) - set(table)
    return table


ANY_USER = outcomes(ok=USERS)
SUPERUSER = outcomes(ok=("superuser",), forbidden=tuple(u for u in USERS if u != "superuser"))
READERS = outcomes(
    ok=("assistant_user", "project_member", "project_admin", "superuser"),
    not_found=("non_member", "other_project_admin"),
)
MEMBERS = outcomes(
    ok=("project_member", "project_admin", "superuser"),
    forbidden=("assistant_user",),
    not_found=("non_member", "other_project_admin"),
)
GATEWAY = outcomes(ok=(), forbidden=USERS, api_token=OK)
ADMINS = outcomes(
    ok=("project_admin", "superuser"),
    forbidden=("assistant_user", "project_member"),
    not_found=("non_member", "other_project_admin"),
)


@dataclass(frozen=True)
class Operation:
    name: str
    document: str
    variables: Callable[[World], dict[str, Any]]
    expected: dict[str, str]
    mutation: bool = False
    # What the world needs besides make_world's, made before the call.
    prepare: Callable[[World], Awaitable[None]] | None = None


def project_id(world: World) -> dict[str, Any]:
    return {"id": str(world.project.id)}


async def with_webhook(world: World) -> None:
    await ProjectSettings.filter(project_id=world.project.id).update(
        alert_webhook_url="https://hooks.example.com/comptroller", alert_webhook_secret="whsec_x"
    )


OPERATIONS = [
    Operation("viewer", "{ viewer { id email } }", lambda w: {}, ANY_USER),
    Operation(
        "projects", "{ projects { totalCount edges { node { id } } } }", lambda w: {}, ANY_USER
    ),
    Operation("models", "{ models { id name } }", lambda w: {}, ANY_USER),
    Operation(
        "project",
        "query($id: ID!) { project(id: $id) { id name viewerRoles viewerPermissions } }",
        project_id,
        READERS,
    ),
    Operation(
        "Project.assistants",
        "query($id: ID!) { project(id: $id) { assistants { id } } }",
        project_id,
        READERS,
    ),
    Operation(
        "Project.apiTokens",
        "query($id: ID!) { project(id: $id) { apiTokens { id } } }",
        project_id,
        MEMBERS,
    ),
    Operation(
        "Project.members",
        "query($id: ID!) { project(id: $id) { members { totalCount "
        "edges { node { user { id } roles } } } } }",
        project_id,
        ADMINS,
    ),
    Operation(
        "Project.requests",
        "query($id: ID!) { project(id: $id) { requests { totalCount edges { node { id } } } } }",
        project_id,
        MEMBERS,
    ),
    Operation(
        "Project.request",
        "query($id: ID!, $r: ID!) { project(id: $id) { request(id: $r) { id cost } } }",
        lambda w: {"id": str(w.project.id), "r": str(w.request_id)},
        MEMBERS,
    ),
    Operation(
        "Project.settings",
        "query($id: ID!) { project(id: $id) { settings { timezone } } }",
        project_id,
        ADMINS,
    ),
    Operation(
        "Project.auditLog",
        "query($id: ID!) { project(id: $id) { auditLog { totalCount } } }",
        project_id,
        ADMINS,
    ),
    Operation(
        "Project.budget",
        "query($id: ID!) { project(id: $id) { budget { spent budget thresholdsReached } "
        'past: budget(month: "2026-01") { spent } } }',
        project_id,
        MEMBERS,
    ),
    Operation(
        "Project.auditLog(filter)",
        'query($id: ID!) { project(id: $id) { auditLog(filter: {actions: ["settings.update"]}) '
        "{ totalCount } } }",
        project_id,
        ADMINS,
    ),
    Operation(
        "Project.webhookDeliveries",
        "query($id: ID!) { project(id: $id) { webhookDeliveries { totalCount "
        "edges { node { status attempts { statusCode } } } } } }",
        project_id,
        ADMINS,
    ),
    Operation(
        "admission",
        "query($m: ID!, $a: ID) { admission(modelId: $m, assistantId: $a) { allowed reason } }",
        lambda w: {"m": str(w.model.id), "a": str(w.active_assistant.id)},
        GATEWAY,
    ),
    Operation(
        "updateProjectSettings",
        "mutation($p: ID!) { updateProjectSettings(projectId: $p, input: "
        '{timezone: "Europe/Berlin", monthlyBudget: 10, retentionDays: 30}) { timezone } }',
        lambda w: {"p": str(w.project.id)},
        ADMINS,
        mutation=True,
    ),
    Operation(
        "rotateAlertWebhookSecret",
        "mutation($p: ID!) { rotateAlertWebhookSecret(projectId: $p) { alertWebhookSecret } }",
        lambda w: {"p": str(w.project.id)},
        ADMINS,
        mutation=True,
        prepare=with_webhook,
    ),
    Operation(
        "createProject",
        "mutation($n: String!) { createProject(input: {name: $n}) { id } }",
        lambda w: {"n": unique("p")},
        SUPERUSER,
        mutation=True,
    ),
    Operation(
        "createUser",
        'mutation($e: String!) { createUser(input: {email: $e, name: "N"}) '
        "{ user { id } accessToken } }",
        lambda w: {"e": unique("u") + "@example.com"},
        SUPERUSER,
        mutation=True,
    ),
    Operation(
        "createModel",
        "mutation($n: String!) { createModel(input: {name: $n, provider: "
        '"x", inputPricePerMillion: 1, outputPricePerMillion: 2}) { id } }',
        lambda w: {"n": unique("m")},
        SUPERUSER,
        mutation=True,
    ),
    Operation(
        "setModelAliases",
        "mutation($id: ID!, $a: [String!]!) { setModelAliases(id: $id, aliases: $a) "
        "{ id aliases } }",
        lambda w: {"id": str(w.model.id), "a": [unique("alias")]},
        SUPERUSER,
        mutation=True,
    ),
    Operation(
        "createPersonalAccessToken",
        'mutation { createPersonalAccessToken(name: "cli") { prefix secret } }',
        lambda w: {},
        ANY_USER,
        mutation=True,
    ),
    Operation(
        "addMember",
        "mutation($p: ID!, $e: String!) { addMember(projectId: $p, email: $e, "
        "roles: [PROJECT_MEMBER]) { roles } }",
        lambda w: {"p": str(w.project.id), "e": w.users["non_member"].email},
        ADMINS,
        mutation=True,
    ),
    Operation(
        "setMemberRoles",
        "mutation($p: ID!, $u: ID!) { setMemberRoles(projectId: $p, "
        "userId: $u, roles: [PROJECT_ADMIN]) { roles } }",
        lambda w: {"p": str(w.project.id), "u": str(w.users["project_member"].id)},
        ADMINS,
        mutation=True,
    ),
    Operation(
        "removeMember",
        "mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) }",
        lambda w: {"p": str(w.project.id), "u": str(w.users["assistant_user"].id)},
        ADMINS,
        mutation=True,
    ),
    Operation(
        "createAssistant",
        'mutation($p: ID!) { createAssistant(projectId: $p, input: {name: "New"}) { id } }',
        lambda w: {"p": str(w.project.id)},
        MEMBERS,
        mutation=True,
    ),
    Operation(
        "updateAssistant",
        'mutation($id: ID!) { updateAssistant(id: $id, input: {name: "Renamed"}) { id name } }',
        lambda w: {"id": str(w.active_assistant.id)},
        MEMBERS,
        mutation=True,
    ),
    Operation(
        "createApiToken",
        'mutation($p: ID!) { createApiToken(projectId: $p, name: "gw") '
        "{ secret apiToken { id } } }",
        lambda w: {"p": str(w.project.id)},
        MEMBERS,
        mutation=True,
    ),
    Operation(
        "recordRequests",
        RECORD_REQUESTS,
        lambda w: {"records": [record(unique("e"), w.model)]},
        GATEWAY,
        mutation=True,
    ),
    Operation(
        "revokeApiToken",
        "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
        lambda w: {"id": str(w.api_token.id)},
        MEMBERS,
        mutation=True,
    ),
]

CASES = [
    pytest.param(operation, principal, id=f"{operation.name}-{principal}")
    for operation in OPERATIONS
    for principal in PRINCIPALS
]


@pytest.mark.parametrize(("operation", "principal"), CASES)
async def test_role_matrix(api: GraphQLClient, operation: Operation, principal: str) -> None:
    # given
    world = await make_world()
    if operation.prepare is not None:
        await operation.prepare(world)
    expected = operation.expected[principal]
    before = await snapshot(world.project) if operation.mutation else None

    # when
    response = await api(operation.document, operation.variables(world), world.tokens[principal])

    # then
    if expected == OK:
        response.ok()
        return
    assert response.codes == [expected], response.raw
    if before is not None:
        assert await snapshot(world.project) == before, "a denied mutation changed data"


# GET /v1/admission: the GraphQL row's outcomes, as HTTP statuses.
STATUS = {OK: 200, "UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404}


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_role_matrix_of_the_admission_route(api: GraphQLClient, principal: str) -> None:
    # given
    world = await make_world()
    token = world.tokens[principal]
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    # when
    reply = await api.http.get(
        "/v1/admission",
        params={"modelId": str(world.model.id), "assistantId": str(world.active_assistant.id)},
        headers=headers,
    )

    # then
    expected = GATEWAY[principal]
    assert reply.status_code == STATUS[expected], reply.text
    body = reply.json()
    if expected == OK:
        assert (body["allowed"], body["reason"]) == (True, None)
    else:
        assert [e["extensions"]["code"] for e in body["errors"]] == [expected]
