"""Models by the names gateways use: aliases set by the superuser (audited), read by the OTLP
and LiteLLM routes; an unknown name is refused, never priced at zero."""

import time

import httpx
import orjson
import pytest

from models import AiModelAlias, AuditEvent, ProjectRole, Request
from tests.support.backends import Backend
from tests.support.factories import (
    grant,
    make_api_token,
    make_model,
    make_project,
    make_user,
    unique,
)
from tests.support.genai_spans import NANOS, Call, SpanRecorder, export_body
from tests.support.graphql_client import GraphQLClient, bad_argument

CREATE_MODEL = """
mutation($name: String!, $aliases: [String!]) {
  createModel(input: {name: $name, provider: "openai", inputPricePerMillion: 2.5,
                      outputPricePerMillion: 10, aliases: $aliases}) { id name aliases }
}"""
SET_ALIASES = """
mutation($id: ID!, $aliases: [String!]!) {
  setModelAliases(id: $id, aliases: $aliases) { id aliases }
}"""
MODELS = "{ models { id aliases } }"


async def test_the_superuser_creates_a_model_with_aliases_and_replaces_them(
    api: GraphQLClient,
) -> None:
    # given
    root, secret = await make_user(superuser=True)
    name = unique("gpt-4o")
    dated, qualified = f"{name}-2024-08-06", f"openai/{name}"

    # when
    created = (await api(CREATE_MODEL, {"name": name, "aliases": [qualified]}, secret)).ok()
    model_id = created["createModel"]["id"]
    replaced = (
        await api(SET_ALIASES, {"id": model_id, "aliases": [qualified, dated]}, secret)
    ).ok()

    # then
    assert created["createModel"]["aliases"] == [qualified]
    assert replaced["setModelAliases"] == {"id": model_id, "aliases": sorted([dated, qualified])}
    listed = (await api(MODELS, token=secret)).ok()["models"]
    assert [m["aliases"] for m in listed if m["id"] == model_id] == [sorted([dated, qualified])]
    event = await AuditEvent.filter(action="model.set_aliases", target=f"model:{model_id}").get()
    assert (event.actor_id, event.details) == (
        root.id,
        {"before": [qualified], "after": sorted([dated, qualified])},
    )


async def test_an_alias_that_names_another_model_is_refused(api: GraphQLClient) -> None:
    # given
    _, secret = await make_user(superuser=True)
    first, second = await make_model(), await make_model()
    await AiModelAlias.create(model=first, alias=f"openai/{first.name}")

    # when: the other model's name, then the other model's alias
    by_name = await api(SET_ALIASES, {"id": str(second.id), "aliases": [first.name]}, secret)
    by_alias = await api(
        SET_ALIASES, {"id": str(second.id), "aliases": [f"openai/{first.name}"]}, secret
    )

    # then
    assert bad_argument(by_name) == "aliases"
    assert bad_argument(by_alias) == "aliases"
    assert await AiModelAlias.filter(model_id=second.id).count() == 0


@pytest.mark.parametrize("role", [ProjectRole.PROJECT_ADMIN, ProjectRole.PROJECT_MEMBER])
async def test_no_one_but_the_superuser_sets_aliases(api: GraphQLClient, role: ProjectRole) -> None:
    # given
    project = await make_project()
    user, secret = await make_user()
    await grant(user, project, role)
    model = await make_model()

    # when
    response = await api(SET_ALIASES, {"id": str(model.id), "aliases": ["x-" + model.name]}, secret)

    # then: refused, and nothing changed
    assert response.codes == ["FORBIDDEN"], response.raw
    assert await AiModelAlias.filter(model_id=model.id).count() == 0


async def test_spans_and_litellm_payloads_naming_an_alias_are_recorded_under_the_model(
    backend: Backend,
) -> None:
    # given
    project = await make_project()
    model = await make_model()
    dated = f"openai/{model.name}-2024-08-06"
    await AiModelAlias.create(model=model, alias=dated)
    _, secret = await make_api_token(project)
    recorder = SpanRecorder()
    span = recorder.chat(
        Call(dated, (time.time_ns() // NANOS - 60) * NANOS, NANOS, attributes={"a": 1})
    )
    context = span.get_span_context()
    assert context is not None
    start = time.time() - 60
    payload = {
        "id": unique("litellm"),
        "startTime": start,
        "endTime": start + 1,
        "model": f"{model.name}-2024-08-06",
        "custom_llm_provider": "openai",
        "prompt_tokens": 5,
        "completion_tokens": 1,
    }

    # when
    async with httpx.AsyncClient(base_url=backend.server_url, timeout=30) as http:
        headers = {"Authorization": f"Bearer {secret}"}
        traces = await http.post(
            "/v1/traces",
            content=export_body("json", recorder.spans()),
            headers=headers | {"Content-Type": "application/json"},
        )
        litellm = await http.post("/v1/litellm", content=orjson.dumps([payload]), headers=headers)

    # then
    assert (traces.status_code, traces.json()) == (200, {})
    assert litellm.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    rows = await Request.filter(project_id=project.id).order_by("external_id")
    assert sorted((row.external_id, row.model_id) for row in rows) == sorted(
        [
            (f"otel:{context.trace_id:032x}:{context.span_id:016x}", model.id),
            (payload["id"], model.id),
        ]
    )
