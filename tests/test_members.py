"""Who holds which roles in a project: listing, paging, adding, changing and revoking.

Administrators govern membership; a project never loses its last PROJECT_ADMIN, a change of
roles takes effect on the very next request, and every change leaves an audit event.
"""

import base64
import json
from datetime import UTC
from typing import Any

import pytest

from models import Membership, Project, ProjectRole, User
from tests.support.factories import grant, make_project, make_user, unique
from tests.support.graphql_client import GraphQLClient, bad_argument
from tests.support.snapshots import snapshot

MEMBERS = """
query($p: ID!, $first: Int, $after: String) {
  project(id: $p) {
    members(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { user { id email } roles createdAt } }
    }
  }
}"""
PROJECT = "query($p: ID!) { project(id: $p) { id viewerRoles } }"
PROJECTS_CURSOR = "{ projects(first: 1) { pageInfo { endCursor } } }"
AUDIT_CURSOR = (
    "query($p: ID!) { project(id: $p) { auditLog(first: 1) { pageInfo { endCursor } } } }"
)
AUDIT_LOG = """
query($p: ID!) {
  project(id: $p) {
    auditLog { totalCount edges { node { action target actor { email } } } }
  }
}"""
ADD_MEMBER = """
mutation($p: ID!, $email: String!, $roles: [ProjectRole!]!) {
  addMember(projectId: $p, email: $email, roles: $roles) { user { id email } roles createdAt }
}"""
SET_MEMBER_ROLES = """
mutation($p: ID!, $u: ID!, $roles: [ProjectRole!]!) {
  setMemberRoles(projectId: $p, userId: $u, roles: $roles) { user { id email } roles }
}"""
REMOVE_MEMBER = "mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) }"


async def project_with_admin() -> tuple[Project, User, str]:
    project = await make_project()
    admin, token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    return project, admin, token


async def list_members(
    api: GraphQLClient, project: Project, token: str, **arguments: Any
) -> dict[str, Any]:
    data = (await api(MEMBERS, {"p": str(project.id), **arguments}, token)).ok()
    members: dict[str, Any] = data["project"]["members"]
    return members


def encoded_cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


async def test_members_are_listed_by_email_with_roles_and_creation_time(
    api: GraphQLClient,
) -> None:
    # given
    tag = unique("team")
    project = await make_project()
    admin, token = await make_user(name=f"{tag}-dora")
    carol, _ = await make_user(name=f"{tag}-carol")
    alice, _ = await make_user(name=f"{tag}-alice")
    bob, _ = await make_user(name=f"{tag}-bob")
    memberships = {
        admin.id: await grant(admin, project, ProjectRole.PROJECT_ADMIN),
        carol.id: await grant(carol, project, ProjectRole.ASSISTANT_USER),
        alice.id: await grant(
            alice, project, ProjectRole.PROJECT_MEMBER, ProjectRole.ASSISTANT_USER
        ),
        bob.id: await grant(bob, project, ProjectRole.PROJECT_MEMBER),
    }

    # when
    members = await list_members(api, project, token)

    # then
    nodes = [edge["node"] for edge in members["edges"]]
    assert [node["user"]["email"] for node in nodes] == [
        f"{tag}-alice@example.com",
        f"{tag}-bob@example.com",
        f"{tag}-carol@example.com",
        f"{tag}-dora@example.com",
    ]
    assert [sorted(node["roles"]) for node in nodes] == [
        ["ASSISTANT_USER", "PROJECT_MEMBER"],
        ["PROJECT_MEMBER"],
        ["ASSISTANT_USER"],
        ["PROJECT_ADMIN"],
    ]
    assert [node["createdAt"] for node in nodes] == [
        memberships[int(node["user"]["id"])].created_at.astimezone(UTC).isoformat()
        for node in nodes
    ]
    assert all(node["createdAt"].endswith("+00:00") for node in nodes)
    assert members["totalCount"] == 4
    assert members["pageInfo"] == {
        "hasNextPage": False,
        "endCursor": members["edges"][-1]["cursor"],
    }


async def test_paging_walks_every_member_once_without_gaps(api: GraphQLClient) -> None:
    # given seven members
    tag = unique("crew")
    project = await make_project()
    admin, token = await make_user(name=f"{tag}-a0")
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    for index in range(1, 7):
        user, _ = await make_user(name=f"{tag}-a{index}")
        await grant(user, project, ProjectRole.ASSISTANT_USER)

    # when walking them three at a time
    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = await list_members(api, project, token, first=3, after=after)
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # then
    assert [len(page["edges"]) for page in pages] == [3, 3, 1]
    assert [page["totalCount"] for page in pages] == [7, 7, 7]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, False]
    assert [page["pageInfo"]["endCursor"] for page in pages] == [
        page["edges"][-1]["cursor"] for page in pages
    ]
    emails = [edge["node"]["user"]["email"] for page in pages for edge in page["edges"]]
    assert emails == [f"{tag}-a{index}@example.com" for index in range(7)]


