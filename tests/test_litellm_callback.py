"""``POST /v1/litellm``: LiteLLM's Python SDK, with ``mock_response`` and its own
``generic_api`` logger pointed at the live server, records each call; what LiteLLM logged
(its StandardLoggingPayload) is compared field by field with what was stored."""

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

# The model price map that ships with the package, not the one online.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm
from litellm.integrations.custom_logger import CustomLogger
from litellm.integrations.generic_api.generic_api_callback import GenericAPILogger

from models import AiModel, Project, ProjectRole, Request, RequestStatus
from tests.support.backends import Backend
from tests.support.factories import (
    grant,
    make_api_token,
    make_model,
    make_project,
    make_user,
    unique,
)

pytestmark = pytest.mark.filterwarnings(
    # LiteLLM's aiohttp transport raises in its own __del__ when the interpreter collects it
    # (a TypeError inside LiteLLM, reported as unraisable); nothing of ours is involved.
    "ignore::pytest.PytestUnraisableExceptionWarning",
    "ignore::DeprecationWarning",
    # Pydantic's note on LiteLLM's own TypedDicts when LiteLLM builds its models.
    "ignore:.*ReadOnly.*:UserWarning",
)


class Kept(CustomLogger):
    """Keeps the StandardLoggingPayload of every call, as LiteLLM hands it to loggers."""

    def __init__(self) -> None:
        super().__init__()
        self.payloads: list[dict[str, Any]] = []

    async def async_log_success_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.payloads.append(kwargs["standard_logging_object"])

    async def async_log_failure_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.payloads.append(kwargs["standard_logging_object"])


async def stored(project: Project) -> dict[str, Request]:
    return {row.external_id: row for row in await Request.filter(project_id=project.id)}


async def gpt_4o() -> AiModel:
    """The catalog's gpt-4o, by the provider-qualified name LiteLLM reports it under."""
    model, _ = await AiModel.get_or_create(
        name="openai/gpt-4o",
        defaults={
            "provider": "openai",
            "input_price_per_million_nanos": 2_500_000_000,
            "output_price_per_million_nanos": 10_000_000_000,
        },
    )
    return model


async def test_litellm_calls_are_recorded_field_by_field(backend: Backend) -> None:
    # given: a priced model LiteLLM knows, one only Comptroller prices, and a member
    project = await make_project()
    known = await gpt_4o()
    ours = await make_model(input_usd=1.0, output_usd=2.0)
    member, _ = await make_user()
    await grant(member, project, ProjectRole.ASSISTANT_USER)
    _, secret = await make_api_token(project)
    sender = GenericAPILogger(
        endpoint=f"{backend.server_url}/v1/litellm", headers={"Authorization": f"Bearer {secret}"}
    )
    kept = Kept()
    litellm.callbacks = [sender, kept]
    messages = [{"role": "user", "content": "What is our refund policy?"}]
    try:
        # when: a priced call, an unpriced one with a user, a failure, an unknown model
        await litellm.acompletion(model="gpt-4o", messages=messages, mock_response="30 days.")
        await litellm.acompletion(
            model=f"openai/{ours.name}", messages=messages, mock_response="Hi", user=member.email
        )
        with pytest.raises(litellm.exceptions.InternalServerError):
            await litellm.acompletion(
                model="gpt-4o", messages=messages, mock_response=Exception("upstream down")
            )
        await litellm.acompletion(
            model="openai/not-in-the-catalog", messages=messages, mock_response="?"
        )
        # Loggers run in the background; the sender's own timer may flush part of the
        # batch first: flush what is left, then wait for the rows.
        await until(lambda: len(kept.payloads) == 4)
        await sender.flush_queue()
        await until_stored(project, 3)
    finally:
        # LiteLLM copies callbacks into lists of its own, and skips a logger like one it
        # has: reset them all, so the next backend's run registers its own.
        litellm.logging_callback_manager._reset_all_callbacks()  # type: ignore[no-untyped-call]

    # then: the three known calls, each as LiteLLM logged it; the unknown model alone refused
    # (logged in the background: not necessarily in the order of the calls)
    by_kind = {(p["model"], p["status"]): p for p in kept.payloads}
    priced = by_kind["gpt-4o", "success"]
    unpriced = by_kind[ours.name, "success"]
    failed = by_kind["gpt-4o", "failure"]
    unknown = by_kind["not-in-the-catalog", "success"]
    rows = await stored(project)
    assert sorted(rows) == sorted(p["id"] for p in (priced, unpriced, failed))
    for payload in (priced, unpriced, failed):
        row = rows[payload["id"]]
        assert row.created_at == datetime.fromtimestamp(payload["startTime"], UTC)
        assert row.duration_ms == round((payload["endTime"] - payload["startTime"]) * 1000)
        assert row.input_tokens == payload["prompt_tokens"]
        assert row.output_tokens == payload["completion_tokens"]
        assert row.input == orjson.dumps(payload["messages"]).decode()
    assert (rows[priced["id"]].model_id, rows[priced["id"]].status) == (
        known.id,
        RequestStatus.SUCCESS,
    )
    assert priced["response_cost"] > 0
    assert rows[priced["id"]].cost_nanos == round(priced["response_cost"] * 10**9)
    assert rows[priced["id"]].output == orjson.dumps(priced["response"]).decode()
    # LiteLLM has no price for it and says 0.0: Comptroller's prices apply
    assert unpriced["response_cost"] == 0.0
    row = rows[unpriced["id"]]
    assert (row.model_id, row.user_id) == (ours.id, member.id)
    tokens = (unpriced["prompt_tokens"], unpriced["completion_tokens"])
    assert row.cost_nanos == (tokens[0] * 10**9 + tokens[1] * 2 * 10**9 + 500_000) // 10**6
    row = rows[failed["id"]]
    assert row.status == RequestStatus.ERROR
    assert row.output is None
    assert row.error_message == failed["error_information"]["error_message"]
    assert "upstream down" in (row.error_message or "")
    assert unknown["id"] not in rows


