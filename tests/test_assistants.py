"""A project's assistants: who sees which, creating them, and partial updates."""

from typing import Any

import pytest

from models import AiModel, Assistant, AssistantStatus, Project, ProjectRole, User
from tests.support.factories import (
    grant,
    make_assistant,
    make_model,
    make_project,
    make_user,
    unique,
)
from tests.support.graphql_client import GraphQLClient, bad_argument
from tests.support.snapshots import snapshot

ASSISTANTS = """
query($p: ID!, $status: AssistantStatus) {
  project(id: $p) { assistants(status: $status) { id name status } }
}"""
ASSISTANT_FIELDS = "id name description status model { id name }"
CREATE_ASSISTANT = f"""
mutation($p: ID!, $input: AssistantInput!) {{
  createAssistant(projectId: $p, input: $input) {{ {ASSISTANT_FIELDS} }}
}}"""
UPDATE_ASSISTANT = f"""
mutation($id: ID!, $input: AssistantInput!) {{
  updateAssistant(id: $id, input: $input) {{ {ASSISTANT_FIELDS} }}
}}"""
ASSISTANT_MODEL = """
query($p: ID!) {
  project(id: $p) {
    assistants {
      id
      model { id name provider inputPricePerMillion outputPricePerMillion }
    }
  }
}"""
AUDIT_LOG = """
query($p: ID!) {
  project(id: $p) { auditLog { edges { node { action target actor { email } } } } }
}"""


async def project_with(role: ProjectRole) -> tuple[Project, User, str]:
    project = await make_project()
    user, token = await make_user()
    await grant(user, project, role)
    return project, user, token


async def described_assistant(project: Project, model: AiModel | None = None) -> Assistant:
    return await Assistant.create(
        project=project,
        name=unique("helper"),
        description="Answers questions about invoices",
        model=model,
        status=AssistantStatus.ACTIVE,
    )


async def listed(
    api: GraphQLClient, project: Project, token: str, status: str | None = None
) -> list[dict[str, Any]]:
    data = (await api(ASSISTANTS, {"p": str(project.id), "status": status}, token)).ok()
    assistants: list[dict[str, Any]] = data["project"]["assistants"]
    return assistants


def by_name(*assistants: Assistant) -> list[dict[str, Any]]:
    return [
        {"id": str(a.id), "name": a.name, "status": a.status.value}
        for a in sorted(assistants, key=lambda a: a.name)
    ]


async def test_assistant_user_sees_only_active_assistants(api: GraphQLClient) -> None:
    # given
    project, _, token = await project_with(ProjectRole.ASSISTANT_USER)
    first = await make_assistant(project)
    second = await make_assistant(project)
    await make_assistant(project, status=AssistantStatus.INACTIVE)

    # when
    everything = await listed(api, project, token)
    active = await listed(api, project, token, "ACTIVE")
    inactive = await listed(api, project, token, "INACTIVE")

    # then
    assert everything == by_name(first, second)
    assert active == by_name(first, second)
    assert inactive == []


async def test_assistant_user_sees_name_description_and_model_of_an_active_assistant(
    api: GraphQLClient,
) -> None:
    project, _, token = await project_with(ProjectRole.ASSISTANT_USER)
    model = await make_model()
    assistant = await described_assistant(project, model)

    data = (
        await api(
            f"query($p: ID!) {{ project(id: $p) {{ assistants {{ {ASSISTANT_FIELDS} }} }} }}",
            {"p": str(project.id)},
            token,
        )
    ).ok()

    assert data["project"]["assistants"] == [
        {
            "id": str(assistant.id),
            "name": assistant.name,
            "description": "Answers questions about invoices",
            "status": "ACTIVE",
            "model": {"id": str(model.id), "name": model.name},
        }
    ]


@pytest.mark.parametrize("role", [ProjectRole.PROJECT_MEMBER, ProjectRole.PROJECT_ADMIN])
async def test_members_see_every_assistant_and_filter_by_status(
    api: GraphQLClient, role: ProjectRole
) -> None:
    # given
    project, _, token = await project_with(role)
    active = await make_assistant(project)
    inactive = await make_assistant(project, status=AssistantStatus.INACTIVE)
    other_inactive = await make_assistant(project, status=AssistantStatus.INACTIVE)

    # when
    everything = await listed(api, project, token)
    only_active = await listed(api, project, token, "ACTIVE")
    only_inactive = await listed(api, project, token, "INACTIVE")

    # then
    assert everything == by_name(active, inactive, other_inactive)
    assert only_active == by_name(active)
    assert only_inactive == by_name(inactive, other_inactive)


async def test_assistants_of_other_projects_are_not_listed(api: GraphQLClient) -> None:
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    mine = await make_assistant(project)
    await make_assistant(await make_project())

    assert await listed(api, project, token) == by_name(mine)