async def test_a_page_after_the_last_member_is_empty(api: GraphQLClient) -> None:
    project, _, token = await project_with_admin()
    last = (await list_members(api, project, token))["pageInfo"]["endCursor"]

    members = await list_members(api, project, token, after=last)

    assert members == {
        "totalCount": 1,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_page_size_outside_one_to_a_hundred_is_bad_user_input(
    api: GraphQLClient, first: int
) -> None:
    project, _, token = await project_with_admin()

    response = await api(MEMBERS, {"p": str(project.id), "first": first}, token)

    assert bad_argument(response) == "first"


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("abc", id="not-base64-json"),
        pytest.param("!!!", id="not-base64"),
        pytest.param(encoded_cursor("members", 1, "x@example.com"), id="keys-swapped"),
        pytest.param(encoded_cursor("members", "x@example.com"), id="too-short"),
        pytest.param(encoded_cursor("audit", "x@example.com", 1), id="other-list-tag"),
        pytest.param(encoded_cursor({"members": 1}), id="not-a-list"),
    ],
)
async def test_tampered_cursor_is_bad_user_input(api: GraphQLClient, cursor: str) -> None:
    project, _, token = await project_with_admin()

    response = await api(MEMBERS, {"p": str(project.id), "after": cursor}, token)

    assert bad_argument(response) == "after"


async def test_cursor_of_another_list_is_bad_user_input(api: GraphQLClient) -> None:
    # given real cursors of the projects list and of the audit log
    project, _, token = await project_with_admin()
    newcomer, _ = await make_user()
    (
        await api(
            ADD_MEMBER,
            {"p": str(project.id), "email": newcomer.email, "roles": ["ASSISTANT_USER"]},
            token,
        )
    ).ok()
    projects_cursor = (await api(PROJECTS_CURSOR, token=token)).ok()["projects"]["pageInfo"][
        "endCursor"
    ]
    audit_cursor = (await api(AUDIT_CURSOR, {"p": str(project.id)}, token)).ok()["project"][
        "auditLog"
    ]["pageInfo"]["endCursor"]

    for cursor in (projects_cursor, audit_cursor):
        # when one is handed to the members list
        response = await api(MEMBERS, {"p": str(project.id), "after": cursor}, token)

        # then
        assert bad_argument(response) == "after"


async def test_admin_adds_a_member_by_email_with_several_roles(api: GraphQLClient) -> None:
    # given
    project, _, token = await project_with_admin()
    newcomer, newcomer_token = await make_user()

    # when
    response = await api(
        ADD_MEMBER,
        {
            "p": str(project.id),
            "email": newcomer.email,
            "roles": ["PROJECT_MEMBER", "ASSISTANT_USER"],
        },
        token,
    )

    # then
    added = response.ok()["addMember"]
    assert added["user"] == {"id": str(newcomer.id), "email": newcomer.email}
    assert sorted(added["roles"]) == ["ASSISTANT_USER", "PROJECT_MEMBER"]
    stored = await Membership.get(project=project, user=newcomer)
    assert added["createdAt"] == stored.created_at.astimezone(UTC).isoformat()
    seen = (await api(PROJECT, {"p": str(project.id)}, newcomer_token)).ok()
    assert sorted(seen["project"]["viewerRoles"]) == ["ASSISTANT_USER", "PROJECT_MEMBER"]


async def test_add_member_finds_the_user_whatever_the_case_of_the_email(
    api: GraphQLClient,
) -> None:
    project, _, token = await project_with_admin()
    newcomer, _ = await make_user()

    response = await api(
        ADD_MEMBER,
        {
            "p": str(project.id),
            "email": f"  {newcomer.email.upper()} ",
            "roles": ["ASSISTANT_USER"],
        },
        token,
    )

    assert response.ok()["addMember"]["user"]["id"] == str(newcomer.id)


async def test_adding_an_unknown_email_is_not_found(api: GraphQLClient) -> None:
    project, _, token = await project_with_admin()
    before = await snapshot(project)

    response = await api(
        ADD_MEMBER,
        {
            "p": str(project.id),
            "email": unique("nobody") + "@example.com",
            "roles": ["ASSISTANT_USER"],
        },
        token,
    )

    assert response.codes == ["NOT_FOUND"], response.raw
    assert await snapshot(project) == before


async def test_adding_someone_who_is_already_a_member_is_bad_user_input(
    api: GraphQLClient,
) -> None:
    # given
    project, _, token = await project_with_admin()
    member, _ = await make_user()
    await grant(member, project, ProjectRole.ASSISTANT_USER)
    before = await snapshot(project)

    # when
    response = await api(
        ADD_MEMBER,
        {"p": str(project.id), "email": member.email, "roles": ["PROJECT_ADMIN"]},
        token,
    )

    # then
    assert bad_argument(response) == "email"
    assert await snapshot(project) == before


