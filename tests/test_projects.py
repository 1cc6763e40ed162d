"""Projects as their viewers see them, and the operator's catalogue: projects, users, models.

A user with no role in a project cannot tell it from one that does not exist.
"""

from datetime import UTC
from typing import Any

import pytest

from models import AiModel, Project, ProjectRole, ProjectSettings, User
from tests.support.factories import grant, make_model, make_project, make_user, unique
from tests.support.graphql_client import GraphQLClient, Response, bad_argument
from tests.support.snapshots import snapshot

PROJECT = """
query($p: ID!) {
  project(id: $p) { id name description createdAt viewerRoles viewerPermissions }
}"""
PROJECTS = """
query($first: Int, $after: String, $all: Boolean! = false) {
  projects(first: $first, after: $after, includeAll: $all) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name } }
  }
}"""
ADD_MEMBER = """
mutation($p: ID!) {
  addMember(projectId: $p, email: "x@example.com", roles: [ASSISTANT_USER]) { roles }
}"""
CREATE_ASSISTANT = 'mutation($p: ID!) { createAssistant(projectId: $p, input: {name: "A"}) { id } }'
CREATE_API_TOKEN = 'mutation($p: ID!) { createApiToken(projectId: $p, name: "gw") { secret } }'
SETTINGS_FIELDS = """
timezone monthlyBudget budgetAlertThresholds enforceBudget allowedModelIds
storeRequestContent retentionDays apiTokenMaxLifetimeDays
"""
CREATE_PROJECT = f"""
mutation($name: String!, $description: String) {{
  createProject(input: {{name: $name, description: $description}}) {{
    id name description createdAt viewerRoles
    settings {{ {SETTINGS_FIELDS} }}
  }}
}}"""
CREATE_USER = """
mutation($email: String!, $name: String!, $superuser: Boolean) {
  createUser(input: {email: $email, name: $name, isSuperuser: $superuser}) {
    user { id email name isSuperuser }
    accessToken
  }
}"""
VIEWER = "{ viewer { id email name isSuperuser } }"
CREATE_MODEL = """
mutation($name: String!, $input: Float!, $output: Float!) {
  createModel(input: {
    name: $name, provider: "anthropic", inputPricePerMillion: $input, outputPricePerMillion: $output
  }) { id name provider inputPricePerMillion outputPricePerMillion }
}"""
MODELS = "{ models { id name provider inputPricePerMillion outputPricePerMillion } }"

MEMBER_PERMISSIONS = [
    "create_api_token",
    "create_assistant",
    "read",
    "read_active_assistants",
    "read_all_assistants",
    "read_api_tokens",
    "read_requests",
    "read_usage",
    "revoke_api_token",
    "update_assistant",
]
ADMIN_PERMISSIONS = sorted(
    [
        *MEMBER_PERMISSIONS,
        "manage_members",
        "read_audit_log",
        "read_members",
        "read_settings",
        "read_user_activity",
        "update_settings",
    ]
)
DEFAULT_SETTINGS = {
    "timezone": "UTC",
    "monthlyBudget": None,
    "budgetAlertThresholds": [50.0, 80.0, 100.0],
    "enforceBudget": False,
    "allowedModelIds": None,
    "storeRequestContent": True,
    "retentionDays": None,
    "apiTokenMaxLifetimeDays": None,
}


async def named_project(name: str) -> Project:
    project = await Project.create(name=name, description=None)
    await ProjectSettings.create(project=project)
    return project


def as_seen(response: Response) -> tuple[Any, ...]:
    """Everything a client learns from a response."""
    return (response.status_code, response.data, response.errors)


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(PROJECT, id="project"),
        pytest.param(ADD_MEMBER, id="addMember"),
        pytest.param(CREATE_ASSISTANT, id="createAssistant"),
        pytest.param(CREATE_API_TOKEN, id="createApiToken"),
    ],
)
@pytest.mark.parametrize("outsider_role", [None, ProjectRole.PROJECT_ADMIN])
async def test_outsider_cannot_tell_whether_a_project_exists(
    api: GraphQLClient, document: str, outsider_role: ProjectRole | None
) -> None:
    # given a project, and a user with no role in it (perhaps an admin elsewhere)
    project = await make_project()
    outsider, token = await make_user()
    if outsider_role is not None:
        await grant(outsider, await make_project(), outsider_role)
    before = await snapshot(project)

    # when they ask for it, and for an id that exists nowhere
    existing = await api(document, {"p": str(project.id)}, token)
    absent = await api(document, {"p": "999999999"}, token)

    # then both answers are the same
    assert existing.codes == ["NOT_FOUND"], existing.raw
    assert as_seen(existing) == as_seen(absent)
    assert await snapshot(project) == before


