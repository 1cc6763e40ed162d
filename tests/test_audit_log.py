"""The audit log: one event per effective governance change, with actor, target and the
before and after of what changed; none for a refused or a no-op mutation. Filters by
action, actor and time range; newest first in keyset pages."""

from datetime import UTC, datetime, timedelta
from typing import Any

from models import AuditEvent, Project, ProjectRole, User
from tests.support.factories import grant, make_assistant, make_model, make_project, make_user
from tests.support.graphql_client import GraphQLClient

AUDIT = """
query($p: ID!, $first: Int, $after: String, $filter: AuditLogFilter) {
  project(id: $p) {
    auditLog(first: $first, after: $after, filter: $filter) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { action target details actor { id } at } }
    }
  }
}"""
SET_ROLES = """
mutation($p: ID!, $u: ID!, $roles: [ProjectRole!]!) {
  setMemberRoles(projectId: $p, userId: $u, roles: $roles) { roles }
}"""
UPDATE_ASSISTANT = """
mutation($id: ID!, $input: AssistantInput!) { updateAssistant(id: $id, input: $input) { id } }"""
REVOKE = "mutation($id: ID!) { revokeApiToken(id: $id) { id } }"
CREATE_TOKEN = """
mutation($p: ID!) { createApiToken(projectId: $p, name: "gw") { apiToken { id } secret } }"""


async def project_with_admin() -> tuple[Project, User, str]:
    project = await make_project()
    admin, token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    return project, admin, token


async def audit(
    api: GraphQLClient, project: Project, token: str, **arguments: Any
) -> dict[str, Any]:
    data = (await api(AUDIT, {"p": str(project.id), **arguments}, token)).ok()
    log: dict[str, Any] = data["project"]["auditLog"]
    return log


def actions(log: dict[str, Any]) -> list[str]:
    return [edge["node"]["action"] for edge in log["edges"]]


async def test_setting_the_same_roles_records_nothing_and_a_change_records_both_sides(
    api: GraphQLClient,
) -> None:
    # given
    project, admin, token = await project_with_admin()
    member, _ = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    variables = {"p": str(project.id), "u": str(member.id)}

    # when
    (await api(SET_ROLES, variables | {"roles": ["PROJECT_MEMBER"]}, token)).ok()
    (await api(SET_ROLES, variables | {"roles": ["PROJECT_MEMBER", "ASSISTANT_USER"]}, token)).ok()

    # then
    events = await AuditEvent.filter(project_id=project.id).values_list(
        "action", "actor_id", "target", "details"
    )
    assert events == [
        (
            "member.set_roles",
            admin.id,
            f"user:{member.id}",
            {"before": ["PROJECT_MEMBER"], "after": ["ASSISTANT_USER", "PROJECT_MEMBER"]},
        )
    ]


async def test_an_assistant_update_records_what_changed_and_a_no_op_nothing(
    api: GraphQLClient,
) -> None:
    # given
    project, _, token = await project_with_admin()
    model = await make_model()
    assistant = await make_assistant(project, model=model)

    # when
    same = {"name": assistant.name, "status": "ACTIVE", "modelId": str(model.id)}
    (await api(UPDATE_ASSISTANT, {"id": str(assistant.id), "input": same}, token)).ok()
    change = {"name": assistant.name, "status": "INACTIVE", "description": "Helps"}
    (await api(UPDATE_ASSISTANT, {"id": str(assistant.id), "input": change}, token)).ok()

    # then
    events = await AuditEvent.filter(project_id=project.id).values_list("action", "details")
    assert events == [
        (
            "assistant.update",
            {
                "before": {"status": "ACTIVE", "description": None},
                "after": {"status": "INACTIVE", "description": "Helps"},
            },
        )
    ]


