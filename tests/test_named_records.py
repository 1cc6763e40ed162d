"""``record_named``: a batch of records named by gateways is looked up in one statement,
names and what storing needs alike (prices, the project's settings), then stored as any
batch is: priced by its model, found by name or alias, and checked against the budget."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from models import AiModelAlias, BudgetThresholdCrossing, ProjectRole, Request, RequestStatus
from resolvers.ingestion.named_records import UNRESOLVED, NamedRecord, Refusal, record_named
from resolvers.ingestion.record import RecordInput
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
from tests.support.query_counter import StatementLog, counted_orm


@pytest_asyncio.fixture
async def statements(backend: Backend) -> AsyncIterator[StatementLog]:
    async with counted_orm(backend) as log:
        yield log


def named(
    models: tuple[str, ...],
    assistants: tuple[str, ...] = (),
    users: tuple[str, ...] = (),
    input_tokens: int = 1_000,
) -> NamedRecord:
    record = RecordInput(
        external_id=unique("named"),
        created_at=datetime.now(UTC) - timedelta(minutes=1),
        status=RequestStatus.SUCCESS,
        duration_ms=10,
        model_id=UNRESOLVED,
        input_tokens=input_tokens,
        output_tokens=500,
        input="a prompt",
    )
    return NamedRecord(record, models, assistants, users)


async def test_a_named_batch_is_looked_up_in_one_statement(statements: StatementLog) -> None:
    # given: records naming a model, an alias, an assistant and a member by email and by id
    project = await make_project()
    model, other = await make_model(), await make_model()
    await AiModelAlias.create(model=other, alias=unique("alias"))
    assistant = await make_assistant(project)
    member, _ = await make_user()
    await grant(member, project, ProjectRole.ASSISTANT_USER)
    token, _ = await make_api_token(project)
    items = [
        named((model.name,), (assistant.name,), (member.email.upper(),)),
        named(("unknown", other.name), (), (str(member.id),)),
    ]

    # when
    with statements.counting() as sent:
        outcome = await record_named(project.id, token.id, items)

    # then: one look-up, then the batch's writes only (SQLite's ``last_insert_rowid()`` is
    # part of the write: it reads no table)
    assert (outcome.accepted, outcome.refused) == (2, [])
    reads = [sql for sql in sent if sql.lstrip().upper().startswith("SELECT") and " FROM " in sql]
    assert len(reads) == 1, sent
    for table in ("project_settings", "ai_models", "ai_model_aliases", "assistants", "memberships"):
        assert f"FROM {table} " in reads[0]
    assert sent.index(reads[0]) == 0


async def test_named_records_are_priced_by_the_model_their_name_or_alias_finds(
    backend: Backend,
) -> None:
    # given
    project = await make_project()
    model = await make_model(input_usd=3.0, output_usd=15.0)
    alias = unique("dated")
    await AiModelAlias.create(model=model, alias=alias)
    assistant = await make_assistant(project)
    member, _ = await make_user()
    await grant(member, project, ProjectRole.ASSISTANT_USER)
    token, _ = await make_api_token(project)
    by_name = named((model.name,), ("nobody", assistant.name), ("7", member.email))
    by_alias = named(("unknown", alias))

    # when
    outcome = await record_named(project.id, token.id, [by_name, by_alias])

    # then: 1,000 x $3 + 500 x $15 per million tokens = $0.0105 each
    assert (outcome.accepted, outcome.duplicates, outcome.refused) == (2, 0, [])
    rows = {row.external_id: row for row in await Request.filter(project_id=project.id)}
    stored = rows[by_name.record.external_id]
    assert (stored.model_id, stored.assistant_id, stored.user_id) == (
        model.id,
        assistant.id,
        member.id,
    )
    assert (stored.cost_nanos, stored.api_token_id, stored.input) == (
        10_500_000,
        token.id,
        "a prompt",
    )
    aliased = rows[by_alias.record.external_id]
    assert (aliased.model_id, aliased.cost_nanos, aliased.assistant_id) == (
        model.id,
        10_500_000,
        None,
    )


async def test_named_records_follow_the_projects_settings(backend: Backend) -> None:
    # given: a project that keeps no content and has a budget with a threshold at 50%
    project = await make_project(
        store_request_content=False, monthly_budget_nanos=20_000_000, budget_alert_thresholds=[50]
    )
    model = await make_model(input_usd=3.0, output_usd=15.0)
    token, _ = await make_api_token(project)

    # when: $0.0105 of a $0.02 budget
    outcome = await record_named(project.id, token.id, [named((model.name,))])

    # then
    assert outcome.accepted == 1
    [row] = await Request.filter(project_id=project.id)
    assert row.input is None
    assert row.output is None
    crossings = await BudgetThresholdCrossing.filter(project_id=project.id).values_list(
        "threshold", "spent_nanos"
    )
    assert crossings == [(50.0, 10_500_000)]


async def test_refusals_keep_their_place_among_unknown_models_and_values_too_large(
    backend: Backend,
) -> None:
    # given
    project = await make_project()
    model = await make_model()
    token, _ = await make_api_token(project)
    earlier = Refusal(1, "otel:x", "names no model")
    items: list[NamedRecord | Refusal] = [
        named((model.name,)),
        earlier,
        named(("gpt-9", "gpt-10")),
        named((model.name,), input_tokens=2**31),
    ]

    # when
    outcome = await record_named(project.id, token.id, items)

    # then
    assert outcome.accepted == 1
    assert [(each.index, each.reason) for each in outcome.refused] == [
        (1, "names no model"),
        (2, "unknown model 'gpt-9' or 'gpt-10'"),
        (3, f"input tokens must be at most {2**31 - 1}"),
    ]