async def test_member_reads_the_project(api: GraphQLClient) -> None:
    project = await make_project()
    user, token = await make_user()
    await grant(user, project, ProjectRole.ASSISTANT_USER)

    data = (await api(PROJECT, {"p": str(project.id)}, token)).ok()

    assert data["project"] == {
        "id": str(project.id),
        "name": project.name,
        "description": "A test project",
        "createdAt": project.created_at.astimezone(UTC).isoformat(),
        "viewerRoles": ["ASSISTANT_USER"],
        "viewerPermissions": ["read", "read_active_assistants"],
    }


@pytest.mark.parametrize(
    ("roles", "permissions"),
    [
        pytest.param(
            (ProjectRole.ASSISTANT_USER,), ["read", "read_active_assistants"], id="assistant-user"
        ),
        pytest.param((ProjectRole.PROJECT_MEMBER,), MEMBER_PERMISSIONS, id="member"),
        pytest.param((ProjectRole.PROJECT_ADMIN,), ADMIN_PERMISSIONS, id="admin"),
        pytest.param(
            (ProjectRole.ASSISTANT_USER, ProjectRole.PROJECT_MEMBER),
            MEMBER_PERMISSIONS,
            id="assistant-user-and-member",
        ),
        pytest.param(
            (ProjectRole.ASSISTANT_USER, ProjectRole.PROJECT_MEMBER, ProjectRole.PROJECT_ADMIN),
            ADMIN_PERMISSIONS,
            id="all-three",
        ),
    ],
)
async def test_viewer_roles_and_permissions_are_exactly_those_held(
    api: GraphQLClient, roles: tuple[ProjectRole, ...], permissions: list[str]
) -> None:
    project = await make_project()
    user, token = await make_user()
    await grant(user, project, *roles)

    data = (await api(PROJECT, {"p": str(project.id)}, token)).ok()

    assert sorted(data["project"]["viewerRoles"]) == sorted(role.value for role in roles)
    assert data["project"]["viewerPermissions"] == permissions


async def test_superuser_holds_no_roles_but_may_do_everything(api: GraphQLClient) -> None:
    project = await make_project()
    _, root = await make_user(superuser=True)

    data = (await api(PROJECT, {"p": str(project.id)}, root)).ok()

    assert data["project"]["viewerRoles"] == []
    assert data["project"]["viewerPermissions"] == ADMIN_PERMISSIONS


async def test_projects_lists_those_the_viewer_holds_a_role_in_by_name(
    api: GraphQLClient,
) -> None:
    # given three projects with a role, and one without
    tag = unique("suite")
    user, token = await make_user()
    charlie = await named_project(f"{tag} charlie")
    alpha = await named_project(f"{tag} alpha")
    bravo = await named_project(f"{tag} bravo")
    await grant(user, charlie, ProjectRole.ASSISTANT_USER)
    await grant(user, alpha, ProjectRole.PROJECT_ADMIN)
    await grant(user, bravo, ProjectRole.PROJECT_MEMBER, ProjectRole.ASSISTANT_USER)
    await named_project(f"{tag} aaa not mine")

    # when paging two at a time
    first = (await api(PROJECTS, {"first": 2}, token)).ok()["projects"]
    after = first["pageInfo"]["endCursor"]
    second = (await api(PROJECTS, {"first": 2, "after": after}, token)).ok()["projects"]

    # then
    assert [edge["node"] for edge in first["edges"]] == [
        {"id": str(alpha.id), "name": f"{tag} alpha"},
        {"id": str(bravo.id), "name": f"{tag} bravo"},
    ]
    assert [edge["node"] for edge in second["edges"]] == [
        {"id": str(charlie.id), "name": f"{tag} charlie"}
    ]
    assert (first["totalCount"], second["totalCount"]) == (3, 3)
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": first["edges"][-1]["cursor"]}
    assert second["pageInfo"] == {"hasNextPage": False, "endCursor": second["edges"][-1]["cursor"]}


