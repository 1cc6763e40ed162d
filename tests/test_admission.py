"""Query.admission and GET /v1/admission: the project's API token asks whether a call may go
ahead; the answer follows settings, assistants and spend on the very next call, on every
replica."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kernel.cache import ResultCache
from models import AiModel, AssistantStatus, Project, ProjectRole
from tests.support.backends import Backend
from tests.support.factories import (
    grant,
    make_api_token,
    make_assistant,
    make_model,
    make_project,
    make_user,
    unique,
)
from tests.support.graphql_client import GraphQLClient, Response
from tests.support.replicas import replica

ADMISSION = """
query($m: ID!, $a: ID) { admission(modelId: $m, assistantId: $a) {
  allowed reason month remainingBudget } }"""
UPDATE = """
mutation($p: ID!, $input: ProjectSettingsInput!) {
  updateProjectSettings(projectId: $p, input: $input) { timezone }
}"""
RECORD = """
mutation($r: [RequestRecordInput!]!) { recordRequests(records: $r) { accepted } }"""
ROUTES = ("graphql", "json")


async def ask(
    api: GraphQLClient, route: str, secret: str | None, model: str, assistant: str | None = None
) -> Response:
    """Admission over GraphQL or plain JSON, the JSON answer shown as data.admission."""
    if route == "graphql":
        return await api(ADMISSION, {"m": model, "a": assistant}, secret)
    params = {"modelId": model} | ({} if assistant is None else {"assistantId": assistant})
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    reply = await api.http.get("/v1/admission", params=params, headers=headers)
    body = reply.json()
    if reply.status_code == 200:
        return Response(200, {"admission": body}, [], reply.text)
    return Response(reply.status_code, None, body["errors"], reply.text)


def answer(response: Response) -> dict[str, Any]:
    admission: dict[str, Any] = response.ok()["admission"]
    return admission


def spend(model: AiModel, usd: float) -> dict[str, Any]:
    return {
        "externalId": unique("r"),
        "createdAt": (datetime.now(UTC) - timedelta(seconds=5)).isoformat(),
        "status": "SUCCESS",
        "durationMs": 10,
        "modelId": str(model.id),
        "inputTokens": 1,
        "outputTokens": 1,
        "cost": usd,
    }


async def admin_of(project: Project) -> str:
    user, token = await make_user()
    await grant(user, project, ProjectRole.PROJECT_ADMIN)
    return token


@pytest.mark.parametrize("route", ROUTES)
async def test_every_reason(api: GraphQLClient, route: str) -> None:
    # given
    model, other = await make_model(), await make_model()
    project = await make_project(
        allowed_model_ids=[model.id], monthly_budget_nanos=10**9, enforce_budget=True
    )
    elsewhere = await make_project()
    active = await make_assistant(project, model=model)
    inactive = await make_assistant(project, status=AssistantStatus.INACTIVE)
    foreign = await make_assistant(elsewhere)
    _, secret = await make_api_token(project)
    m, o = str(model.id), str(other.id)

    # when / then
    assert answer(await ask(api, route, secret, m)) == {
        "allowed": True, "reason": None, "month": datetime.now(UTC).strftime("%Y-%m"),
        "remainingBudget": 1.0,
    }  # fmt: skip
    assert answer(await ask(api, route, secret, m, str(active.id)))["allowed"] is True
    assert answer(await ask(api, route, secret, "999999"))["reason"] == "MODEL_NOT_FOUND"
    assert answer(await ask(api, route, secret, o))["reason"] == "MODEL_NOT_ALLOWED"
    not_found = answer(await ask(api, route, secret, m, str(foreign.id)))
    assert not_found["reason"] == "ASSISTANT_NOT_FOUND"
    assert answer(await ask(api, route, secret, m, "424242"))["reason"] == "ASSISTANT_NOT_FOUND"
    inactive_answer = answer(await ask(api, route, secret, m, str(inactive.id)))
    assert inactive_answer == {
        "allowed": False, "reason": "ASSISTANT_INACTIVE", "month": inactive_answer["month"],
        "remainingBudget": 1.0,
    }  # fmt: skip
    (await api(RECORD, {"r": [spend(model, 1.0)]}, secret)).ok()
    exceeded = answer(await ask(api, route, secret, m))
    assert (exceeded["allowed"], exceeded["reason"], exceeded["remainingBudget"]) == (
        False, "BUDGET_EXCEEDED", 0.0,
    )  # fmt: skip


@pytest.mark.parametrize("route", ROUTES)
async def test_a_budget_without_enforcement_only_reports(api: GraphQLClient, route: str) -> None:
    model = await make_model()
    project = await make_project(monthly_budget_nanos=10**9)
    _, secret = await make_api_token(project)
    (await api(RECORD, {"r": [spend(model, 3.0)]}, secret)).ok()
    assert answer(await ask(api, route, secret, str(model.id))) | {"month": None} == {
        "allowed": True, "reason": None, "month": None, "remainingBudget": 0.0,
    }  # fmt: skip


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("model", "argument"), [("x", "modelId"), ("0", "modelId")])
async def test_a_bad_id_is_bad_user_input(
    api: GraphQLClient, route: str, model: str, argument: str
) -> None:
    project = await make_project()
    _, secret = await make_api_token(project)
    response = await ask(api, route, secret, model)
    assert response.codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["extensions"]["argument"] == argument
    if route == "json":
        assert response.status_code == 400


async def test_the_json_route_needs_the_model_and_knows_its_parameters(
    api: GraphQLClient,
) -> None:
    project = await make_project()
    _, secret = await make_api_token(project)
    headers = {"Authorization": f"Bearer {secret}"}
    missing = await api.http.get("/v1/admission", headers=headers)
    unknown = await api.http.get("/v1/admission?modelId=1&projectId=2", headers=headers)
    anonymous = await api.http.get("/v1/admission?modelId=1")
    assert (missing.status_code, missing.json()["errors"][0]["extensions"]["code"]) == (
        400, "BAD_USER_INPUT",
    )  # fmt: skip
    assert unknown.json()["errors"][0]["extensions"]["argument"] == "projectId"
    assert (anonymous.status_code, anonymous.json()["errors"][0]["extensions"]["code"]) == (
        401, "UNAUTHENTICATED",
    )  # fmt: skip


@pytest.mark.parametrize("route", ROUTES)
async def test_people_may_not_ask_admission(api: GraphQLClient, route: str) -> None:
    project = await make_project()
    token = await admin_of(project)
    model = await make_model()
    response = await ask(api, route, token, str(model.id))
    assert response.codes == ["FORBIDDEN"]
    if route == "json":
        assert response.status_code == 403


async def test_the_budget_reached_mid_ingestion_flips_admission_on_the_next_call(
    api: GraphQLClient,
) -> None:
    # given an enforced $1 budget, and an answer cached while below it
    model = await make_model()
    project = await make_project(monthly_budget_nanos=10**9, enforce_budget=True)
    _, secret = await make_api_token(project)
    for _ in range(3):
        (await api(RECORD, {"r": [spend(model, 0.3)]}, secret)).ok()
        assert answer(await ask(api, "graphql", secret, str(model.id)))["allowed"] is True

    # when the next batch reaches it
    (await api(RECORD, {"r": [spend(model, 0.1)]}, secret)).ok()

    # then
    assert answer(await ask(api, "json", secret, str(model.id)))["reason"] == "BUDGET_EXCEEDED"
    assert answer(await ask(api, "graphql", secret, str(model.id)))["reason"] == "BUDGET_EXCEEDED"


async def test_a_change_on_one_replica_shows_on_the_next_call_to_another(
    api: GraphQLClient, backend: Backend, workdir: Path
) -> None:
    # given two servers on one database (and one cache namespace), and answers cached on B
    model = await make_model()
    project = await make_project(monthly_budget_nanos=10**9)
    assistant = await make_assistant(project, model=model)
    _, secret = await make_api_token(project)
    admin = await admin_of(project)
    async with (
        replica(backend, workdir) as other_url,
        httpx.AsyncClient(base_url=other_url, timeout=30) as http,
    ):
        other = GraphQLClient(http)
        m, a = str(model.id), str(assistant.id)
        for route in ROUTES:
            assert answer(await ask(other, route, secret, m, a))["allowed"] is True

        # when A changes the settings, then B answers with them
        update = {"p": str(project.id), "input": {"allowedModelIds": []}}
        (await api(UPDATE, update, admin)).ok()
        for route in ROUTES:
            assert answer(await ask(other, route, secret, m, a))["reason"] == "MODEL_NOT_ALLOWED"

        # when A deactivates the assistant and allows the model again
        (await api(UPDATE, {"p": str(project.id), "input": {"allowedModelIds": None}}, admin)).ok()
        (
            await api(
                "mutation($id: ID!) { updateAssistant(id: $id, input: {status: INACTIVE}) { id } }",
                {"id": a},
                admin,
            )
        ).ok()
        for route in ROUTES:
            assert answer(await ask(other, route, secret, m, a))["reason"] == "ASSISTANT_INACTIVE"

        # when A enforces the budget and records what reaches it
        (await api(UPDATE, {"p": str(project.id), "input": {"enforceBudget": True}}, admin)).ok()
        (await api(RECORD, {"r": [spend(model, 1.0)]}, secret)).ok()
        for route in ROUTES:
            assert answer(await ask(other, route, secret, m))["reason"] == "BUDGET_EXCEEDED"


async def test_a_settled_answer_is_shared_and_kept_in_process(backend: Backend) -> None:
    # given the backend's cache (Redis for PostgreSQL)
    cache = ResultCache(backend.cache_url, unique("settled"))
    try:
        # when an answer is stored under its versioned key
        await cache.set_settled("admission:1:2:3", [True, None], 60)

        # then every worker finds it in the shared cache, and this one without asking it
        assert await cache.get("admission:1:2:3") == [True, None]
        assert await cache.get_settled("admission:1:2:3") == [True, None]
        assert await cache.get_settled("admission:9:9:9") is None
    finally:
        await cache.close()