async def until(condition: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "LiteLLM did not log in time"
        await asyncio.sleep(0.05)


async def until_stored(project: Project, count: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while await Request.filter(project_id=project.id).count() < count:
        assert time.monotonic() < deadline, "LiteLLM's batch did not arrive in time"
        await asyncio.sleep(0.1)


def payload(model: str, **fields: Any) -> dict[str, Any]:
    """A StandardLoggingPayload as the proxy sends it, with the fields that matter here."""
    start = time.time() - 600
    return {
        "id": f"chatcmpl-{uuid.uuid4()}",
        "startTime": start,
        "endTime": start + 1.25,
        "status": "success",
        "model": model,
        "custom_llm_provider": "openai",
        "model_group": "",
        "prompt_tokens": 11,
        "completion_tokens": 7,
        "response_cost": 0.001,
        "end_user": None,
        "metadata": {"user_api_key_hash": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539"},
        "model_parameters": {},
        "messages": [{"role": "user", "content": "hi"}],
        "response": {"choices": []},
        "call_type": "acompletion",  # one of the many fields not read
        **fields,
    }


async def post(backend: Backend, body: bytes, secret: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    async with httpx.AsyncClient(base_url=backend.server_url, timeout=30) as http:
        return await http.post("/v1/litellm", content=body, headers=headers)


@pytest.mark.parametrize("log_format", ["json_array", "ndjson", "single"])
async def test_every_log_format_of_the_callback_is_read(backend: Backend, log_format: str) -> None:
    # given
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)
    sent = [payload(model.name) for _ in range(1 if log_format == "single" else 3)]
    body = {
        "json_array": lambda: orjson.dumps(sent),
        "ndjson": lambda: b"\n".join(orjson.dumps(p) for p in sent) + b"\n",
        "single": lambda: orjson.dumps(sent[0]),
    }[log_format]()

    # when
    reply = await post(backend, body, secret)

    # then
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"accepted": len(sent), "duplicates": 0, "rejected": []}
    rows = await stored(project)
    assert sorted(rows) == sorted(p["id"] for p in sent)
    assert all(row.cost_nanos == 1_000_000 for row in rows.values())


async def test_a_bad_payload_is_refused_alone_inside_a_200(backend: Backend) -> None:
    # given: LiteLLM drops a whole batch on any other answer, so one bad payload must not
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)
    good = payload(model.name)
    unknown = payload("gpt-9-preview")
    malformed = payload(model.name, prompt_tokens="many")

    # when
    reply = await post(backend, orjson.dumps([good, unknown, malformed, good]), secret)

    # then
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert (answer["accepted"], answer["duplicates"]) == (1, 1)
    assert [(r["index"], r["id"]) for r in answer["rejected"]] == [
        (1, unknown["id"]),
        (2, malformed["id"]),
    ]
    assert "openai/gpt-9-preview" in answer["rejected"][0]["reason"]
    assert list(await stored(project)) == [good["id"]]


async def test_a_provider_qualified_catalog_name_matches_the_bare_model(backend: Backend) -> None:
    # given: the catalog names the model with its provider; LiteLLM reports it without
    project = await make_project()
    name = unique("model")
    model = await AiModel.create(
        name=f"openai/{name}",
        provider="openai",
        input_price_per_million_nanos=0,
        output_price_per_million_nanos=0,
    )
    _, secret = await make_api_token(project)
    sent = payload(name)

    # when
    reply = await post(backend, orjson.dumps([sent]), secret)

    # then
    assert reply.json()["accepted"] == 1, reply.text
    assert (await stored(project))[sent["id"]].model_id == model.id


@pytest.mark.parametrize(
    "body", [b"not json", b"[{", b"42"], ids=["not JSON", "cut short", "a number"]
)
async def test_an_unreadable_body_is_a_400_in_the_contract_shape(
    backend: Backend, body: bytes
) -> None:
    project = await make_project()
    _, secret = await make_api_token(project)
    reply = await post(backend, body, secret)
    assert reply.status_code == 400
    assert [e["extensions"]["code"] for e in reply.json()["errors"]] == ["BAD_USER_INPUT"]
    assert await stored(project) == {}


CALLERS = {"anonymous": 401, "member": 403, "api_token": 200, "other_project_api_token": 200}


@pytest.mark.parametrize("caller", CALLERS)
async def test_only_a_project_api_token_records_into_its_own_project(
    backend: Backend, caller: str
) -> None:
    # given
    project = await make_project()
    other = await make_project()
    model = await make_model()
    member, member_secret = await make_user()
    await grant(member, project, ProjectRole.PROJECT_ADMIN)
    secrets = {
        "anonymous": None,
        "member": member_secret,
        "api_token": (await make_api_token(project))[1],
        "other_project_api_token": (await make_api_token(other))[1],
    }
    sent = payload(model.name)

    # when
    reply = await post(backend, orjson.dumps([sent]), secrets[caller])

    # then
    assert reply.status_code == CALLERS[caller], reply.text
    here, there = list(await stored(project)), list(await stored(other))
    expected = {"api_token": ([sent["id"]], []), "other_project_api_token": ([], [sent["id"]])}
    assert (here, there) == expected.get(caller, ([], []))