async def test_projects_is_empty_for_a_user_without_roles(api: GraphQLClient) -> None:
    await make_project()
    _, token = await make_user()

    data = (await api(PROJECTS, token=token)).ok()

    assert data["projects"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }


async def test_superuser_lists_every_project_with_include_all(api: GraphQLClient) -> None:
    # given projects the operator holds no role in
    _, root = await make_user(superuser=True)
    for _ in range(4):
        await make_project()

    # when
    mine = (await api(PROJECTS, {"first": 100}, root)).ok()["projects"]
    everything = (await api(PROJECTS, {"first": 3, "all": True}, root)).ok()["projects"]

    # then
    assert mine["totalCount"] == 0
    assert everything["totalCount"] == await Project.all().count()
    expected = await Project.all().order_by("name", "id").limit(3).values_list("id", flat=True)
    assert [edge["node"]["id"] for edge in everything["edges"]] == [str(i) for i in expected]
    assert everything["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    "role",
    [None, ProjectRole.ASSISTANT_USER, ProjectRole.PROJECT_MEMBER, ProjectRole.PROJECT_ADMIN],
)
async def test_include_all_is_forbidden_to_everyone_but_the_superuser(
    api: GraphQLClient, role: ProjectRole | None
) -> None:
    user, token = await make_user()
    if role is not None:
        await grant(user, await make_project(), role)

    response = await api(PROJECTS, {"all": True}, token)

    assert response.codes == ["FORBIDDEN"], response.raw


async def test_superuser_creates_a_project_with_default_settings(api: GraphQLClient) -> None:
    # given
    _, root = await make_user(superuser=True)
    name = unique("Launch")

    # when
    response = await api(
        CREATE_PROJECT, {"name": f"  {name} ", "description": "Customer support bots"}, root
    )

    # then
    created = response.ok()["createProject"]
    stored = await Project.get(id=int(created["id"]))
    assert created == {
        "id": str(stored.id),
        "name": name,
        "description": "Customer support bots",
        "createdAt": stored.created_at.astimezone(UTC).isoformat(),
        "viewerRoles": [],
        "settings": DEFAULT_SETTINGS,
    }
    assert await ProjectSettings.exists(project_id=stored.id)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
async def test_creating_a_project_needs_a_name(api: GraphQLClient, name: str) -> None:
    _, root = await make_user(superuser=True)
    projects = await Project.all().count()

    response = await api(CREATE_PROJECT, {"name": name}, root)

    assert bad_argument(response) == "input.name"
    assert await Project.all().count() == projects


async def test_superuser_creates_a_user_whose_token_works(api: GraphQLClient) -> None:
    # given
    _, root = await make_user(superuser=True)
    email = unique("grace") + "@example.com"

    # when
    created = (
        await api(CREATE_USER, {"email": f" {email.upper()}", "name": "Grace Hopper"}, root)
    ).ok()["createUser"]
    me = await api(VIEWER, token=created["accessToken"])

    # then
    stored = await User.get(email=email)
    user = {"id": str(stored.id), "email": email, "name": "Grace Hopper", "isSuperuser": False}
    assert created["user"] == user
    assert me.ok()["viewer"] == user


async def test_a_created_superuser_is_a_superuser(api: GraphQLClient) -> None:
    _, root = await make_user(superuser=True)

    created = (
        await api(
            CREATE_USER,
            {"email": unique("op") + "@example.com", "name": "Op", "superuser": True},
            root,
        )
    ).ok()["createUser"]

    assert created["user"]["isSuperuser"] is True
    assert (await api(PROJECTS, {"all": True}, created["accessToken"])).ok()