async def test_adding_a_member_without_roles_is_bad_user_input(api: GraphQLClient) -> None:
    project, _, token = await project_with_admin()
    newcomer, _ = await make_user()
    before = await snapshot(project)

    response = await api(
        ADD_MEMBER, {"p": str(project.id), "email": newcomer.email, "roles": []}, token
    )

    assert bad_argument(response) == "roles"
    assert await snapshot(project) == before


@pytest.mark.parametrize("email", ["not-an-email", "", "a@b", "two@@example.com"])
async def test_adding_a_malformed_email_is_bad_user_input(api: GraphQLClient, email: str) -> None:
    project, _, token = await project_with_admin()

    response = await api(
        ADD_MEMBER, {"p": str(project.id), "email": email, "roles": ["ASSISTANT_USER"]}, token
    )

    assert bad_argument(response) == "email"


async def test_set_member_roles_replaces_the_roles(api: GraphQLClient) -> None:
    # given
    project, _, token = await project_with_admin()
    member, _ = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER, ProjectRole.ASSISTANT_USER)

    # when
    response = await api(
        SET_MEMBER_ROLES,
        {"p": str(project.id), "u": str(member.id), "roles": ["PROJECT_ADMIN"]},
        token,
    )

    # then
    assert response.ok()["setMemberRoles"] == {
        "user": {"id": str(member.id), "email": member.email},
        "roles": ["PROJECT_ADMIN"],
    }
    assert (await Membership.get(project=project, user=member)).roles == ["PROJECT_ADMIN"]


async def test_setting_roles_of_a_user_who_is_not_a_member_is_not_found(
    api: GraphQLClient,
) -> None:
    project, _, token = await project_with_admin()
    outsider, _ = await make_user()
    before = await snapshot(project)

    response = await api(
        SET_MEMBER_ROLES,
        {"p": str(project.id), "u": str(outsider.id), "roles": ["ASSISTANT_USER"]},
        token,
    )

    assert response.codes == ["NOT_FOUND"], response.raw
    assert await snapshot(project) == before


async def test_setting_no_roles_is_bad_user_input(api: GraphQLClient) -> None:
    project, _, token = await project_with_admin()
    member, _ = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    before = await snapshot(project)

    response = await api(
        SET_MEMBER_ROLES, {"p": str(project.id), "u": str(member.id), "roles": []}, token
    )

    assert bad_argument(response) == "roles"
    assert await snapshot(project) == before


async def test_admin_removes_a_member(api: GraphQLClient) -> None:
    # given
    project, _, token = await project_with_admin()
    member, _ = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)

    # when
    response = await api(REMOVE_MEMBER, {"p": str(project.id), "u": str(member.id)}, token)

    # then
    assert response.ok() == {"removeMember": True}
    members = await list_members(api, project, token)
    assert members["totalCount"] == 1
    assert str(member.id) not in [edge["node"]["user"]["id"] for edge in members["edges"]]


async def test_removing_a_user_who_is_not_a_member_is_not_found(api: GraphQLClient) -> None:
    project, _, token = await project_with_admin()
    outsider, _ = await make_user()
    before = await snapshot(project)

    response = await api(REMOVE_MEMBER, {"p": str(project.id), "u": str(outsider.id)}, token)

    assert response.codes == ["NOT_FOUND"], response.raw
    assert await snapshot(project) == before


async def test_admin_cannot_remove_the_last_admin(api: GraphQLClient) -> None:
    # given a project whose only administrator is the caller
    project, admin, token = await project_with_admin()
    member, _ = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    before = await snapshot(project)

    # when they remove themselves
    response = await api(REMOVE_MEMBER, {"p": str(project.id), "u": str(admin.id)}, token)

    # then
    assert bad_argument(response) == "userId"
    assert "PROJECT_ADMIN" in response.errors[0]["message"]
    assert await snapshot(project) == before


async def test_admin_cannot_demote_the_last_admin(api: GraphQLClient) -> None:
    project, admin, token = await project_with_admin()
    before = await snapshot(project)

    response = await api(
        SET_MEMBER_ROLES,
        {"p": str(project.id), "u": str(admin.id), "roles": ["PROJECT_MEMBER", "ASSISTANT_USER"]},
        token,
    )

    assert bad_argument(response) == "roles"
    assert await snapshot(project) == before


