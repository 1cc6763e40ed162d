"""Project API tokens: created by members with the secret shown once, limited to the
gateway, revoked for good, and kept within the project's lifetime limit."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from models import ApiToken, Project, ProjectRole, User
from tests.support.factories import grant, make_api_token, make_project, make_user
from tests.support.graphql_client import GraphQLClient, Response, bad_argument
from tests.support.snapshots import snapshot

TOKEN_FIELDS = "id name prefix createdAt expiresAt revokedAt lastUsedAt"
CREATE_API_TOKEN = f"""
mutation($p: ID!, $name: String!, $expiresAt: DateTime) {{
  createApiToken(projectId: $p, name: $name, expiresAt: $expiresAt) {{
    secret
    apiToken {{ {TOKEN_FIELDS} }}
  }}
}}"""
REVOKE_API_TOKEN = f"mutation($id: ID!) {{ revokeApiToken(id: $id) {{ {TOKEN_FIELDS} }} }}"
API_TOKENS = f"query($p: ID!) {{ project(id: $p) {{ apiTokens {{ {TOKEN_FIELDS} }} }} }}"
AUDIT_LOG = """
query($p: ID!) {
  project(id: $p) {
    auditLog { totalCount edges { node { action target actor { email } } } }
  }
}"""
VIEWER = "{ viewer { id } }"
PROJECT = "query($p: ID!) { project(id: $p) { id name } }"


async def project_with_member(**settings: object) -> tuple[Project, User, str]:
    project = await make_project(**settings)
    member, token = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    return project, member, token


async def create_token(
    api: GraphQLClient, project: Project, token: str, expires_at: str | None = None
) -> Response:
    return await api(
        CREATE_API_TOKEN, {"p": str(project.id), "name": "gateway", "expiresAt": expires_at}, token
    )


def instant(value: datetime) -> str:
    return value.isoformat()


def in_days(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


async def test_created_token_shows_its_secret_once_and_the_list_never_does(
    api: GraphQLClient,
) -> None:
    # given
    project, _, token = await project_with_member()

    # when
    created = (await create_token(api, project, token)).ok()["createApiToken"]
    listed = await api(API_TOKENS, {"p": str(project.id)}, token)

    # then
    secret = created["secret"]
    stored = await ApiToken.get(id=int(created["apiToken"]["id"]))
    assert created["apiToken"] == {
        "id": str(stored.id),
        "name": "gateway",
        "prefix": secret[:12],
        "createdAt": stored.created_at.astimezone(UTC).isoformat(),
        "expiresAt": None,
        "revokedAt": None,
        "lastUsedAt": None,
    }
    assert listed.ok()["project"]["apiTokens"] == [created["apiToken"]]
    assert secret not in listed.raw


async def test_api_token_has_no_secret_field(api: GraphQLClient) -> None:
    project, _, token = await project_with_member()

    response = await api(
        "query($p: ID!) { project(id: $p) { apiTokens { secret } } }", {"p": str(project.id)}, token
    )

    assert response.codes == ["BAD_USER_INPUT"], response.raw


async def test_api_tokens_are_listed_newest_first(api: GraphQLClient) -> None:
    project, _, token = await project_with_member()
    older, _ = await make_api_token(project)
    newer, _ = await make_api_token(project)
    await make_api_token(await make_project())

    data = (await api(API_TOKENS, {"p": str(project.id)}, token)).ok()

    assert [t["name"] for t in data["project"]["apiTokens"]] == [newer.name, older.name]


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(VIEWER, id="viewer"),
        pytest.param(PROJECT, id="project"),
        pytest.param("{ projects { totalCount } }", id="projects"),
        pytest.param("{ models { id } }", id="models"),
        pytest.param(CREATE_API_TOKEN, id="createApiToken"),
    ],
)
async def test_api_token_secret_is_forbidden_everywhere_but_the_gateway(
    api: GraphQLClient, document: str
) -> None:
    # given a secret just handed out
    project, _, token = await project_with_member()
    secret = (await create_token(api, project, token)).ok()["createApiToken"]["secret"]
    before = await snapshot(project)

    # when it is used as a bearer token for a console field
    response = await api(document, {"p": str(project.id), "name": "again"}, secret)

    # then it is recognised, and refused
    assert response.codes == ["FORBIDDEN"], response.raw
    assert response.data is None or set(response.data.values()) == {None}
    assert (await snapshot(project))["api_tokens"] == before["api_tokens"]


async def test_revoking_sets_revoked_at_and_twice_is_harmless(api: GraphQLClient) -> None:
    # given
    project, member, token = await project_with_member()
    created = (await create_token(api, project, token)).ok()["createApiToken"]
    token_id = created["apiToken"]["id"]

    # when
    first = (await api(REVOKE_API_TOKEN, {"id": token_id}, token)).ok()["revokeApiToken"]
    second = (await api(REVOKE_API_TOKEN, {"id": token_id}, token)).ok()["revokeApiToken"]

    # then
    stored = await ApiToken.get(id=int(token_id))
    assert stored.revoked_at is not None
    assert first == {
        **created["apiToken"],
        "revokedAt": stored.revoked_at.astimezone(UTC).isoformat(),
    }
    assert second == first
    admin, admin_token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    log = (await api(AUDIT_LOG, {"p": str(project.id)}, admin_token)).ok()["project"]["auditLog"]
    target = f"api_token:{token_id}"
    assert log["totalCount"] == 2
    assert [edge["node"] for edge in log["edges"]] == [
        {"action": "api_token.revoke", "target": target, "actor": {"email": member.email}},
        {"action": "api_token.create", "target": target, "actor": {"email": member.email}},
    ]


async def test_a_revoked_secret_is_refused_at_once(api: GraphQLClient) -> None:
    project, _, token = await project_with_member()
    created = (await create_token(api, project, token)).ok()["createApiToken"]
    assert (await api(VIEWER, token=created["secret"])).codes == ["FORBIDDEN"]

    (await api(REVOKE_API_TOKEN, {"id": created["apiToken"]["id"]}, token)).ok()

    assert (await api(VIEWER, token=created["secret"])).codes == ["UNAUTHENTICATED"]


async def test_revoking_a_token_of_another_project_is_not_found_and_changes_nothing(
    api: GraphQLClient,
) -> None:
    # given a member of one project, and a token of another
    _, _, token = await project_with_member()
    elsewhere = await make_project()
    theirs, _ = await make_api_token(elsewhere)
    before = await snapshot(elsewhere)

    # when
    response = await api(REVOKE_API_TOKEN, {"id": str(theirs.id)}, token)
    absent = await api(REVOKE_API_TOKEN, {"id": "999999999"}, token)

    # then it is refused as if it did not exist
    assert response.codes == ["NOT_FOUND"], response.raw
    assert (response.data, response.errors) == (absent.data, absent.errors)
    assert await snapshot(elsewhere) == before


@pytest.mark.parametrize("token_id", ["abc", "-1", "0", "1.5", ""])
async def test_revoking_an_id_that_is_not_a_number_is_bad_user_input(
    api: GraphQLClient, token_id: str
) -> None:
    _, _, token = await project_with_member()

    response = await api(REVOKE_API_TOKEN, {"id": token_id}, token)

    assert bad_argument(response) == "id"


async def test_assistant_user_may_not_create_or_revoke_tokens(api: GraphQLClient) -> None:
    project = await make_project()
    user, token = await make_user()
    await grant(user, project, ProjectRole.ASSISTANT_USER)
    existing, _ = await make_api_token(project)
    before = await snapshot(project)

    created = await create_token(api, project, token)
    revoked = await api(REVOKE_API_TOKEN, {"id": str(existing.id)}, token)

    assert (created.codes, revoked.codes) == (["FORBIDDEN"], ["FORBIDDEN"])
    assert await snapshot(project) == before


async def test_expiry_is_returned_in_utc(api: GraphQLClient) -> None:
    project, _, token = await project_with_member()
    expiry = in_days(10).replace(microsecond=0)
    plus_two = expiry.astimezone(timezone(timedelta(hours=2)))

    created = (await create_token(api, project, token, plus_two.isoformat())).ok()

    assert created["createApiToken"]["apiToken"]["expiresAt"] == expiry.isoformat()
    stored = await ApiToken.get(id=int(created["createApiToken"]["apiToken"]["id"]))
    assert stored.expires_at == expiry


@pytest.mark.parametrize(
    "expires_at",
    [
        pytest.param(lambda: instant(in_days(-1)), id="yesterday"),
        pytest.param(lambda: instant(datetime.now(UTC) - timedelta(seconds=1)), id="a-second-ago"),
        pytest.param(lambda: "2001-01-01T00:00:00Z", id="long-ago"),
    ],
)
async def test_expiry_in_the_past_is_bad_user_input(
    api: GraphQLClient, expires_at: Callable[[], str]
) -> None:
    project, _, token = await project_with_member()
    before = await snapshot(project)

    response = await create_token(api, project, token, expires_at())

    assert bad_argument(response) == "expiresAt"
    assert await snapshot(project) == before


async def test_expiry_without_an_offset_is_bad_user_input(api: GraphQLClient) -> None:
    project, _, token = await project_with_member()
    before = await snapshot(project)
    naive = in_days(5).replace(tzinfo=None, microsecond=0).isoformat()

    response = await create_token(api, project, token, naive)

    assert bad_argument(response) == "expiresAt"
    assert await snapshot(project) == before


@pytest.mark.parametrize("expires_at", ["tomorrow", "2030-13-01T00:00:00Z", ""])
async def test_expiry_that_is_not_a_datetime_is_bad_user_input(
    api: GraphQLClient, expires_at: str
) -> None:
    project, _, token = await project_with_member()
    before = await snapshot(project)

    response = await create_token(api, project, token, expires_at)

    assert response.codes == ["BAD_USER_INPUT"], response.raw
    assert await snapshot(project) == before


@pytest.mark.parametrize(
    "days",
    [
        pytest.param(None, id="no-expiry"),
        pytest.param(31, id="31-days"),
        pytest.param(365, id="a-year"),
    ],
)
async def test_token_beyond_the_projects_lifetime_limit_is_bad_user_input(
    api: GraphQLClient, days: int | None
) -> None:
    # given a project whose tokens must expire within 30 days
    project, _, token = await project_with_member(api_token_max_lifetime_days=30)
    before = await snapshot(project)

    # when
    expires_at = None if days is None else instant(in_days(days))
    response = await create_token(api, project, token, expires_at)

    # then
    assert bad_argument(response) == "expiresAt"
    assert "30 days" in response.errors[0]["message"]
    assert await snapshot(project) == before


@pytest.mark.parametrize("days", [1, 29.9])
async def test_token_within_the_projects_lifetime_limit_is_created(
    api: GraphQLClient, days: float
) -> None:
    project, _, token = await project_with_member(api_token_max_lifetime_days=30)
    expiry = in_days(days).replace(microsecond=0)

    response = await create_token(api, project, token, instant(expiry))

    assert response.ok()["createApiToken"]["apiToken"]["expiresAt"] == expiry.isoformat()


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
async def test_token_needs_a_name(api: GraphQLClient, name: str) -> None:
    project, _, token = await project_with_member()
    before = await snapshot(project)

    response = await api(CREATE_API_TOKEN, {"p": str(project.id), "name": name}, token)

    assert bad_argument(response) == "name"
    assert await snapshot(project) == before