async def test_creating_a_user_with_a_taken_email_is_bad_user_input(api: GraphQLClient) -> None:
    # given
    existing, _ = await make_user()
    _, root = await make_user(superuser=True)
    users = await User.all().count()

    # when the same address comes again, in another case
    response = await api(CREATE_USER, {"email": existing.email.upper(), "name": "Twin"}, root)

    # then
    assert response.codes == ["BAD_USER_INPUT"], response.raw
    assert await User.all().count() == users


async def test_taken_email_error_names_the_input_field(api: GraphQLClient) -> None:
    existing, _ = await make_user()
    _, root = await make_user(superuser=True)

    response = await api(CREATE_USER, {"email": existing.email, "name": "Twin"}, root)

    assert bad_argument(response) == "input.email"


@pytest.mark.parametrize("email", ["not-an-email", "", "a b@example.com", "a@b", "@example.com"])
async def test_creating_a_user_with_an_invalid_email_is_bad_user_input(
    api: GraphQLClient, email: str
) -> None:
    _, root = await make_user(superuser=True)
    users = await User.all().count()

    response = await api(CREATE_USER, {"email": email, "name": "Nobody"}, root)

    assert bad_argument(response) == "input.email"
    assert await User.all().count() == users


async def test_creating_a_user_needs_a_name(api: GraphQLClient) -> None:
    _, root = await make_user(superuser=True)

    response = await api(CREATE_USER, {"email": unique("n") + "@example.com", "name": " "}, root)

    assert bad_argument(response) == "input.name"


@pytest.mark.parametrize(
    ("prices", "argument"),
    [
        pytest.param((-0.01, 1.0), "input.inputPricePerMillion", id="negative-input"),
        pytest.param((1.0, -5.0), "input.outputPricePerMillion", id="negative-output"),
        pytest.param((1e9, 1.0), "input.inputPricePerMillion", id="absurd-input"),
    ],
)
async def test_creating_a_model_with_a_bad_price_is_bad_user_input(
    api: GraphQLClient, prices: tuple[float, float], argument: str
) -> None:
    _, root = await make_user(superuser=True)
    models = await AiModel.all().count()

    response = await api(
        CREATE_MODEL, {"name": unique("m"), "input": prices[0], "output": prices[1]}, root
    )

    assert bad_argument(response) == argument
    assert await AiModel.all().count() == models


async def test_creating_a_model_with_a_taken_name_is_bad_user_input(api: GraphQLClient) -> None:
    existing = await make_model()
    _, root = await make_user(superuser=True)
    models = await AiModel.all().count()

    response = await api(
        CREATE_MODEL, {"name": f" {existing.name} ", "input": 1.0, "output": 2.0}, root
    )

    assert bad_argument(response) == "input.name"
    assert await AiModel.all().count() == models


@pytest.mark.parametrize(
    "prices", [(2.5, 10.0), (0.15, 0.6), (0.0, 0.0), (3.0, 15.0), (0.000001, 75.0)]
)
async def test_models_returns_prices_in_usd_per_million_exactly_as_given(
    api: GraphQLClient, prices: tuple[float, float]
) -> None:
    # given
    _, root = await make_user(superuser=True)
    _, token = await make_user()
    name = unique("claude")

    # when
    created = (
        await api(CREATE_MODEL, {"name": name, "input": prices[0], "output": prices[1]}, root)
    ).ok()["createModel"]
    catalog = (await api(MODELS, token=token)).ok()["models"]

    # then
    model = {
        "id": created["id"],
        "name": name,
        "provider": "anthropic",
        "inputPricePerMillion": prices[0],
        "outputPricePerMillion": prices[1],
    }
    assert created == model
    assert [m for m in catalog if m["id"] == created["id"]] == [model]


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(ADD_MEMBER, id="addMember"),
        pytest.param(CREATE_ASSISTANT, id="createAssistant"),
        pytest.param(CREATE_API_TOKEN, id="createApiToken"),
    ],
)
async def test_superuser_gets_not_found_for_a_project_that_does_not_exist(
    api: GraphQLClient, document: str
) -> None:
    _, root = await make_user(superuser=True)
    await User.get_or_create(email="x@example.com", defaults={"name": "x"})  # ADD_MEMBER's

    response = await api(document, {"p": "999999999"}, root)

    assert response.codes == ["NOT_FOUND"], response.raw
