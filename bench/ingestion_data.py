"""The records the ingestion benchmark sends: a project with its models, assistants, members
and API tokens, and realistic batches (as JSON for the API, as rows for the raw baseline)."""

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from models import AiModel, ApiToken, Assistant, Project, ProjectRole, User
from models.request import REQUEST_COLUMNS
from resolvers.ingestion.record import RecordInput
from schema.records_reader import convert_records_variable
from tests.support.factories import (
    grant,
    make_api_token,
    make_assistant,
    make_model,
    make_project,
    make_user,
)
from tests.support.records import RECORD_REQUESTS, record

BATCH = 1_000

HISTORY = timedelta(days=30)

ERROR_RATE = 0.03

# (name, input USD per million tokens, output USD per million tokens)
MODEL_PRICES = (
    (2.5, 10.0), (0.15, 0.6), (3.0, 15.0), (0.8, 4.0),
    (15.0, 75.0), (1.25, 10.0), (0.1, 0.4), (0.5, 1.5),
)  # fmt: skip

ASSISTANT_WEIGHTS = (0.28, 0.18, 0.13, 0.1, 0.08, 0.07, 0.06, 0.05, 0.03, 0.02)

USERS = 200

CLIENT_TOKENS = 4

PROMPTS = (
    "Summarize this support ticket in two sentences.",
    "Translate the paragraph into German.",
    "Write a SQL query that lists overdue invoices.",
    "What is our refund policy for annual plans?",
    "Draft a polite reply declining the meeting.",
    "Explain this stack trace.",
    "Classify the sentiment of the review.",
    "Extract the invoice number and total.",
)

ANSWERS = (
    "The customer cannot log in after the password reset; they ask for a callback.",
    "Sehr geehrte Damen und Herren, vielen Dank fuer Ihre Nachricht.",
    "SELECT id, due_date FROM invoices WHERE paid_at IS NULL AND due_date < now();",
    "Annual plans are refundable pro rata within 30 days.",
    "Thank you for the invitation; unfortunately I cannot attend.",
    "The null pointer comes from an unset configuration value.",
    "positive",
    "INV-20931, 1,204.50 EUR",
)

ERRORS = ("upstream timeout after 30s", "rate limited by provider", "context length exceeded")


T = TypeVar("T")


@dataclass
class World:
    project: Project
    raw_project: Project
    models: list[AiModel]
    assistants: list[Assistant]
    users: list[User]
    recording_token: ApiToken
    secret: str
    client_tokens: list[ApiToken]
    sent: int = 0  # records accepted through the API or in process, for the final check
    raw_sent: int = 0  # rows of the raw baseline, in raw_project


async def make_world() -> World:
    project = await make_project()
    raw_project = await make_project()
    models = [await make_model(i, o) for i, o in MODEL_PRICES]
    assistants = [
        await make_assistant(project, model=models[index % len(models)])
        for index in range(len(ASSISTANT_WEIGHTS))
    ]
    users = []
    for _ in range(USERS):
        user, _ = await make_user()
        await grant(user, project, ProjectRole.ASSISTANT_USER)
        users.append(user)
    recording_token, secret = await make_api_token(project)
    client_tokens = [(await make_api_token(project))[0] for _ in range(CLIENT_TOKENS)]
    return World(
        project=project,
        raw_project=raw_project,
        models=models,
        assistants=assistants,
        users=users,
        recording_token=recording_token,
        secret=secret,
        client_tokens=client_tokens,
    )


def make_records(
    rng: random.Random,
    world: World,
    prefix: str,
    count: int,
    now: datetime,
    history: timedelta = HISTORY,
) -> list[dict[str, Any]]:
    """Records as the gateway sends them (GraphQL names), createdAt over the last
    ``history`` (30 days: a backfill's spread, the worst case for every index on
    created_at; a live gateway's records span seconds)."""
    return [
        make_record(rng, world, f"{prefix}-{number:07d}", now - history * rng.random())
        for number in range(count)
    ]


