"""The SQL statements of the hot paths, counted on the real database and pinned: a batch's
look-ups, a batch's whole write, an authenticated request, a dashboard answered from the
cache. A change that adds a statement fails here (``tests/support/query_counter.py``)."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from kernel.errors import BadUserInput
from models import ProjectRole
from resolvers.ingestion.recording import record_requests
from tests.support.backends import Backend
from tests.support.factories import (
    grant,
    make_api_token,
    make_assistant,
    make_model,
    make_project,
    make_request,
    make_user,
)
from tests.support.in_process import InProcess, app_in_process
from tests.support.query_counter import StatementLog, counted_orm
from tests.support.records import at, record, record_input

VIEWER = "{ viewer { id email } }"
DASHBOARD = """query($p: ID!, $r: TimeRange!) { project(id: $p) { name viewerRoles
  usage(range: $r) { totalRequests byModel { id totalRequests } } } }"""
# Each statement is known by a pattern its text starts with.
AUTHENTICATION = {
    "personal": r"SELECT t\.id, .* FROM personal_access_tokens t JOIN users u .* JOIN memberships",
    # an API token reads its project's versions in the same statement (a cached admission)
    "api": r"SELECT t\.id, .* FROM api_tokens t LEFT JOIN project_data_versions c",
}
VERSION_READ = r"SELECT project_id, version FROM project_data_versions"
LOOK_UP = r"SELECT 's', CASE WHEN store_request_content"
# SQLite inserts a batch's rows with one prepared statement run per row (executemany: one
# call into the driver whatever the batch's size), each seen by the trace callback.
PER_ROW = r"INSERT INTO requests \([^)]*\) VALUES \([^)]*\) ON CONFLICT"
# What a batch of new records costs after its look-up: the same calls whatever its size.
NEW_BATCH = {
    "sqlite": [
        "BEGIN",
        PER_ROW,
        r"SELECT last_insert_rowid\(\)",
        "INSERT INTO project_data_versions",
        "INSERT INTO user_usage_rollups",
        "INSERT INTO usage_rollups",
        "INSERT INTO user_usage_daily_rollups",
        "INSERT INTO usage_daily_rollups",
        "INSERT INTO user_hourly_rollups",
        "INSERT INTO user_daily_rollups",
        "INSERT INTO usage_hourly_rollups",
        "COMMIT",
    ],
    "postgres": [
        "BEGIN",
        "SAVEPOINT",
        "COPY requests",
        "RELEASE SAVEPOINT",
        "INSERT INTO project_data_versions",
        "WITH batch",  # every rollup upsert in one statement
        "COMMIT",
    ],
}
# And a batch that is all duplicates: nothing but the requests is touched.
REPEATED_BATCH = {
    "sqlite": ["BEGIN", PER_ROW, "COMMIT"],
    "postgres": [
        "BEGIN",
        "SAVEPOINT",
        "COPY requests",
        "ROLLBACK TO",
        "INSERT INTO requests",
        "COMMIT",
    ],
}


@pytest_asyncio.fixture
async def statements(backend: Backend) -> AsyncIterator[StatementLog]:
    async with counted_orm(backend) as log:
        yield log


@pytest_asyncio.fixture
async def app(backend: Backend) -> AsyncIterator[InProcess]:
    async with app_in_process(backend) as running:
        yield running


def assert_statements(sent: list[str], expected: list[str]) -> None:
    """Exactly the expected statements, in order, each matching its pattern from the start."""
    assert len(sent) == len(expected), sent
    for statement, pattern in zip(sent, expected, strict=True):
        assert re.match(pattern, statement, re.DOTALL), (pattern, statement)


# -- ingestion --------------------------------------------------------------------------------


async def test_a_batch_looks_up_its_models_assistants_members_tokens_and_settings_at_once(
    statements: StatementLog,
) -> None:
    # given: a batch naming two of each, then a model that does not exist
    project = await make_project()
    models = [await make_model() for _ in range(2)]
    assistants = [await make_assistant(project) for _ in range(2)]
    tokens = [(await make_api_token(project))[0] for _ in range(2)]
    members = []
    for _ in range(2):
        member, _ = await make_user()
        await grant(member, project, ProjectRole.ASSISTANT_USER)
        members.append(member)
    batch = [
        record(f"r-{i}", models[i], assistantId=str(assistants[i].id),
               userId=str(members[i].id), apiTokenId=str(tokens[i].id))
        for i in range(2)
    ]  # fmt: skip
    batch.append(record("r-unknown", 999_999_999))

    # when
    with statements.counting() as sent, pytest.raises(BadUserInput):
        await record_requests(project.id, tokens[0].id, [record_input(r) for r in batch])

    # then: one statement read it all, and nothing was written
    assert_statements(sent, [LOOK_UP])
    for table in ("project_settings", "assistants", "memberships", "api_tokens", "ai_models"):
        assert f"FROM {table} " in sent[0]


@pytest.mark.parametrize("size", [1, 200])
async def test_a_batch_is_written_in_a_fixed_number_of_statements(
    backend: Backend, statements: StatementLog, size: int
) -> None:
    # given
    project = await make_project()
    model = await make_model()
    token, _ = await make_api_token(project)
    member, _ = await make_user()
    await grant(member, project, ProjectRole.ASSISTANT_USER)
    batch = [
        record_input(record(f"r-{i}", model, createdAt=at(i % 60), userId=str(member.id)))
        for i in range(size)
    ]

    # when
    with statements.counting() as new:
        await record_requests(project.id, token.id, batch)
    with statements.counting() as repeated:
        await record_requests(project.id, token.id, batch)

    # then
    assert_statements(new, [LOOK_UP, *per_row(NEW_BATCH[backend.name], size)])
    assert_statements(repeated, [LOOK_UP, *per_row(REPEATED_BATCH[backend.name], size)])


def per_row(statements: list[str], size: int) -> list[str]:
    """``statements`` with the per-row insert repeated for each of ``size`` rows."""
    return [
        each for pattern in statements for each in [pattern] * (size if pattern == PER_ROW else 1)
    ]


# -- authentication ---------------------------------------------------------------------------


async def test_an_authenticated_request_reads_token_user_and_roles_in_one_query(
    app: InProcess,
) -> None:
    # given: a person with roles in two projects, whose token was used a moment ago
    person, token = await make_user()
    for _ in range(2):
        await grant(person, await make_project(), ProjectRole.PROJECT_MEMBER)
    with app.statements.counting() as first_use:
        (await app.api(VIEWER, None, token)).ok()

    # when
    with app.statements.counting() as sent:
        viewer = (await app.api(VIEWER, None, token)).ok()["viewer"]

    # then: one query; only the first use of the minute also writes lastUsedAt
    assert viewer == {"id": str(person.id), "email": person.email}
    assert_statements(sent, [AUTHENTICATION["personal"]])
    assert_statements(first_use, [AUTHENTICATION["personal"], 'UPDATE "personal_access_tokens"'])


async def test_an_api_client_is_authenticated_in_one_query(app: InProcess) -> None:
    # given: a project API token used a moment ago
    project = await make_project()
    _, secret = await make_api_token(project)
    with app.statements.counting() as first_use:
        await app.api(VIEWER, None, secret)

    # when (viewer is no field for an API client: only the authentication runs)
    with app.statements.counting() as sent:
        refused = await app.api(VIEWER, None, secret)

    # then
    assert refused.codes == ["FORBIDDEN"]
    assert_statements(sent, [AUTHENTICATION["api"]])
    assert_statements(first_use, [AUTHENTICATION["api"], 'UPDATE "api_tokens"'])


# -- the whole-answer cache -------------------------------------------------------------------


async def test_a_dashboard_from_the_cache_costs_the_authentication_and_one_version_read(
    app: InProcess,
) -> None:
    # given: a dashboard computed once (and kept)
    project = await make_project()
    model = await make_model()
    await make_request(project, model)
    analyst, token = await make_user()
    await grant(analyst, project, ProjectRole.PROJECT_MEMBER)
    now = datetime.now(UTC)
    variables = {
        "p": str(project.id),
        "r": {"from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()},
    }
    with app.statements.counting() as computed:
        first = (await app.api(DASHBOARD, variables, token)).ok()

    # when
    with app.statements.counting() as sent:
        again = (await app.api(DASHBOARD, variables, token)).ok()

    # then: the same answer, for two statements where computing it took more
    assert again == first
    assert first["project"]["usage"]["totalRequests"] == 1
    assert_statements(sent, [AUTHENTICATION["personal"], VERSION_READ])
    assert len(computed) > len(sent)


# -- the lists --------------------------------------------------------------------------------

PROJECT_READ = r"SELECT p\.id, .* FROM projects p WHERE"
LIST_PAGES = {
    "requests": (
        """query($p: ID!) { project(id: $p) { requests(first: 50) { edges { cursor node {
          id createdAt cost model { name } assistant { name } apiToken { name } user { email }
        } } pageInfo { endCursor hasNextPage } } } }""",
        r"SELECT r\.id, .* FROM \(SELECT id FROM requests WHERE .*\) p JOIN requests r",
    ),
    "members": (
        """query($p: ID!) { project(id: $p) { members(first: 50) { totalCount
          edges { cursor node { user { email } roles } } pageInfo { hasNextPage } } } }""",
        r"SELECT \(SELECT COUNT\(\*\) FROM memberships m JOIN users u",
    ),
    "auditLog": (
        """query($p: ID!) { project(id: $p) { auditLog(first: 50) { totalCount
          edges { cursor node { action actor { email } } } pageInfo { hasNextPage } } } }""",
        r"SELECT \(SELECT COUNT\(\*\) FROM audit_events e LEFT JOIN users u",
    ),
    "apiTokens": (
        "query($p: ID!) { project(id: $p) { apiTokens { name prefix lastUsedAt } } }",
        r"SELECT t\.id, .* FROM api_tokens t WHERE",
    ),
}


@pytest.mark.parametrize("page", sorted(LIST_PAGES))
async def test_a_list_page_is_one_statement_after_the_authentication_and_the_project(
    app: InProcess, page: str
) -> None:
    # given: a project with several of everything each list refers to
    project = await make_project()
    models = [await make_model() for _ in range(2)]
    assistants = [await make_assistant(project, model=model) for model in models]
    admin, token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    for index in range(4):
        member, _ = await make_user()
        await grant(member, project, ProjectRole.PROJECT_MEMBER)
        api_token, _ = await make_api_token(project)
        await make_request(
            project, models[index % 2], assistant_id=str(assistants[index % 2].id),
            api_token_id=str(api_token.id), user_id=str(member.id),
        )  # fmt: skip
        await app.api(
            "mutation($p: ID!, $u: ID!) { setMemberRoles(projectId: $p, userId: $u, "
            "roles: [PROJECT_ADMIN]) { createdAt } }",
            {"p": str(project.id), "u": str(member.id)},
            token,
        )
    document, pattern = LIST_PAGES[page]
    variables = {"p": str(project.id)}
    (await app.api(document, variables, token)).ok()

    # when
    with app.statements.counting() as sent:
        answer = (await app.api(document, variables, token)).ok()

    # then: whatever each row refers to, one statement read the page
    listed = answer["project"][page]
    assert len(listed if page == "apiTokens" else listed["edges"]) >= 4
    assert_statements(sent, [AUTHENTICATION["personal"], PROJECT_READ, pattern])
