"""updateProjectSettings: a partial update, every value checked before anything is written,
one audit event per effective change (none for a change that changes nothing), and the
settings acting where they should: dashboards' and budgets' zone, admission, token lifetimes.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models import AuditEvent, Project, ProjectRole, ProjectSettings, User
from tests.support.factories import (
    grant,
    make_api_token,
    make_model,
    make_project,
    make_user,
    unique,
)
from tests.support.graphql_client import GraphQLClient
from tests.support.snapshots import snapshot

FIELDS = (
    "timezone monthlyBudget budgetAlertThresholds enforceBudget allowedModelIds "
    "storeRequestContent retentionDays apiTokenMaxLifetimeDays alertWebhookUrl "
    "alertWebhookSecret"
)
UPDATE = f"""
mutation($p: ID!, $input: ProjectSettingsInput!) {{
  updateProjectSettings(projectId: $p, input: $input) {{ {FIELDS} }}
}}"""
SETTINGS = f"query($p: ID!) {{ project(id: $p) {{ settings {{ {FIELDS} }} }} }}"
CREATE_TOKEN = """
mutation($p: ID!, $at: DateTime) {
  createApiToken(projectId: $p, name: "gw", expiresAt: $at) { apiToken { id } }
}"""
RECORD = """
mutation($r: [RequestRecordInput!]!) { recordRequests(records: $r) { accepted } }"""
ADMISSION = "query($m: ID!) { admission(modelId: $m) { allowed reason } }"
DEFAULTS = {
    "timezone": "UTC",
    "monthlyBudget": None,
    "budgetAlertThresholds": [50.0, 80.0, 100.0],
    "enforceBudget": False,
    "allowedModelIds": None,
    "storeRequestContent": True,
    "retentionDays": None,
    "apiTokenMaxLifetimeDays": None,
    "alertWebhookUrl": None,
    "alertWebhookSecret": None,
}


async def project_with_admin() -> tuple[Project, User, str]:
    project = await make_project()
    admin, token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    return project, admin, token


async def update(api: GraphQLClient, project: Project, token: str, **values: Any) -> dict[str, Any]:
    data = (await api(UPDATE, {"p": str(project.id), "input": values}, token)).ok()
    settings: dict[str, Any] = data["updateProjectSettings"]
    return settings


async def events(project: Project) -> list[AuditEvent]:
    return await AuditEvent.filter(project_id=project.id, action="settings.update").order_by("id")


async def test_a_partial_update_changes_the_fields_named_and_keeps_the_others(
    api: GraphQLClient,
) -> None:
    # given
    project, _, token = await project_with_admin()
    model = await make_model()

    # when
    first = await update(
        api, project, token, timezone="Pacific/Auckland", monthlyBudget=250.5,
        budgetAlertThresholds=[100, 50, 75.5], allowedModelIds=[str(model.id)],
    )  # fmt: skip
    second = await update(api, project, token, retentionDays=30, enforceBudget=True)

    # then
    expected = DEFAULTS | {
        "timezone": "Pacific/Auckland",
        "monthlyBudget": 250.5,
        "budgetAlertThresholds": [50.0, 75.5, 100.0],
        "allowedModelIds": [str(model.id)],
    }
    assert first == expected
    assert second == expected | {"retentionDays": 30, "enforceBudget": True}
    read = (await api(SETTINGS, {"p": str(project.id)}, token)).ok()["project"]["settings"]
    assert read == second


async def test_null_clears_a_setting_or_puts_it_back_to_its_default(api: GraphQLClient) -> None:
    # given
    project, _, token = await project_with_admin()
    model = await make_model()
    await update(
        api, project, token, timezone="Europe/Paris", monthlyBudget=10, enforceBudget=True,
        allowedModelIds=[str(model.id)], storeRequestContent=False, retentionDays=7,
        apiTokenMaxLifetimeDays=90,
    )  # fmt: skip

    # when
    cleared = await update(
        api, project, token, timezone=None, monthlyBudget=None, budgetAlertThresholds=None,
        enforceBudget=None, allowedModelIds=None, storeRequestContent=None, retentionDays=None,
        apiTokenMaxLifetimeDays=None,
    )  # fmt: skip

    # then
    assert cleared == DEFAULTS | {"budgetAlertThresholds": []}


INVALID = [
    ("timezone", "Mars/Olympus"),
    ("timezone", "../../etc/passwd"),
    ("monthlyBudget", -0.01),
    ("monthlyBudget", 2e9),
    ("budgetAlertThresholds", [0.5]),
    ("budgetAlertThresholds", [1001]),
    ("budgetAlertThresholds", [50, 80, 50]),
    ("allowedModelIds", ["999999"]),
    ("allowedModelIds", ["not-an-id"]),
    ("retentionDays", 0),
    ("retentionDays", -3),
    ("apiTokenMaxLifetimeDays", 0),
    ("alertWebhookUrl", "ftp://example.com/hook"),
    ("alertWebhookUrl", "https://user:pw@example.com/hook"),
    ("alertWebhookUrl", "not a url"),
]


@pytest.mark.parametrize(("field", "value"), INVALID, ids=[f"{f}={v}" for f, v in INVALID])
async def test_an_invalid_value_is_refused_naming_it_and_nothing_changes(
    api: GraphQLClient, field: str, value: Any
) -> None:
    # given a valid change next to the invalid one
    project, _, token = await project_with_admin()
    before = await snapshot(project)

    # when
    response = await api(
        UPDATE, {"p": str(project.id), "input": {"retentionDays": 5, field: value}}, token
    )

    # then
    assert response.codes == ["BAD_USER_INPUT"], response.raw
    assert response.errors[0]["extensions"]["argument"] == f"input.{field}"
    assert await snapshot(project) == before


async def test_each_effective_change_is_audited_with_before_and_after(
    api: GraphQLClient,
) -> None:
    # given
    project, admin, token = await project_with_admin()

    # when
    await update(api, project, token, timezone="America/Sao_Paulo", monthlyBudget=100)
    await update(api, project, token, timezone="America/Sao_Paulo", monthlyBudget=100)  # no-op
    await update(api, project, token, monthlyBudget=120, retentionDays=None)  # retention: same

    # then
    recorded = await events(project)
    assert [(e.actor_id, e.target, e.details) for e in recorded] == [
        (
            admin.id,
            f"project:{project.id}",
            {
                "before": {"timezone": "UTC", "monthlyBudget": None},
                "after": {"timezone": "America/Sao_Paulo", "monthlyBudget": 100.0},
            },
        ),
        (
            admin.id,
            f"project:{project.id}",
            {"before": {"monthlyBudget": 100.0}, "after": {"monthlyBudget": 120.0}},
        ),
    ]


async def test_a_refused_change_records_no_event(api: GraphQLClient) -> None:
    project, _, token = await project_with_admin()
    response = await api(
        UPDATE, {"p": str(project.id), "input": {"timezone": "Nowhere/Atall"}}, token
    )
    assert response.codes == ["BAD_USER_INPUT"]
    assert await events(project) == []


async def test_a_webhook_url_gets_a_secret_shown_once_and_never_audited(
    api: GraphQLClient,
) -> None:
    # given
    project, _, token = await project_with_admin()

    # when
    made = await update(api, project, token, alertWebhookUrl="https://hooks.example.com/a")
    read = (await api(SETTINGS, {"p": str(project.id)}, token)).ok()["project"]["settings"]
    rotated = (
        await api(
            "mutation($p: ID!) { rotateAlertWebhookSecret(projectId: $p) "
            "{ alertWebhookUrl alertWebhookSecret } }",
            {"p": str(project.id)},
            token,
        )
    ).ok()["rotateAlertWebhookSecret"]

    # then
    secret = made["alertWebhookSecret"]
    assert secret.startswith("whsec_")
    assert read["alertWebhookUrl"] == "https://hooks.example.com/a"
    assert read["alertWebhookSecret"] is None
    assert rotated["alertWebhookSecret"] not in (None, secret)
    stored = await ProjectSettings.get(project_id=project.id)
    assert stored.alert_webhook_secret == rotated["alertWebhookSecret"]
    audited = await AuditEvent.filter(project_id=project.id).values_list("details", flat=True)
    assert audited
    assert all(secret not in str(d) and rotated["alertWebhookSecret"] not in str(d)
               for d in audited)  # fmt: skip


async def test_the_token_lifetime_limit_bounds_create_api_token(api: GraphQLClient) -> None:
    # given
    project, _, token = await project_with_admin()
    await update(api, project, token, apiTokenMaxLifetimeDays=7)
    soon = (datetime.now(UTC) + timedelta(days=6)).isoformat()
    late = (datetime.now(UTC) + timedelta(days=8)).isoformat()

    # when
    without = await api(CREATE_TOKEN, {"p": str(project.id)}, token)
    too_late = await api(CREATE_TOKEN, {"p": str(project.id), "at": late}, token)
    within = await api(CREATE_TOKEN, {"p": str(project.id), "at": soon}, token)

    # then
    assert without.codes == ["BAD_USER_INPUT"]
    assert too_late.codes == ["BAD_USER_INPUT"]
    within.ok()


async def test_the_timezone_is_the_default_of_the_dashboards(api: GraphQLClient) -> None:
    # given
    project, _, token = await project_with_admin()
    await update(api, project, token, timezone="Asia/Kolkata")
    query = """
    query($p: ID!) { project(id: $p) {
      usage(range: {from: "2026-03-01T00:00:00Z", to: "2026-03-02T00:00:00Z"}) {
        timeline { start } } } }"""

    # when
    data = (await api(query, {"p": str(project.id)}, token)).ok()

    # then the local days start at 18:30 UTC
    starts = [bucket["start"] for bucket in data["project"]["usage"]["timeline"]]
    assert starts == ["2026-02-28T18:30:00+00:00", "2026-03-01T18:30:00+00:00"]


async def test_allowed_models_act_through_admission_and_recording_refuses_none(
    api: GraphQLClient,
) -> None:
    # given a project that allows one model only
    project, _, token = await project_with_admin()
    allowed, other = await make_model(), await make_model()
    await update(api, project, token, allowedModelIds=[str(allowed.id)])
    _, secret = await make_api_token(project)
    record = {
        "externalId": unique("r"), "createdAt": datetime.now(UTC).isoformat(),
        "status": "SUCCESS", "durationMs": 5, "modelId": str(other.id), "inputTokens": 1,
        "outputTokens": 1,
    }  # fmt: skip

    # when
    recorded = await api(RECORD, {"r": [record]}, secret)
    asked = await api(ADMISSION, {"m": str(other.id)}, secret)

    # then
    assert recorded.ok()["recordRequests"] == {"accepted": 1}
    assert asked.ok()["admission"] == {"allowed": False, "reason": "MODEL_NOT_ALLOWED"}
