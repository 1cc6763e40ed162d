"""The checks of a batch against the project's data: every model, assistant, member and API
token its records name, found in one query, and the first record naming one that does not
exist refused."""

from collections.abc import Container, Sequence
from dataclasses import dataclass

from kernel.errors import BadUserInput
from kernel.raw_sql import Statement
from models import Request
from resolvers.ingestion.validation import ParsedRecord

UNKNOWN = {
    "modelId": "no model has id {}",
    "assistantId": "no assistant of this project has id {}",
    "userId": "user {} is not a member of this project",
    "apiTokenId": "no API token of this project has id {}",
}


# What a batch needs of the project's settings, as two 0/1 columns (keeps content, has a
# monthly budget), and what a project without its settings row has. Every look-up of a batch
# (by id here, by name in ``named_records``) selects them.
SETTINGS_FLAGS_SQL = (
    "CASE WHEN store_request_content THEN 1 ELSE 0 END, "
    "CASE WHEN monthly_budget_nanos IS NULL THEN 0 ELSE 1 END"
)
DEFAULT_SETTINGS = (True, False)


@dataclass(frozen=True)
class Known:
    """What a batch refers to that exists: models with their prices (input, output nano-USD
    per million tokens), the project's assistants, members and API tokens, whether the
    project keeps requests' content and whether it has a monthly budget."""

    models: dict[int, tuple[int, int]]
    assistants: set[int]
    members: set[int]
    tokens: set[int]
    keep_content: bool
    has_budget: bool


def check_known(parsed: Sequence[ParsedRecord], known: Known) -> None:
    """Refuse the first record that names something the project does not have."""

    def check(p: ParsedRecord, field: str, value: int | None, among: Container[int]) -> None:
        if value is not None and value not in among:
            raise BadUserInput(f"records[{p.index}].{field}", UNKNOWN[field].format(value))

    for p in parsed:
        check(p, "modelId", p.model_id, known.models)
        check(p, "assistantId", p.assistant_id, known.assistants)
        check(p, "userId", p.user_id, known.members)
        check(p, "apiTokenId", p.api_token_id, known.tokens)


async def load_known(project_id: int, parsed: Sequence[ParsedRecord]) -> Known:
    """One round trip for all of a batch's lookups, where the ORM took five."""
    models = {p.model_id for p in parsed}
    assistants = {p.assistant_id for p in parsed if p.assistant_id is not None}
    users = {p.user_id for p in parsed if p.user_id is not None}
    tokens = {p.api_token_id for p in parsed if p.api_token_id is not None}
    connection = Request._meta.db  # the ORM's connection, whatever its name
    statement = Statement(connection)

    def among(column: str, wanted: set[int]) -> str:
        # bigint: an id past INTEGER is simply not found (asyncpg refuses it as an int4).
        if statement.postgres:
            return f"{column} = ANY({statement.bind(list(wanted))}::bigint[])"
        return f"{column} IN ({', '.join(statement.bind(value) for value in wanted)})"

    parts = [
        f"SELECT 's', {SETTINGS_FLAGS_SQL}, 0 "
        f"FROM project_settings WHERE project_id = {statement.bind(project_id)}"
    ]
    for kind, table, column, wanted in (
        ("a", "assistants", "id", assistants),
        ("u", "memberships", "user_id", users),
        ("t", "api_tokens", "id", tokens),
    ):
        if wanted:
            parts.append(
                f"SELECT '{kind}', {column}, 0, 0 FROM {table} "
                f"WHERE project_id = {statement.bind(project_id)} AND {among(column, wanted)}"
            )
    parts.append(
        "SELECT 'm', id, input_price_per_million_nanos, output_price_per_million_nanos "
        f"FROM ai_models WHERE {among('id', models)}"
    )
    _, found = await connection.execute_query(" UNION ALL ".join(parts), statement.params)
    by_kind: dict[str, set[int]] = {"a": set(), "u": set(), "t": set()}
    prices: dict[int, tuple[int, int]] = {}
    keep_content, has_budget = DEFAULT_SETTINGS
    for kind, value, input_price, output_price in (tuple(row) for row in found):
        if kind == "m":
            prices[int(value)] = (int(input_price), int(output_price))
        elif kind == "s":
            keep_content, has_budget = bool(value), bool(input_price)
        else:
            by_kind[kind].add(int(value))
    return Known(prices, by_kind["a"], by_kind["u"], by_kind["t"], keep_content, has_budget)