async def test_member_creates_an_assistant(api: GraphQLClient) -> None:
    # given
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    model = await make_model()

    # when
    response = await api(
        CREATE_ASSISTANT,
        {
            "p": str(project.id),
            "input": {
                "name": "  Invoice helper ",
                "description": "Reads invoices",
                "modelId": str(model.id),
                "status": "INACTIVE",
            },
        },
        token,
    )

    # then
    created = response.ok()["createAssistant"]
    stored = await Assistant.get(id=int(created["id"]))
    assert created == {
        "id": str(stored.id),
        "name": "Invoice helper",
        "description": "Reads invoices",
        "status": "INACTIVE",
        "model": {"id": str(model.id), "name": model.name},
    }
    assert (stored.project_id, stored.name, stored.model_id) == (
        project.id,
        "Invoice helper",
        model.id,
    )


async def test_a_new_assistant_is_active_without_description_or_model_by_default(
    api: GraphQLClient,
) -> None:
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)

    response = await api(CREATE_ASSISTANT, {"p": str(project.id), "input": {"name": "Bare"}}, token)

    created = response.ok()["createAssistant"]
    assert created == {
        "id": created["id"],
        "name": "Bare",
        "description": None,
        "status": "ACTIVE",
        "model": None,
    }


@pytest.mark.parametrize(
    "assistant_input",
    [
        pytest.param({}, id="missing"),
        pytest.param({"name": None}, id="null"),
        pytest.param({"name": ""}, id="empty"),
        pytest.param({"name": "   "}, id="blank"),
        pytest.param({"name": "x" * 201}, id="too-long"),
    ],
)
async def test_creating_an_assistant_needs_a_name(
    api: GraphQLClient, assistant_input: dict[str, Any]
) -> None:
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    before = await snapshot(project)

    response = await api(CREATE_ASSISTANT, {"p": str(project.id), "input": assistant_input}, token)

    assert bad_argument(response) == "input.name"
    assert await snapshot(project) == before


@pytest.mark.parametrize("model_id", ["999999999", "abc", "-3"])
async def test_creating_an_assistant_with_an_unknown_model_is_bad_user_input(
    api: GraphQLClient, model_id: str
) -> None:
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    before = await snapshot(project)

    response = await api(
        CREATE_ASSISTANT,
        {"p": str(project.id), "input": {"name": "Helper", "modelId": model_id}},
        token,
    )

    assert bad_argument(response) == "input.modelId"
    assert await snapshot(project) == before


async def test_update_leaves_out_fields_as_they_are(api: GraphQLClient) -> None:
    # given
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    model = await make_model()
    assistant = await described_assistant(project, model)

    # when only the name is given
    response = await api(
        UPDATE_ASSISTANT, {"id": str(assistant.id), "input": {"name": "Renamed"}}, token
    )

    # then
    assert response.ok()["updateAssistant"] == {
        "id": str(assistant.id),
        "name": "Renamed",
        "description": "Answers questions about invoices",
        "status": "ACTIVE",
        "model": {"id": str(model.id), "name": model.name},
    }


async def test_update_with_only_a_status_changes_only_the_status(api: GraphQLClient) -> None:
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    model = await make_model()
    assistant = await described_assistant(project, model)

    response = await api(
        UPDATE_ASSISTANT, {"id": str(assistant.id), "input": {"status": "INACTIVE"}}, token
    )

    assert response.ok()["updateAssistant"] == {
        "id": str(assistant.id),
        "name": assistant.name,
        "description": "Answers questions about invoices",
        "status": "INACTIVE",
        "model": {"id": str(model.id), "name": model.name},
    }
    stored = await Assistant.get(id=assistant.id)
    assert (stored.name, stored.status, stored.model_id) == (
        assistant.name,
        AssistantStatus.INACTIVE,
        model.id,
    )


async def test_update_with_null_description_clears_it(api: GraphQLClient) -> None:
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    assistant = await described_assistant(project)

    response = await api(
        UPDATE_ASSISTANT, {"id": str(assistant.id), "input": {"description": None}}, token
    )

    assert response.ok()["updateAssistant"]["description"] is None
    assert (await Assistant.get(id=assistant.id)).description is None


async def test_update_with_blank_description_clears_it(api: GraphQLClient) -> None:
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    assistant = await described_assistant(project)

    response = await api(
        UPDATE_ASSISTANT, {"id": str(assistant.id), "input": {"description": "   "}}, token
    )

    assert response.ok()["updateAssistant"]["description"] is None
    assert (await Assistant.get(id=assistant.id)).description is None


async def test_update_with_null_model_clears_the_model(api: GraphQLClient) -> None:
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    assistant = await described_assistant(project, await make_model())

    response = await api(
        UPDATE_ASSISTANT, {"id": str(assistant.id), "input": {"modelId": None}}, token
    )

    updated = response.ok()["updateAssistant"]
    assert (updated["model"], updated["description"]) == (None, assistant.description)
    assert (await Assistant.get(id=assistant.id)).model_id is None