async def test_superuser_cannot_remove_the_last_admin_either(api: GraphQLClient) -> None:
    # the operator acts as an administrator everywhere but holds no membership to fall back on
    project, admin, _ = await project_with_admin()
    _, root = await make_user(superuser=True)
    before = await snapshot(project)

    response = await api(REMOVE_MEMBER, {"p": str(project.id), "u": str(admin.id)}, root)

    assert bad_argument(response) == "userId"
    assert await snapshot(project) == before


async def test_an_admin_may_step_down_while_another_admin_remains(api: GraphQLClient) -> None:
    # given two administrators
    project, admin, token = await project_with_admin()
    other_admin, _ = await make_user()
    await grant(other_admin, project, ProjectRole.PROJECT_ADMIN)

    # when one demotes themselves
    response = await api(
        SET_MEMBER_ROLES,
        {"p": str(project.id), "u": str(admin.id), "roles": ["PROJECT_MEMBER"]},
        token,
    )

    # then
    assert response.ok()["setMemberRoles"]["roles"] == ["PROJECT_MEMBER"]
    assert (await Membership.get(project=project, user=admin)).roles == ["PROJECT_MEMBER"]


async def test_an_admin_may_be_removed_while_another_admin_remains(api: GraphQLClient) -> None:
    project, _, token = await project_with_admin()
    other_admin, _ = await make_user()
    await grant(other_admin, project, ProjectRole.PROJECT_ADMIN)

    response = await api(REMOVE_MEMBER, {"p": str(project.id), "u": str(other_admin.id)}, token)

    assert response.ok() == {"removeMember": True}
    assert not await Membership.exists(project=project, user=other_admin)


async def test_removed_user_loses_access_on_the_very_next_request(api: GraphQLClient) -> None:
    # given a member who can read the project
    project, _, token = await project_with_admin()
    member, member_token = await make_user()
    await grant(member, project, ProjectRole.ASSISTANT_USER)
    assert (await api(PROJECT, {"p": str(project.id)}, member_token)).ok()

    # when an administrator removes them
    (await api(REMOVE_MEMBER, {"p": str(project.id), "u": str(member.id)}, token)).ok()

    # then
    response = await api(PROJECT, {"p": str(project.id)}, member_token)
    assert response.codes == ["NOT_FOUND"], response.raw
    assert response.data == {"project": None}


async def test_admin_demoted_to_assistant_user_is_forbidden_members_at_once(
    api: GraphQLClient,
) -> None:
    # given two administrators, one of whom reads the members
    project, _, token = await project_with_admin()
    demoted, demoted_token = await make_user()
    await grant(demoted, project, ProjectRole.PROJECT_ADMIN)
    assert (await list_members(api, project, demoted_token))["totalCount"] == 2

    # when the other shrinks their roles to ASSISTANT_USER
    (
        await api(
            SET_MEMBER_ROLES,
            {"p": str(project.id), "u": str(demoted.id), "roles": ["ASSISTANT_USER"]},
            token,
        )
    ).ok()

    # then the next request sees the new roles
    members = await api(MEMBERS, {"p": str(project.id)}, demoted_token)
    assert members.codes == ["FORBIDDEN"], members.raw
    seen = (await api(PROJECT, {"p": str(project.id)}, demoted_token)).ok()
    assert seen["project"]["viewerRoles"] == ["ASSISTANT_USER"]


async def test_each_membership_change_is_in_the_audit_log(api: GraphQLClient) -> None:
    # given
    project, admin, token = await project_with_admin()
    newcomer, _ = await make_user()
    p = str(project.id)

    # when
    (
        await api(ADD_MEMBER, {"p": p, "email": newcomer.email, "roles": ["ASSISTANT_USER"]}, token)
    ).ok()
    (
        await api(
            SET_MEMBER_ROLES, {"p": p, "u": str(newcomer.id), "roles": ["PROJECT_MEMBER"]}, token
        )
    ).ok()
    (await api(REMOVE_MEMBER, {"p": p, "u": str(newcomer.id)}, token)).ok()

    # then newest first
    log = (await api(AUDIT_LOG, {"p": p}, token)).ok()["project"]["auditLog"]
    target = f"user:{newcomer.id}"
    actor = {"email": admin.email}
    assert log["totalCount"] == 3
    assert [edge["node"] for edge in log["edges"]] == [
        {"action": "member.remove", "target": target, "actor": actor},
        {"action": "member.set_roles", "target": target, "actor": actor},
        {"action": "member.add", "target": target, "actor": actor},
    ]


async def test_a_refused_membership_change_writes_no_audit_event(api: GraphQLClient) -> None:
    project, admin, token = await project_with_admin()

    refused = await api(REMOVE_MEMBER, {"p": str(project.id), "u": str(admin.id)}, token)

    assert refused.codes == ["BAD_USER_INPUT"]
    log = (await api(AUDIT_LOG, {"p": str(project.id)}, token)).ok()["project"]["auditLog"]
    assert log == {"totalCount": 0, "edges": []}