async def test_a_refused_mutation_records_nothing(api: GraphQLClient) -> None:
    # given
    project, _, token = await project_with_admin()
    member, member_token = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)

    # when a member tries an administrator's change, and an administrator a bad one
    denied = await api(
        SET_ROLES, {"p": str(project.id), "u": str(member.id), "roles": ["PROJECT_ADMIN"]},
        member_token,
    )  # fmt: skip
    bad = await api(
        "mutation($p: ID!) { updateProjectSettings(projectId: $p, input: "
        "{retentionDays: 0}) { timezone } }",
        {"p": str(project.id)},
        token,
    )

    # then
    assert denied.codes == ["FORBIDDEN"]
    assert bad.codes == ["BAD_USER_INPUT"]
    assert await AuditEvent.filter(project_id=project.id).count() == 0


async def test_api_tokens_are_audited_without_their_secret(api: GraphQLClient) -> None:
    # given
    project, _, token = await project_with_admin()

    # when
    made = (await api(CREATE_TOKEN, {"p": str(project.id)}, token)).ok()["createApiToken"]
    for _ in range(2):
        (await api(REVOKE, {"id": made["apiToken"]["id"]}, token)).ok()

    # then
    events = await AuditEvent.filter(project_id=project.id).values_list("action", "details")
    assert [action for action, _ in events] == ["api_token.create", "api_token.revoke"]
    assert all(made["secret"] not in str(details) for _, details in events)


async def test_the_log_filters_by_action_actor_and_time_newest_first_in_pages(
    api: GraphQLClient,
) -> None:
    # given events by two administrators, at known times
    project, admin, token = await project_with_admin()
    other, _ = await make_user()
    base = datetime(2026, 6, 1, tzinfo=UTC)
    rows = [
        ("settings.update", admin, 0), ("member.add", other, 1), ("settings.update", other, 2),
        ("assistant.create", admin, 3), ("settings.update", admin, 4),
    ]  # fmt: skip
    for action, actor, hours in rows:
        event = await AuditEvent.create(
            project_id=project.id, actor_id=actor.id, action=action, target="x", details={}
        )
        await AuditEvent.filter(id=event.id).update(at=base + timedelta(hours=hours))

    # when / then
    assert actions(await audit(api, project, token)) == [
        "settings.update", "assistant.create", "settings.update", "member.add",
        "settings.update",
    ]  # fmt: skip
    by_action = await audit(api, project, token, filter={"actions": ["settings.update"]})
    assert by_action["totalCount"] == 3
    by_actor = await audit(api, project, token, filter={"actorIds": [str(other.id)]})
    assert actions(by_actor) == ["settings.update", "member.add"]
    window = {"from": (base + timedelta(hours=1)).isoformat(),
              "to": (base + timedelta(hours=4)).isoformat()}  # fmt: skip
    assert actions(await audit(api, project, token, filter=window)) == [
        "assistant.create", "settings.update", "member.add",
    ]  # fmt: skip
    combined = {"actions": ["settings.update"], "actorIds": [str(admin.id)]}
    first = await audit(api, project, token, first=1, filter=combined)
    second = await audit(
        api, project, token, first=1, filter=combined, after=first["pageInfo"]["endCursor"]
    )
    third = await audit(
        api, project, token, first=1, filter=combined, after=second["pageInfo"]["endCursor"]
    )
    assert [e["node"]["at"] for page in (first, second) for e in page["edges"]] == [
        "2026-06-01T04:00:00+00:00", "2026-06-01T00:00:00+00:00",
    ]  # fmt: skip
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)
    assert third["edges"] == []


async def test_a_bad_filter_is_bad_user_input(api: GraphQLClient) -> None:
    project, _, token = await project_with_admin()
    reversed_range = {"from": "2026-06-02T00:00:00Z", "to": "2026-06-01T00:00:00Z"}
    for bad, argument in (
        (reversed_range, "filter.to"),
        ({"actorIds": ["nope"]}, "filter.actorIds"),
        ({"from": "2026-06-01T00:00:00"}, "filter.from"),
    ):
        response = await api(AUDIT, {"p": str(project.id), "filter": bad}, token)
        assert response.codes == ["BAD_USER_INPUT"], response.raw
        assert response.errors[0]["extensions"]["argument"] == argument