async def test_update_sets_another_model(api: GraphQLClient) -> None:
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    assistant = await described_assistant(project, await make_model())
    replacement = await make_model(input_usd=0.15, output_usd=0.6)

    response = await api(
        UPDATE_ASSISTANT,
        {"id": str(assistant.id), "input": {"modelId": str(replacement.id)}},
        token,
    )

    assert response.ok()["updateAssistant"]["model"] == {
        "id": str(replacement.id),
        "name": replacement.name,
    }


async def test_update_with_null_name_is_bad_user_input(api: GraphQLClient) -> None:
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    assistant = await described_assistant(project)
    before = await snapshot(project)

    response = await api(
        UPDATE_ASSISTANT,
        {"id": str(assistant.id), "input": {"name": None, "description": "changed"}},
        token,
    )

    assert bad_argument(response) == "input.name"
    assert await snapshot(project) == before


async def test_update_with_an_unknown_model_is_bad_user_input(api: GraphQLClient) -> None:
    project, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    assistant = await described_assistant(project, await make_model())
    before = await snapshot(project)

    response = await api(
        UPDATE_ASSISTANT, {"id": str(assistant.id), "input": {"modelId": "999999999"}}, token
    )

    assert bad_argument(response) == "input.modelId"
    assert await snapshot(project) == before


async def test_assistant_of_another_project_is_not_found_and_unchanged(
    api: GraphQLClient,
) -> None:
    # given a member of one project, and an assistant of another
    _, _, token = await project_with(ProjectRole.PROJECT_MEMBER)
    elsewhere = await make_project()
    theirs = await described_assistant(elsewhere)
    before = await snapshot(elsewhere)

    # when the member tries to rename it, and to rename an assistant that does not exist
    response = await api(UPDATE_ASSISTANT, {"id": str(theirs.id), "input": {"name": "Mine"}}, token)
    absent = await api(UPDATE_ASSISTANT, {"id": "999999999", "input": {"name": "Mine"}}, token)

    # then both are refused alike, and nothing changed
    assert response.codes == ["NOT_FOUND"], response.raw
    assert (response.data, response.errors) == (absent.data, absent.errors)
    assert await snapshot(elsewhere) == before


async def test_assistant_user_may_not_update_an_assistant(api: GraphQLClient) -> None:
    project, _, token = await project_with(ProjectRole.ASSISTANT_USER)
    assistant = await described_assistant(project)
    before = await snapshot(project)

    response = await api(
        UPDATE_ASSISTANT, {"id": str(assistant.id), "input": {"name": "Mine"}}, token
    )

    assert response.codes == ["FORBIDDEN"], response.raw
    assert await snapshot(project) == before


async def test_assistant_model_resolves_the_models_name_and_prices(api: GraphQLClient) -> None:
    project, _, token = await project_with(ProjectRole.ASSISTANT_USER)
    model = await make_model(input_usd=2.5, output_usd=10.0)
    assistant = await make_assistant(project, model=model)

    data = (await api(ASSISTANT_MODEL, {"p": str(project.id)}, token)).ok()

    assert data["project"]["assistants"] == [
        {
            "id": str(assistant.id),
            "model": {
                "id": str(model.id),
                "name": model.name,
                "provider": "openai",
                "inputPricePerMillion": 2.5,
                "outputPricePerMillion": 10.0,
            },
        }
    ]


@pytest.mark.parametrize("assistant_id", ["abc", "-1", "0", "1.5", "1e3", "", "9" * 40])
async def test_assistant_id_that_is_not_a_number_is_bad_user_input(
    api: GraphQLClient, assistant_id: str
) -> None:
    _, _, token = await project_with(ProjectRole.PROJECT_MEMBER)

    response = await api(UPDATE_ASSISTANT, {"id": assistant_id, "input": {"name": "X"}}, token)

    assert bad_argument(response) == "id"


async def test_assistant_id_of_superscript_digits_is_bad_user_input(api: GraphQLClient) -> None:
    _, _, token = await project_with(ProjectRole.PROJECT_MEMBER)

    response = await api(UPDATE_ASSISTANT, {"id": "²", "input": {"name": "X"}}, token)

    assert bad_argument(response) == "id"


async def test_creating_and_updating_assistants_is_in_the_audit_log(api: GraphQLClient) -> None:
    # given
    project, member, token = await project_with(ProjectRole.PROJECT_MEMBER)
    admin, admin_token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)

    # when
    created = (
        await api(CREATE_ASSISTANT, {"p": str(project.id), "input": {"name": "Helper"}}, token)
    ).ok()["createAssistant"]
    (
        await api(
            UPDATE_ASSISTANT, {"id": created["id"], "input": {"status": "INACTIVE"}}, admin_token
        )
    ).ok()

    # then newest first
    log = (await api(AUDIT_LOG, {"p": str(project.id)}, admin_token)).ok()
    target = f"assistant:{created['id']}"
    assert [edge["node"] for edge in log["project"]["auditLog"]["edges"]] == [
        {"action": "assistant.update", "target": target, "actor": {"email": admin.email}},
        {"action": "assistant.create", "target": target, "actor": {"email": member.email}},
    ]
