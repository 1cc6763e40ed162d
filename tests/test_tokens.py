"""Bearer tokens: shown once, stored as hashes, dead the moment they are revoked or expire."""

from datetime import UTC, datetime, timedelta

from kernel.tokens import hash_secret
from models import ApiToken, Membership, PersonalAccessToken, ProjectRole
from tests.support.backends import Backend
from tests.support.factories import grant, make_project, make_user
from tests.support.graphql_client import GraphQLClient

VIEWER = "{ viewer { id email } }"
CREATE_USER = """
mutation($email: String!) {
  createUser(input: {email: $email, name: "Ada"}) { user { id } accessToken }
}"""
CREATE_API_TOKEN = """
mutation($p: ID!) {
  createApiToken(projectId: $p, name: "gateway") { secret apiToken { id prefix } }
}"""
PROJECT_TOKENS = """
query($p: ID!) { project(id: $p) { apiTokens { id name prefix createdAt lastUsedAt } } }
"""
PROJECT = "query($p: ID!) { project(id: $p) { id } }"


async def all_token_columns() -> str:
    rows = [*await PersonalAccessToken.all().values(), *await ApiToken.all().values()]
    return repr(rows)


async def test_api_token_secret_is_shown_once_and_stored_nowhere(
    api: GraphQLClient, backend: Backend
) -> None:
    # given
    project = await make_project()
    admin, token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)

    # when
    created = (await api(CREATE_API_TOKEN, {"p": str(project.id)}, token)).ok()
    secret = created["createApiToken"]["secret"]
    listed = await api(PROJECT_TOKENS, {"p": str(project.id)}, token)
    audit = await api(
        "query($p: ID!) { project(id: $p) { auditLog { edges { node { details } } } } }",
        {"p": str(project.id)},
        token,
    )

    # then
    assert secret.startswith("cat_")
    assert created["createApiToken"]["apiToken"]["prefix"] == secret[:12]
    assert secret not in listed.raw
    assert secret not in audit.raw
    assert secret not in await all_token_columns()
    assert secret not in backend.server_log()
    stored = await ApiToken.get(id=int(created["createApiToken"]["apiToken"]["id"]))
    assert stored.secret_hash == hash_secret(secret)


async def test_personal_token_from_create_user_is_shown_once(
    api: GraphQLClient, backend: Backend
) -> None:
    _, root = await make_user(superuser=True)
    email = f"ada-{datetime.now(UTC).timestamp()}@example.com"

    created = (await api(CREATE_USER, {"email": email}, root)).ok()["createUser"]
    me = (await api(VIEWER, token=created["accessToken"])).ok()

    assert me["viewer"]["email"] == email
    assert created["accessToken"] not in await all_token_columns()
    assert created["accessToken"] not in backend.server_log()


async def test_revoked_token_is_refused_on_the_next_request(api: GraphQLClient) -> None:
    # given a token that works
    user, token = await make_user()
    assert (await api(VIEWER, token=token)).ok()

    # when it is revoked
    await PersonalAccessToken.filter(user=user).update(revoked_at=datetime.now(UTC))

    # then the very next request is refused
    assert (await api(VIEWER, token=token)).codes == ["UNAUTHENTICATED"]


async def test_expired_token_is_refused(api: GraphQLClient) -> None:
    user, token = await make_user()
    await PersonalAccessToken.filter(user=user).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert (await api(VIEWER, token=token)).codes == ["UNAUTHENTICATED"]


async def test_revoked_api_token_stops_at_once(api: GraphQLClient) -> None:
    project = await make_project()
    member, token = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    created = (await api(CREATE_API_TOKEN, {"p": str(project.id)}, token)).ok()["createApiToken"]
    secret = created["secret"]
    # an API token may use no console field, but it is recognised
    assert (await api(VIEWER, token=secret)).codes == ["FORBIDDEN"]

    revoke = "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }"
    (await api(revoke, {"id": created["apiToken"]["id"]}, token)).ok()

    assert (await api(VIEWER, token=secret)).codes == ["UNAUTHENTICATED"]


async def test_malformed_authorization_headers_are_unauthenticated(api: GraphQLClient) -> None:
    for header in ("Basic abc", "Bearer", "Bearer cpt_", "cpt_x", "Bearer " + "x" * 5000):
        reply = await api.http.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": header}
        )
        assert reply.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_removed_member_loses_access_on_the_next_request(api: GraphQLClient) -> None:
    project = await make_project()
    user, token = await make_user()
    await grant(user, project, ProjectRole.PROJECT_MEMBER)
    assert (await api(PROJECT, {"p": str(project.id)}, token)).ok()

    await Membership.filter(project=project, user=user).delete()

    assert (await api(PROJECT, {"p": str(project.id)}, token)).codes == ["NOT_FOUND"]


async def test_last_used_at_is_recorded(api: GraphQLClient) -> None:
    user, token = await make_user()
    before = datetime.now(UTC) - timedelta(seconds=5)

    (await api(VIEWER, token=token)).ok()

    used = (await PersonalAccessToken.get(user=user)).last_used_at
    assert used is not None
    assert used >= before
