"""Project API tokens: listing, creating (the secret is shown once), revoking."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from tortoise.transactions import in_transaction

from kernel.errors import BadUserInput, NotFound
from kernel.raw_sql import Statement
from kernel.tokens import TokenKind, issue_secret
from models import ApiToken
from resolvers.governance.audit import record_event
from resolvers.governance.projects import project_settings
from resolvers.listed_rows import ListedApiToken, row_reader


@dataclass(frozen=True)
class NewApiToken:
    token: ApiToken
    secret: str


async def list_api_tokens(project_id: int) -> list[ListedApiToken]:
    """Newest first, in one statement read into plain rows."""
    connection = ApiToken._meta.db
    reader = row_reader(ListedApiToken, "t", connection)
    sql = Statement(connection)
    query = (
        f"SELECT {reader.select} FROM api_tokens t WHERE t.project_id = {sql.bind(project_id)} "
        "ORDER BY t.created_at DESC, t.id DESC"
    )
    _, found = await connection.execute_query(query, sql.params)
    return [reader(record) for record in found]


async def api_token_project_id(token_id: int) -> int | None:
    project_id = await ApiToken.filter(id=token_id).first().values_list("project_id", flat=True)
    return cast("int | None", project_id)


async def create_api_token(
    *, actor_id: int, project_id: int, name: str, expires_at: datetime | None
) -> NewApiToken:
    now = datetime.now(UTC)
    if expires_at is not None and expires_at <= now:
        raise BadUserInput("expiresAt", "must be in the future")
    settings = await project_settings(project_id)
    if settings.api_token_max_lifetime_days is not None:
        latest = now + timedelta(days=settings.api_token_max_lifetime_days)
        if expires_at is None or expires_at > latest:
            raise BadUserInput(
                "expiresAt",
                f"the project requires API tokens to expire within "
                f"{settings.api_token_max_lifetime_days} days",
            )
    issued = issue_secret(TokenKind.API)
    async with in_transaction():
        token = await ApiToken.create(
            project_id=project_id,
            name=name,
            prefix=issued.prefix,
            secret_hash=issued.secret_hash,
            created_by_id=actor_id,
            expires_at=expires_at,
        )
        await record_event(
            actor_id=actor_id,
            project_id=project_id,
            action="api_token.create",
            target=f"api_token:{token.id}",
            details={"name": name, "prefix": issued.prefix},
        )
    return NewApiToken(token=token, secret=issued.secret)


async def revoke_api_token(*, actor_id: int, token_id: int) -> ApiToken:
    """Revoke a token; revoking it again changes nothing and records nothing."""
    async with in_transaction():
        token = await ApiToken.filter(id=token_id).select_for_update().first()
        if token is None:
            raise NotFound("API token not found.")
        if token.revoked_at is None:
            token.revoked_at = datetime.now(UTC)
            await token.save(update_fields=["revoked_at"])
            await record_event(
                actor_id=actor_id,
                project_id=token.project_id,
                action="api_token.revoke",
                target=f"api_token:{token.id}",
                details={"name": token.name, "prefix": token.prefix},
            )
    return token