def make_record(
    rng: random.Random, world: World, external_id: str, created_at: datetime
) -> dict[str, Any]:
    """One record as the gateway sends it (GraphQL names): an assistant's call most of the
    time, for a member most of the time, with a prompt and (unless it failed) an answer."""
    assistant: Assistant | None = None
    if rng.random() < 0.94:
        assistant = rng.choices(world.assistants, ASSISTANT_WEIGHTS)[0]
    model_id = assistant.model_id if assistant is not None else None
    if model_id is None or rng.random() < 0.08:
        model_id = rng.choice(world.models).id
    failed = rng.random() < ERROR_RATE
    sent = record(
        external_id,
        model_id,
        createdAt=created_at.isoformat(),
        status="ERROR" if failed else "SUCCESS",
        durationMs=int(rng.lognormvariate(6.5, 0.8)),
        inputTokens=int(rng.lognormvariate(6.5, 1.0)),
        outputTokens=0 if failed else int(rng.lognormvariate(5.3, 0.9)),
        input=rng.choice(PROMPTS),
        output=None if failed else rng.choice(ANSWERS),
    )
    if assistant is not None:
        sent["assistantId"] = str(assistant.id)
    if rng.random() < 0.92:
        sent["userId"] = str(rng.choice(world.users).id)
    if rng.random() < 0.5:
        sent["apiTokenId"] = str(rng.choice(world.client_tokens).id)
    if rng.random() < 0.1:
        sent["cost"] = round(rng.uniform(0.0001, 0.05), 6)
    if failed:
        sent["errorMessage"] = rng.choice(ERRORS)
    return sent


def batches(records: Sequence[T], size: int = BATCH) -> list[Sequence[T]]:
    return [records[start : start + size] for start in range(0, len(records), size)]


def body_of(batch: Sequence[dict[str, Any]], route: str = "graphql") -> bytes:
    """The request body of ``batch`` for the GraphQL or the plain-JSON route."""
    if route == "json":
        return json.dumps({"records": list(batch)}).encode()
    return json.dumps({"query": RECORD_REQUESTS, "variables": {"records": list(batch)}}).encode()


def raw_rows(
    world: World, records: Sequence[dict[str, Any]], sqlite: bool, project_id: int | None = None
) -> list[tuple[object, ...]]:
    """The rows the API would store for ``records``, as REQUEST_COLUMNS, in ``project_id``
    (by default ``raw_project``)."""
    prices = {m.id: m for m in world.models}
    now = datetime.now(UTC)
    rows = []
    for sent in records:
        model = prices[int(sent["modelId"])]
        input_price = model.input_price_per_million_nanos
        output_price = model.output_price_per_million_nanos
        cost = sent.get("cost")
        cost_nanos = (
            round(cost * 1e9)
            if cost is not None
            else (sent["inputTokens"] * input_price + sent["outputTokens"] * output_price + 500_000)
            // 1_000_000
        )
        created_at = datetime.fromisoformat(sent["createdAt"]).astimezone(UTC)
        token = sent.get("apiTokenId")
        values: dict[str, object] = {
            "project_id": world.raw_project.id if project_id is None else project_id,
            "external_id": sent["externalId"],
            # Tortoise stores aware datetimes on SQLite as isoformat(" ") text.
            "created_at": created_at.isoformat(" ") if sqlite else created_at,
            "recorded_at": now.isoformat(" ") if sqlite else now,
            "status": sent["status"],
            "duration_ms": sent["durationMs"],
            "assistant_id": _int_or_none(sent.get("assistantId")),
            "model_id": model.id,
            "api_token_id": int(token) if token is not None else world.recording_token.id,
            "user_id": _int_or_none(sent.get("userId")),
            "input_tokens": sent["inputTokens"],
            "output_tokens": sent["outputTokens"],
            "cost_nanos": cost_nanos,
            "input_price_per_million_nanos": input_price,
            "output_price_per_million_nanos": output_price,
            "input": sent.get("input"),
            "output": sent.get("output"),
            "error_message": sent.get("errorMessage"),
        }
        rows.append(tuple(values[column] for column in REQUEST_COLUMNS))
    return rows


def _int_or_none(value: str | None) -> int | None:
    return None if value is None else int(value)


def to_record_inputs(records: list[dict[str, Any]]) -> list[RecordInput]:
    """What the mutation hands the resolver: the records as the API's msgspec reader reads
    them."""
    inputs = convert_records_variable(records)
    assert inputs is not None, "the benchmark's records are of the usual shape"
    return inputs
