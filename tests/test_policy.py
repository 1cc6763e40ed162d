"""The rules of policy.polar on their own, with plain facts and no database."""

import pytest

from comptroller.settings import REPOSITORY_ROOT
from kernel.authorization import PLATFORM, Policy, ProjectResource
from kernel.principals import ApiClientPrincipal, UserPrincipal

PROJECT = ProjectResource(7)
ASSISTANT_USER = {"read", "read_active_assistants"}
MEMBER = ASSISTANT_USER | {
    "read_all_assistants",
    "create_assistant",
    "update_assistant",
    "read_requests",
    "read_usage",
    "read_api_tokens",
    "create_api_token",
    "revoke_api_token",
}
ADMIN = MEMBER | {
    "read_members",
    "manage_members",
    "read_settings",
    "update_settings",
    "read_user_activity",
    "read_audit_log",
}


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy(REPOSITORY_ROOT / "policy.polar")


def user(*roles: str, superuser: bool = False, project_id: int = 7) -> UserPrincipal:
    return UserPrincipal(1, "a@example.com", "A", superuser, {project_id: frozenset(roles)})


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ((), set()),
        (("ASSISTANT_USER",), ASSISTANT_USER),
        (("PROJECT_MEMBER",), MEMBER),
        (("PROJECT_ADMIN",), ADMIN),
        (("ASSISTANT_USER", "PROJECT_MEMBER"), MEMBER),
        (("ASSISTANT_USER", "PROJECT_ADMIN"), ADMIN),
    ],
)
def test_project_roles_grant_exactly_their_permissions(
    policy: Policy, roles: tuple[str, ...], expected: set[str]
) -> None:
    assert policy.actions(user(*roles), PROJECT) == expected


def test_roles_in_one_project_grant_nothing_in_another(policy: Policy) -> None:
    assert policy.actions(user("PROJECT_ADMIN", project_id=8), PROJECT) == frozenset()


def test_superuser_administers_every_project(policy: Policy) -> None:
    assert policy.actions(user(superuser=True), PROJECT) == ADMIN


def test_only_superusers_manage_the_catalogue(policy: Policy) -> None:
    operator = {
        "use_console",
        "list_all_projects",
        "create_project",
        "create_user",
        "create_model",
        "update_model",
    }
    assert policy.actions(user(superuser=True), PLATFORM) == operator
    assert policy.actions(user("PROJECT_ADMIN"), PLATFORM) == {"use_console"}


def test_api_client_reports_into_its_own_project_only(policy: Policy) -> None:
    client = ApiClientPrincipal(token_id=3, project_id=7)
    assert policy.actions(client, PROJECT) == {"record_requests", "check_admission"}
    assert policy.actions(client, ProjectResource(8)) == frozenset()
    assert policy.actions(client, PLATFORM) == {"use_gateway"}


def test_people_never_use_the_gateway(policy: Policy) -> None:
    assert "use_gateway" not in policy.actions(user(superuser=True), PLATFORM)
    assert "record_requests" not in policy.actions(user(superuser=True), PROJECT)


def test_remembered_answers_follow_the_facts_not_the_actor(policy: Policy) -> None:
    # given two users with the same roles, one asked about first
    first = UserPrincipal(1, "a@example.com", "A", False, {7: frozenset({"PROJECT_MEMBER"})})
    second = UserPrincipal(2, "b@example.com", "B", False, {7: frozenset({"ASSISTANT_USER"})})
    policy.actions(first, PROJECT)
    # then the second gets its own answer
    assert policy.actions(second, PROJECT) == ASSISTANT_USER
